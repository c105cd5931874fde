package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/raft"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
)

// Online backup of one group (Cluster.Backup; `boxoffice ctl backup` calls
// it for every group and writes the files, package node/backup).
//
// The copy is taken on the group's leader after a Raft barrier: the
// barrier is an entry of the leader's current term, so once it is applied
// the leader has applied every entry committed before it, which includes
// every write any leader of the group acknowledged before the call
// arrived. The state is then a Raft user snapshot (the state machine's own
// Snapshot, taken between two applies, so at one exact index), opened and
// streamed. Writes keep flowing meanwhile: a snapshot is safe while Apply
// runs (STYLE.md habit 5). A deposed leader cannot commit the barrier, so
// it never answers with stale state.

// backupChunkBytes is the data carried by one BackupChunk, well under the
// client's 4 MiB message limit.
const backupChunkBytes = 1 << 20

func (c *clusterService) Backup(req *boxofficev1.BackupRequest, stream boxofficev1.Cluster_BackupServer) error {
	return toStatus(stream.Context(), c.host.backupGroup(stream.Context(), req.GetGroupId(), stream.Send))
}

// backupGroup streams the state of group id, which this node must lead.
func (h *Host) backupGroup(ctx context.Context, id string, send func(*boxofficev1.BackupChunk) error) error {
	if id == "" {
		return invalid("group_id is empty: name the meta group (%q) or a data group", cluster.MetaGroupID)
	}
	g := h.meta
	if id != cluster.MetaGroupID {
		if h.catalog.Group(id) == nil {
			return fmt.Errorf("%w: group_id %q: no such group", ErrNotFound, id)
		}
		g = h.group(id)
	}
	if g == nil || g.raft.State() != raft.Leader {
		leader := h.leaderHint(id)
		if g != nil {
			_, leader = g.leader()
		}
		return fmt.Errorf("%w: node %s does not lead group %s (its leader: %q); ask the leader", errNotLeader, h.cfg.NodeID, id, leader)
	}
	timeout := h.cfg.RequestTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = time.Until(deadline)
	}
	if err := g.raft.Barrier(timeout).Error(); err != nil {
		return leadershipError(err)
	}
	applied := g.raft.AppliedIndex()
	meta, state, err := g.userSnapshot(applied)
	if err != nil {
		return err
	}
	defer state.Close()
	header := &boxofficev1.BackupChunk{GroupId: id, Index: meta.Index, Term: meta.Term, Size: uint64(meta.Size)}
	buf := make([]byte, backupChunkBytes)
	var sent int64
	for first := true; ; first = false {
		n, rerr := io.ReadFull(state, buf)
		if n > 0 || first {
			chunk := &boxofficev1.BackupChunk{Data: buf[:n]}
			if first {
				header.Data = buf[:n]
				chunk = header
			}
			if err := send(chunk); err != nil {
				return err
			}
			sent += int64(n)
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return fmt.Errorf("group %s: reading snapshot: %w", id, rerr)
		}
	}
	if sent != meta.Size {
		return fmt.Errorf("group %s: snapshot at index %d has %d bytes, its metadata says %d", id, meta.Index, sent, meta.Size)
	}
	h.logger.Info("group backed up", "group", id, "index", meta.Index, "term", meta.Term, "bytes", sent)
	return nil
}

// leaderHint is the node the catalog prefers to lead group id, for a node
// that does not host it (the caller learns the leader from Status).
func (h *Host) leaderHint(id string) string {
	if rec := h.catalog.Group(id); rec != nil && len(rec.Replicas) > 0 {
		return rec.Replicas[0]
	}
	return ""
}

// userSnapshot takes a snapshot of the group's state at or after index
// applied and opens it. When Raft has nothing new to snapshot (its latest
// snapshot is already at the last applied entry, taken by the group's own
// schedule in the meantime), that latest snapshot is the state.
func (g *group) userSnapshot(applied uint64) (*raft.SnapshotMeta, io.ReadCloser, error) {
	f := g.raft.Snapshot()
	err := f.Error()
	if err == nil {
		return f.Open()
	}
	if !errors.Is(err, raft.ErrNothingNewToSnapshot) {
		return nil, nil, fmt.Errorf("group %s: snapshot: %w", g.id, leadershipError(err))
	}
	list, lerr := g.snaps.List()
	if lerr != nil {
		return nil, nil, fmt.Errorf("group %s: snapshots: %w", g.id, lerr)
	}
	if len(list) == 0 || list[0].Index < applied {
		return nil, nil, fmt.Errorf("group %s: snapshot: %w, and no snapshot at index %d or later", g.id, err, applied)
	}
	return g.snaps.Open(list[0].ID)
}
