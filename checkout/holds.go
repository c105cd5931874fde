package checkout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/api/holdid"
)

// The per-buyer ticket limit and the hold quota are counters in the fan's
// placement (fanTag), next to the fan's hold records:
//
//	buyer/{f:<fan>}/<event>      seats the fan holds, orders or owns for the event (counter)
//	quota/holds/{f:<fan>}        the fan's holds not yet ordered (counter, Config.HoldsPerFan)
//	fanhold/{f:<fan>}/<base>     one hold: holdRecord, base = the hold id's base (api/holdid)
//	owned/{f:<fan>}/<order id>   seats of a paid order, counted in buyer/ until a refund (orders.go markRefunded)
//
// A hold is one Batch — the Idempotency-Key claim and its quota charge,
// the hold record (create-only), +1 hold, +seats within
// [0, TicketLimitPerBuyer] — so the limit check and the reservation are
// one atomic step wherever two phones of one fan land, and no crash can
// leave a count without the record that gives it back. Only then is the
// cluster asked. Every later change of a hold record moves the counts in
// the same Batch: a refused or released hold, or one reclaimed after it
// expired unordered, gives back its hold and seats; an order makes it
// "ordered" (−1 hold, seats kept); a paid order turns it into an owned/
// record (seats kept); an unpaid order dropping it, or a refund deleting
// owned/, gives the seats back. A record's existence is what a give-back
// is conditioned on, so running one twice gives back once. Expired holds
// are reclaimed by the next hold that hits a limit and by the janitor.
// Transfers do not give the sender room (no buy-transfer-buy loop) nor
// count against the receiver.

// reservationSlack outlives the hold a little, covering clock skew between
// gateways and the cluster's once-a-second expiry sweep.
const reservationSlack = 30 * time.Second

const (
	holdOrdered = "ordered"
	// giveBackMin lets a give-back apply even to a counter that is
	// already low, so a record is never stuck because of its counter.
	giveBackMin = math.MinInt64
)

func buyerKey(fan, event string) string { return "buyer/" + fanTag(fan) + "/" + event }

func holdsCountKey(fan string) string { return "quota/holds/" + fanTag(fan) }

func ownedKey(fan, orderID string) string { return "owned/" + fanTag(fan) + "/" + orderID }

// holdBase is the base of the hold id the cluster mints for request
// requestID on event (api/holdid: sha256(event, NUL, request id), first
// 8 bytes in hex), known before the cluster is asked.
func holdBase(event, requestID string) string {
	sum := sha256.Sum256([]byte(event + "\x00" + requestID))
	return hex.EncodeToString(sum[:8])
}

// fanHoldKey is the record of a fan's hold, by hold id (or its base).
func fanHoldKey(fan, holdID string) string {
	base := holdID
	if b, _, err := holdid.Parse(holdID); err == nil {
		base = b
	}
	return "fanhold/" + fanTag(fan) + "/" + base
}

func addOp(key string, delta, lo, hi int64) Op {
	return Op{Kind: OpAdd, Key: key, Delta: delta, Min: lo, Max: hi}
}

func putOp(key string, expected uint64, v any) (Op, error) {
	raw, err := json.Marshal(v)
	return Op{Kind: OpPut, Key: key, Expected: expected, Value: raw}, err
}

// giveBackOps are the counter changes of a hold record going away.
func giveBackOps(fan string, rec holdRecord) []Op {
	ops := []Op{addOp(buyerKey(fan, rec.EventID), -int64(rec.Count), giveBackMin, math.MaxInt64)}
	if rec.State != holdOrdered {
		ops = append(ops, addOp(holdsCountKey(fan), -1, giveBackMin, math.MaxInt64))
	}
	return ops
}

