package node

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice/node/catalog"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// catalogReplica is this node's replica of the catalog: the state machine
// of the meta group (package catalog), which every node runs.
type catalogReplica struct{ *catalog.Catalog }

func newCatalogReplica(onApply func()) *catalogReplica {
	return &catalogReplica{catalog.New(onApply)}
}

// waitEvent is Catalog.WaitEvent.
// TODO(issue 18): call WaitEvent in inventory.go and drop this method once
// the multi-shard protocol has moved out of that file.
func (c *catalogReplica) waitEvent(ctx context.Context, id string, d time.Duration, ok func(*nodepb.EventRecord) bool) *nodepb.EventRecord {
	return c.WaitEvent(ctx, id, d, ok)
}
