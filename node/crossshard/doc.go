// Package crossshard is the all-or-nothing protocol of the operations on an
// event's seats that may span several of its shards: hold, extend, release,
// sell and refund. Each shard is a Raft group's state machine; no
// transaction spans two of them, so this package decides which command goes
// to which shard, in which order, and what is undone when a shard refuses.
//
// The protocol:
//
//   - Hold of explicit seats sends each shard its part, concurrently, under
//     one hold id that names every shard. If a shard refuses, the parts that
//     were held are released (request id step "undo") and the first refusal
//     is answered. A failed release is logged; the hold's TTL frees it.
//   - Best-available and general admission never span shards: one shard is
//     asked (or, for best-available without a section, the seated shards in
//     turn until one has the seats).
//   - Sell of a hold that spans shards first pins the hold in every shard
//     (step "pin"), so that no part can expire half-way, then sells in every
//     shard. If a pin is refused, the pinned parts are unpinned (step
//     "unpin", pinned until 0) and nothing is sold.
//   - Extend, release and refund send each shard its part concurrently.
//     Release answers what was released if any shard released its part;
//     extend and refund answer the first refusal.
//   - An unknown outcome (Shards.Propose returned an error: a timeout, no
//     leader) is returned as is and nothing is compensated: the caller
//     retries with the same request id and gets the complete answer. The
//     hold's TTL is the backstop if it never does.
//
// Request ids make a retry apply once. The command for shard n of a
// request r carries the id "r/n", and "r/<step>/n" for a step of the
// protocol (pin, unpin, undo), so every shard's part has its own id, stable
// across retries. When a request spans shards every part also carries the
// caller's request digest as its fingerprint, so a request id reused for
// another request is refused by every shard, even one whose part is
// unchanged.
//
// The package reaches the groups only through Shards, which the node
// implements by proposing on the group's leader or forwarding to it. It
// never does network or gRPC itself, never reads the clock (a sell's pin
// deadline comes from Coordinator.Now), and never imports package node:
// its errors are its own (errors.go) and the node maps them.
//
// Shards has one method because the protocol writes and never reads: the
// reads of a hold or a seat map (GetHold, GetSeatMap) stay in the node,
// which resolves their shards with HoldShards, ShardOfSection and
// ShardOfPool. The caller checks a request's fields and loads its event;
// the coordinator checks the request against the event (seats per hold,
// sections, pools, hold and ticket ids) before proposing anything.
package crossshard
