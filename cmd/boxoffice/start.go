package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node"
)

// nodeFlags binds the flags of a node to a node.Config.
type nodeFlags struct {
	cfg                   node.Config
	join                  string
	tlsCA, tlsCert        string
	tlsKey, tlsServerName string
	log                   logFlags
}

func (f *nodeFlags) register(fs *flag.FlagSet) {
	c := &f.cfg
	fs.StringVar(&c.NodeID, "node-id", "", "unique, stable id of this node (letters, digits, '_', '.')")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory for the Raft log, snapshots and state (required)")
	fs.StringVar(&c.EncryptionKeyFile, "encryption-key-file", "", "file of AES-256 keys (\"<id> <base64>\" per line, current first, mode 0600) sealing the Raft log entries and snapshots this node writes; once used, the data dir needs it (docs/security.md, Secrets at rest)")
	fs.StringVar(&c.GRPCAddr, "grpc-addr", "127.0.0.1:7101", "client gRPC listen address")
	fs.StringVar(&c.PeerAddr, "peer-addr", "127.0.0.1:7201", "peer listen address shared by every Raft group")
	fs.StringVar(&c.HTTPAddr, "http-addr", "127.0.0.1:7301", "HTTP listen address for /metrics, /healthz, /readyz")
	fs.StringVar(&c.GossipAddr, "gossip-addr", "127.0.0.1:7401", "memberlist listen address (TCP and UDP)")
	fs.StringVar(&c.AdvertiseGRPCAddr, "advertise-grpc-addr", "", "gRPC address clients use (default: --grpc-addr)")
	fs.StringVar(&c.AdvertisePeerAddr, "advertise-peer-addr", "", "peer address other nodes use (default: --peer-addr)")
	fs.StringVar(&c.AdvertiseHTTPAddr, "advertise-http-addr", "", "HTTP address to advertise (default: --http-addr)")
	fs.StringVar(&c.PeerSourceAddr, "peer-source-addr", "", "local IP that outgoing peer connections bind to (default: the kernel's choice)")
	fs.Func("locality", "where this node runs, widest tier first: `key=value,...` such as region=eu-west,zone=eu-west-1a (keys a-z 0-9 - _, at most 8 tiers, same keys on every node); each data group's replicas spread over distinct regions, then zones (default: none)",
		func(text string) error {
			l, err := cluster.ParseLocality(text)
			c.Locality = l
			return err
		})
	fs.StringVar(&f.join, "join", "", "comma-separated gossip addresses of nodes to join")
	fs.IntVar(&c.BootstrapExpect, "bootstrap-expect", 0, "number of nodes of the initial cluster (same on each); 0 joins an existing cluster")
	fs.IntVar(&c.ReplicationFactor, "replication-factor", 0, "voters per data group: 1, 3 or 5 (default 3, capped at --bootstrap-expect)")
	fs.IntVar(&c.DataGroups, "data-groups", 0, "data groups created at bootstrap (default 1 per node)")
	fs.IntVar(&c.SeatsPerGroup, "seats-per-group", 0, "an event created with group_count 0 spans one data group per this many seats, at most the groups meeting its survival goal (default 500000; same on every node)")
	fs.StringVar(&f.tlsCA, "tls-ca", "", "PEM CA that signs every node and client certificate")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate of this node; must name --tls-server-name")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM key of this node")
	fs.StringVar(&f.tlsServerName, "tls-server-name", "server.boxoffice", "DNS name a certificate needs to be accepted as a peer")
	fs.BoolVar(&c.Plaintext, "plaintext", false, "run without TLS (development only)")
	fs.StringVar(&c.GossipKeyFile, "gossip-key-file", "", "file of base64 gossip keys, one per line, the first used to send (boxoffice gossip-key makes one); required with TLS; read again on SIGHUP to rotate keys")
	fs.DurationVar(&c.Group.HeartbeatTimeout, "raft-heartbeat-timeout", time.Second, "follower's wait for the leader before an election")
	fs.DurationVar(&c.Group.ElectionTimeout, "raft-election-timeout", time.Second, "candidate's wait for votes")
	fs.DurationVar(&c.Group.LeaderLeaseTimeout, "raft-leader-lease-timeout", 0, "leader's lease without quorum contact (default heartbeat/2)")
	fs.Uint64Var(&c.Group.SnapshotThreshold, "raft-snapshot-threshold", 8192, "log entries between snapshots")
	fs.DurationVar(&c.Group.SnapshotInterval, "raft-snapshot-interval", 20*time.Second, "how often a group checks --raft-snapshot-threshold (each check waits a random 1-2× this)")
	fs.Uint64Var(&c.Group.TrailingLogs, "raft-trailing-logs", 10240, "log entries kept after a snapshot, so a replica that far behind catches up from the log rather than by a snapshot")
	fs.DurationVar(&c.Group.BatchLinger, "batch-linger", 5*time.Millisecond, "how long a busy group's proposer waits, at most, for the callers it just answered to send again so they share the next entry (0: off)")
	fs.IntVar(&c.Group.InflightEntriesMax, "raft-inflight-entries", 1, "entries a group's proposer keeps in Raft at once; commands arriving meanwhile share the next entry")
	fs.BoolVar(&c.Group.ReplicateHoldRefusals, "replicate-hold-refusals", false, "send best-available holds the leader can see would be refused for lack of seats through the log anyway (for comparisons)")
	fs.BoolVar(&c.Group.ProposerWaitsForApply, "raft-proposer-waits-apply", false, "a group's proposer waits for its entry to be applied, not only committed, before it proposes the next (for comparisons)")
	fs.BoolVar(&c.Group.SerialLeaderWrite, "raft-serial-leader-write", false, "leaders write new entries before replicating them (upstream hashicorp/raft; for comparisons)")
	fs.IntVar(&c.Group.BatchCommandsMax, "raft-batch-commands", 256, "client commands per Raft entry at most")
	fs.DurationVar(&c.SweepInterval, "sweep-interval", time.Second, "how often leaders release expired holds")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", 5*time.Second, "bound on one request inside the node")
	fs.IntVar(&c.StreamsPerConnectionMax, "streams-per-connection", 1024, "concurrent streams (unary calls included) of one client connection on the gRPC port; more wait")
	fs.IntVar(&c.StreamsPerIdentityMax, "streams-per-identity", 512, "streaming calls (Watch, ReadSeatMaps, Commands) one client identity (certificate CommonName, or IP in plaintext) may have open on this node; more are refused STREAM_LIMIT")
	fs.IntVar(&c.EventsMax, "events-max", 10_000, "events of the cluster that are not archived; CreateEvent past it is refused EVENT_BUDGET_EXCEEDED (give every node the same)")
	fs.Int64Var(&c.SeatsMax, "seats-max", 50_000_000, "seats (and GA capacity) of the events that are not archived; CreateEvent past it is refused EVENT_BUDGET_EXCEEDED (give every node the same)")
	fs.DurationVar(&c.RebalanceInterval, "rebalance-interval", 5*time.Second, "how often leaders move to their preferred node (negative: never)")
	fs.BoolVar(&c.Group.NoSync, "unsafe-no-fsync", false, "skip fsync of the Raft log (benchmarks of the CPU path only: loses acknowledged writes on power loss)")
	fs.BoolVar(&c.Testing.UnsafeReadsWithoutVerify, "testing-unsafe-reads", false, "TESTING ONLY: serve linearizable reads without confirming leadership")
	fs.DurationVar(&c.Testing.ClockOffset, "testing-clock-offset", 0, "TESTING ONLY: skew the time this node stamps into proposals")
	fs.Func("testing-region-latency", "TESTING ONLY: simulate geography: `a=b:40ms,a=c:75ms,...` one-way latencies between regions (first tier of --locality; each pair once, 1ms..2s); the peer connections this node dials to nodes of another region are delayed that long in each direction (default: none)",
		func(text string) error {
			table, err := node.ParseRegionLatencies(text)
			c.Testing.RegionLatency = table
			return err
		})
	fs.BoolVar(&c.Pprof, "pprof", false, "serve /debug/pprof/ on the HTTP port")
	f.log.register(fs, "info")
}

