package node

import (
	"strconv"
	"sync"
	"syscall"
	"time"

	metrics "github.com/hashicorp/go-metrics/compat"
	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node/catalog"
)

// nodeMetrics are one node's Prometheus metrics, registered on the node's
// own registry (the demo runs three nodes in one process).
type nodeMetrics struct {
	registry      *prometheus.Registry
	batchCommands prometheus.Histogram
	commitSeconds prometheus.Histogram
	// How a proposer's linger ended (GroupConfig.BatchLinger).
	batchLinger *prometheus.CounterVec
	operations  *prometheus.CounterVec
	requestSecs *prometheus.HistogramVec
	forwards    *prometheus.CounterVec
	// Best-available holds the leader refused without a log entry.
	holdsRefusedLocally prometheus.Counter
	// ReadSeatMaps streams (seatstream.go); their reads are also counted
	// and timed one by one in operations and requestSecs.
	readStreamsOpen     prometheus.Gauge
	readStreamsInFlight prometheus.Gauge
	cmdStreamsOpen      prometheus.Gauge
	cmdStreamsInFlight  prometheus.Gauge
	cmdStreamMessages   *prometheus.CounterVec
	// Calls refused by authorization (authz.go).
	permissionDenied *prometheus.CounterVec
	// Streams refused over Config.StreamsPerIdentityMax (streamlimit.go).
	streamsRefused *prometheus.CounterVec
	// Snapshots of each local group: taken here (Raft's threshold) and
	// installed from a leader (InstallSnapshot; not the restore at start).
	snapshotsTaken     *prometheus.CounterVec
	snapshotsInstalled *prometheus.CounterVec
	// Expired holds released by the sweeps this node proposed as leader.
	holdsSwept *prometheus.CounterVec
	// Rebalance moves (rebalance.go), on the meta leader.
	moves         *prometheus.CounterVec
	movesInFlight prometheus.Gauge
}

