package fsm

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

const (
	codeOK           = fsmpb.Code_CODE_OK
	codeInvalid      = fsmpb.Code_CODE_INVALID
	codeNotFound     = fsmpb.Code_CODE_NOT_FOUND
	codeConflict     = fsmpb.Code_CODE_CONFLICT
	codeUnavailable  = fsmpb.Code_CODE_UNAVAILABLE
	codeExpired      = fsmpb.Code_CODE_EXPIRED
	codeNotOwner     = fsmpb.Code_CODE_NOT_OWNER
	codeAlreadyExist = fsmpb.Code_CODE_ALREADY_EXISTS
	codeTooLarge     = fsmpb.Code_CODE_TOO_LARGE

	codeVersionMismatch = fsmpb.Code_CODE_VERSION_MISMATCH
	codeOutOfRange      = fsmpb.Code_CODE_OUT_OF_RANGE
)

func validID(s string) bool { return s != "" && len(s) <= MaxIDBytes }

// ---------------------------------------------------------------- create

func (s *Store) createShard(requestID string, c *fsmpb.CreateShard) *fsmpb.Result {
	n, err := normalizeCreateShard(c)
	if err != nil {
		return refuse(codeInvalid, "create shard: %v", err)
	}
	key := shardKey{n.Event.EventId, n.Shard}
	if sh := s.shards[key]; sh != nil {
		if sh.createRequestID == requestID {
			return &fsmpb.Result{Code: codeOK}
		}
		return refuse(codeAlreadyExist, "event %q shard %d already exists", key.eventID, key.shard)
	}
	if len(s.shards) >= MaxShardsPerStore {
		return refuse(codeTooLarge, "the group already holds %d shards", MaxShardsPerStore)
	}
	sh := newShard(n, requestID)
	sh.changeCap = s.opts.ChangeLogPerShard
	s.addShard(sh)
	return &fsmpb.Result{Code: codeOK}
}

// ---------------------------------------------------------------- hold

// ttlMs resolves a requested TTL: 0 means the event default, and the
// result is capped at the event maximum.
func (sh *shard) ttlMs(requested int64) int64 {
	if requested == 0 {
		requested = sh.policy.holdTTLDefaultMs
	}
	return min(requested, sh.policy.holdTTLMaxMs)
}

// seatFree reports whether seat i can be taken at now: available, or held
// by an expired hold.
func (sh *shard) seatFree(i uint32, now int64) bool {
	st := &sh.seats[i]
	switch st.state {
	case seatAvailable:
		return true
	case seatHeld:
		return sh.holds[st.ref].expired(now)
	}
	return false
}

func (s *Store) hold(now int64, c *fsmpb.Hold) *fsmpb.Result {
	sh, h, refusal := s.holdChecks(now, c)
	if refusal != nil {
		return refusal
	}
	if ga := c.GeneralAdmission; ga != nil {
		return sh.holdGeneralAdmission(now, h, ga)
	}
	var seats []uint32
	if c.Best != nil {
		seats, refusal = sh.bestAvailable(c.Best, now)
	} else {
		seats, refusal = sh.resolveExplicit(c.SeatIds, now)
	}
	if refusal != nil {
		return refusal
	}
	h.seats = seats
	slot := sh.addHold(h)
	res := &fsmpb.Result{
		Code:            codeOK,
		HoldId:          h.id,
		SeatIds:         make([]string, 0, len(seats)),
		ExpiresAtUnixMs: h.expiresMs,
		Changes:         make([]*fsmpb.SeatChange, 0, len(seats)),
	}
	for _, i := range seats {
		sh.takeSeat(i, slot, now)
		id := sh.seatID(i)
		res.SeatIds = append(res.SeatIds, id)
		sh.emitSeat(res, i, id)
	}
	return res
}

