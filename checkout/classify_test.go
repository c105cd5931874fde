package checkout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// An error that is not one of the gateway's (a store or library failure)
// reaches the client as a sentence; its own text goes only to the log.
func TestUnclassifiedErrorsHideTheirText(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("ticket record %q names ticket %q", "a", "b"),
		errors.New("bolt: database not open"),
		fmt.Errorf("cluster call: %w", context.DeadlineExceeded),
	} {
		p, _ := classify(err)
		if p.Status < 500 {
			t.Fatalf("%v: status %d, want 5xx", err, p.Status)
		}
		if strings.Contains(p.Detail, err.Error()) || strings.Contains(p.Detail, "bolt") || strings.Contains(p.Detail, "deadline exceeded") {
			t.Errorf("%v: detail %q shows the error's text", err, p.Detail)
		}
	}
}

// A cluster refusal that names seats passes them on as the problem's
// seat_ids; gRPC's own transport text never becomes a detail.
func TestClusterRefusalsPassSeatsNotTransportText(t *testing.T) {
	st, err := status.New(codes.Aborted, "seats are held or sold: A-1-1, A-1-2").WithDetails(&errdetails.ErrorInfo{
		Reason: boxofficev1.ReasonSeatUnavailable, Domain: boxofficev1.ErrorDomain,
		Metadata: map[string]string{boxofficev1.MetadataSeatIDs: "A-1-1,A-1-2", boxofficev1.MetadataSeatCount: "2"}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := classify(st.Err())
	if ids, _ := p.Extensions["seat_ids"].([]string); !slices.Equal(ids, []string{"A-1-1", "A-1-2"}) || p.Detail != "seats are held or sold: A-1-1, A-1-2" {
		t.Fatalf("problem %+v: want the cluster's message and seat_ids [A-1-1 A-1-2]", p)
	}
	transport := status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`)
	if p, _ := classify(transport); p.Status != 503 || strings.Contains(p.Detail, "transport") || strings.Contains(p.Detail, "127.0.0.1") {
		t.Fatalf("problem %+v shows gRPC's transport text", p)
	}
}
