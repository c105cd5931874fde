package fsm

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// Read views. They are plain values, copied out under the read lock; the
// caller may keep and modify them. Seats of a hold that has expired but
// not yet been swept still show as HELD with their expiry: compare
// ExpiresAtUnixMs (and the hold's PinnedUntilUnixMs) with ClockUnixMs, or
// with your own clock, to show them as available.

// EventConfig is the event policy of a shard with defaults applied.
type EventConfig struct {
	EventID           string
	Name              string
	HoldTTLDefaultMs  int64
	HoldTTLMaxMs      int64
	HoldLifetimeMaxMs int64
	SeatsPerHoldMax   uint32
	PriceTiers        []PriceTier
}

// PriceTier is a named price level.
type PriceTier struct {
	ID         string
	PriceCents int64
	Currency   string
}

// SeatMap is the full state of one shard.
type SeatMap struct {
	EventID string
	Shard   uint32
	Event   EventConfig
	// AppliedIndex and ClockUnixMs say as of when this map is: the last
	// applied log index and the replicated clock (latest command time).
	AppliedIndex uint64
	ClockUnixMs  int64
	// ChangeSequence is the sequence of the last change included; a watcher
	// resumes with ChangesSince(ChangeSequence).
	ChangeSequence uint64
	Sections       []SectionMap
	Pools          []PoolMap
}

// SectionMap is one section, rows closest to the stage first. The counts
// are always set; Rows is empty in a summary read.
type SectionMap struct {
	ID        string
	Name      string
	PriceTier string
	Rows      []RowMap
	Available uint32
	Held      uint32 // includes seats of expired holds not yet swept
	Sold      uint32
}

// SeatMapOptions narrows a seat-map read. The zero value reads everything.
type SeatMapOptions struct {
	// SectionIDs keeps only these sections and pools (empty: all).
	SectionIDs []string
	// SummaryOnly returns counts without per-seat detail: a cheap read for
	// the availability views that outnumber holds a hundred to one.
	SummaryOnly bool
}

// RowMap is one row, seats left to right as seen from the stage.
type RowMap struct {
	Label     string
	PriceTier string
	Seats     []SeatInfo
}

// SeatInfo is one seat.
type SeatInfo struct {
	ID             string // "<section>-<row>-<number>"
	Number         uint32
	PriceTier      string
	Accessible     bool
	RestrictedView bool
	AisleAfter     bool // an aisle runs between this seat and the next
	State          fsmpb.SeatState
	// Set when HELD. ExpiresAtUnixMs is when the seat becomes free: the
	// later of the hold's expiry and its pin.
	HoldID          string
	Holder          string
	ExpiresAtUnixMs int64
	// Set when SOLD.
	OrderID  string
	Buyer    string
	TicketID string
}

// PoolMap is one general-admission pool. Available = Capacity-Held-Sold.
type PoolMap struct {
	ID        string
	Name      string
	PriceTier string
	Capacity  uint32
	Held      uint32
	Sold      uint32
}

// HoldInfo is one hold.
type HoldInfo struct {
	EventID                  string
	Shard                    uint32
	HoldID                   string
	Holder                   string
	SeatIDs                  []string
	GeneralAdmissionPoolID   string // empty: no GA units
	GeneralAdmissionQuantity uint32
	CreatedAtUnixMs          int64
	ExpiresAtUnixMs          int64
	PinnedUntilUnixMs        int64 // 0: never pinned
}

// ShardInfo summarizes one shard.
type ShardInfo struct {
	EventID        string
	Shard          uint32
	Event          EventConfig
	SectionIDs     []string
	PoolIDs        []string
	Seats          uint32
	SeatsAvailable uint32
	SeatsHeld      uint32 // includes seats of expired holds not yet swept
	SeatsSold      uint32
	// Totals over the GA pools.
	GeneralAdmissionCapacity  uint32
	GeneralAdmissionAvailable uint32
	GeneralAdmissionHeld      uint32
	GeneralAdmissionSold      uint32
	Holds                     int
	Orders                    int
	ChangeSequence            uint64
}

