package fsm

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"slices"

	"github.com/klauspost/compress/s2"

	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// The dedup table remembers the first Result of every request id for
// Options.DedupWindowMs, at most Options.DedupEntriesMax of them, in a FIFO
// in apply order (which, with the monotonic clock, is also time order).
// At an on-sale it is the largest structure of a busy store (a request per
// hold, sell or release, against a seat or two each), so it is built to be
// small and invisible to the garbage collector: no pointer per entry.
//
//   - arena: the request id, time and first Result of each entry, written
//     once into 64 KiB byte chunks in FIFO order. A chunk is dropped when
//     the FIFO has moved past it. An entry is: its encoded request id
//     (requestIDKey: a canonical lowercase UUID prefix, what the client
//     generates, takes 16 bytes instead of 36), its request fingerprint
//     (16 bytes, see requestFingerprint), a uvarint of its time
//     after the chunk's first entry (one to three bytes), a uvarint length,
//     and the encoded Result without its SeatChanges (appendStoredResult)
//     packed by packResult (an S2 block: a sell's result repeats its seat
//     ids, order id and buyer in every ticket).
//   - queue: one 8-byte dedupSlot per entry in FIFO order (chunk, offset,
//     superseded bit).
//   - index: open addressing with linear probing, a uint64 per slot: 32
//     bits of the hash of the encoded request id (which also choose the
//     home slot) and the low 32 bits of the entry's FIFO sequence number.
//     Kept at most 3/4 full (4/7 after growing, shrunk below 1/8);
//     deletion shifts back, so there are no tombstones. Lookups compare the whole encoded request id, so a hash
//     collision costs a probe, never another request's answer.
//
// The hash is hash/maphash with a seed drawn when the table is made, as Go
// maps do: the index's layout differs between replicas (and runs), which
// keeps crafted request ids from piling up in one probe sequence, but
// nothing observable depends on the layout. Lookups are exact, and
// Snapshot and live() walk the FIFO, not the index.
//
// Measured by BenchmarkDedupMemory (the 600,000 requests of the busy
// million-seat shard): 196 bytes per entry as a Go map of request id to a
// *entry holding one string; see the package doc for the figure now.
type dedupTable struct {
	chunks     []dedupChunk // arena; chunks[0] is chunk number chunkBase
	chunkBase  uint32
	queue      []dedupSlot // FIFO; queue[head] has sequence headSeq
	head       int
	headSeq    uint64
	index      []uint64 // tag<<32 | uint32(sequence); 0 is empty
	live       int      // entries not superseded (the index's count)
	seed       maphash.Seed
	hashOf     func(seed maphash.Seed, key []byte) uint64 // maphash.Bytes; tests plant collisions
	keyScratch []byte
	scratch    []byte // encoding buffer, reused

	fingerprintScratch []byte // fingerprint's input, reused
}

// dedupSlot is one FIFO entry: the arena chunk number in the high 32 bits,
// the entry's offset in the chunk in the low 31, and bit 31 the superseded
// mark: the request id was applied again after its window and a newer
// entry owns the index slot; the FIFO skips it.
type dedupSlot uint64

func newDedupSlot(chunk uint32, offset int) dedupSlot {
	return dedupSlot(uint64(chunk)<<32 | uint64(offset))
}

func (s dedupSlot) chunk() uint32    { return uint32(s >> 32) }
func (s dedupSlot) offset() uint32   { return uint32(s) &^ dedupSuperseded }
func (s dedupSlot) superseded() bool { return uint32(s)&dedupSuperseded != 0 }

// dedupChunk is one arena chunk; entries store their time after baseMs,
// the time of its first entry (the FIFO is in time order).
type dedupChunk struct {
	bytes  []byte
	baseMs int64
}

const (
	dedupChunkBytes    = 64 << 10
	dedupSuperseded    = 1 << 31
	dedupIndexMinSlots = 64
	// dedupQueueMax bounds the FIFO (live and superseded entries): index
	// slots name an entry by the low 32 bits of its sequence, which is
	// unambiguous while the FIFO is shorter than 2^32.
	dedupQueueMax = 1 << 31
)

func newDedupTable() dedupTable {
	return dedupTable{seed: maphash.MakeSeed(), hashOf: maphash.Bytes}
}

// entry returns the encoded request id, the time and the packed result of
// slot s.
func (d *dedupTable) entry(s dedupSlot) (key []byte, nowMs int64, packed []byte) {
	return splitDedupEntry(&d.chunks[s.chunk()-d.chunkBase], s.offset())
}

