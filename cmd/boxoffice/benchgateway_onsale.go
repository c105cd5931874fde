package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/bench"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/cluster/client"
)

// `boxoffice bench gateway onsale` is what `make bench-gateway` runs: the
// whole purchase path on this machine, measured into one table.

const benchOnsaleUsage = `Usage:
  boxoffice bench gateway onsale [flags]

Starts a fresh 3-node cluster of ` + "`boxoffice start`" + ` processes (fsync on,
plaintext gRPC on 127.0.0.1, as make bench) and 2 ` + "`boxoffice gateway`" + `
processes (demo mode: dev login and fake payments; plaintext HTTP; the same
JWT, ticket, record and scan secrets, so a token works on both), then:

 1. purchases: C fans at a time, spread over the two gateways, each a new
    fan: dev login, join the waiting room and poll until admitted, hold 2
    best-available seats, order, fake-pay, list the tickets; a purchase
    counts once its tickets are verified. Then the end-of-run check through
    the cluster: sold seats = paid orders' seats = tickets, no seat sold
    twice, no fan over the ticket limit.
 2. seat-map views by vegeta (github.com/tsenart/vegeta, a go tool of
    go.mod) on both gateways at once, one section per view, a share of them
    revalidated with If-None-Match (304s counted apart).
 3. queue-position polls by vegeta on both gateways at once, from fans
    waiting in a second event's waiting room.

Views and polls carry each fan's token and its own X-Forwarded-For address
(the gateways trust 127.0.0.1 as their load balancer), so the per-fan and
per-IP rate limits see phones. Cluster calls per purchase are the nodes'
API operations (boxoffice_api_operations_total) over the purchase phase,
divided by the purchases. With --store-holds (make bench's C=256 holds/s,
measured on this machine within the hour), the table gives purchases/s as
a share of it. Logs and data go to a temporary directory, removed at the
end unless --keep.

Flags:
`

// benchOnsaleConfig is one run of bench gateway onsale.
type benchOnsaleConfig struct {
	bin, dir, nodeFlags, gatewayFlags string
	keep, quiet                       bool
	portBase                          int
	purchase                          bench.GatewayConfig
	vegetaDuration                    time.Duration
	viewRate, pollRate                int
	viewFans, pollFans                int
	vegetaWorkers                     uint64
	revalidateShare                   float64
	storeHolds                        float64
	jsonPath                          string
}

// benchOnsaleResult is what the run measured; --json writes it.
type benchOnsaleResult struct {
	Machine    string                `json:"machine"`
	Setup      string                `json:"setup"`
	Purchases  *bench.GatewayResult  `json:"purchases"`
	Views      []bench.VegetaResult  `json:"views"`
	Polls      []bench.VegetaResult  `json:"polls"`
	StoreHolds float64               `json:"store_holds_per_s,omitempty"`
	Check      string                `json:"check"` // PASS or FAIL
	Gateways   []string              `json:"gateways"`
	Nodes      []string              `json:"nodes"`
	StartedAt  time.Time             `json:"started_at"`
	processes  []*benchOnsaleProcess `json:"-"`
}

