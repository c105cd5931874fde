package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

func TestParseProcStat(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	busy, total := parseProcStat("cpu  1000 50 300 5000 200 10 40 0 70 0\n")
	if math.Abs(busy-14) > 1e-9 || math.Abs(total-66) > 1e-9 {
		t.Errorf("busy %v total %v; want 14 (user+nice+system+irq+softirq) and 66 (guest is inside user)", busy, total)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5", "cpu 1 2", "cpu a b c d e"} {
		if b, tot := parseProcStat(bad); b != 0 || tot != 0 {
			t.Errorf("%q: %v %v; want 0 0", bad, b, tot)
		}
	}
}

// countingMeter is a CPUMeter whose processes use step seconds between
// reads, or that fails once fail is set.
type countingMeter struct {
	mu    sync.Mutex
	reads int
	step  float64
	fail  error
	event string
}

func (m *countingMeter) ReadCPU(_ context.Context, eventID string) ([]ProcessCPU, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.event = eventID
	if m.fail != nil {
		return nil, m.fail
	}
	m.reads++
	at := float64(m.reads) * m.step
	return []ProcessCPU{{Name: "n1", Role: "leader", Seconds: 10 + at}, {Name: "n2", Seconds: 20 + at/2}}, nil
}

func TestRunMeasuresCPU(t *testing.T) {
	meter := &countingMeter{step: 0.5}
	cfg := smallConfig()
	cfg.CPU = meter
	res := runOnFake(t, cfg, bugNone)
	u := res.CPU
	if u == nil {
		t.Fatal("no CPU in the result")
	}
	ops := res.Holds + res.EmptyProbes + res.Sells + res.Releases
	if meter.reads != 2 || meter.event != res.EventID || u.Operations != ops || ops == 0 || u.MeterError != "" {
		t.Fatalf("meter read %d times for %q (want 2 for %q); operations %d, want %d; error %q", meter.reads, meter.event, res.EventID, u.Operations, ops, u.MeterError)
	}
	if len(u.Processes) != 3 || u.Processes[0].Name != loadGeneratorName || u.Processes[1].Name != "n1" || u.Processes[2].Name != "n2" {
		t.Fatalf("processes %+v; want the load generator, n1, n2", u.Processes)
	}
	n1, n2 := u.Processes[1], u.Processes[2]
	if n1.CPUS != 0.5 || n2.CPUS != 0.25 || n1.Role != "leader" || n2.Role != "" {
		t.Errorf("n1 %+v, n2 %+v; want 0.5 s as leader and 0.25 s", n1, n2)
	}
	if want := 0.5e6 / float64(ops); math.Abs(n1.UsPerOp-want) > 1e-6 || math.Abs(n1.Cores-0.5/res.ElapsedS) > 1e-6 {
		t.Errorf("n1: %.3f µs per op, %.3f cores; want %.3f and %.3f", n1.UsPerOp, n1.Cores, want, 0.5/res.ElapsedS)
	}
	var sum float64
	for _, p := range u.Processes {
		sum += p.UsPerOp
	}
	if math.Abs(u.TotalUsPerOp-sum) > 1e-6 || u.Processes[0].CPUS <= 0 {
		t.Errorf("total %.3f µs, processes sum to %.3f; load generator %.6f s", u.TotalUsPerOp, sum, u.Processes[0].CPUS)
	}
	// /proc/stat counts in 10 ms ticks: a run on the fake may see none.
	if u.MachineCores < 1 || u.MachineBusyCores < 0 || u.MachineBusyCores > float64(u.MachineCores) {
		t.Errorf("machine: %.2f of %d cores busy", u.MachineBusyCores, u.MachineCores)
	}

	var out bytes.Buffer
	if err := WriteTable(&out, []*Result{res}); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	for _, want := range []string{"CPU per operation", "load generator", fmt.Sprintf("%.1f*", n1.UsPerOp), fmt.Sprintf("of %d cores", u.MachineCores)} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}

	// A meter that fails leaves the load generator's figure and says why.
	cfg.CPU = &countingMeter{fail: errors.New("node n3: connection refused")}
	res = runOnFake(t, cfg, bugNone)
	if res.CPU == nil || len(res.CPU.Processes) != 1 || !strings.Contains(res.CPU.MeterError, "connection refused") {
		t.Fatalf("failing meter: %+v", res.CPU)
	}
	out.Reset()
	if err := WriteTable(&out, []*Result{res}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "nodes' CPU not measured: node n3: connection refused") {
		t.Errorf("table does not say why the nodes are missing:\n%s", out.String())
	}
}

func TestNodeCPU(t *testing.T) {
	seconds := map[string]string{"n1": "12.5", "n2": "3.25"}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		node := strings.TrimPrefix(r.URL.Path, "/")
		node, _, _ = strings.Cut(node, "/")
		v, ok := seconds[node]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"+
			"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %s\n"+
			"boxoffice_group_batch_commands_sum{group=\"g1\"} 7\n", v)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	status := &boxofficev1.StatusResponse{
		Nodes: []*boxofficev1.NodeInfo{
			{NodeId: "n2", HttpAddr: host + "/n2", State: "alive"},
			{NodeId: "n1", HttpAddr: host + "/n1", State: "alive"},
			{NodeId: "n3", HttpAddr: host + "/n3", State: "dead"},
		},
		Groups: []*boxofficev1.GroupStatus{
			{GroupId: "g1", LeaderNodeId: "n1", Shards: []string{"other/0"}},
			{GroupId: "g2", LeaderNodeId: "n2", Shards: []string{"ev/0", "ev/1"}},
		},
	}
	meter := NodeCPU(func(context.Context) (*boxofficev1.StatusResponse, error) { return status, nil }, srv.Client())
	procs, err := meter.ReadCPU(context.Background(), "ev")
	if err != nil {
		t.Fatal(err)
	}
	want := []ProcessCPU{{Name: "n1", Seconds: 12.5}, {Name: "n2", Role: "leader", Seconds: 3.25}}
	if fmt.Sprint(procs) != fmt.Sprint(want) {
		t.Errorf("read %+v; want %+v (a dead node left out, sorted, the event's leader marked)", procs, want)
	}

	// The nodes stay those of the first read, even if the status changes.
	mu.Lock()
	seconds["n1"] = "13"
	mu.Unlock()
	status.Nodes = status.Nodes[:1]
	procs, err = meter.ReadCPU(context.Background(), "ev")
	if err != nil || len(procs) != 2 || procs[0].Seconds != 13 {
		t.Errorf("second read: %+v, %v", procs, err)
	}

	// A node without the counter, or unreachable, fails the read.
	mu.Lock()
	delete(seconds, "n2")
	mu.Unlock()
	if _, err := meter.ReadCPU(context.Background(), "ev"); err == nil || !strings.Contains(err.Error(), "node n2") {
		t.Errorf("a node without metrics: err %v", err)
	}
	failing := NodeCPU(func(context.Context) (*boxofficev1.StatusResponse, error) { return nil, errors.New("no leader") }, srv.Client())
	if _, err := failing.ReadCPU(context.Background(), "ev"); err == nil || !strings.Contains(err.Error(), "cluster status") {
		t.Errorf("a failing status: err %v", err)
	}
}
