package jepsen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testNodeIPs are the source addresses the proxy tests dial from; Linux
// routes all of 127/8 to lo, so any of them can be bound without setup.
var testNodeIPs = []string{"127.0.0.61", "127.0.0.62", "127.0.0.63"}

// proxyRig is a proxy set for three nodes on 127.0.0.1 with ports chosen
// by the kernel, each node's backend a real TCP server.
type proxyRig struct {
	set     *proxySet
	addrs   []string    // proxy address of node i at i-1
	arrived chan string // lines the greeting backends read, "nI: line"
}

// newProxyRig starts the rig. echo backends echo every line; greeting
// backends send one line on accept and report what they read.
func newProxyRig(t *testing.T, echo bool) *proxyRig {
	t.Helper()
	r := &proxyRig{arrived: make(chan string, 1024)}
	var backends []string
	for i := 1; i <= len(testNodeIPs); i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		backends = append(backends, ln.Addr().String())
		go serveBackend(ln, i, echo, r.arrived)
	}
	set, err := newProxySet(testNodeIPs,
		func(int) (net.Listener, error) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err == nil {
				r.addrs = append(r.addrs, ln.Addr().String())
			}
			return ln, err
		},
		func(ctx context.Context, i int) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", backends[i-1])
		})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = set.close() })
	r.set = set
	return r
}

func serveBackend(ln net.Listener, node int, echo bool, arrived chan<- string) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			if echo {
				_, _ = io.Copy(conn, conn)
				return
			}
			if _, err := fmt.Fprintf(conn, "hello n%d\n", node); err != nil {
				return
			}
			sc := bufio.NewScanner(conn)
			for sc.Scan() {
				arrived <- fmt.Sprintf("n%d: %s", node, sc.Text())
			}
		}()
	}
}

