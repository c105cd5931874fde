package node

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/boxoffice/boxoffice/cluster"
)

// Config is the per-process configuration of a node. Per-group Raft settings
// live in GroupConfig. Zero values take the defaults documented on each field
// (see WithDefaults); Validate names the field and value it rejects.
type Config struct {
	// NodeID names this node in every Raft group and in the catalog. It must
	// be stable across restarts and unique in the cluster.
	NodeID string

	// DataDir holds the shared Raft log (raft.db), per-group snapshots and
	// the node's identity. Only the node's user may read it: Start creates
	// it 0700 and tightens whatever is under it to 0700 (directories) and
	// 0600 (files) before opening anything. Required.
	DataDir string

	// EncryptionKeyFile, when set, is a key file (internal/sealing: one
	// "<key id> <base64 of 32 bytes>" per line, the current key first,
	// older keys after it for reading; mode 0600) whose current key seals
	// the data of every Raft log entry and every snapshot this node writes
	// with AES-256-GCM. Once a data dir has been opened with a key file,
	// Start refuses it without one, or with one that lacks a key some
	// entry or snapshot was sealed with. Entries and snapshots written in
	// clear before stay readable until Raft compacts them. Rotation and
	// cost: docs/security.md, "Secrets at rest". Default "": data in clear.
	EncryptionKeyFile string

	// GRPCAddr is the client-facing gRPC listen address (Inventory, Cluster,
	// health, reflection). Default 127.0.0.1:7101.
	GRPCAddr string
	// PeerAddr is the one port all Raft groups and peer RPCs share.
	// Default 127.0.0.1:7201.
	PeerAddr string
	// HTTPAddr serves /metrics, /healthz and /readyz. Default 127.0.0.1:7301.
	HTTPAddr string
	// GossipAddr is memberlist's TCP+UDP address. Default 127.0.0.1:7401.
	GossipAddr string

	// Advertise* are the addresses other nodes and clients use to reach this
	// node; empty means the matching listen address (which then must not be
	// a wildcard such as 0.0.0.0).
	AdvertiseGRPCAddr string
	AdvertisePeerAddr string
	AdvertiseHTTPAddr string

	// PeerSourceAddr, if set, is the local IP that outgoing peer
	// connections (Raft, forwarding) bind to, so that peers and proxies can
	// tell nodes apart by source address (fault injection without root
	// uses it). Empty: the kernel chooses.
	PeerSourceAddr string

	// Locality is where this node runs, widest tier first
	// (region=eu-west,zone=eu-west-1a; cluster.ParseLocality reads that
	// text). It travels in the node's gossip metadata to its catalog
	// record, and placement spreads each data group's replicas over
	// distinct first tiers, then distinct second tiers, ...
	// (cluster.InitialGroups, cluster.PickReplica). Give every node the
	// same keys in the same order. A node restarted with another locality
	// has its record updated; replicas already placed stay where they are.
	// At most cluster.LocalityTiersMax tiers. Default none: placement as
	// if every node ran in the same place.
	Locality cluster.Locality

	// Join lists gossip addresses of existing nodes. Empty for the first node.
	Join []string

	// BootstrapExpect is how many nodes must have joined before the cluster
	// bootstraps its meta group and data groups. Every node of the initial
	// cluster must be given the same value. 0 means "join an existing
	// cluster, never bootstrap". 1 runs a single-node cluster.
	BootstrapExpect int

	// ReplicationFactor is the number of voters per data group (1, 3 or 5).
	// Default 3 (capped at BootstrapExpect).
	ReplicationFactor int

	// DataGroups is the number of data groups created at bootstrap. Default
	// one per bootstrap node, so that every node leads one group. More
	// groups add parallelism on machines with many cores; on small ones
	// fewer groups mean larger batches per Raft entry (measured on 2 cores:
	// 3 groups carried ~2x the holds/s of 6; see BenchmarkClusterHoldSell).
	DataGroups int

	// SeatsPerGroup is the venue size (seats plus general-admission
	// capacity) per data group of an event created with group_count 0:
	// such an event spans one group per SeatsPerGroup seats, rounded up,
	// at most the groups that meet its survival goal. Default
	// cluster.SeatsPerGroupDefault (500,000: one group is the fastest
	// layout below it, docs/capacity.md). Every node should be given the
	// same value: the node that receives a CreateEvent decides.
	SeatsPerGroup int

	// TLS configures mutual TLS on the gRPC and peer ports. Nil means
	// plaintext, which must be asked for explicitly with Plaintext.
	TLS *TLSConfig
	// Plaintext allows running without TLS (demo and tests only).
	Plaintext bool

	// GossipKeyFile names a file of memberlist keys, standard base64, one
	// per line (16, 24 or 32 bytes each: AES-128/192/256-GCM); the first
	// encrypts what this node gossips, every one is accepted on receipt.
	// Gossip without one of the keys is dropped. Required with TLS; empty
	// (plaintext only) leaves gossip unauthenticated. Host.ReloadGossipKeys
	// reads it again (boxoffice start does on SIGHUP) so that a key
	// rotates without a restart (LoadGossipKeys has the format).
	GossipKeyFile string

	// Group holds the Raft settings applied to every group of this node.
	Group GroupConfig

	// SweepInterval is how often a group leader proposes a sweep of expired
	// holds. Default 1s.
	SweepInterval time.Duration

	// RebalanceInterval is how often a node checks whether a group it leads
	// prefers another leader (to spread leaders evenly). Default 5s; a
	// negative value disables rebalancing.
	RebalanceInterval time.Duration

	// RequestTimeout bounds one client request inside the node, including
	// forwarding and retries on leader change. Default 5s.
	RequestTimeout time.Duration

	// StreamsPerConnectionMax bounds the concurrent streams (unary calls
	// included: each is an HTTP/2 stream) of one client connection on the
	// gRPC port (grpc.MaxConcurrentStreams). A client over it waits for a
	// stream to end rather than failing. The Go client needs one Commands
	// and one ReadSeatMaps stream per node plus its Watch streams and the
	// unary calls in flight; the gateway's fans share its connections.
	// Default 1,024.
	StreamsPerConnectionMax int

	// StreamsPerIdentityMax bounds the streaming calls (Watch,
	// ReadSeatMaps, Commands, ...) open on this node by one identity: the
	// TLS client certificate's CommonName, or the remote IP in plaintext,
	// across all its connections. The stream over it is refused
	// RESOURCE_EXHAUSTED, reason STREAM_LIMIT. Keep it below
	// StreamsPerConnectionMax so that a client over the cap is told so
	// instead of waiting for the connection's quota. Default 512 (an idle
	// Watch costs the node a few KB; 512 of them ~4 MB).
	StreamsPerIdentityMax int

	// EventsMax bounds the events of the cluster that are not archived
	// (DeleteEvent archives); a CreateEvent past it is refused
	// RESOURCE_EXHAUSTED, reason EVENT_BUDGET_EXCEEDED, and creates
	// nothing. The node that proposes a CreateEvent stamps its value into
	// the command, so give every node the same. Default 10,000.
	EventsMax int
	// SeatsMax bounds the seats (seats plus general-admission capacity) of
	// the events that are not archived, like EventsMax. Default
	// 50,000,000 (the seat state of a group costs tens of bytes a seat;
	// see docs/capacity.md).
	SeatsMax int64

	// Pprof serves net/http/pprof under /debug/pprof/ on the HTTP port.
	Pprof bool

	// Logger receives structured logs. Default slog.Default().
	Logger *slog.Logger

	// Testing holds switches that exist only for fault-injection tests.
	Testing TestingConfig
}