// RefuseHold answers a best-available hold that the state machine would
// refuse without replicating it. It runs HOLD's checks and seat search at
// nowMs (or the replicated clock, if later) on the current state, and
// returns the refusal; nil means "replicate it": the hold might succeed, or
// it is not a best-available hold, or its request id was applied before
// (its first answer must come back). It changes no replicated state.
//
// After a section sells out, every fan's hold there is refused; replicating
// each refusal cost a log entry slot, an fsync share, an apply on every
// replica and a dedup entry for nothing. The caller must make the answer
// linearizable (a leader read barrier, as for a linearizable read: the
// refusal is a read of "no seats"). Unlike a replicated refusal it is not
// remembered under the request id: a later retry is a new attempt, which
// is what a refusal that changed nothing allows.
func (s *Store) RefuseHold(requestID string, nowMs int64, c *fsmpb.Hold) *fsmpb.Result {
	if c.GetBest() == nil {
		return nil
	}
	// The write lock: the search refreshes rows' run summaries, a cache.
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, _, seen := s.dedup.lookup(requestID); seen {
		return nil
	}
	now := max(nowMs, s.clockMs)
	sh, _, refusal := s.holdChecks(now, c)
	if refusal != nil {
		return refusal
	}
	if !sh.mayRefuseBest(c.Best) {
		return nil // most holds during a sale: skip the search
	}
	_, refusal = sh.bestAvailable(c.Best, now)
	return refusal
}

// MayRefuseHold is RefuseHold's cheap filter, for the hot path of every
// hold: false unless c is a best-available hold asking for more seats than
// are AVAILABLE in the sections it searches. It never waits: while the
// store is being written it answers false (replicate the hold).
func (s *Store) MayRefuseHold(c *fsmpb.Hold) bool {
	if c.GetBest() == nil || !s.mu.TryRLock() {
		return false
	}
	defer s.mu.RUnlock()
	sh := s.shards[shardKey{c.EventId, c.Shard}]
	return sh != nil && sh.mayRefuseBest(c.Best)
}

// mayRefuseBest is the filter of MayRefuseHold and RefuseHold: fewer seats
// AVAILABLE in the searched sections than the hold asks for (seats of
// expired holds may still be free; the search decides).
func (sh *shard) mayRefuseBest(b *fsmpb.BestAvailable) bool {
	if b.SectionId == "" {
		return sh.available < b.Quantity
	}
	si, ok := sh.sectionByID[b.SectionId]
	return !ok || sh.sections[si].available < b.Quantity
}

// holdChecks validates a hold against the shard and returns the hold to
// add; the seats are chosen by the caller.
func (s *Store) holdChecks(now int64, c *fsmpb.Hold) (*shard, hold, *fsmpb.Result) {
	if !validID(c.HoldId) || !validID(c.Holder) {
		return nil, hold{}, refuse(codeInvalid, "hold_id and holder must be 1..%d bytes", MaxIDBytes)
	}
	sh, refusal := s.shardFor(c.EventId, c.Shard)
	if refusal != nil {
		return nil, hold{}, refusal
	}
	modes := 0
	if len(c.SeatIds) > 0 {
		modes++
	}
	if c.Best != nil {
		modes++
	}
	if c.GeneralAdmission != nil {
		modes++
	}
	if modes != 1 {
		return nil, hold{}, refuse(codeInvalid, "a hold names exactly one of seat_ids, best, general_admission")
	}
	if c.TtlMs < 0 {
		return nil, hold{}, refuse(codeInvalid, "ttl_ms = %d is negative", c.TtlMs)
	}
	if _, exists := sh.holdSlot(c.HoldId); exists {
		return nil, hold{}, refuse(codeAlreadyExist, "hold %q already exists", c.HoldId)
	}
	if sh.liveHolds >= MaxHoldsPerShard {
		return nil, hold{}, refuse(codeTooLarge, "shard already has %d holds", MaxHoldsPerShard)
	}
	return sh, hold{
		id:        c.HoldId,
		holder:    c.Holder,
		pool:      noPool,
		createdMs: now,
		expiresMs: now + sh.ttlMs(c.TtlMs),
	}, nil
}

