package fsm

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"google.golang.org/protobuf/proto"
)

// harness applies commands one per entry, stamping request ids and time.
type harness struct {
	t     testing.TB
	s     *Store
	index uint64
	nowMs int64
	next  int
}

const startMs = 1_700_000_000_000

func newHarness(t testing.TB, opts Options) *harness {
	return &harness{t: t, s: New(opts), nowMs: startMs}
}

// apply applies c (filling an empty request id with a fresh one and a zero
// time with the harness clock) as one entry, through the encoded path.
func (h *harness) apply(c *fsmpb.Command) *fsmpb.Result {
	h.t.Helper()
	c = proto.Clone(c).(*fsmpb.Command)
	if c.RequestId == "" && c.Type != fsmpb.CommandType_COMMAND_TYPE_SWEEP {
		h.next++
		c.RequestId = "req-" + strconv.Itoa(h.next)
	}
	if c.NowUnixMs == 0 {
		c.NowUnixMs = h.nowMs
	}
	data, err := proto.Marshal(&fsmpb.Batch{Commands: []*fsmpb.Command{c}})
	if err != nil {
		h.t.Fatal(err)
	}
	h.index++
	res := h.s.Apply(h.index, data)
	if len(res) != 1 {
		h.t.Fatalf("got %d results for one command", len(res))
	}
	return res[0]
}

// mustOK applies c and fails the test unless it succeeds.
func (h *harness) mustOK(c *fsmpb.Command) *fsmpb.Result {
	h.t.Helper()
	r := h.apply(c)
	if r.Code != fsmpb.Code_CODE_OK {
		h.t.Fatalf("%v: got %v %q", c.Type, r.Code, r.Message)
	}
	return r
}

func (h *harness) advance(ms int64) { h.nowMs += ms }

func (h *harness) check() {
	h.t.Helper()
	if err := h.s.checkInvariants(); err != nil {
		h.t.Fatal(err)
	}
}

// ---------------------------------------------------------------- command builders

func createCmd(event string, shard uint32, sections []*fsmpb.Section, pools ...*fsmpb.GeneralAdmissionPool) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_CREATE_SHARD, Body: &fsmpb.Command_CreateShard{CreateShard: &fsmpb.CreateShard{
		Event: &fsmpb.EventConfig{
			EventId:    event,
			Name:       "Test event",
			PriceTiers: []*fsmpb.PriceTier{{Id: "A", PriceCents: 10000, Currency: "EUR"}, {Id: "B", PriceCents: 5000, Currency: "EUR"}},
		},
		Shard:    shard,
		Sections: sections,
		Pools:    pools,
	}}}
}

func holdSeatsCmd(holdID, holder string, seats ...string) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_HOLD, Body: &fsmpb.Command_Hold{Hold: &fsmpb.Hold{
		EventId: "ev", HoldId: holdID, Holder: holder, SeatIds: seats,
	}}}
}

func holdBestCmd(holdID, holder string, best *fsmpb.BestAvailable) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_HOLD, Body: &fsmpb.Command_Hold{Hold: &fsmpb.Hold{
		EventId: "ev", HoldId: holdID, Holder: holder, Best: best,
	}}}
}

func holdGACmd(holdID, holder, pool string, quantity uint32) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_HOLD, Body: &fsmpb.Command_Hold{Hold: &fsmpb.Hold{
		EventId: "ev", HoldId: holdID, Holder: holder, GeneralAdmission: &fsmpb.GeneralAdmission{PoolId: pool, Quantity: quantity},
	}}}
}

func extendCmd(holdID, holder string, ttlMs int64) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_EXTEND_HOLD, Body: &fsmpb.Command_ExtendHold{ExtendHold: &fsmpb.ExtendHold{
		EventId: "ev", HoldId: holdID, Holder: holder, TtlMs: ttlMs,
	}}}
}

func releaseCmd(holdID, holder string) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_RELEASE, Body: &fsmpb.Command_Release{Release: &fsmpb.Release{
		EventId: "ev", HoldId: holdID, Holder: holder,
	}}}
}

func pinCmd(holdID, holder string, untilMs int64) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_PIN_HOLD, Body: &fsmpb.Command_PinHold{PinHold: &fsmpb.PinHold{
		EventId: "ev", HoldId: holdID, Holder: holder, PinnedUntilMs: untilMs,
	}}}
}

func sellCmd(holdID, holder, orderID, buyer string) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_SELL, Body: &fsmpb.Command_Sell{Sell: &fsmpb.Sell{
		EventId: "ev", HoldId: holdID, Holder: holder, OrderId: orderID, Buyer: buyer,
	}}}
}

