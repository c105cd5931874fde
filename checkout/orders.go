package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Orders: one per hold, id derived from (event, hold, fan), so two phones
// ordering the same hold get the same order. Records, in the fan's
// placement (fanTag) with the fan's hold, counts and notifications:
//
//	order/{f:<fan>}/<order id>      orderRecord, the order's state machine (sealed, records.go); a scan of the fan's lists its orders
//	openorder/{f:<fan>}/<order id>  present while the order needs work: the reconciler's to-do list
//	refundpolicy/<event>       the event's refund policy (sealed; absent: until check-in)
//	webhook/<event id>         a processed payment webhook (dedup; deleted after Config.WebhookDedupRetention, see janitor.go)
//
// States: pending → paid (tickets issued) → refunding → refunded;
// pending → released (payment canceled or failed, seats released);
// pending → refunded_seats_lost (paid, but the seats were gone: refunded).
//
// settle is the only code that moves a pending order, and every step of it
// is idempotent (cluster request ids and Stripe idempotency keys derive
// from the order id), so a webhook, a duplicate webhook, the fake pay
// button and the reconciler may all run it at once, in any order, on any
// gateways, and a gateway may die anywhere inside it: the next runner
// finishes the job. Money and seats are never decided from memory: a
// pending order asks the provider, and an unpaid order past its window is
// first cancelled at the provider (so no payment can arrive later) and only
// then released.
//
// A refund gives the money back only for tickets nobody has used or been
// given: it is refused (409) once any ticket of the order was checked in
// (refund-after-check-in) or transferred to another fan
// (refund-after-transfer; refunding would kill the recipient's ticket), and
// outside the event's refund policy (refund-closed). finishRefund revokes
// the tickets before the money moves, each revocation a CAS that refuses a
// ticket checked in or transferred meanwhile; if one is refused, the refund
// is abandoned: the tickets it revoked come back under fresh QRs and the
// order is paid again. Once every ticket is revoked nobody can use or move
// one, so the money and the seats go back safely.
const (
	orderPending           = "pending"
	orderPaid              = "paid"
	orderReleased          = "released"
	orderRefunding         = "refunding"
	orderRefunded          = "refunded"
	orderRefundedSeatsLost = "refunded_seats_lost"

	// reholdAttemptsMax bounds the re-holds of one order's seats.
	reholdAttemptsMax = 3
	// reholdTTL is the life of a re-hold: it is sold at once.
	reholdTTL = 2 * time.Minute
)

type orderRecord struct {
	OrderID       string        `json:"order_id"`
	EventID       string        `json:"event_id"`
	Fan           string        `json:"fan"`
	HoldID        string        `json:"hold_id"`
	SaleHoldID    string        `json:"sale_hold_id"`
	Reholds       int           `json:"reholds,omitempty"`
	ReservationID string        `json:"reservation_id"`
	Seats         []string      `json:"seats"`
	GAPool        string        `json:"ga_pool,omitempty"`
	GAQty         uint32        `json:"ga_qty,omitempty"`
	AmountCents   int64         `json:"amount_cents"`
	Currency      string        `json:"currency"`
	State         string        `json:"state"`
	IntentID      string        `json:"intent_id,omitempty"`
	ClientSecret  string        `json:"-"` // never stored: see withClientSecret
	CreatedAt     time.Time     `json:"created_at"`
	PayBy         time.Time     `json:"pay_by"`
	Tickets       []orderTicket `json:"tickets,omitempty"`
	TicketsIssued bool          `json:"tickets_issued,omitempty"`
	Note          string        `json:"note,omitempty"`
}

// orderTicket's TicketID is the gateway's spelling of the cluster's ticket
// id (GatewayTicketID), so it fits in URL paths and store keys.
type orderTicket struct {
	TicketID  string `json:"ticket_id"`
	SeatID    string `json:"seat_id"`
	PriceTier string `json:"price_tier"`
}

type orderView struct {
	OrderID     string        `json:"order_id"`
	EventID     string        `json:"event_id"`
	State       string        `json:"state"`
	Seats       []string      `json:"seats"`
	AmountCents int64         `json:"amount_cents"`
	Currency    string        `json:"currency"`
	PayBy       time.Time     `json:"pay_by"`
	Payment     paymentView   `json:"payment"`
	Tickets     []orderTicket `json:"tickets"`
	Note        string        `json:"note,omitempty"`
}

