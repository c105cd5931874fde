// Package clusterstore is checkout.Store on a Boxoffice cluster: the
// Records service of the nodes (see api/boxoffice/v1/boxoffice.proto),
// reached through cluster/client, which retries on leader changes and busy
// queues with one request id per call, so a retried write applies once.
//
// Keys are spread over the cluster's data groups by a hash of their
// placement (checkout.Placement, the same rule as
// boxofficev1.RecordPlacement); each group keeps its keys in a replicated
// B-tree and numbers its writes. Batch is one Records.Batch call: one
// replicated command in the placement's group, applied all or nothing. So,
// compared with the contract in checkout/store.go:
//
//   - Versions come from one counter per data group, not one for the whole
//     store: for a given key they are > 0, strictly increase and are never
//     reused (a key stays in its group), which is what CAS needs; versions
//     of two keys in different groups are not comparable. The gateway only
//     ever compares a key's version with an earlier version of the same key.
//   - Scan reads every group concurrently, each at its own linearizable
//     point, and merges them: it reflects every write acknowledged before it
//     began, but is not one read point across groups (two writes to
//     different groups made while it runs may show in either combination).
//     Callers page with after anyway, which already gives up a single point
//     across pages.
//   - Scan of a prefix that holds a placement tag reads that placement's
//     one group, at one linearizable point.
//   - Errors map back to the checkout sentinels (NOT_FOUND, reasons
//     VERSION_MISMATCH, OUT_OF_RANGE, LIMIT_EXCEEDED and
//     REQUEST_ID_REUSED); a refused Batch is a *checkout.BatchError built
//     from the refusal's op_index and current version or value; a
//     deadline or a cancellation wraps the context's error; anything else
//     is the gRPC status error as is.
//   - Batch needs a cluster at feature level 3; before, it is refused
//     (FAILED_PRECONDITION, CLUSTER_UPGRADING) and returned as is.
package clusterstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/cluster/client"
)

// Store implements checkout.Store over a cluster. Safe for concurrent use.
type Store struct {
	c *client.Client
}

var _ checkout.Store = (*Store)(nil)

// New returns a Store that keeps its records in the cluster c is connected
// to. The caller keeps ownership of c (and closes it).
func New(c *client.Client) checkout.Store { return &Store{c: c} }

// validKey reports whether key can exist: non-empty UTF-8 of at most
// KeyBytesMax bytes.
func validKey(key string) bool {
	return key != "" && len(key) <= checkout.KeyBytesMax && utf8.ValidString(key)
}

func checkWrite(key string, valueBytes int) error {
	if key == "" || len(key) > checkout.KeyBytesMax || valueBytes > checkout.ValueBytesMax {
		return fmt.Errorf("%w: key %d bytes, value %d bytes", checkout.ErrTooLarge, len(key), valueBytes)
	}
	if !utf8.ValidString(key) {
		return errors.New("clusterstore: key is not valid UTF-8")
	}
	return nil
}

// Get implements checkout.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	if !validKey(key) {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("%w: %q can never be a key", checkout.ErrNotFound, key)
	}
	r, err := s.c.GetRecord(ctx, &boxofficev1.GetRecordRequest{Key: key})
	if err != nil {
		return nil, 0, storeError(err)
	}
	return r.GetValue(), r.GetVersion(), nil
}

// CompareAndSwap implements checkout.Store.
func (s *Store) CompareAndSwap(ctx context.Context, key string, expectedVersion uint64, value []byte) (uint64, error) {
	if err := checkWrite(key, len(value)); err != nil {
		return 0, err
	}
	resp, err := s.c.CompareAndSwapRecord(ctx, &boxofficev1.CompareAndSwapRequest{Key: key, ExpectedVersion: expectedVersion, Value: value})
	if err != nil {
		return 0, storeError(err)
	}
	return resp.GetVersion(), nil
}

// Delete implements checkout.Store.
func (s *Store) Delete(ctx context.Context, key string, expectedVersion uint64) error {
	if !validKey(key) {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("%w: %q can never be a key", checkout.ErrNotFound, key)
	}
	if _, err := s.c.DeleteRecord(ctx, &boxofficev1.DeleteRecordRequest{Key: key, ExpectedVersion: expectedVersion}); err != nil {
		return storeError(err)
	}
	return nil
}

// Add implements checkout.Store. On ErrOutOfRange it returns the current
// value, as memstore does.
func (s *Store) Add(ctx context.Context, key string, delta, lo, hi int64) (int64, error) {
	if err := checkWrite(key, 0); err != nil {
		return 0, err
	}
	resp, err := s.c.AddRecord(ctx, &boxofficev1.AddRequest{Key: key, Delta: delta, Min: lo, Max: hi})
	if err != nil {
		err = storeError(err)
		if errors.Is(err, checkout.ErrOutOfRange) {
			return currentValue(err), err
		}
		return 0, err
	}
	return resp.GetValue(), nil
}