func newNodeMetrics(h *Host) *nodeMetrics {
	reg := prometheus.NewRegistry()
	m := &nodeMetrics{
		registry: reg,
		batchCommands: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "boxoffice", Subsystem: "group", Name: "batch_commands",
			Help:    "Client commands carried by one Raft entry of a data group.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
		batchLinger: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "group", Name: "batch_lingers_total",
			Help: "Entries whose proposer waited for the callers of the previous entry to send again, by outcome: filled (every expected command came) or expired (GroupConfig.BatchLinger ran out first).",
		}, []string{"outcome"}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "boxoffice", Subsystem: "group", Name: "commit_apply_seconds",
			Help:    "Time from proposing a data-group entry to its commit and apply on the leader.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "api", Name: "operations_total",
			Help: "Client operations by method and outcome (gRPC code).",
		}, []string{"method", "outcome"}),
		requestSecs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "boxoffice", Subsystem: "api", Name: "request_seconds",
			Help:    "Latency of client operations as the serving node sees them (hold, sell, ...).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 17),
		}, []string{"method"}),
		holdsRefusedLocally: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "group", Name: "holds_refused_locally_total",
			Help: "Best-available holds a leader refused for lack of seats after a read barrier, without a Raft entry.",
		}),
		forwards: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "peer", Name: "forwards_total",
			Help: "Shard commands and reads forwarded to another node's leader, by kind.",
		}, []string{"kind"}),
		readStreamsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "boxoffice", Subsystem: "api", Name: "read_streams_open",
			Help: "ReadSeatMaps streams open on this node.",
		}),
		readStreamsInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "boxoffice", Subsystem: "api", Name: "read_stream_reads_in_flight",
			Help: "Reads of ReadSeatMaps streams received and not yet answered on this node (at most 64 per stream).",
		}),
		cmdStreamsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "boxoffice", Subsystem: "api", Name: "command_streams_open",
			Help: "Commands streams open on this node.",
		}),
		cmdStreamsInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "boxoffice", Subsystem: "api", Name: "command_stream_commands_in_flight",
			Help: "Commands of Commands streams received and not yet answered on this node (at most 1024 per stream).",
		}),
		cmdStreamMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "api", Name: "command_stream_messages_total",
			Help: "Messages of Commands streams by direction (received, sent); with batching clients a message carries several commands or answers (compare with boxoffice_api_operations_total).",
		}, []string{"direction"}),
		permissionDenied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "api", Name: "permission_denied_total",
			Help: "Calls and streams refused PERMISSION_DENIED (ROLE_NOT_ALLOWED) by the caller's certificate role, by full method and role (none: no role; unknown: a role this node does not know).",
		}, []string{"method", "role"}),
		streamsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "api", Name: "streams_refused_total",
			Help: "Streaming calls refused RESOURCE_EXHAUSTED (STREAM_LIMIT) because their client identity had StreamsPerIdentityMax streams open on this node, by method.",
		}, []string{"method"}),
		snapshotsTaken: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "raft", Name: "snapshots_taken_total",
			Help: "Snapshots this node took of a local group's state (every --raft-snapshot-threshold entries, checked every --raft-snapshot-interval), by group.",
		}, []string{"group"}),
		snapshotsInstalled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "raft", Name: "snapshots_installed_total",
			Help: "Snapshots a group's leader sent this node and this node restored (a replica too far behind for the leader's log), by group; restoring its own latest snapshot at start is not counted.",
		}, []string{"group"}),
		holdsSwept: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "group", Name: "holds_swept_total",
			Help: "Expired holds released by the sweeps this node proposed as a data group's leader (--sweep-interval), by group.",
		}, []string{"group"}),
		moves: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "rebalance", Name: "moves_total",
			Help: "Rebalance moves this node proposed as meta leader, by kind (replica, leader) and outcome (started, finished, cancelled, refused).",
		}, []string{"kind", "outcome"}),
		movesInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "boxoffice", Subsystem: "rebalance", Name: "moves_in_flight",
			Help: "Replica moves in flight in the catalog, as this node last saw them while it led the catalog (the meta leader's is current).",
		}),
	}
	// The release and feature level this node runs, as labels of a
	// constant 1 (the Prometheus convention for build information): a
	// dashboard counts nodes per version during an upgrade.
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "boxoffice", Subsystem: "node", Name: "build_info",
		Help:        "1, labelled with the release (version) and feature level this node runs.",
		ConstLabels: prometheus.Labels{"version": ReleaseVersion(), "feature_level": strconv.Itoa(featureLevelCurrent)},
	})
	buildInfo.Set(1)
	// Where the node runs (start --locality), the same way: dashboards join
	// it on instance to show a metric per region or zone.
	var where cluster.Locality
	if h != nil {
		where = h.cfg.Locality
	}
	region, zone := "", ""
	if len(where) > 0 {
		region = where[0].Value
	}
	if len(where) > 1 {
		zone = where[1].Value
	}
	locality := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "boxoffice", Subsystem: "node", Name: "locality",
		Help:        "1, labelled with the node's region and zone (the first two tiers of --locality; empty when not given) and its whole locality.",
		ConstLabels: prometheus.Labels{"region": region, "zone": zone, "locality": where.String()},
	})
	locality.Set(1)
	reg.MustRegister(buildInfo, locality)
	reg.MustRegister(m.moves, m.movesInFlight, m.snapshotsTaken, m.snapshotsInstalled, m.holdsSwept, m.permissionDenied, m.batchCommands, m.batchLinger, m.commitSeconds, m.operations, m.requestSecs, m.forwards, m.holdsRefusedLocally,
		m.readStreamsOpen, m.readStreamsInFlight, m.cmdStreamsOpen, m.cmdStreamsInFlight, m.cmdStreamMessages, m.streamsRefused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&raftCollector{host: h}, &fillCollector{host: h}, &healthCollector{host: h})
	return m
}

// gatherer returns the node's metrics plus Raft's own (process-wide).
func (m *nodeMetrics) gatherer() prometheus.Gatherer {
	return prometheus.Gatherers{m.registry, raftMetricsRegistry()}
}

var (
	raftRegistryOnce sync.Once
	raftRegistry     *prometheus.Registry
)

// raftMetricsRegistry routes hashicorp/raft's go-metrics (commit time,
// FSM apply time, leader contact, ...) to Prometheus. go-metrics is global
// to the process, so this registry is too.
func raftMetricsRegistry() *prometheus.Registry {
	raftRegistryOnce.Do(func() {
		raftRegistry = prometheus.NewRegistry()
		sink := newRaftSink(raftRegistry)
		cfg := metrics.DefaultConfig("boxoffice")
		cfg.EnableHostname = false
		cfg.EnableRuntimeMetrics = false
		_, _ = metrics.NewGlobal(cfg, sink)
	})
	return raftRegistry
}

// raftCollector reports each local group's Raft state at scrape time.
type raftCollector struct{ host *Host }

var (
	raftStateDesc = prometheus.NewDesc("boxoffice_raft_state",
		"Raft state of each local replica: 0 follower, 1 candidate, 2 leader, 3 shutdown.", []string{"group"}, nil)
	raftAppliedDesc = prometheus.NewDesc("boxoffice_raft_applied_index",
		"Last log index applied to the state machine by each local replica.", []string{"group"}, nil)
	raftCommitDesc = prometheus.NewDesc("boxoffice_raft_commit_index",
		"Commit index known to each local replica.", []string{"group"}, nil)
	raftTermDesc = prometheus.NewDesc("boxoffice_raft_term",
		"Current term of each local replica.", []string{"group"}, nil)
	raftLeadersDesc = prometheus.NewDesc("boxoffice_raft_leaders",
		"Number of groups this node leads.", nil, nil)
)

