package jepsen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Simulated regions. With Config.Regions set, node i runs with
// --locality region=R,zone=R-<letter> (its region's nodes get zones a, b,
// ... in node order), every node with the same --testing-region-latency
// table, which delays the peer traffic between regions as the nodes'
// regionlatency.go describes, and --replication-factor
// Config.ReplicationFactor.
//
// The region-loss fault kills every node of one region at once (SIGKILL,
// as a power cut would), keeps the traffic running and measures, from the
// history, how long the event took to sell again: the first sale that was
// called after the kill and acknowledged, in any shard, and the first
// answer of each shard whose leader died. Both must come within
// regionLossBoundTimeouts election timeouts while a majority of every
// group is up, which the fault guarantees by construction: it kills a
// region only if the nodes left are a majority of the cluster, and it
// runs only with every group on every node (RF = nodes), so they are a
// majority of every group too. At the heal it restarts the region's nodes
// and waits until they have caught up: each of their replicas has applied
// what its group's leader had applied once they were back.

// Region faults; they need Config.Regions.
const (
	FaultRegionLoss      = "region-loss"      // kill -9 every node of one region, restart them at the end
	FaultPartitionRegion = "partition-region" // cut one region's nodes from the others' (clients still reach them)
)

// RegionFaults are the fault kinds that need Config.Regions. They are not
// in AllFaults, whose kinds every profile can run.
var RegionFaults = []string{FaultRegionLoss, FaultPartitionRegion}

func isRegionFault(kind string) bool { return slices.Contains(RegionFaults, kind) }

// Bounds of the region-loss fault. The event must sell again, and each
// shard whose leader died must answer again, within
// regionLossBoundTimeouts election timeouts of the kill: a leader's death
// is noticed within one to two heartbeat timeouts, an election takes a
// round trip between regions (more if votes split), and a client's
// attempt at a dead or leaderless node times out after OpTimeout before it
// tries the next. The region's nodes must have caught up within
// regionCatchUpTimeout of their restart.
const (
	regionLossBoundTimeouts = 10
	regionCatchUpTimeout    = 60 * time.Second
)

// regionLossBound is the bound of the region-loss checker for cfg.
func (cfg *Config) regionLossBound() time.Duration {
	return regionLossBoundTimeouts * cfg.raftTimeout()
}

// regionNamePattern is what a region name may be: a locality value the
// nodes accept, kept simple.
var regionNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// locality is node i's --locality (1-based), "" without regions.
func (cfg *Config) locality(i int) string {
	if len(cfg.Regions) < i {
		return ""
	}
	region := cfg.Regions[i-1]
	zone := 0
	for _, r := range cfg.Regions[:i-1] {
		if r == region {
			zone++
		}
	}
	return fmt.Sprintf("region=%s,zone=%s-%c", region, region, 'a'+zone)
}