// resolveExplicit maps seat ids to indexes, refusing malformed (INVALID),
// unknown (NOT_FOUND), repeated (INVALID) and taken (CONFLICT) seats.
func (sh *shard) resolveExplicit(ids []string, now int64) ([]uint32, *fsmpb.Result) {
	if len(ids) > int(sh.policy.seatsPerHoldMax) {
		return nil, refuse(codeTooLarge, "%d seats, at most %d per hold", len(ids), sh.policy.seatsPerHoldMax)
	}
	seats := make([]uint32, len(ids))
	var malformed, unknown []string
	for k, id := range ids {
		i, found := sh.seatIndex(id)
		switch found {
		case seatMalformed:
			malformed = append(malformed, id)
		case seatUnknown:
			unknown = append(unknown, id)
		}
		seats[k] = i
	}
	if len(malformed) > 0 {
		r := refuse(codeInvalid, "malformed seat ids (want <section>-<row>-<number>)")
		r.SeatIds = malformed
		return nil, r
	}
	if len(unknown) > 0 {
		r := refuse(codeNotFound, "unknown seats")
		r.SeatIds = unknown
		return nil, r
	}
	sorted := slices.Clone(seats)
	slices.Sort(sorted)
	for k := 1; k < len(sorted); k++ {
		if sorted[k] == sorted[k-1] {
			r := refuse(codeInvalid, "seat %s requested twice", sh.seatID(sorted[k]))
			r.SeatIds = []string{sh.seatID(sorted[k])}
			return nil, r
		}
	}
	var taken []string
	for _, i := range seats {
		if !sh.seatFree(i, now) {
			taken = append(taken, sh.seatID(i))
		}
	}
	if len(taken) > 0 {
		r := refuse(codeConflict, "seats are held or sold")
		r.SeatIds = taken
		return nil, r
	}
	return seats, nil
}

// takeSeat gives free seat i to the hold in slot. A seat of an expired
// hold leaves that hold first; a hold left empty is forgotten.
func (sh *shard) takeSeat(i, slot uint32, now int64) {
	st := &sh.seats[i]
	switch st.state {
	case seatAvailable:
	case seatHeld:
		old := st.ref
		oh := &sh.holds[old]
		if old == slot || !oh.live || !oh.expired(now) {
			panic(fmt.Sprintf("fsm: taking seat %d from live hold slot %d", i, old))
		}
		oh.seats = withoutSeat(oh.seats, i)
		if oh.empty() {
			sh.removeHold(old)
		}
	default:
		panic(fmt.Sprintf("fsm: taking seat %d in state %d", i, st.state))
	}
	sh.setSeatState(i, seatHeld, slot)
}

// withoutSeat returns a new slice without seat i (copy-on-write).
func withoutSeat(seats []uint32, i uint32) []uint32 {
	k := slices.Index(seats, i)
	if k < 0 {
		panic(fmt.Sprintf("fsm: seat %d not in its hold", i))
	}
	out := make([]uint32, 0, len(seats)-1)
	out = append(out, seats[:k]...)
	return append(out, seats[k+1:]...)
}

func (sh *shard) holdGeneralAdmission(now int64, h hold, ga *fsmpb.GeneralAdmission) *fsmpb.Result {
	pi, ok := sh.poolByID[ga.PoolId]
	if !ok {
		return refuse(codeNotFound, "unknown pool %q", ga.PoolId)
	}
	q := ga.Quantity
	if q == 0 {
		return refuse(codeInvalid, "quantity 0")
	}
	if q > sh.policy.seatsPerHoldMax {
		return refuse(codeTooLarge, "quantity %d, at most %d per hold", q, sh.policy.seatsPerHoldMax)
	}
	p := &sh.pools[pi]
	free := p.free()
	var reclaim []uint32 // expired holds of this pool to take units from
	if free < q {
		reclaim = sh.expiredPoolHolds(int32(pi), now)
		total := free
		for _, slot := range reclaim {
			total += sh.holds[slot].gaQuantity
		}
		if total < q {
			return refuse(codeUnavailable, "pool %q has %d units left, %d asked", ga.PoolId, total, q)
		}
	}
	h.pool, h.gaQuantity = int32(pi), q
	sh.addHold(h)
	fromFree := min(free, q)
	p.held += fromFree
	for rest := q - fromFree; rest > 0; {
		slot := reclaim[0]
		reclaim = reclaim[1:]
		oh := &sh.holds[slot]
		take := min(rest, oh.gaQuantity)
		oh.gaQuantity -= take // the units stay held, by the new hold
		rest -= take
		if oh.empty() {
			sh.removeHold(slot)
		}
	}
	res := &fsmpb.Result{Code: codeOK, HoldId: h.id, ExpiresAtUnixMs: h.expiresMs, GeneralAdmissionQuantity: q}
	sh.emitPool(res, pi, h.id, "")
	return res
}

