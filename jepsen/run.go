package jepsen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/anishathalye/porcupine"
	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	boxcluster "github.com/boxoffice/boxoffice/cluster"
)

// Config is one run. Zero fields take the CI profile's values (see
// Profiles and README.md, which documents every field as a flag).
type Config struct {
	Profile  string
	Nodes    int           // 3 or 5
	Clients  int           // concurrent clients, one request at a time each
	Duration time.Duration // of traffic and faults
	Seed     int64
	Faults   []string // fault kinds to draw from; empty: none

	QuietMin           time.Duration // healthy time before a fault: QuietMin..2×QuietMin
	FaultMin, FaultMax time.Duration // length of a fault window
	CombineProbability float64       // chance a window injects two faults at once
	ClockOffsetMax     time.Duration // |offset| of the clock fault, 1s..this

	OpTimeout    time.Duration // per attempt
	Attempts     int           // per operation, same request id each time
	CheckTimeout time.Duration // porcupine's budget (a timeout is a failure)

	Sections, Rows, SeatsPerRow int // the contended event

	OutDir string // a run folder is created inside
	Binary string // prebuilt boxoffice binary; empty: go build it

	// Network is where the nodes run: NetworkAuto (empty) picks
	// NetworkNamespace as root and NetworkLoopback otherwise; the other
	// two force one (namespace fails without root).
	Network string

	// Gateways is the number of gateway processes of the purchase
	// workload (0: no purchase workload); Fans its concurrent fans.
	Gateways, Fans int

	// Regions is the region of each node (Regions[i] of node i+1), which
	// runs with --locality region=R,zone=R-<a, b, ...>; empty: no
	// localities. RegionLatency is every node's --testing-region-latency
	// ("a=b:40ms,..."; empty: none) and ReplicationFactor its
	// --replication-factor (0: the node's default). See regions.go.
	Regions           []string
	RegionLatency     string
	ReplicationFactor int
	// RaftTimeout is every node's --raft-heartbeat-timeout and
	// --raft-election-timeout (0: defaultRaftTimeout). Faults that restart
	// a node with other timeouts (stale-read) say so.
	RaftTimeout time.Duration
	// LeaderLease is every node's --raft-leader-lease-timeout (0: the
	// node's default, half the heartbeat timeout). A leader steps down when
	// it has not heard from a quorum for that long, so it must exceed the
	// round trip to the farthest member of the nearest quorum: with
	// regions, the quorum left after a region loss may span the two
	// farthest regions (regions.go).
	LeaderLease time.Duration

	UnsafeReads bool                // start nodes with --testing-unsafe-reads (negative control)
	NodeFlags   map[string][]string // extra flags per node id

	// Replay overrides the printed replay command (tests).
	Replay string

	// Logf receives progress lines; nil: stderr.
	Logf func(format string, args ...any)

	// plans overrides who talks to which node, doing what (tests).
	plans func(c *cluster, ev event) func(client int) clientPlan
	// ready runs once the event exists, before traffic (tests).
	ready func(ctx context.Context, c *cluster, ev *event) error
	// tamper runs once the fans are done, before the purchase checks
	// (tests plant a violation with it).
	tamper func(ctx context.Context, s *shop) error
}

// Networks (Config.Network).
const (
	NetworkAuto      = ""          // namespace as root, loopback otherwise
	NetworkNamespace = "namespace" // network namespaces, blackhole-route partitions (root)
	NetworkLoopback  = "loopback"  // 127.0.0.x, partitions by a peer-port proxy (see loopback.go)
)

