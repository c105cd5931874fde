package jepsen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Workload limits.
const (
	// holdTTL is the time to live of most holds: far beyond any run, so
	// they never expire in it.
	holdTTL = time.Hour
	// A hold in shortHoldShare gets a TTL of shortTTLMin..shortTTLMax
	// instead (the nodes sweep every 200ms). Most are sold or released
	// within milliseconds anyway; one in lateHoldShare of them is left
	// alone until it has expired, and only then sold or released, as a
	// fan coming back to a cart that timed out (see lateness).
	shortHoldShare = 4
	shortTTLMin    = time.Second
	shortTTLMax    = 3 * time.Second
	lateHoldShare  = 2
	// lateSlackMax: a late hold is due this much at most after the time
	// it is certainly expired from (MarkCertainExpiry's bound), so that
	// its sale comes soon after, often before the sweep (every 200 ms)
	// has removed it. A client whose late hold is due within lateWaitMax
	// waits for it rather than start another operation.
	lateSlackMax = 50 * time.Millisecond
	lateWaitMax  = 50 * time.Millisecond
	// One in worstLateShare of the late holds waits for the worst-case
	// bound instead (both clock offsets at their largest), which is
	// certainly late under any fault schedule.
	worstLateShare     = 3
	holdsPerClientMax  = 3
	ordersPerClientMax = 4
	poolID             = "GA"
	poolCapacity       = 20
	retryPause         = 50 * time.Millisecond
)

// Mix weighs the operation kinds a client picks from. A kind that cannot
// run (a sell with no hold) falls back to a hold.
type Mix struct {
	Hold, HoldBest, HoldGA, Sell, Release, Refund, Read int
}

// DefaultMix keeps seats moving: holds are sold or released, sales are
// refunded, and about a fifth of operations read.
var DefaultMix = Mix{Hold: 30, HoldBest: 8, HoldGA: 5, Sell: 17, Release: 12, Refund: 10, Read: 22}

// clientPlan says which nodes a client talks to, what it does and where.
type clientPlan struct {
	nodes    []int // tried in turn, starting at a random one
	mix      Mix
	sections []string
	pause    time.Duration // between operations (read-only clients of a fast node)
}

// event is the layout of the contended event.
type event struct {
	id       string
	sections []string
	rows     map[string][][]string // section -> rows -> seat ids
}

type heldHold struct {
	holdID, holder string
	seats          []string
	quantity       int
	// due: a late hold is not sold or released before this; lateness
	// says which kind of late hold it is.
	due      time.Time
	lateness lateness
	// returned and ttlMs: the hold's return (ns since the start of the
	// run) and its TTL, carried on its sale or release (Op.HoldReturn).
	returned, ttlMs int64
}

// lateness is how long a short hold is left alone before its client
// sells or releases it: not (sold or released whenever picked), until
// it is certainly expired away from clock faults, or until it is
// certainly expired whatever the clock faults. A client has at most one
// late hold of each kind waiting.
type lateness int

const (
	notLate lateness = iota
	lateAfterTTL
	lateWorstCase
)

type order struct {
	id       string
	seats    []string
	quantity int
	tickets  []string // ticket ids from the Sell's answer; a Refund names them
}

type workload struct {
	cfg     *Config
	cluster *cluster
	event   event
	start   time.Time
	plans   func(client int) clientPlan

	mu      sync.Mutex
	history []Op
	nextID  int
	// unknown holds, for every mutation whose outcome is unknown, the
	// function that sends its request again (same request id, same body).
	unknown []pendingMutation
	retries RetryResult
}

// RetryResult counts the duplicate retries of acknowledged mutations:
// during traffic, a share of the mutations answered OK are sent once
// more, same request id and same body, to a random node of the client,
// and the answer must be the first answer, field for field (the state
// machine remembers it; a leader may have changed in between). A retry
// that gets no definite answer (a fault) is not compared; a refusal is a
// mismatch. A run that compared none proves nothing and does not pass.
type RetryResult struct {
	Compared, Mismatches int
	Mismatched           []string // the first few, described
}

// retryShare is the share of acknowledged mutations retried (1 in n).
const retryShare = 4

