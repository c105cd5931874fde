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

// Snapshot format, version 4 or 5 (all integers varints unless noted):
//
//	header   "BOXOFSM\n" (8 bytes), version (uint32 little endian)
//	body     applied index, clock
//	         dedup entries in FIFO order: request id, time, request
//	           fingerprint (length-prefixed: 16 bytes, or none when not
//	           known), packed Result (the encoded Result without
//	           SeatChanges, packed as packResult in dedup.go describes)
//	         shards in (event, shard) order:
//	           create request id, encoded CreateShard (normalized),
//	           change sequence, ticket counter, each pool's last unit number,
//	           hold slot count, live holds (slot, id, holder, created,
//	             expires, pinned, pool+1, GA units, seat indexes),
//	           order slot count, live orders (slot, id, buyer,
//	             tickets (number, seat or pool index, GA unit or 0)),
//	           version 5 only: the id of the move that froze the shard
//	             ("" if none; see move.go)
//	         records: last version given, count, then in key order
//	           key, value, version
//	trailer  CRC-32C of header and body (uint32 little endian)
//
// Version 5 is written only while some shard is frozen for a move, so
// that a build that predates moves (and reads up to version 4) can still
// restore every other snapshot of a mixed-version cluster.
// Version 3 is version 4 without request fingerprints: its entries are
// restored without one and answer every retry with their first result.
// Version 2 is version 3 with the dedup Results encoded but not packed;
// version 1 is version 2 without the records section (written before
// records existed). Restore reads all four (it packs the Results of
// versions 1 and 2), a version 1 snapshot giving an empty record table
// with its version counter at 0.
//
// WriteTo streams: it hands the writer about 64 KiB at a time, so a busy
// store's snapshot (tens of megabytes) never sits whole in memory.
//
// Seat states are not written: a seat is HELD iff a hold lists it and SOLD
// iff an order lists it, so Restore rebuilds them (and every counter)
// from the holds and orders and checks that no seat is claimed twice.
// Slot numbers are written because slots are allocated lowest-free-first:
// keeping them keeps future allocation, and so the whole encoding, equal
// between a replica and its restore. The same body, hashed, is StateHash.
const (
	snapshotMagic   = "BOXOFSM\n"
	snapshotVersion = 5
	// snapshotVersionFrozen is the first format with frozen shards;
	// earlier versions are written while no shard is frozen.
	snapshotVersionFrozen = 5
	// snapshotVersionUnfrozen is written while no shard is frozen.
	snapshotVersionUnfrozen = 4
	// snapshotVersionNoFingerprints is the format before request
	// fingerprints; still read.
	snapshotVersionNoFingerprints = 3
	// snapshotVersionUnpacked is the format before packed dedup Results;
	// still read.
	snapshotVersionUnpacked = 2
	// snapshotVersionNoRecords is the format before records; still read.
	snapshotVersionNoRecords = 1
	// snapshotFlushBytes is how much WriteTo encodes before it writes.
	snapshotFlushBytes = 64 << 10
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Snapshot is a point-in-time capture of a Store. It shares only immutable
// data with the Store, so WriteTo may run while Apply continues.
type Snapshot struct {
	appliedIndex uint64
	clockMs      int64
	dedup        dedupCapture
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
	frozenMoveID    string
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
		dedup:        s.dedup.capture(),
		shards:       make([]shardCapture, 0, len(s.ordered)),
		records:      s.records.clone(),
		recordsLast:  s.records.version,
	}
	for _, key := range s.ordered {
		snap.shards = append(snap.shards, captureShard(s.shards[key]))
	}
	return snap
}

func captureShard(sh *shard) shardCapture {
	c := shardCapture{
		createRequestID: sh.createRequestID,
		createBytes:     sh.createBytes,
		sequence:        sh.sequence,
		ticketCounter:   sh.ticketCounter,
		holds:           slices.Clone(sh.holds),
		orders:          slices.Clone(sh.orders),
		frozenMoveID:    sh.frozenMoveID,
	}
	for _, p := range sh.pools {
		c.nextUnits = append(c.nextUnits, p.nextUnit)
	}
	return c
}

// version is the format the snapshot is written in: 5 while a shard is
// frozen, else 4.
func (snap *Snapshot) version() uint32 {
	for k := range snap.shards {
		if snap.shards[k].frozenMoveID != "" {
			return snapshotVersionFrozen
		}
	}
	return snapshotVersionUnfrozen
}

// WriteTo writes the snapshot to w. It implements io.WriterTo.
func (snap *Snapshot) WriteTo(w io.Writer) (int64, error) {
	sw := &snapshotWriter{w: w}
	b := make([]byte, 0, snapshotFlushBytes+snapshotFlushBytes/2)
	b = append(b, snapshotMagic...)
	version := snap.version()
	b = binary.LittleEndian.AppendUint32(b, version)
	b = snap.appendBodyVersion(b, sw.flush, version)
	sw.crc = crc32.Update(sw.crc, castagnoli, b)
	b = binary.LittleEndian.AppendUint32(b, sw.crc)
	sw.write(b)
	return sw.n, sw.err
}

