package checkout

import (
	"context"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Inventory is what the gateway needs from the seat cluster; *client.Client
// satisfies it. Every mutation carries a request id the gateway derives
// from the caller's Idempotency-Key or from an order id, so that a retry —
// by the phone, by the gateway, or by the reconciler after a crash —
// applies once in the cluster.
type Inventory interface {
	GetEvent(ctx context.Context, req *boxofficev1.GetEventRequest) (*boxofficev1.Event, error)
	ListEvents(ctx context.Context, req *boxofficev1.ListEventsRequest) (*boxofficev1.ListEventsResponse, error)
	GetSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error)
	GetHold(ctx context.Context, req *boxofficev1.GetHoldRequest) (*boxofficev1.HoldResponse, error)
	Hold(ctx context.Context, req *boxofficev1.HoldRequest) (*boxofficev1.HoldResponse, error)
	ExtendHold(ctx context.Context, req *boxofficev1.ExtendHoldRequest) (*boxofficev1.HoldResponse, error)
	Release(ctx context.Context, req *boxofficev1.ReleaseRequest) (*boxofficev1.ReleaseResponse, error)
	Sell(ctx context.Context, req *boxofficev1.SellRequest) (*boxofficev1.SellResponse, error)
	Refund(ctx context.Context, req *boxofficev1.RefundRequest) (*boxofficev1.RefundResponse, error)
	Watch(ctx context.Context, req *boxofficev1.WatchRequest) (boxofficev1.Inventory_WatchClient, error)
	DeleteEvent(ctx context.Context, req *boxofficev1.DeleteEventRequest) (*boxofficev1.DeleteEventResponse, error)
}

// preparer is an Inventory that can get ready for an event's on-sale
// ahead of its first command: *client.Client's Prepare learns the event's
// routing and opens streams to its shards' leaders.
type preparer interface {
	Prepare(ctx context.Context, eventID string) error
}

// prepareTimeout bounds one background Prepare.
const prepareTimeout = 10 * time.Second

// prepareEvent readies the cluster client for event once per gateway
// process, in the background: the waiting room calls it when a fan joins,
// so that the first admitted fans' holds do not pay for routing and
// connections (at the start of a 256-client on-sale that was a hold p99
// of 50-140 ms for the first 100-200 ms). A failure is logged and tried
// again on the next join; holds work without it.
func (g *Gateway) prepareEvent(event string) {
	p, ok := g.cfg.Inventory.(preparer)
	if !ok {
		return
	}
	if _, done := g.prepared.LoadOrStore(event, struct{}{}); done {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(background(context.Background()), prepareTimeout)
		defer cancel()
		if err := p.Prepare(ctx, event); err != nil {
			g.prepared.Delete(event)
			g.cfg.Logger.Warn("preparing the cluster client for an on-sale failed", "event", event, "error", err)
		}
	}()
}
