package checkout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The virtual waiting room of one event lives in the store:
//
//	queue/<event>/config            queueRecord: the organizer's queueConfig, sealed once the early
//	                                arrivals are ranked, and the admission state
//	queue/{q:<event>}/seq           counter: arrivals after the on-sale, in order
//	queue/{q:<event>}/in/<fan>      the fan's join mark: "late", "early", or the seq a rejoin drew again
//	queue/{q:<event>}/early/<rank>  the fan id, one per early arrival; scanning the prefix visits them in random order
//	queue/{f:<fan>}/<event>         queueEntry, in the fan's placement: an early arrival's rank (and position once
//	                                ranked) from its join; every fan's place and admitted_at from the first admission
//
// and is answered from each gateway's memory.
//
// Joining. Fans who join after the on-sale make one call: a Batch, with a
// request id derived from the event and the fan, that adds one to the
// seq counter and writes the fan's join mark (expected absent). Position
// is the early count + seq: FIFO. The answer is the place; nothing else is
// written: the place travels in this gateway's memory and in the signed
// queue ticket the join returns. A retry, or a rejoin on any gateway,
// sends the same Batch and the store's dedup answers the same seq. Once
// the dedup has forgotten the request id (an hour on the cluster), the
// mark refuses the Batch: a fan already admitted keeps the entry's place,
// others are placed again at the back (one Add, the seq recorded in the
// mark, so every later rejoin finds it). A poll on a gateway that has
// neither seen the fan nor been given the ticket reads the entry, else
// the mark (none: not joined, 404), else sends the join's Batch again.
// The join is idempotent per event and fan by itself, so its route takes
// no Idempotency-Key.
//
// Fans who join before on_sale_at draw a random rank: their entry, then
// one Batch of their early/ key and their join mark ("early", which keeps
// a later rejoin from drawing a seq). The first gateway that sees the
// clock pass on_sale_at + sealGrace ranks the early arrivals: it scans
// the early prefix and gives the i-th fan position i+1 (deterministically,
// so two gateways sealing at once write the same positions), then marks
// the config sealed with the early count.
//
// Admission. The record's admission state is a promise: from as_of,
// admission proceeds at rate a second up to until, so every gateway
// computes the admitted count at any instant from its copy, without a
// call. One gateway at a time (the holder of a lease in the record)
// advances it from its background loop: it closes the segment
// (count += rate × elapsed), extends until, and changes the rate only
// once the old promise has run out, so no gateway holding an older copy
// ever counted further than a newer copy says. The rate is
// admit_per_second scaled down by the store's measured pressure
// (pressure.go): halved at most every admissionCutEvery while the cluster
// is saturated, never below admissionFloor of the configured rate, and
// raised back by admissionRecoverPerSecond of it a second while healthy.
//
// Memory. Each gateway keeps, per event whose waiting room it serves
// (at most queueRoomsMax, dropped after queueRoomLinger without a
// request), the record, the queue length and the places of the fans it
// saw (at most queueRoomFansMax), refreshed by one loop every
// queueRefresh: one Get of the record, or one CAS when it holds the
// lease (plus a Get of seq every queueLengthEvery ticks). A poll of
// /me and every tick of the /me/stream are answered from that memory
// and the fan's place: from this gateway's cache, else the signed queue
// ticket the join returned (X-Queue-Ticket), else the store (see
// Joining). The admission token is issued from memory once position ≤
// admitted. The first admission of a fan is one Batch in the fan's
// placement: the entry with admitted_at (created, for a late arrival),
// which opens the AdmissionTokenTTL window, and the queue.admitted
// notification; only the Batch that sets admitted_at queues it, so it is
// queued once, and polling never moves the window. A refusal (admitted
// elsewhere) reads the entry once. While this gateway ranks the early
// arrivals, its polls
// of the room wait for the ranking (within their request's context).
//
// Clock assumption: gateways' clocks agree within sealGrace; a join that
// stalls for longer than that across the on-sale may be ranked late, and
// skew shifts admission by at most the skew times the rate.
const (
	sealGrace       = time.Second
	earlyArrivalMax = 5_000_000

	queueRefresh              = 100 * time.Millisecond
	queueRefreshTimeout       = 2 * time.Second
	queueLengthEvery          = 10
	queueRoomLinger           = 30 * time.Second
	queueWarnEvery            = 10 * time.Second
	queueRoomsMax             = 64
	queueRoomFansMax          = 200_000
	admissionHorizon          = 500 * time.Millisecond
	admissionLease            = time.Second
	admissionFloor            = 0.1
	admissionCutEvery         = time.Second
	admissionRecoverPerSecond = 0.1
	queueTicketTTL            = 24 * time.Hour
	queueTicketAudience       = "queue"
	queueTicketHeader         = "X-Queue-Ticket"
)

type queueConfig struct {
	OnSaleAt       time.Time `json:"on_sale_at"`
	AdmitPerSecond float64   `json:"admit_per_second"`
	Sealed         bool      `json:"sealed"`
	EarlyCount     int64     `json:"early_count"`
}

// queueRecord is queue/<event>/config.
type queueRecord struct {
	queueConfig
	Admission admissionState `json:"admission,omitzero"`
}