// validateRegions checks the region settings and that the region faults
// have what they need.
func (cfg *Config) validateRegions() []error {
	var errs []error
	if len(cfg.Regions) > 0 && len(cfg.Regions) != cfg.Nodes {
		errs = append(errs, fmt.Errorf("Regions %v: want one region per node (%d)", cfg.Regions, cfg.Nodes))
	}
	for _, r := range cfg.Regions {
		if !regionNamePattern.MatchString(r) {
			errs = append(errs, fmt.Errorf("Regions: %q is not a region name (a-z, 0-9, -)", r))
		}
	}
	if cfg.RegionLatency != "" && len(cfg.Regions) == 0 {
		errs = append(errs, fmt.Errorf("RegionLatency %q: needs Regions", cfg.RegionLatency))
	}
	if cfg.ReplicationFactor != 0 && cfg.ReplicationFactor != 1 && cfg.ReplicationFactor != 3 && cfg.ReplicationFactor != 5 ||
		cfg.ReplicationFactor > cfg.Nodes {
		errs = append(errs, fmt.Errorf("ReplicationFactor %d: want 0 (the node's default), 1, 3 or 5, at most Nodes (%d)", cfg.ReplicationFactor, cfg.Nodes))
	}
	if i := slices.IndexFunc(cfg.Faults, isRegionFault); i >= 0 {
		kind := cfg.Faults[i]
		if len(cfg.Regions) == 0 {
			errs = append(errs, fmt.Errorf("Faults: %s needs Regions (e.g. -profile ci-regions)", kind))
		} else if len(lossRegions(cfg.Regions)) == 0 {
			errs = append(errs, fmt.Errorf("Regions %v: %s needs a region whose loss leaves a majority of the nodes", cfg.Regions, kind))
		}
		if bound := cfg.regionLossBound(); cfg.FaultMin < bound {
			errs = append(errs, fmt.Errorf("FaultMin %s: %s keeps a region away at least its bound, %d election timeouts (%s)",
				cfg.FaultMin, kind, regionLossBoundTimeouts, bound))
		}
		rf := cfg.ReplicationFactor
		if rf == 0 {
			rf = min(3, cfg.Nodes) // the node's default
		}
		if rf != cfg.Nodes {
			errs = append(errs, fmt.Errorf("ReplicationFactor %d: %s needs every group on every node (%d), so that the nodes left are a majority of every group", rf, kind, cfg.Nodes))
		}
	}
	return errs
}

