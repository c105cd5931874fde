package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice/bench"
	"github.com/boxoffice/boxoffice/cluster/client"
)

// `boxoffice bench gateway` drives a running gateway's HTTP API the way
// fans do (package bench, gateway.go) and, given the cluster, checks the
// seats sold against the tickets issued.

const benchGatewayUsage = `Usage:
  boxoffice bench gateway --gateway URL [--addr CLUSTER] [flags]
  boxoffice bench gateway onsale [flags]   (make bench-gateway: starts nodes and gateways; see onsale -h)

C concurrent fans, one after another: dev login, join the waiting room
and poll until admitted (if the event has one), hold the best N adjacent
seats in a Zipf-drawn section, then release the hold (--abandon-ratio) or
create the order, pay it (fake-pay) and list the tickets. The gateway must
run in demo mode (boxoffice demo, or boxoffice gateway --demo
--fake-payments).

With --addr (the cluster's gRPC), the run can create a fresh event (when
--event is empty), reports the nodes' operations per purchase (from their
/metrics), and ends with an invariant check on linearizable seat maps read
before and after: no seat in two paid orders, every seat of a paid order
sold to it, every seat sold during the run from a paid order of the run,
one ticket per sold seat with the cluster's ticket id. The event must have
no other buyers during the run.

Example against boxoffice demo (gRPC 7101, gateway 8080):
  boxoffice bench gateway --gateway http://127.0.0.1:8080 --addr 127.0.0.1:7101 --event demo_arena --clients 16 --duration 30s

Flags:
`

