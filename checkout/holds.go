package checkout

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// The per-buyer ticket limit lives in one record per (event, fan):
//
//	buyer/<event>/<fan>   buyerRecord
//
// A hold first reserves its seat count in that record by CAS — the check
// "owned + reserved + wanted ≤ limit" and the write are one atomic step, so
// two phones racing serialize on the record wherever they land (any
// gateway, any shard) — and only then asks the cluster. A refused hold
// drops its reservation; a hold whose gateway dies before it can tell
// simply lets the reservation expire with the hold. Orders stretch the
// reservation over the payment window; a paid order turns it into owned
// seats; a refund gives them back. Transfers do not give the sender room
// (no buy-transfer-buy loop) nor count against the receiver.
type buyerRecord struct {
	Reservations map[string]reservation `json:"reservations,omitempty"` // by reservation id
	Owned        map[string]int         `json:"owned,omitempty"`        // seats by paid order id
}

type reservation struct {
	Seats     int       `json:"seats"`
	HoldID    string    `json:"hold_id,omitempty"`
	OrderID   string    `json:"order_id,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// reservationSlack outlives the hold a little, covering clock skew between
// gateways and the cluster's once-a-second expiry sweep.
const reservationSlack = 30 * time.Second

func buyerKey(event, fan string) string { return "buyer/" + event + "/" + fan }

func (b *buyerRecord) count(now time.Time) int {
	n := 0
	for _, seats := range b.Owned {
		n += seats
	}
	for _, r := range b.Reservations {
		if now.Before(r.ExpiresAt) {
			n += r.Seats
		}
	}
	return n
}

func (b *buyerRecord) prune(now time.Time) {
	for id, r := range b.Reservations {
		if !now.Before(r.ExpiresAt) {
			delete(b.Reservations, id)
		}
	}
}

// reserve books seats for reservation id, refusing past the limit.
// Repeating it for the same id changes nothing.
func (g *Gateway) reserve(ctx context.Context, event, fan, id string, seats int, until time.Time) error {
	_, err := update(ctx, g.cfg.Store, buyerKey(event, fan), func(b *buyerRecord, exists bool) (bool, error) {
		now := g.now()
		if r, ok := b.Reservations[id]; ok && now.Before(r.ExpiresAt) {
			return false, nil
		}
		b.prune(now)
		if have := b.count(now); have+seats > g.cfg.TicketLimitPerBuyer {
			return false, problem(ErrLimitExceeded, fmt.Sprintf("you have %d of at most %d seats for this event", have, g.cfg.TicketLimitPerBuyer),
				"limit", g.cfg.TicketLimitPerBuyer, "current", have)
		}
		if b.Reservations == nil {
			b.Reservations = map[string]reservation{}
		}
		b.Reservations[id] = reservation{Seats: seats, ExpiresAt: until}
		return true, nil
	})
	return err
}

// amendReservation changes reservation id if it exists.
func (g *Gateway) amendReservation(ctx context.Context, event, fan, id string, change func(r *reservation)) error {
	_, err := update(ctx, g.cfg.Store, buyerKey(event, fan), func(b *buyerRecord, exists bool) (bool, error) {
		r, ok := b.Reservations[id]
		if !ok {
			return false, nil
		}
		change(&r)
		b.Reservations[id] = r
		return true, nil
	})
	return err
}

func (g *Gateway) dropReservation(ctx context.Context, event, fan, id string) error {
	_, err := update(ctx, g.cfg.Store, buyerKey(event, fan), func(b *buyerRecord, exists bool) (bool, error) {
		if _, ok := b.Reservations[id]; !ok {
			return false, nil
		}
		delete(b.Reservations, id)
		return true, nil
	})
	return err
}

// convertReservation turns a reservation into owned seats of a paid order,
// atomically; repeating it changes nothing.
func (g *Gateway) convertReservation(ctx context.Context, event, fan, id, orderID string, seats int) error {
	_, err := update(ctx, g.cfg.Store, buyerKey(event, fan), func(b *buyerRecord, exists bool) (bool, error) {
		_, reserved := b.Reservations[id]
		if _, owned := b.Owned[orderID]; owned && !reserved {
			return false, nil
		}
		delete(b.Reservations, id)
		if b.Owned == nil {
			b.Owned = map[string]int{}
		}
		b.Owned[orderID] = seats
		return true, nil
	})
	return err
}

func (g *Gateway) releaseOwned(ctx context.Context, event, fan, orderID string) error {
	_, err := update(ctx, g.cfg.Store, buyerKey(event, fan), func(b *buyerRecord, exists bool) (bool, error) {
		if _, ok := b.Owned[orderID]; !ok {
			return false, nil
		}
		delete(b.Owned, orderID)
		return true, nil
	})
	return err
}

func eventRequest(id string) *boxofficev1.GetEventRequest {
	return &boxofficev1.GetEventRequest{EventId: id}
}

type holdRequest struct {
	Seats []string `json:"seats,omitempty"`
	Best  *struct {
		Quantity       uint32 `json:"quantity"`
		SectionID      string `json:"section_id,omitempty"`
		PriceTier      string `json:"price_tier,omitempty"`
		AccessibleOnly bool   `json:"accessible_only,omitempty"`
	} `json:"best,omitempty"`
	GeneralAdmission *struct {
		PoolID   string `json:"pool_id"`
		Quantity uint32 `json:"quantity"`
	} `json:"general_admission,omitempty"`
}

type holdView struct {
	HoldID    string    `json:"hold_id"`
	EventID   string    `json:"event_id"`
	Seats     []string  `json:"seats"`
	GAQty     uint32    `json:"general_admission_quantity,omitempty"`
	GAPool    string    `json:"general_admission_pool,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// holdRecord indexes a fan's holds: fanhold/<fan>/<hold id>.
type holdRecord struct {
	holdView
	ReservationID string `json:"reservation_id"`
}

func fanHoldKey(fan, holdID string) string { return "fanhold/" + fan + "/" + holdID }

// createHold holds chosen or best-available seats for the caller.
func (g *Gateway) createHold(c *call) (int, any, error) {
	event := c.r.PathValue("event")
	var req holdRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	hr := &boxofficev1.HoldRequest{EventId: event, Holder: c.subject}
	var seats int
	switch {
	case len(req.Seats) > 0 && req.Best == nil && req.GeneralAdmission == nil:
		seats = len(req.Seats)
		hr.Selection = &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: req.Seats}}
	case req.Best != nil && len(req.Seats) == 0 && req.GeneralAdmission == nil:
		seats = int(req.Best.Quantity)
		hr.Selection = &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: req.Best.Quantity,
			SectionId: req.Best.SectionID, PriceTier: req.Best.PriceTier, AccessibleOnly: req.Best.AccessibleOnly}}
	case req.GeneralAdmission != nil && len(req.Seats) == 0 && req.Best == nil:
		seats = int(req.GeneralAdmission.Quantity)
		hr.Selection = &boxofficev1.HoldRequest_GeneralAdmission{GeneralAdmission: &boxofficev1.GeneralAdmission{
			PoolId: req.GeneralAdmission.PoolID, Quantity: req.GeneralAdmission.Quantity}}
	default:
		return 0, nil, problem(ErrInvalid, "give exactly one of seats, best or general_admission")
	}
	if seats < 1 || seats > g.cfg.TicketLimitPerBuyer {
		return 0, nil, problem(ErrInvalid, fmt.Sprintf("quantity %d: want 1..%d", seats, g.cfg.TicketLimitPerBuyer))
	}
	// The event (for its hold policy), the waiting room and the fan's
	// holds (Config.HoldsPerFan, quota.go) are read at once.
	var ev *boxofficev1.Event
	var queueErr error
	if err := inParallel(
		func() (err error) { ev, err = g.cfg.Inventory.GetEvent(c.ctx, eventRequest(event)); return err },
		func() error { _, _, queueErr = g.queueConfig(c.ctx, event); return nil },
		func() error { return g.checkHoldQuota(c.ctx, c.subject) },
	); err != nil {
		return 0, nil, err
	}
	if queueErr == nil {
		if err := g.checkAdmission(c.r.Header.Get("X-Admission-Token"), c.subject, event); err != nil {
			return 0, nil, err
		}
	} else if !errors.Is(queueErr, ErrNotFound) {
		return 0, nil, queueErr
	}
	ttl := g.cfg.HoldTTL
	if m := time.Duration(ev.GetPolicy().GetHoldTtlMaxMs()) * time.Millisecond; m > 0 && ttl > m {
		ttl = m
	}
	hr.TtlMs = ttl.Milliseconds()
	hr.RequestId = c.requestID("hold")
	reservationID := hr.RequestId
	if err := g.reserve(c.ctx, event, c.subject, reservationID, seats, g.now().Add(ttl+reservationSlack)); err != nil {
		return 0, nil, err
	}
	resp, err := g.cfg.Inventory.Hold(c.ctx, hr)
	if err != nil {
		err = fromCluster(err)
		if !errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrBusy) {
			// A business refusal: the cluster holds nothing for this id.
			if dropErr := g.dropReservation(c.ctx, event, c.subject, reservationID); dropErr != nil {
				g.cfg.Logger.Warn("dropping a reservation failed; it expires by itself", "err", dropErr)
			}
		}
		return 0, nil, err
	}
	expires := time.UnixMilli(resp.GetExpiresAtUnixMs()).UTC()
	view := holdView{HoldID: resp.GetHoldId(), EventID: event, Seats: resp.GetSeatIds(), GAQty: resp.GetGeneralAdmissionQuantity(), ExpiresAt: expires}
	if view.Seats == nil {
		view.Seats = []string{}
	}
	if req.GeneralAdmission != nil {
		view.GAPool = req.GeneralAdmission.PoolID
	}
	// The reservation, the fan's hold record and the expiry notice are
	// three records, written at once; a retry of this request (same
	// Idempotency-Key, same hold) writes whichever is missing.
	writes := []func() error{
		func() error {
			return g.amendReservation(c.ctx, event, c.subject, reservationID, func(r *reservation) {
				r.HoldID, r.ExpiresAt = resp.GetHoldId(), expires.Add(reservationSlack)
			})
		},
		func() error {
			if _, err := casJSON(c.ctx, g.cfg.Store, fanHoldKey(c.subject, view.HoldID), 0, holdRecord{view, reservationID}); err != nil && !errors.Is(err, ErrVersionMismatch) {
				return err
			}
			return nil
		},
	}
	if notice := expires.Add(-holdExpiryNotice); notice.After(g.now()) {
		writes = append(writes, func() error {
			return g.notifyAt(c.ctx, "hold.expiring", c.subject, event, "hold-expiring/"+view.HoldID, notice,
				map[string]any{"hold_id": view.HoldID, "expires_at": expires})
		})
	}
	if err := inParallel(writes...); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, view, nil
}