func (sh *shard) eventConfig() EventConfig {
	ev := sh.event
	c := EventConfig{
		EventID:           ev.EventId,
		Name:              ev.Name,
		HoldTTLDefaultMs:  ev.HoldTtlDefaultMs,
		HoldTTLMaxMs:      ev.HoldTtlMaxMs,
		HoldLifetimeMaxMs: ev.HoldLifetimeMaxMs,
		SeatsPerHoldMax:   ev.SeatsPerHoldMax,
	}
	for _, t := range sh.tiers {
		c.PriceTiers = append(c.PriceTiers, PriceTier{ID: t.id, PriceCents: t.cents, Currency: t.currency})
	}
	return c
}

func (s *Store) readShard(eventID string, shardNumber uint32) (*shard, error) {
	sh := s.shards[shardKey{eventID, shardNumber}]
	if sh == nil {
		return nil, notFoundError(fmt.Sprintf("event %q shard %d not found", eventID, shardNumber))
	}
	return sh, nil
}

// SeatMap returns the full state of a shard's seats and pools, or
// ErrNotFound.
func (s *Store) SeatMap(eventID string, shardNumber uint32) (*SeatMap, error) {
	return s.SeatMapWith(eventID, shardNumber, SeatMapOptions{})
}

// SeatMapWith is SeatMap narrowed to some sections, or counts only.
func (s *Store) SeatMapWith(eventID string, shardNumber uint32, opts SeatMapOptions) (*SeatMap, error) {
	wanted := func(id string) bool { return len(opts.SectionIDs) == 0 || slices.Contains(opts.SectionIDs, id) }
	s.mu.RLock()
	defer s.mu.RUnlock()
	sh, err := s.readShard(eventID, shardNumber)
	if err != nil {
		return nil, err
	}
	m := &SeatMap{
		EventID:        eventID,
		Shard:          shardNumber,
		Event:          sh.eventConfig(),
		AppliedIndex:   s.appliedIndex,
		ClockUnixMs:    s.clockMs,
		ChangeSequence: sh.sequence,
		Sections:       make([]SectionMap, 0, len(sh.sections)),
	}
	for si := range sh.sections {
		sec := &sh.sections[si]
		if !wanted(sec.id) {
			continue
		}
		sm := SectionMap{ID: sec.id, Name: sec.name, PriceTier: sh.tierID(sec.tier)}
		for ri := sec.firstRow; ri < sec.firstRow+sec.rowCount; ri++ {
			r := &sh.rows[ri]
			sm.Available += r.available
			sm.Held += r.held
			sm.Sold += r.count - r.available - r.held
		}
		if opts.SummaryOnly {
			m.Sections = append(m.Sections, sm)
			continue
		}
		sm.Rows = make([]RowMap, 0, sec.rowCount)
		for ri := sec.firstRow; ri < sec.firstRow+sec.rowCount; ri++ {
			r := &sh.rows[ri]
			rm := RowMap{Label: r.label, PriceTier: sh.tierID(r.tier), Seats: make([]SeatInfo, r.count)}
			for k := range rm.Seats {
				i := r.start + uint32(k)
				st := &sh.seats[i]
				info := SeatInfo{
					ID:             r.idPrefix + strconv.FormatUint(uint64(r.first)+uint64(k), 10),
					Number:         r.first + uint32(k),
					PriceTier:      rm.PriceTier,
					Accessible:     st.flags&flagAccessible != 0,
					RestrictedView: st.flags&flagRestrictedView != 0,
					AisleAfter:     st.flags&flagAisleAfter != 0,
					State:          fsmpb.SeatState(st.state),
				}
				switch st.state {
				case seatHeld:
					h := &sh.holds[st.ref]
					info.HoldID, info.Holder, info.ExpiresAtUnixMs = h.id, h.holder, h.deadlineMs()
				case seatSold:
					o := &sh.orders[st.ref]
					info.OrderID, info.Buyer, info.TicketID = o.id, o.buyer, sh.ticketID(o.seatTicket(i))
				}
				rm.Seats[k] = info
			}
			sm.Rows = append(sm.Rows, rm)
		}
		m.Sections = append(m.Sections, sm)
	}
	for _, p := range sh.pools {
		if !wanted(p.id) {
			continue
		}
		m.Pools = append(m.Pools, PoolMap{ID: p.id, Name: p.name, PriceTier: sh.tierID(p.tier), Capacity: p.capacity, Held: p.held, Sold: p.sold})
	}
	return m, nil
}