func (c *raftCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- raftStateDesc
	ch <- raftAppliedDesc
	ch <- raftCommitDesc
	ch <- raftTermDesc
	ch <- raftLeadersDesc
}

func (c *raftCollector) Collect(ch chan<- prometheus.Metric) {
	leaders := 0
	for _, g := range c.host.groupList() {
		state := g.raft.State()
		if state == raft.Leader {
			leaders++
		}
		ch <- prometheus.MustNewConstMetric(raftStateDesc, prometheus.GaugeValue, float64(state), g.id)
		ch <- prometheus.MustNewConstMetric(raftAppliedDesc, prometheus.GaugeValue, float64(g.raft.AppliedIndex()), g.id)
		ch <- prometheus.MustNewConstMetric(raftCommitDesc, prometheus.GaugeValue, float64(g.raft.CommitIndex()), g.id)
		ch <- prometheus.MustNewConstMetric(raftTermDesc, prometheus.GaugeValue, float64(g.raft.CurrentTerm()), g.id)
	}
	ch <- prometheus.MustNewConstMetric(raftLeadersDesc, prometheus.GaugeValue, float64(leaders))
}

// fillCollector reports, at scrape time, how full this node's bounded
// stores are against their limits: the catalog's budget of events and
// seats (Config.EventsMax, SeatsMax) and its dedup table, and per local
// data group the state machine's shards, records, record bytes and dedup
// table (fsm.Fill). A write past a limit is refused; alert before (see
// docs/security.md, "Alerts on store fill").
type fillCollector struct{ host *Host }

var (
	eventsLiveDesc = prometheus.NewDesc("boxoffice_catalog_events_live",
		"Events that are not archived, in this node's replica of the catalog; CreateEvent past boxoffice_catalog_events_max is refused EVENT_BUDGET_EXCEEDED.", nil, nil)
	eventsMaxDesc = prometheus.NewDesc("boxoffice_catalog_events_max",
		"The cluster's budget of events that are not archived, as this node stamps it into CreateEvent (--events-max).", nil, nil)
	seatsLiveDesc = prometheus.NewDesc("boxoffice_catalog_seats_live",
		"Seats plus general-admission capacity of the events that are not archived, in this node's replica of the catalog.", nil, nil)
	seatsMaxDesc = prometheus.NewDesc("boxoffice_catalog_seats_max",
		"The cluster's budget of seats of events that are not archived (--seats-max).", nil, nil)
	catalogDedupDesc = prometheus.NewDesc("boxoffice_catalog_dedup_entries",
		"Request ids the catalog remembers; at boxoffice_catalog_dedup_entries_max the oldest are forgotten (a retry older than that applies again).", nil, nil)
	catalogDedupMaxDesc = prometheus.NewDesc("boxoffice_catalog_dedup_entries_max",
		"The most request ids the catalog remembers.", nil, nil)
	storeFillDesc = prometheus.NewDesc("boxoffice_store_fill",
		"How full a local data group's state machine is, by table: shards, records, record_bytes, dedup_entries (compare with boxoffice_store_fill_max; a write past it is refused TOO_LARGE, a dedup entry past it forgets the oldest).", []string{"group", "table"}, nil)
	storeFillMaxDesc = prometheus.NewDesc("boxoffice_store_fill_max",
		"The limit of each table of boxoffice_store_fill.", []string{"group", "table"}, nil)
	watchStreamsDesc = prometheus.NewDesc("boxoffice_api_watch_streams_open",
		"Watch streams open on this node (each holds a change queue only while changes wait to be sent).", nil, nil)
)

func (c *fillCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{eventsLiveDesc, eventsMaxDesc, seatsLiveDesc, seatsMaxDesc,
		catalogDedupDesc, catalogDedupMaxDesc, storeFillDesc, storeFillMaxDesc, watchStreamsDesc} {
		ch <- d
	}
}

func (c *fillCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.host
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if h.catalog != nil {
		events, seats := h.catalog.Live()
		gauge(eventsLiveDesc, float64(events))
		gauge(seatsLiveDesc, float64(seats))
		gauge(catalogDedupDesc, float64(h.catalog.DedupEntries()))
	}
	gauge(eventsMaxDesc, float64(h.cfg.EventsMax))
	gauge(seatsMaxDesc, float64(h.cfg.SeatsMax))
	gauge(catalogDedupMaxDesc, catalog.DedupEntriesMax)
	gauge(watchStreamsDesc, float64(h.hub.count()))
	for _, g := range h.groupList() {
		if g.store == nil {
			continue
		}
		f := g.store.Fill()
		for _, t := range []struct {
			table     string
			fill, max float64
		}{
			{"shards", float64(f.Shards), float64(f.ShardsMax)},
			{"records", float64(f.Records), float64(f.RecordsMax)},
			{"record_bytes", float64(f.RecordBytes), float64(f.RecordBytesMax)},
			{"dedup_entries", float64(f.DedupEntries), float64(f.DedupEntriesMax)},
		} {
			gauge(storeFillDesc, t.fill, g.id, t.table)
			gauge(storeFillMaxDesc, t.max, g.id, t.table)
		}
	}
}

