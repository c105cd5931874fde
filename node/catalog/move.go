package catalog

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Shard moves. The catalog records a move (BEGIN_SHARD_MOVE: step STARTED,
// the shard still in from_group), points the shard at the target
// (SET_SHARD_MOVE_STEP SWITCHED) and forgets the move (DONE, or ABORTED
// before SWITCHED). The steps in between (freeze at the source, import at
// the target, drop at the source) are the coordinator's
// (node/shardmove.go), which reads the recorded move to resume after a
// crash: every step is idempotent.

func (c *Catalog) beginShardMoveLocked(b *nodepb.BeginShardMove, nowMs int64) *nodepb.CatalogResult {
	if b.GetMoveId() == "" {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "begin shard move: move id required")
	}
	e, exists := c.events[b.GetEventId()]
	if !exists {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "event %q not found", b.GetEventId())
	}
	switch e.Status {
	case boxofficev1.EventStatus_EVENT_STATUS_ARCHIVING, boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED:
		return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_ARCHIVED,
			Message: fmt.Sprintf("event %q is deleted or being deleted; its shards are not moved", e.EventId), Event: e}
	case boxofficev1.EventStatus_EVENT_STATUS_READY:
	default:
		return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "event %q is not ready (status %v); finish creating it first", e.EventId, e.Status)
	}
	i := slices.IndexFunc(e.Shards, func(s *nodepb.ShardRecord) bool { return s.Shard == b.GetShard() })
	if i < 0 {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "event %q has no shard %d", e.EventId, b.GetShard())
	}
	if _, exists := c.groups[b.GetToGroup()]; !exists {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "group %q not found", b.GetToGroup())
	}
	if m := shardMove(e, b.GetShard()); m != nil {
		if m.MoveId == b.GetMoveId() {
			return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_OK, Event: e}
		}
		return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_MOVE_RUNNING,
			Message: fmt.Sprintf("shard %d of event %q is already moving to group %q (move %q); re-run that move to finish it",
				b.GetShard(), e.EventId, m.ToGroup, m.MoveId),
			Event: e}
	}
	if e.Shards[i].GroupId == b.GetToGroup() {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_SHARD_IN_GROUP, "shard %d of event %q is already in group %q", b.GetShard(), e.EventId, b.GetToGroup())
	}
	updated := shallowCopy(e)
	updated.ShardMoves = append(slices.Clone(e.ShardMoves), &nodepb.ShardMove{
		Shard: b.GetShard(), MoveId: b.GetMoveId(), FromGroup: e.Shards[i].GroupId, ToGroup: b.GetToGroup(),
		Step: nodepb.ShardMoveStep_SHARD_MOVE_STEP_STARTED, StartedAtUnixMs: nowMs,
	})
	c.events[updated.EventId] = updated
	return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_OK, Event: updated}
}

func (c *Catalog) setShardMoveStepLocked(s *nodepb.SetShardMoveStep) *nodepb.CatalogResult {
	e, exists := c.events[s.GetEventId()]
	if !exists {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "event %q not found", s.GetEventId())
	}
	ok := &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_OK, Event: e}
	m := shardMove(e, s.GetShard())
	if m == nil || m.MoveId != s.GetMoveId() {
		switch s.GetStep() {
		case nodepb.ShardMoveStep_SHARD_MOVE_STEP_DONE, nodepb.ShardMoveStep_SHARD_MOVE_STEP_ABORTED:
			return ok // ended already
		}
		return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "no move %q of shard %d of event %q is recorded", s.GetMoveId(), s.GetShard(), e.EventId)
	}
	updated := shallowCopy(e)
	switch s.GetStep() {
	case nodepb.ShardMoveStep_SHARD_MOVE_STEP_SWITCHED:
		if m.Step == nodepb.ShardMoveStep_SHARD_MOVE_STEP_SWITCHED {
			return ok
		}
		updated.Shards = slices.Clone(e.Shards)
		for k, sh := range updated.Shards {
			if sh.Shard == m.Shard {
				moved := proto.Clone(sh).(*nodepb.ShardRecord)
				moved.GroupId = m.ToGroup
				updated.Shards[k] = moved
			}
		}
		switched := proto.Clone(m).(*nodepb.ShardMove)
		switched.Step = nodepb.ShardMoveStep_SHARD_MOVE_STEP_SWITCHED
		updated.ShardMoves = slices.Clone(e.ShardMoves)
		updated.ShardMoves[slices.Index(e.ShardMoves, m)] = switched
	case nodepb.ShardMoveStep_SHARD_MOVE_STEP_DONE, nodepb.ShardMoveStep_SHARD_MOVE_STEP_ABORTED:
		switched := m.Step == nodepb.ShardMoveStep_SHARD_MOVE_STEP_SWITCHED
		if done := s.GetStep() == nodepb.ShardMoveStep_SHARD_MOVE_STEP_DONE; done != switched {
			if done {
				return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "move %q has not switched shard %d yet; it cannot be done", m.MoveId, m.Shard)
			}
			return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "move %q already switched shard %d to group %q; it can only be finished", m.MoveId, m.Shard, m.ToGroup)
		}
		updated.ShardMoves = slices.DeleteFunc(slices.Clone(e.ShardMoves), func(x *nodepb.ShardMove) bool { return x == m })
		if len(updated.ShardMoves) == 0 {
			updated.ShardMoves = nil
		}
	default:
		return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "shard move step %v cannot be set", s.GetStep())
	}
	c.events[updated.EventId] = updated
	return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_OK, Event: updated}
}

// shardMove returns the recorded move of one shard of e, or nil.
func shardMove(e *nodepb.EventRecord, shard uint32) *nodepb.ShardMove {
	for _, m := range e.GetShardMoves() {
		if m.Shard == shard {
			return m
		}
	}
	return nil
}

// ShardMoveOf returns the recorded move of one shard of e, or nil.
func ShardMoveOf(e *nodepb.EventRecord, shard uint32) *nodepb.ShardMove { return shardMove(e, shard) }
