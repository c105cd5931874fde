package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/cluster/client"
)

// `boxoffice bench memory` measures what a node process costs per seat and
// how long it takes to come back after a restart, on real processes:
//
//  1. start a fresh 3-node cluster of `boxoffice start` (fsync on, every
//     data group on every node) and measure each node's resident set
//     (/proc/PID/status VmRSS) and Go heap (go_memstats_heap_inuse_bytes
//     on /metrics) after a forced GC (/debug/pprof/heap?gc=1);
//  2. create events totalling --seats seats and measure again;
//  3. make it busy: hold --hold-size adjacent seats under distinct holders,
//     selling --sold of the seats under distinct orders and leaving --held
//     of them held, and measure again;
//  4. wait until every data group of the node to restart has a snapshot
//     covering the busy phase (Raft takes them every
//     --raft-snapshot-threshold entries), then stop a node (SIGTERM, and
//     separately SIGKILL), start it again and time from exec to "/readyz
//     answers 200 and every local group has applied the commit index its
//     leader had when the node stopped": a snapshot restore plus the
//     replay of the log after it, plus an election when the node led a
//     group and was killed.
//
// Each node holds a replica of every seat (3 nodes, replication factor
// 3), so bytes/seat is per node.

// Ports of bench memory: 3910x gRPC, 3920x peer, 3930x HTTP, 3940x gossip.
const (
	benchMemPortBase       = 39100
	benchMemNodes          = 3
	benchMemSeatsPerRow    = 50
	benchMemRowsPerSection = 40
	benchMemHoldTTLMs      = 1_800_000 // holds must outlive the whole run
	benchMemReadyTimeout   = 3 * time.Minute
	benchMemSnapshotWait   = 3 * time.Minute
	benchMemStopTimeout    = 30 * time.Second
)

const benchMemUsage = `Usage:
  boxoffice bench memory [flags]

Starts a fresh 3-node cluster of processes on 127.0.0.1 (ports 3910x-3940x),
creates events totalling --seats seats, makes them busy, and prints the
resident memory per seat of each phase and the restart time of a node after
SIGTERM and after SIGKILL (snapshot restore plus log replay).

Flags:
`

type benchMemConfig struct {
	bin            string
	dir            string
	keep           bool
	seats          int
	events         int
	holdSize       int
	sold, held     float64
	clients        int
	restarts       int
	snapThreshold  uint64
	goMemLimit     string
	goGC           string
	jsonPath       string
	profileDir     string
	extraNodeFlags string
}

// benchMemNode is one `boxoffice start` process of the run.
type benchMemNode struct {
	id       string
	bin      string
	dataDir  string
	grpcAddr string
	httpAddr string
	args     []string
	env      []string
	logPath  string

	cmd  *exec.Cmd
	done chan struct{}
}

// benchMemSample is one node's memory at one moment.
type benchMemSample struct {
	Node          string  `json:"node"`
	RSSBytes      int64   `json:"rss_bytes"`
	RSSAnonBytes  int64   `json:"rss_anon_bytes"` // RssAnon: the Go heap and stacks
	RSSFileBytes  int64   `json:"rss_file_bytes"` // RssFile: mapped files (bbolt's log store, the binary)
	HeapInuse     int64   `json:"heap_inuse_bytes"`
	HeapAlloc     int64   `json:"heap_alloc_bytes"`
	GoSysBytes    int64   `json:"go_sys_bytes"`
	CPUSeconds    float64 `json:"cpu_seconds"` // process_cpu_seconds_total since the node started
	GCCycles      int64   `json:"gc_cycles"`   // go_gc_duration_seconds_count since the node started
	AppliedByNode int64   `json:"applied_sum"`
}

type benchMemPhase struct {
	Name    string           `json:"name"`
	Seats   int              `json:"seats"`
	Samples []benchMemSample `json:"samples"`
}

type benchMemRestart struct {
	Node          string  `json:"node"`
	Signal        string  `json:"signal"`
	StopMs        float64 `json:"stop_ms"`
	StopTimedOut  bool    `json:"stop_timed_out,omitempty"` // did not exit on SIGTERM; killed
	ReadyMs       float64 `json:"ready_ms"`                 // exec to /readyz 200
	CaughtUpMs    float64 `json:"caught_up_ms"`             // exec to every group applied >= target
	RestartMs     float64 `json:"restart_ms"`               // max of the two
	SnapshotIndex uint64  `json:"snapshot_index"`           // smallest snapshot index over the node's data groups
	Replayed      uint64  `json:"replayed"`                 // entries after the snapshots, summed over data groups
	RSSAfterBytes int64   `json:"rss_after_bytes"`
}

