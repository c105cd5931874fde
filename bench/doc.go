// Package bench is the load generator of Boxoffice: the on-sale workload
// OSW-1, its metrics, its invariant check, and the report (table, JSON,
// PNG timeline) of `boxoffice bench`.
//
// # Workload
//
// A fresh event with an OnSaleVenue of Sections x Rows x SeatsPerRow seats
// (20 x 25 x 40 = 20,000 by default). Clients concurrent goroutines each
// loop: draw a section with Zipf skew (section 0 hottest, about 31% of the
// draws at s = 1.1 over 20 sections; sections this client has seen
// exhausted are left out), hold HoldSize adjacent seats there, then sell
// the hold (SellRatio) or release it. Best available is decided by the
// cluster inside the state machine, so in the default mode there are no
// conflicts: a refusal with NOT_ENOUGH_SEATS marks the section exhausted.
// With ExplicitSeats the client picks the seats from a STALE seat map and
// holds them by id, as a client of a plain key-value store would; a
// SEAT_UNAVAILABLE refusal is a conflict and is retried with a fresh map.
// A client stops when every section is exhausted or at the time limit; a
// hold it has is always sold or released first.
//
// # Measurements
//
// Latency is taken at the client, per operation, into HDR histograms (1 µs
// to 1 min, 3 significant digits), striped over a few mutexes rather than
// one per client (see recorder). Counters are atomics. A sampler turns them
// into one Sample per Config.SampleInterval (1s by default; make bench
// samples its one-second sell-outs every 100ms): the timeline of the JSON
// result and the plot; the live progress line prints one a second. Rates are per second of elapsed time, from
// the start to the last client stopping.
//
// The CPU of that same window (Result.CPU) is measured per process: the
// load generator's from getrusage, the system under test's from a
// CPUMeter (NodeCPU: each node's process_cpu_seconds_total from its
// /metrics) and the machine's from /proc/stat. Divided by the operations
// answered (holds, refused holds, sells, releases, reads), it says where
// the microseconds of one operation go when everything shares one
// machine, as in make bench; the table prints it under the runs.
//
// # Invariants
//
// After the run, a linearizable GetSeatMap with per-seat detail is checked
// against what the clients were told (Check): no seat acknowledged as sold
// twice, every seat of an acknowledged sell sold to that order, every sold
// seat from an acknowledged sell, so sold seats = HoldSize x acknowledged
// sells, and nothing left held. An operation whose answer never came
// (UNAVAILABLE, DEADLINE_EXCEEDED after every retry) is sent again with the
// same request id before the check: the cluster answers a repeated request
// with its first answer, so the run learns whether it applied.
//
// # Connections and cost
//
// Client i sends every call through inventories[i % len]. The caller
// chooses what those are (see cmd/boxoffice bench.go): several instances of
// package client, which route each call to its shard's leader, or raw gRPC
// connections to every node, which forward to the leader. Request messages
// are allocated once per client and reused; request ids are built in a
// per-client buffer, not from crypto/rand. The load generator's own cost
// is small next to gRPC's (see the report of issue 4).
//
// # Alternatives rejected
//
//   - Copying the peer baseline's driver (shared/peers): its Backend
//     interface hides the cluster's best-available behind a client-side
//     search, stores every latency in a slice and sorts it at the end, and
//     checks a dump keyed by seat id. Here the cluster decides seats, the
//     latencies go to fixed-size HDR histograms, and the check reads the
//     seat map the API returns, with order ids rather than hold ids.
//   - One histogram per client: 256 clients x 5 operations x 139 KB.
//   - An open-loop (fixed arrival rate) generator: OSW-1 is closed-loop by
//     definition (a fixed population of buyers), which is what the peer
//     numbers were measured with.
package bench