func splitDedupEntry(c *dedupChunk, offset uint32) (key []byte, nowMs int64, packed []byte) {
	b := c.bytes[offset:]
	n := requestIDKeyLen(b[0])
	key, b = b[:n], b[n+fingerprintBytes:]
	after, k := binary.Uvarint(b)
	b = b[k:]
	size, k := binary.Uvarint(b)
	return key, c.baseMs + int64(after), b[k : k+int(size)]
}

// fingerprintAt returns the request fingerprint of the entry at offset.
func fingerprintAt(c *dedupChunk, offset uint32) (fp requestFingerprint) {
	b := c.bytes[offset:]
	n := requestIDKeyLen(b[0])
	copy(fp[:], b[n:n+fingerprintBytes])
	return fp
}

// ---------------------------------------------------------------- request fingerprints

// requestFingerprint identifies the content of a request: what a client
// chose, not what the proposer stamped (the time, a pin's deadline). A
// request id remembered with one fingerprint and applied again with
// another is refused CODE_REQUEST_ID_REUSED: answering it with the first
// result would tell a client it holds seats it asked nobody for, or sold
// another order. The zero value means "not known" (an entry restored from
// a snapshot written before fingerprints): such an entry answers every
// retry with its first result, as it always did.
type requestFingerprint [fingerprintBytes]byte

// fingerprintBytes is 16: a SHA-256 truncated to 128 bits, collision-free
// for any number of requests a dedup window holds.
const fingerprintBytes = 16

// fingerprintBody is the part of a body oneof that the fingerprint hashes:
// the generated deterministic marshalling of its field.
type fingerprintBody interface {
	SizeVT() int
	MarshalToSizedBufferVT([]byte) (int, error)
}

// fingerprint computes c's request fingerprint: the SHA-256 of its type
// and either the proposer's request_fingerprint (a multi-shard operation's
// digest of the caller's whole request) or the marshalled body. The body
// has no proposer-stamped field except PinHold.pinned_until_ms (the
// leader's time plus a margin), which is left out. It reads no clock and
// no randomness, so every replica computes the same value.
func (d *dedupTable) fingerprint(c *fsmpb.Command) requestFingerprint {
	b := append(d.fingerprintScratch[:0], byte(c.Type>>8), byte(c.Type))
	if len(c.RequestFingerprint) > 0 {
		b = append(b, 1)
		b = append(b, c.RequestFingerprint...)
	} else {
		b = append(b, 0)
		body, _ := c.Body.(fingerprintBody)
		if pin := c.GetPinHold(); pin != nil {
			body = &fsmpb.Command_PinHold{PinHold: &fsmpb.PinHold{EventId: pin.EventId, Shard: pin.Shard, HoldId: pin.HoldId, Holder: pin.Holder}}
		}
		if body != nil {
			size := body.SizeVT()
			b = slices.Grow(b, size)
			if _, err := body.MarshalToSizedBufferVT(b[len(b) : len(b)+size]); err != nil {
				panic(fmt.Sprintf("fsm: command body does not marshal: %v", err))
			}
			b = b[:len(b)+size]
		}
	}
	d.fingerprintScratch = b
	sum := sha256.Sum256(b)
	var fp requestFingerprint
	copy(fp[:], sum[:])
	if fp == (requestFingerprint{}) {
		fp[0] = 1 // zero means "not known"
	}
	return fp
}

// ---------------------------------------------------------------- request id keys

// requestIDKey appends the encoded form of a request id: one byte, then
// either the id (byte = its length, 1..MaxIDBytes) or, when the id starts
// with a canonical lowercase UUID (8-4-4-4-12 hex digits, what
// cluster/client generates), the UUID's 16 bytes and the rest of the id
// (byte = uuidKeyBase + len(rest)). Every id has exactly one encoding, so
// equal ids are equal keys and different ids different keys.
func requestIDKey(b []byte, id string) []byte {
	if len(id) >= 36 && isLowerUUID(id[:36]) {
		b = append(b, byte(uuidKeyBase+len(id)-36))
		for _, i := range uuidHexAt {
			b = append(b, unhex(id[i])<<4|unhex(id[i+1]))
		}
		return append(b, id[36:]...)
	}
	b = append(b, byte(len(id)))
	return append(b, id...)
}

// uuidKeyBase marks the UUID form; MaxIDBytes (128) and the longest rest
// (128 - 36) keep both forms' first byte distinct and under 256.
const uuidKeyBase = MaxIDBytes + 1

// uuidHexAt are the offsets of the 16 hex pairs of a UUID's text.
var uuidHexAt = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

