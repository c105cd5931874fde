package node

import (
	"context"
	"errors"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/crossshard"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// The node's side of the cross-shard coordinator: the groups it proposes
// to, and the mapping of its errors to the node's.

// hostShards reaches a shard's group through the node's routing: propose
// on the local replica when it leads, else forward to the leader
// (route.go). An error of shardCommand is an unknown outcome, as
// crossshard.Shards requires: the command was not refused by the state
// machine, and a retry under its request id applies it once.
//
// A shard that moved to another group (shardmove.go) while the caller's
// catalog replica still named the old one is refused there; Propose then
// sends the command where the meta leader's catalog says the shard is.
// Commands are marked remember_shard once every node can apply it, so a
// later move of the shard carries their dedup entries.
//
// SHARD_MOVING is returned as an error, not as a refusal: the coordinator
// returns an error as an unknown outcome, keeping what the operation's
// other shards did, and the caller's retry under the same request id
// completes it once the move is done. As a refusal it would undo the
// other shards' parts (a multi-shard hold's released part), which the
// retry would then find remembered as done.
type hostShards struct{ h *Host }

func (s hostShards) Propose(ctx context.Context, shard *nodepb.ShardRecord, cmd *fsmpb.Command) (*fsmpb.Result, error) {
	cmd.RememberShard = s.h.atFeatureLevel(featureLevelRememberShard)
	res, err := s.h.shardCommand(ctx, shard.GroupId, cmd)
	if err != nil || (res.GetCode() != fsmpb.Code_CODE_SHARD_MOVING && res.GetCode() != fsmpb.Code_CODE_NOT_FOUND) {
		return res, err
	}
	if moved, rerouted, err := s.h.rerouteMovedShard(ctx, shard.GroupId, cmd); rerouted {
		res = moved
		if err != nil {
			return nil, err
		}
	}
	if res.GetCode() == fsmpb.Code_CODE_SHARD_MOVING {
		return nil, refusal(res)
	}
	return res, nil
}

// coordinatorErrors pairs each sentinel of the coordinator with the node's.
var coordinatorErrors = []struct{ from, to error }{
	{crossshard.ErrInvalid, ErrInvalid},
	{crossshard.ErrNotFound, ErrNotFound},
	{crossshard.ErrTooLarge, ErrTooLarge},
	{crossshard.ErrTicketNotInOrder, ErrTicketNotInOrder},
}

// coordinatorError gives an error of the coordinator the node's meaning,
// keeping its message: a shard's refusal becomes a *RefusalError, a
// sentinel the node's. Errors of the node's routing pass through.
func coordinatorError(err error) error {
	if err == nil {
		return nil
	}
	var ref *crossshard.RefusalError
	if errors.As(err, &ref) {
		return &RefusalError{Code: ref.Code, Message: ref.Message, SeatIDs: ref.SeatIDs}
	}
	for _, m := range coordinatorErrors {
		if errors.Is(err, m.from) {
			return &markedError{err: err, mark: m.to}
		}
	}
	return err
}

// markedError is err, also matching mark under errors.Is.
type markedError struct{ err, mark error }

func (e *markedError) Error() string   { return e.err.Error() }
func (e *markedError) Unwrap() []error { return []error{e.mark, e.err} }
