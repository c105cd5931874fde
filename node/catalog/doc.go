// Package catalog is the state machine of the meta group: which nodes are
// in the cluster (and which were removed, drained or decommissioning), the
// data groups and their replicas, the replica moves in flight
// (decommission.go), and the events, each with the data group that owns
// each of its shards and its status (creating, ready, archiving,
// archived). Every node
// runs a replica; the node package proposes the commands (nodepb
// CatalogCommand) and reads the replica to route requests and to
// reconcile the groups it hosts.
//
// Like the seat state machine (package fsm), the catalog is deterministic.
// Apply reads no clock, randomness, disk or network: the proposing node
// stamps the time and the budget into the command. A request id applies
// once and a retry gets the first answer (up to DedupEntriesMax remembered
// ids). A command refused by a rule (an unknown group, an event past the
// budget) is a CatalogResult with a code; an entry that does not decode or
// has an unknown type panics.
//
// Records handed out (Event, Export) are shared with the catalog and
// immutable: a change stores a new record. An event's venue, megabytes for
// a large one, is therefore held once however many results refer to it.
//
// The catalog must never propose, forward or wait for Raft (that is the
// node's), decide anything about seats (that is fsm's), or import node or
// gRPC: it depends on raft's FSM interface and on the messages of nodepb
// (and the api messages they carry) alone.
package catalog