type benchMemResult struct {
	Seats     int               `json:"seats"`
	Events    int               `json:"events"`
	BusyMs    float64           `json:"busy_ms"`
	Holds     int64             `json:"holds"`
	Sells     int64             `json:"sells"`
	Failures  int64             `json:"failures"`
	Phases    []benchMemPhase   `json:"phases"`
	Restarts  []benchMemRestart `json:"restarts"`
	GoMemLim  string            `json:"gomemlimit,omitempty"`
	DataDir   string            `json:"data_dir"`
	StartedAt time.Time         `json:"started_at"`
}

func runBenchMemory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("boxoffice bench memory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useHelp(fs, benchHelp(benchMemUsage, benchMemoryExamples, nil))
	var c benchMemConfig
	fs.StringVar(&c.bin, "bin", "", "boxoffice `binary` to start the nodes with (default: this executable)")
	fs.StringVar(&c.dir, "dir", "", "`directory` for the nodes' data and logs (default: a fresh temporary directory)")
	fs.BoolVar(&c.keep, "keep", false, "keep the data directory afterwards")
	fs.IntVar(&c.seats, "seats", 1_000_000, "reserved seats in total (a multiple of 50 x --events)")
	fs.IntVar(&c.events, "events", 10, "events the seats are split into (each in one data group, round robin)")
	fs.IntVar(&c.holdSize, "hold-size", 2, "adjacent seats per hold (1..50)")
	fs.Float64Var(&c.sold, "sold", 0.5, "share of seats sold in the busy phase")
	fs.Float64Var(&c.held, "held", 0.2, "share of seats left held in the busy phase")
	fs.IntVar(&c.clients, "clients", 64, "concurrent requests in the busy phase")
	fs.IntVar(&c.restarts, "restarts", 3, "restarts per signal (the node restarted rotates)")
	fs.Uint64Var(&c.snapThreshold, "raft-snapshot-threshold", 1024, "the nodes' --raft-snapshot-threshold: at most this many entries are replayed after the snapshot")
	fs.StringVar(&c.goMemLimit, "gomemlimit", "", "GOMEMLIMIT of the nodes (default: unset)")
	fs.StringVar(&c.goGC, "gogc", "", "GOGC of the nodes (default: unset)")
	fs.StringVar(&c.extraNodeFlags, "node-flags", "", "extra flags for every node, space separated")
	fs.StringVar(&c.jsonPath, "json", "", "also write the result as JSON to this `file`")
	fs.StringVar(&c.profileDir, "heap-profiles", "", "write each node's heap profile of each phase into this `directory` (for go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench memory: unexpected argument %q", fs.Arg(0))
	}
	switch {
	case c.events < 1 || c.seats < 1 || c.seats%(benchMemSeatsPerRow*c.events) != 0:
		return fmt.Errorf("bench memory: --seats %d must be a positive multiple of %d x --events (%d)", c.seats, benchMemSeatsPerRow, c.events)
	case c.seats/c.events > cluster.VenueSeatsMax:
		return fmt.Errorf("bench memory: %d seats per event, a venue has at most %d", c.seats/c.events, cluster.VenueSeatsMax)
	case c.holdSize < 1 || c.holdSize > benchMemSeatsPerRow:
		return fmt.Errorf("bench memory: --hold-size %d: want 1..%d", c.holdSize, benchMemSeatsPerRow)
	case c.sold < 0 || c.held < 0 || c.sold+c.held > 1:
		return fmt.Errorf("bench memory: --sold %v and --held %v: want shares summing to at most 1", c.sold, c.held)
	case c.clients < 1 || c.restarts < 0:
		return fmt.Errorf("bench memory: --clients %d, --restarts %d", c.clients, c.restarts)
	}
	if c.bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		c.bin = exe
	}
	if c.dir == "" {
		dir, err := os.MkdirTemp("", "boxoffice-benchmem-")
		if err != nil {
			return err
		}
		c.dir = dir
	}
	if !c.keep {
		defer os.RemoveAll(c.dir)
	}

	res := &benchMemResult{Seats: c.seats, Events: c.events, GoMemLim: c.goMemLimit, DataDir: c.dir, StartedAt: time.Now().UTC()}
	nodes := newBenchMemNodes(c)
	defer func() {
		for _, n := range nodes {
			n.kill()
		}
	}()
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, "bench memory: "+format+"\n", args...)
	}
	logf("data and logs in %s", c.dir)
	for _, n := range nodes {
		if err := n.start(); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		if err := n.waitReady(ctx, benchMemReadyTimeout); err != nil {
			return err
		}
	}
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.grpcAddr
	}
	cl, err := client.Dial(ctx, client.Config{Addrs: addrs, CallTimeout: 10 * time.Second, RetryTimeout: 60 * time.Second})
	if err != nil {
		return err
	}
	defer cl.Close()

	measure := func(name string, seats int) error {
		if err := benchMemConverge(ctx, nodes); err != nil {
			return err
		}
		p := benchMemPhase{Name: name, Seats: seats}
		for _, n := range nodes {
			s, err := n.sample(ctx)
			if err != nil {
				return err
			}
			p.Samples = append(p.Samples, s)
			if c.profileDir != "" {
				if err := n.saveHeapProfile(ctx, c.profileDir, len(res.Phases)); err != nil {
					return err
				}
			}
		}
		res.Phases = append(res.Phases, p)
		logf("%s: RSS %s MiB", name, benchMemMiBs(p.Samples))
		return nil
	}
	time.Sleep(2 * time.Second) // let start-up work (reconcile, rebalance) finish
	if err := measure("empty node", 0); err != nil {
		return err
	}

	perEvent := c.seats / c.events
	eventIDs := make([]string, c.events)
	for e := range c.events {
		eventIDs[e] = fmt.Sprintf("mem%d", e)
		_, err := cl.CreateEvent(ctx, &boxofficev1.CreateEventRequest{
			RequestId: "benchmem-create-" + eventIDs[e],
			EventId:   eventIDs[e],
			Name:      fmt.Sprintf("bench memory %d", e),
			Venue:     benchMemVenue(perEvent),
			Policy:    &boxofficev1.EventPolicy{HoldTtlDefaultMs: benchMemHoldTTLMs, HoldTtlMaxMs: benchMemHoldTTLMs, HoldLifetimeMaxMs: 2 * benchMemHoldTTLMs},
		})
		if err != nil {
			return fmt.Errorf("bench memory: create %s: %w", eventIDs[e], err)
		}
	}
	logf("created %d events of %d seats", c.events, perEvent)
	if err := measure("seats, none held", c.seats); err != nil {
		return err
	}

	if err := benchMemBusy(ctx, cl, c, eventIDs, res, logf); err != nil {
		return err
	}
	if err := measure("seats, busy", c.seats); err != nil {
		return err
	}

	for k := range 2 * c.restarts {
		sig, sigName := syscall.SIGTERM, "SIGTERM"
		if k >= c.restarts {
			sig, sigName = syscall.SIGKILL, "SIGKILL"
		}
		n := nodes[k%len(nodes)]
		r, err := benchMemRestartNode(ctx, nodes, n, sig, c.snapThreshold, logf)
		if err != nil {
			return err
		}
		r.Signal = sigName
		res.Restarts = append(res.Restarts, r)
		logf("restart %s after %s: %.0f ms (ready %.0f ms, caught up %.0f ms, %d entries replayed after snapshot %d)",
			r.Node, sigName, r.RestartMs, r.ReadyMs, r.CaughtUpMs, r.Replayed, r.SnapshotIndex)
		for _, m := range nodes {
			if err := m.waitReady(ctx, benchMemReadyTimeout); err != nil {
				return err
			}
		}
	}

	benchMemTable(stdout, res)
	if c.jsonPath != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(c.jsonPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if res.Failures > 0 {
		return fmt.Errorf("bench memory: %d requests of the busy phase failed (see the node logs in %s)", res.Failures, c.dir)
	}
	return nil
}

