// Package checkout is the gateway phones talk to: an HTTP/JSON API in
// front of the seat cluster (identity, catalogue, live seat maps, waiting
// room, holds with a per-buyer limit, orders paid with Stripe
// PaymentIntents, tickets with signed, rotating QR codes and sealed
// records (qr.go, records.go), transfers, check-in, a notification outbox,
// and a janitor that deletes every record past its lifetime; README.md has
// the table of key prefixes and lifetimes).
//
// The gateway is stateless. Seats live in the cluster (Inventory, i.e.
// *client.Client); every other record that must survive lives in a Store
// (a linearizable key-value store with versions, CAS, bounded counters and
// atomic batches of writes within one placement,
// see store.go); so any number of gateways can run behind a load balancer
// and any of them can finish what another began. The only per-process
// state is the rate limiters' token buckets (local, each holding this
// gateway's share of a deployment-wide rate, from leases counted in the
// Store every few seconds: ratelease.go), the stream counts (local: see
// Config.StreamsPerFan), the shared cluster Watch of each event that has
// seat streams or seat-map views (watchhub.go: one per event however many
// phones watch), the views answered from memory (views.go: seat maps kept
// current by that Watch and encoded once per change, event detail and the
// catalogue re-read at most once per Config.ViewRefresh, all with ETags; a
// seat map lags the store by the Watch's delivery, milliseconds, and says
// its age; holds never consult them), and which events' on-sales the
// cluster client was prepared for: the
// first fan to join an event's waiting room makes the gateway call the
// client's Prepare in the background (routing and streams to the event's
// leaders ready before the first admitted fans hold; inventory.go), and
// caches that decide nothing alone: events for 2 s, and the hold and order
// records this gateway wrote, whose versions its next write checks
// (eventcache.go).
//
// Design rules, in the order they matter:
//
//   - Records written together live together. Every record of one fan
//     (idempotency claims, quota and seat counters, holds, orders, the
//     reconciler's markers, the ticket index, notifications) carries the
//     placement tag {f:<fan>}, and the tickets of one event shard
//     {t:<event>~<shard>}, so each step of a purchase writes its records
//     in one atomic Store.Batch (ARCHITECTURE.md, "The purchase path").
//   - Every multi-step flow is a chain of such batches and cluster calls
//     whose ids (cluster request ids, order ids, Stripe idempotency keys,
//     outbox ids) derive from the caller's Idempotency-Key or from the
//     order id, so re-running any prefix of a flow changes nothing. That is
//     what lets a retry, a second gateway or the reconciler pick a flow up
//     anywhere; the batches are ordered so that every state a crash leaves
//     is one of them finishes or undoes.
//   - Nothing is read back that this gateway just wrote: the hold and order
//     records it wrote are cached with their versions and written again by
//     compare-and-swap on those versions (a mismatch reads and decides
//     again); events are cached for 2 s (eventcache.go).
//   - Money is never decided from memory. A pending order asks the payment
//     provider; an unpaid order is cancelled at the provider before its
//     seats go back; a payment that succeeds after the hold expired
//     re-holds the same seats or is refunded (orders.go).
//   - One place maps errors to HTTP (errors.go, RFC 9457 problems).
//   - The route table (routes.go) drives the mux, role checks, the
//     Idempotency-Key requirement and the OpenAPI document, so they cannot
//     drift; TestOpenAPIMatchesHandlers checks the document against the
//     handlers.
//
// Alternatives rejected: general transactions across placements in the
// Store (a Batch within one placement is one command of one data group;
// across groups the cluster would need two-phase commit, and every flow
// here is a short chain of single-placement batches the reconciler can
// finish); a single-key CAS per record (a purchase cost ~60 cluster calls,
// each a Raft commit); a per-buyer record of reservations with expiries
// rewritten by CAS (a read and a write per change, serialized on one
// record; the counter moves in the same Batch as the hold record
// whose existence conditions each give-back, so no crash leaks a count);
// Stripe Checkout Sessions (a web redirect; phones
// use the PaymentSheet with a PaymentIntent client secret); polling the
// cluster for the seat stream (Watch gives ordered, resumable positions);
// a cluster Watch per seat stream (one fan's 300 streams were 300 cluster
// streams; the hub makes the cluster's cost per event, not per phone); a
// private catch-up Watch for a stream resuming from before the hub's
// replay ring (unbounded cluster streams again; a reset costs one seat-map
// read); a seat-map read per view, even a stale one from any replica (a
// thousand phones refreshing cost a thousand reads and encodings; from
// memory they cost the cluster nothing); encoding a seat map per request
// (the body is encoded once per change and served as bytes).
//
// Views never decide anything: a hold, an order and a sale go to the
// cluster, and a view is only what a phone shows.
package checkout
