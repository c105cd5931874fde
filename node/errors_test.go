package node

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/boxoffice/boxoffice/fsm"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// Raft's "leadership is moving" errors must reach clients as Unavailable
// (retry elsewhere), never as Internal.
func TestToStatusRaftLeadershipErrors(t *testing.T) {
	for _, err := range []error{raft.ErrNotLeader, raft.ErrLeadershipLost, raft.ErrLeadershipTransferInProgress,
		raft.ErrEnqueueTimeout, raft.ErrRaftShutdown, raft.ErrAbortedByRestore} {
		wrapped := fmt.Errorf("group g000: %w", err)
		if got := status.Code(toStatus(context.Background(), wrapped)); got != codes.Unavailable {
			t.Errorf("%v: code %v, want Unavailable", err, got)
		}
	}
	if got := status.Code(toStatus(context.Background(), fmt.Errorf("disk on fire"))); got != codes.Internal {
		t.Errorf("an unknown error: code %v, want Internal", got)
	}
}

// A refusal that names many seats lists the first ten in its message and
// the first hundred in ErrorInfo metadata, with the total count.
func TestRefusalNamesItsSeatsCapped(t *testing.T) {
	seats := make([]string, 150)
	for i := range seats {
		seats[i] = fmt.Sprintf("A-1-%d", i+1)
	}
	err := toStatus(context.Background(), &RefusalError{Code: fsmpb.Code_CODE_CONFLICT, Message: "seats are held or sold", SeatIDs: seats})
	msg := status.Convert(err).Message()
	if want := "seats are held or sold: A-1-1, A-1-2, A-1-3, A-1-4, A-1-5, A-1-6, A-1-7, A-1-8, A-1-9, A-1-10 and 140 more"; msg != want {
		t.Fatalf("message %q, want %q", msg, want)
	}
	meta := errorMetadata(err)
	if got := strings.Split(meta[MetadataSeatIDs], ","); len(got) != seatsInMetadataMax || got[0] != "A-1-1" || got[99] != "A-1-100" {
		t.Fatalf("seat_ids metadata has %d ids (%q...), want the first %d", len(got), got[0], seatsInMetadataMax)
	}
	if meta[MetadataSeatCount] != "150" {
		t.Fatalf("seat_count = %q, want 150", meta[MetadataSeatCount])
	}
	if reasonOf(err) != ReasonSeatUnavailable {
		t.Fatalf("reason %q, want %s", reasonOf(err), ReasonSeatUnavailable)
	}
	// A message that already names its one seat does not name it twice.
	one := toStatus(context.Background(), &RefusalError{Code: fsmpb.Code_CODE_INVALID, Message: "seat A-1-1 requested twice", SeatIDs: []string{"A-1-1"}})
	if msg := status.Convert(one).Message(); msg != "seat A-1-1 requested twice" {
		t.Fatalf("message %q names its seat twice", msg)
	}
}

// A state machine read that finds nothing reaches a caller as NOT_FOUND
// with a message that says what, and no package name.
func TestNotFoundReadHasNoInternalPrefix(t *testing.T) {
	store := fsm.New(fsm.Options{})
	_, readErr := store.GetHold("e1", 0, "h1")
	err := toStatus(context.Background(), storeError(readErr))
	if status.Code(err) != codes.NotFound || reasonOf(err) != ReasonNotFound {
		t.Fatalf("got %v, want NOT_FOUND/%s", err, ReasonNotFound)
	}
	if msg := status.Convert(err).Message(); internalText(msg) != "" || !strings.Contains(msg, "not found") {
		t.Fatalf("message %q: want what was not found, with no internal text", msg)
	}
}
