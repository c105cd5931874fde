package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/api/codec"
	"github.com/boxoffice/boxoffice/bench"
	"github.com/boxoffice/boxoffice/cluster/client"
)

// `boxoffice bench` runs the OSW-1 on-sale workload (package bench) against
// a running cluster; `boxoffice bench report FILE...` prints the table of
// earlier runs from their --json files.

// Connection modes of bench.
const (
	// benchConnClient: --conns instances of package client, each with one
	// connection per node, routing every call to the shard leader.
	benchConnClient = "client"
	// benchConnRaw: --conns raw gRPC connections per node; clients are
	// spread over the nodes and each node forwards to the leader.
	benchConnRaw = "raw"

	benchConnsDefault = 4
	benchConnsMax     = 64
	benchIdleDuration = 5 * time.Second
)

const benchUsage = `Usage:
  boxoffice bench [flags]            run OSW-1 against a running cluster
  boxoffice bench report FILE.json...  print the table of earlier runs
  boxoffice bench memory [flags]     memory per seat and restart time of real node processes
  boxoffice bench gateway [flags]    the full fan flow over a running gateway's HTTP API (see bench gateway -h)

OSW-1: C clients each pick a section (Zipf skew, section 0 hottest), hold
the best 2 adjacent seats there, then sell (80%%) or release the hold, until
every section is exhausted or the time limit. At the end a linearizable
seat map is checked: no seat sold twice, sold seats = the seats of
acknowledged sells, nothing left held.

With --read-only, C clients instead loop on GetSeatMap of one Zipf-drawn
section (--seatmap-view, --read-consistency) for --duration and the
reads/s and read latency are reported; nothing is held. With
--read-stream as well, each read is a message on a ReadSeatMaps stream
(one per node per Go client, shared by the clients of that Go client)
instead of a unary call.

Under the runs, a second table gives the CPU microseconds per operation of
the load generator and of each node (read from its /metrics before and
after the run; --node-cpu=false to skip), and how busy this machine was.

Flags:
`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "report" {
		if len(args) > 1 && (args[1] == "-h" || args[1] == "--help") {
			fmt.Fprint(stdout, benchReportHelp)
			return nil
		}
		return runBenchReport(args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "memory" {
		return runBenchMemory(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "gateway" {
		return runBenchGateway(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("boxoffice bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useHelp(fs, benchHelp(benchUsage, benchExamples, benchEnv))
	var (
		cfg            bench.Config
		conn           = ctlNewOptions()
		connMode       string
		conns          int
		skew           float64
		sellRatio      float64
		readConsist    string
		seatMapView    string
		idle           bool
		unaryCommands  bool
		quiet          bool
		jsonPath       string
		plotPath       string
		cpuProfilePath string
		nodeCPUOn      bool
	)
	fs.StringVar(&conn.addrs, "addr", conn.addrs, "comma-separated gRPC `addresses` of nodes of the cluster ($"+ctlAddrEnv+")")
	fs.StringVar(&conn.tlsCA, "tls-ca", "", "PEM `file` of the CA that signed the nodes' certificates (enables TLS)")
	fs.StringVar(&conn.tlsCert, "tls-cert", "", "PEM client certificate `file` (with --tls-key)")
	fs.StringVar(&conn.tlsKey, "tls-key", "", "PEM client key `file` (with --tls-cert)")
	fs.StringVar(&conn.tlsServerName, "tls-server-name", conn.tlsServerName, "DNS `name` the nodes' certificates carry")
	fs.StringVar(&connMode, "conn", benchConnClient, "how clients reach the cluster: client (routed to shard leaders) or raw (any node, which forwards)")
	fs.IntVar(&conns, "conns", benchConnsDefault, "connections per node (client: instances of the Go client)")
	fs.IntVar(&cfg.Clients, "clients", bench.ClientsDefault, "concurrent clients")
	fs.DurationVar(&cfg.DurationLimit, "duration", bench.DurationLimitDefault, "time limit, if the venue does not sell out first")
	fs.DurationVar(&cfg.OperationTimeout, "timeout", bench.OperationTimeoutDefault, "limit of one operation, retries included")
	fs.DurationVar(&cfg.SampleInterval, "sample-interval", bench.SampleIntervalDefault, "resolution of the timeline in the JSON result and the plot (at least 10ms; the progress line stays at one a second)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed of the section draws and the sell-or-release coin")
	fs.StringVar(&cfg.EventID, "event", "", "id of the event to create (must not exist; default a fresh id)")
	fs.StringVar(&cfg.Label, "label", "", "name of the run in tables (default C=<clients>)")
	fs.IntVar(&cfg.Sections, "sections", bench.SectionsDefault, "sections of the venue")
	fs.IntVar(&cfg.Rows, "rows", bench.RowsDefault, "rows per section")
	fs.IntVar(&cfg.SeatsPerRow, "seats", bench.SeatsPerRowDefault, "seats per row")
	fs.IntVar(&cfg.Shards, "shards", 0, "shards of the event (0: the cluster's choice)")
	fs.IntVar(&cfg.Groups, "groups", 0, "data groups the event is spread over (0: the cluster's choice, one)")
	fs.IntVar(&cfg.HoldSize, "hold-size", bench.HoldSizeDefault, "adjacent seats per hold")
	fs.Float64Var(&skew, "skew", bench.ZipfExponentDefault, "Zipf exponent of the section draw (0: uniform)")
	fs.Float64Var(&sellRatio, "sell-ratio", bench.SellRatioDefault, "probability that a hold is sold rather than released")
	fs.BoolVar(&cfg.ExplicitSeats, "explicit", false, "clients pick seats from a STALE seat map and hold them by id (conflicts retried)")
	fs.IntVar(&cfg.SeatMapReads, "seatmap-reads", 0, "GetSeatMap calls of the chosen section before each hold")
	fs.IntVar(&cfg.HoldReads, "hold-reads", 0, "GetHold calls after each hold")
	fs.StringVar(&readConsist, "read-consistency", string(bench.ConsistencyStale), "consistency of those reads: stale or linearizable")
	fs.StringVar(&seatMapView, "seatmap-view", string(bench.SeatMapViewFull), "view of the seat-map reads: full, availability (a state byte per seat) or summary")
	fs.BoolVar(&cfg.ReadOnly, "read-only", false, "read-heavy run: clients loop on GetSeatMap of a Zipf-drawn section (--seatmap-view, --read-consistency) until --duration; nothing is held")
	fs.BoolVar(&cfg.ReadStream, "read-stream", false, "with --read-only: send the reads as messages on ReadSeatMaps streams (one per node per Go client, see --conns) instead of unary GetSeatMap calls; needs --conn client")
	fs.BoolVar(&unaryCommands, "unary-commands", false, "with --conn client: send holds, sells and releases as unary calls instead of messages on each node's Commands stream (client.Config.UnaryCommands)")
	fs.BoolVar(&idle, "idle", false, "idle latency: 1 client for 5s (unless --duration is given)")
	fs.BoolVar(&quiet, "quiet", false, "no progress line on stderr")
	fs.StringVar(&jsonPath, "json", "", "write the result as JSON to this `file`")
	fs.StringVar(&plotPath, "plot", "", "write a PNG of throughput and latency over time to this `file`")
	fs.StringVar(&cpuProfilePath, "cpuprofile", "", "write a CPU profile of the load generator to this `file`")
	fs.BoolVar(&nodeCPUOn, "node-cpu", true, "read each node's process_cpu_seconds_total from its /metrics before and after the run and report CPU per operation by process (with the load generator's and, from /proc/stat, the machine's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if idle {
		cfg.Clients = 1
		if !given["duration"] {
			cfg.DurationLimit = benchIdleDuration
		}
		if cfg.Label == "" {
			cfg.Label = "idle C=1"
		}
	}
	// The flags take 0 at face value; Config reads 0 as "the default".
	for _, f := range []struct {
		name  string
		value int
	}{{"clients", cfg.Clients}, {"sections", cfg.Sections}, {"rows", cfg.Rows}, {"seats", cfg.SeatsPerRow}, {"hold-size", cfg.HoldSize}} {
		if f.value < 1 {
			return fmt.Errorf("bench: --%s %d: want at least 1", f.name, f.value)
		}
	}
	if cfg.DurationLimit <= 0 || cfg.OperationTimeout <= 0 {
		return fmt.Errorf("bench: --duration %v and --timeout %v must be positive", cfg.DurationLimit, cfg.OperationTimeout)
	}
	if skew == 0 {
		skew = -1
	}
	if sellRatio == 0 {
		sellRatio = -1
	}
	cfg.ZipfExponent, cfg.SellRatio = skew, sellRatio
	cfg.ReadConsistency = bench.Consistency(readConsist)
	cfg.SeatMapView = bench.SeatMapView(seatMapView)
	if err := cfg.Validate(); err != nil {
		return err
	}
	if connMode != benchConnClient && connMode != benchConnRaw {
		return fmt.Errorf("bench: --conn %q: want %s or %s", connMode, benchConnClient, benchConnRaw)
	}
	if cfg.ReadStream && connMode != benchConnClient {
		return fmt.Errorf("bench: --read-stream needs --conn %s (the Go client keeps the streams)", benchConnClient)
	}
	if conns < 1 || conns > benchConnsMax {
		return fmt.Errorf("bench: --conns %d: want 1..%d", conns, benchConnsMax)
	}
	tlsConfig, err := conn.tlsConfig()
	if err != nil {
		return err
	}
	var addrs []string
	for addr := range strings.SplitSeq(conn.addrs, ",") {
		if addr = strings.TrimSpace(addr); addr != "" {
			addrs = append(addrs, addr)
		}
	}

	settleProgress, _ := benchProgress(quiet, stderr)
	if err := benchSettle(ctx, addrs, tlsConfig, settleProgress); err != nil {
		return err
	}
	inventories, describe, closeAll, err := benchConnect(ctx, connMode, conns, client.Config{Addrs: addrs, TLS: tlsConfig, UnaryCommands: unaryCommands})
	if err != nil {
		return err
	}
	defer closeAll()

	if nodeCPUOn {
		probe, err := client.Dial(ctx, client.Config{Addrs: addrs, TLS: tlsConfig})
		if err != nil {
			return err
		}
		defer probe.Close()
		cfg.CPU = bench.NodeCPU(probe.Status, &http.Client{})
	}

	if cpuProfilePath != "" {
		f, err := os.Create(cpuProfilePath)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}

	progress, inPlace := benchProgress(quiet, stderr)
	res, err := bench.Run(ctx, cfg, inventories, progress, inPlace)
	if err != nil {
		return err
	}
	res.Connections = describe

	if err := bench.WriteTable(stdout, []*bench.Result{res}); err != nil {
		return err
	}
	if cfg.ReadOnly {
		for _, r := range res.Reads {
			fmt.Fprintf(stdout, "event %s, %s; read-only: %s %.0f reads/s, latency p50 %.2f ms, p99 %.2f ms, p999 %.2f ms, max %.2f ms\n",
				res.EventID, res.Connections, r.Kind, r.PerS, r.Latency.P50Ms, r.Latency.P99Ms, r.Latency.P999Ms, r.Latency.MaxMs)
		}
		fmt.Fprintln(stdout, res.Check.Detail)
	} else {
		fmt.Fprintf(stdout, "event %s, %s; hold latency p50 %.2f ms, p99 %.2f ms, p999 %.2f ms, max %.2f ms; sell p50 %.2f ms, p99 %.2f ms\n%s\n",
			res.EventID, res.Connections, res.HoldLatency.P50Ms, res.HoldLatency.P99Ms, res.HoldLatency.P999Ms, res.HoldLatency.MaxMs,
			res.SellLatency.P50Ms, res.SellLatency.P99Ms, res.Check.Detail)
	}
	var errs []error
	if jsonPath != "" {
		errs = append(errs, bench.WriteJSON(jsonPath, res))
	}
	if plotPath != "" {
		errs = append(errs, bench.WritePlot(plotPath, res))
	}
	if !res.Check.OK {
		errs = append(errs, fmt.Errorf("bench: the invariant check failed: %s", res.Check.Detail))
	}
	return errors.Join(errs...)
}

// benchConnect makes the connections of a run and says what they are.
func benchConnect(ctx context.Context, mode string, conns int, cfg client.Config) (
	inventories []bench.Inventory, describe string, closeAll func(), err error) {
	addrs, tlsConfig := cfg.Addrs, cfg.TLS
	var closers []io.Closer
	closeEvery := func() {
		for _, c := range closers {
			_ = c.Close()
		}
	}
	defer func() {
		if err != nil {
			closeEvery()
		}
	}()
	if err := cfg.Validate(); err != nil {
		return nil, "", nil, fmt.Errorf("bench: --addr: %w", err)
	}
	switch mode {
	case benchConnClient:
		for range conns {
			c, err := client.Dial(ctx, cfg)
			if err != nil {
				return nil, "", nil, err
			}
			closers = append(closers, c)
			inventories = append(inventories, c)
		}
		how := "mutations on one Commands stream per node each"
		if cfg.UnaryCommands {
			how = "mutations as unary calls"
		}
		return inventories, fmt.Sprintf("%d Go clients (1 connection per node each, routed to shard leaders, %s)", conns, how), closeEvery, nil
	}

	// Raw: learn every node's address from one of them, then open conns
	// connections to each; client i uses inventories[i % len], so that
	// consecutive clients land on different nodes.
	probe, err := client.Dial(ctx, cfg)
	if err != nil {
		return nil, "", nil, err
	}
	status, err := probe.Status(ctx)
	probe.Close()
	if err != nil {
		return nil, "", nil, err
	}
	var nodeAddrs []string
	for _, n := range status.GetNodes() {
		if n.GetState() == "alive" && n.GetGrpcAddr() != "" {
			nodeAddrs = append(nodeAddrs, n.GetGrpcAddr())
		}
	}
	if len(nodeAddrs) == 0 {
		nodeAddrs = addrs
	}
	creds := insecure.NewCredentials()
	if tlsConfig != nil {
		creds = credentials.NewTLS(tlsConfig)
	}
	for range conns {
		for _, addr := range nodeAddrs {
			// The Go client's codec, so that raw and client runs differ
			// in routing only.
			cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds),
				grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(client.ResponseBytesMax), grpc.ForceCodecV2(codec.Client())))
			if err != nil {
				return nil, "", nil, err
			}
			closers = append(closers, cc)
			inventories = append(inventories, bench.Raw(boxofficev1.NewInventoryClient(cc)))
		}
	}
	return inventories, fmt.Sprintf("%d raw gRPC connections to each of %d nodes (any node, forwarded to leaders)", conns, len(nodeAddrs)), closeEvery, nil
}

func runBenchReport(paths []string, stdout io.Writer) error {
	if len(paths) == 0 {
		return errors.New("bench report: give the JSON files of runs (written by bench --json)")
	}
	var results []*bench.Result
	for _, path := range paths {
		r, err := bench.ReadJSON(path)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	return bench.WriteTable(stdout, results)
}