func isLowerUUID(s string) bool {
	for i := range 36 {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}

// requestIDKeyLen is the length of an encoded request id from its first byte.
func requestIDKeyLen(first byte) int {
	if first >= uuidKeyBase {
		return 1 + 16 + int(first) - uuidKeyBase
	}
	return 1 + int(first)
}

// requestIDLen is the length of the request id encoded in key.
func requestIDLen(key []byte) int {
	if key[0] < uuidKeyBase {
		return int(key[0])
	}
	return 36 + int(key[0]) - uuidKeyBase
}

// requestIDFromKey decodes an encoded request id.
func requestIDFromKey(key []byte) string { return string(appendRequestID(nil, key)) }

// appendRequestID appends the request id encoded in key.
func appendRequestID(b, key []byte) []byte {
	if key[0] < uuidKeyBase {
		return append(b, key[1:]...)
	}
	const hexDigits = "0123456789abcdef"
	var out [36]byte
	k := 0
	for i := range out {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			out[i] = '-'
			continue
		}
		v := key[1+k/2]
		if k%2 == 0 {
			v >>= 4
		}
		out[i] = hexDigits[v&15]
		k++
	}
	b = append(b, out[:]...)
	return append(b, key[17:]...)
}

// ---------------------------------------------------------------- index

func (d *dedupTable) hash(key []byte) uint32 {
	return uint32(d.hashOf(d.seed, key)>>32) | 1 // never 0: 0 marks an empty slot
}

// home is the first slot a tag probes (a multiply-shift range reduction:
// any table size works).
func (d *dedupTable) home(tag uint32) int {
	return int(uint64(tag) * uint64(len(d.index)) >> 32)
}

// position is the queue index of the entry with sequence low bits seq.
func (d *dedupTable) position(seq uint32) int {
	return d.head + int(seq-uint32(d.headSeq))
}

// find returns the index slot and queue position of key's live entry, or
// slot -1.
func (d *dedupTable) find(key []byte, tag uint32) (slot, position int) {
	if len(d.index) == 0 {
		return -1, 0
	}
	for i := d.home(tag); ; i = d.next(i) {
		v := d.index[i]
		if v == 0 {
			return -1, 0
		}
		if uint32(v>>32) != tag {
			continue
		}
		p := d.position(uint32(v))
		if k, _, _ := d.entry(d.queue[p]); bytes.Equal(k, key) {
			return i, p
		}
	}
}

func (d *dedupTable) next(i int) int {
	if i++; i == len(d.index) {
		return 0
	}
	return i
}

// insert adds an index slot for a key known to be absent; the index has
// room (push grew it).
func (d *dedupTable) insert(tag uint32, seq uint64) {
	i := d.home(tag)
	for d.index[i] != 0 {
		i = d.next(i)
	}
	d.index[i] = uint64(tag)<<32 | uint64(uint32(seq))
	d.live++
}

// remove empties index slot i and shifts later slots of the probe run
// back, so that every remaining key stays reachable from its home.
func (d *dedupTable) remove(i int) {
	d.live--
	for j := d.next(i); d.index[j] != 0; j = d.next(j) {
		h := d.home(uint32(d.index[j] >> 32))
		// j may move to i iff its home is not cyclically within (i, j].
		if (i <= j && (h <= i || h > j)) || (i > j && h <= i && h > j) {
			d.index[i] = d.index[j]
			i = j
		}
	}
	d.index[i] = 0
}

// resize rebuilds the index with slots slots (at least the minimum) from
// the live entries of the FIFO.
func (d *dedupTable) resize(slots int) {
	d.index = make([]uint64, max(slots, dedupIndexMinSlots))
	for p := d.head; p < len(d.queue); p++ {
		s := d.queue[p]
		if s.superseded() {
			continue
		}
		key, _, _ := d.entry(s)
		tag := d.hash(key)
		i := d.home(tag)
		for d.index[i] != 0 {
			i = d.next(i)
		}
		d.index[i] = uint64(tag)<<32 | uint64(uint32(d.headSeq+uint64(p-d.head)))
	}
}

// ---------------------------------------------------------------- table

// lookup returns the time and the packed first result of requestID's live
// entry; ok is false if the table has none.
func (d *dedupTable) lookup(requestID string) (nowMs int64, packed []byte, ok bool) {
	nowMs, _, packed, ok = d.lookupFingerprint(requestID)
	return nowMs, packed, ok
}

// lookupFingerprint is lookup that also returns the entry's request
// fingerprint (zero if it was remembered without one).
func (d *dedupTable) lookupFingerprint(requestID string) (nowMs int64, fp requestFingerprint, packed []byte, ok bool) {
	d.keyScratch = requestIDKey(d.keyScratch[:0], requestID)
	slot, p := d.find(d.keyScratch, d.hash(d.keyScratch))
	if slot < 0 {
		return 0, fp, nil, false
	}
	s := d.queue[p]
	_, nowMs, packed = d.entry(s)
	return nowMs, fingerprintAt(&d.chunks[s.chunk()-d.chunkBase], s.offset()), packed, true
}

