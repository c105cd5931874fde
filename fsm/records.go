package fsm

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/btree"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// Records: a small linearizable key-value store kept next to the seats of
// a data group (the checkout gateway's durable state; see checkout.Store).
//
// One table per Store, not per shard: records belong to no event. Keys sort
// in byte order in a B-tree (google/btree) whose Clone is O(1) and
// copy-on-write, so Snapshot captures the table without copying it, and
// record values are immutable (a write replaces the *record), so a capture
// shares them safely while Apply continues.
//
// Versions come from one counter per Store, +1 for every successful write
// (CAS, ADD and DELETE alike), kept in snapshots: they are > 0, strictly
// increase and are never reused, even after a delete and a re-create. The
// counter is replicated state, so every replica gives the same versions.
// (Rejected: index<<16|position, which is as deterministic but would tie
// versions to the Raft log, making a snapshot format change or a batch of
// more than 65536 commands a versioning problem.)
//
// Refusals, checked in this order: the key (INVALID when empty or not
// UTF-8, TOO_LARGE over MaxRecordKeyBytes); the value (TOO_LARGE over
// MaxRecordValueBytes) or ADD's range (INVALID when min > max); NOT_FOUND
// (DELETE of a missing key); VERSION_MISMATCH; for ADD, INVALID when the
// stored value is not a decimal int64, then OUT_OF_RANGE; last TOO_LARGE
// when the table is full (MaxRecordsPerStore, MaxRecordBytesPerStore).

// Record limits. A command over one is refused with CODE_TOO_LARGE and
// changes nothing.
const (
	// MaxRecordKeyBytes bounds a record key (which must be non-empty UTF-8).
	MaxRecordKeyBytes = 512
	// MaxRecordValueBytes bounds a record value.
	MaxRecordValueBytes = 256 << 10
	// MaxRecordsPerStore bounds the records of one data group; a write
	// that would create one more is refused (TOO_LARGE).
	MaxRecordsPerStore = 1_000_000
	// MaxRecordBytesPerStore bounds the sum of key and value bytes of one
	// data group's records (1 GiB); a write over it is refused.
	MaxRecordBytesPerStore = 1 << 30
	// MaxRecordScanLimit bounds the records one ScanRecords returns.
	MaxRecordScanLimit = 1000
)

// Record is one key, its value and its version, as read by GetRecord and
// ScanRecords. Value is shared with the store and must not be modified.
type Record struct {
	Key     string
	Value   []byte
	Version uint64
}

// record is immutable once in the tree.
type record struct {
	key     string
	value   []byte
	version uint64
}

func (r *record) size() int64 { return int64(len(r.key) + len(r.value)) }

func recordLess(a, b *record) bool { return a.key < b.key }

// recordTable is the records of one Store. The tree, version and bytes
// change only under the Store's write lock.
type recordTable struct {
	tree    *btree.BTreeG[*record]
	version uint64 // the last version given
	bytes   int64  // sum of key and value bytes
	// cloneMu serializes Clone, which writes the tree's copy-on-write
	// context and so is not safe between two readers holding the Store's
	// read lock (Snapshot and StateHash may run concurrently).
	cloneMu *sync.Mutex
}

const recordTreeDegree = 32

func newRecordTable() recordTable {
	return recordTable{tree: btree.NewG(recordTreeDegree, recordLess), cloneMu: &sync.Mutex{}}
}

func (t *recordTable) get(key string) *record {
	r, _ := t.tree.Get(&record{key: key})
	return r
}

func (t *recordTable) clone() *btree.BTreeG[*record] {
	t.cloneMu.Lock()
	defer t.cloneMu.Unlock()
	return t.tree.Clone()
}

// put writes value under key with the next version and returns it.
func (t *recordTable) put(previous *record, key string, value []byte) uint64 {
	t.version++
	r := &record{key: key, value: value, version: t.version}
	if previous != nil {
		t.bytes -= previous.size()
	}
	t.bytes += r.size()
	t.tree.ReplaceOrInsert(r)
	return r.version
}

// room refuses a write that would replace previous (nil: a new key) by
// key and value if the table would go over its limits.
func (t *recordTable) room(previous *record, key string, valueBytes int) *fsmpb.Result {
	grow := int64(len(key) + valueBytes)
	if previous == nil {
		if t.tree.Len() >= MaxRecordsPerStore {
			return refuse(codeTooLarge, "the group already holds %d records", MaxRecordsPerStore)
		}
	} else {
		grow -= previous.size()
	}
	if t.bytes+grow > MaxRecordBytesPerStore {
		return refuse(codeTooLarge, "the group's records would exceed %d bytes", MaxRecordBytesPerStore)
	}
	return nil
}

func checkRecordKey(key string) *fsmpb.Result {
	if key == "" || !utf8.ValidString(key) {
		return refuse(codeInvalid, "record key must be non-empty UTF-8")
	}
	if len(key) > MaxRecordKeyBytes {
		return refuse(codeTooLarge, "record key is %d bytes; the limit is %d", len(key), MaxRecordKeyBytes)
	}
	return nil
}

func versionMismatch(current *record, expected uint64) *fsmpb.Result {
	r := refuse(codeVersionMismatch, "record version is %d, expected %d", current.currentVersion(), expected)
	r.RecordVersion = current.currentVersion()
	return r
}