func refundCmd(orderID string, ticketIDs ...string) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_REFUND, Body: &fsmpb.Command_Refund{Refund: &fsmpb.Refund{
		EventId: "ev", OrderId: orderID, TicketIds: ticketIDs,
	}}}
}

func sweepCmd() *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_SWEEP, Body: &fsmpb.Command_Sweep{Sweep: &fsmpb.Sweep{}}}
}

// onShard retargets an event-addressed command at another shard.
func onShard(c *fsmpb.Command, shard uint32) *fsmpb.Command {
	c = proto.Clone(c).(*fsmpb.Command)
	switch b := c.Body.(type) {
	case *fsmpb.Command_Hold:
		b.Hold.Shard = shard
	case *fsmpb.Command_ExtendHold:
		b.ExtendHold.Shard = shard
	case *fsmpb.Command_Release:
		b.Release.Shard = shard
	case *fsmpb.Command_PinHold:
		b.PinHold.Shard = shard
	case *fsmpb.Command_Sell:
		b.Sell.Shard = shard
	case *fsmpb.Command_Refund:
		b.Refund.Shard = shard
	}
	return c
}

func withRequest(c *fsmpb.Command, requestID string) *fsmpb.Command {
	c = proto.Clone(c).(*fsmpb.Command)
	c.RequestId = requestID
	return c
}

// plainRow builds a row of n seats numbered from 1.
func plainRow(label string, n uint32) *fsmpb.Row { return &fsmpb.Row{Label: label, SeatCount: n} }

// testVenue: section S1 (tier A) rows A (10 seats, aisle after 5,
// accessible 1 and 10) and B (10 seats); section S2 (tier B) row A (6
// seats numbered 101..106); pool GA (5 units, tier B).
func testVenue() *fsmpb.Command {
	return createCmd("ev", 0, []*fsmpb.Section{
		{Id: "S1", Name: "Stalls", PriceTier: "A", Rows: []*fsmpb.Row{
			{Label: "A", SeatCount: 10, AisleAfter: []uint32{5}, Accessible: []uint32{1, 10}, RestrictedView: []uint32{2}},
			plainRow("B", 10),
		}},
		{Id: "S2", Name: "Circle", PriceTier: "B", Rows: []*fsmpb.Row{{Label: "A", SeatCount: 6, FirstNumber: 101}}},
	}, &fsmpb.GeneralAdmissionPool{Id: "GA", Name: "Standing", Capacity: 5, PriceTier: "B"})
}

func newTestStore(t testing.TB) *harness {
	h := newHarness(t, Options{})
	h.mustOK(testVenue())
	return h
}

// inventoryHash hashes the shards only (not the applied index, clock or
// dedup table, which every command with a request id moves): a refusal
// must leave it unchanged.
func inventoryHash(s *Store) [32]byte {
	snap := s.Snapshot()
	snap.appliedIndex, snap.clockMs, snap.dedup = 0, 0, dedupCapture{}
	return sha256.Sum256(snap.appendBody(nil, keepAll))
}

func seatState(t testing.TB, s *Store, shard uint32, id string) SeatInfo {
	t.Helper()
	m, err := s.SeatMap("ev", shard)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range m.Sections {
		for _, r := range sec.Rows {
			for _, st := range r.Seats {
				if st.ID == id {
					return st
				}
			}
		}
	}
	t.Fatalf("no seat %s", id)
	return SeatInfo{}
}

// ---------------------------------------------------------------- invariants

// checkInvariants verifies every derived counter and cross reference of
// the store against the primary data.
func (s *Store) checkInvariants() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.ordered) != len(s.shards) || !slices.IsSortedFunc(s.ordered, func(a, b shardKey) int {
		if a.less(b) {
			return -1
		}
		return 1
	}) {
		return fmt.Errorf("shard order broken")
	}
	if s.dedup.live > s.opts.DedupEntriesMax {
		return fmt.Errorf("dedup table has %d entries, max %d", s.dedup.live, s.opts.DedupEntriesMax)
	}
	if err := s.dedup.checkInvariants(); err != nil {
		return err
	}
	if len(s.dedup.capture().slots) != s.dedup.live {
		return fmt.Errorf("dedup FIFO misses live entries")
	}
	for _, key := range s.ordered {
		if err := s.shards[key].checkInvariants(); err != nil {
			return fmt.Errorf("event %q shard %d: %w", key.eventID, key.shard, err)
		}
	}
	return nil
}

