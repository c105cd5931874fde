package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// CPUMeter reads the CPU time the processes of the system under test have
// used so far (for Boxoffice, each node's process_cpu_seconds_total). Run
// reads it just before the clock starts and just after the last client
// stops, and reports the difference per operation: where the
// microseconds of one hold, sell or release go, process by process.
type CPUMeter interface {
	// ReadCPU returns one entry per process, in the same order and with
	// the same names on every call. eventID is the run's event (a meter
	// can name the processes that lead it).
	ReadCPU(ctx context.Context, eventID string) ([]ProcessCPU, error)
}

// ProcessCPU is the CPU time a process has used since it started.
type ProcessCPU struct {
	Name    string
	Role    string // "leader" if it leads a group of the run's event, or ""
	Seconds float64
}

// CPUUsage is the CPU the run used, over its measured window (ElapsedS).
type CPUUsage struct {
	// Operations are the calls answered in the window: holds, holds that
	// found no seats or a taken seat, sells, releases and reads.
	Operations int64 `json:"operations"`
	// Processes: the load generator first, then what the CPUMeter gave.
	Processes []ProcessUsage `json:"processes"`
	// TotalUsPerOp sums the processes' UsPerOp.
	TotalUsPerOp float64 `json:"total_us_per_op"`
	// MachineBusyCores is how many of the load generator's machine's
	// MachineCores were busy (any process, the kernel included), from
	// /proc/stat; 0 where that cannot be read. It covers the nodes only
	// when they run on the same machine, as `make bench` does.
	MachineBusyCores float64 `json:"machine_busy_cores,omitempty"`
	MachineCores     int     `json:"machine_cores,omitempty"`
	// MeterError says why the CPUMeter's processes are missing.
	MeterError string `json:"meter_error,omitempty"`
}

// ProcessUsage is one process's share of a run.
type ProcessUsage struct {
	Name    string  `json:"name"`
	Role    string  `json:"role,omitempty"` // at the end of the run
	CPUS    float64 `json:"cpu_s"`
	Cores   float64 `json:"cores"`     // CPUS / the window
	UsPerOp float64 `json:"us_per_op"` // CPU microseconds per operation
}

// loadGeneratorName names this process in CPUUsage.
const loadGeneratorName = "load generator"

// cpuSnapshot is what is read at each end of the window.
type cpuSnapshot struct {
	self  float64      // this process's user + system seconds
	meter []ProcessCPU // nil without a meter or when it failed
	busy  float64      // machine's busy seconds, all CPUs (0: unknown)
	total float64      // machine's busy + idle seconds
}

func readCPU(ctx context.Context, meter CPUMeter, eventID string) (cpuSnapshot, error) {
	var s cpuSnapshot
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	s.busy, s.total = machineCPU()
	if meter == nil {
		return s, nil
	}
	mctx, cancel := context.WithTimeout(ctx, cpuMeterTimeout)
	defer cancel()
	procs, err := meter.ReadCPU(mctx, eventID)
	if err != nil {
		return s, err
	}
	s.meter = procs
	return s, nil
}

// cpuMeterTimeout bounds one read of a CPUMeter.
const cpuMeterTimeout = 5 * time.Second

// cpuUsage is the difference of two snapshots over a window of elapsed
// seconds in which ops operations were answered.
func cpuUsage(before, after cpuSnapshot, elapsed float64, ops int64) *CPUUsage {
	if elapsed <= 0 {
		return nil
	}
	u := &CPUUsage{Operations: ops}
	add := func(name, role string, seconds float64) {
		p := ProcessUsage{Name: name, Role: role, CPUS: seconds, Cores: seconds / elapsed}
		if ops > 0 {
			p.UsPerOp = seconds * 1e6 / float64(ops)
		}
		u.Processes = append(u.Processes, p)
		u.TotalUsPerOp += p.UsPerOp
	}
	add(loadGeneratorName, "", after.self-before.self)
	if len(before.meter) == len(after.meter) { // else a read failed: no processes to compare
		for i, p := range after.meter {
			if before.meter[i].Name != p.Name {
				continue
			}
			add(p.Name, p.Role, p.Seconds-before.meter[i].Seconds)
		}
	}
	if before.total > 0 && after.total >= before.total {
		u.MachineCores = runtime.NumCPU()
		if after.total > before.total { // else within one tick of /proc/stat
			// Busy is total minus idle, in floats, and Linux's iowait
			// counter can step back: keep the share within [0, 1].
			share := min(max((after.busy-before.busy)/(after.total-before.total), 0), 1)
			u.MachineBusyCores = float64(u.MachineCores) * share
		}
	}
	return u
}

// machineCPU reads the first line of /proc/stat: the busy and the total
// seconds of all CPUs since boot (Linux; 0, 0 elsewhere).
func machineCPU() (busy, total float64) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return 0, 0
	}
	return parseProcStat(line)
}

// userHz is the unit of /proc/stat's counters: USER_HZ, 100 on every
// Linux architecture Go supports.
const userHz = 100