// sendFunc sends one attempt of an operation's request to inv and writes
// what the answer teaches (hold id, seats obtained, a read) into op. It is
// built once per operation, so every attempt and every re-send after
// healing carries the same request id and the same body.
type sendFunc func(ctx context.Context, inv boxofficev1.InventoryClient, op *Op) error

// pendingMutation is a mutation that ended with an unknown outcome: the
// index of its Op in history and how to send it again.
type pendingMutation struct {
	index int
	send  sendFunc
}

func (w *workload) record(op Op, send sendFunc) {
	w.mu.Lock()
	op.ID = w.nextID
	w.nextID++
	w.history = append(w.history, op)
	if op.Outcome == OutcomeInfo && op.Kind != KindRead {
		w.unknown = append(w.unknown, pendingMutation{index: op.ID, send: send})
	}
	w.mu.Unlock()
}

func (w *workload) now() int64 { return int64(time.Since(w.start)) }

// run drives every client until ctx ends; operations in flight finish
// (bounded by attempts × timeout) unless abort ends first.
func (w *workload) run(ctx, abort context.Context) {
	var wg sync.WaitGroup
	for c := range w.cfg.Clients {
		wg.Go(func() { w.client(ctx, abort, c) })
	}
	wg.Wait()
}

type clientState struct {
	id     int
	rng    *rand.Rand
	plan   clientPlan
	seq    int
	holds  []heldHold
	orders []order
}

func (w *workload) client(ctx, abort context.Context, id int) {
	cs := &clientState{id: id, rng: rand.New(rand.NewPCG(uint64(w.cfg.Seed), uint64(id)+1)), plan: w.plans(id)}
	for ctx.Err() == nil && abort.Err() == nil {
		w.step(abort, cs)
		if cs.plan.pause > 0 {
			sleepCtx(ctx, cs.plan.pause)
		}
	}
}

func (m Mix) pick(rng *rand.Rand) string {
	kinds := []struct {
		kind   string
		weight int
	}{{KindHold, m.Hold}, {KindHoldBest, m.HoldBest}, {KindHoldGA, m.HoldGA}, {KindSell, m.Sell},
		{KindRelease, m.Release}, {KindRefund, m.Refund}, {KindRead, m.Read}}
	total := 0
	for _, k := range kinds {
		total += k.weight
	}
	if total == 0 {
		return KindRead
	}
	r := rng.IntN(total)
	for _, k := range kinds {
		if r < k.weight {
			return k.kind
		}
		r -= k.weight
	}
	return KindRead
}

// dueHolds lists the indexes of the holds that may be sold or released
// now (a late hold only once it is due).
func (cs *clientState) dueHolds(now time.Time) []int {
	var due []int
	for i, h := range cs.holds {
		if !now.Before(h.due) {
			due = append(due, i)
		}
	}
	return due
}

// lateHoldWaiting reports whether one of the client's holds is late
// with lateness l.
func (cs *clientState) lateHoldWaiting(l lateness) bool {
	for _, h := range cs.holds {
		if h.lateness == l {
			return true
		}
	}
	return false
}

// lateHoldDue returns the index of a late hold that is due, or -1: a
// client sells or releases it before anything else, so that the sale
// comes soon after the hold certainly expired. A late hold due within
// lateWaitMax is waited for.
func (cs *clientState) lateHoldDue(now time.Time) int {
	for i, h := range cs.holds {
		if h.lateness == notLate {
			continue
		}
		if wait := h.due.Sub(now); wait <= lateWaitMax {
			if wait > 0 {
				time.Sleep(wait)
			}
			return i
		}
	}
	return -1
}

