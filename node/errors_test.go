package node

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/raft"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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