// parseProcStat reads "cpu  user nice system idle iowait irq softirq
// steal guest guest_nice": idle and iowait are idle; guest time is
// already in user.
func parseProcStat(line string) (busy, total float64) {
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, 0
	}
	var idle float64
	for i, f := range fields[1:] {
		if i >= 8 { // guest, guest_nice: counted in user, nice
			break
		}
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, 0
		}
		total += float64(v) / userHz
		if i == 3 || i == 4 {
			idle += float64(v) / userHz
		}
	}
	return total - idle, total
}

// writeCPU prints, for the runs that measured it, the CPU microseconds per
// operation of each process: one column per process name, in the order
// they first appear; a node that led the event's group carries "*".
func writeCPU(out io.Writer, results []*Result) error {
	var names []string
	measured := false
	for _, r := range results {
		if r.CPU == nil {
			continue
		}
		measured = true
		for _, p := range r.CPU.Processes {
			if !slices.Contains(names, p.Name) {
				names = append(names, p.Name)
			}
		}
	}
	if !measured {
		return nil
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "CPU per operation, µs (operations: holds, holds refused, sells, releases, reads; * leads the event's group):")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "run\toperations\t")
	for _, n := range names {
		fmt.Fprintf(tw, "%s\t", n)
	}
	fmt.Fprintln(tw, "total\tmachine busy\t")
	var notes []string
	for _, r := range results {
		u := r.CPU
		if u == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t", r.Label, u.Operations)
		for _, n := range names {
			cell := "-"
			for _, p := range u.Processes {
				if p.Name == n {
					cell = fmt.Sprintf("%.1f", p.UsPerOp)
					if p.Role == "leader" {
						cell += "*"
					}
				}
			}
			fmt.Fprintf(tw, "%s\t", cell)
		}
		busy := "-"
		if u.MachineCores > 0 {
			busy = fmt.Sprintf("%.2f of %d cores", u.MachineBusyCores, u.MachineCores)
		}
		fmt.Fprintf(tw, "%.1f\t%s\t\n", u.TotalUsPerOp, busy)
		if u.MeterError != "" {
			notes = append(notes, fmt.Sprintf("%s: nodes' CPU not measured: %s", r.Label, u.MeterError))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(out, n)
	}
	return nil
}

// NodeCPU is the CPUMeter of a Boxoffice cluster. status is Cluster.Status
// of any node (client.Client.Status): the nodes it lists alive with an
// HTTP address are fixed at the first read, so that both ends of a run name
// the same processes, and each read takes every node's
// process_cpu_seconds_total from its /metrics (plain HTTP, as every node
// serves it). A node leading a group that holds a shard of the event is
// the "leader".
func NodeCPU(status func(context.Context) (*boxofficev1.StatusResponse, error), hc *http.Client) CPUMeter {
	return &nodeCPU{status: status, http: hc}
}

type nodeCPU struct {
	status func(context.Context) (*boxofficev1.StatusResponse, error)
	http   *http.Client

	mu    sync.Mutex
	nodes []*boxofficev1.NodeInfo // sorted by id; set by the first read
}

// metricCPUSeconds is client_golang's process collector's counter.
const metricCPUSeconds = "process_cpu_seconds_total"

func (m *nodeCPU) ReadCPU(ctx context.Context, eventID string) ([]ProcessCPU, error) {
	status, err := m.status(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster status: %w", err)
	}
	m.mu.Lock()
	if m.nodes == nil {
		for _, n := range status.GetNodes() {
			if n.GetHttpAddr() != "" && n.GetState() == "alive" {
				m.nodes = append(m.nodes, n)
			}
		}
		slices.SortFunc(m.nodes, func(a, b *boxofficev1.NodeInfo) int { return strings.Compare(a.GetNodeId(), b.GetNodeId()) })
	}
	nodes := m.nodes
	m.mu.Unlock()
	if len(nodes) == 0 {
		return nil, errors.New("cluster status lists no live node with an HTTP address")
	}
	leaders := map[string]bool{}
	for _, g := range status.GetGroups() {
		for _, shard := range g.GetShards() {
			if strings.HasPrefix(shard, eventID+"/") {
				leaders[g.GetLeaderNodeId()] = true
			}
		}
	}

	out := make([]ProcessCPU, len(nodes))
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			found := false
			err := scrapeMetrics(ctx, m.http, "http://"+n.GetHttpAddr()+"/metrics", func(name string, labels map[string]string, v float64) {
				if name == metricCPUSeconds && len(labels) == 0 {
					out[i].Seconds, found = v, true
				}
			})
			if err == nil && !found {
				err = fmt.Errorf("no %s in its metrics", metricCPUSeconds)
			}
			if err != nil {
				errs[i] = fmt.Errorf("node %s: %w", n.GetNodeId(), err)
				return
			}
			out[i].Name = n.GetNodeId()
			if leaders[n.GetNodeId()] {
				out[i].Role = "leader"
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