// Profiles are named defaults; flags override single fields.
var Profiles = map[string]Config{
	"ci": {Nodes: 3, Clients: 40, Duration: 240 * time.Second, Faults: []string{FaultPartitionOne, FaultPartitionLeader,
		FaultPartitionHalves, FaultPartitionBridge, FaultKill, FaultPause, FaultClock, FaultMembership,
		FaultDiskFull, FaultCorruptLog, FaultGatewayKill, FaultGatewayPause, FaultPaymentFaults,
		FaultStaleRead, FaultSlowNet, FaultLossyNet, FaultPartitionOneWay},
		QuietMin: 3 * time.Second, FaultMin: 4 * time.Second, FaultMax: 8 * time.Second, CombineProbability: 0.2,
		ClockOffsetMax: 5 * time.Second, OpTimeout: time.Second, Attempts: 3, CheckTimeout: 60 * time.Second,
		Sections: 14, Rows: 3, SeatsPerRow: 8, Gateways: 2, Fans: 48},
	"long": {Nodes: 5, Clients: 20, Duration: 10 * time.Minute, Faults: AllFaults,
		QuietMin: 4 * time.Second, FaultMin: 5 * time.Second, FaultMax: 15 * time.Second, CombineProbability: 0.3,
		ClockOffsetMax: 10 * time.Second, OpTimeout: time.Second, Attempts: 3, CheckTimeout: 5 * time.Minute,
		Sections: 4, Rows: 3, SeatsPerRow: 8, Gateways: 2, Fans: 48},
	// ci-regions: RF=5 over three simulated regions, 2/2/1, with n1, n2
	// and n3 in three regions; region-loss kills r1 or r2 (2 nodes), first
	// and again later, partition-region cuts one of them off.
	"ci-regions": {Nodes: 5, Clients: 30, Duration: 75 * time.Second, Faults: []string{FaultRegionLoss, FaultPartitionRegion},
		QuietMin: 5 * time.Second, FaultMin: 10 * time.Second, FaultMax: 14 * time.Second, CombineProbability: 0,
		ClockOffsetMax: 5 * time.Second, OpTimeout: time.Second, Attempts: 3, CheckTimeout: 60 * time.Second,
		Sections: 10, Rows: 3, SeatsPerRow: 8, Gateways: 0, Fans: 48,
		Regions: []string{"r1", "r2", "r3", "r1", "r2"}, RegionLatency: "r1=r2:40ms,r2=r3:75ms,r1=r3:120ms", ReplicationFactor: 5,
		RaftTimeout: time.Second},
}

// Result is what a run found.
type Result struct {
	Dir             string
	Network         string    // where the nodes ran and what partitions cut
	Start           time.Time // traffic start; Op and Fault times count from it
	Seed            int64
	History         []Op
	Faults          []Fault
	Linearizability LinearizabilityResult
	Invariants      InvariantResult
	Resend          ResendResult   // unknown mutations re-sent after healing
	Retries         RetryResult    // acknowledged mutations retried and compared
	Convergence     []string       // replica hash mismatches, or a failure to converge
	HashComparisons int            // pairs of replica state hashes compared at equal indexes
	Counters        Counters       // snapshots taken and installed, holds expired (counters.go)
	FaultChecks     []string       // what a fault expected of the nodes and did not get (corrupt-log)
	Purchase        PurchaseResult // the purchase workload and its money checkers
	Proxy           ProxyStats     // what the peer proxy's link faults did
	RegionLoss      RegionLossResult
	Setup           error // the run could not be carried out
	Replay          string
}

// Undecided reports whether the only failure is that the linearizability
// checker ran out of time on some seats.
func (r *Result) Undecided() bool {
	return r.Setup == nil && r.Linearizability.Verdict == porcupine.Unknown &&
		len(r.Invariants.Violations) == 0 && len(r.Convergence) == 0 && r.Retries.Mismatches == 0 &&
		len(r.FaultChecks) == 0 && r.Purchase.valid() && r.RegionLoss.valid()
}

// Valid reports whether every checker passed: also, at least one retry
// of an acknowledged mutation was compared, and every one got the first
// answer.
func (r *Result) Valid() bool {
	return r.Setup == nil && r.Linearizability.Verdict == porcupine.Ok &&
		len(r.Invariants.Violations) == 0 && len(r.Convergence) == 0 && r.Retries.valid() &&
		r.Counters.valid() && len(r.FaultChecks) == 0 && r.Purchase.valid() && r.RegionLoss.valid()
}

