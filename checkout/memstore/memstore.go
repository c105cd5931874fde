// Package memstore is an in-memory checkout.Store: one mutex over a sorted
// map. It keeps the Store contract exactly (global versions, CAS, bounded
// counters, ordered scans) so that tests and the demo exercise the same
// semantics the cluster-backed store will have. Several gateways sharing
// one *Store behave like gateways sharing a cluster; nothing survives the
// process.
package memstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/boxoffice/boxoffice/checkout"
)

// Store is safe for concurrent use.
type Store struct {
	mu      sync.Mutex
	version uint64
	entries map[string]entry
	keys    []string // sorted

	batches    map[string]batchAnswer // by request id
	batchOrder []string               // request ids, oldest first
}

type entry struct {
	value   []byte
	version uint64
}

var _ checkout.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store { return &Store{entries: map[string]entry{}} }

func check(key string, value []byte) error {
	if key == "" || len(key) > checkout.KeyBytesMax || len(value) > checkout.ValueBytesMax {
		return fmt.Errorf("%w: key %d bytes, value %d bytes", checkout.ErrTooLarge, len(key), len(value))
	}
	return nil
}

// Get implements checkout.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	if !ok {
		return nil, 0, checkout.ErrNotFound
	}
	return slices.Clone(e.value), e.version, nil
}

// CompareAndSwap implements checkout.Store.
func (s *Store) CompareAndSwap(ctx context.Context, key string, expected uint64, value []byte) (uint64, error) {
	if err := check(key, value); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	if (!ok && expected != 0) || (ok && e.version != expected) {
		return 0, checkout.ErrVersionMismatch
	}
	return s.put(key, slices.Clone(value), !ok), nil
}

func (s *Store) put(key string, value []byte, isNew bool) uint64 {
	s.version++
	s.entries[key] = entry{value: value, version: s.version}
	if isNew {
		i, _ := slices.BinarySearch(s.keys, key)
		s.keys = slices.Insert(s.keys, i, key)
	}
	return s.version
}

// Delete implements checkout.Store.
func (s *Store) Delete(ctx context.Context, key string, expected uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	if !ok {
		return checkout.ErrNotFound
	}
	if expected == 0 || e.version != expected {
		return checkout.ErrVersionMismatch
	}
	s.version++ // a delete consumes a version too, as in the cluster
	delete(s.entries, key)
	i, _ := slices.BinarySearch(s.keys, key)
	s.keys = slices.Delete(s.keys, i, i+1)
	return nil
}

// Add implements checkout.Store.
func (s *Store) Add(ctx context.Context, key string, delta, lo, hi int64) (int64, error) {
	if err := check(key, nil); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	var current int64
	if ok {
		n, err := strconv.ParseInt(string(e.value), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("memstore: counter %q holds %q, not a decimal integer", key, e.value)
		}
		current = n
	}
	next := current + delta
	if (delta > 0 && next < current) || (delta < 0 && next > current) || next < lo || next > hi {
		return current, checkout.ErrOutOfRange
	}
	s.put(key, []byte(strconv.FormatInt(next, 10)), !ok)
	return next, nil
}