type paymentView struct {
	Provider     string `json:"provider"`
	IntentID     string `json:"intent_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
}

func (g *Gateway) orderView(o orderRecord) orderView {
	v := orderView{OrderID: o.OrderID, EventID: o.EventID, State: o.State, Seats: o.Seats, AmountCents: o.AmountCents,
		Currency: o.Currency, PayBy: o.PayBy, Tickets: o.Tickets, Note: o.Note,
		Payment: paymentView{Provider: g.cfg.Payments.Name(), IntentID: o.IntentID}}
	if o.State == orderPending {
		v.Payment.ClientSecret = o.ClientSecret
	}
	if v.Tickets == nil {
		v.Tickets = []orderTicket{}
	}
	if v.Seats == nil {
		v.Seats = []string{}
	}
	return v
}

// Order ids carry their fan, so that any gateway, the reconciler and a
// webhook (which knows only the id, from the intent's metadata) find the
// order's placement from the id alone: ord_<24 hex>.<fan>, where the hex
// part derives from (event, hold). GET /v1/orders/{id} still checks the
// caller owns the order.
const orderIDHashLen = len("ord_") + 24

func orderFan(id string) string {
	if len(id) > orderIDHashLen+1 && strings.HasPrefix(id, "ord_") && id[orderIDHashLen] == '.' {
		return id[orderIDHashLen+1:]
	}
	return ""
}

func orderKey(id string) string { return "order/" + fanTag(orderFan(id)) + "/" + id }

func openOrderKey(id string) string { return "openorder/" + fanTag(orderFan(id)) + "/" + id }

// sealedPut is a Batch operation writing v sealed under key (records.go).
func (g *Gateway) sealedPut(key string, expected uint64, v any) (Op, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return Op{}, err
	}
	return Op{Kind: OpPut, Key: key, Expected: expected, Value: g.ticketing.sealer.seal(key, body)}, nil
}

func (g *Gateway) loadOrder(ctx context.Context, id string) (orderRecord, error) {
	o, _, err := g.loadOrderV(ctx, id)
	return o, err
}

// loadOrderV reads an order and its version.
func (g *Gateway) loadOrderV(ctx context.Context, id string) (orderRecord, uint64, error) {
	var o orderRecord
	v, err := g.getSealed(ctx, orderKey(id), &o)
	if errors.Is(err, ErrNotFound) {
		return o, 0, problem(ErrMissing, "no order "+id)
	} else if err != nil {
		return o, 0, err
	}
	g.ticketing.orders.put(orderKey(id), o, v)
	return o, v, nil
}

func (g *Gateway) updateOrder(ctx context.Context, id string, mutate func(o *orderRecord) bool) (orderRecord, error) {
	g.ticketing.orders.drop(orderKey(id))
	return updateSealed(ctx, g, orderKey(id), func(o *orderRecord, exists bool) (bool, error) {
		if !exists {
			return false, problem(ErrMissing, "no order "+id)
		}
		return mutate(o), nil
	})
}

func orderIDFor(event, holdID, fan string) string { return deriveID("ord", event, holdID) + "." + fan }

func (g *Gateway) existingOrderForHold(ctx context.Context, event, holdID, fan string) (orderRecord, uint64, error) {
	var o orderRecord
	v, err := g.getSealed(ctx, orderKey(orderIDFor(event, holdID, fan)), &o)
	return o, v, err
}

// ownOrder loads an order the caller may see: their own, or any for admin.
func (g *Gateway) ownOrder(c *call, id string) (orderRecord, error) {
	o, err := g.loadOrder(c.ctx, id)
	if err != nil {
		return o, err
	}
	if c.role != RoleAdmin && o.Fan != c.subject {
		return o, problem(ErrMissing, "no order "+id) // not "forbidden": do not confirm it exists
	}
	return o, nil
}

type createOrderRequest struct {
	HoldID string `json:"hold_id"`
}

// seatPrices maps each seat id to its price tier, from the venue.
func seatTier(venue *boxofficev1.Venue, seatID string) string {
	parts := strings.Split(seatID, "-")
	if len(parts) != 3 {
		return ""
	}
	for _, s := range venue.GetSections() {
		if s.GetId() != parts[0] {
			continue
		}
		for _, r := range s.GetRows() {
			if r.GetLabel() == parts[1] && r.GetPriceTier() != "" {
				return r.GetPriceTier()
			}
		}
		return s.GetPriceTier()
	}
	return ""
}

func (g *Gateway) createOrder(c *call) (int, any, error) {
	var req createOrderRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if err := validID("hold_id", req.HoldID); err != nil {
		return 0, nil, err
	}
	hold, holdVersion, err := g.loadFanHoldOf(c.ctx, c.subject, req.HoldID, true)
	if err != nil {
		return 0, nil, err
	}
	orderID := orderIDFor(hold.EventID, hold.HoldID, c.subject)
	o, err := g.newOrder(c, hold, holdVersion, orderID)
	if errors.Is(err, errOrderExists) {
		// An earlier run of this request (or another phone's) wrote it.
		if o, err = g.loadOrder(c.ctx, orderID); err == nil && o.State == orderPending && o.IntentID == "" {
			o, err = g.ensureIntent(c.ctx, o)
		}
	}
	if err != nil {
		return 0, nil, err
	}
	if o, err = g.withClientSecret(c.ctx, o); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, g.orderView(o), nil
}

var errOrderExists = errors.New("order exists")

// newOrder makes the order of a hold: ExtendHold (which checks the caller
// holds it, answers its seats and keeps them for the payment window), the
// payment intent (its provider key derives from the order id), then one
// Batch in the fan's placement: the Idempotency-Key claim, the order, the
// reconciler's marker and the hold record made "ordered". A crash before
// the Batch leaves nothing to finish: the hold lapses (its counts are
// reclaimed) and the intent is never paid, its client secret never shown.
func (g *Gateway) newOrder(c *call, hold holdRecord, holdVersion uint64, orderID string) (orderRecord, error) {
	ev, err := g.eventInfo(c.ctx, hold.EventID)
	if err != nil {
		return orderRecord{}, err
	}
	// Keep the seats for the payment window when the event allows; if not,
	// a payment after expiry re-holds or refunds.
	ttl := g.cfg.PaymentWindow
	if m := time.Duration(ev.GetPolicy().GetHoldTtlMaxMs()) * time.Millisecond; m > 0 && ttl > m {
		ttl = m
	}
	live, err := g.cfg.Inventory.ExtendHold(c.ctx, &boxofficev1.ExtendHoldRequest{RequestId: deriveID("extend", orderID),
		EventId: hold.EventID, HoldId: hold.HoldID, Holder: c.subject, TtlMs: ttl.Milliseconds()})
	if err = fromCluster(err); errors.Is(err, ErrHoldExpired) {
		if _, _, gerr := g.existingOrderForHold(c.ctx, hold.EventID, hold.HoldID, c.subject); gerr == nil {
			return orderRecord{}, errOrderExists
		}
		return orderRecord{}, problem(ErrHoldExpired, "the hold expired: hold seats again")
	} else if errors.Is(err, ErrMissing) || errors.Is(err, ErrForbidden) {
		if _, _, gerr := g.existingOrderForHold(c.ctx, hold.EventID, hold.HoldID, c.subject); gerr == nil {
			return orderRecord{}, errOrderExists
		}
		return orderRecord{}, problem(ErrMissing, "no hold "+hold.HoldID+" of yours")
	} else if err != nil {
		return orderRecord{}, err
	}
	now := g.now()
	tiers := map[string]*boxofficev1.PriceTier{}
	for _, t := range ev.GetVenue().GetPriceTiers() {
		tiers[t.GetId()] = t
	}
	o := orderRecord{OrderID: orderID, EventID: hold.EventID, Fan: c.subject, HoldID: hold.HoldID, SaleHoldID: hold.HoldID,
		ReservationID: hold.ReservationID, Seats: live.GetSeatIds(), GAPool: hold.GAPool, GAQty: live.GetGeneralAdmissionQuantity(),
		State: orderPending, CreatedAt: now, PayBy: now.Add(g.cfg.PaymentWindow)}
	for _, seat := range o.Seats {
		t := tiers[seatTier(ev.GetVenue(), seat)]
		if t == nil {
			return orderRecord{}, fmt.Errorf("seat %s has no price tier in event %s", seat, o.EventID)
		}
		o.AmountCents += t.GetPriceCents()
		o.Currency = t.GetCurrency()
	}
	if o.GAQty > 0 {
		for _, p := range ev.GetVenue().GetPools() {
			if p.GetId() == o.GAPool {
				t := tiers[p.GetPriceTier()]
				o.AmountCents += int64(o.GAQty) * t.GetPriceCents()
				o.Currency = t.GetCurrency()
			}
		}
	}
	if o.AmountCents <= 0 || o.Currency == "" {
		return orderRecord{}, fmt.Errorf("order %s: no price", orderID)
	}
	in, err := g.cfg.Payments.CreateIntent(c.ctx, IntentRequest{OrderID: o.OrderID, EventID: o.EventID, Buyer: o.Fan,
		AmountCents: o.AmountCents, Currency: o.Currency, IdempotencyKey: "pi-" + o.OrderID})
	if err != nil {
		return orderRecord{}, err
	}
	o.IntentID = in.ID

	claim := c.claimOps()
	for attempt := 0; ; attempt++ {
		if attempt == casRetriesMax {
			return orderRecord{}, ErrBusy
		}
		put, err := g.sealedPut(orderKey(orderID), 0, &o)
		if err != nil {
			return orderRecord{}, err
		}
		ordered := hold
		ordered.State, ordered.OrderID, ordered.ExpiresAt = holdOrdered, orderID, o.PayBy.Add(reservationSlack)
		holdPut, err := putOp(fanHoldKey(o.Fan, hold.Base), holdVersion, &ordered)
		if err != nil {
			return orderRecord{}, err
		}
		ops := append(slices.Clip(claim), put,
			Op{Kind: OpPut, Key: openOrderKey(orderID), Expected: AnyVersion, Value: []byte(now.UTC().Format(time.RFC3339Nano))},
			holdPut)
		if hold.State != holdOrdered {
			ops = append(ops, addOp(holdsCountKey(o.Fan), -1, giveBackMin, math.MaxInt64))
		}
		res, err := g.cfg.Store.Batch(c.ctx, "", ops)
		if err == nil {
			g.ticketing.orders.put(orderKey(orderID), o, res[len(claim)].Version)
			g.ticketing.holds.put(fanHoldKey(o.Fan, hold.Base), ordered, res[len(claim)+2].Version)
			o.ClientSecret = in.ClientSecret
			return o, nil
		}
		if err = c.claimRefusal(err, len(claim)); errors.Is(err, errKeyTaken) {
			return orderRecord{}, err
		}
		var be *BatchError
		if !errors.As(err, &be) || be.Index < len(claim) {
			return orderRecord{}, err
		}
		if be.Index == len(claim) {
			return orderRecord{}, errOrderExists
		}
		// The hold record moved (or this gateway's copy was stale): read
		// it and decide again.
		g.ticketing.holds.drop(fanHoldKey(o.Fan, hold.Base))
		hold, holdVersion, err = g.loadFanHoldOf(c.ctx, o.Fan, hold.HoldID, false)
		if err != nil {
			return orderRecord{}, err
		}
		if hold.State == holdOrdered && hold.OrderID != orderID {
			return orderRecord{}, problem(ErrConflict, "hold belongs to another order")
		}
	}
}

// ensureIntent creates the order's payment intent (same key, same intent)
// and records it.
func (g *Gateway) ensureIntent(ctx context.Context, o orderRecord) (orderRecord, error) {
	in, err := g.cfg.Payments.CreateIntent(ctx, IntentRequest{OrderID: o.OrderID, EventID: o.EventID, Buyer: o.Fan,
		AmountCents: o.AmountCents, Currency: o.Currency, IdempotencyKey: "pi-" + o.OrderID})
	if err != nil {
		return o, err
	}
	o, err = g.updateOrder(ctx, o.OrderID, func(o *orderRecord) bool {
		if o.IntentID == in.ID {
			return false
		}
		o.IntentID = in.ID
		return true
	})
	if err == nil {
		o.ClientSecret = in.ClientSecret
	}
	return o, err
}

func (g *Gateway) getOrder(c *call) (int, any, error) {
	o, err := g.ownOrder(c, c.r.PathValue("order"))
	if err == nil {
		o, err = g.withClientSecret(c.ctx, o)
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, g.orderView(o), nil
}

func (g *Gateway) listOrders(c *call) (int, any, error) {
	kvs, err := g.cfg.Store.Scan(c.ctx, "order/"+fanTag(c.subject)+"/", c.r.URL.Query().Get("cursor"), 100)
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Orders     []orderView `json:"orders"`
		NextCursor string      `json:"next_cursor,omitempty"`
	}{Orders: []orderView{}}
	for _, kv := range kvs {
		body, err := g.openSealed(kv.Key, kv.Value)
		if err != nil {
			continue // not written by a gateway: counted and logged
		}
		var o orderRecord
		if err := json.Unmarshal(body, &o); err != nil || o.Fan != c.subject {
			continue
		}
		if o, err = g.withClientSecret(c.ctx, o); err != nil {
			return 0, nil, err
		}
		out.Orders = append(out.Orders, g.orderView(o))
	}
	if len(kvs) == 100 {
		out.NextCursor = kvs[len(kvs)-1].Key
	}
	return http.StatusOK, out, nil
}

// paymentSignal is what prompted a settle.
type paymentSignal int

const (
	signalCheck     paymentSignal = iota // reconciler or poll: ask the provider
	signalSucceeded                      // a signed "succeeded" event: final at Stripe
	signalFailed                         // a signed "failed"/"canceled" event
)

// settle moves an order as far as the payment allows. See the file comment.
func (g *Gateway) settle(ctx context.Context, orderID string, signal paymentSignal) (orderRecord, error) {
	o, version, err := g.loadOrderV(ctx, orderID)
	if err != nil {
		return o, err
	}
	return g.settleFrom(ctx, o, version, signal)
}

// settleFrom is settle from a record read at version (or written there
// by this gateway: every write names the version and re-reads on a
// mismatch).
func (g *Gateway) settleFrom(ctx context.Context, o orderRecord, version uint64, signal paymentSignal) (orderRecord, error) {
	var err error
	switch o.State {
	case orderPaid:
		if !o.TicketsIssued {
			return g.issueTickets(ctx, o, version)
		}
		return o, g.closeOrder(ctx, o)
	case orderRefunding:
		return g.finishRefund(ctx, o)
	case orderRefunded, orderRefundedSeatsLost:
		return o, g.closeOrder(ctx, o)
	case orderReleased:
		if signal != signalSucceeded {
			return o, g.closeOrder(ctx, o)
		}
		// A success after we released: cancellation comes first in
		// unwind, so this means a provider that let it through anyway.
		// The money is real: sell if we can, else refund.
	}
	st := IntentPending
	if signal == signalSucceeded {
		st = IntentSucceeded
	} else if o.IntentID != "" {
		in, err := g.cfg.Payments.GetIntent(ctx, o.IntentID)
		if err != nil {
			return o, err
		}
		st = in.Status
	}
	if st == IntentPending {
		if signal != signalFailed && g.now().Before(o.PayBy) {
			return o, nil // still paying
		}
		if o.IntentID == "" {
			// An intent may exist at the provider without our record of
			// it (we died in between): the same key finds it.
			if o, err = g.ensureIntent(ctx, o); err != nil {
				return o, err
			}
		}
		in, err := g.cfg.Payments.CancelIntent(ctx, o.IntentID, "cancel-"+o.OrderID)
		switch {
		case errors.Is(err, ErrIntentSucceeded):
			st = IntentSucceeded
		case err != nil:
			return o, err
		default:
			st = in.Status
		}
	}
	switch st {
	case IntentSucceeded:
		return g.completeSale(ctx, o, version)
	case IntentCanceled:
		if o.State == orderReleased {
			return o, g.closeOrder(ctx, o)
		}
		return g.unwind(ctx, o)
	}
	return o, nil
}

// completeSale sells the order's hold; if the hold is gone it re-holds the
// same seats and sells those; if they are taken, it refunds.
func (g *Gateway) completeSale(ctx context.Context, o orderRecord, version uint64) (orderRecord, error) {
	for {
		resp, err := g.cfg.Inventory.Sell(ctx, &boxofficev1.SellRequest{
			RequestId: deriveID("sell", o.OrderID, o.SaleHoldID), EventId: o.EventID, HoldId: o.SaleHoldID,
			Holder: o.Fan, OrderId: o.OrderID, Buyer: o.Fan})
		err = fromCluster(err)
		if err == nil {
			sold := o
			sold.Tickets = nil
			for _, t := range resp.GetTickets() {
				sold.Tickets = append(sold.Tickets, orderTicket{TicketID: GatewayTicketID(t.GetTicketId()), SeatID: t.GetSeatId(), PriceTier: t.GetPriceTier()})
			}
			return g.issueTickets(ctx, sold, version)
		}
		if !errors.Is(err, ErrHoldExpired) && !errors.Is(err, ErrMissing) {
			return o, err
		}
		if o.Reholds >= reholdAttemptsMax {
			return g.refundSeatsLost(ctx, o, "the hold expired and re-holding failed too often")
		}
		// The hold expired before the money arrived: take the same seats
		// again if nobody else has.
		hr := &boxofficev1.HoldRequest{RequestId: deriveID("rehold", o.OrderID, o.SaleHoldID), EventId: o.EventID,
			Holder: o.Fan, TtlMs: reholdTTL.Milliseconds()}
		if o.GAQty > 0 {
			hr.Selection = &boxofficev1.HoldRequest_GeneralAdmission{GeneralAdmission: &boxofficev1.GeneralAdmission{PoolId: o.GAPool, Quantity: o.GAQty}}
		} else {
			hr.Selection = &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: o.Seats}}
		}
		held, err := g.cfg.Inventory.Hold(ctx, hr)
		err = fromCluster(err)
		if errors.Is(err, ErrSeatUnavailable) || errors.Is(err, ErrNotEnoughSeats) {
			return g.refundSeatsLost(ctx, o, "paid after the hold expired and the seats were taken: refunded")
		}
		if err != nil {
			return o, err
		}
		previous := o.SaleHoldID
		o, err = g.updateOrder(ctx, o.OrderID, func(rec *orderRecord) bool {
			if rec.SaleHoldID != previous {
				return false
			}
			rec.SaleHoldID, rec.Reholds = held.GetHoldId(), rec.Reholds+1
			return true
		})
		if err != nil {
			return o, err
		}
		version = 0 // read again before the sale's write
	}
}

func (g *Gateway) refundSeatsLost(ctx context.Context, o orderRecord, note string) (orderRecord, error) {
	if err := g.cfg.Payments.Refund(ctx, o.IntentID, "refund-"+o.OrderID); err != nil {
		return o, err
	}
	notice, err := g.notification("order.refunded", o.Fan, o.EventID, "order-refunded/"+o.OrderID, g.now(),
		map[string]any{"order_id": o.OrderID, "reason": note})
	if err != nil {
		return o, err
	}
	return g.endOrder(ctx, o.OrderID, orderRefundedSeatsLost, note,
		func(state string) bool { return state != orderRefundedSeatsLost }, notice)
}

// endOrder moves an order that will not be sold to state (if may says
// it still can), gives back the seats its hold record counts and removes
// its reconciler marker, in one Batch in the fan's placement, with extra
// (a notice). An order already past may is only taken off the to-do list.
func (g *Gateway) endOrder(ctx context.Context, orderID, state, note string, may func(state string) bool, extra ...Op) (orderRecord, error) {
	for range casRetriesMax {
		o, version, err := g.loadOrderV(ctx, orderID)
		if err != nil {
			return o, err
		}
		if !may(o.State) {
			return o, g.closeOrder(ctx, o)
		}
		done := o
		done.State, done.Note = state, note
		put, err := g.sealedPut(orderKey(orderID), version, &done)
		if err != nil {
			return o, err
		}
		ops := []Op{put, {Kind: OpDelete, Key: openOrderKey(orderID), Expected: AnyVersion}}
		hold, hv, err := g.loadFanHoldOf(ctx, o.Fan, o.HoldID, true)
		switch {
		case err == nil:
			ops = append(ops, Op{Kind: OpDelete, Key: fanHoldKey(o.Fan, hold.Base), Expected: hv})
			ops = append(ops, giveBackOps(o.Fan, hold)...)
		case !errors.Is(err, ErrMissing):
			return o, err
		}
		res, err := g.cfg.Store.Batch(ctx, "", append(ops, extra...))
		if err == nil {
			g.ticketing.orders.put(orderKey(orderID), done, res[0].Version)
			g.ticketing.holds.drop(fanHoldKey(o.Fan, o.HoldID))
			g.metrics.payments.WithLabelValues(state).Inc()
			return done, nil
		}
		if !errors.Is(err, ErrVersionMismatch) && !errors.Is(err, ErrNotFound) {
			return o, err
		}
		g.ticketing.holds.drop(fanHoldKey(o.Fan, o.HoldID))
	}
	return orderRecord{}, ErrBusy
}

// unwind releases the seats of an order whose payment can no longer
// succeed.
func (g *Gateway) unwind(ctx context.Context, o orderRecord) (orderRecord, error) {
	_, err := g.cfg.Inventory.Release(ctx, &boxofficev1.ReleaseRequest{RequestId: deriveID("release", o.OrderID, o.SaleHoldID),
		EventId: o.EventID, HoldId: o.SaleHoldID, Holder: o.Fan})
	if err = fromCluster(err); err != nil && !errors.Is(err, ErrMissing) && !errors.Is(err, ErrHoldExpired) {
		return o, err
	}
	return g.endOrder(ctx, o.OrderID, orderReleased, "payment did not complete: seats released",
		func(state string) bool { return state == orderPending })
}

// closeOrder removes the order from the reconciler's to-do list.
func (g *Gateway) closeOrder(ctx context.Context, o orderRecord) error {
	_, v, err := g.cfg.Store.Get(ctx, openOrderKey(o.OrderID))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := g.cfg.Store.Delete(ctx, openOrderKey(o.OrderID), v); err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrVersionMismatch) {
		return err
	}
	return nil
}

// refundOrder refunds a paid order: money back, seats back, tickets revoked.
func (g *Gateway) refundOrder(c *call) (int, any, error) {
	o, err := g.ownOrder(c, c.r.PathValue("order"))
	if err != nil {
		return 0, nil, err
	}
	if o.State != orderPaid && o.State != orderRefunding && o.State != orderRefunded {
		return 0, nil, problem(ErrConflict, "order is "+o.State+": only paid orders are refunded")
	}
	if o.State == orderPaid {
		if err := g.mayRefund(c.ctx, o); err != nil {
			return 0, nil, err
		}
	}
	if _, err := g.cfg.Store.CompareAndSwap(c.ctx, openOrderKey(o.OrderID), 0, []byte(g.now().UTC().Format(time.RFC3339Nano))); err != nil && !errors.Is(err, ErrVersionMismatch) {
		return 0, nil, err
	}
	o, err = g.updateOrder(c.ctx, o.OrderID, func(rec *orderRecord) bool {
		if rec.State != orderPaid {
			return false
		}
		rec.State = orderRefunding
		return true
	})
	if err != nil {
		return 0, nil, err
	}
	if o, err = g.finishRefund(c.ctx, o); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, g.orderView(o), nil
}

func (g *Gateway) finishRefund(ctx context.Context, o orderRecord) (orderRecord, error) {
	if o.State == orderRefunded {
		return o, g.closeOrder(ctx, o)
	}
	for _, t := range o.Tickets {
		err := g.revokeForRefund(ctx, o, t)
		if errors.Is(err, ErrRefundCheckedIn) || errors.Is(err, ErrRefundTransferred) {
			return g.abandonRefund(ctx, o, err)
		}
		if err != nil {
			return o, err
		}
	}
	if err := g.cfg.Payments.Refund(ctx, o.IntentID, "refund-"+o.OrderID); err != nil {
		return o, err
	}
	ticketIDs := make([]string, len(o.Tickets)) // the seat store refunds only the tickets its Sell answered
	for i, t := range o.Tickets {
		ticketIDs[i] = ClusterTicketID(t.TicketID)
	}
	_, err := g.cfg.Inventory.Refund(ctx, &boxofficev1.RefundRequest{RequestId: deriveID("refund", o.OrderID), EventId: o.EventID, OrderId: o.OrderID, TicketIds: ticketIDs})
	if err = fromCluster(err); err != nil && !errors.Is(err, ErrMissing) {
		return o, err
	}
	return g.markRefunded(ctx, o.OrderID)
}

// markRefunded makes a refunded order's record say so, gives its seats
// back (deleting its owned/ record, which is what makes the give-back
// happen once) and removes its reconciler marker: one Batch in the fan's
// placement.
func (g *Gateway) markRefunded(ctx context.Context, orderID string) (orderRecord, error) {
	for range casRetriesMax {
		o, version, err := g.loadOrderV(ctx, orderID)
		if err != nil {
			return o, err
		}
		if o.State == orderRefunded {
			return o, g.closeOrder(ctx, o)
		}
		done := o
		done.State = orderRefunded
		put, err := g.sealedPut(orderKey(orderID), version, &done)
		if err != nil {
			return o, err
		}
		ops := []Op{put, {Kind: OpDelete, Key: openOrderKey(orderID), Expected: AnyVersion}}
		raw, ov, err := g.cfg.Store.Get(ctx, ownedKey(o.Fan, orderID))
		switch {
		case err == nil:
			seats, perr := strconv.Atoi(string(raw))
			if perr != nil {
				return o, fmt.Errorf("store record %q is corrupt: %w", ownedKey(o.Fan, orderID), perr)
			}
			ops = append(ops, Op{Kind: OpDelete, Key: ownedKey(o.Fan, orderID), Expected: ov},
				addOp(buyerKey(o.Fan, o.EventID), -int64(seats), giveBackMin, math.MaxInt64))
		case !errors.Is(err, ErrNotFound):
			return o, err
		}
		res, err := g.cfg.Store.Batch(ctx, "", ops)
		if err == nil {
			g.ticketing.orders.put(orderKey(orderID), done, res[0].Version)
			g.metrics.payments.WithLabelValues("refunded").Inc()
			return done, nil
		}
		if !errors.Is(err, ErrVersionMismatch) && !errors.Is(err, ErrNotFound) {
			return o, err
		}
		g.ticketing.orders.drop(orderKey(orderID))
	}
	return orderRecord{}, ErrBusy
}

// abandonRefund undoes the ticket revocations of a refund that found a
// ticket checked in or transferred before it could revoke it (no money has
// moved yet), puts the order back to paid and returns refusal.
func (g *Gateway) abandonRefund(ctx context.Context, o orderRecord, refusal error) (orderRecord, error) {
	for _, t := range o.Tickets {
		if err := g.restoreAfterRefund(ctx, t.TicketID, o.OrderID); err != nil {
			return o, err
		}
	}
	o, err := g.updateOrder(ctx, o.OrderID, func(rec *orderRecord) bool {
		if rec.State != orderRefunding {
			return false
		}
		rec.State = orderPaid
		return true
	})
	if err != nil {
		return o, err
	}
	if err := g.closeOrder(ctx, o); err != nil {
		return o, err
	}
	return o, refusal
}

// Refund policies of an event (PUT /v1/events/{event}/refund-policy).
// Whatever the policy, a refund is refused once a ticket of the order was
// checked in or transferred.
const (
	RefundUntilCheckIn = "until_check_in" // the default
	RefundUntil        = "until"          // until a time (e.g. the doors opening), then never
	RefundNever        = "never"
)

type refundPolicy struct {
	Refunds string     `json:"refunds"`
	Until   *time.Time `json:"until,omitempty"`
}

func refundPolicyKey(event string) string { return "refundpolicy/" + event }

// eventRefundPolicy reads an event's policy; absent means the default.
func (g *Gateway) eventRefundPolicy(ctx context.Context, event string) (refundPolicy, error) {
	var p refundPolicy
	if _, err := g.getSealed(ctx, refundPolicyKey(event), &p); errors.Is(err, ErrNotFound) {
		return refundPolicy{Refunds: RefundUntilCheckIn}, nil
	} else if err != nil {
		return p, err
	}
	return p, nil
}

// mayRefund refuses a refund of o that its event's policy, or the state of
// its tickets, forbids. It changes nothing; finishRefund decides again on
// each ticket's record.
func (g *Gateway) mayRefund(ctx context.Context, o orderRecord) error {
	p, err := g.eventRefundPolicy(ctx, o.EventID)
	if err != nil {
		return err
	}
	switch p.Refunds {
	case RefundNever:
		return problem(ErrRefundClosed, "this event's tickets are not refundable", "refund_policy", p.Refunds)
	case RefundUntil:
		if p.Until != nil && !g.now().Before(*p.Until) {
			return problem(ErrRefundClosed, "refunds for this event closed at "+p.Until.UTC().Format(time.RFC3339), "refund_policy", p.Refunds, "refund_until", p.Until.UTC())
		}
	}
	for _, ot := range o.Tickets {
		t, _, err := g.loadTicket(ctx, ot.TicketID)
		if errors.Is(err, ErrMissing) {
			continue // not issued yet: finishRefund writes it revoked
		}
		if err != nil {
			return err
		}
		switch {
		case t.CheckIn != nil:
			return problem(ErrRefundCheckedIn, "ticket "+t.TicketID+" was checked in: the order can no longer be refunded", "ticket_id", t.TicketID)
		case t.Owner != o.Fan:
			return problem(ErrRefundTransferred, "ticket "+t.TicketID+" was transferred to someone else: the order can no longer be refunded", "ticket_id", t.TicketID)
		}
	}
	return nil
}

// getRefundPolicy answers GET /v1/events/{event}/refund-policy.
func (g *Gateway) getRefundPolicy(c *call) (int, any, error) {
	event := c.r.PathValue("event")
	if err := validID("event", event); err != nil {
		return 0, nil, err
	}
	p, err := g.eventRefundPolicy(c.ctx, event)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p, nil
}

// setRefundPolicy answers PUT /v1/events/{event}/refund-policy (organizer).
func (g *Gateway) setRefundPolicy(c *call) (int, any, error) {
	event := c.r.PathValue("event")
	if err := validID("event", event); err != nil {
		return 0, nil, err
	}
	var req refundPolicy
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	switch req.Refunds {
	case RefundUntilCheckIn, RefundNever:
		if req.Until != nil {
			return 0, nil, problem(ErrInvalid, "until: only with refunds \"until\"", "field", "until")
		}
	case RefundUntil:
		if req.Until == nil {
			return 0, nil, problem(ErrInvalid, "until: required with refunds \"until\" (RFC 3339 time)", "field", "until")
		}
	default:
		return 0, nil, problem(ErrInvalid, "refunds: want until_check_in, until or never", "field", "refunds")
	}
	if _, err := g.cfg.Inventory.GetEvent(c.ctx, eventRequest(event)); err != nil {
		return 0, nil, err
	}
	// Written over whatever is there, trusted or not: the organizer's word
	// replaces a record that does not verify.
	for range casRetriesMax {
		_, version, err := g.cfg.Store.Get(c.ctx, refundPolicyKey(event))
		if err != nil && !errors.Is(err, ErrNotFound) {
			return 0, nil, err
		}
		if _, err = g.casSealed(c.ctx, refundPolicyKey(event), version, &req); err == nil {
			return http.StatusOK, req, nil
		} else if !errors.Is(err, ErrVersionMismatch) {
			return 0, nil, err
		}
	}
	return 0, nil, problem(ErrBusy, "the refund policy changed too often; retry")
}

// webhook receives Stripe's (or the fake's) payment events. It answers 2xx
// only once the event is handled, so the provider retries otherwise.
func (g *Gateway) webhook(c *call) (int, any, error) {
	ev, err := g.cfg.Payments.ParseWebhook(c.body, c.r.Header)
	if err != nil {
		return 0, nil, err
	}
	dup, err := g.handlePaymentEvent(c.ctx, ev)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"received": true, "duplicate": dup}, nil
}

func (g *Gateway) handlePaymentEvent(ctx context.Context, ev PaymentEvent) (duplicate bool, err error) {
	if err := validID("event id", ev.ID); err != nil {
		return false, err
	}
	dedupKey := "webhook/" + ev.ID
	if _, _, err := g.cfg.Store.Get(ctx, dedupKey); err == nil {
		return true, nil
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	var signal paymentSignal
	switch ev.Type {
	case "payment_intent.succeeded":
		signal = signalSucceeded
	case "payment_intent.payment_failed", "payment_intent.canceled":
		signal = signalFailed
	default:
		signal = -1 // not ours to act on; still recorded
	}
	if signal >= 0 && ev.OrderID != "" {
		o, err := g.loadOrder(ctx, ev.OrderID)
		switch {
		case errors.Is(err, ErrMissing):
			g.cfg.Logger.Warn("payment event for an unknown order", "event", ev.ID, "order", ev.OrderID)
		case err != nil:
			return false, err
		case o.IntentID != "" && o.IntentID != ev.IntentID:
			g.cfg.Logger.Warn("payment event names another intent than the order's", "event", ev.ID, "order", ev.OrderID)
		default:
			if _, err := g.settle(ctx, ev.OrderID, signal); err != nil {
				return false, err
			}
		}
	}
	// Recorded after handling: a crash in between means Stripe delivers
	// again and settle, being idempotent, runs again harmlessly.
	if _, err := casJSON(ctx, g.cfg.Store, dedupKey, 0, &webhookRecord{Type: ev.Type, ProcessedAt: g.now().UTC()}); err != nil && !errors.Is(err, ErrVersionMismatch) {
		return false, err
	}
	return false, nil
}

type fakePayRequest struct {
	Outcome string `json:"outcome"` // succeeded (default) or failed
}

// fakePay stands in for the app's Stripe SDK in demo mode: it completes
// the order's fake intent, and the fake delivers the signed webhook.
func (g *Gateway) fakePay(c *call) (int, any, error) {
	fake, ok := g.cfg.Payments.(*FakePayments)
	if !ok {
		return 0, nil, problem(ErrConflict, "payments are not fake here")
	}
	var req fakePayRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	// The order as this gateway wrote it, when it did (every write below
	// names its version and reads it again on a mismatch).
	id := c.r.PathValue("order")
	o, version, ok := g.ticketing.orders.get(orderKey(id))
	if !ok {
		var err error
		if o, version, err = g.loadOrderV(c.ctx, id); err != nil {
			return 0, nil, err
		}
	}
	if c.role != RoleAdmin && o.Fan != c.subject {
		return 0, nil, problem(ErrMissing, "no order "+id)
	}
	if o.IntentID == "" {
		return 0, nil, problem(ErrConflict, "order has no payment intent yet")
	}
	if o.State == orderPending {
		body, sig, err := fake.Complete(o.IntentID, req.Outcome != "failed")
		if err != nil && ok {
			// The cached order may be behind (paid or released
			// elsewhere): the stored one decides.
			if o, version, err = g.loadOrderV(c.ctx, id); err == nil && o.State == orderPending {
				body, sig, err = fake.Complete(o.IntentID, req.Outcome != "failed")
			}
		}
		if err != nil {
			return 0, nil, err
		}
		if o.State != orderPending {
			o, err := g.withClientSecret(c.ctx, o)
			if err != nil {
				return 0, nil, err
			}
			return http.StatusOK, g.orderView(o), nil
		}
		header := http.Header{}
		header.Set("Stripe-Signature", sig)
		ev, err := fake.ParseWebhook(body, header)
		if err != nil {
			return 0, nil, err
		}
		// The event is handled here, as its webhook would be; no
		// webhook delivery follows to deduplicate.
		signal := signalFailed
		if ev.Type == "payment_intent.succeeded" {
			signal = signalSucceeded
		}
		if o, err = g.settleFrom(c.ctx, o, version, signal); err != nil {
			return 0, nil, err
		}
	}
	o, err := g.withClientSecret(c.ctx, o)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, g.orderView(o), nil
}

// Reconcile runs one pass over the open orders: it finishes or unwinds
// each from what the cluster and the payment provider say. Orders touched
// in the last reconcileQuiet are left to the flow that is handling them.
func (g *Gateway) Reconcile(ctx context.Context) error {
	after := ""
	var firstErr error
	for {
		kvs, err := g.cfg.Store.Scan(ctx, "openorder/", after, 200)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			id := kv.Key[strings.LastIndexByte(kv.Key, '/')+1:]
			if _, err := g.settle(ctx, id, signalCheck); err != nil {
				if _, getErr := g.loadOrder(ctx, id); errors.Is(getErr, ErrMissing) {
					// A marker whose order was never written (its gateway
					// died in between); give a live writer a minute.
					if at, perr := time.Parse(time.RFC3339Nano, string(kv.Value)); perr != nil || g.now().Sub(at) > time.Minute {
						_ = g.cfg.Store.Delete(ctx, kv.Key, kv.Version)
					}
					continue
				}
				if firstErr == nil {
					firstErr = fmt.Errorf("order %s: %w", id, err)
				}
			}
		}
		if len(kvs) < 200 {
			return firstErr
		}
		after = kvs[len(kvs)-1].Key
	}
}
