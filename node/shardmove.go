package node

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/fsm"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/catalog"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// MoveShard moves one shard of an event to another data group: a planned
// handover that keeps every guarantee. The steps, each idempotent under a
// request id derived from the move id, so that calling again after a
// failure (or a crash of the node that ran them) continues the move the
// catalog recorded:
//
//  1. record: the catalog records the move (BEGIN_SHARD_MOVE, step
//     STARTED). The shard is still served by its group.
//  2. freeze: the source group freezes the shard (FREEZE_SHARD) and
//     returns its whole state with the request ids it remembers for it.
//     From that entry on the source refuses every mutation of the shard
//     with SHARD_MOVING (UNAVAILABLE: the client retries, same request
//     id), so no hold or sale can happen on two copies.
//  3. import: the target group installs exactly that state
//     (IMPORT_SHARD). Nobody routes to it yet.
//  4. switch: the catalog points the shard at the target (step
//     SWITCHED). Retries now reach the target, which answers a request id
//     it imported with the first answer.
//  5. drop: the source forgets its frozen copy (DROP_SHARD), and the
//     catalog forgets the move (DONE).
//
// Before the switch the move can be abandoned: a state too large for one
// Raft entry unfreezes the shard and ends the move (ABORTED), changing
// nothing. After it, only finishing is possible.
//
// A node whose catalog replica has not yet learnt the switch sends a
// command to the source, which refuses it (SHARD_MOVING while frozen, "no
// such shard" once dropped); hostShards.Propose then reads the catalog on
// the meta leader and sends the command to the group it names.
//
// Rejected: moving a shard by adding the target's replicas to the source
// group's Raft configuration (a group holds many shards: the unit of
// replication is the group, not the shard); copying the shard while it
// takes writes and catching up from its change log (holds and the dedup
// table are not in the change log; the freeze is one entry, and the
// shard's writes wait only for the copy of one shard).
func (c *clusterService) MoveShard(ctx context.Context, req *boxofficev1.MoveShardRequest) (*boxofficev1.MoveShardResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, shardMoveTimeout)
	defer cancel()
	resp, err := c.host.moveShard(ctx, req)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// shardMoveTimeout bounds one MoveShard call; the move it leaves
// unfinished is continued by the next call.
const shardMoveTimeout = 2 * time.Minute

// Shard move steps, as the test hook (TestingConfig.ShardMoveStep) and the
// response's step lines name them.
const (
	moveStepRecorded = "recorded"
	moveStepFrozen   = "frozen"
	moveStepImported = "imported"
	moveStepSwitched = "switched"
	moveStepDropped  = "dropped"
)

