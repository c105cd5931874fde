package jepsen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Bounds of the link faults (slow-net, lossy-net).
const (
	slowNetDelayMin = 20 * time.Millisecond
	slowNetDelayMax = 150 * time.Millisecond
	// lossy-net: share of chunks that stall a retransmission timeout, and
	// the timeout (Linux's minimum RTO is 200ms; repeated losses double
	// it). One chunk in lossyResetShare of the stalled ones resets its
	// connection instead.
	lossyStallMin, lossyStallMax = 0.005, 0.03
	lossyRTOMin, lossyRTOMax     = 200 * time.Millisecond, time.Second
	lossyResetShare              = 20
)

// The stale-read fault: the node is restarted with heartbeat, election
// and lease timeouts of staleReadLease, so once isolated it keeps
// believing it leads for about that long, while the others (500ms)
// elect a successor within about a second and commit writes. It waits
// up to staleLeadWait for the node to lead a shard of the event again
// (the rebalancer hands groups back to their preferred node every 5s).
const (
	staleReadLease = 3 * time.Second
	staleLeadWait  = 15 * time.Second
	// staleReadShare: all but 1 in staleReadShare of the reads (and
	// best-available holds) of a section the isolated node leads are
	// sent to it first.
	staleReadShare = 4
)

// staleTarget is what the workload reads from during a stale-read
// window: the isolated node and the sections of the shards it led.
type staleTarget struct {
	node     int
	sections map[string]bool
}

// attemptOrder returns the nodes to try for op, attempt after attempt,
// given the usual first choice: nodes in turn from first, except during
// a stale-read window. Then the isolated node comes first for a share of
// the linearizable reads, and of the best-available holds (whose
// NOT_ENOUGH_SEATS refusals are answered from the leader's state), of
// the sections it led, and is left out for every other operation, so
// that clients do not spend the window timing out on it and keep
// writing through the new leader.
func (c *cluster) attemptOrder(op *Op, nodes []int, first int) []int {
	order := make([]int, 0, len(nodes))
	for k := range nodes {
		order = append(order, nodes[(first+k)%len(nodes)])
	}
	t := c.staleReads.Load()
	if t == nil || !slices.Contains(nodes, t.node) || len(nodes) == 1 {
		return order
	}
	order = slices.DeleteFunc(order, func(n int) bool { return n == t.node })
	if (op.Kind == KindRead || op.Kind == KindHoldBest) && t.sections[op.Section] && rand.IntN(staleReadShare) != 0 {
		order = append([]int{t.node}, order...)
	}
	return order
}

// avoidIsolated returns n, or during a stale-read window another node
// of nodes if n is the isolated one.
func (c *cluster) avoidIsolated(nodes []int, n int) int {
	if t := c.staleReads.Load(); t != nil && n == t.node && len(nodes) > 1 {
		return nodes[(slices.Index(nodes, n)+1)%len(nodes)]
	}
	return n
}

// netFaultTargets returns the ordered pairs a link fault applies to: all
// of them, or (half the time) the links of the leader of a shard of the
// event, both ways; and a description.
func (n *nemesis) netFaultTargets(ctx context.Context, rng *rand.Rand, pick uint64) ([][2]int, string) {
	count := len(n.cluster.nodes)
	var pairs [][2]int
	if rng.IntN(2) == 0 {
		if l := n.leader(ctx, pick); l > 0 {
			for i := 1; i <= count; i++ {
				if i != l {
					pairs = append(pairs, [2]int{l, i}, [2]int{i, l})
				}
			}
			return pairs, "links of leader " + n.cluster.nodes[l-1].id
		}
	}
	for a := 1; a <= count; a++ {
		for b := 1; b <= count; b++ {
			if a != b {
				pairs = append(pairs, [2]int{a, b})
			}
		}
	}
	return pairs, "all links"
}

