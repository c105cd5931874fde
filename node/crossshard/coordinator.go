package crossshard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/api/holdid"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Limits of the protocol (documented in README.md).
const (
	// SeatIDsPerRequestMax caps the seat ids of one hold and the ticket
	// ids of one refund.
	SeatIDsPerRequestMax = 100
	// PinDuration protects the hold of a multi-shard sell while the sell
	// completes in every shard.
	PinDuration = 30 * time.Second
)

// Coordinator runs the operations on an event's seats across its shards.
// Its methods take a request the caller has checked field by field (ids
// present and within limits) and the event it names, loaded by the caller;
// they check the request against the event. It is safe for concurrent use.
type Coordinator struct {
	// Shards reaches the shards' groups.
	Shards Shards
	// Now is the time a multi-shard sell pins its hold from; the pin lasts
	// PinDuration.
	Now func() time.Time
	// Logger receives the compensations that failed (each is backed by a
	// hold's TTL).
	Logger *slog.Logger
}

// Hold holds seats: explicit seats (all or nothing across their shards),
// best available in one shard, or general admission in a pool's shard.
func (c *Coordinator) Hold(ctx context.Context, req *boxofficev1.HoldRequest, e *nodepb.EventRecord) (*boxofficev1.HoldResponse, error) {
	base := &fsmpb.Hold{EventId: e.EventId, Holder: req.Holder, TtlMs: req.TtlMs}
	switch sel := req.Selection.(type) {
	case *boxofficev1.HoldRequest_Seats:
		return c.holdSeats(ctx, req, e, base, sel.Seats.GetSeatIds())
	case *boxofficev1.HoldRequest_Best:
		return c.holdBest(ctx, req, e, base, sel.Best)
	case *boxofficev1.HoldRequest_GeneralAdmission:
		ga := sel.GeneralAdmission
		if ga.Quantity == 0 {
			return nil, invalid("general_admission.quantity must be >= 1")
		}
		sh := ShardOfPool(e, ga.PoolId)
		if sh == nil {
			return nil, fmt.Errorf("%w: event %q has no general-admission pool %q", ErrNotFound, e.EventId, ga.PoolId)
		}
		base.GeneralAdmission = &fsmpb.GeneralAdmission{PoolId: ga.PoolId, Quantity: ga.Quantity}
		return c.holdInShard(ctx, req, e, sh, base)
	default:
		return nil, invalid("one of seats, best or general_admission is required")
	}
}

func (c *Coordinator) holdInShard(ctx context.Context, req *boxofficev1.HoldRequest, e *nodepb.EventRecord, sh *nodepb.ShardRecord, spec *fsmpb.Hold) (*boxofficev1.HoldResponse, error) {
	hold := cloneHold(spec)
	hold.Shard = sh.Shard
	hold.HoldId = holdid.New(e.EventId, req.RequestId, []uint32{sh.Shard})
	res, err := c.Shards.Propose(ctx, sh, &fsmpb.Command{
		Type:      fsmpb.CommandType_COMMAND_TYPE_HOLD,
		RequestId: shardRequestID(req.RequestId, "", sh.Shard),
		Body:      &fsmpb.Command_Hold{Hold: hold},
	})
	if err != nil {
		return nil, err
	}
	if err := refusal(res); err != nil {
		return nil, err
	}
	return &boxofficev1.HoldResponse{HoldId: res.HoldId, EventId: e.EventId, Holder: req.Holder, SeatIds: res.SeatIds,
		GeneralAdmissionQuantity: res.GeneralAdmissionQuantity, ExpiresAtUnixMs: res.ExpiresAtUnixMs}, nil
}

func cloneHold(h *fsmpb.Hold) *fsmpb.Hold {
	return &fsmpb.Hold{EventId: h.EventId, Holder: h.Holder, TtlMs: h.TtlMs, SeatIds: h.SeatIds, Best: h.Best, GeneralAdmission: h.GeneralAdmission}
}

