package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/cluster/client"
	"github.com/boxoffice/boxoffice/internal/testport"
	"github.com/boxoffice/boxoffice/node"
)

// demoPort claims the ports `boxoffice demo --grpc-port P` derives for its
// three nodes (P+i, P+100+i, P+200+i, P+300+i) and returns P.
func demoPort(t *testing.T) int {
	t.Helper()
	var offsets []int
	for _, block := range []int{0, 100, 200, 300} {
		for i := range 3 {
			offsets = append(offsets, block+i)
		}
	}
	return testport.Base(t, offsets...)
}

// processCluster runs real `boxoffice start` processes on loopback.
type processCluster struct {
	t     *testing.T
	bin   string
	dir   string
	ports [][4]int // grpc, peer, http, gossip per node
	procs []*exec.Cmd
	extra []string
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "boxoffice")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func newProcessCluster(t *testing.T, n int, extra ...string) *processCluster {
	pc := &processCluster{t: t, bin: buildBinary(t), dir: t.TempDir(), procs: make([]*exec.Cmd, n), extra: extra}
	ports := testport.Ports(t, 4*n)
	for i := range n {
		pc.ports = append(pc.ports, [4]int{ports[4*i], ports[4*i+1], ports[4*i+2], ports[4*i+3]})
	}
	t.Cleanup(func() {
		for i := range pc.procs {
			pc.kill(i)
		}
	})
	for i := range n {
		pc.start(i)
	}
	pc.waitReady()
	return pc
}

func (pc *processCluster) grpcAddr(i int) string { return fmt.Sprintf("127.0.0.1:%d", pc.ports[i][0]) }

func (pc *processCluster) start(i int) {
	pc.t.Helper()
	p := pc.ports[i]
	args := []string{"start",
		"--node-id", fmt.Sprintf("n%d", i+1),
		"--data-dir", filepath.Join(pc.dir, fmt.Sprintf("n%d", i+1)),
		"--grpc-addr", fmt.Sprintf("127.0.0.1:%d", p[0]),
		"--peer-addr", fmt.Sprintf("127.0.0.1:%d", p[1]),
		"--http-addr", fmt.Sprintf("127.0.0.1:%d", p[2]),
		"--gossip-addr", fmt.Sprintf("127.0.0.1:%d", p[3]),
		"--join", fmt.Sprintf("127.0.0.1:%d", pc.ports[0][3]),
		"--bootstrap-expect", fmt.Sprint(len(pc.ports)),
		"--plaintext",
		"--raft-heartbeat-timeout", "500ms", "--raft-election-timeout", "500ms",
		"--log-level", "warn",
	}
	args = append(args, pc.extra...)
	cmd := exec.Command(pc.bin, args...)
	logFile, err := os.OpenFile(filepath.Join(pc.dir, fmt.Sprintf("n%d.log", i+1)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		pc.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		pc.t.Fatal(err)
	}
	pc.procs[i] = cmd
}

// kill sends SIGKILL: no shutdown code runs.
func (pc *processCluster) kill(i int) {
	if cmd := pc.procs[i]; cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_, _ = cmd.Process.Wait()
		pc.procs[i] = nil
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (pc *processCluster) stop(i int) {
	if cmd := pc.procs[i]; cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _, _ = cmd.Process.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			pc.t.Errorf("node %d ignored SIGTERM for 15s", i+1)
			_ = cmd.Process.Kill()
		}
		pc.procs[i] = nil
	}
}

// readyzProbe asks a node's /readyz over HTTPS when the node serves TLS
// and over plain HTTP otherwise; like an orchestrator's probe, it does not
// verify the node's certificate (readiness is not a secret).
var readyzProbe = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
}}

func getReadyz(port int) (*http.Response, error) {
	resp, err := readyzProbe.Get(fmt.Sprintf("https://127.0.0.1:%d/readyz", port))
	if err != nil {
		return readyzProbe.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
	}
	return resp, err
}

func (pc *processCluster) waitReady() {
	pc.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for i := range pc.procs {
		if pc.procs[i] == nil {
			continue
		}
		for {
			resp, err := getReadyz(pc.ports[i][2])
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(filepath.Join(pc.dir, fmt.Sprintf("n%d.log", i+1)))
				pc.t.Fatalf("node %d not ready: %v\n%s", i+1, err, log)
			}
			time.Sleep(50 * time.Millisecond) // poll interval of the wait for /readyz
		}
	}
}