func (sh *shard) checkInvariants() error {
	var avail, held, sold uint32
	for ri := range sh.rows {
		r := &sh.rows[ri]
		var ra, rh uint32
		for i := r.start; i < r.start+r.count; i++ {
			st := sh.seats[i]
			switch st.state {
			case seatAvailable:
				ra++
			case seatHeld:
				rh++
				if int(st.ref) >= len(sh.holds) || !sh.holds[st.ref].live || !slices.Contains(sh.holds[st.ref].seats, i) {
					return fmt.Errorf("seat %s held by a hold that does not list it", sh.seatID(i))
				}
			case seatSold:
				sold++
				if int(st.ref) >= len(sh.orders) || !sh.orders[st.ref].live ||
					!slices.ContainsFunc(sh.orders[st.ref].tickets, func(t orderTicket) bool { return t.seat == i && !t.isGeneralAdmission() }) {
					return fmt.Errorf("seat %s sold to an order that does not list it", sh.seatID(i))
				}
			default:
				return fmt.Errorf("seat %d state %d", i, st.state)
			}
		}
		if ra != r.available || rh != r.held {
			return fmt.Errorf("row %s counters %d/%d, counted %d/%d", r.idPrefix, r.available, r.held, ra, rh)
		}
		if r.summaryValid {
			saved := *r
			r.summaryValid = false
			sh.refreshSummary(r)
			if saved.maxRun != r.maxRun || saved.maxRunAcross != r.maxRunAcross || saved.runMask != r.runMask {
				return fmt.Errorf("row %s stale run summary", r.idPrefix)
			}
		}
		avail += ra
		held += rh
	}
	for si := range sh.sections {
		sec := &sh.sections[si]
		var a uint32
		for ri := sec.firstRow; ri < sec.firstRow+sec.rowCount; ri++ {
			a += sh.rows[ri].available
		}
		if a != sec.available {
			return fmt.Errorf("section %s available %d, counted %d", sec.id, sec.available, a)
		}
	}
	if avail != sh.available || held != sh.held || sold != sh.sold {
		return fmt.Errorf("shard totals %d/%d/%d, counted %d/%d/%d", sh.available, sh.held, sh.sold, avail, held, sold)
	}
	poolHeld := make([]uint32, len(sh.pools))
	poolSold := make([]uint32, len(sh.pools))
	live := 0
	for slot := range sh.holds {
		h := &sh.holds[slot]
		if !h.live {
			if slices.Contains(sh.freeHolds, uint32(slot)) {
				continue
			}
			return fmt.Errorf("free hold slot %d not in the free list", slot)
		}
		live++
		if s, ok := sh.holdSlot(h.id); !ok || s != uint32(slot) {
			return fmt.Errorf("hold %q not indexed", h.id)
		}
		if h.empty() {
			return fmt.Errorf("hold %q is empty", h.id)
		}
		if h.heapIndex >= len(sh.expiry.slots) || sh.expiry.slots[h.heapIndex] != uint32(slot) {
			return fmt.Errorf("hold %q not in the expiry heap", h.id)
		}
		for _, i := range h.seats {
			if sh.seats[i].state != seatHeld || sh.seats[i].ref != uint32(slot) {
				return fmt.Errorf("hold %q lists seat %s it does not hold", h.id, sh.seatID(i))
			}
		}
		if h.gaQuantity > 0 {
			poolHeld[h.pool] += h.gaQuantity
		}
	}
	if live != sh.liveHolds || live != sh.holdIndex.count || live != len(sh.expiry.slots) || live+len(sh.freeHolds) != len(sh.holds) {
		return fmt.Errorf("hold counts disagree")
	}
	for k := 1; k < len(sh.expiry.slots); k++ {
		if sh.expiry.Less(k, (k-1)/2) {
			return fmt.Errorf("expiry heap order broken")
		}
	}
	liveOrders := 0
	for slot := range sh.orders {
		o := &sh.orders[slot]
		if !o.live {
			continue
		}
		liveOrders++
		if s, ok := sh.orderSlot(o.id); !ok || s != uint32(slot) || len(o.tickets) == 0 {
			return fmt.Errorf("order %q not indexed or empty", o.id)
		}
		for _, t := range o.tickets {
			if t.isGeneralAdmission() {
				poolSold[t.seat]++
			} else if st := sh.seats[t.seat]; st.state != seatSold || st.ref != uint32(slot) {
				return fmt.Errorf("order %q lists seat %s it does not own", o.id, sh.seatID(t.seat))
			}
		}
	}
	if liveOrders != sh.orderIndex.count || liveOrders+len(sh.freeOrders) != len(sh.orders) {
		return fmt.Errorf("order counts disagree")
	}
	for pi, p := range sh.pools {
		if p.held != poolHeld[pi] || p.sold != poolSold[pi] || p.held+p.sold > p.capacity {
			return fmt.Errorf("pool %s held/sold %d/%d, counted %d/%d", p.id, p.held, p.sold, poolHeld[pi], poolSold[pi])
		}
	}
	return nil
}
