package jepsen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Fault kinds. Partitions cut everything between two nodes in the
// namespace network, Raft and peer forwarding only in the loopback one.
const (
	FaultPartitionOne    = "partition-one"    // one random node cut from all others
	FaultPartitionLeader = "partition-leader" // the leader of a shard of the event cut off
	FaultPartitionHalves = "partition-halves" // a minority and a majority
	FaultPartitionRing   = "partition-ring"   // each node sees only its ring neighbours (5 nodes; 3: halves)
	FaultPartitionBridge = "partition-bridge" // two halves joined by one node that sees both
	FaultKill            = "kill"             // SIGKILL a node (half the time a leader), restart at the end
	FaultPause           = "pause"            // SIGSTOP a node (half the time a leader), SIGCONT at the end
	FaultMembership      = "membership"       // RemoveNode, kill, wipe its data, restart empty with --join
	FaultClock           = "clock"            // restart a node with --testing-clock-offset, then without
	FaultGatewayKill     = "gateway-kill"     // SIGKILL a gateway, restart it at the end
	FaultGatewayPause    = "gateway-pause"    // SIGSTOP a gateway, SIGCONT at the end
	FaultPaymentFaults   = "payment-faults"   // the payment provider errs, loses answers, duplicates, delays and drops webhooks
	FaultStaleRead       = "stale-read"       // a shard leader restarted with a long lease, isolated, reads sent to it
	FaultSlowNet         = "slow-net"         // peer links (all, or the leader's) delayed 20-150ms ± jitter
	FaultLossyNet        = "lossy-net"        // peer links (all, or the leader's) lose chunks: stalls and resets
	FaultPartitionOneWay = "partition-oneway" // what one node sends the others is dropped; the reverse flows
)

// AllFaults lists every fault kind.
var AllFaults = []string{FaultPartitionOne, FaultPartitionLeader, FaultPartitionHalves, FaultPartitionRing,
	FaultPartitionBridge, FaultKill, FaultPause, FaultMembership, FaultClock, FaultDiskFull, FaultCorruptLog,
	FaultGatewayKill, FaultGatewayPause, FaultPaymentFaults,
	FaultStaleRead, FaultSlowNet, FaultLossyNet, FaultPartitionOneWay}

func isPartition(kind string) bool { return strings.HasPrefix(kind, "partition-") }

// combinable reports whether two kinds may share a window. Two
// partitions would overwrite each other's cuts, and so would two link
// faults; stale-read (a restart, an isolation and rerouted reads) and the
// region faults (which must leave a majority of every group up) share
// their window with nothing.
func combinable(a, b string) bool {
	link := func(k string) bool { return k == FaultSlowNet || k == FaultLossyNet }
	switch {
	case a == b, a == FaultStaleRead, b == FaultStaleRead, isRegionFault(a), isRegionFault(b):
		return false
	case isPartition(a) && isPartition(b), link(a) && link(b):
		return false
	}
	return true
}

// staleReadFirstWindows: in the first deck, stale-read is dealt within
// this many cards, so every schedule with it has a stale-read window
// among its first windows (the CI profile's 100s hold about ten cards).
const staleReadFirstWindows = 3

// faultStep is one window of the schedule: wait quiet, inject kinds
// (resolving targets from picks), hold for duration, heal. The schedule
// is a pure function of the seed; "the leader" is resolved when the step
// runs, so a replay injects the same kinds at the same times but may hit
// a different node if leadership moved differently.
type faultStep struct {
	quiet, duration time.Duration
	kinds           []string
	picks           []uint64
}