// holdSeats holds explicit seats, all or nothing, across shards: each shard
// holds its part under the same hold id; if any shard refuses, the parts
// already held are released before answering.
func (c *Coordinator) holdSeats(ctx context.Context, req *boxofficev1.HoldRequest, e *nodepb.EventRecord, base *fsmpb.Hold, seatIDs []string) (*boxofficev1.HoldResponse, error) {
	if len(seatIDs) == 0 {
		return nil, invalid("seats.seat_ids is empty")
	}
	if len(seatIDs) > SeatIDsPerRequestMax || uint32(len(seatIDs)) > e.Policy.GetSeatsPerHoldMax() {
		return nil, fmt.Errorf("%w: %d seats in one hold; the event allows %d", ErrTooLarge, len(seatIDs), min(SeatIDsPerRequestMax, int(e.Policy.GetSeatsPerHoldMax())))
	}
	parts := map[uint32][]string{}
	shards := map[uint32]*nodepb.ShardRecord{}
	for _, id := range seatIDs {
		section, _, ok := strings.Cut(id, "-")
		if !ok || section == "" {
			return nil, invalid("seat id %q is not <section>-<row>-<number>", id)
		}
		sh := ShardOfSection(e, section)
		if sh == nil {
			return nil, fmt.Errorf("%w: event %q has no section %q (seat %q)", ErrNotFound, e.EventId, section, id)
		}
		parts[sh.Shard] = append(parts[sh.Shard], id)
		shards[sh.Shard] = sh
	}
	if len(parts) == 1 {
		for _, sh := range shards {
			spec := cloneHold(base)
			spec.SeatIds = seatIDs
			return c.holdInShard(ctx, req, e, sh, spec)
		}
	}
	order := sortedShardNumbers(parts)
	// The hold id names every shard the hold spans; refuse a hold its id
	// could not name (NewHoldID panics on one: it must never be reached).
	if err := holdid.CheckShards(order); err != nil {
		return nil, fmt.Errorf("%w: the seats span %d shards; one hold may span at most %d (%v)", ErrTooLarge, len(order), holdid.ShardsMax, err)
	}
	holdID := holdid.New(e.EventId, req.RequestId, order)
	digest := callerDigest(req, len(order))
	results := make([]*fsmpb.Result, len(order))
	errs := make([]error, len(order))
	var wg sync.WaitGroup
	for i, n := range order {
		wg.Go(func() {
			spec := cloneHold(base)
			spec.Shard, spec.HoldId, spec.SeatIds = n, holdID, parts[n]
			results[i], errs[i] = c.Shards.Propose(ctx, shards[n], &fsmpb.Command{
				Type: fsmpb.CommandType_COMMAND_TYPE_HOLD, RequestId: shardRequestID(req.RequestId, "", n), RequestFingerprint: digest,
				Body: &fsmpb.Command_Hold{Hold: spec},
			})
		})
	}
	wg.Wait()
	// An unknown outcome (timeout, no leader) is returned as is: the client
	// retries with the same request id and gets the complete answer; the
	// hold TTL is the backstop if it never does.
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var refused error
	for _, r := range results {
		if err := refusal(r); err != nil && refused == nil {
			refused = err
		}
	}
	if refused != nil {
		var undo []error
		for i, n := range order {
			if results[i].GetCode() != fsmpb.Code_CODE_OK {
				continue
			}
			r, err := c.Shards.Propose(ctx, shards[n], &fsmpb.Command{
				Type: fsmpb.CommandType_COMMAND_TYPE_RELEASE, RequestId: shardRequestID(req.RequestId, "undo", n), RequestFingerprint: digest,
				Body: &fsmpb.Command_Release{Release: &fsmpb.Release{EventId: e.EventId, Shard: n, HoldId: holdID, Holder: req.Holder}},
			})
			if err != nil {
				undo = append(undo, err)
			} else if r.GetCode() != fsmpb.Code_CODE_OK && r.GetCode() != fsmpb.Code_CODE_NOT_FOUND && r.GetCode() != fsmpb.Code_CODE_EXPIRED {
				undo = append(undo, refusal(r))
			}
		}
		if len(undo) > 0 {
			c.Logger.Warn("undoing a partial multi-shard hold failed; its TTL will release it", "hold", holdID, "error", errors.Join(undo...))
		}
		return nil, refused
	}
	resp := &boxofficev1.HoldResponse{HoldId: holdID, EventId: e.EventId, Holder: req.Holder}
	for _, r := range results {
		resp.SeatIds = append(resp.SeatIds, r.SeatIds...)
		if resp.ExpiresAtUnixMs == 0 || r.ExpiresAtUnixMs < resp.ExpiresAtUnixMs {
			resp.ExpiresAtUnixMs = r.ExpiresAtUnixMs
		}
	}
	return resp, nil
}

