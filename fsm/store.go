package fsm

import (
	"fmt"
	"sort"
	"sync"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"google.golang.org/protobuf/proto"
)

// MaxShardsPerStore bounds the shards one data group holds; a CreateShard
// over it is refused with CODE_TOO_LARGE.
const MaxShardsPerStore = 100_000

// Store is the state machine of one data group. All methods are safe for
// concurrent use: Apply, ApplyBatch and Restore take the write lock, reads
// and Snapshot the read lock.
type Store struct {
	opts Options // with defaults applied

	mu           sync.RWMutex
	appliedIndex uint64
	// clockMs is the replicated clock: the largest now_unix_ms applied so
	// far. Commands are executed at max(now_unix_ms, clockMs), so time
	// never runs backwards across a leader change (a hold that expired
	// stays expired) and the dedup FIFO is ordered by time.
	clockMs int64
	shards  map[shardKey]*shard
	ordered []shardKey // keys of shards, sorted; fixes every iteration order
	dedup   dedupTable
	records recordTable // see records.go
}

// New returns an empty Store. It panics if opts.Validate fails: options are
// configuration, checked at startup by the caller.
func New(opts Options) *Store {
	if err := opts.Validate(); err != nil {
		panic(err)
	}
	return &Store{
		opts:    opts.withDefaults(),
		shards:  make(map[shardKey]*shard),
		dedup:   newDedupTable(),
		records: newRecordTable(),
	}
}

// Apply applies one Raft log entry at index: data is an encoded
// fsmpb.Batch. It returns one Result per command, in order. An entry that
// does not decode, or an index that does not move forward, is corruption
// and panics; business refusals are Results.
func (s *Store) Apply(index uint64, data []byte) []*fsmpb.Result {
	var b fsmpb.Batch
	if err := proto.Unmarshal(data, &b); err != nil {
		panic(fmt.Sprintf("fsm: log entry %d does not decode as a Batch: %v", index, err))
	}
	return s.ApplyBatch(index, &b)
}

// ApplyBatch is Apply for an already decoded batch. The batch is not
// retained and not modified.
func (s *Store) ApplyBatch(index uint64, b *fsmpb.Batch) []*fsmpb.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	if index <= s.appliedIndex {
		panic(fmt.Sprintf("fsm: log entry %d applied after entry %d", index, s.appliedIndex))
	}
	commands := b.GetCommands()
	results := make([]*fsmpb.Result, len(commands))
	for i, c := range commands {
		results[i] = s.applyCommand(c)
	}
	s.appliedIndex = index
	return results
}

// AppliedIndex is the index of the last applied entry (or of the restored
// snapshot).
func (s *Store) AppliedIndex() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.appliedIndex
}

