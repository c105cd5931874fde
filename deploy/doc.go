// Package deploy holds what an operator deploys beside Boxoffice, and its
// tests; it has no code of its own.
//
//   - grafana/boxoffice.json: the Grafana dashboard (cluster health,
//     leaders per node, traffic and errors by code, commit latency, batch
//     sizes, queue depth, replication lag, disks, clocks), over a
//     Prometheus data source chosen by its datasource variable.
//   - prometheus/alerts.yml: the alerting rules, each with a runbook in
//     docs/operations.md; prometheus/alerts_test.yml: promtool's unit
//     tests of them (each alert fires on a crafted failure and not on a
//     healthy series).
//   - prometheus/prometheus.yml: a scrape configuration for `boxoffice
//     demo`.
//
// The dashboard and the rules name only metrics the nodes export
// (node/metrics.go, node/raftsink.go, node/logstore). `make
// lint-monitoring` checks them with promtool and TestDashboardStructure;
// TestMonitoringAgainstPrometheus runs a real Prometheus (Debian's
// prometheus package) against an in-process cluster with traffic and
// evaluates every dashboard query and every rule.
package deploy