func (pc *processCluster) client(ctx context.Context) *client.Client {
	pc.t.Helper()
	var addrs []string
	for i := range pc.ports {
		addrs = append(addrs, pc.grpcAddr(i))
	}
	c, err := client.Dial(ctx, client.Config{Addrs: addrs, CallTimeout: time.Second, RetryTimeout: 15 * time.Second})
	if err != nil {
		pc.t.Fatal(err)
	}
	pc.t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestEndToEndKillLeaderMidTraffic is the store's promise over real
// processes: kill -9 the leader of the busiest group while clients buy
// seats; operations resume within seconds, every acknowledged sale is
// there after every node restarts, and no seat is sold to two orders.
func TestEndToEndKillLeaderMidTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over real processes; skipped with -short")
	}
	pc := newProcessCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := pc.client(ctx)
	if _, err := c.CreateEvent(ctx, &boxofficev1.CreateEventRequest{EventId: "e2e", Name: "e2e", Venue: cluster.OnSaleVenue(6, 25, 40)}); err != nil {
		t.Fatal(err)
	}
	routing, err := c.Cluster().Routing(ctx, &boxofficev1.RoutingRequest{EventId: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	victim := -1
	for i := range pc.ports {
		if routing.Shards[0].LeaderGrpcAddr == pc.grpcAddr(i) {
			victim = i
		}
	}
	if victim < 0 {
		t.Fatalf("leader of shard 0 (%s) is not one of ours", routing.Shards[0].LeaderGrpcAddr)
	}

	var mu sync.Mutex
	acked := map[string]string{} // seat -> order
	var answered, unavailable atomic.Int64
	var lastAnswer atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	stopTraffic := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopTraffic() // also when a wait below fails the test
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
				id := fmt.Sprintf("w%d-%d", w, n)
				section := fmt.Sprintf("S%d", n%6)
				hold, err := c.Hold(cctx, &boxofficev1.HoldRequest{EventId: "e2e", Holder: id,
					Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: section}}})
				if err == nil {
					var sold *boxofficev1.SellResponse
					sold, err = c.Sell(cctx, &boxofficev1.SellRequest{EventId: "e2e", HoldId: hold.HoldId, Holder: id, OrderId: "o-" + id, Buyer: id})
					if err == nil {
						mu.Lock()
						for _, tk := range sold.Tickets {
							if prev, dup := acked[tk.SeatId]; dup {
								t.Errorf("seat %s acknowledged to %s and %s", tk.SeatId, prev, "o-"+id)
							}
							acked[tk.SeatId] = "o-" + id
						}
						mu.Unlock()
					}
				}
				ccancel()
				switch status.Code(err) {
				case codes.Unavailable, codes.DeadlineExceeded:
					unavailable.Add(1)
				default:
					answered.Add(1)
					lastAnswer.Store(time.Now().UnixNano())
				}
			}
		}()
	}
	node.WaitFor(t, 30*time.Second, "traffic to flow before the kill", func() bool { return answered.Load() > 50 })
	pc.kill(victim)
	killedAt := time.Now()
	base := answered.Load()
	var resumedAfter time.Duration
	for time.Since(killedAt) < 15*time.Second {
		if answered.Load() > base+50 {
			resumedAfter = time.Since(killedAt)
			break
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
	time.Sleep(time.Second) // a second more of traffic under the new leaders
	stopTraffic()
	if resumedAfter == 0 {
		t.Fatalf("operations did not resume within 15s of kill -9 of node %d", victim+1)
	}
	t.Logf("kill -9 node %d: operations resumed after %v; %d answered, %d unavailable/timed out, %d seats acknowledged sold",
		victim+1, resumedAfter, answered.Load(), unavailable.Load(), len(acked))
	if len(acked) == 0 {
		t.Fatal("no sale acknowledged: the test proved nothing")
	}

	// Restart the killed node, then every node; then read everything back.
	pc.start(victim)
	pc.waitReady()
	for i := range pc.procs {
		pc.stop(i)
	}
	for i := range pc.procs {
		pc.start(i)
	}
	pc.waitReady()
	c2 := pc.client(ctx)
	for i := range pc.ports {
		m, err := c2.Inventory().GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "e2e"})
		if err != nil {
			t.Fatalf("seat map after restart (round %d): %v", i, err)
		}
		sold := map[string]string{}
		for _, s := range m.Sections {
			for _, r := range s.Rows {
				for _, seat := range r.Seats {
					if seat.State == boxofficev1.SeatState_SEAT_STATE_SOLD {
						sold[seat.SeatId] = seat.OrderId
					}
				}
			}
		}
		for seat, order := range acked {
			if sold[seat] != order {
				t.Fatalf("acknowledged sale of %s to %s lost after restart: seat map says %q", seat, order, sold[seat])
			}
		}
	}
}
