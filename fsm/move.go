package fsm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// Moving a shard between groups (driven by node/shardmove.go):
//
//   - FREEZE_SHARD at the source marks the shard frozen by a move id.
//     From that entry on every mutation of the shard (hold, extend, pin,
//     release, sell, refund, archive) is refused CODE_SHARD_MOVING, and the
//     refusal is not remembered under its request id, so a retry after the
//     move (at the new group) or after an abort (here) is a new attempt.
//     SWEEP leaves a frozen shard alone. The Result carries the shard's
//     whole state (shard_state): what a snapshot holds for it (venue,
//     holds, orders, change sequence, ticket counter, pool unit numbers),
//     the store's clock, and the dedup entries remembered with this shard
//     (Command.remember_shard), so that a retry at the new group gets the
//     first answer. A frozen shard never changes, so freezing it again
//     under the same move id (a retry, even after its dedup entry is
//     gone) exports the same state.
//   - IMPORT_SHARD at the target installs exactly that state, refused
//     CODE_ALREADY_EXISTS if the group has the shard. The store's clock
//     moves up to the source's, so a hold that expired there stays
//     expired. The dedup entries join the FIFO at the import's time (they
//     are remembered a full window from there; entries must be in time
//     order), except those whose request id the target already remembers.
//   - DROP_SHARD at the source removes the frozen shard once the catalog
//     points at the target; UNFREEZE_SHARD aborts instead.
//
// Which dedup entries belong to a shard is recorded when the entry is
// written: the stored Result gets a dedup_shard field (never returned)
// when the proposer set remember_shard. Finding them is a scan of the
// whole table under the write lock, once per move.
//
// Rejected: recording the shard of every dedup entry unconditionally (a
// replica of the previous release would store different bytes for the
// same entry, and replicas' state hashes would disagree during an
// upgrade); a side table of request ids per shard (a new snapshot section
// in every snapshot, which the previous release cannot read).

// Shard export format (Result.shard_state, ImportShard.state):
//
//	header   "BOXOSHD\n" (8 bytes), version (uint32 little endian, 1)
//	body     source clock (varint),
//	         the shard as a snapshot encodes it (snapshot.go),
//	         dedup entry count, then per entry: request id, time, request
//	           fingerprint (length-prefixed: 16 bytes or none), packed Result
//	trailer  CRC-32C of header and body (uint32 little endian)
const (
	shardExportMagic   = "BOXOSHD\n"
	shardExportVersion = 1
)

const codeShardMoving = fsmpb.Code_CODE_SHARD_MOVING

func shardMoving(key shardKey) *fsmpb.Result {
	return refuse(codeShardMoving, "event %q shard %d is moving to another group; retry once routing has changed", key.eventID, key.shard)
}

// CommandShard returns the event and shard a command addresses, if it
// addresses one (seat commands, CreateShard and ArchiveShard).
func CommandShard(c *fsmpb.Command) (eventID string, shard uint32, ok bool) {
	key, ok := commandShard(c)
	return key.eventID, key.shard, ok
}

// commandShard returns the shard a command addresses, if it addresses one.
func commandShard(c *fsmpb.Command) (shardKey, bool) {
	type addressed interface {
		GetEventId() string
		GetShard() uint32
	}
	var body addressed
	switch b := c.Body.(type) {
	case *fsmpb.Command_Hold:
		body = b.Hold
	case *fsmpb.Command_ExtendHold:
		body = b.ExtendHold
	case *fsmpb.Command_Release:
		body = b.Release
	case *fsmpb.Command_PinHold:
		body = b.PinHold
	case *fsmpb.Command_Sell:
		body = b.Sell
	case *fsmpb.Command_Refund:
		body = b.Refund
	case *fsmpb.Command_ArchiveShard:
		body = b.ArchiveShard
	case *fsmpb.Command_CreateShard:
		if b.CreateShard.GetEvent() == nil {
			return shardKey{}, false
		}
		return shardKey{b.CreateShard.Event.EventId, b.CreateShard.Shard}, true
	default:
		return shardKey{}, false
	}
	if body == nil {
		return shardKey{}, false
	}
	return shardKey{body.GetEventId(), body.GetShard()}, true
}

func (s *Store) freezeShard(c *fsmpb.FreezeShard) *fsmpb.Result {
	if !validID(c.EventId) || !validID(c.MoveId) {
		return refuse(codeInvalid, "event_id and move_id must be 1..%d bytes", MaxIDBytes)
	}
	key := shardKey{c.EventId, c.Shard}
	sh := s.shards[key]
	if sh == nil {
		return refuse(codeNotFound, "event %q has no shard %d here", c.EventId, c.Shard)
	}
	switch sh.frozenMoveID {
	case "":
		sh.frozenMoveID = c.MoveId
	case c.MoveId:
	default:
		return refuse(codeShardMoving, "event %q shard %d is frozen by move %q", c.EventId, c.Shard, sh.frozenMoveID)
	}
	return &fsmpb.Result{Code: codeOK, ShardState: s.exportShard(sh)}
}

