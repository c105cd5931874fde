package jepsen

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRegionProfileGivesEachNodeALocality(t *testing.T) {
	cfg := Profiles["ci-regions"]
	cfg.Profile, cfg.OutDir = "ci-regions", t.TempDir()
	if err := cfg.validate(); err != nil {
		t.Fatalf("ci-regions does not validate: %v", err)
	}
	want := []string{"region=r1,zone=r1-a", "region=r2,zone=r2-a", "region=r3,zone=r3-a", "region=r1,zone=r1-b", "region=r2,zone=r2-b"}
	for i, w := range want {
		if got := cfg.locality(i + 1); got != w {
			t.Errorf("n%d: locality %q, want %q", i+1, got, w)
		}
	}
	if got := Profiles["ci"]; got.Regions != nil || (&got).locality(1) != "" {
		t.Errorf("ci profile has regions: %v", got.Regions)
	}
}

func TestReplayCommandNamesTheRegionFlags(t *testing.T) {
	cfg := Profiles["ci-regions"]
	cfg.Profile, cfg.Seed = "ci-regions", 11
	if got, want := cfg.replayCommand(), "go run ./jepsen/cmd/jepsen -profile ci-regions -seed 11"; got != want {
		t.Errorf("replay %q, want %q", got, want)
	}
	cfg.Regions, cfg.RaftTimeout = []string{"r1", "r1", "r2", "r2", "r3"}, 0
	if got, want := cfg.replayCommand(), "go run ./jepsen/cmd/jepsen -profile ci-regions -seed 11 -regions r1,r1,r2,r2,r3 -raft-timeout 500ms"; got != want {
		t.Errorf("replay %q, want %q", got, want)
	}
	cfg = Profiles["ci"]
	cfg.Profile, cfg.Seed, cfg.Regions = "ci", 7, []string{"a", "b", "c"}
	if got, want := cfg.replayCommand(), "go run ./jepsen/cmd/jepsen -profile ci -seed 7 -regions a,b,c"; got != want {
		t.Errorf("replay %q, want %q", got, want)
	}
	cfg = Profiles["ci-regions"]
	cfg.Profile, cfg.Seed, cfg.Regions, cfg.RegionLatency = "ci-regions", 7, nil, ""
	if got := cfg.replayCommand(); !strings.Contains(got, "-regions none -region-latency none") {
		t.Errorf("replay %q: want -regions none -region-latency none", got)
	}
}

func TestLossRegionsAreTheLargestMinorities(t *testing.T) {
	for _, tc := range []struct {
		regions, want []string
	}{
		{[]string{"r1", "r2", "r3", "r1", "r2"}, []string{"r1", "r2"}},
		{[]string{"r1", "r2", "r3"}, []string{"r1", "r2", "r3"}},
		{[]string{"a", "a", "b"}, []string{"b"}},
		{[]string{"r1", "r2", "r3", "r1", "r4"}, []string{"r1"}},
		{[]string{"a", "a"}, nil},
	} {
		if got := lossRegions(tc.regions); !slices.Equal(got, tc.want) {
			t.Errorf("lossRegions(%v) = %v, want %v", tc.regions, got, tc.want)
		}
	}
}

