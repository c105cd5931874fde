package fsm

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"

	"github.com/google/btree"
	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// Snapshot format, version 2 (all integers varints unless noted):
//
//	header   "BOXOFSM\n" (8 bytes), version (uint32 little endian)
//	body     applied index, clock
//	         dedup entries in FIFO order: request id, time, encoded Result
//	         shards in (event, shard) order:
//	           create request id, encoded CreateShard (normalized),
//	           change sequence, ticket counter, each pool's last unit number,
//	           hold slot count, live holds (slot, id, holder, created,
//	             expires, pinned, pool+1, GA units, seat indexes),
//	           order slot count, live orders (slot, id, buyer,
//	             tickets (number, seat or pool index, GA unit or 0))
//	         records: last version given, count, then in key order
//	           key, value, version
//	trailer  CRC-32C of header and body (uint32 little endian)
//
// Version 1 is version 2 without the records section (written before
// records existed); Restore reads both, a version 1 snapshot giving an
// empty record table with its version counter at 0.
//
// Seat states are not written: a seat is HELD iff a hold lists it and SOLD
// iff an order lists it, so Restore rebuilds them (and every counter)
// from the holds and orders and checks that no seat is claimed twice.
// Slot numbers are written because slots are allocated lowest-free-first:
// keeping them keeps future allocation, and so the whole encoding, equal
// between a replica and its restore. The same body, hashed, is StateHash.
const (
	snapshotMagic   = "BOXOFSM\n"
	snapshotVersion = 2
	// snapshotVersionNoRecords is the format before records; still read.
	snapshotVersionNoRecords = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Snapshot is a point-in-time capture of a Store. It shares only immutable
// data with the Store, so WriteTo may run while Apply continues.
type Snapshot struct {
	appliedIndex uint64
	clockMs      int64
	dedup        []*dedupEntry
	shards       []shardCapture
	records      *btree.BTreeG[*record] // a copy-on-write clone
	recordsLast  uint64
}

type shardCapture struct {
	createRequestID string
	createBytes     []byte
	sequence        uint64
	ticketCounter   uint32
	nextUnits       []uint32
	holds           []hold  // shallow copy; hold.seats is copy-on-write
	orders          []order // shallow copy; order.tickets is copy-on-write
}

// Snapshot captures the state under the read lock. The cost is a copy of
// the hold and order tables (no per-seat work).
func (s *Store) Snapshot() *Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.captureLocked()
}

func (s *Store) captureLocked() *Snapshot {
	snap := &Snapshot{
		appliedIndex: s.appliedIndex,
		clockMs:      s.clockMs,
		dedup:        s.dedup.live(),
		shards:       make([]shardCapture, 0, len(s.ordered)),
		records:      s.records.clone(),
		recordsLast:  s.records.version,
	}
	for _, key := range s.ordered {
		sh := s.shards[key]
		c := shardCapture{
			createRequestID: sh.createRequestID,
			createBytes:     sh.createBytes,
			sequence:        sh.sequence,
			ticketCounter:   sh.ticketCounter,
			holds:           slices.Clone(sh.holds),
			orders:          slices.Clone(sh.orders),
		}
		for _, p := range sh.pools {
			c.nextUnits = append(c.nextUnits, p.nextUnit)
		}
		snap.shards = append(snap.shards, c)
	}
	return snap
}

// WriteTo writes the snapshot to w. It implements io.WriterTo.
func (snap *Snapshot) WriteTo(w io.Writer) (int64, error) {
	b := make([]byte, 0, 1<<16)
	b = append(b, snapshotMagic...)
	b = binary.LittleEndian.AppendUint32(b, snapshotVersion)
	b = snap.appendBody(b)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	n, err := w.Write(b)
	return int64(n), err
}