// Scan implements checkout.Store.
func (s *Store) Scan(ctx context.Context, prefix, after string, limit int) ([]checkout.KeyValue, error) {
	if limit <= 0 || limit > checkout.ScanLimitMax {
		return nil, fmt.Errorf("memstore: scan limit %d outside 1..%d", limit, checkout.ScanLimitMax)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	start := prefix
	if after > start {
		start = after
	}
	i, found := slices.BinarySearch(s.keys, start)
	if found && start == after {
		i++
	}
	var out []checkout.KeyValue
	for ; i < len(s.keys) && len(out) < limit; i++ {
		k := s.keys[i]
		if !strings.HasPrefix(k, prefix) {
			break
		}
		e := s.entries[k]
		out = append(out, checkout.KeyValue{Key: k, Value: slices.Clone(e.value), Version: e.version})
	}
	return out, nil
}

// Len reports the number of keys (for tests).
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

// batchesRemembered bounds the request ids Batch remembers (oldest
// forgotten first), as the cluster's dedup table does.
const batchesRemembered = 100_000

type batchAnswer struct {
	fingerprint [32]byte
	results     []checkout.OpResult
	err         error
}

// Batch implements checkout.Store.
func (s *Store) Batch(ctx context.Context, requestID string, ops []checkout.Op) ([]checkout.OpResult, error) {
	if err := checkout.CheckBatch(ops); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fp := fingerprint(ops)
	s.mu.Lock()
	defer s.mu.Unlock()
	if requestID != "" {
		if a, ok := s.batches[requestID]; ok {
			if a.fingerprint != fp {
				return nil, checkout.ErrRequestIDReused
			}
			return slices.Clone(a.results), a.err
		}
	}
	results, err := s.applyBatch(ops)
	if requestID != "" {
		if s.batches == nil {
			s.batches = map[string]batchAnswer{}
		}
		if len(s.batchOrder) >= batchesRemembered {
			delete(s.batches, s.batchOrder[0])
			s.batchOrder = s.batchOrder[1:]
		}
		s.batches[requestID] = batchAnswer{fingerprint: fp, results: slices.Clone(results), err: err}
		s.batchOrder = append(s.batchOrder, requestID)
	}
	return results, err
}

// applyBatch checks every condition, then applies all or nothing. s.mu is
// held.
func (s *Store) applyBatch(ops []checkout.Op) ([]checkout.OpResult, error) {
	results := make([]checkout.OpResult, len(ops))
	counters := make([]int64, len(ops))
	for i, op := range ops {
		e, ok := s.entries[op.Key]
		refuse := func(err error, current uint64) error {
			return &checkout.BatchError{Index: i, Key: op.Key, Err: err, Current: current}
		}
		switch op.Kind {
		case checkout.OpPut, checkout.OpCheck:
			if op.Expected != checkout.AnyVersion && ((!ok && op.Expected != 0) || (ok && e.version != op.Expected)) {
				return nil, refuse(checkout.ErrVersionMismatch, e.version)
			}
			results[i].Version = e.version
		case checkout.OpDelete:
			if !ok {
				if op.Expected == checkout.AnyVersion {
					continue
				}
				return nil, refuse(checkout.ErrNotFound, 0)
			}
			if op.Expected != checkout.AnyVersion && e.version != op.Expected {
				return nil, refuse(checkout.ErrVersionMismatch, e.version)
			}
		case checkout.OpAdd:
			var current int64
			if ok {
				n, err := strconv.ParseInt(string(e.value), 10, 64)
				if err != nil {
					return nil, fmt.Errorf("memstore: counter %q holds %q, not a decimal integer", op.Key, e.value)
				}
				current = n
			}
			next := current + op.Delta
			if (op.Delta > 0 && next < current) || (op.Delta < 0 && next > current) || next < op.Min || next > op.Max {
				return nil, refuse(checkout.ErrOutOfRange, uint64(current))
			}
			counters[i] = next
		}
	}
	for i, op := range ops {
		_, ok := s.entries[op.Key]
		switch op.Kind {
		case checkout.OpPut:
			results[i].Version = s.put(op.Key, slices.Clone(op.Value), !ok)
		case checkout.OpAdd:
			results[i].Version = s.put(op.Key, []byte(strconv.FormatInt(counters[i], 10)), !ok)
			results[i].Value = counters[i]
		case checkout.OpDelete:
			if ok {
				s.version++
				delete(s.entries, op.Key)
				j, _ := slices.BinarySearch(s.keys, op.Key)
				s.keys = slices.Delete(s.keys, j, j+1)
			}
		}
	}
	return results, nil
}

// fingerprint digests a batch's operations, to tell a retry from a reuse.
func fingerprint(ops []checkout.Op) [32]byte {
	h := sha256.New()
	var b [8]byte
	for _, op := range ops {
		h.Write([]byte{byte(op.Kind)})
		binary.BigEndian.PutUint64(b[:], uint64(len(op.Key)))
		h.Write(b[:])
		h.Write([]byte(op.Key))
		for _, n := range []uint64{op.Expected, uint64(len(op.Value)), uint64(op.Delta), uint64(op.Min), uint64(op.Max)} {
			binary.BigEndian.PutUint64(b[:], n)
			h.Write(b[:])
		}
		h.Write(op.Value)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}