// TestingConfig holds switches used by the jepsen harness. Never set them in
// production: each breaks a guarantee on purpose or skews time.
type TestingConfig struct {
	// UnsafeReadsWithoutVerify serves "linearizable" reads from local state
	// without confirming leadership. Negative control for the checker.
	UnsafeReadsWithoutVerify bool
	// ClockOffset is added to the time this node stamps into its proposals.
	ClockOffset time.Duration
	// RegionLatency simulates geography on one machine: the peer
	// connections (Raft, forwarding) this node dials to a node whose
	// region (the first tier of its gossiped Locality) differs from this
	// node's are delayed by the pair's one-way latency in each direction
	// (regionlatency.go). Pairs not listed, nodes in the same region and
	// nodes whose locality is not known when the connection is dialed get
	// no delay; gossip and the client port get none. Needs Locality.
	// Each entry: two distinct regions, 1ms..2s, each pair once.
	// `boxoffice demo --regions` sets it. Default none.
	RegionLatency []RegionLatency
	// ShardMoveStep, when set, is called after each step of a shard move
	// this node runs ("recorded", "frozen", "imported", "switched",
	// "dropped"; see shardmove.go); an error stops the move there, as a
	// crash of the node would, and is the call's answer. Tests of resuming
	// a move set it. Default none.
	ShardMoveStep func(step string) error

	// admitPeerConn vets every peer connection this node dials (Raft and
	// peer RPCs) and may refuse it; TestCluster sets it to partition
	// nodes (see peerDialer.admit).
	admitPeerConn func(addr string, conn net.Conn) (net.Conn, error)
}