// buildSchedule deals the kinds from a deck: every kind of cfg.Faults
// once, in an order shuffled by the seed, before any kind repeats (then
// a new deck). A window draws a second kind with CombineProbability; it
// takes the next card if the two are combinable, and otherwise stays
// alone (the card waits for the next window). In the first deck,
// stale-read is moved to a seeded place among the first
// staleReadFirstWindows cards, and region-loss is dealt first.
func buildSchedule(cfg *Config) []faultStep {
	if len(cfg.Faults) == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6e656d65736973))
	var deck []string
	decks := 0
	next := func() string {
		if len(deck) == 0 {
			deck = slices.Clone(cfg.Faults)
			rng.Shuffle(len(deck), func(i, j int) { deck[i], deck[j] = deck[j], deck[i] })
			if k := slices.Index(deck, FaultStaleRead); decks == 0 && k >= staleReadFirstWindows {
				j := rng.IntN(staleReadFirstWindows)
				deck[j], deck[k] = deck[k], deck[j]
			}
			if k := slices.Index(deck, FaultRegionLoss); decks == 0 && k > 0 {
				// Every run with region-loss kills a region in its first
				// window; stale-read, if it was first, takes its place.
				deck[0], deck[k] = deck[k], deck[0]
			}
			decks++
		}
		return deck[0]
	}
	var steps []faultStep
	at := time.Duration(0)
	for {
		s := faultStep{
			quiet:    cfg.QuietMin + time.Duration(rng.Int64N(int64(cfg.QuietMin)+1)),
			duration: cfg.FaultMin + time.Duration(rng.Int64N(int64(cfg.FaultMax-cfg.FaultMin)+1)),
		}
		combine := rng.Float64() < cfg.CombineProbability && len(cfg.Faults) > 1
		for len(s.kinds) == 0 || combine {
			k := next()
			if len(s.kinds) > 0 {
				combine = false
				if !combinable(s.kinds[0], k) {
					break
				}
			}
			deck = deck[1:]
			s.kinds = append(s.kinds, k)
			s.picks = append(s.picks, rng.Uint64())
		}
		if at+s.quiet+s.duration > cfg.Duration {
			return steps
		}
		at += s.quiet + s.duration
		steps = append(steps, s)
	}
}

// nemesis runs the schedule against the cluster.
type nemesis struct {
	cfg     *Config
	cluster *cluster
	eventID string
	now     func() int64
	logf    func(string, ...any)
	shop    *shop // the purchase workload's gateways and provider; nil without

	mu       sync.Mutex
	faults   []Fault
	heals    []activeHeal // of the faults currently injected
	problems []string     // see problemList
	// regionLosses: the region kills so far (regions.go); their heals
	// fill in the restart and catch-up.
	regionLosses []*RegionLoss
}

// activeHeal undoes one injected fault.
type activeHeal struct {
	kind string
	heal func() error
}

func (n *nemesis) run(ctx context.Context, steps []faultStep) {
	for _, s := range steps {
		if !sleepCtx(ctx, s.quiet) {
			return
		}
		var started []int
		for k, kind := range s.kinds {
			f := Fault{Kind: kind, Start: n.now()}
			heal, desc, err := n.inject(ctx, kind, s.picks[k])
			f.Description = desc
			if err != nil {
				f.Error = err.Error()
			}
			n.logf("nemesis: %s %s %s", kind, desc, f.Error)
			n.mu.Lock()
			n.faults = append(n.faults, f)
			started = append(started, len(n.faults)-1)
			if heal != nil {
				n.heals = append(n.heals, activeHeal{kind: kind, heal: heal})
			}
			n.mu.Unlock()
		}
		sleepCtx(ctx, s.duration)
		n.healActive()
		n.mu.Lock()
		for _, k := range started {
			n.faults[k].End = n.now()
		}
		n.mu.Unlock()
	}
}

// healActive undoes the faults currently injected, latest first, except
// that membership heals (and corrupt-log's, which replace the node the
// same way) come last. A membership heal may have to settle a
// RemoveNode that had no answer yet, and the removal completes only once
// the groups' leaders can reach the voters that remain: settling it while
// a partition of the same window is still in place waited out its whole
// timeout against a cluster the harness itself kept cut (seed 4242: 90 s
// more of isolation, then no wipe).
func (n *nemesis) healActive() {
	n.mu.Lock()
	heals := n.heals
	n.heals = nil
	n.mu.Unlock()
	var order []activeHeal
	for i := len(heals) - 1; i >= 0; i-- {
		if !replacesNode(heals[i].kind) {
			order = append(order, heals[i])
		}
	}
	for i := len(heals) - 1; i >= 0; i-- {
		if replacesNode(heals[i].kind) {
			order = append(order, heals[i])
		}
	}
	for _, h := range order {
		if err := h.heal(); err != nil {
			n.logf("nemesis: heal: %v", err)
		}
	}
}

// replacesNode reports whether kind's heal may settle a RemoveNode.
func replacesNode(kind string) bool { return kind == FaultMembership || kind == FaultCorruptLog }

func (n *nemesis) faultLog() []Fault {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := slices.Clone(n.faults)
	for i := range out {
		if out[i].End == 0 {
			out[i].End = n.now()
		}
	}
	return out
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// leader finds the node leading the shard (pick % shard count) of the
// event, asking running nodes in turn; 0 if none is known.
func (n *nemesis) leader(ctx context.Context, pick uint64) int {
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
		shard := resp.GetShards()[pick%uint64(len(resp.GetShards()))]
		for _, c := range n.cluster.nodes {
			if c.id == shard.GetLeaderNodeId() {
				return c.index
			}
		}
	}
	return 0
}

