// Package cluster holds what the nodes of a Boxoffice cluster share beyond
// Raft: membership and failure detection (memberlist), placement of data
// groups on nodes and of event shards on groups, survival goals (which
// groups survive the loss of a zone or region) and the meta group's
// voters, and venue validation. The
// hold-id format, which clients parse too, is in api/holdid; the Go client
// that mobile API servers import is in cluster/client and imports nothing
// from this package.
package cluster