func (r RetryResult) valid() bool { return r.Compared > 0 && r.Mismatches == 0 }

const (
	eventID          = "jepsen"
	readyTimeout     = 60 * time.Second
	convergeTimeout  = 60 * time.Second
	holdExpiryBound  = 10 * time.Second // sweep interval, clock offsets, slack
	createEventLimit = 60 * time.Second
)

// Run starts a cluster, runs traffic and faults, heals, checks, writes
// the report folder, and cleans up every process and namespace it made,
// also on SIGINT/SIGTERM. The error is non-nil only if the run could not
// be carried out; violations are in the Result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Logf == nil {
		cfg.Logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, "jepsen: "+format+"\n", args...) }
	}
	if cfg.Seed == 0 {
		cfg.Seed = time.Now().UnixNano() % 1_000_000_000
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir := filepath.Join(cfg.OutDir, fmt.Sprintf("%s-%s-seed%d", time.Now().Format("20060102-150405"), cfg.Profile, cfg.Seed))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	res := &Result{Dir: dir, Seed: cfg.Seed, Replay: cfg.replayCommand()}
	binary := cfg.Binary
	if binary == "" {
		binary = filepath.Join(dir, "boxoffice")
		cfg.Logf("building %s", binary)
		build := exec.CommandContext(ctx, "go", "build", "-o", binary, "./cmd/boxoffice")
		build.Dir = moduleRoot()
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build: %w: %s", err, out)
		}
	}

	nw, err := newNetwork(&cfg)
	if err != nil {
		return nil, err
	}
	res.Network = nw.describe()
	cfg.Logf("network: %s", res.Network)
	defer func() {
		if err := nw.close(); err != nil {
			cfg.Logf("cleanup network: %v", err)
		}
	}()
	c, err := newCluster(&cfg, nw, binary, dir, cfg.Logf)
	if err != nil {
		return nil, err
	}
	defer c.stopAll() // before the network closes (defers run in reverse)

	runErr := run(ctx, &cfg, c, res)
	res.Setup = runErr
	if err := writeReport(&cfg, res); err != nil {
		cfg.Logf("report: %v", err)
	}
	return res, nil
}

// newNetwork builds the network cfg.Network asks for.
func newNetwork(cfg *Config) (network, error) {
	root := os.Geteuid() == 0
	switch {
	case cfg.Network == NetworkNamespace || (cfg.Network == NetworkAuto && root):
		if !root {
			return nil, errors.New("network namespace: needs root (use -network loopback)")
		}
		ns, err := newNamespaceNetwork(cfg.Nodes)
		if err != nil {
			return nil, fmt.Errorf("network namespaces: %w", err)
		}
		return ns, nil
	default:
		lo, err := newLoopbackNetwork(cfg.Nodes, root)
		if err != nil {
			return nil, fmt.Errorf("loopback network: %w", err)
		}
		return lo, nil
	}
}