// lossRegions are the regions region-loss may kill: the largest of those
// whose nodes are fewer than half of the cluster, sorted. In the 2/2/1
// layout of ci-regions these are the two regions of 2 nodes.
func lossRegions(regions []string) []string {
	count := map[string]int{}
	for _, r := range regions {
		count[r]++
	}
	largest := 0
	for _, c := range count {
		if 2*c < len(regions) {
			largest = max(largest, c)
		}
	}
	var out []string
	for r, c := range count {
		if c == largest && 2*c < len(regions) {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// ShardLeader is a shard of the event and the node that led its group when
// a region was killed.
type ShardLeader struct {
	Shard    uint32   `json:"shard"`
	Group    string   `json:"group"`
	Leader   string   `json:"leader"` // "" if no leader was known
	Sections []string `json:"sections,omitempty"`
	Pools    []string `json:"pools,omitempty"`
}

// RegionLoss is one region-loss window: what was killed and when, and what
// the checker (CheckRegionLosses) and the heal measured. Durations count
// from the kill.
type RegionLoss struct {
	Region string   `json:"region"`
	Nodes  []string `json:"nodes"`
	// Partition: the region was cut off from the others (partition-region)
	// rather than killed (region-loss). "The kill" below means either.
	Partition bool          `json:"partition,omitempty"`
	At        int64         `json:"at"`     // ns since the start of the run: just before the signals, or once the cuts are all made
	Shards    []ShardLeader `json:"shards"` // the event's shards and their leaders just before the kill

	// Judged: traffic ran at least the bound after the kill, so silence
	// within it is a failure.
	Judged bool `json:"judged"`
	// FirstSale: the first sale called after the kill was acknowledged
	// this long after it, in any shard; -1: none during traffic.
	FirstSale time.Duration `json:"first_sale"`
	// Leaderless are the shards whose leader was killed: for each, when
	// it first answered an operation called after the kill, and when it
	// first sold. Recovery is the latest first answer among them: how
	// long the worst of them could not serve.
	Leaderless []ShardRecovery `json:"leaderless,omitempty"`
	Recovery   time.Duration   `json:"recovery"`

	// BackAt: when the heal restarted the region's nodes, or ended the
	// cut (ns since the start of the run). ReadyAfter and CaughtUp: how
	// long after that they all answered /readyz and had caught up;
	// CatchUpError instead if they did not.
	BackAt       int64         `json:"back_at,omitempty"`
	ReadyAfter   time.Duration `json:"ready_after,omitempty"`
	CaughtUp     time.Duration `json:"caught_up,omitempty"`
	CatchUpError string        `json:"catch_up_error,omitempty"`
}

// ShardRecovery is how a shard whose leader was killed came back.
type ShardRecovery struct {
	Shard  uint32 `json:"shard"`
	Group  string `json:"group"`
	Leader string `json:"leader"` // the killed leader
	// FirstAnswer: the first operation on the shard called after the kill
	// that the group answered (an acknowledged hold, sale or release, a
	// refusal from its state machine such as SEAT_UNAVAILABLE, or a
	// linearizable read, all of which need a leader with a quorum) came
	// back this long after the kill; FirstSale the first acknowledged
	// sale. -1: none during traffic.
	FirstAnswer time.Duration `json:"first_answer"`
	FirstSale   time.Duration `json:"first_sale"`
}

// RegionLossResult is what the region-loss checker found.
type RegionLossResult struct {
	Enabled         bool          `json:"enabled"` // region-loss was among the faults
	ElectionTimeout time.Duration `json:"election_timeout"`
	Bound           time.Duration `json:"bound"` // regionLossBoundTimeouts election timeouts
	Losses          []RegionLoss  `json:"losses"`
	Problems        []string      `json:"problems,omitempty"`
}

// verb says what happened to the region.
func (l *RegionLoss) verb() string {
	if l.Partition {
		return "cut off"
	}
	return "killed"
}

func (r RegionLossResult) valid() bool { return !r.Enabled || len(r.Problems) == 0 }

// CheckRegionLosses measures, for each region kill, how long the event took
// to sell again and each shard whose leader died to answer again, and
// fails the run if either took longer than bound, if the region did not
// catch up, or if no kill (requireKill: region-loss was among the faults;
// otherwise no cut either) was judged: the nemesis never fired, or only
// too close to the end of the traffic. The bound is regionLossBoundTimeouts
// times the nodes' electionTimeout. Shards are the ones the kill saw, each
// with its sections and pools; seatSection maps the event's seats to their
// sections; trafficEnd is when traffic ended (ns since the start). A shard
// that answered nothing in the bound before the kill (no client used it)
// is not judged.
func CheckRegionLosses(history []Op, losses []RegionLoss, seatSection map[string]string, trafficEnd int64, electionTimeout time.Duration, requireKill bool) RegionLossResult {
	bound := regionLossBoundTimeouts * electionTimeout
	res := RegionLossResult{Enabled: true, ElectionTimeout: electionTimeout, Bound: bound}
	for _, loss := range losses {
		loss.FirstSale, loss.Recovery, loss.Leaderless = -1, 0, nil
		loss.Judged = trafficEnd >= loss.At+int64(bound)
		shardOf := map[string]uint32{}
		for _, s := range loss.Shards {
			for _, sec := range s.Sections {
				shardOf["section "+sec] = s.Shard
			}
			for _, p := range s.Pools {
				shardOf["pool "+p] = s.Shard
			}
		}
		answeredBefore := map[uint32]bool{}
		firstAnswer := map[uint32]int64{}
		firstSale := map[uint32]int64{}
		earliest := func(m map[uint32]int64, shard uint32, after int64) {
			if first, ok := m[shard]; !ok || after < first {
				m[shard] = after
			}
		}
		for i := range history {
			op := &history[i]
			if op.wasUnknown() || !answeredByGroup(op) {
				continue
			}
			shard, known := opShard(op, seatSection, shardOf)
			if op.Return < loss.At && op.Return >= loss.At-int64(bound) && known {
				answeredBefore[shard] = true
			}
			if op.Call < loss.At {
				continue
			}
			after := op.Return - loss.At
			sale := op.Kind == KindSell && op.Outcome == OutcomeOK
			if sale && (loss.FirstSale < 0 || after < int64(loss.FirstSale)) {
				loss.FirstSale = time.Duration(after)
			}
			if known {
				earliest(firstAnswer, shard, after)
				if sale {
					earliest(firstSale, shard, after)
				}
			}
		}
		where := fmt.Sprintf("region %s (%s) %s at %s", loss.Region, strings.Join(loss.Nodes, ","), loss.verb(), time.Duration(loss.At).Round(time.Millisecond))
		for _, s := range loss.Shards {
			if !slices.Contains(loss.Nodes, s.Leader) || !answeredBefore[s.Shard] {
				continue
			}
			rec := ShardRecovery{Shard: s.Shard, Group: s.Group, Leader: s.Leader, FirstAnswer: -1, FirstSale: -1}
			if first, ok := firstAnswer[s.Shard]; ok {
				rec.FirstAnswer = time.Duration(first)
				loss.Recovery = max(loss.Recovery, rec.FirstAnswer)
			}
			if first, ok := firstSale[s.Shard]; ok {
				rec.FirstSale = time.Duration(first)
			}
			loss.Leaderless = append(loss.Leaderless, rec)
			if loss.Judged && (rec.FirstAnswer < 0 || rec.FirstAnswer > bound) {
				res.Problems = append(res.Problems, fmt.Sprintf("%s: shard %d (group %s, led by %s) answered no operation called after the kill within %s (first: %s)",
					where, s.Shard, s.Group, s.Leader, bound, describeWait(rec.FirstAnswer)))
			}
		}
		if loss.Judged && (loss.FirstSale < 0 || loss.FirstSale > bound) {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: no sale called after the kill was acknowledged within %s (first: %s)",
				where, bound, describeWait(loss.FirstSale)))
		}
		if loss.CatchUpError != "" {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: %s", where, loss.CatchUpError))
		}
		res.Losses = append(res.Losses, loss)
	}
	counts := func(l RegionLoss) bool { return !requireKill || !l.Partition }
	if !slices.ContainsFunc(res.Losses, func(l RegionLoss) bool { return l.Judged && counts(l) }) {
		problem := "the region nemesis never fired: no region was killed or cut off"
		if requireKill {
			problem = "the region-loss nemesis never fired: no region was killed"
		}
		if slices.ContainsFunc(res.Losses, counts) {
			problem = fmt.Sprintf("no region fault was judged: each came less than %s before traffic ended", bound)
		}
		res.Problems = append(res.Problems, problem)
	}
	return res
}

// answeredByGroup reports whether op's answer came from its group's
// leader: an acknowledged hold, sale or release, a refusal with a reason
// (the state machine's, such as SEAT_UNAVAILABLE or HOLD_EXPIRED), or an
// answered linearizable read. Refunds ask every shard and are left out.
func answeredByGroup(op *Op) bool {
	switch op.Kind {
	case KindHold, KindHoldBest, KindHoldGA, KindSell, KindRelease:
		return op.Outcome == OutcomeOK || op.Outcome == OutcomeFail && op.Reason != ""
	case KindRead:
		return op.Outcome == OutcomeOK
	}
	return false
}

// opShard is the shard op acted on: its seats' section, its section, or
// for GA operations (no seats, no section) the event's pool; known is
// false if the shard map lacks it.
func opShard(op *Op, seatSection map[string]string, shardOf map[string]uint32) (shard uint32, known bool) {
	key := "pool " + poolID
	switch {
	case len(op.Seats) > 0:
		key = "section " + seatSection[op.Seats[0]]
	case op.Section != "":
		key = "section " + op.Section
	}
	shard, known = shardOf[key]
	return shard, known
}

// seatSections maps every seat of the event to its section.
func (ev event) seatSections() map[string]string {
	out := map[string]string{}
	for section, rows := range ev.rows {
		for _, row := range rows {
			for _, seat := range row {
				out[seat] = section
			}
		}
	}
	return out
}

// regionLossList returns the region kills so far.
func (n *nemesis) regionLossList() []RegionLoss {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]RegionLoss, len(n.regionLosses))
	for i, l := range n.regionLosses {
		out[i] = *l
	}
	return out
}