func newBenchMemNodes(c benchMemConfig) []*benchMemNode {
	var nodes []*benchMemNode
	for i := 1; i <= benchMemNodes; i++ {
		n := &benchMemNode{
			id:       fmt.Sprintf("n%d", i),
			bin:      c.bin,
			dataDir:  filepath.Join(c.dir, fmt.Sprintf("n%d", i)),
			grpcAddr: fmt.Sprintf("127.0.0.1:%d", benchMemPortBase+i),
			httpAddr: fmt.Sprintf("127.0.0.1:%d", benchMemPortBase+200+i),
			logPath:  filepath.Join(c.dir, fmt.Sprintf("n%d.log", i)),
		}
		n.args = []string{"start", "--node-id", n.id, "--data-dir", n.dataDir,
			"--grpc-addr", n.grpcAddr,
			"--peer-addr", fmt.Sprintf("127.0.0.1:%d", benchMemPortBase+100+i),
			"--http-addr", n.httpAddr,
			"--gossip-addr", fmt.Sprintf("127.0.0.1:%d", benchMemPortBase+300+i),
			"--join", fmt.Sprintf("127.0.0.1:%d", benchMemPortBase+301),
			"--bootstrap-expect", strconv.Itoa(benchMemNodes),
			"--plaintext", "--pprof", "--log-level", "warn",
			"--raft-snapshot-threshold", strconv.FormatUint(c.snapThreshold, 10),
		}
		n.args = append(n.args, strings.Fields(c.extraNodeFlags)...)
		n.env = os.Environ()
		if c.goMemLimit != "" {
			n.env = append(n.env, "GOMEMLIMIT="+c.goMemLimit)
		}
		if c.goGC != "" {
			n.env = append(n.env, "GOGC="+c.goGC)
		}
		nodes = append(nodes, n)
	}
	return nodes
}