// snapshotWriter is WriteTo's output: it checksums and writes the encoding
// piece by piece, remembering the first error.
type snapshotWriter struct {
	w   io.Writer
	crc uint32
	n   int64
	err error
}

// flush writes b out once it holds snapshotFlushBytes, returning b
// emptied; appendBody calls it between items.
func (sw *snapshotWriter) flush(b []byte) []byte {
	if len(b) < snapshotFlushBytes {
		return b
	}
	sw.crc = crc32.Update(sw.crc, castagnoli, b)
	sw.write(b)
	return b[:0]
}

func (sw *snapshotWriter) write(b []byte) {
	if sw.err != nil {
		return
	}
	n, err := sw.w.Write(b)
	sw.n += int64(n)
	sw.err = err
}

// keepAll is the flush of appendBody that keeps everything in memory.
func keepAll(b []byte) []byte { return b }

// StateHash hashes the full replicated state (everything a snapshot holds:
// applied index, clock, dedup table, shards, holds, orders, counters,
// records).
// Replicas at the same applied index must have equal hashes.
func (s *Store) StateHash() [32]byte { return s.Snapshot().hash() }

// hash is the SHA-256 of the snapshot body, streamed like WriteTo.
func (snap *Snapshot) hash() [32]byte {
	h := sha256.New()
	b := snap.appendBody(make([]byte, 0, snapshotFlushBytes+snapshotFlushBytes/2), func(b []byte) []byte {
		if len(b) < snapshotFlushBytes {
			return b
		}
		h.Write(b)
		return b[:0]
	})
	h.Write(b)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// deterministic encodes the CreateShard a shard keeps (and snapshots).
var deterministic = proto.MarshalOptions{Deterministic: true}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// appendBody appends the snapshot body to b, passing b through flush
// between items (flush returns what to keep appending to).
func (snap *Snapshot) appendBody(b []byte, flush func([]byte) []byte) []byte {
	return snap.appendBodyVersion(b, flush, snap.version())
}

// appendBodyVersion is appendBody in an older format (tests of Restore
// write versions 1 and 2 with it).
func (snap *Snapshot) appendBodyVersion(b []byte, flush func([]byte) []byte, version uint32) []byte {
	var unpacked []byte
	b = binary.AppendUvarint(b, snap.appliedIndex)
	b = binary.AppendVarint(b, snap.clockMs)
	b = binary.AppendUvarint(b, uint64(len(snap.dedup.slots)))
	for _, slot := range snap.dedup.slots {
		key, nowMs, packed := snap.dedup.entry(slot)
		b = binary.AppendUvarint(b, uint64(requestIDLen(key)))
		b = appendRequestID(b, key)
		b = binary.AppendVarint(b, nowMs)
		if version > snapshotVersionNoFingerprints {
			if fp := snap.dedup.fingerprint(slot); fp != (requestFingerprint{}) {
				b = appendBytes(b, fp[:])
			} else {
				b = appendBytes(b, nil)
			}
		}
		if version < 3 {
			var err error
			if unpacked, err = unpackResult(unpacked[:0], packed); err != nil {
				panic(fmt.Sprintf("fsm: stored result does not unpack: %v", err))
			}
			packed = unpacked
		}
		b = appendBytes(b, packed)
		b = flush(b)
	}
	b = binary.AppendUvarint(b, uint64(len(snap.shards)))
	for k := range snap.shards {
		c := &snap.shards[k]
		b = appendShard(b, c, flush)
		if version >= snapshotVersionFrozen {
			b = appendString(b, c.frozenMoveID)
		}
	}
	if version < 2 {
		return b
	}
	b = binary.AppendUvarint(b, snap.recordsLast)
	b = binary.AppendUvarint(b, uint64(snap.records.Len()))
	snap.records.Ascend(func(r *record) bool {
		b = appendString(b, r.key)
		b = appendBytes(b, r.value)
		b = binary.AppendUvarint(b, r.version)
		b = flush(b)
		return true
	})
	return b
}

// appendShard appends one shard as snapshots (and shard exports, move.go)
// encode it.
func appendShard(b []byte, c *shardCapture, flush func([]byte) []byte) []byte {
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
		b = flush(b)
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
		b = flush(b)
	}
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
	if version < snapshotVersionNoRecords || version > snapshotVersion {
		return nil, fmt.Errorf("snapshot version %d, this build reads versions %d to %d", version, snapshotVersionNoRecords, snapshotVersion)
	}
	body, trailer := data[:len(data)-4], data[len(data)-4:]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(trailer) {
		return nil, errors.New("checksum mismatch")
	}
	d := &decoder{b: body[len(snapshotMagic)+4:]}
	st := &restoredState{shards: make(map[shardKey]*shard), dedup: newDedupTable(), records: newRecordTable()}
	st.appliedIndex = d.uvarint()
	st.clockMs = d.varint()
	if err := decodeDedup(d, &st.dedup, version, st.clockMs, opts); err != nil {
		return nil, err
	}
	shards := d.count("shard", MaxShardsPerStore)
	for range shards {
		sh, err := decodeShard(d, opts)
		if err != nil {
			return nil, err
		}
		if version >= snapshotVersionFrozen {
			sh.frozenMoveID = d.str("move id", MaxIDBytes)
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

// decodeDedup reads the dedup entries into t (copied into its arena),
// checking that request ids are unique and times in order and not after
// the clock, and packing the Results of versions before 3. Entries over
// opts.DedupEntriesMax (a snapshot of a store with a larger cap) are
// dropped oldest first, as the table would have.
func decodeDedup(d *decoder, t *dedupTable, version uint32, clockMs int64, opts Options) error {
	entries := d.count("dedup entry", maxDedupEntries)
	// Sized once: growing the FIFO and the index of a million entries step
	// by step was half the time of a busy store's Restore. The count is
	// checked against the bytes left (an entry takes at least 3), so a
	// corrupt count cannot allocate much.
	if d.err == nil && entries <= len(d.b)/3 {
		t.queue = make([]dedupSlot, 0, entries)
		t.index = make([]uint64, max(2*entries, dedupIndexMinSlots))
	}
	lastNow := int64(-1 << 63)
	var key, scratch []byte
	var check fsmpb.Result
	for range entries {
		requestID := d.bytes("request id", MaxIDBytes)
		nowMs := d.varint()
		var fp requestFingerprint
		if version > snapshotVersionNoFingerprints {
			switch b := d.bytes("request fingerprint", fingerprintBytes); len(b) {
			case 0:
			case fingerprintBytes:
				copy(fp[:], b)
			default:
				d.fail("dedup entry %q: request fingerprint of %d bytes", requestID, len(b))
			}
		}
		result := d.bytes("result", 1<<24)
		if d.err != nil {
			return d.err
		}
		key = requestIDKey(key[:0], string(requestID))
		if len(requestID) == 0 || nowMs < lastNow || nowMs > clockMs {
			return fmt.Errorf("dedup entry %q out of order or in the future", requestID)
		}
		if slot, _ := t.find(key, t.hash(key)); slot >= 0 {
			return fmt.Errorf("dedup entry %q repeated", requestID)
		}
		// Every result is checked here, so that a retry never meets one
		// that does not decode (firstResult would panic).
		if version >= 3 {
			var err error
			if scratch, err = unpackResult(scratch[:0], result); err != nil {
				return fmt.Errorf("dedup entry %q: %v", requestID, err)
			}
			if err := proto.Unmarshal(scratch, &check); err != nil {
				return fmt.Errorf("dedup entry %q: result: %v", requestID, err)
			}
		} else {
			if err := proto.Unmarshal(result, &check); err != nil {
				return fmt.Errorf("dedup entry %q: result: %v", requestID, err)
			}
			scratch = packResult(scratch[:0], result)
			result = scratch
		}
		lastNow = nowMs
		t.addPacked(key, fp, nowMs, result) // copies
	}
	for t.live > opts.DedupEntriesMax {
		t.popFront()
	}
	return nil
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
	sh.holdIndex = newIDIndex(min(live, len(d.b)/8)) // a live hold takes at least 8 bytes
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
		if _, dup := sh.holdSlot(h.id); dup || slot <= previous || h.id == "" || h.holder == "" {
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
			sh.setSeatState(i, seatHeld, uint32(slot))
		}
		if h.pool != noPool {
			p := &sh.pools[h.pool]
			if h.gaQuantity > p.free() {
				return nil, fmt.Errorf("%s: pool %q over capacity", where, p.id)
			}
			p.held += h.gaQuantity
		}
		sh.holds[slot] = h
		sh.holdIndex.insert(h.id, uint32(slot))
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
	sh.orderIndex = newIDIndex(min(live, len(d.b)/8)) // and so does an order
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
		if _, dup := sh.orderSlot(o.id); dup {
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
				sh.setSeatState(t.seat, seatSold, uint32(slot))
			}
			o.tickets[k] = t
		}
		sh.orders[slot] = o
		sh.orderIndex.insert(o.id, uint32(slot))
	}
	for slot := range sh.orders {
		if !sh.orders[slot].live {
			sh.freeOrders = append(sh.freeOrders, uint32(slot))
		}
	}
	return sh, d.err
}
