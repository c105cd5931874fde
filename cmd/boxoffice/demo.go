package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node"
)

// demoEventID is the event the demo creates.
const demoEventID = "demo_arena"

func runDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("boxoffice demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useHelp(fs, demoHelp)
	dataDir := fs.String("data-dir", "", "keep the cluster's data here (default: a temporary folder removed on exit)")
	grpcPort := fs.Int("grpc-port", 7101, "gRPC port of the first node; the others take the next ports")
	nodes := fs.Int("nodes", 3, "nodes in the in-process cluster (1, 3 or 5)")
	gatewayAddr := fs.String("gateway-addr", "127.0.0.1:8080", "HTTP address of the demo gateway (fake payments, dev login); empty: none")
	var localities []cluster.Locality
	fs.Func("locality", "locality of the next node, `key=value,...` as for start --locality; give it once per node (n1 first) or not at all (default: no locality)",
		func(text string) error {
			l, err := cluster.ParseLocality(text)
			localities = append(localities, l)
			return err
		})
	regions := fs.Int("regions", 0, fmt.Sprintf("simulate geography: 3 nodes (zones a, b, c) in each of this many regions, 1..%d (%s), replication factor 5 from 3 regions on, one-way latencies between regions as --region-latency says; type \"kill REGION\" on stdin to stop a region's nodes (default 0: off)", len(demoRegions), strings.Join(demoRegions, ", ")))
	regionLatency := fs.String("region-latency", "", "with --regions: one-way latencies `a=b:40ms,...` between the demo's regions (each pair once, 1ms..2s; unlisted pairs get none), or \"none\" (default: "+node.FormatRegionLatencies(demoLatencies(len(demoRegions)))+")")
	var logs logFlags
	logs.register(fs, "error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	layout := localLayout{nodes: *nodes, localities: localities}
	if given["regions"] {
		var err error
		if layout, err = regionsLayout(*regions, *regionLatency, given); err != nil {
			return err
		}
	} else if given["region-latency"] {
		return errors.New("--region-latency needs --regions")
	}
	if len(localities) > 0 && len(localities) != *nodes {
		return fmt.Errorf("--locality given %d times for --nodes %d: give one per node, or none", len(localities), *nodes)
	}
	logger, err := logs.logger(stderr)
	if err != nil {
		return err
	}
	dir := *dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "boxoffice-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if logs.format == "text" {
		fmt.Fprintln(stderr, node.PlaintextWarning)
	} else {
		logger.Warn(node.PlaintextWarning) // one JSON object a line
	}
	hosts, err := startLocalCluster(dir, *grpcPort, layout, logger)
	if err != nil {
		return err
	}
	defer func() {
		for i := len(hosts) - 1; i >= 0; i-- {
			_ = hosts[i].Close()
		}
	}()
	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, h := range hosts {
		if err := h.WaitReady(readyCtx); err != nil {
			return fmt.Errorf("cluster did not become ready: %w", err)
		}
	}
	if err := createDemoEvent(readyCtx, hosts[0].GRPCAddr()); err != nil {
		return err
	}
	addr := hosts[0].GRPCAddr()
	gateway := "none (--gateway-addr is empty)"
	if *gatewayAddr != "" {
		var grpcAddrs []string
		for _, h := range hosts {
			grpcAddrs = append(grpcAddrs, h.GRPCAddr())
		}
		// The gateway stops before the cluster (deferred later, runs first).
		stopGateway, bound, err := startDemoGateway(ctx, grpcAddrs, *gatewayAddr, logger)
		if err != nil {
			return fmt.Errorf("demo gateway: %w", err)
		}
		defer stopGateway()
		gateway = "http://" + bound + " (fake payments, dev login; see checkout/README.md)"
	}
	fmt.Fprintf(stdout, `Boxoffice demo: %d nodes, data in %s
  gRPC:    %s (and the next ports; any node serves any request)
  metrics: http://%s/metrics
  gateway: %s
  event:   %q, an arena of %d seats plus a standing floor

Try it (any node answers):
  %[8]s ctl --addr %[3]s status
  %[8]s ctl --addr %[3]s seatmap %[6]s --section 101
  %[8]s ctl --addr %[3]s hold %[6]s --holder fan1 --best 2 --section 101

or with grpcurl, from this repository (pinned in go.mod; the first go tool
grpcurl builds it, about a minute):
  go tool grpcurl -plaintext %[3]s list
  go tool grpcurl -plaintext -d '{"event_id":"%[6]s","consistency":"READ_CONSISTENCY_STALE","summary_only":true}' %[3]s boxoffice.v1.Inventory/GetSeatMap
  go tool grpcurl -plaintext -d '{"request_id":"r1","event_id":"%[6]s","holder":"fan1","best":{"quantity":2,"section_id":"101"}}' %[3]s boxoffice.v1.Inventory/Hold

Ctrl-C stops the cluster.
`, len(hosts), dir, addr, hosts[0].HTTPAddr(), gateway, demoEventID, demoSeats(), demoSelf())
	fmt.Fprintln(stdout, "PLAINTEXT DEMO: gossip is encrypted with a key made for this run, but no member is authenticated as a node (that needs TLS); never expose these ports.")
	if !given["regions"] {
		<-ctx.Done()
		fmt.Fprintln(stdout, "stopping")
		return nil
	}
	fmt.Fprint(stdout, regionsBanner(hosts, layout))
	commands := make(chan string)
	go func() {
		lines := bufio.NewScanner(stdin)
		for lines.Scan() {
			select {
			case commands <- lines.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for stopped := false; !stopped; {
		select {
		case line := <-commands:
			fmt.Fprintln(stdout, demoCommand(line, hosts, layout))
		case <-ctx.Done():
			stopped = true
		}
	}
	fmt.Fprintln(stdout, "stopping")
	return nil
}

// demoSelf is how the banner spells this program so that its commands
// work as printed: "go run ./cmd/boxoffice" when go run built it into a
// temporary directory, else the path it was started as, made absolute
// (or its bare name, found in $PATH).
func demoSelf() string {
	exe := os.Args[0]
	if strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return "go run ./cmd/boxoffice"
	}
	if strings.ContainsRune(exe, filepath.Separator) {
		if abs, err := filepath.Abs(exe); err == nil {
			return abs
		}
	}
	return exe
}

func demoSeats() uint32 {
	seats, _ := cluster.VenueSeatCount(cluster.DemoArena("Demo Arena"))
	return seats
}

// localLayout is what startLocalCluster starts.
type localLayout struct {
	nodes int
	// localities[i] is node i's; nil: none.
	localities []cluster.Locality
	// replication is each data group's voters; 0: the node's default.
	replication int
	// dataGroups is the data groups laid out at bootstrap; 0: one a node.
	dataGroups int
	// latency is the one-way latency between regions (--regions).
	latency []node.RegionLatency
}

// startLocalCluster starts layout.nodes nodes in this process on
// 127.0.0.1.
func startLocalCluster(dir string, grpcPort int, layout localLayout, logger *slog.Logger) ([]*node.Host, error) {
	n := layout.nodes
	var hosts []*node.Host
	gossip := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", grpcPort+300+i) }
	// A gossip key made for this run keeps other hosts' memberlists out;
	// without TLS nothing proves a member is the node it claims to be.
	key, err := node.NewGossipKey()
	if err != nil {
		return nil, err
	}
	keyFile := filepath.Join(dir, "gossip.key")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("gossip key: %w", err)
	}
	for i := range n {
		cfg := node.Config{
			NodeID:            fmt.Sprintf("n%d", i+1),
			DataDir:           filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
			GRPCAddr:          fmt.Sprintf("127.0.0.1:%d", grpcPort+i),
			PeerAddr:          fmt.Sprintf("127.0.0.1:%d", grpcPort+100+i),
			HTTPAddr:          fmt.Sprintf("127.0.0.1:%d", grpcPort+200+i),
			GossipAddr:        gossip(i),
			BootstrapExpect:   n,
			ReplicationFactor: layout.replication,
			DataGroups:        layout.dataGroups,
			Plaintext:         true,
			GossipKeyFile:     keyFile,
			Logger:            logger,
			Group: node.GroupConfig{
				HeartbeatTimeout: 500 * time.Millisecond,
				ElectionTimeout:  500 * time.Millisecond,
			},
			Testing: node.TestingConfig{RegionLatency: layout.latency},
		}
		if len(layout.latency) > 0 {
			// Round trips of up to a few hundred ms: the default timeouts
			// (1s) keep leaders from stepping down for want of contact.
			cfg.Group = node.GroupConfig{}
		}
		if i < len(layout.localities) {
			cfg.Locality = layout.localities[i]
		}
		if i > 0 {
			cfg.Join = []string{gossip(0)}
		}
		h, err := node.Start(cfg)
		if err != nil {
			for _, started := range hosts {
				_ = started.Close()
			}
			return nil, fmt.Errorf("node %s: %w", cfg.NodeID, err)
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

func createDemoEvent(ctx context.Context, addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = boxofficev1.NewInventoryClient(conn).CreateEvent(ctx, &boxofficev1.CreateEventRequest{
		RequestId: "demo-create-" + demoEventID,
		EventId:   demoEventID,
		Name:      "Demo Arena — opening night",
		Venue:     cluster.DemoArena("Demo Arena"),
	})
	if status.Code(err) == codes.AlreadyExists {
		return nil // kept from an earlier run with --data-dir
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("creating the demo event: %w", err)
	}
	return err
}