// expiredPoolHolds lists the expired holds with units of pool pi, in
// (deadline, hold id) order.
func (sh *shard) expiredPoolHolds(pi int32, now int64) []uint32 {
	var out []uint32
	for _, slot := range sh.expiry.slots {
		h := &sh.holds[slot]
		if h.pool == pi && h.gaQuantity > 0 && h.expired(now) {
			out = append(out, slot)
		}
	}
	slices.SortFunc(out, func(a, b uint32) int {
		ha, hb := &sh.holds[a], &sh.holds[b]
		if da, db := ha.deadlineMs(), hb.deadlineMs(); da != db {
			if da < db {
				return -1
			}
			return 1
		}
		if ha.id < hb.id {
			return -1
		}
		return 1
	})
	return out
}

// ---------------------------------------------------------------- existing holds

// liveHoldFor finds the hold a command names and checks, in this order,
// that it exists (NOT_FOUND), belongs to holder (NOT_OWNER) and has not
// expired (EXPIRED).
func (s *Store) liveHoldFor(eventID string, shardNumber uint32, holdID, holder string, now int64) (*shard, uint32, *fsmpb.Result) {
	if !validID(holdID) || !validID(holder) {
		return nil, 0, refuse(codeInvalid, "hold_id and holder must be 1..%d bytes", MaxIDBytes)
	}
	sh, refusal := s.shardFor(eventID, shardNumber)
	if refusal != nil {
		return nil, 0, refusal
	}
	slot, ok := sh.holdSlot(holdID)
	if !ok {
		return nil, 0, refuse(codeNotFound, "no hold %q (never made, released, sold or swept)", holdID)
	}
	h := &sh.holds[slot]
	if h.holder != holder {
		return nil, 0, refuse(codeNotOwner, "hold %q belongs to another holder", holdID)
	}
	if h.expired(now) {
		r := refuse(codeExpired, "hold %q expired at %d", holdID, h.deadlineMs())
		r.HoldId = holdID
		r.ExpiresAtUnixMs = h.expiresMs
		return nil, 0, r
	}
	return sh, slot, nil
}

func (sh *shard) holdResult(slot uint32) *fsmpb.Result {
	h := &sh.holds[slot]
	res := &fsmpb.Result{
		Code:                     codeOK,
		HoldId:                   h.id,
		ExpiresAtUnixMs:          h.expiresMs,
		GeneralAdmissionQuantity: h.gaQuantity,
		SeatIds:                  make([]string, 0, len(h.seats)),
	}
	for _, i := range h.seats {
		res.SeatIds = append(res.SeatIds, sh.seatID(i))
	}
	return res
}

func (s *Store) extendHold(now int64, c *fsmpb.ExtendHold) *fsmpb.Result {
	if c.TtlMs < 0 {
		return refuse(codeInvalid, "ttl_ms = %d is negative", c.TtlMs)
	}
	sh, slot, refusal := s.liveHoldFor(c.EventId, c.Shard, c.HoldId, c.Holder, now)
	if refusal != nil {
		return refusal
	}
	h := &sh.holds[slot]
	h.expiresMs = min(now+sh.ttlMs(c.TtlMs), h.createdMs+sh.policy.holdLifetimeMaxMs)
	sh.deadlineChanged(slot)
	res := sh.holdResult(slot)
	for k, i := range sh.holds[slot].seats {
		sh.emitSeat(res, i, res.SeatIds[k])
	}
	return res
}

// pinHold protects a live hold from expiry until pinned_until_ms. A pin
// never shortens an earlier pin. Result.expires_at_unix_ms is the hold's
// expiry (not the pin; GetHold shows both); when the pin moves the time
// the seats become free, their SeatChanges say so.
func (s *Store) pinHold(now int64, c *fsmpb.PinHold) *fsmpb.Result {
	sh, slot, refusal := s.liveHoldFor(c.EventId, c.Shard, c.HoldId, c.Holder, now)
	if refusal != nil {
		return refusal
	}
	if c.PinnedUntilMs <= 0 {
		return refuse(codeInvalid, "pinned_until_ms = %d", c.PinnedUntilMs)
	}
	if c.PinnedUntilMs > now+sh.policy.holdLifetimeMaxMs {
		return refuse(codeTooLarge, "pinned_until_ms = %d is more than hold_lifetime_max_ms past now", c.PinnedUntilMs)
	}
	h := &sh.holds[slot]
	before := h.deadlineMs()
	h.pinnedUntilMs = max(h.pinnedUntilMs, c.PinnedUntilMs)
	sh.deadlineChanged(slot)
	res := sh.holdResult(slot)
	if sh.holds[slot].deadlineMs() != before {
		for k, i := range sh.holds[slot].seats {
			sh.emitSeat(res, i, res.SeatIds[k])
		}
	}
	return res
}