func (w *workload) step(abort context.Context, cs *clientState) {
	kind := cs.plan.mix.pick(cs.rng)
	now := time.Now()
	due := cs.dueHolds(now)
	if k := cs.lateHoldDue(now); k >= 0 && cs.plan.mix.Sell+cs.plan.mix.Release > 0 {
		due = []int{k}
		kind = KindSell
		if cs.rng.IntN(cs.plan.mix.Sell+cs.plan.mix.Release) < cs.plan.mix.Release || len(cs.orders) >= ordersPerClientMax {
			kind = KindRelease
		}
	}
	switch {
	case (kind == KindSell || kind == KindRelease) && len(due) == 0,
		kind == KindRefund && len(cs.orders) == 0:
		kind = KindHold
	}
	if (kind == KindHold || kind == KindHoldBest || kind == KindHoldGA) && len(cs.holds) >= holdsPerClientMax {
		kind = KindRelease
		if len(due) == 0 { // every hold is a late one, not due yet
			kind = KindRead
		}
	}
	if kind == KindSell && len(cs.orders) >= ordersPerClientMax {
		kind = KindRefund
	}
	cs.seq++
	tag := fmt.Sprintf("c%d-%d", cs.id, cs.seq)
	op := Op{Client: cs.id, Kind: kind, RequestID: tag + "-req"}
	section := cs.plan.sections[cs.rng.IntN(len(cs.plan.sections))]
	eventID := w.event.id
	var send sendFunc
	var soldTickets []string // a Sell's answer, kept with its order for a Refund
	var answer proto.Message // the last answer of a mutation (compareRetry)

	switch kind {
	case KindHold, KindHoldBest, KindHoldGA:
		op.Holder = "h" + tag
		op.TTLMs = holdTTL.Milliseconds()
		if cs.rng.IntN(shortHoldShare) == 0 {
			op.TTLMs = shortTTLMin.Milliseconds() + cs.rng.Int64N((shortTTLMax-shortTTLMin).Milliseconds()+1)
		}
		req := &boxofficev1.HoldRequest{RequestId: op.RequestID, EventId: eventID, Holder: op.Holder, TtlMs: op.TTLMs}
		switch kind {
		case KindHold:
			op.Section = section
			rows := w.event.rows[section]
			row := rows[cs.rng.IntN(len(rows))]
			n := 1 + cs.rng.IntN(2)
			first := cs.rng.IntN(len(row) - n + 1)
			op.Seats = append([]string(nil), row[first:first+n]...)
			req.Selection = &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: op.Seats}}
		case KindHoldBest:
			op.Section, op.Quantity = section, 1+cs.rng.IntN(2)
			req.Selection = &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: uint32(op.Quantity), SectionId: section, AllowSplitRows: true, AllowAcrossAisle: true}}
		case KindHoldGA:
			op.Quantity = 1 + cs.rng.IntN(3)
			req.Selection = &boxofficev1.HoldRequest_GeneralAdmission{GeneralAdmission: &boxofficev1.GeneralAdmission{PoolId: poolID, Quantity: uint32(op.Quantity)}}
		}
		send = func(ctx context.Context, inv boxofficev1.InventoryClient, op *Op) error {
			resp, err := inv.Hold(ctx, req)
			answer = resp
			if err == nil {
				op.HoldID = resp.GetHoldId()
				if kind == KindHoldBest {
					op.Seats = resp.GetSeatIds()
				}
			}
			if kind == KindHoldBest && op.Quantity == 1 && boxofficev1.ReasonOf(err) == boxofficev1.ReasonNotEnoughSeats {
				// Not one seat of the section was free: each seat's
				// history must allow it (leaders answer these refusals
				// from their state after a read barrier, not the log).
				for _, row := range w.event.rows[op.Section] {
					op.Unavailable = append(op.Unavailable, row...)
				}
			}
			return err
		}
	case KindSell, KindRelease:
		k := due[cs.rng.IntN(len(due))]
		h := cs.holds[k]
		cs.holds = append(cs.holds[:k], cs.holds[k+1:]...)
		op.Holder, op.HoldID, op.Seats, op.Quantity = h.holder, h.holdID, h.seats, h.quantity
		op.HoldReturn, op.HoldTTLMs = h.returned, h.ttlMs
		if kind == KindSell {
			op.Order = "o" + tag
			req := &boxofficev1.SellRequest{RequestId: op.RequestID, EventId: eventID, HoldId: h.holdID, Holder: h.holder, OrderId: op.Order, Buyer: "b" + tag}
			send = func(ctx context.Context, inv boxofficev1.InventoryClient, _ *Op) error {
				resp, err := inv.Sell(ctx, req)
				answer = resp
				soldTickets = nil
				for _, t := range resp.GetTickets() {
					soldTickets = append(soldTickets, t.GetTicketId())
				}
				return err
			}
		} else {
			req := &boxofficev1.ReleaseRequest{RequestId: op.RequestID, EventId: eventID, HoldId: h.holdID, Holder: h.holder}
			send = func(ctx context.Context, inv boxofficev1.InventoryClient, _ *Op) error {
				resp, err := inv.Release(ctx, req)
				answer = resp
				return err
			}
		}
	case KindRefund:
		k := cs.rng.IntN(len(cs.orders))
		o := cs.orders[k]
		cs.orders = append(cs.orders[:k], cs.orders[k+1:]...)
		op.Order, op.Seats, op.Quantity = o.id, o.seats, o.quantity
		req := &boxofficev1.RefundRequest{RequestId: op.RequestID, EventId: eventID, OrderId: o.id, TicketIds: o.tickets}
		send = func(ctx context.Context, inv boxofficev1.InventoryClient, _ *Op) error {
			resp, err := inv.Refund(ctx, req)
			answer = resp
			return err
		}
	case KindRead:
		op.RequestID = ""
		op.Section = section
		req := &boxofficev1.GetSeatMapRequest{EventId: eventID, Consistency: boxofficev1.ReadConsistency_READ_CONSISTENCY_LINEARIZABLE, SectionIds: []string{section}}
		send = func(ctx context.Context, inv boxofficev1.InventoryClient, op *Op) error {
			m, err := inv.GetSeatMap(ctx, req)
			if err == nil {
				op.Read = seatViews(m, section)
				if len(op.Read) == 0 {
					return status.Errorf(codes.Internal, "jepsen: seat map has no section %s", section)
				}
			}
			return err
		}
	}

	w.invoke(abort, cs, &op, send)
	w.record(op, send)

	if op.Outcome != OutcomeOK {
		return
	}
	switch kind {
	case KindHold, KindHoldBest, KindHoldGA:
		h := heldHold{holdID: op.HoldID, holder: op.Holder, seats: op.Seats, returned: op.Return, ttlMs: op.TTLMs}
		if kind == KindHoldGA {
			h.quantity = op.Quantity // Quantity of a best-available hold is seats, not units
		}
		if op.TTLMs < holdTTL.Milliseconds() && cs.rng.IntN(lateHoldShare) == 0 {
			l, from := lateAfterTTL, op.Return+op.TTLMs*int64(time.Millisecond)+int64(expiryCertainMargin)
			if cs.rng.IntN(worstLateShare) == 0 {
				l, from = lateWorstCase, certainExpiryWorstCase(op.Return, op.TTLMs, w.cfg.ClockOffsetMax)
			}
			if !cs.lateHoldWaiting(l) {
				h.lateness = l
				h.due = w.start.Add(time.Duration(from) + time.Duration(cs.rng.Int64N(int64(lateSlackMax))))
			}
		}
		cs.holds = append(cs.holds, h)
	case KindSell:
		cs.orders = append(cs.orders, order{id: op.Order, seats: op.Seats, quantity: op.Quantity, tickets: soldTickets})
	}
	if cs.rng.IntN(retryShare) == 0 {
		first := answer
		w.compareRetry(abort, cs, op, send, first, func() proto.Message { return answer })
	}
}

