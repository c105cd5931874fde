package client

import (
	"context"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster/client/clienttest"
)

// A Records mutation retries like the seat calls: same request id on every
// attempt; a business answer (FAILED_PRECONDITION) is not retried.
func TestRecordsRetryKeepsRequestID(t *testing.T) {
	fake := clienttest.NewCluster(t, 2)
	var attempts atomic.Int32
	fake.Handle(func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		if method != "CompareAndSwap" {
			return nil, status.Errorf(codes.Unimplemented, "%s", method)
		}
		if attempts.Add(1) < 3 {
			return nil, status.Error(codes.Unavailable, "no leader")
		}
		if req.(*boxofficev1.CompareAndSwapRequest).GetExpectedVersion() == 9 {
			return nil, status.Error(codes.FailedPrecondition, "version mismatch")
		}
		return &boxofficev1.CompareAndSwapResponse{Version: 7}, nil
	})
	c := dial(t, fake.Addrs())
	req := &boxofficev1.CompareAndSwapRequest{Key: "k", Value: []byte("v")}
	resp, err := c.CompareAndSwapRecord(context.Background(), req)
	if err != nil || resp.GetVersion() != 7 {
		t.Fatalf("CompareAndSwapRecord: %v %v", resp, err)
	}
	calls := fake.Calls("CompareAndSwap")
	if len(calls) != 3 {
		t.Fatalf("%d attempts, want 3", len(calls))
	}
	for i, call := range calls {
		if id := call.Request.(*boxofficev1.CompareAndSwapRequest).GetRequestId(); id == "" || id != req.GetRequestId() {
			t.Errorf("attempt %d has request id %q, want %q", i+1, id, req.GetRequestId())
		}
	}
	_, err = c.CompareAndSwapRecord(context.Background(), &boxofficev1.CompareAndSwapRequest{Key: "k", ExpectedVersion: 9})
	if status.Code(err) != codes.FailedPrecondition || len(fake.Calls("CompareAndSwap")) != 4 {
		t.Fatalf("mismatch: %v after %d calls, want one FAILED_PRECONDITION attempt", err, len(fake.Calls("CompareAndSwap")))
	}
}

// BatchRecords fills in a request id when the caller gives none and keeps
// it on every attempt, and keeps the caller's own.
func TestBatchRecordsRetryKeepsRequestID(t *testing.T) {
	fake := clienttest.NewCluster(t, 2)
	var attempts atomic.Int32
	fake.Handle(func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		if method != "Batch" {
			return nil, status.Errorf(codes.Unimplemented, "%s", method)
		}
		if attempts.Add(1)%2 == 1 {
			return nil, status.Error(codes.Unavailable, "no leader")
		}
		return &boxofficev1.BatchRecordsResponse{Results: []*boxofficev1.RecordOpResult{{Version: 4}}}, nil
	})
	c := dial(t, fake.Addrs())
	ops := []*boxofficev1.RecordOp{{Kind: boxofficev1.RecordOp_KIND_PUT, Key: "{p}/k", Value: []byte("v")}}
	for _, given := range []string{"", "caller-id"} {
		before := len(fake.Calls("Batch"))
		req := &boxofficev1.BatchRecordsRequest{RequestId: given, Ops: ops}
		resp, err := c.BatchRecords(context.Background(), req)
		if err != nil || len(resp.GetResults()) != 1 || resp.GetResults()[0].GetVersion() != 4 {
			t.Fatalf("BatchRecords: %v %v", resp, err)
		}
		if given != "" && req.GetRequestId() != given {
			t.Fatalf("request id %q replaced by %q", given, req.GetRequestId())
		}
		calls := fake.Calls("Batch")[before:]
		if len(calls) != 2 {
			t.Fatalf("%d attempts, want 2", len(calls))
		}
		for i, call := range calls {
			if id := call.Request.(*boxofficev1.BatchRecordsRequest).GetRequestId(); id == "" || id != req.GetRequestId() {
				t.Errorf("attempt %d has request id %q, want %q", i+1, id, req.GetRequestId())
			}
		}
	}
}
