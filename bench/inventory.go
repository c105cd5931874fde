package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Inventory is the part of the Inventory service a run uses. Both
// *client.Client (routed to shard leaders, with retries) and a raw gRPC
// connection wrapped by Raw satisfy it, and tests use an in-memory fake.
type Inventory interface {
	CreateEvent(context.Context, *boxofficev1.CreateEventRequest) (*boxofficev1.CreateEventResponse, error)
	GetSeatMap(context.Context, *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error)
	GetHold(context.Context, *boxofficev1.GetHoldRequest) (*boxofficev1.HoldResponse, error)
	Hold(context.Context, *boxofficev1.HoldRequest) (*boxofficev1.HoldResponse, error)
	Release(context.Context, *boxofficev1.ReleaseRequest) (*boxofficev1.ReleaseResponse, error)
	Sell(context.Context, *boxofficev1.SellRequest) (*boxofficev1.SellResponse, error)
}

// StreamReader is an Inventory that can also read seat maps as messages on
// a long-lived stream (Inventory.ReadSeatMaps), as *client.Client does with
// ReadSeatMap. Config.ReadStream runs need it.
type StreamReader interface {
	ReadSeatMap(context.Context, *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error)
}

// CallBounder is an Inventory that bounds a call made without a context
// deadline, retries included, by RetryTimeout, as *client.Client does. A
// worker's operation then needs no context with a deadline of its own
// unless it retries (worker.call).
type CallBounder interface {
	RetryTimeout() time.Duration
}

// Preparer is an Inventory that can get ready for an event before the
// clock starts (learn its routing, connect to its leaders, open streams),
// as *client.Client does with Prepare.
type Preparer interface {
	Prepare(ctx context.Context, eventID string) error
}

// prepare readies every inventory that is a Preparer for eventID, all at
// once, within createTimeout.
func prepare(ctx context.Context, inventories []Inventory, eventID string) error {
	ctx, cancel := context.WithTimeout(ctx, createTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(inventories))
	for i, inv := range inventories {
		if p, ok := inv.(Preparer); ok {
			wg.Go(func() { errs[i] = p.Prepare(ctx, eventID) })
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bench: preparing the clients for event %q: %w", eventID, err)
	}
	return nil
}

// Raw adapts a generated gRPC client (one connection to one node, no
// routing or retries) to Inventory.
func Raw(c boxofficev1.InventoryClient) Inventory { return raw{c} }

type raw struct{ c boxofficev1.InventoryClient }

func (r raw) CreateEvent(ctx context.Context, req *boxofficev1.CreateEventRequest) (*boxofficev1.CreateEventResponse, error) {
	return r.c.CreateEvent(ctx, req)
}

func (r raw) GetSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	return r.c.GetSeatMap(ctx, req)
}

func (r raw) GetHold(ctx context.Context, req *boxofficev1.GetHoldRequest) (*boxofficev1.HoldResponse, error) {
	return r.c.GetHold(ctx, req)
}

func (r raw) Hold(ctx context.Context, req *boxofficev1.HoldRequest) (*boxofficev1.HoldResponse, error) {
	return r.c.Hold(ctx, req)
}

func (r raw) Release(ctx context.Context, req *boxofficev1.ReleaseRequest) (*boxofficev1.ReleaseResponse, error) {
	return r.c.Release(ctx, req)
}

func (r raw) Sell(ctx context.Context, req *boxofficev1.SellRequest) (*boxofficev1.SellResponse, error) {
	return r.c.Sell(ctx, req)
}