// injectNetFault injects the kinds of this file; ok is false for any
// other kind.
func (n *nemesis) injectNetFault(ctx context.Context, kind string, pick uint64) (heal func() error, desc string, ok bool, err error) {
	c := n.cluster
	rng := rand.New(rand.NewPCG(pick, 2))
	setLinks := func(pairs [][2]int, f linkFault) error {
		for _, p := range pairs {
			if err := c.net.setLink(p[0], p[1], f); err != nil {
				return err
			}
		}
		return nil
	}
	switch kind {
	case FaultSlowNet:
		delay := slowNetDelayMin + time.Duration(rng.Int64N(int64(slowNetDelayMax-slowNetDelayMin)+1))
		jitter := time.Duration(float64(delay) * (0.1 + 0.4*rng.Float64()))
		f := linkFault{Delay: delay.Round(time.Millisecond), Jitter: jitter.Round(time.Millisecond)}
		pairs, scope := n.netFaultTargets(ctx, rng, pick)
		return c.net.healAll, fmt.Sprintf("%s: %s", scope, f), true, setLinks(pairs, f)
	case FaultLossyNet:
		stall := lossyStallMin + (lossyStallMax-lossyStallMin)*rng.Float64()
		f := linkFault{StallProb: stall, StallMin: lossyRTOMin, StallMax: lossyRTOMax, ResetProb: stall / lossyResetShare}
		pairs, scope := n.netFaultTargets(ctx, rng, pick)
		return c.net.healAll, fmt.Sprintf("%s: %s", scope, f), true, setLinks(pairs, f)
	case FaultPartitionOneWay:
		count := len(c.nodes)
		target := 1 + rng.IntN(count)
		if rng.IntN(2) == 0 {
			if l := n.leader(ctx, pick); l > 0 {
				target = l
			}
		}
		outgoing := rng.IntN(2) == 0
		var others []string
		for i := 1; i <= count; i++ {
			if i == target {
				continue
			}
			others = append(others, c.nodes[i-1].id)
			from, to := target, i
			if !outgoing {
				from, to = i, target
			}
			if err := c.net.cutOneWay(from, to); err != nil {
				return c.net.healAll, "one-way", true, err
			}
		}
		if outgoing {
			desc = fmt.Sprintf("%s -> {%s} dropped, the reverse flows", c.nodes[target-1].id, strings.Join(others, ","))
		} else {
			desc = fmt.Sprintf("{%s} -> %s dropped, the reverse flows", strings.Join(others, ","), c.nodes[target-1].id)
		}
		return c.net.healAll, desc, true, nil
	case FaultStaleRead:
		heal, desc, err := n.injectStaleRead(ctx, rng, pick)
		return heal, desc, true, err
	}
	return nil, "", false, nil
}

// injectStaleRead restarts the leader of a shard of the event with a long
// leader lease, waits until it leads a shard again, isolates it, and
// sends a share of the reads of its sections to it. Nodes started with
// --testing-unsafe-reads then answer them from stale state (the checker
// must fail); others must refuse or time out.
func (n *nemesis) injectStaleRead(ctx context.Context, rng *rand.Rand, pick uint64) (func() error, string, error) {
	c := n.cluster
	target := n.leader(ctx, pick)
	if target == 0 {
		target = 1 + rng.IntN(len(c.nodes))
	}
	nd := c.nodes[target-1]
	restart := func(flags []string) error { return c.restartWith(nd, flags) }
	heal := func() error {
		c.staleReads.Store(nil)
		return errors.Join(c.net.healAll(), restart(nil))
	}
	lease := staleReadLease.String()
	desc := fmt.Sprintf("restart %s with a %s lease", nd.id, lease)
	if err := restart([]string{"--raft-heartbeat-timeout", lease, "--raft-election-timeout", lease,
		"--raft-leader-lease-timeout", lease}); err != nil {
		return heal, desc, err
	}
	began := time.Now()
	sections := n.waitLeads(ctx, target, staleLeadWait)
	if len(sections) == 0 {
		desc += fmt.Sprintf("; it led no shard of the event within %s", staleLeadWait)
	} else {
		desc += fmt.Sprintf("; it led sections %s after %s", strings.Join(sections, ","), time.Since(began).Round(100*time.Millisecond))
	}
	for i := 1; i <= len(c.nodes); i++ {
		if i != target {
			if err := c.net.cut(target, i); err != nil {
				return heal, desc, err
			}
		}
	}
	set := map[string]bool{}
	for _, s := range sections {
		set[s] = true
	}
	c.staleReads.Store(&staleTarget{node: target, sections: set})
	return heal, desc + "; isolated, reads of its sections sent to it", nil
}

// restartWith stops n (SIGTERM) if it runs and starts it again with
// flags added for this incarnation (nil: none).
func (c *cluster) restartWith(n *node, flags []string) error {
	if n.running() {
		if err := c.signal(n, syscall.SIGTERM); err != nil {
			return err
		}
	}
	n.extraFlags = flags
	return c.start(n)
}

// waitLeads polls node i until it leads a data group holding a shard of
// the event, and returns the sections of those shards (none if timeout
// passes first). Leadership is the node's own view (Status local_only).
func (n *nemesis) waitLeads(ctx context.Context, i int, timeout time.Duration) []string {
	c := n.cluster
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := c.clusterAPI(i).Status(cctx, &boxofficev1.StatusRequest{LocalOnly: true})
		var routing *boxofficev1.RoutingResponse
		if err == nil {
			routing, err = c.clusterAPI(i).Routing(cctx, &boxofficev1.RoutingRequest{EventId: n.eventID})
		}
		cancel()
		if err == nil {
			leads := map[string]bool{}
			for _, g := range st.GetGroups() {
				for _, r := range g.GetReplicas() {
					if r.GetNodeId() == c.nodes[i-1].id && r.GetRaftState() == "Leader" {
						leads[g.GetGroupId()] = true
					}
				}
			}
			var sections []string
			for _, s := range routing.GetShards() {
				if leads[s.GetGroupId()] {
					sections = append(sections, s.GetSectionIds()...)
				}
			}
			if len(sections) > 0 {
				return sections
			}
		}
		if !sleepCtx(ctx, 250*time.Millisecond) {
			return nil
		}
	}
	return nil
}