func (n *benchMemNode) start() error {
	if err := os.MkdirAll(n.dataDir, 0o750); err != nil {
		return err
	}
	logFile, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	n.cmd = exec.Command(n.bin, n.args...)
	n.cmd.Env = n.env
	n.cmd.Stdout, n.cmd.Stderr = logFile, logFile
	if err := n.cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("bench memory: start %s: %w", n.id, err)
	}
	n.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		logFile.Close()
		close(done)
	}(n.cmd, n.done)
	return nil
}

// stop sends sig and waits for the process to exit.
func (n *benchMemNode) stop(sig syscall.Signal, timeout time.Duration) error {
	if n.cmd == nil || n.cmd.Process == nil {
		return nil
	}
	_ = n.cmd.Process.Signal(sig)
	select {
	case <-n.done:
		n.cmd = nil
		return nil
	case <-time.After(timeout):
		n.kill()
		return fmt.Errorf("bench memory: %s did not exit within %v of %v", n.id, timeout, sig)
	}
}

// kill ends the process (if it runs) by its pid.
func (n *benchMemNode) kill() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	_ = n.cmd.Process.Kill()
	<-n.done
	n.cmd = nil
}

func (n *benchMemNode) get(ctx context.Context, path string) (string, int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.httpAddr+path, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode, err
}

func (n *benchMemNode) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if _, code, err := n.get(ctx, "/readyz"); err == nil && code == http.StatusOK {
			return nil
		}
		select {
		case <-n.done:
			return fmt.Errorf("bench memory: %s exited (log: %s)", n.id, n.logPath)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench memory: %s not ready within %v (log: %s)", n.id, timeout, n.logPath)
		}
		if err := benchMemSleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
}

func benchMemSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// benchMemMetrics is what bench memory reads from a node's /metrics.
type benchMemMetrics struct {
	values  map[string]float64
	applied map[string]uint64 // by group
	commit  map[string]uint64
}

func (n *benchMemNode) metrics(ctx context.Context) (*benchMemMetrics, error) {
	text, code, err := n.get(ctx, "/metrics")
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("bench memory: %s /metrics: HTTP %d", n.id, code)
	}
	m := &benchMemMetrics{values: map[string]float64{}, applied: map[string]uint64{}, commit: map[string]uint64{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		base, labels, _ := strings.Cut(name, "{")
		group := ""
		if _, rest, ok := strings.Cut(labels, `group="`); ok {
			group, _, _ = strings.Cut(rest, `"`)
		}
		switch base {
		case "boxoffice_raft_applied_index":
			m.applied[group] = uint64(v)
		case "boxoffice_raft_commit_index":
			m.commit[group] = uint64(v)
		default:
			if labels == "" {
				m.values[base] = v
			}
		}
	}
	return m, sc.Err()
}

