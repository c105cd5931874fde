package jepsen

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// TestRetryCheckerCatchesAMismatch: compareRetry counts a retry that gets
// the first answer, and catches the planted bugs — a retry answered with
// another hold's seats, a retry refused REQUEST_ID_REUSED — while a retry
// without a definite answer is not compared. A run that compared none,
// or found a mismatch, is not valid.
func TestRetryCheckerCatchesAMismatch(t *testing.T) {
	w := &workload{cfg: &Config{OpTimeout: time.Second}, cluster: &cluster{conns: make([]*grpc.ClientConn, 1)}}
	cs := &clientState{rng: rand.New(rand.NewPCG(1, 1)), plan: clientPlan{nodes: []int{1}}}
	first := &boxofficev1.HoldResponse{HoldId: "h1", EventId: "ev", Holder: "alice", SeatIds: []string{"A-1"}}
	reused, _ := status.New(codes.FailedPrecondition, "this request id was already used for a different request").
		WithDetails(&errdetails.ErrorInfo{Reason: boxofficev1.ReasonRequestIDReused, Domain: boxofficev1.ErrorDomain})
	for _, tc := range []struct {
		name   string
		answer proto.Message
		err    error
	}{
		{"the first answer", proto.Clone(first), nil},
		{"another hold's seats", &boxofficev1.HoldResponse{HoldId: "h1", EventId: "ev", Holder: "bob", SeatIds: []string{"A-1"}}, nil},
		{"refused as a reused id", nil, reused.Err()},
		{"no answer (a fault)", nil, status.Error(codes.Unavailable, "no leader")},
	} {
		var answer proto.Message
		send := func(context.Context, boxofficev1.InventoryClient, *Op) error {
			answer = tc.answer
			return tc.err
		}
		w.compareRetry(context.Background(), cs, Op{Kind: KindHold, RequestID: "r-" + tc.name}, send, first, func() proto.Message { return answer })
	}
	r := w.retries
	if r.Compared != 3 || r.Mismatches != 2 || len(r.Mismatched) != 2 ||
		!strings.Contains(r.Mismatched[0], "bob") || !strings.Contains(r.Mismatched[1], boxofficev1.ReasonRequestIDReused) {
		t.Fatalf("retries %+v, want 3 compared and the 2 planted mismatches", r)
	}
	if (RetryResult{Compared: 0}).valid() || (RetryResult{Compared: 5, Mismatches: 1}).valid() || !(RetryResult{Compared: 5}).valid() {
		t.Fatal("RetryResult.valid: a run with no retry compared, or a mismatch, must not pass")
	}
}
