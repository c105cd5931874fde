package fsm

import (
	"fmt"
	"sort"
	"sync"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
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
	// The generated decoder: entries are written by the leader from
	// requests gRPC decoded and checked already.
	var b fsmpb.Batch
	if err := b.UnmarshalVT(data); err != nil {
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
	fp := s.dedup.fingerprint(c)
	if appliedMs, first, packed, ok := s.dedup.lookupFingerprint(c.RequestId); ok && now-appliedMs < s.opts.DedupWindowMs {
		// A retry answers the first result verbatim; the same id on another
		// request is refused and not remembered, changing nothing (as
		// Stripe's idempotency keys). An entry without a fingerprint (from
		// an older snapshot) answers every retry, as it did.
		if first != (requestFingerprint{}) && first != fp {
			return refuse(fsmpb.Code_CODE_REQUEST_ID_REUSED, "this request id was already used for a different request; send a new request with a new request id")
		}
		return s.refreeze(c, firstResult(c.RequestId, packed))
	}
	res := s.execute(c, now)
	if res.Code == codeShardMoving {
		// Not remembered: the retry that follows the move (at the new
		// group) or its abort (here) must be a new attempt.
		return res
	}
	if key, ok := commandShard(c); ok && c.RememberShard {
		res.DedupShard = &fsmpb.ShardRef{EventId: key.eventID, Shard: key.shard}
	}
	s.dedup.add(c.RequestId, fp, now, res, s.opts.DedupEntriesMax)
	res.DedupShard = nil
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
	case fsmpb.CommandType_COMMAND_TYPE_RECORD_BATCH:
		if b := c.GetRecordBatch(); b != nil {
			return s.recordBatch(b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_ARCHIVE_SHARD:
		if b := c.GetArchiveShard(); b != nil {
			return s.archiveShard(now, b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_FREEZE_SHARD:
		if b := c.GetFreezeShard(); b != nil {
			return s.freezeShard(b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_IMPORT_SHARD:
		if b := c.GetImportShard(); b != nil {
			return s.importShard(now, b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_DROP_SHARD:
		if b := c.GetDropShard(); b != nil {
			return s.dropShard(b)
		}
		return mismatch()
	case fsmpb.CommandType_COMMAND_TYPE_UNFREEZE_SHARD:
		if b := c.GetUnfreezeShard(); b != nil {
			return s.unfreezeShard(b)
		}
		return mismatch()
	default:
		return refuse(fsmpb.Code_CODE_INVALID, "unknown command type %v", c.Type)
	}
}

// shardFor finds the shard a command that mutates it addresses, or the
// refusal (CODE_SHARD_MOVING while the shard is frozen for a move).
func (s *Store) shardFor(eventID string, shardNumber uint32) (*shard, *fsmpb.Result) {
	if eventID == "" || len(eventID) > MaxIDBytes {
		return nil, refuse(fsmpb.Code_CODE_INVALID, "event_id must be 1..%d bytes", MaxIDBytes)
	}
	sh := s.shards[shardKey{eventID, shardNumber}]
	if sh == nil {
		return nil, refuse(fsmpb.Code_CODE_NOT_FOUND, "event %q has no shard %d here", eventID, shardNumber)
	}
	if sh.frozenMoveID != "" {
		return nil, shardMoving(sh.key)
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