// admissionState says how many positions are admitted at any instant:
// Count at AsOf, then Rate a second, up to Until (see the package comment
// above). Advancer holds the lease to advance it until LeaseUntil.
type admissionState struct {
	Count      int64     `json:"count"`
	AsOf       time.Time `json:"as_of"`
	Rate       float64   `json:"rate"`
	Until      time.Time `json:"until"`
	Advancer   string    `json:"advancer,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
}

// at is the admitted count at t.
func (a admissionState) at(t time.Time) int64 {
	if a.Rate <= 0 {
		return a.Count
	}
	if t.After(a.Until) {
		t = a.Until
	}
	if !t.After(a.AsOf) {
		return a.Count
	}
	return a.Count + int64(t.Sub(a.AsOf).Seconds()*a.Rate)
}

// advance closes the running segment at now and opens the next at rate,
// with the lease for id. A rate change waits for the old promise (Until)
// to run out.
func (a admissionState) advance(now time.Time, rate float64, id string) admissionState {
	p := now
	if a.Until.Before(p) {
		p = a.Until
	}
	if a.Rate > 0 && p.After(a.AsOf) {
		steps := int64(p.Sub(a.AsOf).Seconds() * a.Rate)
		a.Count += steps
		a.AsOf = a.AsOf.Add(time.Duration(float64(steps) / a.Rate * float64(time.Second)))
	}
	if a.Rate == rate || !now.Before(a.Until) {
		a.Rate = rate
		a.Until = now.Add(admissionHorizon)
	}
	a.Advancer, a.LeaseUntil = id, now.Add(admissionLease)
	return a
}

type queueEntry struct {
	Fan        string    `json:"fan"`
	Rank       string    `json:"rank,omitempty"`     // early arrivals only
	Seq        int64     `json:"seq,omitempty"`      // late arrivals: position = early count + seq
	Position   int64     `json:"position,omitempty"` // early arrivals, once ranked
	JoinedAt   time.Time `json:"joined_at"`
	AdmittedAt time.Time `json:"admitted_at,omitzero"`
}

type queueConfigRequest struct {
	OnSaleAt       time.Time `json:"on_sale_at"`
	AdmitPerSecond float64   `json:"admit_per_second"`
}

type queueStatus struct {
	EventID            string     `json:"event_id"`
	State              string     `json:"state"` // before_sale, waiting, admitted, expired
	Position           int64      `json:"position,omitempty"`
	AdmittedCount      int64      `json:"admitted_count"`
	QueueLength        int64      `json:"queue_length,omitempty"`
	EstimatedWaitSecs  int64      `json:"estimated_wait_seconds,omitempty"`
	AdmissionToken     string     `json:"admission_token,omitempty"`
	AdmissionExpiresAt *time.Time `json:"admission_expires_at,omitempty"`
	QueueTicket        string     `json:"queue_ticket,omitempty"`
}

func queueKey(event, rest string) string { return "queue/" + event + "/" + rest }

// queueTag is the placement tag of an event's arrivals (store.go's
// Placement): the seq counter, the join marks and the early arrivals, so
// that one Batch draws a fan's seq and marks the fan.
func queueTag(event string) string { return "{q:" + event + "}" }

func queueSeqKey(event string) string             { return "queue/" + queueTag(event) + "/seq" }
func queueMarkKey(event, fan string) string       { return "queue/" + queueTag(event) + "/in/" + fan }
func queueEarlyPrefix(event string) string        { return "queue/" + queueTag(event) + "/early/" }
func queueEntryKey(event, fan string) string      { return "queue/" + fanTag(fan) + "/" + event }
func queueJoinRequestID(event, fan string) string { return deriveID("qjoin", event, fan) }

// Join marks: what queue/{q:<event>}/in/<fan> holds.
const (
	markLate  = "late"  // joined after the on-sale; the seq is the join Batch's answer
	markEarly = "early" // joined before; the entry holds the rank
)

// fanPlace is what a gateway knows of one fan's place in one queue.
type fanPlace struct {
	rank       string
	seq        int64
	position   int64 // early arrivals, once ranked
	admittedAt time.Time
	joinedAt   time.Time
	version    uint64 // of the fan's entry as this gateway wrote or read it; 0 unknown
	ticket     string // the signed queue ticket of this place, once made
}

// positionIn is the fan's position given the early count, 0 if not yet
// known (an early arrival before the ranking reached this gateway).
func (p fanPlace) positionIn(earlyCount int64) int64 {
	if p.position > 0 {
		return p.position
	}
	if p.seq > 0 {
		return earlyCount + p.seq
	}
	return 0
}

func placeOf(e queueEntry, version uint64) fanPlace {
	return fanPlace{rank: e.Rank, seq: e.Seq, position: e.Position, admittedAt: e.AdmittedAt, joinedAt: e.JoinedAt, version: version}
}

// queueTicketClaims is the signed queue ticket: the fan's place, so that
// any gateway can answer a poll without reading the fan's entry.
type queueTicketClaims struct {
	Event      string `json:"evt"`
	Seq        int64  `json:"seq,omitempty"`
	Position   int64  `json:"pos,omitempty"`
	Rank       string `json:"rank,omitempty"`
	AdmittedAt int64  `json:"adm,omitempty"` // Unix milliseconds
	jwt.RegisteredClaims
}

func (g *Gateway) signQueueTicket(fan, event string, p fanPlace) (string, error) {
	now := g.now()
	c := queueTicketClaims{Event: event, Seq: p.seq, Position: p.position, Rank: p.rank, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: tokenIssuer, Subject: fan, Audience: jwt.ClaimStrings{queueTicketAudience},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(queueTicketTTL)),
	}}
	if !p.admittedAt.IsZero() {
		c.AdmittedAt = p.admittedAt.UnixMilli()
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(g.cfg.JWTSecret)
}

// readQueueTicket returns the place a valid ticket of fan and event
// states; ok is false for a missing, invalid or foreign one (the caller
// then looks elsewhere: a ticket is a shortcut, never required).
func (g *Gateway) readQueueTicket(raw, fan, event string) (fanPlace, bool) {
	if raw == "" || len(raw) > tokenBytesMax {
		return fanPlace{}, false
	}
	var c queueTicketClaims
	if _, err := g.parser(queueTicketAudience).ParseWithClaims(raw, &c, g.keyFunc); err != nil || c.Subject != fan || c.Event != event {
		return fanPlace{}, false
	}
	p := fanPlace{rank: c.Rank, seq: c.Seq, position: c.Position, ticket: raw}
	if c.AdmittedAt > 0 {
		p.admittedAt = time.UnixMilli(c.AdmittedAt).UTC()
	}
	return p, true
}

// queueRooms are the waiting rooms this gateway keeps in memory.
type queueRooms struct {
	mu    sync.Mutex
	rooms map[string]*queueRoom
}

func newQueueRooms() *queueRooms { return &queueRooms{rooms: map[string]*queueRoom{}} }

// queueRoom is one event's waiting room in this gateway's memory.
type queueRoom struct {
	g        *Gateway
	event    string
	loaded   chan struct{} // closed once rec is loaded or loadErr set
	loadErr  error
	lastUsed atomic.Int64  // UnixNano, real time
	sealing  chan struct{} // a token: one ranking at a time on this gateway
	lastWarn atomic.Int64  // UnixNano of the loop's last warning

	mu      sync.Mutex
	rec     queueRecord
	version uint64
	length  int64
	fans    map[string]*fanPlace

	factorMu sync.Mutex
	factor   float64 // the pressure's scale of admit_per_second
	lastCut  time.Time
}

// room returns event's waiting room, loading it (one read) and starting
// its loop the first time; a missing waiting room is ErrNotFound.
func (g *Gateway) room(ctx context.Context, event string) (*queueRoom, error) {
	g.rooms.mu.Lock()
	r, ok := g.rooms.rooms[event]
	kept := true
	if !ok {
		r = &queueRoom{g: g, event: event, loaded: make(chan struct{}), sealing: make(chan struct{}, 1), fans: map[string]*fanPlace{}, factor: 1}
		if kept = len(g.rooms.rooms) < queueRoomsMax; kept {
			g.rooms.rooms[event] = r
			g.metrics.queueRooms.Set(float64(len(g.rooms.rooms)))
		}
	}
	g.rooms.mu.Unlock()
	r.touch()
	if !ok {
		// Over queueRoomsMax the room serves this request only, without a
		// loop: its polls cost reads.
		r.loadErr = r.reload(ctx)
		close(r.loaded)
		if r.loadErr != nil {
			g.rooms.remove(r)
			return nil, r.loadErr
		}
		if kept {
			go r.run()
		}
		return r, nil
	}
	select {
	case <-r.loaded:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.loadErr != nil {
		return nil, r.loadErr
	}
	return r, nil
}

// loadedRoom is event's room if this gateway has it in memory.
func (g *Gateway) loadedRoom(event string) (*queueRoom, bool) {
	g.rooms.mu.Lock()
	r, ok := g.rooms.rooms[event]
	g.rooms.mu.Unlock()
	if !ok {
		return nil, false
	}
	select {
	case <-r.loaded:
		return r, r.loadErr == nil
	default:
		return nil, false
	}
}

func (rs *queueRooms) remove(r *queueRoom) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.rooms[r.event] == r {
		delete(rs.rooms, r.event)
		r.g.metrics.queueRooms.Set(float64(len(rs.rooms)))
		r.g.metrics.admissionRate.DeleteLabelValues(r.event)
	}
}

func (r *queueRoom) touch() { r.lastUsed.Store(time.Now().UnixNano()) }

func (r *queueRoom) snapshot() (queueRecord, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rec, r.version
}

// set keeps a record read or written at version, unless memory already
// holds a newer one.
func (r *queueRoom) set(rec queueRecord, version uint64) {
	r.mu.Lock()
	if version >= r.version {
		r.rec, r.version = rec, version
	}
	r.mu.Unlock()
	if rec.Admission.Rate > 0 {
		r.g.metrics.admissionRate.WithLabelValues(r.event).Set(rec.Admission.Rate)
	}
}

func (r *queueRoom) reload(ctx context.Context) error {
	var rec queueRecord
	v, err := getJSON(ctx, r.g.cfg.Store, queueKey(r.event, "config"), &rec)
	if err != nil {
		return err
	}
	r.set(rec, v)
	return nil
}

func (r *queueRoom) cached(fan string) (fanPlace, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.fans[fan]
	if !ok {
		return fanPlace{}, false
	}
	return *p, true
}

// remember caches fan's place (if the room has space for it).
func (r *queueRoom) remember(fan string, p fanPlace) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.fans[fan]; ok {
		if p.ticket == "" && old.ticket != "" && old.rank == p.rank && old.seq == p.seq && old.position == p.position && old.admittedAt.Equal(p.admittedAt) {
			p.ticket = old.ticket
		}
		*old = p
		return
	}
	if len(r.fans) < queueRoomFansMax {
		r.fans[fan] = &p
	}
}

func (r *queueRoom) noteLength(n int64) {
	r.mu.Lock()
	r.length = max(r.length, n)
	r.mu.Unlock()
}

// run is the room's loop: one refresh every queueRefresh until nobody
// has asked about the room for queueRoomLinger.
func (r *queueRoom) run() {
	t := time.NewTicker(queueRefresh)
	defer t.Stop()
	for tick := 0; ; tick++ {
		<-t.C
		if time.Since(time.Unix(0, r.lastUsed.Load())) > queueRoomLinger {
			r.g.rooms.remove(r)
			return
		}
		ctx, cancel := context.WithTimeout(background(context.Background()), queueRefreshTimeout)
		if err := r.refresh(ctx, tick%queueLengthEvery == 0); err != nil && !errors.Is(err, ErrNotFound) {
			// The polls go on from memory; one warning every
			// queueWarnEvery is enough to see an outage.
			if last := r.lastWarn.Load(); time.Since(time.Unix(0, last)) >= queueWarnEvery && r.lastWarn.CompareAndSwap(last, time.Now().UnixNano()) {
				r.g.cfg.Logger.Warn("waiting room: refresh failed; polls are answered from the last state", "event", r.event, "err", err)
			}
		}
		cancel()
	}
}

// refresh is one turn of the loop: rank the early arrivals when due;
// advance admission when this gateway holds (or may take) the lease; else
// read the record.
func (r *queueRoom) refresh(ctx context.Context, readLength bool) error {
	g := r.g
	now := g.now()
	rec, version := r.snapshot()
	switch {
	case !rec.Sealed && !now.Before(rec.OnSaleAt.Add(sealGrace)):
		if _, err := r.seal(ctx); err != nil {
			return err
		}
	case rec.Sealed && (rec.Admission.Advancer == g.id || !now.Before(rec.Admission.LeaseUntil)):
		next := rec
		if next.Admission.AsOf.IsZero() {
			// Sealed by a gateway that kept the count under
			// queue/<event>/admitted ({count, as_of}): go on from it.
			next.Admission = admissionState{AsOf: rec.OnSaleAt.Add(sealGrace)}
			if _, err := getJSON(ctx, g.cfg.Store, queueKey(r.event, "admitted"), &next.Admission); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			next.Admission.Until = next.Admission.AsOf
		}
		next.Admission = next.Admission.advance(now, r.desiredRate(rec.AdmitPerSecond), g.id)
		v, err := casJSON(ctx, g.cfg.Store, queueKey(r.event, "config"), version, &next)
		switch {
		case err == nil:
			r.set(next, v)
		case errors.Is(err, ErrVersionMismatch):
			if err := r.reload(ctx); err != nil {
				return err
			}
		default:
			return err
		}
	default:
		if err := r.reload(ctx); err != nil {
			return err
		}
	}
	if readLength {
		raw, _, err := g.cfg.Store.Get(ctx, queueSeqKey(r.event))
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		seq, _ := strconv.ParseInt(string(raw), 10, 64)
		rec, _ := r.snapshot()
		r.noteLength(rec.EarlyCount + seq)
	}
	return nil
}

// desiredRate is configured scaled by the pressure factor.
func (r *queueRoom) desiredRate(configured float64) float64 {
	r.factorMu.Lock()
	defer r.factorMu.Unlock()
	now := time.Now()
	if r.g.pressure.saturated() {
		if now.Sub(r.lastCut) >= admissionCutEvery {
			r.factor, r.lastCut = max(admissionFloor, r.factor/2), now
		}
	} else if r.factor < 1 {
		r.factor = min(1, r.factor+admissionRecoverPerSecond*queueRefresh.Seconds())
	}
	// Steps of 5% keep the rate from changing at every tick.
	f := max(admissionFloor, math.Floor(r.factor*20)/20)
	return configured * f
}

// seal ranks the early arrivals and marks the queue sealed, opening
// admission. Safe to run on several gateways at once: each writes the same
// positions. This gateway remembers the positions it wrote.
func (r *queueRoom) seal(ctx context.Context) (queueRecord, error) {
	select {
	case r.sealing <- struct{}{}:
	case <-ctx.Done():
		return queueRecord{}, ctx.Err()
	}
	defer func() { <-r.sealing }()
	if rec, _ := r.snapshot(); rec.Sealed {
		return rec, nil
	}
	g, event := r.g, r.event
	prefix := queueEarlyPrefix(event)
	var position int64
	after := ""
	for {
		page, err := g.cfg.Store.Scan(ctx, prefix, after, ScanLimitMax)
		if err != nil {
			return queueRecord{}, err
		}
		for _, kv := range page {
			position++
			if position > earlyArrivalMax {
				return queueRecord{}, fmt.Errorf("waiting room of %s: more than %d early arrivals", event, earlyArrivalMax)
			}
			p, fan := position, string(kv.Value)
			entry, err := update(ctx, g.cfg.Store, queueEntryKey(event, fan), func(e *queueEntry, exists bool) (bool, error) {
				if !exists || e.Position != 0 || e.Seq != 0 {
					return false, nil
				}
				e.Position = p
				return true, nil
			})
			if err != nil {
				return queueRecord{}, err
			}
			if entry.Fan == fan {
				r.remember(fan, placeOf(entry, 0))
			}
		}
		if len(page) < ScanLimitMax {
			break
		}
		after = page[len(page)-1].Key
	}
	now := g.now()
	var version uint64
	rec, err := updateWith(ctx, queueKey(event, "config"),
		func(ctx context.Context, key string, v any) (uint64, error) {
			var err error
			version, err = getJSON(ctx, g.cfg.Store, key, v)
			return version, err
		},
		func(ctx context.Context, key string, expected uint64, v any) (uint64, error) {
			var err error
			version, err = casJSON(ctx, g.cfg.Store, key, expected, v)
			return version, err
		},
		func(rec *queueRecord, exists bool) (bool, error) {
			if !exists {
				return false, problem(ErrMissing, "event "+event+" has no waiting room")
			}
			if rec.Sealed {
				return false, nil
			}
			rec.Sealed, rec.EarlyCount = true, position
			start := rec.OnSaleAt.Add(sealGrace)
			rec.Admission = admissionState{AsOf: start, Until: start}.advance(now, r.desiredRate(rec.AdmitPerSecond), g.id)
			return true, nil
		})
	if err != nil {
		return rec, err
	}
	r.set(rec, version)
	r.noteLength(position)
	return rec, nil
}

// queueConfig is event's waiting-room configuration (ErrNotFound: none),
// from memory when this gateway serves the room.
func (g *Gateway) queueConfig(ctx context.Context, event string) (queueConfig, uint64, error) {
	if r, ok := g.loadedRoom(event); ok {
		rec, v := r.snapshot()
		return rec.queueConfig, v, nil
	}
	var rec queueRecord
	v, err := getJSON(ctx, g.cfg.Store, queueKey(event, "config"), &rec)
	return rec.queueConfig, v, err
}

// configureQueue puts an event in queue mode (organizer).
func (g *Gateway) configureQueue(c *call) (int, any, error) {
	event := c.r.PathValue("event")
	var req queueConfigRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if req.AdmitPerSecond <= 0 || req.AdmitPerSecond > 100_000 {
		return 0, nil, problem(ErrInvalid, fmt.Sprintf("admit_per_second %v: want (0, 100000]", req.AdmitPerSecond))
	}
	if req.OnSaleAt.IsZero() {
		return 0, nil, problem(ErrInvalid, "on_sale_at is required (RFC 3339)")
	}
	if _, err := g.cfg.Inventory.GetEvent(c.ctx, eventRequest(event)); err != nil {
		return 0, nil, err
	}
	rec, err := update(c.ctx, g.cfg.Store, queueKey(event, "config"), func(rec *queueRecord, exists bool) (bool, error) {
		if rec.Sealed && !rec.OnSaleAt.Equal(req.OnSaleAt) {
			return false, problem(ErrConflict, "the on-sale has started: only admit_per_second may change")
		}
		rec.OnSaleAt, rec.AdmitPerSecond = req.OnSaleAt.UTC(), req.AdmitPerSecond
		return true, nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rec.queueConfig, nil
}

// joinedRoom is room for a fan's request: a missing waiting room is a 404
// problem.
func (g *Gateway) joinedRoom(ctx context.Context, event, missing string) (*queueRoom, error) {
	r, err := g.room(ctx, event)
	if errors.Is(err, ErrNotFound) {
		return nil, problem(ErrMissing, "event "+event+missing)
	}
	return r, err
}

// joinQueue enters the caller in the waiting room (idempotent per fan, so
// it takes no Idempotency-Key). After the on-sale it costs one Batch; a
// rejoin costs nothing on a gateway that remembers the fan, and one Batch
// elsewhere (the store's dedup answers the first seq).
func (g *Gateway) joinQueue(c *call) (int, any, error) {
	event := c.r.PathValue("event")
	r, err := g.joinedRoom(c.ctx, event, " has no waiting room: hold directly")
	if err != nil {
		return 0, nil, err
	}
	g.prepareEvent(event)
	if _, ok := r.cached(c.subject); !ok {
		if err := r.join(c.ctx, c.subject); err != nil {
			return 0, nil, err
		}
	}
	st, err := g.queuePosition(c.ctx, event, c.subject, "")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, st, nil
}

// errJoinedBefore: the join Batch found fan's mark, and the store's dedup
// no longer knows the seq that Batch drew (or the fan arrived early).
var errJoinedBefore = errors.New("joined before")

// join finds or makes fan's place and remembers it. Before the on-sale it
// writes the fan's entry (with a random rank), then the rank and the mark
// in one Batch; after it, one Batch draws the next seq and marks the fan.
func (r *queueRoom) join(ctx context.Context, fan string) error {
	g, event := r.g, r.event
	now := g.now()
	rec, _ := r.snapshot()
	if rec.Sealed || !now.Before(rec.OnSaleAt) {
		seq, err := r.drawSeq(ctx, fan)
		if errors.Is(err, errJoinedBefore) {
			p, err := r.storedPlace(ctx, fan, true)
			if err != nil {
				return err
			}
			r.remember(fan, p)
			return nil
		} else if err != nil {
			return err
		}
		r.noteLength(rec.EarlyCount + seq)
		r.remember(fan, fanPlace{seq: seq, joinedAt: now})
		return nil
	}
	entryKey := queueEntryKey(event, fan)
	entry := queueEntry{Fan: fan, JoinedAt: now, Rank: randomHex(8)}
	version, err := casJSON(ctx, g.cfg.Store, entryKey, 0, &entry)
	if errors.Is(err, ErrVersionMismatch) {
		// A rejoin: the first place stands.
		entry = queueEntry{}
		version, err = getJSON(ctx, g.cfg.Store, entryKey, &entry)
	}
	if err != nil {
		return err
	}
	if entry.Rank != "" && entry.Position == 0 && entry.Seq == 0 && !rec.Sealed {
		// Written after the entry, so a retry of a join that died in
		// between writes them then; the mark stops a late join Batch of
		// this fan from drawing a seq.
		_, err := g.cfg.Store.Batch(ctx, "", []Op{
			{Kind: OpPut, Key: queueEarlyPrefix(event) + entry.Rank, Value: []byte(fan)},
			{Kind: OpPut, Key: queueMarkKey(event, fan), Expected: AnyVersion, Value: []byte(markEarly)},
		})
		if err != nil && !errors.Is(err, ErrVersionMismatch) {
			return err
		}
	}
	r.remember(fan, placeOf(entry, version))
	return nil
}

// drawSeq is the late join's one call: a Batch, with a request id derived
// from the event and the fan, that adds one to the seq counter and marks
// the fan. A retry, or a rejoin on any gateway, within the store's dedup
// window (an hour on the cluster) gets the same answer, so the same seq.
// The mark refuses a Batch the dedup has forgotten: errJoinedBefore.
func (r *queueRoom) drawSeq(ctx context.Context, fan string) (int64, error) {
	res, err := r.g.cfg.Store.Batch(ctx, queueJoinRequestID(r.event, fan), []Op{
		{Kind: OpAdd, Key: queueSeqKey(r.event), Delta: 1, Min: 0, Max: math.MaxInt64},
		{Kind: OpPut, Key: queueMarkKey(r.event, fan), Expected: 0, Value: []byte(markLate)},
	})
	if errors.Is(err, ErrVersionMismatch) {
		return 0, errJoinedBefore
	} else if err != nil {
		return 0, err
	}
	return res[0].Value, nil
}

// storedPlace reads fan's place from the store: the fan's entry (early
// arrivals, and every fan once admitted), else the join mark: a seq
// recorded in it, or the one the join Batch drew (drawSeq again, unless
// tried says the caller just did). A fan without either has not joined.
// A late fan whose seq the dedup has forgotten gets the next one, at the
// back of the queue, recorded in the mark (seqAgain).
func (r *queueRoom) storedPlace(ctx context.Context, fan string, tried bool) (fanPlace, error) {
	s := r.g.cfg.Store
	var entry queueEntry
	version, err := getJSON(ctx, s, queueEntryKey(r.event, fan), &entry)
	if err == nil {
		return placeOf(entry, version), nil
	} else if !errors.Is(err, ErrNotFound) {
		return fanPlace{}, err
	}
	raw, markVersion, err := s.Get(ctx, queueMarkKey(r.event, fan))
	if errors.Is(err, ErrNotFound) {
		return fanPlace{}, problem(ErrMissing, "join the waiting room first")
	} else if err != nil {
		return fanPlace{}, err
	}
	if seq, err := strconv.ParseInt(string(raw), 10, 64); err == nil && seq > 0 {
		return fanPlace{seq: seq}, nil
	}
	if !tried {
		seq, err := r.drawSeq(ctx, fan)
		if err == nil {
			return fanPlace{seq: seq}, nil
		} else if !errors.Is(err, errJoinedBefore) {
			return fanPlace{}, err
		}
	}
	return r.seqAgain(ctx, fan, markVersion)
}

// seqAgain gives fan the next seq and records it in the fan's mark (read
// at markVersion); a concurrent seqAgain that recorded first wins, and
// this one's seq is a gap that admission passes over.
func (r *queueRoom) seqAgain(ctx context.Context, fan string, markVersion uint64) (fanPlace, error) {
	s := r.g.cfg.Store
	seq, err := s.Add(ctx, queueSeqKey(r.event), 1, 0, math.MaxInt64)
	if err != nil {
		return fanPlace{}, err
	}
	markKey := queueMarkKey(r.event, fan)
	if _, err := s.CompareAndSwap(ctx, markKey, markVersion, []byte(strconv.FormatInt(seq, 10))); errors.Is(err, ErrVersionMismatch) {
		raw, _, err := s.Get(ctx, markKey)
		if err != nil {
			return fanPlace{}, err
		}
		if seq, err = strconv.ParseInt(string(raw), 10, 64); err != nil || seq <= 0 {
			return fanPlace{}, fmt.Errorf("%w: the join mark of %s changed under a rejoin", ErrBusy, fan)
		}
	} else if err != nil {
		return fanPlace{}, err
	}
	return fanPlace{seq: seq}, nil
}

// queueStreamMax ends a queue stream after this long; the client's
// EventSource reconnects (after the retry the stream announces) and gets a
// fresh one, so no connection pins a gateway for ever.
const queueStreamMax = 30 * time.Minute

// queueStream is GET .../waiting-room/me/stream: the caller's queueStatus
// as Server-Sent Events. Every QueueStreamInterval it computes the status
// from the gateway's memory of the waiting room (no store call per fan
// per tick; the room's loop keeps it fresh) and sends a "data:" line of
// queueStatus JSON whenever the state, the position or the admitted count
// changes. The event that carries the admission token (state "admitted")
// or says the window has passed ("expired") is the last; the server then
// closes the stream. A fan who has not joined gets a 404 problem instead
// of a stream.
func (g *Gateway) queueStream(c *call) (int, any, error) {
	event := c.r.PathValue("event")
	release, err := g.streams.acquire(c.subject) // Config.StreamsPerFan
	if err != nil {
		return 0, nil, err
	}
	defer release()
	ticket := c.r.Header.Get(queueTicketHeader)
	st, err := g.queuePosition(c.ctx, event, c.subject, ticket)
	if err != nil {
		return 0, nil, err
	}
	flusher, ok := c.w.(http.Flusher)
	if !ok {
		return 0, nil, errors.New("streaming unsupported by this connection")
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store") // the last event carries the admission token
	h.Set("X-Accel-Buffering", "no")
	c.w.WriteHeader(http.StatusOK)
	fmt.Fprint(c.w, ": waiting room of "+event+"\nretry: 2000\n\n")
	flusher.Flush()

	poll := time.NewTicker(g.cfg.QueueStreamInterval)
	defer poll.Stop()
	heartbeat := time.NewTicker(sseHeartbeat)
	defer heartbeat.Stop()
	end := time.NewTimer(queueStreamMax)
	defer end.Stop()
	var sent queueStatus // State "" until the first event
	for {
		if sent.State == "" || sent.State != st.State || sent.Position != st.Position || sent.AdmittedCount != st.AdmittedCount {
			data, _ := json.Marshal(st)
			if _, err := fmt.Fprintf(c.w, "data: %s\n\n", data); err != nil {
				return 0, nil, nil // the client went away
			}
			flusher.Flush()
			sent = st
		}
		if st.State == "admitted" || st.State == "expired" {
			return 0, nil, nil
		}
		select {
		case <-c.ctx.Done():
			return 0, nil, nil
		case <-end.C:
			return 0, nil, nil
		case <-heartbeat.C:
			fmt.Fprint(c.w, ": heartbeat\n\n")
			flusher.Flush()
		case <-poll.C:
			next, err := g.queuePosition(c.ctx, event, c.subject, ticket)
			if err != nil {
				if c.ctx.Err() == nil {
					g.cfg.Logger.Warn("queue stream: computing the position failed", "event", event, "err", err)
				}
				// Transient: the next tick tries again; the client sees
				// only the heartbeat meanwhile.
				continue
			}
			st = next
		}
	}
}

func (g *Gateway) queueStatus(c *call) (int, any, error) {
	st, err := g.queuePosition(c.ctx, c.r.PathValue("event"), c.subject, c.r.Header.Get(queueTicketHeader))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, st, nil
}

// place finds fan's place: this gateway's memory, else the queue ticket,
// else the store (storedPlace: the fan's entry, else the join mark and the
// join Batch's answer). An early arrival the ranking has passed over
// without this gateway learning its position is read again.
func (r *queueRoom) place(ctx context.Context, fan, ticket string, sealed bool) (fanPlace, error) {
	p, ok := r.cached(fan)
	if !ok {
		p, ok = r.g.readQueueTicket(ticket, fan, r.event)
	}
	if ok && (!sealed || p.positionIn(0) > 0 || p.rank == "") {
		if p.ticket == ticket && ticket != "" {
			r.remember(fan, p)
		}
		return p, nil
	}
	p, err := r.storedPlace(ctx, fan, false)
	if err != nil {
		return fanPlace{}, err
	}
	r.remember(fan, p)
	return p, nil
}

// queuePosition reports fan's place from memory, with an admission token
// once admitted. It calls the store only to rank the early arrivals (once
// per event), to learn a place this gateway has not seen (once per fan),
// and to record a fan's first admission.
func (g *Gateway) queuePosition(ctx context.Context, event, fan, ticket string) (st queueStatus, err error) {
	r, err := g.joinedRoom(ctx, event, " has no waiting room")
	if err != nil {
		return queueStatus{}, err
	}
	r.touch()
	now := g.now()
	rec, _ := r.snapshot()
	p, err := r.place(ctx, fan, ticket, rec.Sealed)
	if err != nil {
		return queueStatus{}, err
	}
	st = queueStatus{EventID: event, State: "before_sale"}
	defer func() { st.QueueTicket = r.ticket(fan, p) }()
	if now.Before(rec.OnSaleAt.Add(sealGrace)) {
		return st, nil
	}
	if !rec.Sealed {
		if rec, err = r.seal(ctx); err != nil {
			return st, err
		}
		if p, err = r.place(ctx, fan, "", true); err != nil {
			return st, err
		}
	}
	position := p.positionIn(rec.EarlyCount)
	if position == 0 {
		// An early arrival whose rank entry was written too late to be
		// ranked: next in FIFO order.
		if p, err = r.rankLate(ctx, fan); err != nil {
			return st, err
		}
		position = p.positionIn(rec.EarlyCount)
	}
	admitted := rec.Admission.at(now)
	r.mu.Lock()
	length := max(r.length, position)
	r.mu.Unlock()
	st.Position, st.AdmittedCount, st.QueueLength, st.State = position, admitted, length, "waiting"
	if position > admitted {
		if rate := rec.Admission.Rate; rate > 0 {
			st.EstimatedWaitSecs = int64(math.Ceil(float64(position-admitted) / rate))
		}
		return st, nil
	}
	if p.admittedAt.IsZero() {
		if p, err = r.admit(ctx, fan, p, position, now); err != nil {
			return st, err
		}
	}
	// The admission window opens once; a fan who lets it pass must queue
	// again under a new identity, as at a box office.
	if now.After(p.admittedAt.Add(g.cfg.AdmissionTokenTTL)) {
		st.State = "expired"
		return st, nil
	}
	tok, _, err := g.issueAdmission(fan, event)
	if err != nil {
		return st, err
	}
	windowEnd := p.admittedAt.Add(g.cfg.AdmissionTokenTTL).UTC()
	st.State, st.AdmissionToken, st.AdmissionExpiresAt = "admitted", tok, &windowEnd
	return st, nil
}

// ticket is the signed ticket of fan's place, made once per place.
func (r *queueRoom) ticket(fan string, p fanPlace) string {
	if p.ticket != "" {
		return p.ticket
	}
	tok, err := r.g.signQueueTicket(fan, r.event, p)
	if err != nil {
		return ""
	}
	p.ticket = tok
	r.remember(fan, p)
	return tok
}

// rankLate gives an early arrival the ranking missed the next seq.
func (r *queueRoom) rankLate(ctx context.Context, fan string) (fanPlace, error) {
	g := r.g
	fanKey := queueEntryKey(r.event, fan)
	seq, err := g.cfg.Store.Add(ctx, queueSeqKey(r.event), 1, 0, math.MaxInt64)
	if err != nil {
		return fanPlace{}, err
	}
	entry, err := update(ctx, g.cfg.Store, fanKey, func(e *queueEntry, exists bool) (bool, error) {
		if !exists {
			return false, problem(ErrMissing, "join the waiting room first")
		}
		if e.Position != 0 || e.Seq != 0 {
			return false, nil // another poll won; this seq is a harmless gap
		}
		e.Seq = seq
		return true, nil
	})
	if err != nil {
		return fanPlace{}, err
	}
	p := placeOf(entry, 0)
	r.remember(fan, p)
	return p, nil
}

// admit records fan's first admission, which opens the admission window,
// and queues the queue.admitted notification, in one Batch in the fan's
// placement: the fan's entry (a late arrival's is created here: expected
// version 0) with admitted_at, and the outbox entry. Only the Batch that
// sets admitted_at queues the notification, so it is queued once. A
// refusal means another gateway (or an earlier request that timed out)
// admitted the fan, or the entry changed: it is read, and its admitted_at
// stands.
func (r *queueRoom) admit(ctx context.Context, fan string, p fanPlace, position int64, now time.Time) (fanPlace, error) {
	g := r.g
	key := queueEntryKey(r.event, fan)
	entry := queueEntry{Fan: fan, Rank: p.rank, Seq: p.seq, Position: position, JoinedAt: p.joinedAt, AdmittedAt: now}
	expected := p.version
	for range casRetriesMax {
		put, err := putOp(key, expected, &entry)
		if err != nil {
			return fanPlace{}, err
		}
		notice, err := g.notification("queue.admitted", fan, r.event, "queue-admitted/"+r.event+"/"+fan, now, map[string]any{"position": position})
		if err != nil {
			return fanPlace{}, err
		}
		res, err := g.cfg.Store.Batch(ctx, "", []Op{put, notice})
		if err == nil {
			p := placeOf(entry, res[0].Version)
			r.remember(fan, p)
			return p, nil
		} else if !errors.Is(err, ErrVersionMismatch) {
			return fanPlace{}, err
		}
		var stored queueEntry
		version, err := getJSON(ctx, g.cfg.Store, key, &stored)
		switch {
		case errors.Is(err, ErrNotFound):
			expected = 0
		case err != nil:
			return fanPlace{}, err
		case !stored.AdmittedAt.IsZero():
			p := placeOf(stored, version)
			r.remember(fan, p)
			return p, nil
		default:
			// An early arrival's entry at a version this gateway did
			// not know: admit it as stored.
			entry, expected = stored, version
			entry.Position, entry.AdmittedAt = position, now
		}
	}
	return fanPlace{}, fmt.Errorf("%w: the waiting-room entry of %s changed %d times in a row", ErrBusy, fan, casRetriesMax)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