// compareRetry sends an acknowledged mutation once more (its sendFunc:
// same request id, same body) to a random node of the client and
// compares the answer with the first (see RetryResult). It works on a
// copy of op: nothing it learns enters the history.
func (w *workload) compareRetry(abort context.Context, cs *clientState, op Op, send sendFunc, first proto.Message, last func() proto.Message) {
	n := w.cluster.avoidIsolated(cs.plan.nodes, cs.plan.nodes[cs.rng.IntN(len(cs.plan.nodes))])
	ctx, cancel := context.WithTimeout(abort, w.cfg.OpTimeout)
	err := send(ctx, w.cluster.inventory(n), &op)
	cancel()
	mismatch := ""
	switch {
	case err == nil:
		if again := last(); !proto.Equal(again, first) {
			mismatch = fmt.Sprintf("%s %s: retry answered %v, first %v", op.Kind, op.RequestID, again, first)
		}
	case definite(err):
		mismatch = fmt.Sprintf("%s %s: retry refused %s %s (%s), first answered %v", op.Kind, op.RequestID,
			status.Code(err), boxofficev1.ReasonOf(err), status.Convert(err).Message(), first)
	default:
		return // no definite answer: not compared
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.retries.Compared++
	if mismatch != "" {
		w.retries.Mismatches++
		if len(w.retries.Mismatched) < 10 {
			w.retries.Mismatched = append(w.retries.Mismatched, mismatch)
		}
	}
}

// invoke sends op with up to cfg.Attempts attempts of cfg.OpTimeout,
// each on the next of the client's nodes, and sets the outcome.
func (w *workload) invoke(abort context.Context, cs *clientState, op *Op, send sendFunc) {
	nodes := cs.plan.nodes
	order := w.cluster.attemptOrder(op, nodes, cs.rng.IntN(len(nodes)))
	op.Node = w.cluster.nodes[order[0]-1].id
	op.Call = w.now()
	var err error
	for attempt := 0; attempt < w.cfg.Attempts; attempt++ {
		op.Attempts = attempt + 1
		ctx, cancel := context.WithTimeout(abort, w.cfg.OpTimeout)
		n := order[attempt%len(order)]
		inv := w.cluster.inventory(n)
		if cs.id%2 == 1 {
			// Half the clients send their mutations on Commands streams,
			// the path the Go client takes by default: a stream that
			// breaks under a fault leaves its commands unknown, as a
			// unary call that times out does. Re-sends after healing
			// (resend.go) go unary: one request id over both paths.
			inv = w.cluster.streamInventory(n)
		}
		err = send(ctx, inv, op)
		cancel()
		if err == nil || definite(err) || abort.Err() != nil {
			break
		}
		time.Sleep(retryPause)
	}
	end := w.now()
	op.LatencyNs = end - op.Call
	switch {
	case err == nil:
		op.Outcome, op.Return = OutcomeOK, end
	case definite(err):
		op.Outcome, op.Return = OutcomeFail, end
	case op.Kind == KindRead: // a read that did not answer changed nothing
		op.Outcome, op.Return = OutcomeFail, end
	default:
		op.Outcome, op.Return = OutcomeInfo, -1
	}
	if err != nil {
		op.Code, op.Reason, op.Error = status.Code(err).String(), boxofficev1.ReasonOf(err), status.Convert(err).Message()
	}
}

// definite reports whether err is a refusal: the call certainly did not
// change anything (and retrying would get the same answer).
func definite(err error) bool {
	st, ok := status.FromError(err)
	if !ok || errors.Is(err, context.Canceled) {
		return false
	}
	switch st.Code() {
	case codes.Aborted, codes.NotFound, codes.FailedPrecondition, codes.PermissionDenied,
		codes.InvalidArgument, codes.AlreadyExists, codes.OutOfRange:
		return true
	case codes.ResourceExhausted:
		return boxofficev1.ReasonOf(err) != boxofficev1.ReasonBusy
	}
	return false
}

// seatViews extracts the seats of one section from a seat map.
func seatViews(m *boxofficev1.SeatMap, section string) []SeatView {
	var views []SeatView
	for _, s := range m.GetSections() {
		if s.GetId() != section {
			continue
		}
		for _, r := range s.GetRows() {
			for _, seat := range r.GetSeats() {
				views = append(views, seatView(seat))
			}
		}
	}
	return views
}

func seatView(seat *boxofficev1.Seat) SeatView {
	v := SeatView{Seat: seat.GetSeatId()}
	switch seat.GetState() {
	case boxofficev1.SeatState_SEAT_STATE_AVAILABLE:
		v.State = SeatAvailable
	case boxofficev1.SeatState_SEAT_STATE_HELD:
		v.State, v.Holder = SeatHeld, seat.GetHolder()
	case boxofficev1.SeatState_SEAT_STATE_SOLD:
		v.State, v.Order = SeatSold, seat.GetOrderId()
	default:
		v.State = seat.GetState().String()
	}
	return v
}