// currentVersion is the version of r, or 0 when the key is missing.
func (r *record) currentVersion() uint64 {
	if r == nil {
		return 0
	}
	return r.version
}

func (s *Store) recordCompareAndSwap(c *fsmpb.RecordCompareAndSwap) *fsmpb.Result {
	if refusal := checkRecordKey(c.Key); refusal != nil {
		return refusal
	}
	if len(c.Value) > MaxRecordValueBytes {
		return refuse(codeTooLarge, "record value is %d bytes; the limit is %d", len(c.Value), MaxRecordValueBytes)
	}
	current := s.records.get(c.Key)
	if current.currentVersion() != c.ExpectedVersion {
		return versionMismatch(current, c.ExpectedVersion)
	}
	if refusal := s.records.room(current, c.Key, len(c.Value)); refusal != nil {
		return refusal
	}
	// The command is not retained, but its bytes may be shared with a
	// decoded entry the caller keeps: own the value.
	value := append([]byte(nil), c.Value...)
	return &fsmpb.Result{Code: codeOK, RecordVersion: s.records.put(current, c.Key, value)}
}

func (s *Store) recordDelete(c *fsmpb.RecordDelete) *fsmpb.Result {
	if refusal := checkRecordKey(c.Key); refusal != nil {
		return refusal
	}
	current := s.records.get(c.Key)
	if current == nil {
		return refuse(codeNotFound, "record %q does not exist", c.Key)
	}
	if c.ExpectedVersion == 0 || current.version != c.ExpectedVersion {
		return versionMismatch(current, c.ExpectedVersion)
	}
	// A delete consumes a version too, so that the counter alone orders
	// every write of the group.
	s.records.version++
	s.records.bytes -= current.size()
	s.records.tree.Delete(current)
	return &fsmpb.Result{Code: codeOK, RecordVersion: s.records.version}
}

func (s *Store) recordAdd(c *fsmpb.RecordAdd) *fsmpb.Result {
	if refusal := checkRecordKey(c.Key); refusal != nil {
		return refusal
	}
	current := s.records.get(c.Key)
	next, refusal := addToCounter(current, c.Key, c.Delta, c.Min, c.Max)
	if refusal != nil {
		return refusal
	}
	text := []byte(strconv.FormatInt(next, 10))
	if refusal := s.records.room(current, c.Key, len(text)); refusal != nil {
		return refusal
	}
	return &fsmpb.Result{Code: codeOK, RecordVersion: s.records.put(current, c.Key, text), CounterValue: next}
}

// addToCounter adds delta to the decimal int64 counter current (nil: 0)
// under key, or refuses: an empty range, a record that is not a counter, a
// result outside [lo, hi] or an overflow (OUT_OF_RANGE with the current
// value and version).
func addToCounter(current *record, key string, delta, lo, hi int64) (int64, *fsmpb.Result) {
	if lo > hi {
		return 0, refuse(codeInvalid, "counter range [%d, %d] is empty", lo, hi)
	}
	var value int64
	if current != nil {
		n, err := strconv.ParseInt(string(current.value), 10, 64)
		if err != nil {
			return 0, refuse(codeInvalid, "record %q holds %q, not a decimal int64", key, truncateForMessage(current.value))
		}
		value = n
	}
	next := value + delta
	if (delta > 0 && next < value) || (delta < 0 && next > value) || next < lo || next > hi {
		r := refuse(codeOutOfRange, "counter %q is %d; adding %d leaves [%d, %d]", key, value, delta, lo, hi)
		r.CounterValue = value
		r.RecordVersion = current.currentVersion()
		return 0, r
	}
	return next, nil
}

func truncateForMessage(b []byte) string {
	const max = 64
	if len(b) > max {
		return strings.ToValidUTF8(string(b[:max]), "?") + "..."
	}
	return strings.ToValidUTF8(string(b), "?")
}

// GetRecord returns the record under key, if any.
func (s *Store) GetRecord(key string) (Record, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.records.get(key)
	if r == nil {
		return Record{}, false
	}
	return Record{Key: r.key, Value: r.value, Version: r.version}, true
}

// ScanRecords returns, ascending, up to limit (1..MaxRecordScanLimit;
// other values are clamped) records whose keys start with prefix and sort
// strictly after after. It stops early, after at least one record, once
// the keys and values returned reach bytesMax (<= 0: no cap); truncated
// then says that more keys may match.
func (s *Store) ScanRecords(prefix, after string, limit, bytesMax int) (records []Record, truncated bool) {
	limit = min(max(limit, 1), MaxRecordScanLimit)
	start := max(prefix, after)
	s.mu.RLock()
	defer s.mu.RUnlock()
	size := 0
	s.records.tree.AscendGreaterOrEqual(&record{key: start}, func(r *record) bool {
		if r.key == after {
			return true
		}
		if !strings.HasPrefix(r.key, prefix) {
			return false
		}
		if len(records) == limit {
			return false
		}
		if bytesMax > 0 && len(records) > 0 && size+int(r.size()) > bytesMax {
			truncated = true
			return false
		}
		size += int(r.size())
		records = append(records, Record{Key: r.key, Value: r.value, Version: r.version})
		return true
	})
	return records, truncated
}

// RecordCount returns the number of records and the last version given.
func (s *Store) RecordCount() (count int, lastVersion uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.records.tree.Len(), s.records.version
}
