package jepsen

import (
	"bufio"
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// echoBackend stands in for node target's real peer listener: it echoes
// every line it reads.
func echoBackend(t *testing.T, nw *loopbackNetwork, target int) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(nw.addr(target), portPeerBackend))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go serveBackend(ln, target, true, nil)
}

// dialAs opens a connection to node target's advertised peer address
// from node from's IP, as the node does with --peer-source-addr.
func dialAs(t *testing.T, nw *loopbackNetwork, from, target int) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(nw.addr(from))}, Timeout: time.Second}
	conn, err := d.Dial("tcp", net.JoinHostPort(nw.addr(target), portPeer))
	if err != nil {
		t.Fatalf("dial n%d from n%d: %v", target, from, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// echoes reports whether conn answers a line within wait.
func echoes(conn net.Conn, wait time.Duration) bool {
	_ = conn.SetDeadline(time.Now().Add(wait))
	if _, err := conn.Write([]byte("ping\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	_ = conn.SetDeadline(time.Time{})
	return err == nil && line == "ping\n"
}

// closedByPeer reports whether the other end closed conn within wait.
func closedByPeer(conn net.Conn, wait time.Duration) bool {
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	_, err := conn.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// TestLoopbackProxySeparatesPairs: the peer proxy tells nodes apart by
// source IP; a cut closes the pair's open connections, stalls its new
// ones and leaves other pairs alone; a heal closes the stalled ones and
// lets new connections through.
func TestLoopbackProxySeparatesPairs(t *testing.T) {
	nw, err := newLoopbackNetwork(3, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nw.close() })
	echoBackend(t, nw, 2)

	fromOne := dialAs(t, nw, 1, 2)
	fromThree := dialAs(t, nw, 3, 2)
	if !echoes(fromOne, time.Second) || !echoes(fromThree, time.Second) {
		t.Fatal("no echo through the proxy before any cut")
	}

	if err := nw.cut(1, 2); err != nil {
		t.Fatal(err)
	}
	if !closedByPeer(fromOne, time.Second) {
		t.Error("cut(1,2) left n1's open connection to n2 open")
	}
	if !echoes(fromThree, time.Second) {
		t.Error("cut(1,2) broke n3's connection to n2")
	}
	stalled := dialAs(t, nw, 1, 2) // the kernel accepts; nothing answers
	if echoes(stalled, 300*time.Millisecond) {
		t.Error("a new connection from n1 to n2 got through the cut")
	}
	if !echoes(dialAs(t, nw, 3, 2), time.Second) {
		t.Error("a new connection from n3 to n2 did not get through")
	}
	// The harness itself (source 127.0.0.1) is no node: never separated.
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(nw.addr(2), portPeer), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if !echoes(conn, time.Second) {
		t.Error("a connection from an address of no node was stalled")
	}

	if err := nw.healAll(); err != nil {
		t.Fatal(err)
	}
	if !closedByPeer(stalled, time.Second) {
		t.Error("heal left a stalled connection open")
	}
	if !echoes(dialAs(t, nw, 1, 2), time.Second) {
		t.Error("no echo from n1 to n2 after the heal")
	}
}

// leadershipSample is one node's own view of which groups it leads.
type leadershipSample struct {
	at    time.Time
	node  int
	leads []string // group ids whose local replica is Leader
}

// watchLeadership polls every node's local Status until ctx ends.
func watchLeadership(ctx context.Context, c *cluster) func() []leadershipSample {
	var mu sync.Mutex
	var samples []leadershipSample
	go func() {
		for ctx.Err() == nil {
			for _, n := range c.nodes {
				cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
				resp, err := c.clusterAPI(n.index).Status(cctx, &boxofficev1.StatusRequest{LocalOnly: true})
				cancel()
				if err != nil {
					continue
				}
				s := leadershipSample{at: time.Now(), node: n.index}
				for _, g := range resp.GetGroups() {
					for _, r := range g.GetReplicas() {
						if r.GetNodeId() == n.id && r.GetRaftState() == "Leader" {
							s.leads = append(s.leads, g.GetGroupId())
						}
					}
				}
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
			}
			sleepCtx(ctx, 200*time.Millisecond)
		}
	}()
	return func() []leadershipSample {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(samples)
	}
}

// TestLoopbackPartitionIsolatesLeader runs the loopback network (forced,
// so it runs as root too) with partition-leader windows and checks that
// the run is valid and that the partition really separated the leader:
// during the window, the isolated node leads no group and every group it
// led before has a leader elected on the other side.
func TestLoopbackPartitionIsolatesLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of processes")
	}
	cfg := Profiles["ci"]
	cfg.Profile, cfg.Seed, cfg.OutDir, cfg.Network = "loopback-partition", 1, t.TempDir(), NetworkLoopback
	cfg.Duration, cfg.Clients = 20*time.Second, 8
	cfg.Sections, cfg.Gateways = 4, 0 // the partition is the subject
	cfg.Faults, cfg.CombineProbability = []string{FaultPartitionLeader}, 0
	cfg.QuietMin, cfg.FaultMin, cfg.FaultMax = 3*time.Second, 6*time.Second, 6*time.Second
	cfg.CheckTimeout = 30 * time.Second
	cfg.Logf = t.Logf
	cfg.Replay = "go test ./jepsen -run TestLoopbackPartitionIsolatesLeader -count=1 -v"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var samples func() []leadershipSample
	cfg.ready = func(ctx context.Context, c *cluster, _ *event) error {
		samples = watchLeadership(ctx, c)
		return nil
	}

	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	t.Log("\n" + Summary(&cfg, res))
	if !strings.Contains(res.Network, "loopback") || !strings.Contains(res.Network, "Gossip (memberlist) is NOT cut") {
		t.Errorf("summary does not say what the loopback network cuts: %q", res.Network)
	}
	// One 20 s window need not make a replica install a snapshot (the CI
	// profile's run checks that): every other check must pass.
	for _, f := range res.Failures() {
		if f.Check != CheckCounters || slices.ContainsFunc(f.Findings, func(s string) bool { return strings.Contains(s, "no hold expired") }) {
			t.Fatalf("run not valid: %s: %v", f.Check, f.Findings)
		}
	}
	if samples == nil {
		t.Fatal("the leadership watcher never started")
	}
	all := samples()
	windows := 0
	for _, f := range res.Faults {
		if f.Kind != FaultPartitionLeader || f.Error != "" {
			continue
		}
		windows++
		target, err := strconv.Atoi(strings.TrimPrefix(f.Description, "isolate leader n"))
		if err != nil {
			t.Fatalf("fault %q: no isolated node in the description", f.Description)
		}
		start, end := res.Start.Add(time.Duration(f.Start)), res.Start.Add(time.Duration(f.End))
		var ledBefore []string
		leaderlessInside := false
		elected := map[string]bool{}
		for _, s := range all {
			switch {
			case s.node == target && s.at.Before(start):
				ledBefore = s.leads
			case s.node == target && s.at.After(start.Add(2*time.Second)) && s.at.Before(end) && len(s.leads) == 0:
				leaderlessInside = true
			case s.node != target && s.at.After(start) && s.at.Before(end):
				for _, g := range s.leads {
					elected[g] = true
				}
			}
		}
		t.Logf("%s: n%d led %v before; leaderless inside: %v; led by the others inside: %v", f.Description, target, ledBefore, leaderlessInside, elected)
		if len(ledBefore) == 0 {
			t.Errorf("%s: n%d led no group just before the window (no sample?)", f.Description, target)
		}
		if !leaderlessInside {
			t.Errorf("%s: n%d still led some group 2s into the partition: Raft was not cut", f.Description, target)
		}
		for _, g := range ledBefore {
			if !elected[g] {
				t.Errorf("%s: no new leader of %s (led by n%d before) on the majority side", f.Description, g, target)
			}
		}
	}
	if windows == 0 {
		t.Fatalf("no partition-leader window was injected: %+v", res.Faults)
	}
}