// sample forces a GC in the node, lets the scavenger run, and reads the
// node's memory.
func (n *benchMemNode) sample(ctx context.Context) (benchMemSample, error) {
	s := benchMemSample{Node: n.id}
	if _, _, err := n.get(ctx, "/debug/pprof/heap?gc=1"); err != nil {
		return s, err
	}
	if err := benchMemSleep(ctx, 2*time.Second); err != nil {
		return s, err
	}
	rss, err := benchMemRSS(n.cmd.Process.Pid)
	if err != nil {
		return s, err
	}
	s.RSSAnonBytes, s.RSSFileBytes = rss.anon, rss.file
	m, err := n.metrics(ctx)
	if err != nil {
		return s, err
	}
	s.RSSBytes = rss.total
	s.HeapInuse = int64(m.values["go_memstats_heap_inuse_bytes"])
	s.HeapAlloc = int64(m.values["go_memstats_heap_alloc_bytes"])
	s.GoSysBytes = int64(m.values["go_memstats_sys_bytes"])
	s.CPUSeconds = m.values["process_cpu_seconds_total"]
	s.GCCycles = int64(m.values["go_gc_duration_seconds_count"])
	for _, a := range m.applied {
		s.AppliedByNode += int64(a)
	}
	return s, nil
}

// saveHeapProfile writes the node's heap profile to dir/<node>-phase<k>.pb.gz.
func (n *benchMemNode) saveHeapProfile(ctx context.Context, dir string, phase int) error {
	body, code, err := n.get(ctx, "/debug/pprof/heap")
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("bench memory: %s heap profile: HTTP %d", n.id, code)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-phase%d.pb.gz", n.id, phase)), []byte(body), 0o644)
}

// benchMemRSSBytes is a process's resident set: in total (VmRSS) and its
// anonymous (RssAnon) and file-backed (RssFile) parts.
type benchMemRSSBytes struct{ total, anon, file int64 }

// benchMemRSS reads the resident set of a process from /proc/PID/status.
func benchMemRSS(pid int) (benchMemRSSBytes, error) {
	var r benchMemRSSBytes
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return r, err
	}
	fields := map[string]*int64{"VmRSS:": &r.total, "RssAnon:": &r.anon, "RssFile:": &r.file}
	found := false
	for line := range strings.SplitSeq(string(b), "\n") {
		for name, dst := range fields {
			if rest, ok := strings.CutPrefix(line, name); ok {
				kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				if err != nil {
					return r, err
				}
				*dst = kb << 10
				found = found || name == "VmRSS:"
			}
		}
	}
	if !found {
		return r, errors.New("bench memory: no VmRSS in /proc status")
	}
	return r, nil
}

// benchMemLeaderCommit is, for every group, the largest commit index any
// running node reports.
func benchMemLeaderCommit(ctx context.Context, nodes []*benchMemNode) (map[string]uint64, error) {
	commit := map[string]uint64{}
	for _, n := range nodes {
		if n.cmd == nil {
			continue
		}
		m, err := n.metrics(ctx)
		if err != nil {
			return nil, err
		}
		for g, c := range m.commit {
			commit[g] = max(commit[g], c)
		}
	}
	return commit, nil
}

