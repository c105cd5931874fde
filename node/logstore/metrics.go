package logstore

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Prometheus collectors of one DB. They carry no group
// label: the commit path is shared by all groups, and a label per group
// would multiply series by the number of groups for no insight here.
type metrics struct {
	registerer       prometheus.Registerer
	commits          prometheus.Counter
	commitFailures   prometheus.Counter
	commitOperations prometheus.Histogram
	commitDuration   prometheus.Histogram
	noSpace          prometheus.GaugeFunc
}

func registerMetrics(registerer prometheus.Registerer, db *DB) (*metrics, error) {
	m := &metrics{
		registerer: registerer,
		commits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "boxoffice",
			Subsystem: "logstore",
			Name:      "commits_total",
			Help:      "Group commits written to the node's shared Raft log file: bbolt write transactions, each one fsync unless NoSync.",
		}),
		commitFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "boxoffice",
			Subsystem: "logstore",
			Name:      "commit_failures_total",
			Help:      "Group commits whose bbolt transaction failed to begin or commit; every writer in them got the error.",
		}),
		commitOperations: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "boxoffice",
			Subsystem: "logstore",
			Name:      "commit_operations",
			Help:      "Operations per group commit (log entries stored, stable keys set, ranges and groups deleted), all groups together.",
			Buckets:   prometheus.ExponentialBuckets(1, 2, 14), // 1 to 8192
		}),
		commitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "boxoffice",
			Subsystem: "logstore",
			Name:      "commit_duration_seconds",
			Help:      "Time spent committing one group commit (bbolt Tx.Commit: page writes and fsyncs).",
			Buckets:   prometheus.ExponentialBuckets(50e-6, 2, 16), // 50µs to 1.6s
		}),
		noSpace: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "boxoffice",
			Subsystem: "logstore",
			Name:      "no_space",
			Help:      "1 while the Raft log's filesystem is full: the last commit failed with ENOSPC and less than 1 MiB is available; log writes fail until space is freed.",
		}, func() float64 {
			if db.NoSpace() {
				return 1
			}
			return 0
		}),
	}
	collectors := []prometheus.Collector{m.commits, m.commitFailures, m.commitOperations, m.commitDuration, m.noSpace}
	for i, collector := range collectors {
		if err := registerer.Register(collector); err != nil {
			for _, registered := range collectors[:i] {
				registerer.Unregister(registered)
			}
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) observe(outcome commitOutcome) {
	if outcome.failed {
		m.commitFailures.Inc()
	}
	if outcome.committed {
		m.commits.Inc()
		m.commitOperations.Observe(float64(outcome.ops))
		m.commitDuration.Observe(outcome.commitDuration.Seconds())
	}
}

func (m *metrics) unregister() {
	m.registerer.Unregister(m.commits)
	m.registerer.Unregister(m.commitFailures)
	m.registerer.Unregister(m.commitOperations)
	m.registerer.Unregister(m.commitDuration)
	m.registerer.Unregister(m.noSpace)
}
