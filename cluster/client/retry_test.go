package client

import (
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// TestRetryableReasons: which refusals the client retries.
func TestRetryableReasons(t *testing.T) {
	refused := func(code codes.Code, reason string) error {
		st, err := status.New(code, "refused").WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: boxofficev1.ErrorDomain})
		if err != nil {
			t.Fatal(err)
		}
		return st.Err()
	}
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{refused(codes.Unavailable, ReasonShardMoving), true},
		{refused(codes.Unavailable, boxofficev1.ReasonNoLeader), true},
		{refused(codes.ResourceExhausted, ReasonBusy), true},
		{refused(codes.ResourceExhausted, boxofficev1.ReasonNotEnoughSeats), false},
		{refused(codes.FailedPrecondition, ReasonRequestIDReused), false},
		{refused(codes.FailedPrecondition, boxofficev1.ReasonShardMoveRunning), false},
		{refused(codes.Aborted, boxofficev1.ReasonSeatUnavailable), false},
	} {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("retryable(%v %s) = %v, want %v", status.Code(tt.err), boxofficev1.ReasonOf(tt.err), got, tt.want)
		}
	}
}