// holdBest asks one shard (the section's) or, without a section, the
// shards in order until one has the seats. Best-available never spans
// shards: a group of seats is always within one section.
func (c *Coordinator) holdBest(ctx context.Context, req *boxofficev1.HoldRequest, e *nodepb.EventRecord, base *fsmpb.Hold, best *boxofficev1.BestAvailable) (*boxofficev1.HoldResponse, error) {
	if best.Quantity == 0 {
		return nil, invalid("best.quantity must be >= 1")
	}
	if best.Quantity > e.Policy.GetSeatsPerHoldMax() {
		return nil, fmt.Errorf("%w: best.quantity = %d; the event allows %d seats per hold", ErrTooLarge, best.Quantity, e.Policy.GetSeatsPerHoldMax())
	}
	spec := cloneHold(base)
	spec.Best = &fsmpb.BestAvailable{Quantity: best.Quantity, SectionId: best.SectionId, PriceTier: best.PriceTier,
		AllowAcrossAisle: best.AllowAcrossAisle, AllowSplitRows: best.AllowSplitRows, AccessibleOnly: best.AccessibleOnly}
	if best.SectionId != "" {
		sh := ShardOfSection(e, best.SectionId)
		if sh == nil {
			return nil, fmt.Errorf("%w: event %q has no section %q", ErrNotFound, e.EventId, best.SectionId)
		}
		return c.holdInShard(ctx, req, e, sh, spec)
	}
	var lastErr error
	tried := 0
	for _, sh := range e.Shards {
		if len(sh.SectionIds) == 0 || (best.PriceTier != "" && !slices.Contains(sh.PriceTiers, best.PriceTier)) {
			continue
		}
		tried++
		resp, err := c.holdInShard(ctx, req, e, sh, spec)
		var ref *RefusalError
		if err == nil || !errors.As(err, &ref) || ref.Code != fsmpb.Code_CODE_UNAVAILABLE {
			return resp, err
		}
		lastErr = err
	}
	if tried == 0 {
		return nil, fmt.Errorf("%w: event %q has no seated section with price tier %q", ErrNotFound, e.EventId, best.PriceTier)
	}
	return nil, lastErr
}

// ExtendHold extends a hold in every shard it spans.
func (c *Coordinator) ExtendHold(ctx context.Context, req *boxofficev1.ExtendHoldRequest, e *nodepb.EventRecord) (*boxofficev1.HoldResponse, error) {
	shards, err := HoldShards(e, req.HoldId)
	if err != nil {
		return nil, err
	}
	digest := callerDigest(req, len(shards))
	results, err := eachShard(shards, func(sh *nodepb.ShardRecord) (*fsmpb.Result, error) {
		return c.Shards.Propose(ctx, sh, &fsmpb.Command{
			Type: fsmpb.CommandType_COMMAND_TYPE_EXTEND_HOLD, RequestId: shardRequestID(req.RequestId, "", sh.Shard), RequestFingerprint: digest,
			Body: &fsmpb.Command_ExtendHold{ExtendHold: &fsmpb.ExtendHold{EventId: e.EventId, Shard: sh.Shard,
				HoldId: req.HoldId, Holder: req.Holder, TtlMs: req.TtlMs}},
		})
	})
	if err != nil {
		return nil, err
	}
	resp := &boxofficev1.HoldResponse{HoldId: req.HoldId, EventId: e.EventId, Holder: req.Holder}
	for _, r := range results {
		if err := refusal(r); err != nil {
			return nil, err
		}
		resp.SeatIds = append(resp.SeatIds, r.SeatIds...)
		resp.GeneralAdmissionQuantity += r.GeneralAdmissionQuantity
		if resp.ExpiresAtUnixMs == 0 || r.ExpiresAtUnixMs < resp.ExpiresAtUnixMs {
			resp.ExpiresAtUnixMs = r.ExpiresAtUnixMs
		}
	}
	return resp, nil
}