// dropHold deletes the record of a hold at version and gives back its
// counts, in one Batch; a record changed or gone meanwhile is left.
func (g *Gateway) dropHold(ctx context.Context, fan string, rec holdRecord, version uint64) error {
	ops := append([]Op{{Kind: OpDelete, Key: fanHoldKey(fan, rec.key()), Expected: version}}, giveBackOps(fan, rec)...)
	_, err := g.cfg.Store.Batch(ctx, "", ops)
	if errors.Is(err, ErrVersionMismatch) || errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// reclaimExpired drops the fan's unordered hold records past their hold
// (giving back their counts) and reports the holds still active and the
// soonest end among them.
func (g *Gateway) reclaimExpired(ctx context.Context, fan string) (active int, soonest time.Duration, err error) {
	kvs, err := g.cfg.Store.Scan(ctx, "fanhold/"+fanTag(fan)+"/", "", holdsQuotaScanMax)
	if err != nil {
		return 0, 0, err
	}
	now := g.now()
	soonest = time.Duration(math.MaxInt64)
	for _, kv := range kvs {
		var rec holdRecord
		if err := decodeRecord(kv, &rec); err != nil {
			return 0, 0, err
		}
		if rec.State == holdOrdered {
			continue
		}
		if left := rec.ExpiresAt.Add(reservationSlack).Sub(now); left > 0 {
			active++
			soonest = min(soonest, left)
			continue
		}
		if err := g.dropHold(ctx, fan, rec, kv.Version); err != nil {
			return 0, 0, err
		}
	}
	return active, soonest, nil
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

// holdRecord is a fan's hold: fanhold/{f:<fan>}/<base>. It is written
// before the cluster is asked (HoldID empty, Seats unknown for a
// best-available hold) and completed once the cluster answered.
type holdRecord struct {
	holdView
	Base          string `json:"base"`
	ReservationID string `json:"reservation_id"`
	Count         int    `json:"count"`           // seats counted in buyer/
	State         string `json:"state,omitempty"` // "" (held) or ordered
	OrderID       string `json:"order_id,omitempty"`
}

func (r holdRecord) key() string { return r.Base }

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
	// The event (for its hold policy; cached, eventcache.go) and the
	// waiting room are read at once.
	var ev *boxofficev1.Event
	var queueErr error
	if err := inParallel(
		func() (err error) { ev, err = g.eventInfo(c.ctx, event); return err },
		func() error { _, _, queueErr = g.queueConfig(c.ctx, event); return nil },
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
	rec := holdRecord{holdView: holdView{EventID: event, Seats: []string{}, ExpiresAt: g.now().Add(ttl)},
		Base: holdBase(event, hr.RequestId), ReservationID: hr.RequestId, Count: seats}
	if req.GeneralAdmission != nil {
		rec.GAPool = req.GeneralAdmission.PoolID
	}
	version, err := g.reserveHold(c, rec)
	if err != nil {
		return 0, nil, err
	}
	resp, err := g.cfg.Inventory.Hold(c.ctx, hr)
	if err != nil {
		err = fromCluster(err)
		var answered *detailedError
		if errors.As(err, &answered) && !errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrBusy) {
			// A business refusal: the cluster holds nothing for this id.
			// (No answer at all leaves the counts to expire with the
			// hold: the cluster may hold it.)
			if dropErr := g.dropHold(c.ctx, c.subject, rec, version); dropErr != nil {
				g.cfg.Logger.Warn("giving back a refused hold's count failed; the janitor reclaims it", "err", dropErr)
			}
		}
		return 0, nil, err
	}
	expires := time.UnixMilli(resp.GetExpiresAtUnixMs()).UTC()
	rec.HoldID, rec.Seats, rec.GAQty, rec.ExpiresAt = resp.GetHoldId(), resp.GetSeatIds(), resp.GetGeneralAdmissionQuantity(), expires
	if rec.Seats == nil {
		rec.Seats = []string{}
	}
	// The completed record and the expiry notice: one Batch. A record
	// changed meanwhile (a repeat of this request completed it, or the
	// fan released it) is left as it is.
	put, err := putOp(fanHoldKey(c.subject, rec.Base), version, &rec)
	if err != nil {
		return 0, nil, err
	}
	ops := []Op{put}
	if notice := expires.Add(-holdExpiryNotice); notice.After(g.now()) {
		n, err := g.notification("hold.expiring", c.subject, event, "hold-expiring/"+rec.HoldID, notice,
			map[string]any{"hold_id": rec.HoldID, "expires_at": expires})
		if err != nil {
			return 0, nil, err
		}
		ops = append(ops, n)
	}
	key := fanHoldKey(c.subject, rec.Base)
	res, err := g.cfg.Store.Batch(c.ctx, "", ops)
	switch {
	case err == nil:
		g.ticketing.holds.put(key, rec, res[0].Version)
	case errors.Is(err, ErrVersionMismatch), errors.Is(err, ErrNotFound):
		g.ticketing.holds.drop(key)
	default:
		return 0, nil, err
	}
	return http.StatusCreated, rec.holdView, nil
}

// reserveHold writes a new hold's record and counts, with the request's
// Idempotency-Key claim, in one Batch; it returns the record's version. A
// record already there is this request's own, from an earlier run.
func (g *Gateway) reserveHold(c *call, rec holdRecord) (uint64, error) {
	fan := c.subject
	put, err := putOp(fanHoldKey(fan, rec.Base), 0, &rec)
	if err != nil {
		return 0, err
	}
	claim := c.claimOps()
	ops := append(slices.Clip(claim), put,
		addOp(holdsCountKey(fan), 1, 0, int64(g.cfg.HoldsPerFan)),
		addOp(buyerKey(fan, rec.EventID), int64(rec.Count), 0, int64(g.cfg.TicketLimitPerBuyer)))
	recordAt, holdsAt, buyerAt := len(claim), len(claim)+1, len(claim)+2
	for reclaimed := false; ; reclaimed = true {
		res, err := g.cfg.Store.Batch(c.ctx, "", ops)
		if err == nil {
			return res[recordAt].Version, nil
		}
		if err = c.claimRefusal(err, len(claim)); errors.Is(err, errKeyTaken) {
			return 0, err
		}
		var be *BatchError
		if !errors.As(err, &be) {
			return 0, err
		}
		switch {
		case be.Index < len(claim):
			return 0, err
		case be.Index == recordAt:
			// Written by an earlier run of this request.
			var have holdRecord
			v, gerr := getJSON(c.ctx, g.cfg.Store, fanHoldKey(fan, rec.Base), &have)
			if errors.Is(gerr, ErrNotFound) {
				continue
			}
			return v, gerr
		}
		// Over a limit: holds that expired unordered may still count.
		active, soonest, rerr := g.reclaimExpired(c.ctx, fan)
		if rerr != nil {
			return 0, rerr
		}
		if !reclaimed {
			continue
		}
		if be.Index == holdsAt {
			g.metrics.quotaRefusals.WithLabelValues("holds").Inc()
			return 0, &detailedError{err: ErrQuotaExceeded, retryAfter: soonest,
				detail:     fmt.Sprintf("you have %d active holds, the most allowed: order or release one first", active),
				extensions: map[string]any{"quota": "holds_per_fan", "limit": g.cfg.HoldsPerFan, "current": active}}
		}
		if be.Index == buyerAt {
			have := int(be.Current)
			if raw, _, gerr := g.cfg.Store.Get(c.ctx, buyerKey(fan, rec.EventID)); gerr == nil {
				have, _ = strconv.Atoi(string(raw))
			}
			return 0, problem(ErrLimitExceeded, fmt.Sprintf("you have %d of at most %d seats for this event", have, g.cfg.TicketLimitPerBuyer),
				"limit", g.cfg.TicketLimitPerBuyer, "current", have)
		}
		return 0, err
	}
}

// holdExpiryNotice is how long before expiry a fan is warned.
const holdExpiryNotice = 2 * time.Minute

func (g *Gateway) loadFanHold(ctx context.Context, c *call, holdID string) (holdRecord, uint64, error) {
	return g.loadFanHoldOf(ctx, c.subject, holdID, false)
}

// loadFanHoldOf reads a fan's hold record, from the records this gateway
// wrote when cached says so (the caller's write names the version).
func (g *Gateway) loadFanHoldOf(ctx context.Context, fan, holdID string, cached bool) (holdRecord, uint64, error) {
	var rec holdRecord
	var v uint64
	var err error
	var ok bool
	if cached {
		rec, v, ok = g.ticketing.holds.get(fanHoldKey(fan, holdID))
	}
	if !ok {
		v, err = getJSON(ctx, g.cfg.Store, fanHoldKey(fan, holdID), &rec)
	}
	if errors.Is(err, ErrNotFound) || (err == nil && rec.HoldID != "" && rec.HoldID != holdID) {
		return rec, 0, problem(ErrMissing, "no hold "+holdID+" of yours")
	} else if err != nil {
		return rec, 0, err
	}
	if rec.HoldID == "" {
		// Written before the cluster answered, and not completed (its
		// gateway died in between): the id is the one the fan was given.
		rec.HoldID = holdID
	}
	return rec, v, nil
}

func (g *Gateway) getHold(c *call) (int, any, error) {
	rec, _, err := g.loadFanHold(c.ctx, c, c.r.PathValue("hold"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rec.holdView, nil
}

func (g *Gateway) listHolds(c *call) (int, any, error) {
	kvs, err := g.cfg.Store.Scan(c.ctx, "fanhold/"+fanTag(c.subject)+"/", c.r.URL.Query().Get("cursor"), 100)
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
		if rec.HoldID != "" && rec.State != holdOrdered && rec.ExpiresAt.After(now) {
			out.Holds = append(out.Holds, rec.holdView)
		}
	}
	if len(kvs) == 100 {
		out.NextCursor = kvs[len(kvs)-1].Key
	}
	return http.StatusOK, out, nil
}

func (g *Gateway) releaseHold(c *call) (int, any, error) {
	rec, version, err := g.loadFanHold(c.ctx, c, c.r.PathValue("hold"))
	if err != nil {
		return 0, nil, err
	}
	if rec.State == holdOrdered {
		// Written in the same Batch as the order, so it is the whole truth.
		return 0, nil, problem(ErrConflict, "this hold has an order: cancel happens through the order")
	}
	_, err = g.cfg.Inventory.Release(c.ctx, &boxofficev1.ReleaseRequest{RequestId: c.requestID("release"), EventId: rec.EventID, HoldId: rec.HoldID, Holder: c.subject})
	if err = fromCluster(err); err != nil && !errors.Is(err, ErrMissing) && !errors.Is(err, ErrHoldExpired) {
		return 0, nil, err
	}
	if err := g.dropHold(c.ctx, c.subject, rec, version); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]string{"hold_id": rec.HoldID, "state": "released"}, nil
}