// benchMemConverge waits until every node has applied, in every group, the
// commit index the cluster had when the wait began.
func benchMemConverge(ctx context.Context, nodes []*benchMemNode) error {
	target, err := benchMemLeaderCommit(ctx, nodes)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(benchMemReadyTimeout)
	for _, n := range nodes {
		for {
			m, err := n.metrics(ctx)
			if err == nil && benchMemCaughtUp(m, target) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("bench memory: %s did not catch up within %v", n.id, benchMemReadyTimeout)
			}
			if err := benchMemSleep(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

func benchMemCaughtUp(m *benchMemMetrics, target map[string]uint64) bool {
	for g, t := range target {
		if m.applied[g] < t {
			return false
		}
	}
	return true
}

// benchMemVenue is a venue of seats seats: rows of 50, sections of 40 rows
// (the last section may be shorter).
func benchMemVenue(seats int) *boxofficev1.Venue {
	v := &boxofficev1.Venue{Name: "bench memory", PriceTiers: []*boxofficev1.PriceTier{{Id: "std", PriceCents: 5000, Currency: "EUR"}}}
	rows := seats / benchMemSeatsPerRow
	for s := 0; rows > 0; s++ {
		sec := &boxofficev1.Section{Id: fmt.Sprintf("s%d", s), Name: fmt.Sprintf("Section %d", s), PriceTier: "std"}
		for r := 0; r < benchMemRowsPerSection && rows > 0; r++ {
			sec.Rows = append(sec.Rows, &boxofficev1.Row{Label: strconv.Itoa(r + 1), SeatCount: benchMemSeatsPerRow, AisleAfter: []uint32{benchMemSeatsPerRow / 2}})
			rows--
		}
		v.Sections = append(v.Sections, sec)
	}
	return v
}

// benchMemBusy holds blocks of --hold-size adjacent seats, every block
// under its own holder, then sells some of them under their own orders:
// of every 100 blocks, the first sold*100 are sold, the next held*100 stay
// held, the rest stay available.
func benchMemBusy(ctx context.Context, cl *client.Client, c benchMemConfig, eventIDs []string, res *benchMemResult, logf func(string, ...any)) error {
	type task struct {
		event string
		seats []string
		sell  bool
		k     int
	}
	tasks := make(chan task, c.clients)
	perEvent := c.seats / c.events
	soldCut, heldCut := int(c.sold*100+0.5), int((c.sold+c.held)*100+0.5)
	go func() {
		defer close(tasks)
		k := 0
		blocksPerRow := benchMemSeatsPerRow / c.holdSize
		rowsPerEvent := perEvent / benchMemSeatsPerRow
		// Interleave the events, so every group is busy at once.
		for r := range rowsPerEvent {
			for _, ev := range eventIDs {
				sec, label := r/benchMemRowsPerSection, r%benchMemRowsPerSection+1
				for b := range blocksPerRow {
					k++
					p := k % 100
					if p >= heldCut {
						continue
					}
					seats := make([]string, c.holdSize)
					for i := range seats {
						seats[i] = fmt.Sprintf("s%d-%d-%d", sec, label, b*c.holdSize+i+1)
					}
					select {
					case tasks <- task{event: ev, seats: seats, sell: p < soldCut, k: k}:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	var holds, sells, failures atomic.Int64
	var firstErr sync.Once
	start := time.Now()
	stopProgress := make(chan struct{})
	go func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				logf("busy: %d holds, %d sells, %d failures, %.0f s", holds.Load(), sells.Load(), failures.Load(), time.Since(start).Seconds())
			case <-stopProgress:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				holder := fmt.Sprintf("fan%d", t.k)
				h, err := cl.Hold(ctx, &boxofficev1.HoldRequest{
					RequestId: fmt.Sprintf("bm-h-%s-%d", t.event, t.k), EventId: t.event, Holder: holder, TtlMs: benchMemHoldTTLMs,
					Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: t.seats}},
				})
				if err != nil {
					failures.Add(1)
					firstErr.Do(func() { logf("first failure: hold: %v", err) })
					continue
				}
				holds.Add(1)
				if !t.sell {
					continue
				}
				_, err = cl.Sell(ctx, &boxofficev1.SellRequest{
					RequestId: fmt.Sprintf("bm-s-%s-%d", t.event, t.k), EventId: t.event, HoldId: h.GetHoldId(), Holder: holder,
					OrderId: fmt.Sprintf("order%d", t.k), Buyer: fmt.Sprintf("buyer%d", t.k),
				})
				if err != nil {
					failures.Add(1)
					firstErr.Do(func() { logf("first failure: sell: %v", err) })
					continue
				}
				sells.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stopProgress)
	res.BusyMs = float64(time.Since(start).Microseconds()) / 1e3
	res.Holds, res.Sells, res.Failures = holds.Load(), sells.Load(), failures.Load()
	logf("busy phase: %d holds, %d sells, %d failures in %.1f s", res.Holds, res.Sells, res.Failures, res.BusyMs/1e3)
	return ctx.Err()
}

// benchMemSnapshots returns, for each data group of a node, the index of
// its newest snapshot on disk (0: none).
func benchMemSnapshots(n *benchMemNode) (map[string]uint64, error) {
	dir := filepath.Join(n.dataDir, "snapshots")
	groups, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for _, g := range groups {
		if !g.IsDir() || g.Name() == cluster.MetaGroupID {
			continue
		}
		out[g.Name()] = 0
		// raft.FileSnapshotStore keeps its snapshots in a "snapshots"
		// folder of the directory it is given.
		groupDir := filepath.Join(dir, g.Name(), "snapshots")
		snaps, err := os.ReadDir(groupDir)
		if err != nil {
			return nil, err
		}
		for _, s := range snaps {
			b, err := os.ReadFile(filepath.Join(groupDir, s.Name(), "meta.json"))
			if err != nil {
				continue // being written
			}
			var meta struct{ Index uint64 }
			if json.Unmarshal(b, &meta) == nil {
				out[g.Name()] = max(out[g.Name()], meta.Index)
			}
		}
	}
	return out, nil
}

// benchMemRestartNode waits for snapshots of n's data groups that leave at
// most threshold entries to replay, stops n with sig, starts it again and
// times its return.
func benchMemRestartNode(ctx context.Context, nodes []*benchMemNode, n *benchMemNode, sig syscall.Signal, threshold uint64, logf func(string, ...any)) (benchMemRestart, error) {
	r := benchMemRestart{Node: n.id}
	m, err := n.metrics(ctx)
	if err != nil {
		return r, err
	}
	deadline := time.Now().Add(benchMemSnapshotWait)
	var snaps map[string]uint64
	for {
		snaps, err = benchMemSnapshots(n)
		if err != nil {
			return r, err
		}
		covered := len(snaps) > 0
		for g, idx := range snaps {
			if idx+threshold < m.applied[g] {
				covered = false
			}
		}
		if covered {
			break
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("bench memory: %s: no snapshots within %d entries of the applied index after %v (%v)", n.id, threshold, benchMemSnapshotWait, snaps)
		}
		if err := benchMemSleep(ctx, time.Second); err != nil {
			return r, err
		}
	}
	stopAt := time.Now()
	if err := n.stop(sig, benchMemStopTimeout); err != nil {
		// A node that ignores SIGTERM is a finding, not the end of the run:
		// stop killed it, and the restart is timed as after SIGKILL.
		logf("%v; killed", err)
		r.StopTimedOut = true
	}
	r.StopMs = float64(time.Since(stopAt).Microseconds()) / 1e3
	// What the node must have applied when it is back: the commit index of
	// every group as the rest of the cluster sees it now (sweeps keep
	// moving it, so this is a lower bound the node must reach).
	target, err := benchMemLeaderCommit(ctx, nodes)
	if err != nil {
		return r, err
	}
	for g, idx := range target {
		if s, ok := snaps[g]; ok {
			if r.SnapshotIndex == 0 || s < r.SnapshotIndex {
				r.SnapshotIndex = s
			}
			r.Replayed += idx - min(idx, s)
		}
	}
	t0 := time.Now()
	if err := n.start(); err != nil {
		return r, err
	}
	var readyAt, caughtAt time.Duration
	for readyAt == 0 || caughtAt == 0 {
		if readyAt == 0 {
			if _, code, err := n.get(ctx, "/readyz"); err == nil && code == http.StatusOK {
				readyAt = time.Since(t0)
			}
		}
		if caughtAt == 0 {
			if m, err := n.metrics(ctx); err == nil && len(m.applied) > 0 && benchMemCaughtUp(m, target) {
				caughtAt = time.Since(t0)
			}
		}
		select {
		case <-n.done:
			return r, fmt.Errorf("bench memory: %s exited after restart (log: %s)", n.id, n.logPath)
		default:
		}
		if time.Since(t0) > benchMemReadyTimeout {
			return r, fmt.Errorf("bench memory: %s not back within %v (log: %s)", n.id, benchMemReadyTimeout, n.logPath)
		}
		if err := benchMemSleep(ctx, 5*time.Millisecond); err != nil {
			return r, err
		}
	}
	r.ReadyMs = float64(readyAt.Microseconds()) / 1e3
	r.CaughtUpMs = float64(caughtAt.Microseconds()) / 1e3
	r.RestartMs = max(r.ReadyMs, r.CaughtUpMs)
	if s, err := n.sample(ctx); err == nil {
		r.RSSAfterBytes = s.RSSBytes
	} else {
		logf("%s: sample after restart: %v", n.id, err)
	}
	return r, nil
}

func benchMemMiBs(samples []benchMemSample) string {
	var parts []string
	for _, s := range samples {
		parts = append(parts, fmt.Sprintf("%s %.1f", s.Node, float64(s.RSSBytes)/(1<<20)))
	}
	return strings.Join(parts, ", ")
}

func benchMemMedian(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// benchMemTable prints the medians over the nodes (memory) and over the
// restarts (time).
func benchMemTable(w io.Writer, res *benchMemResult) {
	rss := func(p benchMemPhase, f func(benchMemSample) int64) float64 {
		var xs []float64
		for _, s := range p.Samples {
			xs = append(xs, float64(f(s)))
		}
		return benchMemMedian(xs)
	}
	getRSS := func(s benchMemSample) int64 { return s.RSSBytes }
	getAnon := func(s benchMemSample) int64 { return s.RSSAnonBytes }
	getHeap := func(s benchMemSample) int64 { return s.HeapInuse }
	var emptyRSS, emptyHeap float64
	fmt.Fprintf(w, "bench memory: %d seats in %d events, 3 nodes each holding every seat (medians over the nodes)\n", res.Seats, res.Events)
	fmt.Fprintf(w, "%-18s %10s %10s %10s %13s %13s %13s\n", "phase", "RSS MiB", "anon MiB", "heap MiB", "RSS/seat B", "dRSS/seat B", "dheap/seat B")
	for i, p := range res.Phases {
		r, h := rss(p, getRSS), rss(p, getHeap)
		if i == 0 {
			emptyRSS, emptyHeap = r, h
		}
		perSeat, dRSS, dHeap := "-", "-", "-"
		if p.Seats > 0 {
			perSeat = fmt.Sprintf("%.1f", r/float64(p.Seats))
			dRSS = fmt.Sprintf("%.1f", (r-emptyRSS)/float64(p.Seats))
			dHeap = fmt.Sprintf("%.1f", (h-emptyHeap)/float64(p.Seats))
		}
		fmt.Fprintf(w, "%-18s %10.1f %10.1f %10.1f %13s %13s %13s\n", p.Name, r/(1<<20), rss(p, getAnon)/(1<<20), h/(1<<20), perSeat, dRSS, dHeap)
	}
	if len(res.Restarts) == 0 {
		return
	}
	fmt.Fprintf(w, "busy phase: %d holds, %d sells, %d failures in %.1f s\n", res.Holds, res.Sells, res.Failures, res.BusyMs/1e3)
	if n := len(res.Phases); n >= 2 && res.Holds+res.Sells > 0 {
		// CPU and GC cycles of the busy phase: between the last two
		// samples (each node's forced GC before a sample counts once).
		var cpu, gcs []float64
		for k, after := range res.Phases[n-1].Samples {
			if k < len(res.Phases[n-2].Samples) {
				before := res.Phases[n-2].Samples[k]
				cpu = append(cpu, after.CPUSeconds-before.CPUSeconds)
				gcs = append(gcs, float64(after.GCCycles-before.GCCycles))
			}
		}
		fmt.Fprintf(w, "busy phase per node (median): %.1f CPU s (%.0f µs per request), %.0f GC cycles\n",
			benchMemMedian(cpu), benchMemMedian(cpu)*1e6/float64(res.Holds+res.Sells), benchMemMedian(gcs))
	}
	fmt.Fprintf(w, "%-8s %4s %12s %12s %12s %12s %10s %12s %8s\n", "restart", "n", "median ms", "max ms", "ready ms", "caughtup ms", "replayed", "RSS after", "stop ms")
	for _, sig := range []string{"SIGTERM", "SIGKILL"} {
		var total, ready, caught, replayed, after, stop []float64
		hung := 0
		for _, r := range res.Restarts {
			if r.Signal == sig {
				total = append(total, r.RestartMs)
				ready = append(ready, r.ReadyMs)
				caught = append(caught, r.CaughtUpMs)
				replayed = append(replayed, float64(r.Replayed))
				after = append(after, float64(r.RSSAfterBytes)/(1<<20))
				stop = append(stop, r.StopMs)
				if r.StopTimedOut {
					hung++
				}
			}
		}
		if len(total) == 0 {
			continue
		}
		fmt.Fprintf(w, "%-8s %4d %12.0f %12.0f %12.0f %12.0f %10.0f %8.1f MiB %8.0f\n", sig, len(total), benchMemMedian(total), slices.Max(total), benchMemMedian(ready), benchMemMedian(caught), benchMemMedian(replayed), benchMemMedian(after), benchMemMedian(stop))
		if hung > 0 {
			fmt.Fprintf(w, "%-8s %d of %d stops did not exit within %v and were killed\n", sig, hung, len(total), benchMemStopTimeout)
		}
	}
}
