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
// (a linearizable key-value store with versions, CAS and bounded counters,
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
// leaders ready before the first admitted fans hold; inventory.go).
//
// Design rules, in the order they matter:
//
//   - Every multi-step flow is a chain of single-key CAS steps whose ids
//     (cluster request ids, order ids, Stripe idempotency keys, outbox
//     ids) derive from the caller's Idempotency-Key or from the order id,
//     so re-running any prefix of a flow changes nothing. That is what lets
//     a retry, a second gateway or the reconciler pick a flow up anywhere.
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
// Alternatives rejected: multi-key transactions in the Store (each flow
// fits single-key CAS, and the cluster would need a transaction layer for
// them); a per-buyer counter via Store.Add (a counter cannot tell a crashed
// request's increment from a live one; a record of reservations with
// expiries heals itself); Stripe Checkout Sessions (a web redirect; phones
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