func runBenchGatewayOnsale(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("boxoffice bench gateway onsale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useHelp(fs, benchHelp(benchOnsaleUsage, []string{"make bench-gateway", "boxoffice bench gateway onsale --duration 10s --vegeta-duration 5s --store-holds 9800"}, nil))
	var c benchOnsaleConfig
	fs.StringVar(&c.bin, "bin", "", "the boxoffice `binary` to start (default: this one)")
	fs.StringVar(&c.dir, "dir", "", "`directory` for data and logs (default: a fresh temporary one)")
	fs.BoolVar(&c.keep, "keep", false, "keep the data and logs directory")
	fs.IntVar(&c.portBase, "port-base", 18000, "ports: gRPC base+101.., peer +201.., node HTTP +301.., gossip +401.., gateways +501..")
	fs.StringVar(&c.nodeFlags, "node-flags", "", "extra flags for every node (space-separated)")
	fs.StringVar(&c.gatewayFlags, "gateway-flags", "", "extra flags for every gateway (space-separated)")
	fs.IntVar(&c.purchase.Clients, "clients", 64, "concurrent fans of the purchase phase, spread over the gateways")
	fs.DurationVar(&c.purchase.DurationLimit, "duration", 20*time.Second, "length of the purchase phase (less if the venue sells out)")
	fs.IntVar(&c.purchase.Sections, "sections", bench.SectionsDefault, "sections of the event")
	fs.IntVar(&c.purchase.Rows, "rows", bench.RowsDefault, "rows per section")
	fs.IntVar(&c.purchase.SeatsPerRow, "seats", bench.SeatsPerRowDefault, "seats per row")
	fs.Float64Var(&c.purchase.WaitingRoomAdmitPerSecond, "admit-per-second", 100_000, "the waiting room's admission `rate` during the purchase phase")
	fs.Uint64Var(&c.purchase.Seed, "seed", 1, "random seed")
	fs.DurationVar(&c.vegetaDuration, "vegeta-duration", 10*time.Second, "length of each vegeta attack (views, then polls; 0 skips both)")
	fs.IntVar(&c.viewRate, "view-rate", 20_000, "seat-map views per second vegeta sends to each gateway")
	fs.IntVar(&c.pollRate, "poll-rate", 50_000, "queue-position polls per second vegeta sends to each gateway")
	fs.IntVar(&c.viewFans, "view-fans", 1000, "fans (tokens and addresses) the views come from")
	fs.IntVar(&c.pollFans, "poll-fans", 1000, "fans waiting in the queue whose polls are sent")
	fs.Uint64Var(&c.vegetaWorkers, "vegeta-workers", bench.VegetaMaxWorkersDefault, "most requests in flight per vegeta attack (one attack per gateway)")
	fs.Float64Var(&c.revalidateShare, "revalidate-share", 0.5, "share of views sent with If-None-Match (when the gateway gives ETags)")
	fs.Float64Var(&c.storeHolds, "store-holds", 0, "make bench's C=256 holds/s on this machine, measured within the hour (0: no ratio)")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress on stderr")
	fs.StringVar(&c.jsonPath, "json", "", "also write the result as JSON to this `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench gateway onsale: unexpected argument %q", fs.Arg(0))
	}
	switch {
	case c.purchase.Clients < 1 || c.purchase.DurationLimit <= 0:
		return fmt.Errorf("bench gateway onsale: --clients %d and --duration %v must be positive", c.purchase.Clients, c.purchase.DurationLimit)
	case c.vegetaDuration < 0 || c.viewRate < 1 || c.pollRate < 1 || c.viewFans < 1 || c.pollFans < 1 || c.vegetaWorkers < 1:
		return errors.New("bench gateway onsale: --vegeta-duration must not be negative; rates and fans must be positive")
	case c.revalidateShare < 0 || c.revalidateShare > 1:
		return fmt.Errorf("bench gateway onsale: --revalidate-share %v: want 0..1", c.revalidateShare)
	case c.storeHolds < 0:
		return fmt.Errorf("bench gateway onsale: --store-holds %v is negative", c.storeHolds)
	case c.portBase < 1024 || c.portBase > 65000-600:
		return fmt.Errorf("bench gateway onsale: --port-base %d: want 1024..64400", c.portBase)
	}
	res, err := benchGatewayOnsale(ctx, c, stderr)
	if res != nil {
		writeOnsaleTable(stdout, res)
		if c.jsonPath != "" {
			b, jerr := json.MarshalIndent(res, "", "  ")
			if jerr == nil {
				jerr = os.WriteFile(c.jsonPath, append(b, '\n'), 0o644)
			}
			if jerr != nil && err == nil {
				err = jerr
			}
		}
	}
	if err != nil {
		return err
	}
	if res.Check != "PASS" {
		return errors.New("bench gateway onsale: the end-of-run check failed")
	}
	return nil
}