// Release releases a hold in every shard it spans. It answers the seats
// released if any shard released its part (a part may have expired or been
// released already), else the first refusal.
func (c *Coordinator) Release(ctx context.Context, req *boxofficev1.ReleaseRequest, e *nodepb.EventRecord) (*boxofficev1.ReleaseResponse, error) {
	shards, err := HoldShards(e, req.HoldId)
	if err != nil {
		return nil, err
	}
	digest := callerDigest(req, len(shards))
	results, err := eachShard(shards, func(sh *nodepb.ShardRecord) (*fsmpb.Result, error) {
		return c.Shards.Propose(ctx, sh, &fsmpb.Command{
			Type: fsmpb.CommandType_COMMAND_TYPE_RELEASE, RequestId: shardRequestID(req.RequestId, "", sh.Shard), RequestFingerprint: digest,
			Body: &fsmpb.Command_Release{Release: &fsmpb.Release{EventId: e.EventId, Shard: sh.Shard, HoldId: req.HoldId, Holder: req.Holder}},
		})
	})
	if err != nil {
		return nil, err
	}
	resp := &boxofficev1.ReleaseResponse{}
	released := 0
	var firstRefusal error
	for _, r := range results {
		if err := refusal(r); err != nil {
			if firstRefusal == nil {
				firstRefusal = err
			}
			continue
		}
		released++
		resp.SeatIds = append(resp.SeatIds, r.SeatIds...)
		resp.GeneralAdmissionQuantity += r.GeneralAdmissionQuantity
	}
	if released == 0 {
		return nil, firstRefusal
	}
	return resp, nil
}

// Sell turns a hold into sold seats. A hold in one shard sells in one
// command. A hold spanning shards is first pinned in every shard (so that
// none can expire half-way), then sold in every shard; if a pin is refused
// the others are unpinned and nothing is sold.
func (c *Coordinator) Sell(ctx context.Context, req *boxofficev1.SellRequest, e *nodepb.EventRecord) (*boxofficev1.SellResponse, error) {
	shards, err := HoldShards(e, req.HoldId)
	if err != nil {
		return nil, err
	}
	digest := callerDigest(req, len(shards))
	if len(shards) > 1 {
		pinUntil := c.Now().Add(PinDuration).UnixMilli()
		pins, err := eachShard(shards, func(sh *nodepb.ShardRecord) (*fsmpb.Result, error) {
			return c.Shards.Propose(ctx, sh, &fsmpb.Command{
				Type: fsmpb.CommandType_COMMAND_TYPE_PIN_HOLD, RequestId: shardRequestID(req.RequestId, "pin", sh.Shard), RequestFingerprint: digest,
				Body: &fsmpb.Command_PinHold{PinHold: &fsmpb.PinHold{EventId: e.EventId, Shard: sh.Shard, HoldId: req.HoldId,
					Holder: req.Holder, PinnedUntilMs: pinUntil}},
			})
		})
		if err != nil {
			return nil, err
		}
		var refused error
		for _, r := range pins {
			if err := refusal(r); err != nil && refused == nil {
				refused = err
			}
		}
		if refused != nil {
			for i, sh := range shards {
				if pins[i].GetCode() != fsmpb.Code_CODE_OK {
					continue
				}
				_, _ = c.Shards.Propose(ctx, sh, &fsmpb.Command{
					Type: fsmpb.CommandType_COMMAND_TYPE_PIN_HOLD, RequestId: shardRequestID(req.RequestId, "unpin", sh.Shard), RequestFingerprint: digest,
					Body: &fsmpb.Command_PinHold{PinHold: &fsmpb.PinHold{EventId: e.EventId, Shard: sh.Shard, HoldId: req.HoldId,
						Holder: req.Holder, PinnedUntilMs: 0}},
				})
			}
			return nil, refused
		}
	}
	results, err := eachShard(shards, func(sh *nodepb.ShardRecord) (*fsmpb.Result, error) {
		return c.Shards.Propose(ctx, sh, &fsmpb.Command{
			Type: fsmpb.CommandType_COMMAND_TYPE_SELL, RequestId: shardRequestID(req.RequestId, "", sh.Shard), RequestFingerprint: digest,
			Body: &fsmpb.Command_Sell{Sell: &fsmpb.Sell{EventId: e.EventId, Shard: sh.Shard, HoldId: req.HoldId,
				Holder: req.Holder, OrderId: req.OrderId, Buyer: req.Buyer}},
		})
	})
	if err != nil {
		return nil, err
	}
	resp := &boxofficev1.SellResponse{OrderId: req.OrderId}
	for _, r := range results {
		if err := refusal(r); err != nil {
			return nil, err
		}
		resp.Tickets = append(resp.Tickets, ticketsToAPI(r.Tickets)...)
	}
	return resp, nil
}

