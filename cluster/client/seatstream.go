package client

import (
	"context"
	"time"

	"google.golang.org/grpc"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Seat-map reads over streams (stream.go): ReadSeatMap sends a read as one
// message on the node's Inventory.ReadSeatMaps stream.
//
// Limits: at most ReadStreamInFlightMax reads wait on one stream; more
// callers wait for a place (until their deadline). The node itself works on
// at most 64 reads of a stream and slows the stream down beyond that.

// ReadStreamInFlightMax bounds the reads of one Client waiting on one
// node's stream.
const ReadStreamInFlightMax = 1024

type seatMapStreams = taggedStreams[boxofficev1.ReadSeatMapsRequest, boxofficev1.ReadSeatMapsResponse]

func newSeatMapStreams(c *Client, inventory boxofficev1.InventoryClient) *seatMapStreams {
	return &seatMapStreams{
		kind: "seat-map read",
		open: func(ctx context.Context) (boxofficev1.Inventory_ReadSeatMapsClient, error) {
			return inventory.ReadSeatMaps(ctx)
		},
		background:  c.background,
		inFlightMax: ReadStreamInFlightMax,
	}
}

// ReadSeatMap reads a seat map like GetSeatMap, routed and retried the same
// way, but as one message on the node's ReadSeatMaps stream. Its errors
// are the status errors GetSeatMap would return.
func (c *Client) ReadSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	var resp *boxofficev1.SeatMap
	err := c.retry(ctx, "ReadSeatMap", req.GetEventId(), seatMapTarget(req), func(ctx context.Context, deadline time.Time, nc *nodeConn, opts ...grpc.CallOption) error {
		answer, err := nc.seatMaps.call(ctx, deadline, opts, func(tag uint64, timeoutMs uint32) *boxofficev1.ReadSeatMapsRequest {
			return &boxofficev1.ReadSeatMapsRequest{Tag: tag, Read: req, TimeoutMs: timeoutMs}
		})
		if err != nil {
			return err
		}
		resp = answer.GetSeatMap()
		return nil
	})
	return resp, err
}