// TLSConfig names the PEM files for mutual TLS.
type TLSConfig struct {
	// CAFile verifies every peer and client certificate.
	CAFile string
	// CertFile and KeyFile are this node's certificate. The certificate must
	// name ServerName among its DNS names to be accepted by other nodes.
	CertFile string
	KeyFile  string
	// ServerName is the DNS name a certificate must carry to be accepted on
	// the peer port (Raft and peer RPCs). Default "server.boxoffice".
	ServerName string

	// loaded at Validate time
	server *tls.Config
	client *tls.Config
}

// GroupConfig holds per-group Raft and batching settings.
type GroupConfig struct {
	// HeartbeatTimeout is how long a follower waits without contact from the
	// leader before it starts an election. Default 1s.
	HeartbeatTimeout time.Duration
	// ElectionTimeout bounds a candidate's wait for votes. Default 1s.
	ElectionTimeout time.Duration
	// LeaderLeaseTimeout is how long a leader stays leader without contact
	// from a quorum. Must be <= HeartbeatTimeout. Default 500ms.
	LeaderLeaseTimeout time.Duration
	// SnapshotThreshold is how many log entries since the last snapshot
	// trigger a new one. Default 8192.
	SnapshotThreshold uint64
	// SnapshotInterval is how often the threshold is checked. Default 20s.
	SnapshotInterval time.Duration
	// TrailingLogs is how many entries are kept after a snapshot so that a
	// slightly lagging follower catches up from the log. Default 10240.
	TrailingLogs uint64
	// BatchCommandsMax caps how many client commands go into one Raft entry.
	// Default 256.
	BatchCommandsMax int
	// BatchBytesMax caps one Raft entry's size. Default 1 MiB.
	BatchBytesMax int
	// InflightEntriesMax bounds the entries a group's proposer has in
	// Raft at once. While they are in flight, new commands queue up and go
	// into the next entry together: batches grow with load by themselves,
	// and an idle group still proposes a lone command at once. Default 1:
	// on 2 cores with fsync, 1 carried ~15-30% more holds/s than 2 (bbolt
	// commits, ~1.5 ms each under load, dominate; fewer, fuller entries win).
	InflightEntriesMax int
	// BatchLinger bounds how long a group's proposer, once an entry's
	// slot is free, waits for the callers the committed entries answered
	// to send their next commands (a fan's sell after the hold, an API
	// server's next request) so that they share the next entry instead
	// of the one after. It stops waiting as soon as that many commands
	// are queued; a lone caller never waits. Open-loop traffic (callers
	// that do not come back) pays up to this per entry: newcomers fill
	// the wait instead. Default 5ms; negative: off
	// (propose whatever is queued at once). On 2 cores with fsync the
	// linger makes entries carry ~2.2x the commands and the 64-client
	// sell-out ~22% more holds/s; a longer bound runs out less often on
	// a loaded machine, hence 5ms rather than 2ms (docs/capacity.md).
	BatchLinger time.Duration
	// ProposalQueueMax bounds the commands waiting for a group's proposer;
	// past it requests are refused as busy. Default 8192.
	ProposalQueueMax int
	// NoSync skips fsync of the Raft log (tests only: loses durability).
	NoSync bool
	// SerialLeaderWrite makes a leader store new entries before it
	// replicates them (upstream hashicorp/raft). By default the leader
	// replicates while it writes (third_party/hashicorp-raft/FORK.md), so a
	// commit costs one log write on the critical path instead of two back
	// to back; it still needs a majority's writes to have returned. For
	// comparisons only.
	SerialLeaderWrite bool
	// ProposerWaitsForApply keeps a group's proposer slot taken until
	// its entry is applied, as before the fork's commit notification; by
	// default the slot is freed as soon as the entry is committed, so the
	// next entry is proposed while the leader applies the previous one
	// (for comparisons).
	ProposerWaitsForApply bool
	// ReplicateHoldRefusals sends every best-available hold through the
	// log, also when the leader can see it would be refused for lack of
	// seats; by default such a hold is refused by the leader after a
	// linearizable read barrier, without an entry (fsm.Store.RefuseHold),
	// so a sold-out section's stampede costs no fsync, no apply on the
	// replicas and no dedup entry (for comparisons).
	ReplicateHoldRefusals bool
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.GRPCAddr == "" {
		c.GRPCAddr = "127.0.0.1:7101"
	}
	if c.PeerAddr == "" {
		c.PeerAddr = "127.0.0.1:7201"
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:7301"
	}
	if c.GossipAddr == "" {
		c.GossipAddr = "127.0.0.1:7401"
	}
	if c.AdvertiseGRPCAddr == "" {
		c.AdvertiseGRPCAddr = c.GRPCAddr
	}
	if c.AdvertisePeerAddr == "" {
		c.AdvertisePeerAddr = c.PeerAddr
	}
	if c.AdvertiseHTTPAddr == "" {
		c.AdvertiseHTTPAddr = c.HTTPAddr
	}
	if c.ReplicationFactor == 0 {
		c.ReplicationFactor = 3
		if c.BootstrapExpect > 0 && c.BootstrapExpect < 3 {
			c.ReplicationFactor = c.BootstrapExpect
		}
	}
	if c.DataGroups == 0 {
		n := c.BootstrapExpect
		if n < 1 {
			n = 1
		}
		c.DataGroups = n
	}
	if c.SeatsPerGroup == 0 {
		c.SeatsPerGroup = cluster.SeatsPerGroupDefault
	}
	if c.TLS != nil && c.TLS.ServerName == "" {
		c.TLS.ServerName = "server.boxoffice"
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = time.Second
	}
	if c.RebalanceInterval == 0 {
		c.RebalanceInterval = 5 * time.Second
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 5 * time.Second
	}
	if c.StreamsPerConnectionMax == 0 {
		c.StreamsPerConnectionMax = 1024
	}
	if c.StreamsPerIdentityMax == 0 {
		c.StreamsPerIdentityMax = 512
	}
	if c.EventsMax == 0 {
		c.EventsMax = 10_000
	}
	if c.SeatsMax == 0 {
		c.SeatsMax = 50_000_000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Group = c.Group.WithDefaults()
	return c
}

// WithDefaults returns g with every zero field set to its default.
func (g GroupConfig) WithDefaults() GroupConfig {
	if g.HeartbeatTimeout == 0 {
		g.HeartbeatTimeout = time.Second
	}
	if g.ElectionTimeout == 0 {
		g.ElectionTimeout = time.Second
	}
	if g.LeaderLeaseTimeout == 0 {
		g.LeaderLeaseTimeout = g.HeartbeatTimeout / 2
	}
	if g.SnapshotThreshold == 0 {
		g.SnapshotThreshold = 8192
	}
	if g.SnapshotInterval == 0 {
		g.SnapshotInterval = 20 * time.Second
	}
	if g.TrailingLogs == 0 {
		g.TrailingLogs = 10240
	}
	if g.BatchCommandsMax == 0 {
		g.BatchCommandsMax = 256
	}
	if g.BatchBytesMax == 0 {
		g.BatchBytesMax = 1 << 20
	}
	if g.ProposalQueueMax == 0 {
		g.ProposalQueueMax = 8192
	}
	if g.InflightEntriesMax == 0 {
		g.InflightEntriesMax = 1
	}
	if g.BatchLinger == 0 {
		g.BatchLinger = 5 * time.Millisecond
	}
	return g
}

// Validate checks a defaulted configuration; the error names the field and
// the value it rejects.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, value any, why string) {
		errs = append(errs, fmt.Errorf("config: %s = %v: %s", field, value, why))
	}
	if c.NodeID == "" || len(c.NodeID) > 64 {
		bad("NodeID", fmt.Sprintf("%q", c.NodeID), "must be 1..64 characters")
	}
	for _, r := range c.NodeID {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			bad("NodeID", fmt.Sprintf("%q", c.NodeID), "may hold only letters, digits, '_' and '.'")
			break
		}
	}
	if c.DataDir == "" {
		bad("DataDir", `""`, "required")
	}
	for name, addr := range map[string]string{
		"GRPCAddr": c.GRPCAddr, "PeerAddr": c.PeerAddr, "HTTPAddr": c.HTTPAddr, "GossipAddr": c.GossipAddr,
		"AdvertiseGRPCAddr": c.AdvertiseGRPCAddr, "AdvertisePeerAddr": c.AdvertisePeerAddr, "AdvertiseHTTPAddr": c.AdvertiseHTTPAddr,
	} {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			bad(name, addr, "not host:port")
			continue
		}
		if len(name) > 9 && name[:9] == "Advertise" {
			if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
				bad(name, addr, "an advertised address must be reachable, not a wildcard")
			}
		}
	}
	if err := c.Locality.Validate(); err != nil {
		bad("Locality", fmt.Sprintf("%q", c.Locality.String()), err.Error())
	}
	if len(c.Testing.RegionLatency) > 0 {
		if err := validateRegionLatencies(c.Testing.RegionLatency); err != nil {
			bad("Testing.RegionLatency", fmt.Sprintf("%q", FormatRegionLatencies(c.Testing.RegionLatency)), err.Error())
		} else if len(c.Locality) == 0 {
			bad("Testing.RegionLatency", fmt.Sprintf("%q", FormatRegionLatencies(c.Testing.RegionLatency)), "needs a Locality: the delays are to nodes of other regions than this node's")
		}
	}
	if c.PeerSourceAddr != "" && net.ParseIP(c.PeerSourceAddr) == nil {
		bad("PeerSourceAddr", c.PeerSourceAddr, "must be an IP address")
	}
	if c.BootstrapExpect < 0 || c.BootstrapExpect > 64 {
		bad("BootstrapExpect", c.BootstrapExpect, "must be 0..64")
	}
	switch c.ReplicationFactor {
	case 1, 3, 5:
	default:
		bad("ReplicationFactor", c.ReplicationFactor, "must be 1, 3 or 5")
	}
	if c.BootstrapExpect > 0 && c.ReplicationFactor > c.BootstrapExpect {
		bad("ReplicationFactor", c.ReplicationFactor, fmt.Sprintf("exceeds BootstrapExpect (%d)", c.BootstrapExpect))
	}
	if c.DataGroups < 1 || c.DataGroups > 1024 {
		bad("DataGroups", c.DataGroups, "must be 1..1024")
	}
	if c.SeatsPerGroup < 1 {
		bad("SeatsPerGroup", c.SeatsPerGroup, "must be at least 1")
	}
	if c.TLS == nil && !c.Plaintext {
		bad("TLS", "nil", "give CA, certificate and key, or ask for Plaintext explicitly")
	}
	if c.TLS != nil {
		if err := c.TLS.load(); err != nil {
			errs = append(errs, err)
		}
		if c.GossipKeyFile == "" {
			bad("GossipKeyFile", `""`, "required with TLS, or anyone who reaches the gossip port can join the cluster (--gossip-key-file; boxoffice gossip-key prints a key)")
		}
	}
	if c.GossipKeyFile != "" {
		if _, err := LoadGossipKeys(c.GossipKeyFile); err != nil {
			bad("GossipKeyFile", fmt.Sprintf("%q", c.GossipKeyFile), err.Error())
		}
	}
	if c.SweepInterval < 10*time.Millisecond {
		bad("SweepInterval", c.SweepInterval, "must be >= 10ms")
	}
	if c.RequestTimeout < 10*time.Millisecond {
		bad("RequestTimeout", c.RequestTimeout, "must be >= 10ms")
	}
	if c.StreamsPerConnectionMax < 16 || c.StreamsPerConnectionMax > 1<<20 {
		bad("StreamsPerConnectionMax", c.StreamsPerConnectionMax, "must be 16..1048576")
	}
	if c.StreamsPerIdentityMax < 1 || c.StreamsPerIdentityMax > 1<<20 {
		bad("StreamsPerIdentityMax", c.StreamsPerIdentityMax, "must be 1..1048576")
	}
	if c.EventsMax < 1 || c.EventsMax > 1_000_000 {
		bad("EventsMax", c.EventsMax, "must be 1..1000000")
	}
	if c.SeatsMax < 1 || c.SeatsMax > 1<<40 {
		bad("SeatsMax", c.SeatsMax, "must be 1..2^40")
	}
	if err := c.Group.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Validate checks a defaulted group configuration.
