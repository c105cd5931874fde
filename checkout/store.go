package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
//
//   - Every successful write (CompareAndSwap, Add, Delete) is linearizable
//     and durable when it returns, and gives the written key a new version:
//     for one key, versions are > 0, strictly increase over the store's
//     life and are never reused, even after a Delete and a re-create. A
//     version therefore names one value of one key for ever, which is what
//     makes compare-and-swap free of ABA. Versions of different keys are
//     not comparable (the cluster draws them per data group; memstore from
//     one counter), and no caller compares them.
//
//   - Get returns the latest value and its version, or ErrNotFound.
//
//   - CompareAndSwap writes value only if the key's current version equals
//     expectedVersion, where 0 means "the key must not exist". Otherwise it
//     returns ErrVersionMismatch and changes nothing. It returns the new
//     version.
//
//   - Delete removes the key only if its version equals expectedVersion
//     (0 is refused with ErrVersionMismatch); deleting a missing key
//     returns ErrNotFound.
//
//   - Add atomically adds delta to the counter stored under key (a missing
//     key counts as 0) if the result stays within [min, max]; otherwise it
//     returns ErrOutOfRange and changes nothing. A counter is an ordinary
//     key whose value is the decimal text of an int64: Get and Scan see it,
//     Delete removes it, and CompareAndSwap on it must keep it decimal.
//
//   - Scan returns up to limit keys (1..ScanLimitMax) that start with
//     prefix and sort strictly after after (byte order), ascending, with
//     their values and versions, read at one linearizable point.
//
//   - Every method honours ctx: on a deadline the write may or may not have
//     happened (as with the cluster's own requests), so callers make their
//     writes idempotent (CAS on a version they read, or keys derived from
//     request ids).
//
//   - Batch applies several operations on keys of one placement (see
//     Placement) atomically: every condition is checked first, in order,
//     and either all operations apply, as one linearizable, durable write,
//     or none does and the error is a *BatchError naming the first
//     operation that refused (wrapping ErrVersionMismatch, ErrOutOfRange,
//     ErrNotFound or ErrTooLarge). Keys of different placements are
//     refused with ErrCrossPlacement, and a key named twice with
//     ErrDuplicateKey, before anything is sent (CheckBatch). A non-empty requestID makes the batch idempotent:
//     the same batch sent again with the same id (a retry after a timeout,
//     or another gateway finishing the flow) returns the first answer
//     verbatim, success or refusal, and applies nothing; the same id with
//     different operations is refused with ErrRequestIDReused. Ids are
//     remembered for a bounded window (the cluster's dedup table), so
//     callers use them for retries, not as permanent markers.
//
// There are no TTLs and no transactions across placements: a flow whose
// records share a placement writes them in one Batch; a flow over several
// placements is a chain of batches, each idempotent, which the reconciler
// can finish or undo from what it finds.
type Store interface {
	Get(ctx context.Context, key string) (value []byte, version uint64, err error)
	CompareAndSwap(ctx context.Context, key string, expectedVersion uint64, value []byte) (newVersion uint64, err error)
	Delete(ctx context.Context, key string, expectedVersion uint64) error
	Add(ctx context.Context, key string, delta, min, max int64) (newValue int64, err error)
	Scan(ctx context.Context, prefix, after string, limit int) ([]KeyValue, error)
	Batch(ctx context.Context, requestID string, ops []Op) ([]OpResult, error)
}

// Placement is the part of key that decides where it is stored: the text
// between the first "{" and the next "}" when that is not empty (a
// placement tag, as in Redis Cluster's hash tags), otherwise the whole
// key. Keys with equal placements live together, so one Batch can write
// them; "order/{fan:ann}/ord_1" and "buyer/{fan:ann}/ev1" share one.
func Placement(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

// OpKind is what one Batch operation does.
type OpKind uint8

const (
	// OpPut writes Value under Key if its version is Expected (0: the
	// key must not exist; AnyVersion: whatever it is, created if missing).
	OpPut OpKind = iota + 1
	// OpDelete removes Key if its version is Expected (AnyVersion: if it
	// exists at all). A missing key refuses with ErrNotFound unless
	// Expected is AnyVersion, where deleting nothing succeeds.
	OpDelete
	// OpAdd adds Delta to the counter under Key within [Min, Max].
	OpAdd
	// OpCheck writes nothing: it refuses the batch unless Key's version is
	// Expected (0: the key must not exist).
	OpCheck
)

// AnyVersion as an Op's Expected matches every version (and, for OpPut,
// a missing key).
const AnyVersion = ^uint64(0)

// Op is one operation of a Batch.
type Op struct {
	Kind     OpKind
	Key      string
	Expected uint64 // OpPut, OpDelete, OpCheck
	Value    []byte // OpPut
	Delta    int64  // OpAdd
	Min, Max int64  // OpAdd
}

// OpResult is what one applied operation produced.
type OpResult struct {
	Version uint64 // OpPut, OpAdd: the key's new version; OpCheck: its version
	Value   int64  // OpAdd: the counter's new value
}

// BatchOpsMax bounds the operations of one Batch.
const BatchOpsMax = 64

// BatchError is a Batch refused by its operation Index; nothing applied.
// Current is that key's current version (ErrVersionMismatch) or counter
// value (ErrOutOfRange) when the store knows it.
type BatchError struct {
	Index   int
	Key     string
	Err     error
	Current uint64
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("batch operation %d (%s): %v", e.Index, e.Key, e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// CheckBatch validates ops against the Batch contract without a store:
// count, kinds, sizes, one placement, no key twice.
func CheckBatch(ops []Op) error {
	if len(ops) == 0 || len(ops) > BatchOpsMax {
		return fmt.Errorf("%w: a batch has 1..%d operations, not %d", ErrTooLarge, BatchOpsMax, len(ops))
	}
	place := Placement(ops[0].Key)
	seen := make(map[string]bool, len(ops))
	for i, op := range ops {
		if op.Kind < OpPut || op.Kind > OpCheck {
			return fmt.Errorf("batch operation %d: unknown kind %d", i, op.Kind)
		}
		if op.Key == "" || len(op.Key) > KeyBytesMax || len(op.Value) > ValueBytesMax {
			return &BatchError{Index: i, Key: op.Key, Err: ErrTooLarge}
		}
		if Placement(op.Key) != place {
			return &BatchError{Index: i, Key: op.Key, Err: ErrCrossPlacement}
		}
		if seen[op.Key] {
			return &BatchError{Index: i, Key: op.Key, Err: ErrDuplicateKey}
		}
		seen[op.Key] = true
	}
	return nil
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
	ErrCrossPlacement  = errors.New("store: batch keys have different placements")
	ErrDuplicateKey    = errors.New("store: batch names a key twice")
	ErrRequestIDReused = errors.New("store: request id reused with a different batch")
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