// Bounds of RemoveNode in the membership fault: when injecting (there
// may be no meta leader during a combined fault) and when settling an
// unanswered removal at heal time. RemoveNode answers only once every
// group's leader has the node out of its configuration, so after a heal it
// waits for elections in every group, meta included: give it time.
const (
	membershipRemoveTimeout     = 10 * time.Second
	membershipHealRemoveTimeout = 90 * time.Second
)

// removeNode asks for target's removal until the answer is definite, via
// the given node and then the others, within timeout. removed is true
// when it is certain target is no longer registered: RemoveNode
// succeeded, or answered NOT_FOUND (an earlier, unanswered RemoveNode
// took effect, or the node was never registered: either way it holds no
// replica, and wiping it loses nothing).
func removeNode(ctx context.Context, c *cluster, via, target *node, timeout time.Duration) (removed bool, err error) {
	deadline := time.Now().Add(timeout)
	for attempt := 0; ; attempt++ {
		asked := via
		if attempt > 0 {
			asked = c.nodes[(via.index-1+attempt)%len(c.nodes)]
		}
		rctx, cancel := context.WithTimeout(ctx, min(5*time.Second, max(time.Until(deadline), time.Second)))
		_, err = c.clusterAPI(asked.index).RemoveNode(rctx, &boxofficev1.RemoveNodeRequest{NodeId: target.id})
		cancel()
		switch status.Code(err) {
		case codes.OK, codes.NotFound:
			return true, nil
		}
		if time.Now().After(deadline) || !sleepCtx(ctx, 500*time.Millisecond) {
			return false, fmt.Errorf("RemoveNode: %w", err)
		}
	}
}

func (n *nemesis) inject(ctx context.Context, kind string, pick uint64) (heal func() error, desc string, err error) {
	c := n.cluster
	count := len(c.nodes)
	rng := rand.New(rand.NewPCG(pick, 1))
	randomNode := 1 + rng.IntN(count)
	order := rng.Perm(count) // node indexes 0-based
	cutGroups := func(groups ...[]int) (func() error, error) {
		for a := range groups {
			for b := a + 1; b < len(groups); b++ {
				for _, x := range groups[a] {
					for _, y := range groups[b] {
						if err := c.net.cut(x, y); err != nil {
							return c.net.healAll, err
						}
					}
				}
			}
		}
		return c.net.healAll, nil
	}
	isolate := func(target int) (func() error, error) {
		var rest []int
		for i := 1; i <= count; i++ {
			if i != target {
				rest = append(rest, i)
			}
		}
		return cutGroups([]int{target}, rest)
	}
	ids := func(idx []int) string {
		var s []string
		for _, i := range idx {
			s = append(s, c.nodes[i-1].id)
		}
		return strings.Join(s, ",")
	}
	oneBased := func(idx []int) []int {
		out := make([]int, len(idx))
		for i, v := range idx {
			out[i] = v + 1
		}
		return out
	}
	processTarget := func() int {
		if rng.IntN(2) == 0 {
			if l := n.leader(ctx, pick); l > 0 {
				return l
			}
		}
		return randomNode
	}

	switch kind {
	case FaultPartitionOne:
		heal, err = isolate(randomNode)
		return heal, "isolate " + c.nodes[randomNode-1].id, err
	case FaultPartitionLeader:
		target := n.leader(ctx, pick)
		if target == 0 {
			target = randomNode
		}
		heal, err = isolate(target)
		return heal, "isolate leader " + c.nodes[target-1].id, err
	case FaultPartitionHalves:
		all := oneBased(order)
		minority, majority := all[:count/2], all[count/2:]
		heal, err = cutGroups(minority, majority)
		return heal, fmt.Sprintf("halves [%s] | [%s]", ids(minority), ids(majority)), err
	case FaultPartitionRing:
		if count < 5 {
			all := oneBased(order)
			heal, err = cutGroups(all[:count/2], all[count/2:])
			return heal, fmt.Sprintf("ring needs 5 nodes: halves [%s] | [%s]", ids(all[:count/2]), ids(all[count/2:])), err
		}
		// With 5 nodes on a ring, each keeps its two neighbours (with
		// itself a majority, different for each node) and loses the rest.
		for p := range count {
			for q := p + 1; q < count; q++ {
				dist := min(q-p, count-(q-p))
				if dist > 1 {
					if err = c.net.cut(order[p]+1, order[q]+1); err != nil {
						return c.net.healAll, "ring", err
					}
				}
			}
		}
		return c.net.healAll, "ring " + ids(oneBased(order)), nil
	case FaultPartitionBridge:
		all := oneBased(order)
		half := count / 2
		left, bridge, right := all[:half], all[half], all[half+1:]
		heal, err = cutGroups(left, right)
		return heal, fmt.Sprintf("bridge [%s] - %s - [%s]", ids(left), c.nodes[bridge-1].id, ids(right)), err
	case FaultKill:
		target := c.nodes[processTarget()-1]
		err = c.signal(target, syscall.SIGKILL)
		return func() error { return c.start(target) }, "kill -9 " + target.id, err
	case FaultPause:
		target := c.nodes[processTarget()-1]
		err = c.signal(target, syscall.SIGSTOP)
		return func() error { return c.signal(target, syscall.SIGCONT) }, "SIGSTOP " + target.id, err
	case FaultMembership:
		target := c.nodes[randomNode-1]
		via := c.nodes[randomNode%count]
		heal, note, err := n.replaceNode(ctx, target, via)
		return heal, fmt.Sprintf("remove %s (via %s), wipe, rejoin empty%s", target.id, via.id, note), err
	case FaultDiskFull:
		return n.injectDiskFull(c.nodes[processTarget()-1])
	case FaultCorruptLog:
		target := c.nodes[randomNode-1]
		heal, desc, problem, err := n.injectCorruptLog(ctx, target, c.nodes[randomNode%count], rng)
		if problem != "" {
			n.addProblem(problem)
		}
		return heal, desc, err
	case FaultClock:
		target := c.nodes[randomNode-1]
		offset := time.Duration(1+rng.Int64N(int64(n.cfg.ClockOffsetMax/time.Second))) * time.Second
		if rng.IntN(2) == 0 {
			offset = -offset
		}
		err = c.restartWith(target, []string{"--testing-clock-offset", offset.String()})
		return func() error { return c.restartWith(target, nil) }, fmt.Sprintf("restart %s with clock offset %s", target.id, offset), err
	case FaultRegionLoss:
		return n.injectRegionLoss(ctx, rng)
	case FaultPartitionRegion:
		return n.injectRegionPartition(ctx, rng)
	case FaultGatewayKill, FaultGatewayPause, FaultPaymentFaults:
		return n.injectShop(kind, rng)
	}
	if heal, desc, ok, err := n.injectNetFault(ctx, kind, pick); ok {
		return heal, desc, err
	}
	return nil, "", fmt.Errorf("unknown fault %q", kind)
}