func (h *Host) moveShard(ctx context.Context, req *boxofficev1.MoveShardRequest) (*boxofficev1.MoveShardResponse, error) {
	if !eventIDPattern.MatchString(req.EventId) {
		return nil, invalid("event_id %q must match %s", req.EventId, eventIDPattern)
	}
	if err := checkID("group_id", req.GroupId, true); err != nil {
		return nil, err
	}
	e, err := h.readCatalogEvent(ctx, req.EventId) // the meta leader's view: this replica may lag
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, fmt.Errorf("%w: event %q", ErrNotFound, req.EventId)
	}
	m := catalog.ShardMoveOf(e, req.Shard)
	// A move that switched the shard before the event was deleted is
	// finished: the source still holds a frozen copy to drop.
	switched := m != nil && m.Step == nodepb.ShardMoveStep_SHARD_MOVE_STEP_SWITCHED && m.ToGroup == req.GroupId
	switch e.Status {
	case boxofficev1.EventStatus_EVENT_STATUS_ARCHIVING, boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED:
		if !switched {
			return nil, fmt.Errorf("%w: event %q is deleted or being deleted; its shards are not moved", ErrEventArchived, e.EventId)
		}
	case boxofficev1.EventStatus_EVENT_STATUS_CREATING:
		return nil, fmt.Errorf("%w: event %q is still being created; finish it (retry CreateEvent) before moving its shards", ErrEventNotReady, e.EventId)
	}
	var current *nodepb.ShardRecord
	for _, sh := range e.Shards {
		if sh.Shard == req.Shard {
			current = sh
		}
	}
	if current == nil {
		return nil, fmt.Errorf("%w: event %q has no shard %d (shard)", ErrNotFound, e.EventId, req.Shard)
	}
	if h.catalog.Group(req.GroupId) == nil {
		return nil, fmt.Errorf("%w: group %q (group_id)", ErrNotFound, req.GroupId)
	}
	resp := &boxofficev1.MoveShardResponse{}
	step := func(name, format string, args ...any) error {
		resp.Steps = append(resp.Steps, fmt.Sprintf(format, args...))
		h.logger.Info("shard move", "event", e.EventId, "shard", req.Shard, "move", resp.MoveId, "step", name)
		if hook := h.cfg.Testing.ShardMoveStep; hook != nil {
			return hook(name)
		}
		return nil
	}

	switch {
	case m != nil && m.ToGroup != req.GroupId:
		return nil, fmt.Errorf("%w: shard %d of event %q is moving to group %q (move %s); re-run that move to finish it",
			ErrShardMoveRunning, req.Shard, e.EventId, m.ToGroup, m.MoveId)
	case m != nil:
		resp.Resumed = true
	case current.GroupId == req.GroupId:
		return nil, fmt.Errorf("%w: shard %d of event %q is already in group %q", ErrShardInGroup, req.Shard, e.EventId, req.GroupId)
	}
	// Every step below proposes a command type an older build cannot apply.
	if err := h.requireFeatureLevel(2); err != nil {
		return nil, err
	}
	if m == nil {
		if m, err = h.beginShardMove(ctx, e.EventId, req.Shard, req.GroupId); err != nil {
			return nil, err
		}
	}
	resp.MoveId = m.MoveId
	if err := step(moveStepRecorded, "recorded move %s of event %s shard %d: group %s to group %s", m.MoveId, e.EventId, m.Shard, m.FromGroup, m.ToGroup); err != nil {
		return resp, err
	}

	if m.Step == nodepb.ShardMoveStep_SHARD_MOVE_STEP_STARTED {
		res, err := h.moveCommand(ctx, m.FromGroup, m.MoveId+"/freeze", &fsmpb.Command{
			Type: fsmpb.CommandType_COMMAND_TYPE_FREEZE_SHARD,
			Body: &fsmpb.Command_FreezeShard{FreezeShard: &fsmpb.FreezeShard{EventId: e.EventId, Shard: m.Shard, MoveId: m.MoveId}},
		})
		if err != nil {
			return resp, err
		}
		if err := step(moveStepFrozen, "froze the shard in group %s (%d bytes of state)", m.FromGroup, len(res.ShardState)); err != nil {
			return resp, err
		}

		// A frozen shard exports the same seats, holds and orders every
		// time, but the clock and the dedup entries (pruned as they age)
		// may differ between calls: the import is fingerprinted by the
		// move, so that a resumed move's import is a retry of the first.
		fingerprint := sha256.Sum256([]byte("import-shard\x00" + m.MoveId))
		importCmd := &fsmpb.Command{
			Type:               fsmpb.CommandType_COMMAND_TYPE_IMPORT_SHARD,
			RequestId:          m.MoveId + "/import",
			Body:               &fsmpb.Command_ImportShard{ImportShard: &fsmpb.ImportShard{State: res.ShardState}},
			RequestFingerprint: fingerprint[:16],
		}
		if size, limit := importCmd.SizeVT(), h.cfg.Group.BatchBytesMax-64; size > limit {
			tooLarge := fmt.Errorf("%w: the state of shard %d of event %q is %d bytes, over one Raft entry (%d bytes, Group.BatchBytesMax); the move was abandoned and the shard stays in group %s",
				ErrTooLarge, m.Shard, e.EventId, size, limit, m.FromGroup)
			if err := h.abortShardMove(ctx, e.EventId, m); err != nil {
				return resp, errors.Join(tooLarge, err)
			}
			return resp, tooLarge
		}
		r, err := h.shardCommand(ctx, m.ToGroup, importCmd)
		if err != nil {
			return resp, err
		}
		// ALREADY_EXISTS: an earlier call imported it (only this move puts
		// the shard in the target group).
		if r.Code != fsmpb.Code_CODE_OK && r.Code != fsmpb.Code_CODE_ALREADY_EXISTS {
			return resp, refusal(r)
		}
		if err := step(moveStepImported, "imported the shard into group %s", m.ToGroup); err != nil {
			return resp, err
		}
		if _, err := h.setShardMoveStep(ctx, e.EventId, m, nodepb.ShardMoveStep_SHARD_MOVE_STEP_SWITCHED); err != nil {
			return resp, err
		}
	}
	if err := step(moveStepSwitched, "the catalog routes the shard to group %s", m.ToGroup); err != nil {
		return resp, err
	}

	if _, err := h.moveCommand(ctx, m.FromGroup, m.MoveId+"/drop", &fsmpb.Command{
		Type: fsmpb.CommandType_COMMAND_TYPE_DROP_SHARD,
		Body: &fsmpb.Command_DropShard{DropShard: &fsmpb.DropShard{EventId: e.EventId, Shard: m.Shard, MoveId: m.MoveId}},
	}); err != nil {
		return resp, err
	}
	if _, err := h.setShardMoveStep(ctx, e.EventId, m, nodepb.ShardMoveStep_SHARD_MOVE_STEP_DONE); err != nil {
		return resp, err
	}
	return resp, step(moveStepDropped, "dropped the shard from group %s; the move is done", m.FromGroup)
}

// beginShardMove records a new move in the catalog.
func (h *Host) beginShardMove(ctx context.Context, eventID string, shard uint32, toGroup string) (*nodepb.ShardMove, error) {
	var raw [12]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	moveID := "move-" + hex.EncodeToString(raw[:])
	res, err := h.catalogCommand(ctx, &nodepb.CatalogCommand{
		Type:      nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_BEGIN_SHARD_MOVE,
		RequestId: moveID + "/begin",
		Body: &nodepb.CatalogCommand_BeginShardMove{BeginShardMove: &nodepb.BeginShardMove{
			EventId: eventID, Shard: shard, ToGroup: toGroup, MoveId: moveID}},
	})
	if err == nil {
		err = shardMoveRefusal(res)
	}
	if err != nil {
		return nil, err
	}
	m := catalog.ShardMoveOf(res.Event, shard)
	if m == nil || m.MoveId != moveID {
		return nil, fmt.Errorf("the catalog did not record move %s", moveID)
	}
	return m, nil
}