func (g GroupConfig) Validate() error {
	var errs []error
	bad := func(field string, value any, why string) {
		errs = append(errs, fmt.Errorf("config: Group.%s = %v: %s", field, value, why))
	}
	if g.HeartbeatTimeout < 5*time.Millisecond {
		bad("HeartbeatTimeout", g.HeartbeatTimeout, "must be >= 5ms")
	}
	if g.ElectionTimeout < g.HeartbeatTimeout {
		bad("ElectionTimeout", g.ElectionTimeout, "must be >= HeartbeatTimeout")
	}
	if g.LeaderLeaseTimeout > g.HeartbeatTimeout || g.LeaderLeaseTimeout < 5*time.Millisecond {
		bad("LeaderLeaseTimeout", g.LeaderLeaseTimeout, "must be 5ms..HeartbeatTimeout")
	}
	if g.SnapshotInterval < 10*time.Millisecond {
		bad("SnapshotInterval", g.SnapshotInterval, "must be >= 10ms")
	}
	if g.BatchCommandsMax < 1 || g.BatchCommandsMax > 4096 {
		bad("BatchCommandsMax", g.BatchCommandsMax, "must be 1..4096")
	}
	if g.BatchBytesMax < 4096 || g.BatchBytesMax > 16<<20 {
		bad("BatchBytesMax", g.BatchBytesMax, "must be 4 KiB..16 MiB")
	}
	if g.InflightEntriesMax < 1 || g.InflightEntriesMax > 1024 {
		bad("InflightEntriesMax", g.InflightEntriesMax, "must be 1..1024")
	}
	if g.BatchLinger > time.Second {
		bad("BatchLinger", g.BatchLinger, "must be at most 1s (negative: off)")
	}
	if g.ProposalQueueMax < 1 {
		bad("ProposalQueueMax", g.ProposalQueueMax, "must be >= 1")
	}
	return errors.Join(errs...)
}