func runBenchGateway(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "onsale" {
		return runBenchGatewayOnsale(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("boxoffice bench gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useHelp(fs, benchHelp(benchGatewayUsage, benchGatewayExamples, nil))
	var (
		cfg         bench.GatewayConfig
		conn        = ctlNewOptions()
		nodeMetrics string
		quiet       bool
		jsonPath    string
	)
	conn.addrs = ""
	fs.StringVar(&cfg.BaseURL, "gateway", "http://127.0.0.1:8080", "base `URL` of the gateway (demo mode)")
	fs.StringVar(&conn.addrs, "addr", "", "comma-separated gRPC `addresses` of the cluster's nodes, for the event, the metrics and the invariant check (empty: no check)")
	fs.StringVar(&conn.tlsCA, "tls-ca", "", "PEM `file` of the CA that signed the nodes' certificates (enables TLS)")
	fs.StringVar(&conn.tlsCert, "tls-cert", "", "PEM client certificate `file` (with --tls-key)")
	fs.StringVar(&conn.tlsKey, "tls-key", "", "PEM client key `file` (with --tls-cert)")
	fs.StringVar(&conn.tlsServerName, "tls-server-name", conn.tlsServerName, "DNS `name` the nodes' certificates carry")
	fs.StringVar(&cfg.EventID, "event", "", "id of an existing event (default: create a fresh one through --addr)")
	fs.IntVar(&cfg.Sections, "sections", bench.SectionsDefault, "sections of a fresh event")
	fs.IntVar(&cfg.Rows, "rows", bench.RowsDefault, "rows per section of a fresh event")
	fs.IntVar(&cfg.SeatsPerRow, "seats", bench.SeatsPerRowDefault, "seats per row of a fresh event")
	fs.IntVar(&cfg.Clients, "clients", bench.GatewayClientsDefault, "concurrent fans")
	fs.DurationVar(&cfg.DurationLimit, "duration", bench.GatewayDurationDefault, "time limit, if the venue does not sell out first")
	fs.IntVar(&cfg.HoldSize, "hold-size", bench.HoldSizeDefault, "best-available seats per hold (at most the gateway's ticket limit, 6 by default)")
	fs.Float64Var(&cfg.AbandonRatio, "abandon-ratio", bench.GatewayAbandonRatioDefault, "probability that a fan releases the hold instead of paying")
	fs.Float64Var(&cfg.ZipfExponent, "skew", bench.ZipfExponentDefault, "Zipf exponent of the section draw, the venue's first section hottest (0: uniform)")
	fs.DurationVar(&cfg.RequestTimeout, "timeout", bench.GatewayRequestTimeoutDefault, "limit of one HTTP request")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed of the section draws and the abandon coin")
	fs.StringVar(&cfg.Label, "label", "", "name of the run (default gateway C=<clients>)")
	fs.Float64Var(&cfg.WaitingRoomAdmitPerSecond, "waiting-room", 0, "put the event in queue mode first, on sale now, admitting this many fans a `rate` per second (0: leave the event as it is)")
	fs.BoolVar(&cfg.SpreadSourceAddrs, "spread-source-addrs", true, "against a loopback gateway, connect each fan from its own 127.1.x.y address, so the per-IP rate limit sees phones, not this host")
	fs.StringVar(&nodeMetrics, "node-metrics", "", "comma-separated /metrics `URLs` of the nodes (default: learned from --addr; \"none\" to skip)")
	fs.BoolVar(&quiet, "quiet", false, "no progress line on stderr")
	fs.StringVar(&jsonPath, "json", "", "write the result as JSON to this `file` (- for stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench gateway: unexpected argument %q", fs.Arg(0))
	}
	// The flags take 0 at face value; GatewayConfig reads 0 as "the default".
	for _, f := range []struct {
		name  string
		value int
	}{{"clients", cfg.Clients}, {"hold-size", cfg.HoldSize}, {"sections", cfg.Sections}, {"rows", cfg.Rows}, {"seats", cfg.SeatsPerRow}} {
		if f.value < 1 {
			return fmt.Errorf("bench gateway: --%s %d: want at least 1", f.name, f.value)
		}
	}
	if cfg.DurationLimit <= 0 || cfg.RequestTimeout <= 0 {
		return fmt.Errorf("bench gateway: --duration %v and --timeout %v must be positive", cfg.DurationLimit, cfg.RequestTimeout)
	}
	if cfg.AbandonRatio < 0 || cfg.AbandonRatio > 1 {
		return fmt.Errorf("bench gateway: --abandon-ratio %v: want 0..1", cfg.AbandonRatio)
	}
	if cfg.AbandonRatio == 0 {
		cfg.AbandonRatio = -1
	}
	if cfg.ZipfExponent == 0 {
		cfg.ZipfExponent = -1
	}
	if err := cfg.Validate(); err != nil {
		return err
	}

	var inventory bench.Inventory
	if addrs := splitAddrs(conn.addrs); len(addrs) > 0 {
		tlsConfig, err := conn.tlsConfig()
		if err != nil {
			return err
		}
		c, err := client.Dial(ctx, client.Config{Addrs: addrs, TLS: tlsConfig})
		if err != nil {
			return fmt.Errorf("bench gateway: --addr: %w", err)
		}
		defer c.Close()
		inventory = c
		if nodeMetrics == "" {
			statusCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			status, err := c.Status(statusCtx)
			cancel()
			if err != nil {
				return fmt.Errorf("bench gateway: cluster status: %w", err)
			}
			scheme := "http"
			if tlsConfig != nil {
				scheme = "https"
			}
			for _, n := range status.GetNodes() {
				if n.GetHttpAddr() != "" {
					cfg.NodeMetricsURLs = append(cfg.NodeMetricsURLs, scheme+"://"+n.GetHttpAddr()+"/metrics")
				}
			}
		}
	} else if cfg.EventID == "" {
		return fmt.Errorf("bench gateway: give --event, or --addr to create one")
	}
	if nodeMetrics != "" && nodeMetrics != "none" {
		cfg.NodeMetricsURLs = splitAddrs(nodeMetrics)
	}

	progress, inPlace := benchProgress(quiet, stderr)
	res, err := bench.RunGateway(ctx, cfg, inventory, progress, inPlace)
	if res != nil {
		writeGatewayReport(stdout, res)
		if jsonPath != "" {
			if jerr := writeGatewayJSON(jsonPath, stdout, res); jerr != nil && err == nil {
				err = jerr
			}
		}
	}
	if err != nil {
		return err
	}
	if res.Check != nil && !res.Check.OK {
		return fmt.Errorf("bench gateway: %s", res.Check.Detail)
	}
	return nil
}

func splitAddrs(list string) []string {
	var out []string
	for item := range strings.SplitSeq(list, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// writeGatewayReport prints a run for people.
func writeGatewayReport(w io.Writer, res *bench.GatewayResult) {
	queue := "no waiting room"
	if res.WaitingRoom {
		queue = "waiting room"
	}
	fmt.Fprintf(w, "%s: %s, event %s (%s), hold %d, abandon %.0f%%, sources: %s\n",
		res.Label, res.Gateway, res.EventID, queue, res.HoldSize, 100*res.AbandonRatio, res.SourceAddrs)
	fmt.Fprintf(w, "%d purchases in %.1f s = %.1f purchases/s (%d seats); %d abandoned; %d sold-out refusals; %d errors\n",
		res.Purchases, res.ElapsedS, res.PurchasesPerS, res.SeatsBought, res.Abandoned, res.SoldOutRefusals, res.ErrorCount)
	fmt.Fprintf(w, "%-9s %7s %9s %9s %9s %9s\n", "step", "count", "p50 ms", "p99 ms", "mean ms", "max ms")
	for _, s := range res.Steps {
		if s.Latency.Count == 0 {
			continue
		}
		fmt.Fprintf(w, "%-9s %7d %9.1f %9.1f %9.1f %9.1f\n", s.Step, s.Latency.Count, s.Latency.P50Ms, s.Latency.P99Ms, s.Latency.MeanMs, s.Latency.MaxMs)
	}
	for _, k := range slices.Sorted(maps.Keys(res.Errors)) {
		fmt.Fprintf(w, "error   %-45s %d\n", k, res.Errors[k])
	}
	for _, k := range slices.Sorted(maps.Keys(res.Retries)) {
		fmt.Fprintf(w, "retried %-45s %d\n", k, res.Retries[k])
	}
	if res.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", res.FirstError)
	}
	if rt := res.RoundTrips; rt != nil {
		fmt.Fprintf(w, "per purchase: gateway requests (gateway's mean ms)")
		for _, k := range slices.Sorted(maps.Keys(rt.GatewayRequests)) {
			fmt.Fprintf(w, "; %s %.2f (%.1f)", k, rt.GatewayRequests[k], rt.GatewayServerMs[k])
		}
		fmt.Fprintln(w)
		if rt.GatewayProcessCPUMs > 0 {
			fmt.Fprintf(w, "per purchase: %.1f ms CPU of the gateway's process (under boxoffice demo: gateway and nodes)\n", rt.GatewayProcessCPUMs)
		}
		if rt.ClusterOperations != nil {
			fmt.Fprintf(w, "per purchase: %.1f cluster operations", rt.ClusterTotal)
			for _, k := range slices.Sorted(maps.Keys(rt.ClusterOperations)) {
				fmt.Fprintf(w, "; %s %.2f", k, rt.ClusterOperations[k])
			}
			fmt.Fprintln(w)
		}
	}
	if res.Check != nil {
		fmt.Fprintln(w, res.Check.Detail)
	} else {
		fmt.Fprintln(w, "no invariant check (give --addr)")
	}
}

func writeGatewayJSON(path string, stdout io.Writer, res *bench.GatewayResult) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