// setShardMoveStep advances a recorded move in the catalog.
func (h *Host) setShardMoveStep(ctx context.Context, eventID string, m *nodepb.ShardMove, step nodepb.ShardMoveStep) (*nodepb.EventRecord, error) {
	res, err := h.catalogCommand(ctx, &nodepb.CatalogCommand{
		Type:      nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_SHARD_MOVE_STEP,
		RequestId: fmt.Sprintf("%s/%v", m.MoveId, step),
		Body: &nodepb.CatalogCommand_SetShardMoveStep{SetShardMoveStep: &nodepb.SetShardMoveStep{
			EventId: eventID, Shard: m.Shard, MoveId: m.MoveId, Step: step}},
	})
	if err == nil {
		err = shardMoveRefusal(res)
	}
	if err != nil {
		return nil, err
	}
	return res.Event, nil
}

// abortShardMove unfreezes the shard at the source and ends the move.
func (h *Host) abortShardMove(ctx context.Context, eventID string, m *nodepb.ShardMove) error {
	if _, err := h.moveCommand(ctx, m.FromGroup, m.MoveId+"/unfreeze", &fsmpb.Command{
		Type: fsmpb.CommandType_COMMAND_TYPE_UNFREEZE_SHARD,
		Body: &fsmpb.Command_UnfreezeShard{UnfreezeShard: &fsmpb.UnfreezeShard{EventId: eventID, Shard: m.Shard, MoveId: m.MoveId}},
	}); err != nil {
		return err
	}
	_, err := h.setShardMoveStep(ctx, eventID, m, nodepb.ShardMoveStep_SHARD_MOVE_STEP_ABORTED)
	return err
}

// moveCommand proposes one of the move's commands to a group and turns a
// refusal into an error.
func (h *Host) moveCommand(ctx context.Context, groupID, requestID string, cmd *fsmpb.Command) (*fsmpb.Result, error) {
	cmd.RequestId = requestID
	r, err := h.shardCommand(ctx, groupID, cmd)
	if err != nil {
		return nil, err
	}
	if err := refusal(r); err != nil {
		return nil, fmt.Errorf("group %s: %w", groupID, err)
	}
	return r, nil
}

// shardMoveRefusal is catalogRefusal with the codes of shard moves.
func shardMoveRefusal(res *nodepb.CatalogResult) error {
	switch res.GetCode() {
	case nodepb.CatalogCode_CATALOG_CODE_MOVE_RUNNING:
		return fmt.Errorf("%w: %s", ErrShardMoveRunning, res.Message)
	case nodepb.CatalogCode_CATALOG_CODE_SHARD_IN_GROUP:
		return fmt.Errorf("%w: %s", ErrShardInGroup, res.Message)
	}
	return catalogRefusal(res)
}

// rerouteMovedShard sends a command that the group it was routed to refused
// for a shard it no longer serves (SHARD_MOVING, or NOT_FOUND once
// dropped) to the group the meta leader's catalog names now, if that
// changed: a node whose catalog replica lags behind a move's switch routes
// to the old group for a moment. rerouted is false when there is nowhere
// else to go.
func (h *Host) rerouteMovedShard(ctx context.Context, groupID string, cmd *fsmpb.Command) (res *fsmpb.Result, rerouted bool, err error) {
	eventID, shard, ok := shardOfCommand(cmd)
	if !ok {
		return nil, false, nil
	}
	moved := h.movedShardGroup(ctx, eventID, shard, groupID)
	if moved == "" {
		return nil, false, nil
	}
	res, err = h.shardCommand(ctx, moved, cmd)
	return res, true, err
}

// movedShardGroup returns the group the meta leader's catalog places the
// shard in, if it is not groupID; "" otherwise (or when that read fails).
func (h *Host) movedShardGroup(ctx context.Context, eventID string, shard uint32, groupID string) string {
	e, err := h.readCatalogEvent(ctx, eventID)
	if err != nil || e == nil {
		return ""
	}
	for _, sh := range e.Shards {
		if sh.Shard == shard && sh.GroupId != groupID {
			return sh.GroupId
		}
	}
	return ""
}

// isNotFound reports a NOT_FOUND, local or from a peer's status.
func isNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || status.Code(err) == codes.NotFound
}

// shardOfCommand returns the shard a seat command (not CreateShard or
// ArchiveShard) addresses.
func shardOfCommand(cmd *fsmpb.Command) (eventID string, shard uint32, ok bool) {
	switch cmd.Body.(type) {
	case *fsmpb.Command_CreateShard, *fsmpb.Command_ArchiveShard:
		return "", 0, false
	}
	return fsm.CommandShard(cmd)
}