// holdExpiryNotice is how long before expiry a fan is warned.
const holdExpiryNotice = 2 * time.Minute

func (g *Gateway) loadFanHold(ctx context.Context, c *call, holdID string) (holdRecord, error) {
	var rec holdRecord
	if _, err := getJSON(ctx, g.cfg.Store, fanHoldKey(c.subject, holdID), &rec); errors.Is(err, ErrNotFound) {
		return rec, problem(ErrMissing, "no hold "+holdID+" of yours")
	} else if err != nil {
		return rec, err
	}
	return rec, nil
}

func (g *Gateway) getHold(c *call) (int, any, error) {
	rec, err := g.loadFanHold(c.ctx, c, c.r.PathValue("hold"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rec.holdView, nil
}

func (g *Gateway) listHolds(c *call) (int, any, error) {
	kvs, err := g.cfg.Store.Scan(c.ctx, "fanhold/"+c.subject+"/", c.r.URL.Query().Get("cursor"), 100)
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Holds      []holdView `json:"holds"`
		NextCursor string     `json:"next_cursor,omitempty"`
	}{Holds: []holdView{}}
	now := g.now()
	for _, kv := range kvs {
		var rec holdRecord
		if err := decodeRecord(kv, &rec); err != nil {
			return 0, nil, err
		}
		if rec.ExpiresAt.After(now) {
			out.Holds = append(out.Holds, rec.holdView)
		}
	}
	if len(kvs) == 100 {
		out.NextCursor = kvs[len(kvs)-1].Key
	}
	return http.StatusOK, out, nil
}

func (g *Gateway) releaseHold(c *call) (int, any, error) {
	rec, err := g.loadFanHold(c.ctx, c, c.r.PathValue("hold"))
	if err != nil {
		return 0, nil, err
	}
	if _, _, err := g.existingOrderForHold(c.ctx, rec.EventID, rec.HoldID); err == nil {
		return 0, nil, problem(ErrConflict, "this hold has an order: cancel happens through the order")
	}
	_, err = g.cfg.Inventory.Release(c.ctx, &boxofficev1.ReleaseRequest{RequestId: c.requestID("release"), EventId: rec.EventID, HoldId: rec.HoldID, Holder: c.subject})
	if err = fromCluster(err); err != nil && !errors.Is(err, ErrMissing) && !errors.Is(err, ErrHoldExpired) {
		return 0, nil, err
	}
	if err := g.dropReservation(c.ctx, rec.EventID, c.subject, rec.ReservationID); err != nil {
		return 0, nil, err
	}
	if _, v, err := g.cfg.Store.Get(c.ctx, fanHoldKey(c.subject, rec.HoldID)); err == nil {
		_ = g.cfg.Store.Delete(c.ctx, fanHoldKey(c.subject, rec.HoldID), v)
	}
	return http.StatusOK, map[string]string{"hold_id": rec.HoldID, "state": "released"}, nil
}
