// Package cluster holds what the nodes of a Boxoffice cluster share beyond
// Raft: membership and failure detection (memberlist), placement of data
// groups on nodes and of event shards on groups, the hold-id format that lets
// any node route hold operations, venue validation, and (in cluster/client)
// the Go client that mobile API servers import.
package cluster
