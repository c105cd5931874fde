package checkout

import (
	"context"

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
}