// release frees a live hold. An expired hold is refused with EXPIRED and
// left to Sweep (its seats already count as available); a hold that was
// released, sold or swept is NOT_FOUND.
func (s *Store) release(now int64, c *fsmpb.Release) *fsmpb.Result {
	sh, slot, refusal := s.liveHoldFor(c.EventId, c.Shard, c.HoldId, c.Holder, now)
	if refusal != nil {
		return refusal
	}
	res := sh.holdResult(slot)
	sh.releaseHold(res, slot)
	return res
}

// releaseHold returns every seat and unit of the hold in slot and forgets
// the hold.
func (sh *shard) releaseHold(res *fsmpb.Result, slot uint32) {
	h := &sh.holds[slot]
	for _, i := range h.seats {
		if sh.seats[i].state != seatHeld || sh.seats[i].ref != slot {
			panic(fmt.Sprintf("fsm: hold %q lists seat %d it does not hold", h.id, i))
		}
		sh.setSeatState(i, seatAvailable, 0)
		sh.emitSeat(res, i, "")
	}
	if h.gaQuantity > 0 {
		p := &sh.pools[h.pool]
		if p.held < h.gaQuantity {
			panic(fmt.Sprintf("fsm: pool %q holds %d units, hold %q has %d", p.id, p.held, h.id, h.gaQuantity))
		}
		p.held -= h.gaQuantity
		sh.emitPool(res, uint32(h.pool), h.id, "")
	}
	sh.removeHold(slot)
}

// ---------------------------------------------------------------- sell and refund

// ticketID formats ticket number n of the shard: "<event>/<shard>/<n>".
// Numbers come from a replicated per-shard counter, so every replica
// issues the same ids.
func (sh *shard) ticketID(n uint32) string {
	b := make([]byte, 0, len(sh.key.eventID)+24)
	b = append(b, sh.key.eventID...)
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(sh.key.shard), 10)
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(n), 10)
	return string(b)
}

func (sh *shard) ticketProto(t orderTicket, o *order) *fsmpb.Ticket {
	if len(sh.ticketSlab) == 0 {
		sh.ticketSlab = make([]fsmpb.Ticket, slabSize)
	}
	tk := &sh.ticketSlab[0]
	sh.ticketSlab = sh.ticketSlab[1:]
	tk.TicketId, tk.OrderId, tk.Buyer = sh.ticketID(t.number), o.id, o.buyer
	if t.isGeneralAdmission() {
		p := &sh.pools[t.seat]
		tk.SeatId = p.id + "#" + strconv.FormatUint(uint64(t.unit), 10)
		tk.PriceTier = sh.tierID(p.tier)
	} else {
		r := &sh.rows[sh.rowOf(t.seat)]
		tk.SeatId = sh.seatIDInRow(r, t.seat)
		tk.PriceTier = sh.tierID(r.tier)
	}
	return tk
}