// firstResult decodes a fresh copy of a remembered result.
func firstResult(requestID string, packed []byte) *fsmpb.Result {
	raw, err := unpackResult(nil, packed)
	var r fsmpb.Result
	if err == nil {
		err = proto.Unmarshal(raw, &r)
	}
	if err != nil {
		panic(fmt.Sprintf("fsm: stored result of request %q does not decode: %v", requestID, err))
	}
	r.DedupShard = nil // bookkeeping of moves (move.go), not part of the answer
	return &r
}

// add remembers res as the first result of requestID (a request with
// fingerprint fp) at now, replacing an entry of an earlier window if the
// table still has one, then drops the oldest entries while more than
// entriesMax are live.
func (d *dedupTable) add(requestID string, fp requestFingerprint, now int64, res *fsmpb.Result, entriesMax int) {
	d.scratch = appendStoredResult(d.scratch[:0], res)
	d.addEncoded(requestID, fp, now, d.scratch, entriesMax)
}

// addEncoded is add for an encoded (unpacked) result.
func (d *dedupTable) addEncoded(requestID string, fp requestFingerprint, now int64, result []byte, entriesMax int) {
	d.keyScratch = requestIDKey(d.keyScratch[:0], requestID)
	packedMax := packedResultMax(len(result))
	seq := d.headSeq + uint64(len(d.queue)-d.head)
	slot := d.write(d.keyScratch, fp, now, packedMax, func(b []byte) []byte { return packResult(b, result) })
	d.push(slot, seq)
	for d.live > entriesMax {
		d.popFront()
	}
}

// addPacked is add for an already packed result (Restore); it does not
// enforce entriesMax.
func (d *dedupTable) addPacked(key []byte, fp requestFingerprint, now int64, packed []byte) {
	seq := d.headSeq + uint64(len(d.queue)-d.head)
	slot := d.write(key, fp, now, len(packed), func(b []byte) []byte { return append(b, packed...) })
	d.push(slot, seq)
}

// write appends an entry (key, fingerprint, time, length, body) to the
// arena; body appends at most bodyMax bytes. Times must not decrease.
func (d *dedupTable) write(key []byte, fp requestFingerprint, nowMs int64, bodyMax int, body func([]byte) []byte) dedupSlot {
	need := len(key) + fingerprintBytes + 2*binary.MaxVarintLen64 + bodyMax
	last := len(d.chunks) - 1
	if last < 0 || cap(d.chunks[last].bytes)-len(d.chunks[last].bytes) < need {
		d.chunks = append(d.chunks, dedupChunk{bytes: make([]byte, 0, max(dedupChunkBytes, need)), baseMs: nowMs})
		last++
	}
	if nowMs < d.chunks[last].baseMs {
		panic(fmt.Sprintf("fsm: dedup entry at %d after one at %d", nowMs, d.chunks[last].baseMs))
	}
	c := d.chunks[last].bytes
	offset := len(c)
	c = append(c, key...)
	c = append(c, fp[:]...)
	c = binary.AppendUvarint(c, uint64(nowMs-d.chunks[last].baseMs))
	at := len(c)
	c = append(c, 0) // length, one byte in the common case
	c = body(c)
	n := len(c) - at - 1
	if n >= 128 {
		var length [binary.MaxVarintLen64]byte
		size := binary.PutUvarint(length[:], uint64(n))
		c = append(c, length[1:size]...) // room; moved below
		copy(c[at+size:], c[at+1:at+1+n])
		copy(c[at:], length[:size])
	} else {
		c[at] = byte(n)
	}
	d.chunks[last].bytes = c
	return newDedupSlot(d.chunkBase+uint32(last), offset)
}

// push appends slot (sequence seq) to the FIFO and points the index at it,
// marking the entry it replaces superseded.
func (d *dedupTable) push(slot dedupSlot, seq uint64) {
	if len(d.queue)-d.head >= dedupQueueMax {
		panic("fsm: dedup FIFO over 2^31 entries")
	}
	if (d.live+1)*4 > len(d.index)*3 {
		// To 4/7 full: between growths the index is 4/7 to 3/4 full, and
		// each entry is rehashed a few times over the table's growth.
		d.resize((d.live + 1) * 7 / 4) // before the append: resize indexes the FIFO
	}
	d.queue = append(d.queue, slot)
	key, _, _ := d.entry(slot)
	tag := d.hash(key)
	if i, p := d.find(key, tag); i >= 0 {
		d.queue[p] |= dedupSuperseded
		d.index[i] = uint64(tag)<<32 | uint64(uint32(seq))
		return
	}
	d.insert(tag, seq)
}