// GetHold returns one hold (live, or expired and not yet swept), or
// ErrNotFound for an unknown shard or hold.
func (s *Store) GetHold(eventID string, shardNumber uint32, holdID string) (*HoldInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sh, err := s.readShard(eventID, shardNumber)
	if err != nil {
		return nil, err
	}
	slot, ok := sh.holdSlot(holdID)
	if !ok {
		return nil, notFoundError(fmt.Sprintf("hold %q not found in event %q", holdID, eventID))
	}
	h := &sh.holds[slot]
	info := &HoldInfo{
		EventID:                  eventID,
		Shard:                    shardNumber,
		HoldID:                   h.id,
		Holder:                   h.holder,
		SeatIDs:                  make([]string, 0, len(h.seats)),
		GeneralAdmissionQuantity: h.gaQuantity,
		CreatedAtUnixMs:          h.createdMs,
		ExpiresAtUnixMs:          h.expiresMs,
		PinnedUntilUnixMs:        h.pinnedUntilMs,
	}
	for _, i := range h.seats {
		info.SeatIDs = append(info.SeatIDs, sh.seatID(i))
	}
	if h.pool != noPool {
		info.GeneralAdmissionPoolID = sh.pools[h.pool].id
	}
	return info, nil
}

// Shards lists every shard of the group, ordered by event id then shard.
func (s *Store) Shards() []ShardInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]ShardInfo, 0, len(s.ordered))
	for _, key := range s.ordered {
		sh := s.shards[key]
		info := ShardInfo{
			EventID:        key.eventID,
			Shard:          key.shard,
			Event:          sh.eventConfig(),
			Seats:          uint32(len(sh.seats)),
			SeatsAvailable: sh.available,
			SeatsHeld:      sh.held,
			SeatsSold:      sh.sold,
			Holds:          sh.liveHolds,
			Orders:         sh.orderIndex.count,
			ChangeSequence: sh.sequence,
		}
		for _, sec := range sh.sections {
			info.SectionIDs = append(info.SectionIDs, sec.id)
		}
		for _, p := range sh.pools {
			info.PoolIDs = append(info.PoolIDs, p.id)
			info.GeneralAdmissionCapacity += p.capacity
			info.GeneralAdmissionAvailable += p.free()
			info.GeneralAdmissionHeld += p.held
			info.GeneralAdmissionSold += p.sold
		}
		out = append(out, info)
	}
	return out
}

// ChangesSince returns the retained changes of a shard with sequence
// greater than afterSequence, oldest first (empty when afterSequence is
// the latest or later). It returns ErrNotFound for an unknown shard and
// ErrChangesCompacted when changes after afterSequence are no longer all
// retained: the ring wrapped, or the store was restored from a snapshot
// taken after afterSequence (the ring is not part of snapshots).
func (s *Store) ChangesSince(eventID string, shardNumber uint32, afterSequence uint64) ([]*fsmpb.SeatChange, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sh, err := s.readShard(eventID, shardNumber)
	if err != nil {
		return nil, err
	}
	if afterSequence >= sh.sequence {
		return nil, nil // nothing newer here (this replica may be behind the caller)
	}
	c := &sh.changes
	if afterSequence < c.floor {
		return nil, fmt.Errorf("%w: event %q shard %d retains changes after %d, asked after %d",
			ErrChangesCompacted, eventID, shardNumber, c.floor, afterSequence)
	}
	// The ring holds the consecutive sequences floor+1 .. sh.sequence.
	if uint64(len(c.records)) != sh.sequence-c.floor {
		panic(fmt.Sprintf("fsm: change ring of event %q shard %d holds %d records for sequences %d..%d", eventID, shardNumber, len(c.records), c.floor+1, sh.sequence))
	}
	out := make([]*fsmpb.SeatChange, 0, sh.sequence-afterSequence)
	for seq := afterSequence + 1; seq <= sh.sequence; seq++ {
		rec := c.records[(c.start+int(seq-c.floor-1))%len(c.records)]
		out = append(out, sh.changeProto(rec, seq, ""))
	}
	return out, nil
}