func TestRegionLossNeedsRegionsAndAMajorityLeft(t *testing.T) {
	base := Profiles["ci-regions"]
	base.Profile, base.OutDir = "ci-regions", t.TempDir()
	for _, tc := range []struct {
		name, want string
		change     func(c *Config)
	}{
		{"no regions", "region-loss needs Regions", func(c *Config) { c.Regions, c.RegionLatency = nil, "" }},
		{"one region per node", "want one region per node", func(c *Config) { c.Regions = c.Regions[:3] }},
		{"no minority region", "leaves a majority", func(c *Config) { c.Regions = []string{"a", "a", "a", "a", "a"} }},
		{"groups not on every node", "every group on every node", func(c *Config) { c.ReplicationFactor = 3 }},
		{"the default RF on 5 nodes", "every group on every node", func(c *Config) { c.ReplicationFactor = 0 }},
		{"window shorter than the bound", "keeps a region away", func(c *Config) { c.FaultMin = time.Second }},
		{"bad region name", "not a region name", func(c *Config) { c.Regions[2] = "R 3" }},
		{"unknown fault", "unknown", func(c *Config) { c.Faults = []string{"region-gone"} }},
		{"a region partition without regions", "partition-region needs Regions", func(c *Config) {
			c.Faults, c.Regions, c.RegionLatency = []string{FaultPartitionRegion}, nil, ""
		}},
	} {
		cfg := base
		cfg.Regions = slices.Clone(base.Regions)
		tc.change(&cfg)
		err := cfg.validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: validate() = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestScheduleDealsRegionLossFirstAndAlone(t *testing.T) {
	cfg := Profiles["ci"]
	cfg.Faults = append(slices.Clone(cfg.Faults), FaultRegionLoss, FaultPartitionRegion)
	cfg.CombineProbability = 1
	for seed := int64(1); seed <= 20; seed++ {
		cfg.Seed = seed
		steps := buildSchedule(&cfg)
		if len(steps) == 0 || steps[0].kinds[0] != FaultRegionLoss {
			t.Fatalf("seed %d: first window %v, want region-loss first", seed, steps[0].kinds)
		}
		for i, s := range steps {
			if len(s.kinds) > 1 && slices.ContainsFunc(s.kinds, isRegionFault) {
				t.Fatalf("seed %d: window %d combines %v", seed, i, s.kinds)
			}
		}
	}
}

// regionHistory is a synthetic run: shard 0 (section S1) led by n1 and
// shard 1 (section S2) led by n3; region r1 (n1, n4) killed at 10 s.
func regionHistory() (losses []RegionLoss, seatSection map[string]string) {
	losses = []RegionLoss{{Region: "r1", Nodes: []string{"n1", "n4"}, At: int64(10 * time.Second),
		Shards: []ShardLeader{{Shard: 0, Group: "g000", Leader: "n1", Sections: []string{"S1"}, Pools: []string{poolID}},
			{Shard: 1, Group: "g001", Leader: "n3", Sections: []string{"S2"}}}}}
	return losses, map[string]string{"S1-R1-1": "S1", "S1-R1-2": "S1", "S2-R1-1": "S2"}
}

func at(d time.Duration) int64 { return int64(d) }

func TestCheckRegionLossesMeasuresRecovery(t *testing.T) {
	losses, seats := regionHistory()
	history := []Op{
		// Before the kill both shards answer.
		{Kind: KindSell, Outcome: OutcomeOK, Seats: []string{"S1-R1-1"}, Call: at(9 * time.Second), Return: at(9100 * time.Millisecond)},
		{Kind: KindHold, Outcome: OutcomeOK, Section: "S2", Seats: []string{"S2-R1-1"}, Call: at(9 * time.Second), Return: at(9200 * time.Millisecond)},
		// Called before the kill, acknowledged after it: does not count.
		{Kind: KindSell, Outcome: OutcomeOK, Seats: []string{"S1-R1-2"}, Call: at(9900 * time.Millisecond), Return: at(10050 * time.Millisecond)},
		// Shard 1 never lost its leader and sells at once.
		{Kind: KindSell, Outcome: OutcomeOK, Seats: []string{"S2-R1-1"}, Call: at(10010 * time.Millisecond), Return: at(10100 * time.Millisecond)},
		// Shard 0: timeouts, then a refusal from the new leader, then a sale.
		{Kind: KindHold, Outcome: OutcomeInfo, Section: "S1", Seats: []string{"S1-R1-1"}, Call: at(10200 * time.Millisecond), Return: -1},
		{Kind: KindRead, Outcome: OutcomeFail, Section: "S1", Code: "Unavailable", Call: at(10300 * time.Millisecond), Return: at(11 * time.Second)},
		{Kind: KindHold, Outcome: OutcomeFail, Section: "S1", Seats: []string{"S1-R1-1"}, Reason: "SEAT_UNAVAILABLE", Call: at(11 * time.Second), Return: at(11500 * time.Millisecond)},
		{Kind: KindSell, Outcome: OutcomeOK, Quantity: 2, Call: at(11800 * time.Millisecond), Return: at(12 * time.Second)}, // GA: the pool's shard
	}
	res := CheckRegionLosses(history, losses, seats, at(60*time.Second), 500*time.Millisecond, true)
	if len(res.Problems) > 0 || !res.valid() {
		t.Fatalf("problems: %v", res.Problems)
	}
	l := res.Losses[0]
	if !l.Judged || l.FirstSale != 100*time.Millisecond || l.Recovery != 1500*time.Millisecond {
		t.Fatalf("judged %v, first sale %s, recovery %s; want true, 100ms, 1.5s", l.Judged, l.FirstSale, l.Recovery)
	}
	want := []ShardRecovery{{Shard: 0, Group: "g000", Leader: "n1", FirstAnswer: 1500 * time.Millisecond, FirstSale: 2 * time.Second}}
	if !slices.Equal(l.Leaderless, want) {
		t.Fatalf("leaderless shards %+v, want %+v", l.Leaderless, want)
	}
	var b strings.Builder
	describeRegionLosses(&b, res)
	for _, s := range []string{"1 region kills, 0 regions cut off (1 judged)", "r1 (n1,n4) killed at 10s: first sale after 100ms", "answered after 1.5s (3.0 election timeouts)"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("summary lacks %q:\n%s", s, b.String())
		}
	}
}

// TestCheckRegionLossesCatchesAnEventThatStopsSelling plants what the
// checker exists for: after the kill, the shard whose leader died never
// answers and nothing is sold anywhere within the bound.
func TestCheckRegionLossesCatchesAnEventThatStopsSelling(t *testing.T) {
	losses, seats := regionHistory()
	history := []Op{
		{Kind: KindSell, Outcome: OutcomeOK, Seats: []string{"S1-R1-1"}, Call: at(9 * time.Second), Return: at(9100 * time.Millisecond)},
		{Kind: KindHold, Outcome: OutcomeOK, Section: "S2", Seats: []string{"S2-R1-1"}, Call: at(9 * time.Second), Return: at(9200 * time.Millisecond)},
		// Shard 1 answers (refusals), but no sale succeeds until 17 s.
		{Kind: KindHold, Outcome: OutcomeFail, Section: "S2", Reason: "SEAT_UNAVAILABLE", Call: at(10500 * time.Millisecond), Return: at(10600 * time.Millisecond)},
		{Kind: KindSell, Outcome: OutcomeOK, Seats: []string{"S2-R1-1"}, Call: at(16 * time.Second), Return: at(17 * time.Second)},
		// Shard 0: only unknown outcomes and failed reads.
		{Kind: KindSell, Outcome: OutcomeInfo, Seats: []string{"S1-R1-2"}, Call: at(10200 * time.Millisecond), Return: -1},
		{Kind: KindRead, Outcome: OutcomeFail, Section: "S1", Code: "DeadlineExceeded", Call: at(11 * time.Second), Return: at(14 * time.Second)},
		// A re-sent sale learned after the heal does not count either.
		{Kind: KindSell, Outcome: OutcomeOK, Seats: []string{"S1-R1-2"}, Call: at(10300 * time.Millisecond), Return: at(11 * time.Second), Resend: &Resend{Outcome: OutcomeOK}},
	}
	res := CheckRegionLosses(history, losses, seats, at(60*time.Second), 500*time.Millisecond, true)
	if res.valid() || len(res.Problems) != 2 {
		t.Fatalf("want 2 problems, got %d: %v", len(res.Problems), res.Problems)
	}
	for i, want := range []string{"shard 0 (group g000, led by n1) answered no operation called after the kill within 5s (first: never)",
		"no sale called after the kill was acknowledged within 5s (first: 7s)"} {
		if !strings.Contains(res.Problems[i], want) {
			t.Errorf("problem %d: %q, want it to contain %q", i, res.Problems[i], want)
		}
	}
	r := &Result{RegionLoss: res}
	if f := r.Failures(); !slices.ContainsFunc(f, func(f Failure) bool { return f.Check == CheckRegionLoss }) {
		t.Errorf("Failures() %+v does not name %s", f, CheckRegionLoss)
	}
}

func TestCheckRegionLossesFailsARunWithoutAJudgedKill(t *testing.T) {
	losses, seats := regionHistory()
	for _, tc := range []struct {
		name   string
		losses []RegionLoss
		end    int64
		want   string
	}{
		{"never fired", nil, at(60 * time.Second), "never fired"},
		{"too late", losses, at(12 * time.Second), "no region fault was judged"},
	} {
		res := CheckRegionLosses(nil, tc.losses, seats, tc.end, 500*time.Millisecond, true)
		if len(res.Problems) != 1 || !strings.Contains(res.Problems[0], tc.want) {
			t.Errorf("%s: problems %v, want one containing %q", tc.name, res.Problems, tc.want)
		}
	}
	// A cut region is not a killed one: with region-loss among the
	// faults, a run that only cut a region off has not shown a kill.
	cut := slices.Clone(losses)
	cut[0].Partition = true
	history := []Op{{Kind: KindSell, Outcome: OutcomeOK, Seats: []string{"S2-R1-1"}, Call: at(10010 * time.Millisecond), Return: at(10100 * time.Millisecond)}}
	if res := CheckRegionLosses(history, cut, seats, at(60*time.Second), 500*time.Millisecond, true); len(res.Problems) != 1 ||
		!strings.Contains(res.Problems[0], "no region was killed") {
		t.Errorf("only a cut, kill required: problems %v", res.Problems)
	}
	if res := CheckRegionLosses(history, cut, seats, at(60*time.Second), 500*time.Millisecond, false); len(res.Problems) != 0 {
		t.Errorf("only a cut, no kill required: problems %v", res.Problems)
	} else if !strings.Contains(summarize(res), "r1 (n1,n4) cut off at 10s") {
		t.Errorf("summary of a cut:\n%s", summarize(res))
	}
	losses[0].CatchUpError = "not caught up within 1m0s of the restart: group g000: n1 applied 10, the leader had applied 90"
	res := CheckRegionLosses(history, losses, seats, at(60*time.Second), 500*time.Millisecond, true)
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0], "not caught up") {
		t.Errorf("catch-up failure: problems %v", res.Problems)
	}
}

func TestCaughtUpGap(t *testing.T) {
	restarted := []*node{{id: "n1"}, {id: "n4"}}
	groups := map[string][]replicaState{
		"g000": {{node: "n1", applied: 90}, {node: "n2", applied: 95}, {node: "n4", applied: 89}},
		"g001": {{node: "n1", applied: 50}, {node: "n4", applied: 51}},
	}
	target := map[string]uint64{"g000": 90, "g001": 50}
	if gap := caughtUpGap(groups, target, restarted); gap != "group g000: n4 applied 89, the leader had applied 90" {
		t.Fatalf("gap %q", gap)
	}
	groups["g000"][2].applied = 93
	if gap := caughtUpGap(groups, target, restarted); gap != "" {
		t.Fatalf("caught up, but gap %q", gap)
	}
	delete(groups, "g001")
	groups["g002"] = []replicaState{{node: "n4", applied: 3}}
	if gap := caughtUpGap(groups, target, restarted); !strings.Contains(gap, "n1 did not report") {
		t.Fatalf("missing replica, gap %q", gap)
	}
}

func summarize(r RegionLossResult) string {
	var b strings.Builder
	describeRegionLosses(&b, r)
	return b.String()
}