// applyEnv fills every flag not given on the command line from
// BOXOFFICE_<FLAG_NAME> (dashes become underscores).
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		key := "BOXOFFICE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(key); ok {
			if setErr := fs.Set(f.Name, v); setErr != nil {
				err = fmt.Errorf("%s=%q: %w", key, v, setErr)
			}
		}
	})
	return err
}

// finish turns the flags into a node.Config.
func (f *nodeFlags) finish(stderr io.Writer) (node.Config, error) {
	c := f.cfg
	if c.Group.BatchLinger == 0 {
		c.Group.BatchLinger = -1 // off; in node.Config 0 is the default
	}
	if f.join != "" {
		c.Join = strings.Split(f.join, ",")
	}
	if f.tlsCA != "" || f.tlsCert != "" || f.tlsKey != "" {
		c.TLS = &node.TLSConfig{CAFile: f.tlsCA, CertFile: f.tlsCert, KeyFile: f.tlsKey, ServerName: f.tlsServerName}
	}
	logger, err := f.log.logger(stderr)
	if err != nil {
		return c, err
	}
	c.Logger = logger
	return c, nil
}

func runStart(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("boxoffice start", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useHelp(fs, startHelp)
	var f nodeFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := applyEnv(fs); err != nil {
		return err
	}
	cfg, err := f.finish(stderr)
	if err != nil {
		return err
	}
	if cfg.TLS == nil && f.log.format == "text" {
		// In JSON the node's own WARN line says it; a bare line would
		// break the one-object-a-line stream.
		fmt.Fprintln(stderr, node.PlaintextWarning)
	}
	h, err := node.Start(cfg)
	if err != nil {
		return err
	}
	// SIGHUP reloads the gossip key file (key rotation, docs/security.md).
	hangup := make(chan os.Signal, 1)
	signal.Notify(hangup, syscall.SIGHUP)
	defer signal.Stop(hangup)
	go reloadOnHangup(ctx, hangup, h, cfg.Logger)
	<-ctx.Done()
	cfg.Logger.Info("shutting down")
	// A shutdown that hangs (a Raft group or a connection that never lets
	// go) must not keep the process alive forever: after shutdownLimit the
	// goroutine stacks go to stderr, so the hang can be diagnosed, and the
	// process exits. Everything acknowledged is already on disk, so this is
	// no worse than kill -9, which the crash tests cover.
	watchdog := time.AfterFunc(shutdownLimit, func() {
		cfg.Logger.Error("shutdown did not finish; dumping goroutines and exiting", "limit", shutdownLimit)
		_ = pprof.Lookup("goroutine").WriteTo(stderr, 2)
		os.Exit(2)
	})
	defer watchdog.Stop()
	return h.Close()
}

// reloadOnHangup reloads the gossip keys on each signal until ctx ends. A
// file that does not load changes nothing.
func reloadOnHangup(ctx context.Context, hangup <-chan os.Signal, h *node.Host, logger *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hangup:
			if err := h.ReloadGossipKeys(); err != nil {
				logger.Error("SIGHUP: gossip keys not reloaded; the running keys stay", "error", err)
			}
		}
	}
}

// shutdownLimit bounds a graceful shutdown.
const shutdownLimit = 20 * time.Second
