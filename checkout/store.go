package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Store is the only place the gateway keeps state that must survive it:
// idempotency records, buyer limits, orders, tickets, check-ins, the
// waiting room and the notification outbox. Gateways keep nothing else
// that matters, so any number of them can run behind a load balancer.
//
// The contract, which the cluster implementation must keep exactly:
//
//   - Keys are non-empty UTF-8 strings of at most KeyBytesMax bytes; values
//     are at most ValueBytesMax bytes. Larger ones are refused with
//     ErrTooLarge and change nothing.
//   - Every successful write (CompareAndSwap, Add, Delete) is linearizable
//     and durable when it returns, and gives the written key a new version:
//     for one key, versions are > 0, strictly increase over the store's
//     life and are never reused, even after a Delete and a re-create. A
//     version therefore names one value of one key for ever, which is what
//     makes compare-and-swap free of ABA. Versions of different keys are
//     not comparable (the cluster draws them per data group; memstore from
//     one counter), and no caller compares them.
//   - Get returns the latest value and its version, or ErrNotFound.
//   - CompareAndSwap writes value only if the key's current version equals
//     expectedVersion, where 0 means "the key must not exist". Otherwise it
//     returns ErrVersionMismatch and changes nothing. It returns the new
//     version.
//   - Delete removes the key only if its version equals expectedVersion
//     (0 is refused with ErrVersionMismatch); deleting a missing key
//     returns ErrNotFound.
//   - Add atomically adds delta to the counter stored under key (a missing
//     key counts as 0) if the result stays within [min, max]; otherwise it
//     returns ErrOutOfRange and changes nothing. A counter is an ordinary
//     key whose value is the decimal text of an int64: Get and Scan see it,
//     Delete removes it, and CompareAndSwap on it must keep it decimal.
//   - Scan returns up to limit keys (1..ScanLimitMax) that start with
//     prefix and sort strictly after after (byte order), ascending, with
//     their values and versions, read at one linearizable point.
//   - Every method honours ctx: on a deadline the write may or may not have
//     happened (as with the cluster's own requests), so callers make their
//     writes idempotent (CAS on a version they read, or keys derived from
//     request ids).
//
// There are deliberately no multi-key transactions and no TTLs: every
// multi-step flow in this package is a chain of single-key CAS steps, each
// idempotent, which the reconciler can finish or undo from what it finds.
type Store interface {
	Get(ctx context.Context, key string) (value []byte, version uint64, err error)
	CompareAndSwap(ctx context.Context, key string, expectedVersion uint64, value []byte) (newVersion uint64, err error)
	Delete(ctx context.Context, key string, expectedVersion uint64) error
	Add(ctx context.Context, key string, delta, min, max int64) (newValue int64, err error)
	Scan(ctx context.Context, prefix, after string, limit int) ([]KeyValue, error)
}

// KeyValue is one entry returned by Store.Scan.
type KeyValue struct {
	Key     string
	Value   []byte
	Version uint64
}

// Limits of a Store.
const (
	KeyBytesMax   = 512
	ValueBytesMax = 256 << 10
	ScanLimitMax  = 1000
)

// Store errors. Implementations return them (possibly wrapped).
var (
	ErrNotFound        = errors.New("store: key not found")
	ErrVersionMismatch = errors.New("store: version mismatch")
	ErrOutOfRange      = errors.New("store: counter would leave its range")
	ErrTooLarge        = errors.New("store: key or value too large")
)

// getJSON reads key into v. It returns the version, or ErrNotFound.
func getJSON(ctx context.Context, s Store, key string, v any) (uint64, error) {
	raw, version, err := s.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		// A record this package wrote does not decode: the store or a
		// buggy writer corrupted it. Refuse loudly rather than act on it.
		return 0, fmt.Errorf("store record %q is corrupt: %w", key, err)
	}
	return version, nil
}

// casJSON writes v under key if its version is still expected.
func casJSON(ctx context.Context, s Store, key string, expected uint64, v any) (uint64, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	return s.CompareAndSwap(ctx, key, expected, raw)
}

// casRetriesMax bounds the optimistic retries of update.
const casRetriesMax = 64

// update runs a read-modify-write of the JSON record under key until its
// CAS wins. mutate receives the current record (exists=false: the zero
// value) and returns whether to write; returning false, or an error,
// leaves the record as it is. It returns the record as finally stored.
func update[T any](ctx context.Context, s Store, key string, mutate func(rec *T, exists bool) (write bool, err error)) (T, error) {
	get := func(ctx context.Context, key string, v any) (uint64, error) { return getJSON(ctx, s, key, v) }
	cas := func(ctx context.Context, key string, expected uint64, v any) (uint64, error) {
		return casJSON(ctx, s, key, expected, v)
	}
	return updateWith(ctx, key, get, cas, mutate)
}

// updateWith is update over a record's own read and compare-and-swap
// (plain JSON, or sealed: updateSealed).
func updateWith[T any](ctx context.Context, key string,
	get func(ctx context.Context, key string, v any) (uint64, error),
	cas func(ctx context.Context, key string, expected uint64, v any) (uint64, error),
	mutate func(rec *T, exists bool) (write bool, err error)) (T, error) {
	for range casRetriesMax {
		var rec T
		version, err := get(ctx, key, &rec)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return rec, err
		}
		write, err := mutate(&rec, exists)
		if err != nil || !write {
			return rec, err
		}
		if _, err := cas(ctx, key, version, &rec); err == nil {
			return rec, nil
		} else if !errors.Is(err, ErrVersionMismatch) {
			return rec, err
		}
		if err := ctx.Err(); err != nil {
			return rec, err
		}
	}
	var zero T
	return zero, fmt.Errorf("%w: record %q changed %d times in a row", ErrBusy, key, casRetriesMax)
}

// decodeRecord decodes a scanned JSON record.
func decodeRecord(kv KeyValue, v any) error {
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return fmt.Errorf("store record %q is corrupt: %w", kv.Key, err)
	}
	return nil
}