func (s *Store) sell(now int64, c *fsmpb.Sell) *fsmpb.Result {
	if !validID(c.OrderId) || !validID(c.Buyer) {
		return refuse(codeInvalid, "order_id and buyer must be 1..%d bytes", MaxIDBytes)
	}
	sh, slot, refusal := s.liveHoldFor(c.EventId, c.Shard, c.HoldId, c.Holder, now)
	if refusal != nil {
		return refusal
	}
	h := sh.holds[slot] // a copy: the slot is freed below
	orderSlot, exists := sh.orderSlot(c.OrderId)
	var previous []orderTicket
	if exists {
		o := &sh.orders[orderSlot]
		if o.buyer != c.Buyer {
			return refuse(codeInvalid, "order %q belongs to another buyer", c.OrderId)
		}
		previous = o.tickets
	}
	count := len(h.seats) + int(h.gaQuantity)
	if len(previous)+count > MaxTicketsPerOrder {
		return refuse(codeTooLarge, "order %q would have more than %d tickets", c.OrderId, MaxTicketsPerOrder)
	}
	if uint64(sh.ticketCounter)+uint64(count) > MaxTicketsPerShard {
		return refuse(codeTooLarge, "the shard has issued its %d tickets", uint64(MaxTicketsPerShard))
	}
	if !exists {
		orderSlot = sh.addOrder(order{id: c.OrderId, buyer: c.Buyer})
	}
	tickets := make([]orderTicket, len(previous), len(previous)+count)
	copy(tickets, previous)
	res := &fsmpb.Result{
		Code:                     codeOK,
		HoldId:                   h.id,
		SeatIds:                  make([]string, 0, len(h.seats)),
		GeneralAdmissionQuantity: h.gaQuantity,
		Tickets:                  make([]*fsmpb.Ticket, 0, count),
		Changes:                  make([]*fsmpb.SeatChange, 0, len(h.seats)+1),
	}
	o := &sh.orders[orderSlot]
	for _, i := range h.seats {
		if sh.seats[i].state != seatHeld || sh.seats[i].ref != slot {
			panic(fmt.Sprintf("fsm: hold %q lists seat %d it does not hold", h.id, i))
		}
		sh.ticketCounter++
		t := orderTicket{number: sh.ticketCounter, seat: i}
		tickets = append(tickets, t)
		sh.setSeatState(i, seatSold, orderSlot)
		tk := sh.ticketProto(t, o)
		res.SeatIds = append(res.SeatIds, tk.SeatId)
		res.Tickets = append(res.Tickets, tk)
		sh.emitSeat(res, i, tk.SeatId)
	}
	if h.gaQuantity > 0 {
		p := &sh.pools[h.pool]
		for range h.gaQuantity {
			sh.ticketCounter++
			p.nextUnit++
			t := orderTicket{number: sh.ticketCounter, seat: uint32(h.pool), unit: p.nextUnit}
			tickets = append(tickets, t)
			res.Tickets = append(res.Tickets, sh.ticketProto(t, o))
		}
		p.held -= h.gaQuantity
		p.sold += h.gaQuantity
		sh.emitPool(res, uint32(h.pool), "", o.id)
	}
	o.tickets = tickets
	sh.removeHold(slot)
	return res
}

// refund returns the tickets of an order (all of them in this shard, or
// the listed ones) to sale. All or nothing: one unknown ticket id refuses
// the whole refund.
func (s *Store) refund(c *fsmpb.Refund) *fsmpb.Result {
	if !validID(c.OrderId) {
		return refuse(codeInvalid, "order_id must be 1..%d bytes", MaxIDBytes)
	}
	sh, refusal := s.shardFor(c.EventId, c.Shard)
	if refusal != nil {
		return refusal
	}
	slot, ok := sh.orderSlot(c.OrderId)
	if !ok {
		return refuse(codeNotFound, "no order %q in this shard", c.OrderId)
	}
	if len(c.TicketIds) > MaxTicketsPerOrder {
		return refuse(codeTooLarge, "%d ticket ids, at most %d", len(c.TicketIds), MaxTicketsPerOrder)
	}
	o := &sh.orders[slot]
	refunded := make([]bool, len(o.tickets))
	if len(c.TicketIds) == 0 {
		for k := range refunded {
			refunded[k] = true
		}
	} else {
		byID := make(map[string]int, len(o.tickets))
		for k, t := range o.tickets {
			byID[sh.ticketID(t.number)] = k
		}
		for _, id := range c.TicketIds {
			k, ok := byID[id]
			if !ok {
				return refuse(codeNotFound, "order %q has no ticket %q in this shard", c.OrderId, id)
			}
			if refunded[k] {
				return refuse(codeInvalid, "ticket %q listed twice", id)
			}
			refunded[k] = true
		}
	}
	res := &fsmpb.Result{Code: codeOK}
	var kept []orderTicket
	poolsTouched := make([]bool, len(sh.pools))
	for k, t := range o.tickets {
		if !refunded[k] {
			kept = append(kept, t)
			continue
		}
		tk := sh.ticketProto(t, o)
		res.Tickets = append(res.Tickets, tk)
		if t.isGeneralAdmission() {
			p := &sh.pools[t.seat]
			if p.sold == 0 {
				panic(fmt.Sprintf("fsm: refunding unit of pool %q with nothing sold", p.id))
			}
			p.sold--
			poolsTouched[t.seat] = true
			continue
		}
		if st := sh.seats[t.seat]; st.state != seatSold || st.ref != slot {
			panic(fmt.Sprintf("fsm: order %q lists seat %d it does not own", o.id, t.seat))
		}
		sh.setSeatState(t.seat, seatAvailable, 0)
		res.SeatIds = append(res.SeatIds, tk.SeatId)
		sh.emitSeat(res, t.seat, tk.SeatId)
	}
	for pi, touched := range poolsTouched {
		if touched {
			sh.emitPool(res, uint32(pi), "", o.id)
		}
	}
	if len(kept) == 0 {
		sh.removeOrder(slot)
	} else {
		o.tickets = kept
	}
	return res
}

