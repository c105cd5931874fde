// Command jepsen runs the Boxoffice fault-injection harness: a real
// cluster of boxoffice processes, concurrent clients on a contended event,
// a seeded schedule of faults, and porcupine plus invariant checkers.
// See jepsen/README.md for every flag and how to read the results.
//
// Exit status: 0 valid, 1 a checker found a violation or could not
// decide in time, 2 the run could not be carried out.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice/jepsen"
)

func main() {
	os.Exit(run())
}

func run() int {
	profile := flag.String("profile", "ci", "named defaults: ci, ci-regions or long; the flags below override single fields")
	seed := flag.Int64("seed", 0, "seed of the fault schedule and the clients (0: random, printed)")
	nodes := flag.Int("nodes", 0, "nodes: 3 or 5")
	clients := flag.Int("clients", 0, "concurrent clients")
	sections := flag.Int("sections", 0, "sections of the contended event (one shard each; rows and seats per row as the profile's)")
	duration := flag.Duration("duration", 0, "traffic and fault time")
	faults := flag.String("faults", "", "comma-separated fault kinds ("+strings.Join(slices.Concat(jepsen.AllFaults, jepsen.RegionFaults), ",")+"), 'none', or empty for the profile's")
	quietMin := flag.Duration("quiet-min", 0, "healthy time before each fault window: quiet-min..2×quiet-min")
	faultMin := flag.Duration("fault-min", 0, "shortest fault window")
	faultMax := flag.Duration("fault-max", 0, "longest fault window")
	combine := flag.Float64("combine", -1, "probability that a window injects two faults at once (-1: profile's)")
	clockMax := flag.Duration("clock-offset-max", 0, "largest |offset| of the clock fault")
	opTimeout := flag.Duration("op-timeout", 0, "timeout of one attempt of an operation")
	attempts := flag.Int("attempts", 0, "attempts per operation (same request id)")
	checkTimeout := flag.Duration("check-timeout", 0, "porcupine's time budget; running out is a failure")
	unsafeReads := flag.Bool("unsafe-reads", false, "start nodes with --testing-unsafe-reads (the checker should then fail)")
	network := flag.String("network", "", "where nodes run: empty (auto: namespace as root, loopback otherwise), namespace, or loopback")
	out := flag.String("out", "jepsen-results", "folder for run folders")
	binary := flag.String("binary", "", "prebuilt boxoffice binary (default: go build ./cmd/boxoffice)")
	gateways := flag.Int("gateways", -1, "gateway processes of the purchase workload (0: none; -1: profile's)")
	fans := flag.Int("fans", 0, "concurrent fans of the purchase workload")
	regions := flag.String("regions", "", "region of each node, comma-separated (r1,r2,r3,r1,r2; 'none': no localities; empty: the profile's)")
	regionLatency := flag.String("region-latency", "", "one-way latencies between regions, the nodes' --testing-region-latency (r1=r2:40ms,...; 'none'; empty: the profile's)")
	replicationFactor := flag.Int("replication-factor", 0, "voters per data group: 1, 3 or 5 (0: the profile's)")
	raftTimeout := flag.Duration("raft-timeout", 0, "nodes' --raft-heartbeat-timeout and --raft-election-timeout (0: the profile's; ci and long: 500ms)")
	leaderLease := flag.Duration("leader-lease", 0, "nodes' --raft-leader-lease-timeout (0: the profile's; the node's default is half the heartbeat timeout)")
	flag.Parse()

	base, ok := jepsen.Profiles[*profile]
	if !ok {
		fmt.Fprintf(os.Stderr, "jepsen: unknown -profile %q (ci, ci-regions, long)\n", *profile)
		return 2
	}
	cfg := base
	cfg.Profile, cfg.Seed, cfg.OutDir, cfg.Binary, cfg.UnsafeReads = *profile, *seed, *out, *binary, *unsafeReads
	cfg.Network = *network
	if cfg.Network == "auto" {
		cfg.Network = jepsen.NetworkAuto
	}
	setInt := func(dst *int, v int) {
		if v != 0 {
			*dst = v
		}
	}
	setInt(&cfg.Nodes, *nodes)
	setInt(&cfg.Clients, *clients)
	setInt(&cfg.Sections, *sections)
	setInt(&cfg.Attempts, *attempts)
	setInt(&cfg.Fans, *fans)
	if *gateways >= 0 {
		cfg.Gateways = *gateways
	}
	for _, o := range []struct {
		dst *time.Duration
		v   time.Duration
	}{{&cfg.Duration, *duration}, {&cfg.QuietMin, *quietMin}, {&cfg.FaultMin, *faultMin}, {&cfg.FaultMax, *faultMax},
		{&cfg.ClockOffsetMax, *clockMax}, {&cfg.RaftTimeout, *raftTimeout}, {&cfg.LeaderLease, *leaderLease}, {&cfg.OpTimeout, *opTimeout}, {&cfg.CheckTimeout, *checkTimeout}} {
		if o.v != 0 {
			*o.dst = o.v
		}
	}
	if *combine >= 0 {
		cfg.CombineProbability = *combine
	}
	switch *regions {
	case "":
	case "none":
		cfg.Regions = nil
	default:
		cfg.Regions = strings.Split(*regions, ",")
	}
	switch *regionLatency {
	case "":
	case "none":
		cfg.RegionLatency = ""
	default:
		cfg.RegionLatency = *regionLatency
	}
	setInt(&cfg.ReplicationFactor, *replicationFactor)
	switch *faults {
	case "":
	case "none":
		cfg.Faults = nil
	default:
		cfg.Faults = strings.Split(*faults, ",")
	}

	res, err := jepsen.Run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "jepsen: %v\n", err)
		return 2
	}
	fmt.Print(jepsen.Summary(&cfg, res))
	switch {
	case res.Setup != nil:
		fmt.Fprintf(os.Stderr, "jepsen: run failed (seed %d): %v\nreplay: %s\n", res.Seed, res.Setup, res.Replay)
		return 2
	case res.Undecided():
		fmt.Fprintf(os.Stderr, "jepsen: UNDECIDED: the linearizability checker ran out of time (seed %d)\nreplay: %s\n", res.Seed, res.Replay)
		return 1
	case !res.Valid():
		fmt.Fprintf(os.Stderr, "jepsen: VIOLATION (seed %d)\nreplay: %s\n", res.Seed, res.Replay)
		return 1
	}
	return 0
}
