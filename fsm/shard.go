package fsm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"google.golang.org/protobuf/proto"
)

// shardKey names one shard of one event.
type shardKey struct {
	eventID string
	shard   uint32
}

func (k shardKey) less(o shardKey) bool {
	if k.eventID != o.eventID {
		return k.eventID < o.eventID
	}
	return k.shard < o.shard
}

// Seat states as stored (the fsmpb.SeatState numbers, in a byte).
const (
	seatAvailable = uint8(fsmpb.SeatState_SEAT_STATE_AVAILABLE)
	seatHeld      = uint8(fsmpb.SeatState_SEAT_STATE_HELD)
	seatSold      = uint8(fsmpb.SeatState_SEAT_STATE_SOLD)
)

// Seat flags (static, from the venue).
const (
	flagAccessible     = 1 << 0
	flagRestrictedView = 1 << 1
	flagAisleAfter     = 1 << 2 // an aisle runs between this seat and the next
)

// seat is the per-seat resident state: 8 bytes, most of what a node holding
// a million seats keeps per seat. Who holds or bought it is an index into
// the shard's hold or order table (the order lists the ticket number of each
// of its seats); the row is found by binary search over the rows' starts
// (rowOf) and the seat id is computed from the row.
type seat struct {
	state uint8
	flags uint8
	ref   uint32 // hold slot when held, order slot when sold
}

// row is one row of a section; its seats are shard.seats[start:start+count].
type row struct {
	label    string
	idPrefix string // "<section>-<label>-": seat id = idPrefix + number
	section  uint32
	tier     int32 // index into shard.tiers, -1: none
	first    uint32
	start    uint32
	count    uint32

	available uint32 // seats in state AVAILABLE
	held      uint32 // seats in state HELD (expired or not)

	// Run summary of AVAILABLE seats, recomputed lazily when stale; it lets
	// best-available skip rows in O(1).
	summaryValid bool
	maxRun       uint32 // longest run not crossing an aisle
	maxRunAcross uint32 // longest run ignoring aisles
	runMask      uint64 // bit L set: some aisle-bounded maximal run has exactly L seats (L < 64)
}

type section struct {
	id        string
	name      string
	tier      int32
	firstRow  uint32
	rowCount  uint32
	available uint32
	rowByName map[string]uint32 // label -> index into shard.rows
}

type tier struct {
	id       string
	cents    int64
	currency string
}

type pool struct {
	id       string
	name     string
	tier     int32
	capacity uint32
	held     uint32 // units in holds (expired or not)
	sold     uint32
	nextUnit uint32 // the last GA unit number handed out ("<pool>#<n>")
}

func (p *pool) free() uint32 { return p.capacity - p.held - p.sold }

// eventPolicy is the EventConfig with defaults applied.
type eventPolicy struct {
	holdTTLDefaultMs  int64
	holdTTLMaxMs      int64
	holdLifetimeMaxMs int64
	seatsPerHoldMax   uint32
}

// shard is one event shard: its venue layout (immutable after creation)
// and its dynamic state.
type shard struct {
	key             shardKey
	event           *fsmpb.EventConfig // normalized (defaults applied); never mutated
	createBytes     []byte             // the normalized CreateShard's deterministic encoding, for snapshots
	createRequestID string
	policy          eventPolicy

	tiers       []tier
	tierByID    map[string]int32
	sections    []section
	sectionByID map[string]uint32
	rows        []row
	seats       []seat
	pools       []pool
	poolByID    map[string]uint32

	holds     []hold
	holdIndex idIndex // hold id -> slot
	freeHolds slotHeap
	expiry    expiryHeap
	liveHolds int

	orders     []order
	orderIndex idIndex // order id -> slot
	freeOrders slotHeap

	ticketCounter uint32 // last ticket number issued
	sequence      uint64 // last change sequence
	changes       changeRing
	changeCap     int // Options.ChangeLogPerShard

	// Allocation slabs for Result contents, used under the write lock only.
	changeSlab []fsmpb.SeatChange
	ticketSlab []fsmpb.Ticket

	available, held, sold uint32 // seat totals

	// frozenMoveID is the move that froze the shard (move.go): while set,
	// every mutation is refused CODE_SHARD_MOVING.
	frozenMoveID string
}