func refuse(code fsmpb.Code, format string, args ...any) *fsmpb.Result {
	return &fsmpb.Result{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (s *Store) applyCommand(c *fsmpb.Command) *fsmpb.Result {
	if c == nil {
		return refuse(fsmpb.Code_CODE_INVALID, "nil command")
	}
	if c.Type == fsmpb.CommandType_COMMAND_TYPE_SWEEP {
		if c.GetSweep() == nil {
			return refuse(fsmpb.Code_CODE_INVALID, "SWEEP without a sweep body")
		}
		return s.sweep(s.advanceClock(c.NowUnixMs))
	}
	// Without a request id the command cannot be made idempotent; the
	// refusal itself is not remembered (there is no key to remember it by).
	if c.RequestId == "" || len(c.RequestId) > MaxIDBytes {
		return refuse(fsmpb.Code_CODE_INVALID, "request_id must be 1..%d bytes", MaxIDBytes)
	}
	now := s.advanceClock(c.NowUnixMs)
	previous := s.dedup.byID[c.RequestId]
	if previous != nil && now-previous.nowMs < s.opts.DedupWindowMs {
		return previous.firstResult()
	}
	res := s.execute(c, now)
	s.dedup.add(previous, c.RequestId, now, res, s.opts.DedupEntriesMax)
	return res
}

// advanceClock moves the replicated clock forward to nowMs (never back)
// and returns the time the command executes at.
func (s *Store) advanceClock(nowMs int64) int64 {
	if nowMs > s.clockMs {
		s.clockMs = nowMs
	}
	return s.clockMs
}

func (s *Store) execute(c *fsmpb.Command, now int64) *fsmpb.Result {
	if c.NowUnixMs <= 0 {
		return refuse(fsmpb.Code_CODE_INVALID, "now_unix_ms = %d: the proposer must stamp the time", c.NowUnixMs)
	}
	mismatch := func() *fsmpb.Result {
		return refuse(fsmpb.Code_CODE_INVALID, "command type %v does not match its body", c.Type)
	}
	switch c.Type {
	case fsmpb.CommandType_COMMAND_TYPE_CREATE_SHARD:
		if b := c.GetCreateShard(); b != nil {
			return s.createShard(c.RequestId, b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_HOLD:
		if b := c.GetHold(); b != nil {
			return s.hold(now, b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_EXTEND_HOLD:
		if b := c.GetExtendHold(); b != nil {
			return s.extendHold(now, b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_RELEASE:
		if b := c.GetRelease(); b != nil {
			return s.release(now, b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_PIN_HOLD:
		if b := c.GetPinHold(); b != nil {
			return s.pinHold(now, b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_SELL:
		if b := c.GetSell(); b != nil {
			return s.sell(now, b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_REFUND:
		if b := c.GetRefund(); b != nil {
			return s.refund(b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_RECORD_CAS:
		if b := c.GetRecordCas(); b != nil {
			return s.recordCompareAndSwap(b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_RECORD_DELETE:
		if b := c.GetRecordDelete(); b != nil {
			return s.recordDelete(b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_RECORD_ADD:
		if b := c.GetRecordAdd(); b != nil {
			return s.recordAdd(b)
		}
		return mismatch()
	default:
		return refuse(fsmpb.Code_CODE_INVALID, "unknown command type %v", c.Type)
	}
}

// shardFor finds the shard a command addresses, or the refusal.
func (s *Store) shardFor(eventID string, shardNumber uint32) (*shard, *fsmpb.Result) {
	if eventID == "" || len(eventID) > MaxIDBytes {
		return nil, refuse(fsmpb.Code_CODE_INVALID, "event_id must be 1..%d bytes", MaxIDBytes)
	}
	sh := s.shards[shardKey{eventID, shardNumber}]
	if sh == nil {
		return nil, refuse(fsmpb.Code_CODE_NOT_FOUND, "event %q has no shard %d here", eventID, shardNumber)
	}
	return sh, nil
}

func (s *Store) addShard(sh *shard) {
	s.shards[sh.key] = sh
	i := sort.Search(len(s.ordered), func(i int) bool { return !s.ordered[i].less(sh.key) })
	s.ordered = append(s.ordered, shardKey{})
	copy(s.ordered[i+1:], s.ordered[i:])
	s.ordered[i] = sh.key
}

// dedupEntry remembers the first result of a request id. Entries are
// immutable once added, so Snapshot may share them.
//
// The request id and the encoded result share one string (data), so an
// entry is two allocations (this 32-byte struct and data) and the map key
// is a substring of data: a million entries, a few per seat at an on-sale,
// are the largest table of a busy store.
type dedupEntry struct {
	data  string // request id, then the deterministic encoding of the first Result
	idLen uint8  // len(request id); MaxIDBytes fits
	// superseded is set when the request id was applied again after its
	// window and a newer entry replaced this one in byID. Only the table
	// reads it (never a Snapshot), under the write lock.
	superseded bool
	nowMs      int64
}

func newDedupEntry(requestID string, nowMs int64, result []byte) *dedupEntry {
	return &dedupEntry{data: requestID + string(result), idLen: uint8(len(requestID)), nowMs: nowMs}
}

func (e *dedupEntry) requestID() string { return e.data[:e.idLen] }

// result is the encoded first Result, read only.
func (e *dedupEntry) result() string { return e.data[e.idLen:] }

// dedupTable maps request ids to first results, with a FIFO in apply
// order (which, with the monotonic clock, is also time order). The FIFO
// may contain superseded entries (a request id reused after its window);
// they are skipped: an entry is live iff byID points to it (iff it is not
// marked superseded).
type dedupTable struct {
	byID    map[string]*dedupEntry
	queue   []*dedupEntry
	head    int
	scratch []byte // encoding buffer, reused
}

func newDedupTable() dedupTable {
	return dedupTable{byID: make(map[string]*dedupEntry)}
}

var deterministic = proto.MarshalOptions{Deterministic: true}

// firstResult decodes a fresh copy of the remembered result.
func (e *dedupEntry) firstResult() *fsmpb.Result {
	var r fsmpb.Result
	if err := proto.Unmarshal([]byte(e.result()), &r); err != nil {
		panic(fmt.Sprintf("fsm: stored result of request %q does not decode: %v", e.requestID(), err))
	}
	return &r
}

// add remembers the first result of requestID; previous is its entry from
// an earlier window, if the table still has it.
func (d *dedupTable) add(previous *dedupEntry, requestID string, now int64, res *fsmpb.Result, entriesMax int) {
	d.scratch = appendStoredResult(d.scratch[:0], res)
	e := newDedupEntry(requestID, now, d.scratch)
	if previous != nil {
		previous.superseded = true
	}
	d.byID[e.requestID()] = e
	d.queue = append(d.queue, e)
	for len(d.byID) > entriesMax {
		d.popFront()
	}
}

// popFront drops the oldest FIFO element, forgetting it if it is live.
func (d *dedupTable) popFront() {
	e := d.queue[d.head]
	d.queue[d.head] = nil
	d.head++
	if !e.superseded {
		delete(d.byID, e.requestID())
	}
	if d.head >= 1024 && d.head*2 >= len(d.queue) {
		n := copy(d.queue, d.queue[d.head:])
		clear(d.queue[n:])
		d.queue = d.queue[:n]
		d.head = 0
	}
}

// prune forgets entries applied at or before now-windowMs.
func (d *dedupTable) prune(now, windowMs int64) {
	for d.head < len(d.queue) && now-d.queue[d.head].nowMs >= windowMs {
		d.popFront()
	}
}

// live returns the live entries in FIFO order.
func (d *dedupTable) live() []*dedupEntry {
	out := make([]*dedupEntry, 0, len(d.byID))
	for _, e := range d.queue[d.head:] {
		if !e.superseded {
			out = append(out, e)
		}
	}
	return out
}