// Refund undoes (part of) a sale. The request names the order AND the
// tickets the Sell answered: without them a caller that knows or guesses
// an order id could free a paid seat for a second buyer. A ticket id names
// its shard ("<event>/<shard>/<n>"), so each shard is sent only its own
// tickets; a shard refunds all of them or none. An id that names no shard
// of the event is refused before anything is proposed.
func (c *Coordinator) Refund(ctx context.Context, req *boxofficev1.RefundRequest, e *nodepb.EventRecord) (*boxofficev1.RefundResponse, error) {
	byShard := make(map[uint32][]string, 1)
	var shards []*nodepb.ShardRecord
	for _, id := range req.TicketIds {
		n, ok := ticketShard(e.EventId, id)
		var sh *nodepb.ShardRecord
		if ok {
			sh, _ = shardByNumber(e, n)
		}
		if sh == nil {
			return nil, fmt.Errorf("%w: %q is not a ticket of order %q", ErrTicketNotInOrder, id, req.OrderId)
		}
		if _, seen := byShard[n]; !seen {
			shards = append(shards, sh)
		}
		byShard[n] = append(byShard[n], id)
	}
	digest := callerDigest(req, len(shards))
	results, err := eachShard(shards, func(sh *nodepb.ShardRecord) (*fsmpb.Result, error) {
		return c.Shards.Propose(ctx, sh, &fsmpb.Command{
			Type: fsmpb.CommandType_COMMAND_TYPE_REFUND, RequestId: shardRequestID(req.RequestId, "", sh.Shard), RequestFingerprint: digest,
			Body: &fsmpb.Command_Refund{Refund: &fsmpb.Refund{EventId: e.EventId, Shard: sh.Shard, OrderId: req.OrderId, TicketIds: byShard[sh.Shard]}},
		})
	})
	if err != nil {
		return nil, err
	}
	resp := &boxofficev1.RefundResponse{}
	for _, r := range results {
		switch r.GetCode() {
		case fsmpb.Code_CODE_OK:
			resp.Tickets = append(resp.Tickets, ticketsToAPI(r.Tickets)...)
		case fsmpb.Code_CODE_NOT_FOUND:
			// No such order in the shard, or a listed ticket is not
			// one of its sold tickets: the shard refunded nothing.
			return nil, fmt.Errorf("%w: %s", ErrTicketNotInOrder, r.GetMessage())
		default:
			return nil, refusal(r)
		}
	}
	return resp, nil
}

func ticketsToAPI(ts []*fsmpb.Ticket) []*boxofficev1.Ticket {
	out := make([]*boxofficev1.Ticket, len(ts))
	for i, t := range ts {
		out[i] = &boxofficev1.Ticket{TicketId: t.TicketId, SeatId: t.SeatId, OrderId: t.OrderId, Buyer: t.Buyer, PriceTier: t.PriceTier}
	}
	return out
}
