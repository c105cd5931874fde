package node

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
)

// TestBackupAnswersOnlyOnTheLeader: a group's state comes from its leader,
// at an index at least that of every write acknowledged before the call;
// other nodes answer UNAVAILABLE (NO_LEADER), and bad group ids are named.
func TestBackupAnswersOnlyOnTheLeader(t *testing.T) {
	tc := NewTestCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), testRequestTimeout)
	defer cancel()
	recv := func(i int, group string) (*boxofficev1.BackupChunk, int, error) {
		stream, err := tc.ClusterClient(i).Backup(ctx, &boxofficev1.BackupRequest{GroupId: group})
		if err != nil {
			return nil, 0, err
		}
		first, err := stream.Recv()
		if err != nil {
			return nil, 0, err
		}
		n := len(first.Data)
		for {
			chunk, err := stream.Recv()
			if err != nil {
				if errors.Is(err, io.EOF) {
					return first, n, nil
				}
				return first, n, err
			}
			n += len(chunk.Data)
		}
	}
	for _, group := range append([]string{cluster.MetaGroupID}, tc.Host(0).catalog.GroupIDs()...) {
		for i := range tc.Len() {
			g := tc.Host(i).meta
			if group != cluster.MetaGroupID {
				g = tc.Host(i).group(group)
			}
			applied := g.raft.AppliedIndex()
			first, n, err := recv(i, group)
			leads := g.raft.State() == raft.Leader
			switch {
			case leads && err != nil:
				t.Errorf("group %s on its leader n%d: %v", group, i+1, err)
			case leads && (first.Index < applied || uint64(n) != first.Size || first.Term == 0):
				t.Errorf("group %s: index %d (applied before: %d), term %d, %d of %d bytes", group, first.Index, applied, first.Term, n, first.Size)
			case !leads && status.Code(err) != codes.Unavailable:
				t.Errorf("group %s on follower n%d: %v, want UNAVAILABLE", group, i+1, err)
			}
		}
	}
	if _, _, err := recv(0, ""); status.Code(err) != codes.InvalidArgument {
		t.Errorf("empty group id: %v, want INVALID_ARGUMENT", err)
	}
	if _, _, err := recv(0, "g99"); status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), `"g99"`) {
		t.Errorf("unknown group: %v, want NOT_FOUND naming it", err)
	}
}
