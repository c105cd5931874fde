package checkout

import (
	"net/http"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// TestRequestIDReusedIsAConflictProblem: the cluster's refusal of a
// request id reused for another request (FAILED_PRECONDITION
// REQUEST_ID_REUSED) reaches the client as a 409 problem that names the
// reason and is not retryable (no Retry-After).
func TestRequestIDReusedIsAConflictProblem(t *testing.T) {
	st, _ := status.New(codes.FailedPrecondition, "this request id was already used for a different request; send a new request with a new request id").
		WithDetails(&errdetails.ErrorInfo{Reason: boxofficev1.ReasonRequestIDReused, Domain: boxofficev1.ErrorDomain})
	p, retryAfter := classify(st.Err())
	if p.Status != http.StatusConflict || p.Extensions["cluster_reason"] != boxofficev1.ReasonRequestIDReused || retryAfter != 0 {
		t.Fatalf("problem %+v, Retry-After %s; want 409 with cluster_reason REQUEST_ID_REUSED and no Retry-After", p, retryAfter)
	}
	if p.Detail != st.Message() {
		t.Fatalf("detail %q, want the cluster's message", p.Detail)
	}
}