// Scan implements checkout.Store. A server page cut by its size cap
// (truncated) is continued here, so the caller gets limit records unless
// fewer match, as the contract says.
func (s *Store) Scan(ctx context.Context, prefix, after string, limit int) ([]checkout.KeyValue, error) {
	if limit <= 0 || limit > checkout.ScanLimitMax {
		return nil, fmt.Errorf("clusterstore: scan limit %d outside 1..%d", limit, checkout.ScanLimitMax)
	}
	var out []checkout.KeyValue
	for len(out) < limit {
		resp, err := s.c.ScanRecords(ctx, &boxofficev1.ScanRequest{Prefix: prefix, After: after, Limit: uint32(limit - len(out))})
		if err != nil {
			return nil, storeError(err)
		}
		for _, r := range resp.GetRecords() {
			out = append(out, checkout.KeyValue{Key: r.GetKey(), Value: r.GetValue(), Version: r.GetVersion()})
		}
		if !resp.GetTruncated() || len(resp.GetRecords()) == 0 {
			break
		}
		after = out[len(out)-1].Key
	}
	return out, nil
}

// Batch implements checkout.Store. Without a requestID the client draws
// one, so that its own retries (a leader change, a busy queue) still
// apply the batch once.
func (s *Store) Batch(ctx context.Context, requestID string, ops []checkout.Op) ([]checkout.OpResult, error) {
	if err := checkout.CheckBatch(ops); err != nil {
		return nil, err
	}
	req := &boxofficev1.BatchRecordsRequest{RequestId: requestID, Ops: make([]*boxofficev1.RecordOp, len(ops))}
	for i, op := range ops {
		if !utf8.ValidString(op.Key) {
			return nil, &checkout.BatchError{Index: i, Key: op.Key, Err: errors.New("clusterstore: key is not valid UTF-8")}
		}
		r := &boxofficev1.RecordOp{Kind: batchKinds[op.Kind], Key: op.Key, Value: op.Value, Delta: op.Delta, Min: op.Min, Max: op.Max}
		if op.Expected == checkout.AnyVersion {
			r.AnyVersion = true
		} else {
			r.ExpectedVersion = op.Expected
		}
		req.Ops[i] = r
	}
	resp, err := s.c.BatchRecords(ctx, req)
	if err != nil {
		return nil, batchError(err, ops)
	}
	if len(resp.GetResults()) != len(ops) {
		return nil, fmt.Errorf("clusterstore: %d results for a batch of %d operations", len(resp.GetResults()), len(ops))
	}
	out := make([]checkout.OpResult, len(ops))
	for i, r := range resp.GetResults() {
		out[i] = checkout.OpResult{Version: r.GetVersion(), Value: r.GetValue()}
	}
	return out, nil
}

var batchKinds = map[checkout.OpKind]boxofficev1.RecordOp_Kind{
	checkout.OpPut:    boxofficev1.RecordOp_KIND_PUT,
	checkout.OpDelete: boxofficev1.RecordOp_KIND_DELETE,
	checkout.OpAdd:    boxofficev1.RecordOp_KIND_ADD,
	checkout.OpCheck:  boxofficev1.RecordOp_KIND_CHECK,
}

// batchError maps a Batch's error: a refusal naming an operation becomes
// a *checkout.BatchError around the sentinel storeError gives.
func batchError(err error, ops []checkout.Op) error {
	mapped := storeError(err)
	md := boxofficev1.ErrorInfoOf(err).GetMetadata()
	index, perr := strconv.Atoi(md[boxofficev1.MetadataOpIndex])
	if perr != nil || index < 0 || index >= len(ops) {
		return mapped
	}
	be := &checkout.BatchError{Index: index, Key: ops[index].Key, Err: mapped}
	switch {
	case errors.Is(mapped, checkout.ErrVersionMismatch):
		be.Current, _ = strconv.ParseUint(md[boxofficev1.MetadataCurrentVersion], 10, 64)
	case errors.Is(mapped, checkout.ErrOutOfRange):
		be.Current = uint64(currentValue(mapped))
	}
	return be
}

// storeError maps a Records error to the checkout sentinels.
func storeError(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	reason := boxofficev1.ReasonOf(err)
	switch {
	case st.Code() == codes.NotFound:
		return fmt.Errorf("%w: %s", checkout.ErrNotFound, st.Message())
	case st.Code() == codes.FailedPrecondition && reason == boxofficev1.ReasonVersionMismatch:
		return &refusal{sentinel: checkout.ErrVersionMismatch, status: st}
	case st.Code() == codes.OutOfRange && reason == boxofficev1.ReasonOutOfRange:
		return &refusal{sentinel: checkout.ErrOutOfRange, status: st}
	case st.Code() == codes.FailedPrecondition && reason == boxofficev1.ReasonRequestIDReused:
		return fmt.Errorf("%w: %s", checkout.ErrRequestIDReused, st.Message())
	case st.Code() == codes.InvalidArgument && reason == boxofficev1.ReasonLimitExceeded:
		return fmt.Errorf("%w: %s", checkout.ErrTooLarge, st.Message())
	case st.Code() == codes.DeadlineExceeded:
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	case st.Code() == codes.Canceled:
		return fmt.Errorf("%w: %w", context.Canceled, err)
	}
	return err
}

// refusal is a sentinel with the status it came from (whose ErrorInfo
// metadata carries the current version or value).
type refusal struct {
	sentinel error
	status   *status.Status
}

func (r *refusal) Error() string { return r.sentinel.Error() + ": " + r.status.Message() }
func (r *refusal) Unwrap() error { return r.sentinel }

func currentValue(err error) int64 {
	var r *refusal
	if !errors.As(err, &r) {
		return 0
	}
	value := boxofficev1.ErrorInfoOf(r.status.Err()).GetMetadata()[boxofficev1.MetadataCurrentValue]
	if n, err := strconv.ParseInt(value, 10, 64); err == nil {
		return n
	}
	return 0
}