// ---------------------------------------------------------------- sweep

// sweep releases expired holds, shards in (event, shard) order and holds
// in (deadline, hold id) order, at most MaxHoldsPerSweep, and forgets
// dedup entries older than the window.
func (s *Store) sweep(now int64) *fsmpb.Result {
	res := &fsmpb.Result{Code: codeOK}
	for _, key := range s.ordered {
		sh := s.shards[key]
		for res.SweptHolds < MaxHoldsPerSweep && sh.frozenMoveID == "" && sh.anyExpired(now) {
			sh.releaseHold(res, sh.expiry.slots[0])
			res.SweptHolds++
		}
	}
	s.dedup.prune(now, s.opts.DedupWindowMs)
	return res
}

// ---------------------------------------------------------------- changes

// emitSeat records the current state of seat i; id is its id if the
// caller has it already, else "".
func (sh *shard) emitSeat(res *fsmpb.Result, i uint32, id string) {
	st := &sh.seats[i]
	rec := changeRecord{seat: int32(i), state: st.state}
	switch st.state {
	case seatHeld:
		h := &sh.holds[st.ref]
		rec.id, rec.expiresMs = h.id, h.deadlineMs()
	case seatSold:
		rec.id, rec.isOrder = sh.orders[st.ref].id, true
	}
	sh.record(res, rec, id)
}

// emitPool records a change of pool pi's free units. Its state is
// AVAILABLE while units remain, else HELD if some are held, else SOLD.
func (sh *shard) emitPool(res *fsmpb.Result, pi uint32, holdID, orderID string) {
	p := &sh.pools[pi]
	if holdID != "" && orderID != "" {
		panic("fsm: a pool change names both a hold and an order")
	}
	rec := changeRecord{seat: -1 - int32(pi), id: holdID + orderID, isOrder: orderID != "", gaAvailable: p.free()}
	switch {
	case p.free() > 0:
		rec.state = seatAvailable
	case p.held > 0:
		rec.state = seatHeld
	default:
		rec.state = seatSold
	}
	sh.record(res, rec, "")
}

func (sh *shard) record(res *fsmpb.Result, rec changeRecord, id string) {
	sh.sequence++
	sh.changes.add(rec, sh.changeCap)
	if len(sh.changeSlab) == 0 {
		sh.changeSlab = make([]fsmpb.SeatChange, slabSize)
	}
	c := &sh.changeSlab[0]
	sh.changeSlab = sh.changeSlab[1:]
	sh.fillChange(c, rec, sh.sequence, id)
	res.Changes = append(res.Changes, c)
}

// slabSize is how many SeatChanges (or Tickets) Apply allocates at once:
// one allocation instead of one per change. A slab stays alive while any
// Result using it does.
const slabSize = 64

// changeProto builds the SeatChange of rec, number sequence; id is the
// seat id if known.
func (sh *shard) changeProto(rec changeRecord, sequence uint64, id string) *fsmpb.SeatChange {
	c := &fsmpb.SeatChange{}
	sh.fillChange(c, rec, sequence, id)
	return c
}

func (sh *shard) fillChange(c *fsmpb.SeatChange, rec changeRecord, sequence uint64, id string) {
	c.EventId = sh.key.eventID
	c.Shard = sh.key.shard
	c.Sequence = sequence
	c.State = fsmpb.SeatState(rec.state)
	c.HoldId = rec.holdID()
	c.OrderId = rec.orderID()
	c.ExpiresAtUnixMs = rec.expiresMs
	c.GeneralAdmissionAvailable = rec.gaAvailable
	switch {
	case id != "":
		c.SeatId = id
	case rec.seat >= 0:
		c.SeatId = sh.seatID(uint32(rec.seat))
	default:
		c.SeatId = sh.pools[-1-rec.seat].id
	}
}
