package jepsen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The store's own counters that show the snapshot and expiry paths ran:
// each node's /metrics, read just before the harness stops an
// incarnation of it (kill, clock restart, wipe, the final stop) and, for
// the incarnations still running, once at the end of the run. Counters
// start at zero in each process, so a node's count is the sum over its
// incarnations.
const (
	metricSnapshotsTaken     = "boxoffice_raft_snapshots_taken_total"
	metricSnapshotsInstalled = "boxoffice_raft_snapshots_installed_total"
	metricHoldsSwept         = "boxoffice_group_holds_swept_total"
)

var countedMetrics = []string{metricSnapshotsTaken, metricSnapshotsInstalled, metricHoldsSwept}

// NodeCounters are one node's counts, summed over its incarnations.
type NodeCounters struct {
	SnapshotsTaken     int `json:"snapshots_taken"`
	SnapshotsInstalled int `json:"snapshots_installed"`
	HoldsSwept         int `json:"holds_swept"`
	// Incarnations read, and incarnations that ended unread (paused when
	// stopped, or /metrics did not answer): their counts are missing, so
	// the totals are lower bounds.
	Incarnations int `json:"incarnations"`
	Unread       int `json:"unread"`
}

func (n *NodeCounters) add(o NodeCounters) {
	n.SnapshotsTaken += o.SnapshotsTaken
	n.SnapshotsInstalled += o.SnapshotsInstalled
	n.HoldsSwept += o.HoldsSwept
	n.Incarnations += o.Incarnations
	n.Unread += o.Unread
}

// Counters are the store's counters over the whole run.
//
// A run that installed no snapshot, or in which no hold expired, did not
// exercise what it is meant to check (restores from a leader's snapshot;
// holds ending by time): like a checker that compared nothing, it does
// not pass.
type Counters struct {
	Total  NodeCounters            `json:"total"`
	ByNode map[string]NodeCounters `json:"by_node"`
}

func (c Counters) valid() bool {
	return c.Total.SnapshotsInstalled > 0 && c.Total.HoldsSwept > 0
}

// problems says why the counters fail the run, if they do.
func (c Counters) problems() []string {
	var out []string
	if c.Total.SnapshotsInstalled == 0 {
		out = append(out, "no snapshot was installed: no replica caught up from a leader's snapshot, so the snapshot path was not checked")
	}
	if c.Total.HoldsSwept == 0 {
		out = append(out, "no hold expired: expiry and the sweep were not checked")
	}
	return out
}

// counterLog collects the counters read from each incarnation.
type counterLog struct {
	mu     sync.Mutex
	byNode map[string]*NodeCounters
}

func (l *counterLog) record(node string, c NodeCounters) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byNode == nil {
		l.byNode = map[string]*NodeCounters{}
	}
	if l.byNode[node] == nil {
		l.byNode[node] = &NodeCounters{}
	}
	l.byNode[node].add(c)
}

func (l *counterLog) result() Counters {
	l.mu.Lock()
	defer l.mu.Unlock()
	res := Counters{ByNode: map[string]NodeCounters{}}
	for id, c := range l.byNode {
		res.ByNode[id] = *c
		res.Total.add(*c)
	}
	return res
}

// parseCounters sums, per family, the samples of the named counters in
// a Prometheus text exposition (every label set: one series per group).
func parseCounters(r io.Reader, names []string) (map[string]float64, error) {
	wanted := map[string]bool{}
	for _, n := range names {
		wanted[n] = true
	}
	sums := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name := line
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name = line[:i]
		}
		if !wanted[name] {
			continue
		}
		rest := line[len(name):]
		if strings.HasPrefix(rest, "{") {
			end := strings.LastIndexByte(rest, '}')
			if end < 0 {
				return nil, fmt.Errorf("metrics: unterminated labels: %q", line)
			}
			rest = rest[end+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("metrics: no value: %q", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics: %q: %w", line, err)
		}
		sums[name] += v
	}
	return sums, sc.Err()
}

// readCounters reads node n's counters from its /metrics.
func (c *cluster) readCounters(ctx context.Context, n *node) (NodeCounters, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(n.ip, portHTTP)+"/metrics", nil)
	if err != nil {
		return NodeCounters{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return NodeCounters{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return NodeCounters{}, fmt.Errorf("%s /metrics: HTTP %d", n.id, resp.StatusCode)
	}
	sums, err := parseCounters(resp.Body, countedMetrics)
	if err != nil {
		return NodeCounters{}, fmt.Errorf("%s /metrics: %w", n.id, err)
	}
	return NodeCounters{SnapshotsTaken: int(sums[metricSnapshotsTaken]), SnapshotsInstalled: int(sums[metricSnapshotsInstalled]),
		HoldsSwept: int(sums[metricHoldsSwept]), Incarnations: 1}, nil
}

// collectCounters reads the counters of n's running incarnation once:
// before the harness stops it, or at the end of the run. A paused
// incarnation is not resumed to be read; it counts as unread.
func (c *cluster) collectCounters(n *node) {
	n.mu.Lock()
	skip := n.cmd == nil || n.countersRead
	paused := n.paused
	n.countersRead = true
	n.mu.Unlock()
	if skip {
		return
	}
	if paused {
		c.counters.record(n.id, NodeCounters{Unread: 1})
		return
	}
	got, err := c.readCounters(context.Background(), n)
	if err != nil {
		c.logf("counters of %s not read before it stopped: %v", n.id, err)
		got = NodeCounters{Unread: 1}
	}
	c.counters.record(n.id, got)
}

// collectAllCounters reads every running incarnation (end of the run).
func (c *cluster) collectAllCounters() Counters {
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		wg.Go(func() { c.collectCounters(n) })
	}
	wg.Wait()
	return c.counters.result()
}

// describeCounters is the summary's text for the counters.
func describeCounters(c Counters) string {
	var b strings.Builder
	t := c.Total
	fmt.Fprintf(&b, "store counters (each node's /metrics, summed over its incarnations): snapshots taken %d, installed %d; holds expired (swept) %d\n",
		t.SnapshotsTaken, t.SnapshotsInstalled, t.HoldsSwept)
	ids := make([]string, 0, len(c.ByNode))
	for id := range c.ByNode {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		n := c.ByNode[id]
		fmt.Fprintf(&b, "  %s: taken %d, installed %d, swept %d over %d incarnation(s)", id, n.SnapshotsTaken, n.SnapshotsInstalled, n.HoldsSwept, n.Incarnations)
		if n.Unread > 0 {
			fmt.Fprintf(&b, ", %d unread (counts are lower bounds)", n.Unread)
		}
		b.WriteString("\n")
	}
	for _, p := range c.problems() {
		fmt.Fprintf(&b, "  %s: the run cannot pass\n", p)
	}
	return b.String()
}