// healthCollector reports, at scrape time, what the operator's alerts need
// beyond Raft's state (deploy/prometheus/alerts.yml, docs/operations.md):
// each local replica's place in its group's configuration, each data
// group's proposal queue, the data directory's disk, and this node's wall
// clock. Nothing here is kept between scrapes, so the hot path pays
// nothing for it.
type healthCollector struct{ host *Host }

var (
	raftVotersDesc = prometheus.NewDesc(prometheus.BuildFQName("boxoffice", "raft", "voters"),
		"Voters in the latest Raft configuration each local replica knows of its group; a group is short of replicas when fewer of them report boxoffice_raft_voter.", []string{"group"}, nil)
	raftVoterDesc = prometheus.NewDesc(prometheus.BuildFQName("boxoffice", "raft", "voter"),
		"1 when this node is a voter of the group in the latest configuration its replica knows, 0 when it is a non-voter or not in it.", []string{"group"}, nil)
	replicationFactorDesc = prometheus.NewDesc(prometheus.BuildFQName("boxoffice", "node", "replication_factor"),
		"Voters this node wants in every data group (--replication-factor).", nil, nil)
	queueDepthDesc = prometheus.NewDesc(prometheus.BuildFQName("boxoffice", "group", "proposal_queue_depth"),
		"Commands waiting for a local data group's proposer (only a leader queues); at boxoffice_group_proposal_queue_capacity further commands are refused BUSY.", []string{"group"}, nil)
	queueCapacityDesc = prometheus.NewDesc(prometheus.BuildFQName("boxoffice", "group", "proposal_queue_capacity"),
		"The bound of each local data group's proposal queue (GroupConfig.ProposalQueueMax).", []string{"group"}, nil)
	diskFreeDesc = prometheus.NewDesc(prometheus.BuildFQName("boxoffice", "node", "data_dir_free_bytes"),
		"Bytes available to this process on the filesystem of the data directory (the Raft log and snapshots); at 0 log writes fail (boxoffice_logstore_no_space).", nil, nil)
	diskSizeDesc = prometheus.NewDesc(prometheus.BuildFQName("boxoffice", "node", "data_dir_size_bytes"),
		"Size of the filesystem of the data directory.", nil, nil)
	nodeTimeDesc = prometheus.NewDesc(prometheus.BuildFQName("boxoffice", "node", "time_seconds"),
		"This node's wall clock (Unix seconds) when scraped; a leader stamps it into every command, so its difference from the scraper's clock, timestamp(boxoffice_node_time_seconds), is the node's clock skew.", nil, nil)
)

func (c *healthCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{raftVotersDesc, raftVoterDesc, replicationFactorDesc,
		queueDepthDesc, queueCapacityDesc, diskFreeDesc, diskSizeDesc, nodeTimeDesc} {
		ch <- d
	}
}

func (c *healthCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.host
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(nodeTimeDesc, float64(time.Now().UnixNano())/1e9)
	gauge(replicationFactorDesc, float64(h.cfg.ReplicationFactor))
	var fs syscall.Statfs_t
	if err := syscall.Statfs(h.cfg.DataDir, &fs); err == nil {
		gauge(diskFreeDesc, float64(fs.Bavail)*float64(fs.Bsize))
		gauge(diskSizeDesc, float64(fs.Blocks)*float64(fs.Bsize))
	}
	for _, g := range h.groupList() {
		// The latest configuration is a copy read without the Raft loop:
		// a stuck group does not stall the scrape.
		if cf := g.raft.GetConfiguration(); cf.Error() == nil {
			voters, self := 0, 0.0
			for _, s := range cf.Configuration().Servers {
				if s.Suffrage != raft.Voter {
					continue
				}
				voters++
				if string(s.ID) == h.cfg.NodeID {
					self = 1
				}
			}
			gauge(raftVotersDesc, float64(voters), g.id)
			gauge(raftVoterDesc, self, g.id)
		}
		if g.proposals != nil {
			gauge(queueDepthDesc, float64(len(g.proposals)), g.id)
			gauge(queueCapacityDesc, float64(cap(g.proposals)), g.id)
		}
	}
}