// refreeze answers a retried FREEZE_SHARD whose first Result came from the
// dedup table: the state is not stored there, so it is exported again
// while the shard is still frozen by the same move.
func (s *Store) refreeze(c *fsmpb.Command, first *fsmpb.Result) *fsmpb.Result {
	f := c.GetFreezeShard()
	if f == nil || first.Code != codeOK {
		return first
	}
	if sh := s.shards[shardKey{f.EventId, f.Shard}]; sh != nil && sh.frozenMoveID == f.MoveId {
		first.ShardState = s.exportShard(sh)
	}
	return first
}

// exportShard encodes sh and the dedup entries remembered with it.
func (s *Store) exportShard(sh *shard) []byte {
	b := append([]byte(shardExportMagic), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[len(shardExportMagic):], shardExportVersion)
	b = binary.AppendVarint(b, s.clockMs)
	c := captureShard(sh)
	b = appendShard(b, &c, keepAll)
	entries := s.dedup.entriesOf(sh.key)
	b = binary.AppendUvarint(b, uint64(len(entries)))
	for _, slot := range entries {
		key, nowMs, packed := s.dedup.entry(slot)
		b = binary.AppendUvarint(b, uint64(requestIDLen(key)))
		b = appendRequestID(b, key)
		b = binary.AppendVarint(b, nowMs)
		if fp := fingerprintAt(&s.dedup.chunks[slot.chunk()-s.dedup.chunkBase], slot.offset()); fp != (requestFingerprint{}) {
			b = appendBytes(b, fp[:])
		} else {
			b = appendBytes(b, nil)
		}
		b = appendBytes(b, packed)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// entriesOf lists, in FIFO order, the live entries whose stored Result
// names key as its dedup_shard.
func (d *dedupTable) entriesOf(key shardKey) []dedupSlot {
	var out []dedupSlot
	var raw []byte
	for _, slot := range d.queue[d.head:] {
		if slot.superseded() {
			continue
		}
		_, _, packed := d.entry(slot)
		var err error
		if raw, err = unpackResult(raw[:0], packed); err != nil {
			panic(fmt.Sprintf("fsm: stored result does not unpack: %v", err))
		}
		if k, ok := storedResultShard(raw); ok && k == key {
			out = append(out, slot)
		}
	}
	return out
}

// storedResultShard reads the dedup_shard field (21) of an encoded Result.
func storedResultShard(raw []byte) (shardKey, bool) {
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return shardKey{}, false
		}
		raw = raw[n:]
		if num == 21 && typ == protowire.BytesType {
			msg, n := protowire.ConsumeBytes(raw)
			if n < 0 {
				return shardKey{}, false
			}
			var ref fsmpb.ShardRef
			if err := ref.UnmarshalVT(msg); err != nil {
				return shardKey{}, false
			}
			return shardKey{ref.EventId, ref.Shard}, true
		}
		n = protowire.ConsumeFieldValue(num, typ, raw)
		if n < 0 {
			return shardKey{}, false
		}
		raw = raw[n:]
	}
	return shardKey{}, false
}

// importedEntry is one dedup entry of a shard export.
type importedEntry struct {
	key    []byte
	fp     requestFingerprint
	packed []byte
}

// decodeShardExport decodes and checks an export (the same checks as a
// snapshot's shard, and every Result must decode).
func decodeShardExport(data []byte, opts Options) (clockMs int64, sh *shard, entries []importedEntry, err error) {
	if len(data) < len(shardExportMagic)+8 || !bytes.HasPrefix(data, []byte(shardExportMagic)) {
		return 0, nil, nil, errors.New("not a shard export")
	}
	if v := binary.LittleEndian.Uint32(data[len(shardExportMagic):]); v != shardExportVersion {
		return 0, nil, nil, fmt.Errorf("shard export version %d, this build reads version %d", v, shardExportVersion)
	}
	body, trailer := data[:len(data)-4], data[len(data)-4:]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(trailer) {
		return 0, nil, nil, errors.New("checksum mismatch")
	}
	d := &decoder{b: body[len(shardExportMagic)+4:]}
	clockMs = d.varint()
	if sh, err = decodeShard(d, opts); err != nil {
		return 0, nil, nil, err
	}
	n := d.count("dedup entry", uint64(len(d.b)/3))
	var scratch []byte
	seen := make(map[string]bool, n)
	for range n {
		requestID := d.bytes("request id", MaxIDBytes)
		_ = d.varint() // the time at the source; the import's time replaces it
		var e importedEntry
		switch b := d.bytes("request fingerprint", fingerprintBytes); len(b) {
		case 0:
		case fingerprintBytes:
			copy(e.fp[:], b)
		default:
			d.fail("dedup entry %q: request fingerprint of %d bytes", requestID, len(b))
		}
		e.packed = bytes.Clone(d.bytes("result", 1<<24))
		if d.err != nil {
			return 0, nil, nil, d.err
		}
		if len(requestID) == 0 || seen[string(requestID)] {
			return 0, nil, nil, fmt.Errorf("dedup entry %q empty or repeated", requestID)
		}
		seen[string(requestID)] = true
		if scratch, err = unpackResult(scratch[:0], e.packed); err != nil {
			return 0, nil, nil, fmt.Errorf("dedup entry %q: %v", requestID, err)
		}
		var check fsmpb.Result
		if err := check.UnmarshalVT(scratch); err != nil {
			return 0, nil, nil, fmt.Errorf("dedup entry %q: result: %v", requestID, err)
		}
		e.key = requestIDKey(nil, string(requestID))
		entries = append(entries, e)
	}
	if d.err != nil {
		return 0, nil, nil, d.err
	}
	if len(d.b) != 0 {
		return 0, nil, nil, fmt.Errorf("%d unexpected bytes after the last entry", len(d.b))
	}
	return clockMs, sh, entries, nil
}