// benchOnsaleProcess is one node or gateway process.
type benchOnsaleProcess struct {
	name, logPath, readyURL string
	cmd                     *exec.Cmd
	done                    chan struct{}
}

func startOnsaleProcess(name, bin, logPath, readyURL string, args []string) (*benchOnsaleProcess, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	p := &benchOnsaleProcess{name: name, logPath: logPath, readyURL: readyURL, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("bench gateway onsale: start %s: %w", name, err)
	}
	go func() { _ = p.cmd.Wait(); logFile.Close(); close(p.done) }()
	return p, nil
}

func (p *benchOnsaleProcess) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		if resp, err := hc.Get(p.readyURL); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("bench gateway onsale: %s exited before it was ready (log: %s)", p.name, p.logPath)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond): // poll interval of /readyz
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench gateway onsale: %s not ready within %v (log: %s)", p.name, timeout, p.logPath)
		}
	}
}

// stop sends SIGTERM, and SIGKILL after 15 s.
func (p *benchOnsaleProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func benchGatewayOnsale(ctx context.Context, c benchOnsaleConfig, stderr io.Writer) (_ *benchOnsaleResult, err error) {
	logf := func(format string, args ...any) {
		if !c.quiet {
			fmt.Fprintf(stderr, "bench gateway onsale: "+format+"\n", args...)
		}
	}
	if c.bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		c.bin = exe
	}
	if c.dir == "" {
		dir, err := os.MkdirTemp("", "boxoffice-bench-gateway-")
		if err != nil {
			return nil, err
		}
		c.dir = dir
	}
	// A failed run keeps its logs.
	var res *benchOnsaleResult
	defer func() {
		if c.keep || err != nil || (res != nil && res.Check == "FAIL") {
			fmt.Fprintf(stderr, "bench gateway onsale: data and logs kept in %s\n", c.dir)
			return
		}
		_ = os.RemoveAll(c.dir)
	}()
	res = &benchOnsaleResult{StartedAt: time.Now().UTC(), Machine: fmt.Sprintf("%d CPUs (%s/%s), shared by the nodes, the gateways and the load generator", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH),
		Setup: "3 node processes (fsync on, plaintext gRPC), 2 gateway processes (--demo --fake-payments, plain HTTP, as make run), load generator: one machine, 127.0.0.1"}
	defer func() {
		// Gateways first, so that no gateway call meets a stopped node.
		for _, p := range slices.Backward(res.processes) {
			p.stop()
		}
	}()
	logf("data and logs in %s", c.dir)

	// The nodes, started as scripts/bench.sh starts them.
	base := c.portBase
	var grpcAddrs []string
	for i := 1; i <= 3; i++ {
		args := []string{"start", "--node-id", fmt.Sprintf("n%d", i), "--data-dir", filepath.Join(c.dir, fmt.Sprintf("n%d", i)),
			"--grpc-addr", fmt.Sprintf("127.0.0.1:%d", base+100+i), "--peer-addr", fmt.Sprintf("127.0.0.1:%d", base+200+i),
			"--http-addr", fmt.Sprintf("127.0.0.1:%d", base+300+i), "--gossip-addr", fmt.Sprintf("127.0.0.1:%d", base+400+i),
			"--bootstrap-expect", "3", "--plaintext", "--log-level", "warn"}
		if i > 1 {
			args = append(args, "--join", fmt.Sprintf("127.0.0.1:%d", base+401))
		}
		args = append(args, strings.Fields(c.nodeFlags)...)
		p, err := startOnsaleProcess(fmt.Sprintf("node n%d", i), c.bin, filepath.Join(c.dir, fmt.Sprintf("n%d.log", i)),
			fmt.Sprintf("http://127.0.0.1:%d/readyz", base+300+i), args)
		if err != nil {
			return nil, err
		}
		res.processes = append(res.processes, p)
		grpcAddrs = append(grpcAddrs, fmt.Sprintf("127.0.0.1:%d", base+100+i))
		res.Nodes = append(res.Nodes, fmt.Sprintf("127.0.0.1:%d", base+100+i))
		c.purchase.NodeMetricsURLs = append(c.purchase.NodeMetricsURLs, fmt.Sprintf("http://127.0.0.1:%d/metrics", base+300+i))
	}
	for _, p := range res.processes {
		if err := p.waitReady(ctx, 60*time.Second); err != nil {
			return nil, err
		}
	}
	logf("3 nodes ready")

	// The gateways: one deployment, so the same secrets.
	secret := func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	}
	jwt, ticketKey, recordKey, scanSecret := secret(), secret(), secret(), secret()
	var gateways []string
	for i := 1; i <= 2; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", base+500+i)
		// Each gateway dials every node (as make run's demo does).
		args := []string{"gateway", "--demo", "--fake-payments", "--cluster", strings.Join(grpcAddrs, ","), "--http-addr", addr,
			"--jwt-secret", jwt, "--ticket-key", ticketKey, "--record-key", recordKey, "--scan-secret", scanSecret,
			"--trusted-proxies", "127.0.0.1", "--log-level", "warn"}
		args = append(args, strings.Fields(c.gatewayFlags)...)
		p, err := startOnsaleProcess(fmt.Sprintf("gateway g%d", i), c.bin, filepath.Join(c.dir, fmt.Sprintf("g%d.log", i)), "http://"+addr+"/readyz", args)
		if err != nil {
			return nil, err
		}
		res.processes = append(res.processes, p)
		gateways = append(gateways, "http://"+addr)
	}
	for _, p := range res.processes[3:] {
		if err := p.waitReady(ctx, 60*time.Second); err != nil {
			return nil, err
		}
	}
	res.Gateways = gateways
	logf("2 gateways ready: %s", strings.Join(gateways, ", "))

	cl, err := client.Dial(ctx, client.Config{Addrs: grpcAddrs, CallTimeout: 10 * time.Second, RetryTimeout: 60 * time.Second})
	if err != nil {
		return res, err
	}
	defer cl.Close()

	// 1. Purchases.
	cfg := c.purchase
	cfg.BaseURL, cfg.MoreGateways = gateways[0], gateways[1:]
	cfg.HoldSize, cfg.AbandonRatio, cfg.SpreadSourceAddrs = 2, -1, true
	cfg.Label = fmt.Sprintf("purchases C=%d over 2 gateways", cfg.Clients)
	progress, inPlace := benchProgress(c.quiet, stderr)
	logf("purchases: %d fans at a time for %v", cfg.Clients, cfg.DurationLimit)
	res.Purchases, err = bench.RunGateway(ctx, cfg, cl, progress, inPlace)
	if err != nil {
		return res, err
	}
	res.Check = "FAIL"
	if ch := res.Purchases.Check; ch != nil && ch.OK && res.Purchases.SeatsPerBuyerMax <= 6 &&
		ch.TicketsIssued == ch.SeatsOfOrders && ch.SeatsSoldByRun == ch.SeatsOfOrders {
		res.Check = "PASS"
	}
	res.StoreHolds = c.storeHolds
	if c.vegetaDuration == 0 {
		return res, nil
	}

	// 2. Seat-map views of the event just sold, on both gateways at once.
	setupCtx, cancelSetup := context.WithTimeout(ctx, 5*time.Minute)
	defer cancelSetup()
	logf("views: logging %d fans in", c.viewFans)
	viewFans, err := bench.LoginVegetaFans(setupCtx, gateways[0], "vegeta-viewer", c.viewFans, 16)
	if err != nil {
		return res, err
	}
	sections, err := bench.EventSections(setupCtx, gateways[0], res.Purchases.EventID, viewFans[0])
	if err != nil {
		return res, err
	}
	var views []bench.VegetaAttack
	for i, g := range gateways {
		etags, err := bench.SeatMapETags(setupCtx, g, res.Purchases.EventID, sections, viewFans[0])
		if err != nil {
			return res, err
		}
		views = append(views, bench.VegetaAttack{Name: "views", Gateway: g, Rate: c.viewRate, Duration: c.vegetaDuration, MaxWorkers: c.vegetaWorkers,
			Targets: bench.SeatMapViewTargets(g, res.Purchases.EventID, sections, etags, viewFans, c.revalidateShare, c.purchase.Seed+uint64(i))})
	}
	logf("views: %d/s on each gateway for %v (vegeta)", c.viewRate, c.vegetaDuration)
	res.Views = bench.RunVegeta(ctx, views)

	// 3. Queue-position polls from fans waiting in another event's room.
	queueEvent := res.Purchases.EventID + "_queue"
	if _, err := cl.CreateEvent(setupCtx, &boxofficev1.CreateEventRequest{RequestId: "gwbench-create-" + queueEvent, EventId: queueEvent,
		Name: "Gateway bench waiting room", Venue: cluster.OnSaleVenue(1, 10, 10)}); err != nil {
		return res, fmt.Errorf("bench gateway onsale: creating event %s: %w", queueEvent, err)
	}
	if err := waitEventReady(setupCtx, cl, queueEvent); err != nil {
		return res, err
	}
	if err := bench.OpenWaitingRoom(setupCtx, gateways[0], queueEvent, 0.01); err != nil {
		return res, err
	}
	logf("polls: %d fans join the waiting room", c.pollFans)
	pollFans, err := bench.LoginVegetaFans(setupCtx, gateways[0], "vegeta-waiter", c.pollFans, 16)
	if err != nil {
		return res, err
	}
	if err := bench.JoinWaitingRoom(setupCtx, gateways[0], queueEvent, pollFans, 16); err != nil {
		return res, err
	}
	var polls []bench.VegetaAttack
	for _, g := range gateways {
		polls = append(polls, bench.VegetaAttack{Name: "polls", Gateway: g, Rate: c.pollRate, Duration: c.vegetaDuration, MaxWorkers: c.vegetaWorkers,
			Targets: bench.QueuePollTargets(g, queueEvent, pollFans)})
	}
	logf("polls: %d/s on each gateway for %v (vegeta)", c.pollRate, c.vegetaDuration)
	res.Polls = bench.RunVegeta(ctx, polls)
	return res, nil
}