// popFront drops the oldest FIFO entry, forgetting it if it is live, and
// the arena chunks before it.
func (d *dedupTable) popFront() {
	s := d.queue[d.head]
	if !s.superseded() {
		key, _, _ := d.entry(s)
		tag := d.hash(key)
		i := d.home(tag)
		for want := uint64(tag)<<32 | uint64(uint32(d.headSeq)); d.index[i] != want; i = d.next(i) {
			if d.index[i] == 0 {
				panic(fmt.Sprintf("fsm: live dedup entry %d missing from the index", d.headSeq))
			}
		}
		d.remove(i)
	}
	d.head++
	d.headSeq++
	if s.chunk() > d.chunkBase {
		drop := int(s.chunk() - d.chunkBase)
		clear(d.chunks[:drop])
		d.chunks = d.chunks[drop:]
		d.chunkBase = s.chunk()
	}
	if d.head >= 1024 && d.head*2 >= len(d.queue) {
		n := copy(d.queue, d.queue[d.head:])
		d.queue = d.queue[:n]
		d.head = 0
	}
	if len(d.index) > dedupIndexMinSlots && d.live*8 < len(d.index) {
		d.resize(2 * d.live)
	}
}

// prune forgets entries applied at or before now-windowMs.
func (d *dedupTable) prune(now, windowMs int64) {
	for d.head < len(d.queue) {
		if _, nowMs, _ := d.entry(d.queue[d.head]); now-nowMs < windowMs {
			return
		}
		d.popFront()
	}
}

// dedupCapture is the dedup part of a Snapshot: the live entries' slots
// and the arena chunks they live in. Arena bytes are never modified once
// written, so a capture shares them with the table.
type dedupCapture struct {
	slots     []dedupSlot
	chunks    []dedupChunk
	chunkBase uint32
}

// capture returns the live entries in FIFO order.
func (d *dedupTable) capture() dedupCapture {
	c := dedupCapture{slots: make([]dedupSlot, 0, d.live), chunks: make([]dedupChunk, len(d.chunks)), chunkBase: d.chunkBase}
	copy(c.chunks, d.chunks)
	for _, s := range d.queue[d.head:] {
		if !s.superseded() {
			c.slots = append(c.slots, s)
		}
	}
	return c
}

// entry returns the encoded request id, the time and the packed result of
// slot s.
func (c *dedupCapture) entry(s dedupSlot) (key []byte, nowMs int64, packed []byte) {
	return splitDedupEntry(&c.chunks[s.chunk()-c.chunkBase], s.offset())
}

// fingerprint returns the request fingerprint of slot s.
func (c *dedupCapture) fingerprint(s dedupSlot) requestFingerprint {
	return fingerprintAt(&c.chunks[s.chunk()-c.chunkBase], s.offset())
}

// ---------------------------------------------------------------- result packing

// packResult appends src (an encoded Result) compressed as an S2 block
// (github.com/klauspost/compress/s2, a Snappy-compatible LZ77 format).
// Results are small and repetitive: a 2-seat sell's result lists each seat
// id twice and the order id and buyer once per ticket. The block encoder
// is deterministic (its output depends only on src and the module's
// version), so replicas of one version agree byte for byte.
func packResult(dst, src []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, s2.MaxEncodedLen(len(src)))
	packed := s2.Encode(dst[n:n+s2.MaxEncodedLen(len(src))], src)
	return dst[:n+len(packed)]
}

// packedResultMax bounds the packed size of n bytes.
func packedResultMax(n int) int { return s2.MaxEncodedLen(n) }

// unpackResult appends the bytes packed in src to dst. It refuses a block
// that does not decode.
func unpackResult(dst, src []byte) ([]byte, error) {
	size, err := s2.DecodedLen(src)
	if err != nil || size > resultBytesMax {
		return nil, errPackedResult
	}
	n := len(dst)
	dst = slices.Grow(dst, size)
	out, err := s2.Decode(dst[n:n+size], src)
	if err != nil || len(out) != size {
		return nil, errPackedResult
	}
	return dst[:n+size], nil
}

// resultBytesMax bounds an unpacked result: larger is corrupt (a Result
// lists at most a hold's seats and tickets).
const resultBytesMax = 1 << 20

var errPackedResult = fmt.Errorf("packed result corrupt")