// StateHash hashes the full replicated state (everything a snapshot holds:
// applied index, clock, dedup table, shards, holds, orders, counters,
// records).
// Replicas at the same applied index must have equal hashes.
func (s *Store) StateHash() [32]byte {
	snap := s.Snapshot()
	return sha256.Sum256(snap.appendBody(nil))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

func (snap *Snapshot) appendBody(b []byte) []byte {
	b = binary.AppendUvarint(b, snap.appliedIndex)
	b = binary.AppendVarint(b, snap.clockMs)
	b = binary.AppendUvarint(b, uint64(len(snap.dedup)))
	for _, e := range snap.dedup {
		b = appendString(b, e.requestID())
		b = binary.AppendVarint(b, e.nowMs)
		b = appendString(b, e.result())
	}
	b = binary.AppendUvarint(b, uint64(len(snap.shards)))
	for k := range snap.shards {
		c := &snap.shards[k]
		b = appendString(b, c.createRequestID)
		b = appendBytes(b, c.createBytes)
		b = binary.AppendUvarint(b, c.sequence)
		b = binary.AppendUvarint(b, uint64(c.ticketCounter))
		for _, u := range c.nextUnits {
			b = binary.AppendUvarint(b, uint64(u))
		}
		live := 0
		for i := range c.holds {
			if c.holds[i].live {
				live++
			}
		}
		b = binary.AppendUvarint(b, uint64(len(c.holds)))
		b = binary.AppendUvarint(b, uint64(live))
		for slot := range c.holds {
			h := &c.holds[slot]
			if !h.live {
				continue
			}
			b = binary.AppendUvarint(b, uint64(slot))
			b = appendString(b, h.id)
			b = appendString(b, h.holder)
			b = binary.AppendVarint(b, h.createdMs)
			b = binary.AppendVarint(b, h.expiresMs)
			b = binary.AppendVarint(b, h.pinnedUntilMs)
			b = binary.AppendUvarint(b, uint64(h.pool+1))
			b = binary.AppendUvarint(b, uint64(h.gaQuantity))
			b = binary.AppendUvarint(b, uint64(len(h.seats)))
			for _, i := range h.seats {
				b = binary.AppendUvarint(b, uint64(i))
			}
		}
		live = 0
		for i := range c.orders {
			if c.orders[i].live {
				live++
			}
		}
		b = binary.AppendUvarint(b, uint64(len(c.orders)))
		b = binary.AppendUvarint(b, uint64(live))
		for slot := range c.orders {
			o := &c.orders[slot]
			if !o.live {
				continue
			}
			b = binary.AppendUvarint(b, uint64(slot))
			b = appendString(b, o.id)
			b = appendString(b, o.buyer)
			b = binary.AppendUvarint(b, uint64(len(o.tickets)))
			for _, t := range o.tickets {
				b = binary.AppendUvarint(b, uint64(t.number))
				b = binary.AppendUvarint(b, uint64(t.seat))
				b = binary.AppendUvarint(b, uint64(t.unit))
			}
		}
	}
	b = binary.AppendUvarint(b, snap.recordsLast)
	b = binary.AppendUvarint(b, uint64(snap.records.Len()))
	snap.records.Ascend(func(r *record) bool {
		b = appendString(b, r.key)
		b = appendBytes(b, r.value)
		b = binary.AppendUvarint(b, r.version)
		return true
	})
	return b
}

// Restore replaces the whole state (applied index, clock, dedup table,
// shards, holds, orders, change sequences) with the snapshot read from r.
// The change rings start empty: ChangesSince for a position before the
// restore returns ErrChangesCompacted. On error the Store is unchanged and
// the error wraps ErrSnapshotInvalid (or is the reader's error).
func (s *Store) Restore(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("fsm: reading snapshot: %w", err)
	}
	fresh, err := decodeSnapshot(data, s.opts)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSnapshotInvalid, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appliedIndex = fresh.appliedIndex
	s.clockMs = fresh.clockMs
	s.shards = fresh.shards
	s.ordered = fresh.ordered
	s.dedup = fresh.dedup
	s.records = fresh.records
	return nil
}

// decoder reads varints and strings, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