// waitEventReady waits until a fresh event's seats are in the cluster.
func waitEventReady(ctx context.Context, cl *client.Client, eventID string) error {
	for {
		sm, err := cl.GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: eventID, SummaryOnly: true})
		if err == nil && sm != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench gateway onsale: event %s never became ready: %w (last: %v)", eventID, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond): // poll interval
		}
	}
}

// writeOnsaleTable prints the run as one table.
func writeOnsaleTable(w io.Writer, res *benchOnsaleResult) {
	// goalRow shows issue 20's bar for the row and whether the run met it.
	goalRow := func(name, goal string, met bool, format string, args ...any) {
		verdict := ""
		if goal != "" {
			verdict = goal + map[bool]string{true: " met", false: " NOT met"}[met]
		}
		fmt.Fprintf(w, "%-32s %-22s %s\n", name, verdict, fmt.Sprintf(format, args...))
	}
	row := func(name, format string, args ...any) { goalRow(name, "", false, format, args...) }
	fmt.Fprintf(w, "\nmake bench-gateway: %s\n%s\n", res.Setup, res.Machine)
	fmt.Fprintf(w, "%-32s %-22s %s\n", "measure", "issue 20's bar", "value")
	p := res.Purchases
	if p == nil {
		row("purchases", "not measured")
		return
	}
	goalRow("purchases/s", ">= 1000", p.PurchasesPerS >= 1000, "%.1f  (%d purchases of 2 seats in %.1f s, C=%d over %d gateways, waiting room, fake payments, tickets verified; %d errors)",
		p.PurchasesPerS, p.Purchases, p.ElapsedS, p.Clients, len(res.Gateways), p.ErrorCount)
	if res.StoreHolds > 0 {
		goalRow("  ÷ make bench C=256 holds/s", ">= 0.1", p.PurchasesPerS/res.StoreHolds >= 0.1, "%.4f  (%.1f / %.0f)", p.PurchasesPerS/res.StoreHolds, p.PurchasesPerS, res.StoreHolds)
	} else {
		row("  ÷ make bench C=256 holds/s", "not given (--store-holds from make bench within the hour)")
	}
	for _, s := range p.Steps {
		if s.Latency.Count == 0 {
			continue
		}
		if s.Step == "purchase" { // the whole flow: no bar of its own
			row("  p50 / p99 "+s.Step, "%.1f / %.1f ms  (n=%d)", s.Latency.P50Ms, s.Latency.P99Ms, s.Latency.Count)
			continue
		}
		goalRow("  p50 / p99 "+s.Step, "p99 <= 100 ms", s.Latency.P99Ms <= 100, "%.1f / %.1f ms  (n=%d)", s.Latency.P50Ms, s.Latency.P99Ms, s.Latency.Count)
	}
	if rt := p.RoundTrips; rt != nil && rt.ClusterOperations != nil {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(rt.ClusterOperations)) {
			if v := rt.ClusterOperations[k]; v >= 0.05 {
				parts = append(parts, fmt.Sprintf("%s %.1f", k, v))
			}
		}
		goalRow("cluster calls per purchase", "<= 8", rt.ClusterTotal <= 8, "%.1f  (all of the nodes' API operations, background loops included: %s)", rt.ClusterTotal, strings.Join(parts, ", "))
		row("gateway CPU per purchase", "%.1f ms  (both gateway processes)", rt.GatewayProcessCPUMs)
	} else {
		row("cluster calls per purchase", "not measured (no /metrics)")
	}
	vegetaRows := func(what string, goal int, results []bench.VegetaResult) {
		for i, v := range results {
			other := v.StatusSummary()
			if other != "" {
				other = "; other " + other
			}
			if what == "seat-map views" {
				if v.RevalidatingTargets == 0 {
					other += "; the gateway gave no ETag, so no If-None-Match was sent"
				} else {
					other += fmt.Sprintf("; %.0f%% sent with If-None-Match", 100*v.RevalidatingTargets)
				}
			}
			goalRow(fmt.Sprintf("%s/s gateway %d", what, i+1), fmt.Sprintf(">= %d", goal), v.Throughput >= float64(goal), "%.0f answered  (sent %.0f/s of %.0f/s asked; 200 x%d, 304 x%d%s; success %.2f%%; p50 %.1f ms, p99 %.1f ms)",
				v.Throughput, v.AchievedRate, v.RequestedRate, v.OK, v.NotModified, other, 100*v.SuccessRatio, v.P50Ms, v.P99Ms)
		}
	}
	vegetaRows("seat-map views", 20_000, res.Views)
	vegetaRows("queue polls", 50_000, res.Polls)
	detail := "no check"
	if p.Check != nil {
		detail = p.Check.Detail
	}
	goalRow("end-of-run check", "PASS", res.Check == "PASS", "%s  (%s; most seats per fan %d, limit 6)", res.Check, detail, p.SeatsPerBuyerMax)
	if len(p.Errors) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(p.Errors)) {
			parts = append(parts, k+" x"+strconv.FormatInt(p.Errors[k], 10))
		}
		row("purchase errors", "%s", strings.Join(parts, ", "))
	}
}
