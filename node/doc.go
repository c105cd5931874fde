// Package node is the Boxoffice server process. A Host wires together the
// pieces of one node: the gRPC services on the client port (Inventory,
// Cluster, Records), the catalog (the meta group's state machine, package
// catalog), the Raft groups this node replicates and the proposer of each,
// routing of each request to the leader of its group (forwarding over the
// peer port when this node does not lead it), gossip membership and the
// reconciliation that makes Raft configurations follow the catalog, and
// the HTTP port (/healthz, /readyz, /metrics, /debug/pprof).
//
// A node must never decide a business rule: whether a seat can be held,
// sold or released is the state machine's (package fsm), and the node only
// stamps the time and ids into a command, proposes it and carries the
// result back. It must never implement the multi-shard hold, sell and
// release protocol either: that belongs in package node/crossshard.
// Forwarding is one hop, so requests never loop (route.go).
//
// # Files by responsibility
//
// The host that wires everything:
//   - host.go: Host, New, Close; the join, reconcile, sweep (hold expiry
//     as a replicated command) and rebalance loops; bootstrap of the meta
//     group.
//   - config.go: Config (per process) and GroupConfig (per group), with
//     their defaults and Validate.
//   - metrics.go, raftsink.go, raftlog.go: the node's Prometheus registry,
//     raft's metrics and log lines routed into it and into slog.
//   - datadir.go, sealedsnapshots.go: the data directory and encryption at
//     rest of snapshots (the log is node/logstore).
//   - backup.go, restore.go: Cluster.Backup (a group's state from its
//     leader after a barrier) and RestoreDataDir (a new node's data dir
//     seeded from a backup, file format in node/backup).
//
// Groups and the proposer:
//   - group.go: one Raft group on this node; a data group's bounded
//     proposal queue, the proposer that batches it into entries, and the
//     goroutine that waits for their results.
//
// Routing and forwarding:
//   - route.go: propose locally when leading, else forward to the leader
//     (one hop, retried on leader changes).
//   - peer.go: the peer RPCs that answer forwarded requests; it never
//     forwards again.
//   - transport.go: the one peer port that carries every group's Raft
//     traffic and the peer RPCs.
//   - support.go: connections to peers and per-call metrics.
//
// Membership:
//   - membership.go: Raft configurations follow the catalog (add, remove,
//     repair replicas), and the Cluster service's RemoveNode.
//   - metavoters.go: the meta group's voters spread over regions, one
//     promotion or demotion per pass.
//   - addgroups.go: the Cluster service's AddGroups (data groups on a
//     running cluster).
//   - rebalance.go: replica and leader moves on the meta leader (the plan
//     is cluster.PlanRebalance), and Cluster.PlanRebalance (dry run).
//   - decommission.go: Cluster.Decommission (the catalog's mark).
//   - gossipkeys.go, verify.go: gossip encryption, and proof of a member's
//     identity before anything it says is acted on.
//   - version.go: the release and feature level this node announces, and
//     the gate (requireFeatureLevel) on commands older builds cannot
//     apply; Cluster.CheckFeatureLevel.
//
// The client API:
//   - inventory.go: the Inventory service (events, seat maps, holds,
//     sales): decode, call node/crossshard, map the error; archive.go:
//     DeleteEvent.
//   - coordinator.go: the node's side of node/crossshard (hostShards
//     proposes a shard's command through route.go) and the mapping of
//     its errors to the node's.
//   - commandstream.go, seatstream.go, streams.go: the Commands and
//     ReadSeatMaps streams over the same paths as the unary calls.
//   - seatview.go: the cache of compact seat-map views.
//   - watchhub.go: the fan-out of applied seat changes to Watch streams.
//   - records.go: the Records key-value service over the data groups,
//     keys placed by their placement tag from feature level 3;
//     recordbatch.go: Records.Batch, atomic writes to one placement.
//   - cluster_service.go: the Cluster service's Status and Routing.
//   - leadership.go: the Cluster service's TransferLeader and Drain (the
//     catalog's draining mark and preferred leader; host.go's rebalance
//     loop acts on them).
//   - survival.go: an event's groups from its survival goal, home region
//     and size; homed groups kept led from their region.
//   - shardmove.go: the Cluster service's MoveShard, the driver of a
//     shard's handover to another group (catalog record, freeze, import,
//     switch, drop), and the rerouting of commands and reads that reach a
//     group after the shard left it.
//   - convert.go: conversions between the API, the catalog and fsm.
//   - errors.go: the node's errors and the one mapping to gRPC statuses.
//
// Security of the ports:
//   - authz.go: which role may call which method (methodRoles).
//   - tls.go: the TLS configuration of the client and peer ports.
//   - httpport.go: the HTTP port and its role checks.
//   - streamlimit.go: the cap on streams per client identity.
//
// Tests:
//   - testing.go: TestCluster, real nodes in the test's process on
//     loopback (start, stop, kill, restart, partition and heal the peer
//     traffic, wait for a condition), used by the tests of node, checkout,
//     bench and jepsen/fakestripe.
//
// # Subpackages
//
//   - crossshard: the all-or-nothing protocol of hold, extend, release,
//     sell and refund across an event's shards.
//   - catalog: the meta group's state machine.
//   - nodetls: the certificate convention (who a certificate names and
//     its role) and the development PKI.
//   - logstore: raft's log and stable store for every group in one bbolt
//     file.
//   - nodepb: the catalog's commands and the peer RPCs.
//   - backup: the files of a backup (manifest, checksums); no server code.
//
// The groups, the proposer and routing are methods of Host and read its
// fields (the catalog, the peer connections, the metrics); they stay in
// node until Host is split into the parts each needs. watchhub.go and
// streamlimit.go are self-contained but small and used only here.
package node