// validVenueID reports whether s may be a section id, row label or pool id.
func validVenueID(s string) bool {
	if s == "" || len(s) > MaxVenueIDBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// normalizeCreateShard validates a CreateShard and returns a clone with the
// event defaults filled in. The error text is the refusal message.
func normalizeCreateShard(c *fsmpb.CreateShard) (*fsmpb.CreateShard, error) {
	if c == nil || c.Event == nil {
		return nil, fmt.Errorf("event config is required")
	}
	n := proto.Clone(c).(*fsmpb.CreateShard)
	ev := n.Event
	if ev.EventId == "" || len(ev.EventId) > MaxIDBytes {
		return nil, fmt.Errorf("event_id must be 1..%d bytes", MaxIDBytes)
	}
	if len(ev.Name) > MaxNameBytes {
		return nil, fmt.Errorf("event name longer than %d bytes", MaxNameBytes)
	}
	if ev.HoldTtlDefaultMs == 0 {
		ev.HoldTtlDefaultMs = DefaultHoldTTLMs
	}
	if ev.HoldTtlMaxMs == 0 {
		ev.HoldTtlMaxMs = DefaultHoldTTLMaxMs
	}
	if ev.HoldLifetimeMaxMs == 0 {
		ev.HoldLifetimeMaxMs = DefaultHoldLifetimeMaxMs
	}
	if ev.SeatsPerHoldMax == 0 {
		ev.SeatsPerHoldMax = DefaultSeatsPerHoldMax
	}
	if ev.HoldTtlMaxMs < 0 || ev.HoldTtlMaxMs > MaxHoldDurationMs {
		return nil, fmt.Errorf("hold_ttl_max_ms = %d, want 1..%d", ev.HoldTtlMaxMs, MaxHoldDurationMs)
	}
	if ev.HoldTtlDefaultMs < 0 || ev.HoldTtlDefaultMs > ev.HoldTtlMaxMs {
		return nil, fmt.Errorf("hold_ttl_default_ms = %d, want 1..hold_ttl_max_ms (%d)", ev.HoldTtlDefaultMs, ev.HoldTtlMaxMs)
	}
	if ev.HoldLifetimeMaxMs < ev.HoldTtlMaxMs || ev.HoldLifetimeMaxMs > MaxHoldDurationMs {
		return nil, fmt.Errorf("hold_lifetime_max_ms = %d, want hold_ttl_max_ms (%d)..%d", ev.HoldLifetimeMaxMs, ev.HoldTtlMaxMs, MaxHoldDurationMs)
	}
	if ev.SeatsPerHoldMax > MaxSeatsPerHoldLimit {
		return nil, fmt.Errorf("seats_per_hold_max = %d, want 1..%d", ev.SeatsPerHoldMax, MaxSeatsPerHoldLimit)
	}
	if len(ev.PriceTiers) > MaxPriceTiers {
		return nil, fmt.Errorf("%d price tiers, at most %d", len(ev.PriceTiers), MaxPriceTiers)
	}
	tiers := make(map[string]bool, len(ev.PriceTiers))
	for _, t := range ev.PriceTiers {
		if t.Id == "" || len(t.Id) > MaxVenueIDBytes || len(t.Currency) > MaxVenueIDBytes {
			return nil, fmt.Errorf("price tier id %q must be 1..%d bytes", t.Id, MaxVenueIDBytes)
		}
		if tiers[t.Id] {
			return nil, fmt.Errorf("duplicate price tier %q", t.Id)
		}
		if t.PriceCents < 0 {
			return nil, fmt.Errorf("price tier %q: negative price", t.Id)
		}
		tiers[t.Id] = true
	}
	checkTier := func(what, id string) error {
		if id != "" && !tiers[id] {
			return fmt.Errorf("%s: unknown price tier %q", what, id)
		}
		return nil
	}
	if len(n.Sections) > MaxSectionsPerShard {
		return nil, fmt.Errorf("%d sections, at most %d", len(n.Sections), MaxSectionsPerShard)
	}
	if len(n.Sections) == 0 && len(n.Pools) == 0 {
		return nil, fmt.Errorf("a shard needs at least one section or pool")
	}
	sectionIDs := make(map[string]bool, len(n.Sections))
	totalSeats := 0
	for _, sec := range n.Sections {
		if !validVenueID(sec.Id) {
			return nil, fmt.Errorf("section id %q: want 1..%d of [A-Za-z0-9_.]", sec.Id, MaxVenueIDBytes)
		}
		if sectionIDs[sec.Id] {
			return nil, fmt.Errorf("duplicate section id %q", sec.Id)
		}
		sectionIDs[sec.Id] = true
		if len(sec.Name) > MaxNameBytes {
			return nil, fmt.Errorf("section %q: name longer than %d bytes", sec.Id, MaxNameBytes)
		}
		if err := checkTier("section "+sec.Id, sec.PriceTier); err != nil {
			return nil, err
		}
		if len(sec.Rows) == 0 || len(sec.Rows) > MaxRowsPerSection {
			return nil, fmt.Errorf("section %q: %d rows, want 1..%d", sec.Id, len(sec.Rows), MaxRowsPerSection)
		}
		labels := make(map[string]bool, len(sec.Rows))
		for _, r := range sec.Rows {
			where := fmt.Sprintf("section %q row %q", sec.Id, r.Label)
			if !validVenueID(r.Label) {
				return nil, fmt.Errorf("%s: label: want 1..%d of [A-Za-z0-9_.]", where, MaxVenueIDBytes)
			}
			if labels[r.Label] {
				return nil, fmt.Errorf("%s: duplicate row label", where)
			}
			labels[r.Label] = true
			if r.SeatCount < 1 || r.SeatCount > MaxSeatsPerRow {
				return nil, fmt.Errorf("%s: seat_count = %d, want 1..%d", where, r.SeatCount, MaxSeatsPerRow)
			}
			if r.FirstNumber == 0 {
				r.FirstNumber = 1
			}
			if r.FirstNumber > MaxFirstSeatNumber {
				return nil, fmt.Errorf("%s: first_number = %d, want 0..%d", where, r.FirstNumber, MaxFirstSeatNumber)
			}
			if err := checkTier(where, r.PriceTier); err != nil {
				return nil, err
			}
			last := r.FirstNumber + r.SeatCount - 1
			for _, list := range []struct {
				name string
				nums []uint32
			}{{"aisle_after", r.AisleAfter}, {"accessible", r.Accessible}, {"restricted_view", r.RestrictedView}} {
				if len(list.nums) > int(r.SeatCount) {
					return nil, fmt.Errorf("%s: %d %s entries for %d seats", where, len(list.nums), list.name, r.SeatCount)
				}
				for _, num := range list.nums {
					if num < r.FirstNumber || num > last {
						return nil, fmt.Errorf("%s: %s seat %d outside %d..%d", where, list.name, num, r.FirstNumber, last)
					}
				}
			}
			totalSeats += int(r.SeatCount)
			if totalSeats > MaxSeatsPerShard {
				return nil, fmt.Errorf("more than %d seats in the shard", MaxSeatsPerShard)
			}
		}
	}
	if len(n.Pools) > MaxPoolsPerShard {
		return nil, fmt.Errorf("%d pools, at most %d", len(n.Pools), MaxPoolsPerShard)
	}
	poolIDs := make(map[string]bool, len(n.Pools))
	for _, p := range n.Pools {
		if !validVenueID(p.Id) {
			return nil, fmt.Errorf("pool id %q: want 1..%d of [A-Za-z0-9_.]", p.Id, MaxVenueIDBytes)
		}
		if poolIDs[p.Id] {
			return nil, fmt.Errorf("duplicate pool id %q", p.Id)
		}
		poolIDs[p.Id] = true
		if len(p.Name) > MaxNameBytes {
			return nil, fmt.Errorf("pool %q: name longer than %d bytes", p.Id, MaxNameBytes)
		}
		if p.Capacity < 1 || p.Capacity > MaxPoolCapacity {
			return nil, fmt.Errorf("pool %q: capacity = %d, want 1..%d", p.Id, p.Capacity, MaxPoolCapacity)
		}
		if err := checkTier("pool "+p.Id, p.PriceTier); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// newShard builds the layout of a shard from a normalized CreateShard, with
// every seat AVAILABLE.
func newShard(n *fsmpb.CreateShard, requestID string) *shard {
	ev := n.Event
	sh := &shard{
		key:             shardKey{ev.EventId, n.Shard},
		event:           ev, // not n: its sections and rows, as messages, were ~10 bytes a seat
		createRequestID: requestID,
		policy: eventPolicy{
			holdTTLDefaultMs:  ev.HoldTtlDefaultMs,
			holdTTLMaxMs:      ev.HoldTtlMaxMs,
			holdLifetimeMaxMs: ev.HoldLifetimeMaxMs,
			seatsPerHoldMax:   ev.SeatsPerHoldMax,
		},
		tierByID:    make(map[string]int32, len(ev.PriceTiers)),
		sectionByID: make(map[string]uint32, len(n.Sections)),
		poolByID:    make(map[string]uint32, len(n.Pools)),
		holdIndex:   newIDIndex(0),
		orderIndex:  newIDIndex(0),
	}
	sh.expiry.holds = &sh.holds
	var err error
	if sh.createBytes, err = deterministic.Marshal(n); err != nil {
		panic(fmt.Sprintf("fsm: CreateShard does not encode: %v", err))
	}
	for i, t := range ev.PriceTiers {
		sh.tiers = append(sh.tiers, tier{id: t.Id, cents: t.PriceCents, currency: t.Currency})
		sh.tierByID[t.Id] = int32(i)
	}
	tierOf := func(id string, fallback int32) int32 {
		if id == "" {
			return fallback
		}
		return sh.tierByID[id]
	}
	total, rowsTotal := 0, 0
	for _, sec := range n.Sections {
		rowsTotal += len(sec.Rows)
		for _, r := range sec.Rows {
			total += int(r.SeatCount)
		}
	}
	sh.seats = make([]seat, total)
	sh.rows = make([]row, 0, rowsTotal)
	for si, sec := range n.Sections {
		s := section{
			id:        sec.Id,
			name:      sec.Name,
			tier:      tierOf(sec.PriceTier, -1),
			firstRow:  uint32(len(sh.rows)),
			rowCount:  uint32(len(sec.Rows)),
			rowByName: make(map[string]uint32, len(sec.Rows)),
		}
		for _, r := range sec.Rows {
			start := uint32(0)
			if len(sh.rows) > 0 {
				last := &sh.rows[len(sh.rows)-1]
				start = last.start + last.count
			}
			s.rowByName[r.Label] = uint32(len(sh.rows))
			sh.rows = append(sh.rows, row{
				label:     r.Label,
				idPrefix:  sec.Id + "-" + r.Label + "-",
				section:   uint32(si),
				tier:      tierOf(r.PriceTier, s.tier),
				first:     r.FirstNumber,
				start:     start,
				count:     r.SeatCount,
				available: r.SeatCount,
			})
			seats := sh.seats[start : start+r.SeatCount]
			for i := range seats {
				seats[i].state = seatAvailable
			}
			for _, num := range r.AisleAfter {
				seats[num-r.FirstNumber].flags |= flagAisleAfter
			}
			for _, num := range r.Accessible {
				seats[num-r.FirstNumber].flags |= flagAccessible
			}
			for _, num := range r.RestrictedView {
				seats[num-r.FirstNumber].flags |= flagRestrictedView
			}
			s.available += r.SeatCount
		}
		sh.sectionByID[sec.Id] = uint32(si)
		sh.sections = append(sh.sections, s)
	}
	sh.available = uint32(total)
	for i, p := range n.Pools {
		sh.pools = append(sh.pools, pool{id: p.Id, name: p.Name, tier: tierOf(p.PriceTier, -1), capacity: p.Capacity})
		sh.poolByID[p.Id] = uint32(i)
	}
	return sh
}

// seatIndexResult classifies a seat id lookup.
type seatIndexResult int

const (
	seatFound seatIndexResult = iota
	seatMalformed
	seatUnknown
)

// seatIndex parses "<section>-<row>-<number>" and returns the seat index.
func (sh *shard) seatIndex(id string) (uint32, seatIndexResult) {
	if len(id) > 2*MaxVenueIDBytes+12 {
		return 0, seatMalformed
	}
	secID, rest, ok := strings.Cut(id, "-")
	if !ok {
		return 0, seatMalformed
	}
	label, numText, ok := strings.Cut(rest, "-")
	if !ok || !validVenueID(secID) || !validVenueID(label) || numText == "" || len(numText) > 9 {
		return 0, seatMalformed
	}
	num, err := strconv.ParseUint(numText, 10, 32)
	if err != nil || numText[0] == '0' || numText[0] == '+' {
		return 0, seatMalformed
	}
	si, ok := sh.sectionByID[secID]
	if !ok {
		return 0, seatUnknown
	}
	ri, ok := sh.sections[si].rowByName[label]
	if !ok {
		return 0, seatUnknown
	}
	r := &sh.rows[ri]
	if uint32(num) < r.first || uint32(num)-r.first >= r.count {
		return 0, seatUnknown
	}
	return r.start + uint32(num) - r.first, seatFound
}

// rowOf returns the index of the row holding seat index i: the last row
// starting at or before i (rows partition the seats in order; a row of no
// seats shares its start with the row after it, so it is never the last).
func (sh *shard) rowOf(i uint32) uint32 {
	lo, hi := 0, len(sh.rows) // invariant: rows[lo-1].start <= i < rows[hi].start
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if sh.rows[mid].start <= i {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return uint32(lo - 1)
}

// seatID formats the id of seat index i.
func (sh *shard) seatID(i uint32) string {
	r := &sh.rows[sh.rowOf(i)]
	return sh.seatIDInRow(r, i)
}

func (sh *shard) seatIDInRow(r *row, i uint32) string {
	var buf [2*MaxVenueIDBytes + 12]byte
	b := append(buf[:0], r.idPrefix...)
	b = strconv.AppendUint(b, uint64(r.first+i-r.start), 10)
	return string(b)
}

func (sh *shard) tierID(t int32) string {
	if t < 0 {
		return ""
	}
	return sh.tiers[t].id
}

// setSeatState moves seat i to state st, keeping the row, section and shard
// counters and the row summary in step. Every seat state change goes
// through here.
func (sh *shard) setSeatState(i uint32, st uint8, ref uint32) {
	s := &sh.seats[i]
	old := s.state
	s.state, s.ref = st, ref
	if old == st {
		return
	}
	r := &sh.rows[sh.rowOf(i)]
	sec := &sh.sections[r.section]
	r.summaryValid = false
	switch old {
	case seatAvailable:
		r.available--
		sec.available--
		sh.available--
	case seatHeld:
		r.held--
		sh.held--
	case seatSold:
		sh.sold--
	default:
		panic(fmt.Sprintf("fsm: seat %d in impossible state %d", i, old))
	}
	switch st {
	case seatAvailable:
		r.available++
		sec.available++
		sh.available++
	case seatHeld:
		r.held++
		sh.held++
	case seatSold:
		sh.sold++
	default:
		panic(fmt.Sprintf("fsm: seat %d set to impossible state %d", i, st))
	}
}

// refreshSummary recomputes the run summary of AVAILABLE seats of r.
func (sh *shard) refreshSummary(r *row) {
	if r.summaryValid {
		return
	}
	seats := sh.seats[r.start : r.start+r.count]
	var maxRun, maxAcross, run, across uint32
	var mask uint64
	for i := range seats {
		if seats[i].state == seatAvailable {
			run++
			across++
		} else {
			if run > 0 && run < 64 {
				mask |= 1 << run
			}
			run, across = 0, 0
		}
		maxRun = max(maxRun, run)
		maxAcross = max(maxAcross, across)
		if seats[i].flags&flagAisleAfter != 0 {
			if run > 0 && run < 64 {
				mask |= 1 << run
			}
			run = 0
		}
	}
	if run > 0 && run < 64 {
		mask |= 1 << run
	}
	r.maxRun, r.maxRunAcross, r.runMask = maxRun, maxAcross, mask
	r.summaryValid = true
}