// dial connects node from to node to's proxy, from from's source IP.
func (r *proxyRig) dial(t *testing.T, from, to int) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(testNodeIPs[from-1])}, Timeout: time.Second}
	conn, err := d.Dial("tcp", r.addrs[to-1])
	if err != nil {
		t.Fatalf("dial n%d from n%d: %v", to, from, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readLine reads one line within wait; "" if none came.
func readLine(conn net.Conn, br *bufio.Reader, wait time.Duration) string {
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	line, err := br.ReadString('\n')
	_ = conn.SetReadDeadline(time.Time{})
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(line, "\n")
}

// arrivedWithin waits for want among the backends' lines, passing over
// others.
func (r *proxyRig) arrivedWithin(want string, wait time.Duration) bool {
	deadline := time.After(wait)
	for {
		select {
		case got := <-r.arrived:
			if got == want {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// TestProxyDelayAddsLatencyAndKeepsOrder: with a delay and a jitter as
// large as half the delay on n1→n2, every line n1 sends comes back (the
// echo's return leg, n2→n1, is not delayed) at least delay−jitter after
// it was sent, the first one at least after the delay without jitter,
// and all in the order sent, although jitter alone would reorder chunks
// written 2 ms apart. Another pair is not delayed, and clearing the link
// removes the delay.
func TestProxyDelayAddsLatencyAndKeepsOrder(t *testing.T) {
	r := newProxyRig(t, true)
	const delay = 120 * time.Millisecond
	if err := r.set.setLink(1, 2, linkFault{Delay: delay}); err != nil {
		t.Fatal(err)
	}
	conn := r.dial(t, 1, 2)
	br := bufio.NewReader(conn)
	start := time.Now()
	if _, err := conn.Write([]byte("first\n")); err != nil {
		t.Fatal(err)
	}
	if got := readLine(conn, br, 5*time.Second); got != "first" {
		t.Fatalf("echo %q, want first", got)
	}
	if rtt := time.Since(start); rtt < delay {
		t.Errorf("round trip %s with a %s delay on one leg", rtt, delay)
	}

	const jitter = delay / 2
	if err := r.set.setLink(1, 2, linkFault{Delay: delay, Jitter: jitter}); err != nil {
		t.Fatal(err)
	}
	const lines = 60
	sent := make([]time.Time, lines)
	go func() {
		for i := range lines {
			sent[i] = time.Now()
			if _, err := fmt.Fprintf(conn, "%03d\n", i); err != nil {
				return
			}
			time.Sleep(2 * time.Millisecond) // paces the sender: the lines' delays are measured
		}
	}()
	for i := range lines {
		got := readLine(conn, br, 5*time.Second)
		now := time.Now()
		if got != fmt.Sprintf("%03d", i) {
			t.Fatalf("line %d came back as %q: order not kept", i, got)
		}
		if took := now.Sub(sent[i]); took < delay-jitter {
			t.Errorf("line %d came back after %s, want at least %s", i, took, delay-jitter)
		}
	}

	// Bytes n3 sends n2, and n2's answers, are not delayed: the echo
	// through them is not held back by the link n1→n2.
	other := r.dial(t, 3, 2)
	if !echoes(other, 5*time.Second) {
		t.Error("no echo on the undelayed pair n3→n2")
	}
	if err := r.set.setLink(1, 2, linkFault{}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if !echoes(conn, 5*time.Second) {
		t.Fatal("no echo after the delay was cleared")
	}
	t.Logf("round trip after clearing: %s", time.Since(start))
}

// TestProxyOneWayDropsOneDirection: with n1→n2 cut one way, what n1
// sends n2 is dropped on connections either of them dialled, while what
// n2 sends n1 arrives; n3 is untouched. The heal closes the connections
// that lost bytes, and new ones carry both ways.
func TestProxyOneWayDropsOneDirection(t *testing.T) {
	r := newProxyRig(t, false)
	if err := r.set.cutOneWay(1, 2); err != nil {
		t.Fatal(err)
	}
	if err := r.set.cutOneWay(1, 1); err == nil {
		t.Error("cutOneWay(1, 1) accepted")
	}

	// n1 dials n2: n2's greeting reaches n1; n1's line never reaches n2.
	oneToTwo := r.dial(t, 1, 2)
	br12 := bufio.NewReader(oneToTwo)
	if got := readLine(oneToTwo, br12, 2*time.Second); got != "hello n2" {
		t.Errorf("n1 read %q from n2, want n2's greeting (n2→n1 flows)", got)
	}
	fmt.Fprintf(oneToTwo, "from n1\n")
	// n2 dials n1: n2's line reaches n1; n1's greeting never reaches n2.
	twoToOne := r.dial(t, 2, 1)
	br21 := bufio.NewReader(twoToOne)
	fmt.Fprintf(twoToOne, "from n2\n")
	if !r.arrivedWithin("n1: from n2", 2*time.Second) {
		t.Error("n2's line did not reach n1 (n2→n1 must flow)")
	}
	if got := readLine(twoToOne, br21, 300*time.Millisecond); got != "" {
		t.Errorf("n2 read %q from n1 through the one-way cut n1→n2", got)
	}
	// n3 is untouched both ways.
	threeToTwo := r.exchange(t, 3, 2, "from n3")
	// What n1 sent n2 was dropped (checked after n3's line, which came
	// later and arrived: nothing is merely late).
	select {
	case got := <-r.arrived:
		t.Errorf("backend read %q through the cut", got)
	default:
	}
	if st := r.set.Stats(); st.DroppedBytes == 0 {
		t.Errorf("stats %+v: no bytes counted as dropped", st)
	}

	r.set.healAll()
	for name, conn := range map[string]net.Conn{"n1→n2": oneToTwo, "n2→n1": twoToOne} {
		if !closedByPeer(conn, 2*time.Second) {
			t.Errorf("heal left the %s connection open after it lost bytes", name)
		}
	}
	if closedByPeer(threeToTwo, 200*time.Millisecond) {
		t.Error("heal closed n3's connection, which lost nothing")
	}
	r.exchange(t, 1, 2, "healed")
}

// exchange dials node to from node from on a greeting rig and checks
// that both directions carry: to's greeting reaches from, and line
// reaches to.
func (r *proxyRig) exchange(t *testing.T, from, to int, line string) net.Conn {
	t.Helper()
	conn := r.dial(t, from, to)
	if got := readLine(conn, bufio.NewReader(conn), 2*time.Second); got != fmt.Sprintf("hello n%d", to) {
		t.Errorf("n%d read %q from n%d, want its greeting", from, got, to)
	}
	fmt.Fprintf(conn, "%s\n", line)
	if want := fmt.Sprintf("n%d: %s", to, line); !r.arrivedWithin(want, 2*time.Second) {
		t.Errorf("n%d's line %q did not reach n%d", from, line, to)
	}
	return conn
}

// TestProxyLossStallsAndResets: every chunk of a link with stall
// probability 1 waits a retransmission timeout (counted), and a link
// with reset probability 1 resets the connection (RST) on the first
// chunk; the reverse direction and other pairs are untouched.
func TestProxyLossStallsAndResets(t *testing.T) {
	r := newProxyRig(t, true)
	const rto = 200 * time.Millisecond
	if err := r.set.setLink(1, 2, linkFault{StallProb: 1, StallMin: rto, StallMax: rto}); err != nil {
		t.Fatal(err)
	}
	conn := r.dial(t, 1, 2)
	for range 3 {
		start := time.Now()
		if !echoes(conn, 5*time.Second) {
			t.Fatal("no echo through a stalling link")
		}
		if rtt := time.Since(start); rtt < rto {
			t.Errorf("round trip %s through a link that stalls every chunk %s", rtt, rto)
		}
	}
	if st := r.set.Stats(); st.Stalls < 3 {
		t.Errorf("stats %+v: want at least 3 stalls", st)
	}

	if err := r.set.setLink(3, 2, linkFault{ResetProb: 1}); err != nil {
		t.Fatal(err)
	}
	victim := r.dial(t, 3, 2)
	if _, err := victim.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	_ = victim.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := victim.Read(make([]byte, 16))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read after a reset: %v, want connection reset", err)
	}
	if st := r.set.Stats(); st.Resets != 1 {
		t.Errorf("stats %+v: want 1 reset", st)
	}
	// n1→n3 and back are not faulted.
	if !echoes(r.dial(t, 1, 3), 2*time.Second) {
		t.Error("no echo on the unfaulted pair n1→n3")
	}
}
