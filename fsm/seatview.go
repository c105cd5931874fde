package fsm

// The compact availability view of a shard: what a fan-facing seat map
// needs (the state of every seat, the counts) without the per-seat strings
// of SeatMap. Readers cache it and rebuild it only when the shard's change
// sequence moves, which every seat and pool change does (see
// shard.record), so between writes a read costs one map lookup here.

// Availability is the compact view of one shard. It is immutable once
// returned: readers share it.
type Availability struct {
	EventID string
	Shard   uint32
	// ChangeSequence is the shard's change sequence this view reflects; the
	// same sequence always means the same seat states, on every replica.
	ChangeSequence uint64
	Sections       []SectionAvailability // in the shard's section order
	Pools          []PoolMap
}

// SectionAvailability is one section's counts and the state of its seats,
// rows closest to the stage first.
type SectionAvailability struct {
	ID        string
	Name      string
	Available uint32
	Held      uint32 // includes seats of expired holds not yet swept
	Sold      uint32
	Rows      []RowAvailability
}

// RowAvailability is one row: States[k] is the fsmpb.SeatState number of
// seat FirstNumber+k, left to right as seen from the stage.
type RowAvailability struct {
	Label       string
	FirstNumber uint32
	States      []byte
}

// Availability returns the compact view of a shard, or ErrNotFound. When
// known is a view of the same shard at its current change sequence, it is
// returned as is, without copying anything.
func (s *Store) Availability(eventID string, shardNumber uint32, known *Availability) (*Availability, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sh, err := s.readShard(eventID, shardNumber)
	if err != nil {
		return nil, err
	}
	if known != nil && known.EventID == eventID && known.Shard == shardNumber && known.ChangeSequence == sh.sequence {
		return known, nil
	}
	v := &Availability{
		EventID:        eventID,
		Shard:          shardNumber,
		ChangeSequence: sh.sequence,
		Sections:       make([]SectionAvailability, len(sh.sections)),
		Pools:          make([]PoolMap, len(sh.pools)),
	}
	states := make([]byte, len(sh.seats)) // one allocation for every row
	rows := make([]RowAvailability, len(sh.rows))
	for si := range sh.sections {
		sec := &sh.sections[si]
		sa := SectionAvailability{ID: sec.id, Name: sec.name, Rows: rows[sec.firstRow : sec.firstRow+sec.rowCount : sec.firstRow+sec.rowCount]}
		for k := range sa.Rows {
			r := &sh.rows[sec.firstRow+uint32(k)]
			row := states[r.start : r.start+r.count : r.start+r.count]
			for j := range row {
				row[j] = sh.seats[r.start+uint32(j)].state
			}
			sa.Rows[k] = RowAvailability{Label: r.label, FirstNumber: r.first, States: row}
			sa.Available += r.available
			sa.Held += r.held
			sa.Sold += r.count - r.available - r.held
		}
		v.Sections[si] = sa
	}
	for i := range sh.pools {
		p := &sh.pools[i]
		v.Pools[i] = PoolMap{ID: p.id, Name: p.name, PriceTier: sh.tierID(p.tier), Capacity: p.capacity, Held: p.held, Sold: p.sold}
	}
	return v, nil
}