func run(ctx context.Context, cfg *Config, c *cluster, res *Result) error {
	cfg.Logf("starting %d nodes", cfg.Nodes)
	for _, n := range c.nodes {
		if err := c.start(n); err != nil {
			return err
		}
	}
	if err := c.waitReady(ctx, readyTimeout); err != nil {
		return err
	}
	ev, err := createEvent(ctx, cfg, c)
	if err != nil {
		return err
	}
	if cfg.ready != nil {
		if err := cfg.ready(ctx, c, &ev); err != nil {
			return err
		}
	}
	var sh *shop
	if cfg.Gateways > 0 {
		if sh, err = startShop(ctx, cfg, c, c.binary, res.Dir); err != nil {
			return err
		}
		defer sh.stop()
		cfg.Logf("shop ready: %d gateways, %d fans, event %s", cfg.Gateways, cfg.Fans, shopEventID)
	}
	cfg.Logf("event %s ready: %d sections; traffic for %s with %d clients, faults %v", ev.id, len(ev.sections), cfg.Duration, cfg.Clients, cfg.Faults)

	start := time.Now()
	res.Start = start
	w := &workload{cfg: cfg, cluster: c, event: ev, start: start}
	w.plans = func(int) clientPlan {
		all := make([]int, cfg.Nodes)
		for i := range all {
			all[i] = i + 1
		}
		return clientPlan{nodes: all, mix: DefaultMix, sections: ev.sections}
	}
	if cfg.plans != nil {
		w.plans = cfg.plans(c, ev)
	}
	nem := &nemesis{cfg: cfg, cluster: c, eventID: ev.id, now: w.now, logf: cfg.Logf, shop: sh}
	trafficCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	finishCtx, cancelFinish := context.WithCancel(ctx)
	defer cancelFinish()
	var fansDone chan struct{}
	if sh != nil {
		sh.start = start
		fansDone = sh.run(trafficCtx, finishCtx)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		nem.run(trafficCtx, buildSchedule(cfg))
	}()
	w.run(trafficCtx, ctx)
	<-done

	cfg.Logf("traffic over: %d operations, %d mutations with unknown outcome; healing", len(w.history), len(w.unknown))
	nem.healActive()
	res.Faults = nem.faultLog()
	res.FaultChecks = nem.problemList()
	res.Proxy = c.net.proxyStats()
	if slices.ContainsFunc(cfg.Faults, isRegionFault) {
		res.RegionLoss = CheckRegionLosses(w.history, nem.regionLossList(), ev.seatSections(), int64(cfg.Duration), cfg.raftTimeout(),
			slices.Contains(cfg.Faults, FaultRegionLoss))
		writeJSON(filepath.Join(res.Dir, "region-loss.json"), res.RegionLoss)
		for _, l := range res.RegionLoss.Losses {
			cfg.Logf("region %s %s at %s: first sale after %s, in the shards it led after %s; caught up %s after it was back %s",
				l.Region, l.verb(), time.Duration(l.At).Round(time.Millisecond), describeWait(l.FirstSale), describeWait(l.Recovery),
				l.CaughtUp.Round(time.Millisecond), l.CatchUpError)
		}
	}
	res.History = w.history
	res.Retries = w.retries
	if err := healEverything(c); err != nil {
		cfg.Logf("heal: %v", err)
	}
	purchaseDone := make(chan struct{})
	if sh != nil {
		if err := sh.afterHeal(); err != nil {
			cfg.Logf("heal gateways: %v", err)
		}
		// Fans finish the purchase in hand within shopFinishLimit.
		stopFans := time.AfterFunc(shopFinishLimit, cancelFinish)
		defer stopFans.Stop()
		go func() {
			defer close(purchaseDone)
			res.Purchase = sh.finish(ctx, fansDone, cfg.Duration, res.Dir)
		}()
	} else {
		close(purchaseDone)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	if err := c.waitReady(ctx, readyTimeout); err != nil {
		res.Convergence = append(res.Convergence, err.Error())
	}
	// Before convergence and the final reads: a re-send may execute now.
	res.Resend = w.resendUnknown(ctx)
	if res.Resend.Unknown > 0 {
		cfg.Logf("re-sent %d unknown mutations in %s (%d rounds): %d ok, %d refused, %d still unknown",
			res.Resend.Unknown, res.Resend.Elapsed.Round(time.Millisecond), res.Resend.Rounds, res.Resend.OK, res.Resend.Fail, res.Resend.StillUnknown)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	convergence, compared := converge(ctx, c)
	res.Convergence = append(res.Convergence, convergence...)
	res.HashComparisons = compared
	finals, problems := finalStates(ctx, c, ev)
	res.Convergence = append(res.Convergence, problems...)
	writeJSON(filepath.Join(res.Dir, "final-states.json"), finals)
	res.Counters = c.collectAllCounters()
	writeJSON(filepath.Join(res.Dir, "counters.json"), res.Counters)
	cfg.Logf("store counters: snapshots taken %d, installed %d; holds swept %d", res.Counters.Total.SnapshotsTaken,
		res.Counters.Total.SnapshotsInstalled, res.Counters.Total.HoldsSwept)

	<-purchaseDone
	if sh != nil {
		cfg.Logf("purchases: %d orders, %d paid, %d money-check violations", res.Purchase.Orders, res.Purchase.Paid, res.Purchase.Violations())
	}
	cfg.Logf("checking %d operations", len(w.history))
	res.Invariants = CheckFinal(w.history, finals, holdExpiryBound+cfg.ClockOffsetMax)
	MarkCertainExpiry(w.history, res.Faults, cfg.ClockOffsetMax)
	lin, bySeat := CheckLinearizable(w.history, observedHolders(w.history, finals), cfg.CheckTimeout)
	res.Linearizability = lin
	cfg.Logf("linearizability: %s, %d operations over %d seats in %s", verdictName(lin.Verdict), lin.Operations, lin.Seats, lin.Elapsed.Round(time.Millisecond))
	seats := append(append([]string(nil), lin.Illegal...), lin.TimedOut...)
	if len(seats) == 0 {
		for seat := range bySeat {
			seats = append(seats, seat)
		}
		seats = sampleSeats(seats, 8)
	}
	if len(seats) > 8 {
		seats = seats[:8]
	}
	if err := Visualize(filepath.Join(res.Dir, "linearizability.html"), bySeat, seats, res.Faults, 30*time.Second); err != nil {
		cfg.Logf("visualize: %v", err)
	}
	return nil
}

// defaultRaftTimeout is the nodes' heartbeat and election timeout unless
// Config.RaftTimeout says otherwise: short, so that faults resolve fast.
const defaultRaftTimeout = 500 * time.Millisecond

// raftTimeout is the nodes' heartbeat and election timeout.
func (cfg *Config) raftTimeout() time.Duration {
	if cfg.RaftTimeout > 0 {
		return cfg.RaftTimeout
	}
	return defaultRaftTimeout
}

func (cfg *Config) validate() error {
	var errs []error
	if cfg.Nodes != 3 && cfg.Nodes != 5 {
		errs = append(errs, fmt.Errorf("Nodes %d: want 3 or 5", cfg.Nodes))
	}
	if cfg.Clients < 1 || cfg.Clients > 200 {
		errs = append(errs, fmt.Errorf("Clients %d: want 1..200", cfg.Clients))
	}
	if cfg.Duration <= 0 || cfg.Duration > time.Hour {
		errs = append(errs, fmt.Errorf("Duration %s: want (0, 1h]", cfg.Duration))
	}
	if cfg.Attempts < 1 || cfg.Attempts > 10 {
		errs = append(errs, fmt.Errorf("Attempts %d: want 1..10", cfg.Attempts))
	}
	if cfg.OpTimeout <= 0 || cfg.CheckTimeout <= 0 {
		errs = append(errs, fmt.Errorf("OpTimeout %s, CheckTimeout %s: want > 0", cfg.OpTimeout, cfg.CheckTimeout))
	}
	if cfg.FaultMin <= 0 || cfg.FaultMax < cfg.FaultMin || cfg.QuietMin <= 0 {
		errs = append(errs, fmt.Errorf("QuietMin %s, FaultMin %s, FaultMax %s: want 0 < FaultMin <= FaultMax, QuietMin > 0", cfg.QuietMin, cfg.FaultMin, cfg.FaultMax))
	}
	if cfg.ClockOffsetMax < time.Second {
		errs = append(errs, fmt.Errorf("ClockOffsetMax %s: want >= 1s", cfg.ClockOffsetMax))
	}
	if cfg.Sections < 1 || cfg.Rows < 1 || cfg.SeatsPerRow < 2 || cfg.Sections*cfg.Rows*cfg.SeatsPerRow > 10_000 {
		errs = append(errs, fmt.Errorf("Sections %d × Rows %d × SeatsPerRow %d: want ≥1×1×2, at most 10000 seats", cfg.Sections, cfg.Rows, cfg.SeatsPerRow))
	}
	for _, f := range cfg.Faults {
		if !containsString(AllFaults, f) && !containsString(RegionFaults, f) {
			errs = append(errs, fmt.Errorf("Faults: unknown %q (known: %s)", f, strings.Join(slices.Concat(AllFaults, RegionFaults), ",")))
		}
	}
	errs = append(errs, cfg.validateRegions()...)
	if cfg.RaftTimeout < 0 || cfg.RaftTimeout > 10*time.Second {
		errs = append(errs, fmt.Errorf("RaftTimeout %s: want 0 (%s) up to 10s", cfg.RaftTimeout, defaultRaftTimeout))
	}
	if cfg.LeaderLease < 0 || cfg.LeaderLease > cfg.raftTimeout() {
		errs = append(errs, fmt.Errorf("LeaderLease %s: want 0 (the node's default) up to the heartbeat timeout, %s", cfg.LeaderLease, cfg.raftTimeout()))
	}
	if cfg.Gateways < 0 || cfg.Gateways > 8 || (cfg.Gateways > 0 && (cfg.Fans < 1 || cfg.Fans > 500)) {
		errs = append(errs, fmt.Errorf("Gateways %d, Fans %d: want 0..8 gateways and, with gateways, 1..500 fans", cfg.Gateways, cfg.Fans))
	}
	if cfg.Network != NetworkAuto && cfg.Network != NetworkNamespace && cfg.Network != NetworkLoopback {
		errs = append(errs, fmt.Errorf("Network %q: want %q (auto), %q or %q", cfg.Network, NetworkAuto, NetworkNamespace, NetworkLoopback))
	}
	if cfg.OutDir == "" {
		errs = append(errs, errors.New("OutDir is empty"))
	}
	return errors.Join(errs...)
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// replayCommand is the command line that replays this run's schedule.
func (cfg *Config) replayCommand() string {
	if cfg.Replay != "" {
		return cfg.Replay
	}
	p := Profiles[cfg.Profile]
	args := []string{"go", "run", "./jepsen/cmd/jepsen", "-profile", cfg.Profile, "-seed", fmt.Sprint(cfg.Seed)}
	if cfg.Nodes != p.Nodes {
		args = append(args, "-nodes", fmt.Sprint(cfg.Nodes))
	}
	if cfg.Clients != p.Clients {
		args = append(args, "-clients", fmt.Sprint(cfg.Clients))
	}
	if cfg.Sections != p.Sections {
		args = append(args, "-sections", fmt.Sprint(cfg.Sections))
	}
	if cfg.Duration != p.Duration {
		args = append(args, "-duration", cfg.Duration.String())
	}
	if strings.Join(cfg.Faults, ",") != strings.Join(p.Faults, ",") {
		args = append(args, "-faults", strings.Join(cfg.Faults, ","))
	}
	if cfg.Network != NetworkAuto {
		args = append(args, "-network", cfg.Network)
	}
	if cfg.Gateways != p.Gateways {
		args = append(args, "-gateways", fmt.Sprint(cfg.Gateways))
	}
	if cfg.Fans != p.Fans {
		args = append(args, "-fans", fmt.Sprint(cfg.Fans))
	}
	orNone := func(v string) string {
		if v == "" {
			return "none"
		}
		return v
	}
	if strings.Join(cfg.Regions, ",") != strings.Join(p.Regions, ",") {
		args = append(args, "-regions", orNone(strings.Join(cfg.Regions, ",")))
	}
	if cfg.RegionLatency != p.RegionLatency {
		args = append(args, "-region-latency", orNone(cfg.RegionLatency))
	}
	if cfg.ReplicationFactor != p.ReplicationFactor {
		args = append(args, "-replication-factor", fmt.Sprint(cfg.ReplicationFactor))
	}
	if cfg.raftTimeout() != p.raftTimeout() {
		args = append(args, "-raft-timeout", cfg.raftTimeout().String())
	}
	if cfg.LeaderLease != p.LeaderLease {
		args = append(args, "-leader-lease", cfg.LeaderLease.String())
	}
	if cfg.UnsafeReads {
		args = append(args, "-unsafe-reads")
	}
	return strings.Join(args, " ")
}

func moduleRoot() string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "."
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// createEvent creates the contended event and learns its seat layout.
func createEvent(ctx context.Context, cfg *Config, c *cluster) (event, error) {
	venue := boxcluster.OnSaleVenue(cfg.Sections, cfg.Rows, cfg.SeatsPerRow)
	venue.Pools = []*boxofficev1.GeneralAdmissionPool{{Id: poolID, Name: "Floor", Capacity: poolCapacity, PriceTier: "STD"}}
	// Spread the event over every data group (one per node by default), not
	// the production default of one group per event, so that faults hit
	// several groups' leaders and multi-shard holds cross groups.
	req := &boxofficev1.CreateEventRequest{RequestId: "jepsen-create", EventId: eventID, Name: "Jepsen", Venue: venue,
		GroupCount: uint32(len(c.nodes)),
		Policy: &boxofficev1.EventPolicy{HoldTtlDefaultMs: holdTTL.Milliseconds(), HoldTtlMaxMs: 2 * holdTTL.Milliseconds(),
			HoldLifetimeMaxMs: 3 * holdTTL.Milliseconds(), SeatsPerHoldMax: 20}}
	deadline := time.Now().Add(createEventLimit)
	var lastErr error
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		inv := c.inventory(1 + attempt%len(c.nodes))
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := inv.CreateEvent(cctx, req)
		if err == nil {
			var m *boxofficev1.SeatMap
			m, err = inv.GetSeatMap(cctx, &boxofficev1.GetSeatMapRequest{EventId: eventID})
			cancel()
			if err == nil {
				ev := event{id: eventID, rows: map[string][][]string{}}
				for _, s := range m.GetSections() {
					ev.sections = append(ev.sections, s.GetId())
					for _, r := range s.GetRows() {
						var ids []string
						for _, seat := range r.GetSeats() {
							ids = append(ids, seat.GetSeatId())
						}
						ev.rows[s.GetId()] = append(ev.rows[s.GetId()], ids)
					}
				}
				return ev, nil
			}
		} else {
			cancel()
		}
		lastErr = err
		if !sleepCtx(ctx, 500*time.Millisecond) {
			break
		}
	}
	return event{}, fmt.Errorf("create event: %w", lastErr)
}

// healEverything undoes every fault: routes, pauses, dead nodes.
func healEverything(c *cluster) error {
	err := c.net.healAll()
	for _, n := range c.nodes {
		if n.running() {
			_ = c.signal(n, syscall.SIGCONT)
		} else if startErr := c.start(n); startErr != nil && err == nil {
			err = startErr
		}
	}
	return err
}

// converge waits until, in every group, every replica reports the same
// applied index and state-hash index; at equal state-hash indexes the
// hashes must be equal (checked on every poll). It returns the problems
// and how many pairs of replica hashes it compared: a run whose replicas
// were never compared has not shown that they agree, so no comparison at
// all is a problem too.
func converge(ctx context.Context, c *cluster) ([]string, int) {
	deadline := time.Now().Add(convergeTimeout)
	mismatches := map[string]bool{}
	compared := 0
	var lastGap string
	for time.Now().Before(deadline) {
		groups := map[string][]replicaState{}
		answered := 0
		for _, n := range c.nodes {
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			resp, err := c.clusterAPI(n.index).Status(cctx, &boxofficev1.StatusRequest{LocalOnly: true, IncludeStateHashes: true})
			cancel()
			if err != nil {
				continue
			}
			answered++
			for _, g := range resp.GetGroups() {
				for _, r := range g.GetReplicas() {
					if r.GetNodeId() != n.id {
						continue
					}
					groups[g.GetGroupId()] = append(groups[g.GetGroupId()], replicaState{n.id, r.GetAppliedIndex(), r.GetStateHashIndex(), r.GetStateHash()})
				}
			}
		}
		lastGap = ""
		if answered < len(c.nodes) {
			lastGap = fmt.Sprintf("%d of %d nodes answered Status", answered, len(c.nodes))
		}
		found, pairs, gap := compareReplicas(groups)
		for _, m := range found {
			mismatches[m] = true
		}
		compared += pairs
		if gap != "" {
			lastGap = gap
		}
		if lastGap == "" {
			break
		}
		if !sleepCtx(ctx, 300*time.Millisecond) {
			break
		}
	}
	var out []string
	for m := range mismatches {
		out = append(out, m)
	}
	if lastGap != "" {
		out = append(out, "replicas did not converge within "+convergeTimeout.String()+": "+lastGap)
	}
	if compared == 0 {
		out = append(out, "the replica check compared no state hashes (were they requested?)")
	}
	return out, compared
}

// replicaState is one replica's answer to Status.
type replicaState struct {
	node             string
	applied, hashIdx uint64
	hash             string
}

// compareReplicas compares, in each group, every pair of replicas: equal
// state-hash indexes must have equal hashes. It returns the mismatches,
// how many pairs of hashes it compared, and a gap when replicas are at
// different indexes (not converged yet).
func compareReplicas(groups map[string][]replicaState) (mismatches []string, compared int, gap string) {
	for id, reps := range groups {
		for _, a := range reps {
			for _, b := range reps {
				if a.node >= b.node {
					continue
				}
				if a.hashIdx == b.hashIdx && a.hash != "" && b.hash != "" {
					compared++
					if a.hash != b.hash {
						mismatches = append(mismatches, fmt.Sprintf("group %s: state hash differs at index %d: %s %s… vs %s %s…",
							id, a.hashIdx, a.node, a.hash[:min(12, len(a.hash))], b.node, b.hash[:min(12, len(b.hash))]))
					}
				}
				if a.applied != b.applied || a.hashIdx != b.hashIdx {
					gap = fmt.Sprintf("group %s: %s applied %d (hash@%d), %s applied %d (hash@%d)", id, a.node, a.applied, a.hashIdx, b.node, b.applied, b.hashIdx)
				}
			}
		}
	}
	return mismatches, compared, gap
}

// finalStates reads the whole event from every node with stale reads
// (each node's own replicas).
func finalStates(ctx context.Context, c *cluster, ev event) ([]FinalState, []string) {
	var finals []FinalState
	var problems []string
	for _, n := range c.nodes {
		var m *boxofficev1.SeatMap
		var err error
		for range 10 {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			m, err = c.inventory(n.index).GetSeatMap(cctx, &boxofficev1.GetSeatMapRequest{EventId: ev.id, Consistency: boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE})
			cancel()
			if err == nil {
				break
			}
			sleepCtx(ctx, 500*time.Millisecond)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("final read from %s: %v", n.id, err))
			continue
		}
		f := FinalState{Node: n.id, Seats: map[string]SeatView{}, HoldExpiry: map[string]int64{}, Pools: map[string]PoolView{}, ReadAtUnixMs: time.Now().UnixMilli()}
		for _, s := range m.GetSections() {
			for _, r := range s.GetRows() {
				for _, seat := range r.GetSeats() {
					f.Seats[seat.GetSeatId()] = seatView(seat)
					if seat.GetState() == boxofficev1.SeatState_SEAT_STATE_HELD {
						f.HoldExpiry[seat.GetSeatId()] = seat.GetHoldExpiresAtUnixMs()
					}
				}
			}
		}
		for _, p := range m.GetPools() {
			f.Pools[p.GetId()] = PoolView{Capacity: p.GetCapacity(), Held: p.GetHeld(), Sold: p.GetSold()}
		}
		finals = append(finals, f)
	}
	return finals, problems
}