var errTruncated = errors.New("truncated")

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errTruncated
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errTruncated
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length and checks it against limit.
func (d *decoder) count(what string, limit uint64) int {
	v := d.uvarint()
	if v > limit {
		d.fail("%s count %d over %d", what, v, limit)
		return 0
	}
	return int(v)
}

// bytes returns the next length-prefixed bytes as a slice of the snapshot
// (no copy): whatever the store keeps must be copied out, or one retained
// slice pins the whole snapshot (before dedup entries were copied, a
// restored node held its whole ~100 MB snapshot for the dedup window).
func (d *decoder) bytes(what string, limit uint64) []byte {
	n := d.count(what, limit)
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.err = errTruncated
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) str(what string, limit uint64) string { return string(d.bytes(what, limit)) }

type restoredState struct {
	appliedIndex uint64
	clockMs      int64
	shards       map[shardKey]*shard
	ordered      []shardKey
	dedup        dedupTable
	records      recordTable
}

func decodeSnapshot(data []byte, opts Options) (*restoredState, error) {
	if len(data) < len(snapshotMagic)+8 || !bytes.HasPrefix(data, []byte(snapshotMagic)) {
		return nil, errors.New("not a boxoffice fsm snapshot")
	}
	version := binary.LittleEndian.Uint32(data[len(snapshotMagic):])
	if version != snapshotVersion && version != snapshotVersionNoRecords {
		return nil, fmt.Errorf("snapshot version %d, this build reads versions %d and %d", version, snapshotVersionNoRecords, snapshotVersion)
	}
	body, trailer := data[:len(data)-4], data[len(data)-4:]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(trailer) {
		return nil, errors.New("checksum mismatch")
	}
	d := &decoder{b: body[len(snapshotMagic)+4:]}
	st := &restoredState{shards: make(map[shardKey]*shard), dedup: newDedupTable(), records: newRecordTable()}
	st.appliedIndex = d.uvarint()
	st.clockMs = d.varint()
	entries := d.count("dedup entry", maxDedupEntries)
	// Sized once: growing a map of a million entries step by step was half
	// the time of a busy store's Restore. The count is checked against the
	// bytes left (an entry takes at least 3), so a corrupt count cannot
	// allocate much.
	if d.err == nil && entries <= len(d.b)/3 {
		st.dedup.byID = make(map[string]*dedupEntry, min(entries, opts.DedupEntriesMax))
		st.dedup.queue = make([]*dedupEntry, 0, entries)
	}
	lastNow := int64(-1 << 63)
	for range entries {
		requestID := d.bytes("request id", MaxIDBytes)
		nowMs := d.varint()
		result := d.bytes("result", 1<<24)
		if d.err != nil {
			return nil, d.err
		}
		e := newDedupEntry(string(requestID), nowMs, result)
		if len(requestID) == 0 || st.dedup.byID[e.requestID()] != nil || e.nowMs < lastNow || e.nowMs > st.clockMs {
			return nil, fmt.Errorf("dedup entry %q out of order, repeated or in the future", e.requestID())
		}
		lastNow = e.nowMs
		st.dedup.byID[e.requestID()] = e
		st.dedup.queue = append(st.dedup.queue, e)
	}
	for len(st.dedup.byID) > opts.DedupEntriesMax {
		st.dedup.popFront()
	}
	shards := d.count("shard", MaxShardsPerStore)
	for range shards {
		sh, err := decodeShard(d, opts)
		if err != nil {
			return nil, err
		}
		if n := len(st.ordered); n > 0 && !st.ordered[n-1].less(sh.key) {
			return nil, fmt.Errorf("shard %q/%d out of order", sh.key.eventID, sh.key.shard)
		}
		st.shards[sh.key] = sh
		st.ordered = append(st.ordered, sh.key)
	}
	if version >= 2 {
		if err := decodeRecords(d, &st.records); err != nil {
			return nil, err
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%d unexpected bytes after the last section", len(d.b))
	}
	return st, nil
}

// decodeRecords reads the records section, checking the limits, the key
// order and that no version is above the counter.
func decodeRecords(d *decoder, t *recordTable) error {
	t.version = d.uvarint()
	n := d.count("record", MaxRecordsPerStore)
	previous := ""
	for k := range n {
		r := &record{key: d.str("record key", MaxRecordKeyBytes)}
		// A copy: a slice of the snapshot would keep all of it alive.
		r.value = bytes.Clone(d.bytes("record value", MaxRecordValueBytes))
		r.version = d.uvarint()
		if d.err != nil {
			return d.err
		}
		if refusal := checkRecordKey(r.key); refusal != nil {
			return fmt.Errorf("record %d: %s", k, refusal.Message)
		}
		if k > 0 && r.key <= previous {
			return fmt.Errorf("record %q out of order or repeated", r.key)
		}
		if r.version == 0 || r.version > t.version {
			return fmt.Errorf("record %q: version %d outside 1..%d", r.key, r.version, t.version)
		}
		previous = r.key
		t.bytes += r.size()
		if t.bytes > MaxRecordBytesPerStore {
			return fmt.Errorf("records exceed %d bytes", MaxRecordBytesPerStore)
		}
		t.tree.ReplaceOrInsert(r)
	}
	return nil
}

func decodeShard(d *decoder, opts Options) (*shard, error) {
	requestID := d.str("create request id", MaxIDBytes)
	createBytes := d.bytes("create shard", 1<<30)
	if d.err != nil {
		return nil, d.err
	}
	var create fsmpb.CreateShard
	if err := proto.Unmarshal(createBytes, &create); err != nil {
		return nil, fmt.Errorf("create shard: %v", err)
	}
	normalized, err := normalizeCreateShard(&create)
	if err != nil {
		return nil, fmt.Errorf("create shard: %v", err)
	}
	sh := newShard(normalized, requestID)
	sh.changeCap = opts.ChangeLogPerShard
	sh.sequence = d.uvarint()
	sh.ticketCounter = uint32(d.count("ticket counter", MaxTicketsPerShard))
	sh.changes.floor = sh.sequence
	for pi := range sh.pools {
		n := d.uvarint()
		if n > 1<<32-1 {
			return nil, fmt.Errorf("pool %q unit number %d", sh.pools[pi].id, n)
		}
		sh.pools[pi].nextUnit = uint32(n)
	}
	where := fmt.Sprintf("event %q shard %d", sh.key.eventID, sh.key.shard)
	// Every live hold and order has at least one seat or GA unit, so
	// neither table can ever have had more slots than there are units.
	units := uint64(len(sh.seats))
	for _, p := range sh.pools {
		units += uint64(p.capacity)
	}
	seatIndex := func() uint32 {
		i := d.uvarint()
		if i >= uint64(len(sh.seats)) {
			d.fail("seat index %d of %d", i, len(sh.seats))
			return 0
		}
		return uint32(i)
	}

	slots := d.count("hold slot", min(MaxHoldsPerShard, units))
	live := d.count("live hold", uint64(slots))
	if d.err != nil {
		return nil, d.err
	}
	sh.holds = make([]hold, slots)
	sh.holdByID = make(map[string]uint32, min(live, len(d.b)/8)) // a live hold takes at least 8 bytes
	previous := -1
	for range live {
		slot := d.count("hold slot", uint64(slots)-1)
		h := hold{
			live:          true,
			id:            d.str("hold id", MaxIDBytes),
			holder:        d.str("holder", MaxIDBytes),
			createdMs:     d.varint(),
			expiresMs:     d.varint(),
			pinnedUntilMs: d.varint(),
			pool:          int32(d.count("pool", uint64(len(sh.pools)))) - 1,
			gaQuantity:    uint32(d.count("GA units", MaxSeatsPerHoldLimit)),
		}
		h.seats = make([]uint32, d.count("held seat", MaxSeatsPerHoldLimit))
		for k := range h.seats {
			h.seats[k] = seatIndex()
		}
		if d.err != nil {
			return nil, d.err
		}
		if _, dup := sh.holdByID[h.id]; dup || slot <= previous || h.id == "" || h.holder == "" {
			return nil, fmt.Errorf("%s: hold %q: slot out of order or id repeated", where, h.id)
		}
		if h.empty() || (h.pool == noPool) != (h.gaQuantity == 0) {
			return nil, fmt.Errorf("%s: hold %q: holds nothing or units without pool", where, h.id)
		}
		previous = slot
		for _, i := range h.seats {
			if sh.seats[i].state != seatAvailable {
				return nil, fmt.Errorf("%s: seat %s claimed twice", where, sh.seatID(i))
			}
			sh.setSeatState(i, seatHeld, uint32(slot), 0)
		}
		if h.pool != noPool {
			p := &sh.pools[h.pool]
			if h.gaQuantity > p.free() {
				return nil, fmt.Errorf("%s: pool %q over capacity", where, p.id)
			}
			p.held += h.gaQuantity
		}
		sh.holds[slot] = h
		sh.holdByID[h.id] = uint32(slot)
		sh.expiry.slots = append(sh.expiry.slots, uint32(slot))
		sh.liveHolds++
	}
	for slot := range sh.holds {
		if !sh.holds[slot].live {
			sh.freeHolds = append(sh.freeHolds, uint32(slot)) // ascending: a valid min-heap
		}
	}
	sh.initExpiryHeap()

	slots = d.count("order slot", units)
	live = d.count("live order", uint64(slots))
	if d.err != nil {
		return nil, d.err
	}
	sh.orders = make([]order, slots)
	sh.orderByID = make(map[string]uint32, min(live, len(d.b)/8)) // and so does an order
	previous = -1
	for range live {
		slot := d.count("order slot", uint64(slots)-1)
		o := order{live: true, id: d.str("order id", MaxIDBytes), buyer: d.str("buyer", MaxIDBytes)}
		o.tickets = make([]orderTicket, d.count("ticket", MaxTicketsPerOrder))
		if d.err != nil {
			return nil, d.err
		}
		if slot <= previous || o.id == "" || o.buyer == "" || len(o.tickets) == 0 {
			return nil, fmt.Errorf("%s: order %q: slot out of order or empty", where, o.id)
		}
		if _, dup := sh.orderByID[o.id]; dup {
			return nil, fmt.Errorf("%s: order %q repeated", where, o.id)
		}
		previous = slot
		for k := range o.tickets {
			t := orderTicket{number: uint32(d.count("ticket number", MaxTicketsPerShard)), seat: uint32(d.count("ticket seat", 1<<32-1)), unit: uint32(d.count("GA unit", 1<<32-1))}
			if d.err != nil {
				return nil, d.err
			}
			if t.number == 0 || t.number > sh.ticketCounter {
				return nil, fmt.Errorf("%s: order %q: ticket number %d not issued", where, o.id, t.number)
			}
			if t.isGeneralAdmission() {
				if int(t.seat) >= len(sh.pools) || t.unit > sh.pools[t.seat].nextUnit || sh.pools[t.seat].free() == 0 {
					return nil, fmt.Errorf("%s: order %q: bad GA ticket", where, o.id)
				}
				sh.pools[t.seat].sold++
			} else {
				if int(t.seat) >= len(sh.seats) || sh.seats[t.seat].state != seatAvailable {
					return nil, fmt.Errorf("%s: order %q: seat missing or claimed twice", where, o.id)
				}
				sh.setSeatState(t.seat, seatSold, uint32(slot), t.number)
			}
			o.tickets[k] = t
		}
		sh.orders[slot] = o
		sh.orderByID[o.id] = uint32(slot)
	}
	for slot := range sh.orders {
		if !sh.orders[slot].live {
			sh.freeOrders = append(sh.freeOrders, uint32(slot))
		}
	}
	return sh, d.err
}