// injectRegionLoss kills, at once, every node of a region drawn with rng
// (seeded by the window's pick) among lossRegions, and returns the heal
// that restarts them and waits until they have caught up.
func (n *nemesis) injectRegionLoss(ctx context.Context, rng *rand.Rand) (heal func() error, desc string, err error) {
	c := n.cluster
	region, targets, ids := n.drawRegion(rng)
	desc = fmt.Sprintf("kill -9 region %s (%s)", region, strings.Join(ids, ","))
	for _, t := range targets {
		if !t.running() {
			return nil, desc, fmt.Errorf("%s is not running", t.id)
		}
	}
	shards := n.shardLeaders(ctx)
	// Read the counters first, so that the signals leave together.
	var wg sync.WaitGroup
	for _, t := range targets {
		wg.Go(func() { c.collectCounters(t) })
	}
	wg.Wait()
	loss := &RegionLoss{Region: region, Nodes: ids, At: n.now(), Shards: shards}
	errs := make([]error, len(targets))
	for i, t := range targets {
		wg.Go(func() { errs[i] = c.signal(t, syscall.SIGKILL) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		// Restart what was killed; the loss is not recorded.
		return func() error { return n.restartAll(targets) }, desc, err
	}
	return n.recordRegionLoss(loss, targets, func() error { return n.restartAll(targets) }), desc + ledShards(shards, ids), nil
}

// injectRegionPartition cuts every node of a region drawn as for
// region-loss from every node of the other regions (clients still reach
// them), and returns the heal that ends the cut and waits until they have
// caught up.
func (n *nemesis) injectRegionPartition(ctx context.Context, rng *rand.Rand) (heal func() error, desc string, err error) {
	c := n.cluster
	region, targets, ids := n.drawRegion(rng)
	desc = fmt.Sprintf("cut region %s (%s) off", region, strings.Join(ids, ","))
	shards := n.shardLeaders(ctx)
	for _, t := range targets {
		for _, other := range c.nodes {
			if slices.Contains(targets, other) {
				continue
			}
			if err := c.net.cut(t.index, other.index); err != nil {
				return c.net.healAll, desc, err
			}
		}
	}
	// The cuts are made pair by pair (a route each, some tens of ms): an
	// operation called before the last one may still commit through it,
	// so the cut counts from when it is complete.
	loss := &RegionLoss{Region: region, Nodes: ids, Partition: true, At: n.now(), Shards: shards}
	return n.recordRegionLoss(loss, targets, c.net.healAll), desc + ledShards(shards, ids), nil
}

// drawRegion draws the region of a region fault among lossRegions: its
// name, nodes and node ids.
func (n *nemesis) drawRegion(rng *rand.Rand) (region string, targets []*node, ids []string) {
	candidates := lossRegions(n.cfg.Regions)
	region = candidates[rng.IntN(len(candidates))]
	for i, r := range n.cfg.Regions {
		if r == region {
			targets = append(targets, n.cluster.nodes[i])
			ids = append(ids, n.cluster.nodes[i].id)
		}
	}
	return region, targets, ids
}

// ledShards describes the shards that nodes ids led, for a fault's
// description.
func ledShards(shards []ShardLeader, ids []string) string {
	var led []string
	for _, s := range shards {
		if slices.Contains(ids, s.Leader) {
			led = append(led, fmt.Sprintf("%d(%s)", s.Shard, s.Group))
		}
	}
	if len(led) == 0 {
		return ""
	}
	return "; it led shards " + strings.Join(led, " ")
}

// recordRegionLoss records loss and returns its heal: undo (restart the
// region, or end the cut), then wait until the region's nodes have caught
// up, and record when and how long that took.
func (n *nemesis) recordRegionLoss(loss *RegionLoss, targets []*node, undo func() error) func() error {
	n.mu.Lock()
	n.regionLosses = append(n.regionLosses, loss)
	n.mu.Unlock()
	return func() error {
		err := undo()
		back := n.now()
		ready, took, catchUpErr := n.waitCaughtUp(context.Background(), targets, regionCatchUpTimeout)
		n.mu.Lock()
		loss.BackAt, loss.ReadyAfter = back, ready
		if err = errors.Join(err, catchUpErr); err != nil {
			loss.CatchUpError = err.Error()
		} else {
			loss.CaughtUp = took
		}
		n.mu.Unlock()
		if err == nil {
			n.logf("nemesis: region %s (%s) ready %s and caught up %s after it was back", loss.Region, strings.Join(loss.Nodes, ","),
				ready.Round(time.Millisecond), took.Round(time.Millisecond))
		}
		return err
	}
}

// restartAll starts every node of targets that is not running.
func (n *nemesis) restartAll(targets []*node) error {
	var errs []error
	for _, t := range targets {
		if !t.running() {
			errs = append(errs, n.cluster.start(t))
		}
	}
	return errors.Join(errs...)
}

// shardLeaders asks running nodes in turn for the event's routing: each
// shard, its group, the node leading it, its sections and pools.
func (n *nemesis) shardLeaders(ctx context.Context) []ShardLeader {
	for _, nd := range n.cluster.nodes {
		if !nd.running() {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := n.cluster.clusterAPI(nd.index).Routing(cctx, &boxofficev1.RoutingRequest{EventId: n.eventID})
		cancel()
		if err != nil || len(resp.GetShards()) == 0 {
			continue
		}
		var out []ShardLeader
		for _, s := range resp.GetShards() {
			out = append(out, ShardLeader{Shard: s.GetShard(), Group: s.GetGroupId(), Leader: s.GetLeaderNodeId(),
				Sections: s.GetSectionIds(), Pools: s.GetPoolIds()})
		}
		return out
	}
	return nil
}

// waitCaughtUp waits until the restarted nodes answer /readyz and each of
// their replicas has applied at least what its group's leader had applied
// when they were first all ready (read then from the leader itself). Under
// traffic the indexes never stand still, so "equal to the leader's" is
// checked as "reached the leader's index of a moment after the restart":
// the replica has replayed or installed everything it missed while down.
// Every poll also compares the state hashes of replicas at equal indexes;
// a difference is an error at once. It returns how long after the call
// the nodes were all ready, and had all caught up.
func (n *nemesis) waitCaughtUp(ctx context.Context, restarted []*node, timeout time.Duration) (readyAfter, caughtUp time.Duration, err error) {
	c := n.cluster
	began := time.Now()
	deadline := began.Add(timeout)
	var target map[string]uint64 // group -> leader's applied index
	gap := "not ready"
	for time.Now().Before(deadline) {
		ready := true
		for _, t := range restarted {
			if !c.ready(ctx, t) {
				ready, gap = false, t.id+" not ready"
				break
			}
		}
		if ready {
			if readyAfter == 0 {
				readyAfter = time.Since(began)
			}
			groups, leaders := n.replicaStates(ctx)
			if mismatches, _, _ := compareReplicas(groups); len(mismatches) > 0 {
				return readyAfter, 0, fmt.Errorf("while catching up: %s", mismatches[0])
			}
			if target == nil && len(leaders) > 0 && len(leaders) == len(groups) {
				target = leaders
			}
			if target != nil {
				gap = caughtUpGap(groups, target, restarted)
				if gap == "" {
					return readyAfter, time.Since(began), nil
				}
			} else {
				gap = fmt.Sprintf("%d of %d groups have a leader that answers", len(leaders), len(groups))
			}
		}
		if !sleepCtx(ctx, 200*time.Millisecond) {
			return readyAfter, 0, ctx.Err()
		}
	}
	return readyAfter, 0, fmt.Errorf("not caught up within %s of the restart: %s", timeout, gap)
}

// caughtUpGap says which restarted replica has not yet applied its group's
// target index; "" when none.
func caughtUpGap(groups map[string][]replicaState, target map[string]uint64, restarted []*node) string {
	ids := make([]string, 0, len(groups))
	for g := range groups {
		ids = append(ids, g)
	}
	sort.Strings(ids)
	for _, g := range ids {
		for _, t := range restarted {
			i := slices.IndexFunc(groups[g], func(r replicaState) bool { return r.node == t.id })
			if i < 0 {
				return fmt.Sprintf("group %s: %s did not report its replica", g, t.id)
			}
			if r := groups[g][i]; r.applied < target[g] {
				return fmt.Sprintf("group %s: %s applied %d, the leader had applied %d", g, t.id, r.applied, target[g])
			}
		}
	}
	return ""
}

// replicaStates asks every running node for its own replicas (with state
// hashes): each group's replicas, and the applied index of each group's
// leader, as the leader reports it.
func (n *nemesis) replicaStates(ctx context.Context) (map[string][]replicaState, map[string]uint64) {
	c := n.cluster
	groups := map[string][]replicaState{}
	leaders := map[string]uint64{}
	for _, nd := range c.nodes {
		if !nd.running() {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := c.clusterAPI(nd.index).Status(cctx, &boxofficev1.StatusRequest{LocalOnly: true, IncludeStateHashes: true})
		cancel()
		if err != nil {
			continue
		}
		for _, g := range resp.GetGroups() {
			for _, r := range g.GetReplicas() {
				if r.GetNodeId() != nd.id {
					continue
				}
				groups[g.GetGroupId()] = append(groups[g.GetGroupId()], replicaState{nd.id, r.GetAppliedIndex(), r.GetStateHashIndex(), r.GetStateHash()})
				if r.GetRaftState() == "Leader" {
					leaders[g.GetGroupId()] = r.GetAppliedIndex()
				}
			}
		}
	}
	return groups, leaders
}

// describeRegionLosses is the summary's region-loss section.
func describeRegionLosses(b *strings.Builder, r RegionLossResult) {
	if !r.Enabled {
		return
	}
	kills, cuts, judged := 0, 0, 0
	for _, l := range r.Losses {
		if l.Partition {
			cuts++
		} else {
			kills++
		}
		if l.Judged {
			judged++
		}
	}
	fmt.Fprintf(b, "region loss: %d region kills, %d regions cut off (%d judged); bound for the first sale and each leaderless shard's first answer: %s (%d election timeouts)\n",
		kills, cuts, judged, r.Bound, regionLossBoundTimeouts)
	for _, l := range r.Losses {
		fmt.Fprintf(b, "  %s (%s) %s at %s: first sale after %s",
			l.Region, strings.Join(l.Nodes, ","), l.verb(), time.Duration(l.At).Round(time.Millisecond), describeWait(l.FirstSale))
		if len(l.Leaderless) > 0 {
			var shards []string
			for _, s := range l.Leaderless {
				shards = append(shards, fmt.Sprintf("%d: %s, sale %s", s.Shard, describeWait(s.FirstAnswer), describeWait(s.FirstSale)))
			}
			fmt.Fprintf(b, "; the shards it led answered after %s (%.1f election timeouts) [%s]",
				describeWait(l.Recovery), float64(l.Recovery)/float64(r.ElectionTimeout), strings.Join(shards, "; "))
		}
		switch {
		case l.CatchUpError != "":
			fmt.Fprintf(b, "; CATCH-UP FAILED: %s", l.CatchUpError)
		case l.BackAt > 0:
			fmt.Fprintf(b, "; back at %s, ready after %s, caught up after %s", time.Duration(l.BackAt).Round(time.Millisecond),
				l.ReadyAfter.Round(time.Millisecond), l.CaughtUp.Round(time.Millisecond))
		}
		if !l.Judged {
			fmt.Fprintf(b, " (not judged: traffic ended within the bound)")
		}
		b.WriteString("\n")
	}
	for _, p := range r.Problems {
		fmt.Fprintf(b, "  REGION LOSS FAILED: %s\n", p)
	}
}

func describeWait(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return d.Round(time.Millisecond).String()
}