func (s *Store) importShard(now int64, c *fsmpb.ImportShard) *fsmpb.Result {
	clockMs, sh, entries, err := decodeShardExport(c.State, s.opts)
	if err != nil {
		return refuse(codeInvalid, "import shard: the state does not decode: %v", err)
	}
	if s.shards[sh.key] != nil {
		return refuse(codeAlreadyExist, "event %q shard %d already exists", sh.key.eventID, sh.key.shard)
	}
	if len(s.shards) >= MaxShardsPerStore {
		return refuse(codeTooLarge, "the group already holds %d shards", MaxShardsPerStore)
	}
	s.addShard(sh)
	for _, e := range entries {
		if slot, _ := s.dedup.find(e.key, s.dedup.hash(e.key)); slot >= 0 {
			continue // the target remembers this id itself
		}
		s.dedup.addPacked(e.key, e.fp, now, e.packed)
	}
	for s.dedup.live > s.opts.DedupEntriesMax {
		s.dedup.popFront()
	}
	// After the entries, which are written at now: the FIFO is in time
	// order, and the clock never runs backwards.
	s.clockMs = max(s.clockMs, clockMs)
	return &fsmpb.Result{Code: codeOK}
}

func (s *Store) dropShard(c *fsmpb.DropShard) *fsmpb.Result {
	if !validID(c.EventId) || !validID(c.MoveId) {
		return refuse(codeInvalid, "event_id and move_id must be 1..%d bytes", MaxIDBytes)
	}
	key := shardKey{c.EventId, c.Shard}
	sh := s.shards[key]
	switch {
	case sh == nil:
		return &fsmpb.Result{Code: codeOK}
	case sh.frozenMoveID != c.MoveId:
		return refuse(codeInvalid, "event %q shard %d is not frozen by move %q; only a frozen shard is dropped", c.EventId, c.Shard, c.MoveId)
	}
	s.removeShard(key)
	return &fsmpb.Result{Code: codeOK}
}

func (s *Store) unfreezeShard(c *fsmpb.UnfreezeShard) *fsmpb.Result {
	if !validID(c.EventId) || !validID(c.MoveId) {
		return refuse(codeInvalid, "event_id and move_id must be 1..%d bytes", MaxIDBytes)
	}
	sh := s.shards[shardKey{c.EventId, c.Shard}]
	switch {
	case sh == nil:
		return refuse(codeNotFound, "event %q has no shard %d here", c.EventId, c.Shard)
	case sh.frozenMoveID == "":
		return &fsmpb.Result{Code: codeOK}
	case sh.frozenMoveID != c.MoveId:
		return refuse(codeShardMoving, "event %q shard %d is frozen by move %q", c.EventId, c.Shard, sh.frozenMoveID)
	}
	sh.frozenMoveID = ""
	return &fsmpb.Result{Code: codeOK}
}

// removeShard forgets a shard and its place in the iteration order.
func (s *Store) removeShard(key shardKey) {
	delete(s.shards, key)
	if i, found := slices.BinarySearchFunc(s.ordered, key, func(a, b shardKey) int {
		switch {
		case a.less(b):
			return -1
		case b.less(a):
			return 1
		}
		return 0
	}); found {
		s.ordered = slices.Delete(s.ordered, i, i+1)
	}
}

// FrozenShard reports the move id that froze a shard ("" when not frozen
// or not here).
func (s *Store) FrozenShard(eventID string, shard uint32) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if sh := s.shards[shardKey{eventID, shard}]; sh != nil {
		return sh.frozenMoveID
	}
	return ""
}