// replaceNode is the documented procedure for a node that lost its disk:
// RemoveNode (via via, then the others), SIGKILL, wipe the data dir, and,
// at the heal, restart it empty with --bootstrap-expect 0 --join.
// RemoveNode is retried for membershipRemoveTimeout; if it still has no
// definite answer the heal settles it first, and note says so.
func (n *nemesis) replaceNode(ctx context.Context, target, via *node) (heal func() error, note string, err error) {
	c := n.cluster
	wipe := func() error {
		if target.running() {
			_ = c.signal(target, syscall.SIGKILL)
		}
		err := os.RemoveAll(target.dataDir)
		if err == nil {
			err = os.MkdirAll(target.dataDir, 0o755)
		}
		target.joinOnly = true
		return err
	}
	rejoin := func() error {
		if target.running() {
			return nil // restarted (empty) by the heal of a kill or clock fault of the same window
		}
		return c.start(target)
	}
	removed, err := removeNode(ctx, c, via, target, membershipRemoveTimeout)
	if removed {
		return rejoin, "", wipe()
	}
	// RemoveNode got no definite answer (no meta leader during another
	// fault): like any unknown outcome it may still take effect, and a
	// removed incarnation left running never rejoins. Settle it when
	// the window heals: once the removal is certain, wipe and rejoin;
	// if it is still unknown, leave the node alone and say so.
	return func() error {
		removed, err := removeNode(context.Background(), c, via, target, membershipHealRemoveTimeout)
		if !removed {
			return fmt.Errorf("%s: RemoveNode still without a definite answer at heal: %w", target.id, err)
		}
		if err := wipe(); err != nil {
			return err
		}
		return rejoin()
	}, " (RemoveNode unanswered: settled at heal)", err
}

// problemList returns what the faults themselves found wrong (a node
// that served a damaged log, say); each makes the run invalid.
func (n *nemesis) problemList() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.problems)
}
