package catalog

import (
	"bytes"
	"io"
	"testing"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

func beginMove(shard uint32, to, moveID string) *nodepb.CatalogCommand {
	return &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_BEGIN_SHARD_MOVE, RequestId: "begin-" + moveID + "-" + to,
		NowUnixMs: 1000,
		Body:      &nodepb.CatalogCommand_BeginShardMove{BeginShardMove: &nodepb.BeginShardMove{EventId: "ev", Shard: shard, ToGroup: to, MoveId: moveID}}}
}

func moveStep(shard uint32, moveID string, step nodepb.ShardMoveStep, requestID string) *nodepb.CatalogCommand {
	return &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_SHARD_MOVE_STEP, RequestId: requestID,
		Body: &nodepb.CatalogCommand_SetShardMoveStep{SetShardMoveStep: &nodepb.SetShardMoveStep{EventId: "ev", Shard: shard, MoveId: moveID, Step: step}}}
}

// moveCatalog has groups g0, g1, g2 and a READY event "ev" with shards 0
// and 1 on g0.
func moveCatalog(t *testing.T) (*Catalog, func(*nodepb.CatalogCommand) *nodepb.CatalogResult) {
	c := New(nil)
	index := uint64(0)
	apply := func(cmd *nodepb.CatalogCommand) *nodepb.CatalogResult {
		index++
		return applyCatalog(t, c, index, cmd)
	}
	apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_GROUPS,
		Body: &nodepb.CatalogCommand_CreateGroups{CreateGroups: &nodepb.CreateGroups{Groups: []*nodepb.GroupRecord{{GroupId: "g0"}, {GroupId: "g1"}, {GroupId: "g2"}}}}})
	apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_EVENT, RequestId: "create",
		Body: &nodepb.CatalogCommand_CreateEvent{CreateEvent: &nodepb.EventRecord{EventId: "ev",
			Shards: []*nodepb.ShardRecord{{Shard: 0, GroupId: "g0"}, {Shard: 1, GroupId: "g0"}}}}})
	apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_EVENT_STATUS, RequestId: "ready",
		Body: &nodepb.CatalogCommand_SetEventStatus{SetEventStatus: &nodepb.SetEventStatus{EventId: "ev", Status: boxofficev1.EventStatus_EVENT_STATUS_READY}}})
	return c, apply
}

func TestShardMoveSteps(t *testing.T) {
	c, apply := moveCatalog(t)
	code := func(r *nodepb.CatalogResult) nodepb.CatalogCode { return r.GetCode() }
	const (
		ok          = nodepb.CatalogCode_CATALOG_CODE_OK
		notFound    = nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND
		running     = nodepb.CatalogCode_CATALOG_CODE_MOVE_RUNNING
		inGroup     = nodepb.CatalogCode_CATALOG_CODE_SHARD_IN_GROUP
		invalidCode = nodepb.CatalogCode_CATALOG_CODE_INVALID
	)
	for name, tt := range map[string]struct {
		cmd  *nodepb.CatalogCommand
		want nodepb.CatalogCode
	}{
		"unknown shard":  {beginMove(7, "g1", "m"), notFound},
		"unknown group":  {beginMove(0, "g9", "m"), notFound},
		"same group":     {beginMove(0, "g0", "m"), inGroup},
		"no move id":     {beginMove(0, "g1", ""), invalidCode},
		"switch nothing": {moveStep(0, "m", nodepb.ShardMoveStep_SHARD_MOVE_STEP_SWITCHED, "s0"), notFound},
	} {
		before := c.Event("ev")
		if got := code(apply(tt.cmd)); got != tt.want {
			t.Errorf("%s: %v, want %v", name, got, tt.want)
		}
		if c.Event("ev") != before {
			t.Errorf("%s: a refusal changed the event", name)
		}
	}

	if r := apply(beginMove(0, "g1", "m1")); code(r) != ok || len(r.Event.ShardMoves) != 1 || r.Event.ShardMoves[0].FromGroup != "g0" ||
		r.Event.ShardMoves[0].Step != nodepb.ShardMoveStep_SHARD_MOVE_STEP_STARTED || r.Event.Shards[0].GroupId != "g0" {
		t.Fatalf("begin: %v", r)
	}
	started := c.Event("ev")
	if r := apply(beginMove(0, "g1", "m1")); code(r) != ok || c.Event("ev") != started {
		t.Fatalf("begin again: %v", r)
	}
	if r := apply(beginMove(0, "g2", "m2")); code(r) != running {
		t.Fatalf("a second move of the shard: %v", r)
	}
	if r := apply(moveStep(0, "m1", nodepb.ShardMoveStep_SHARD_MOVE_STEP_DONE, "d-early")); code(r) != invalidCode {
		t.Fatalf("done before switched: %v", r)
	}
	// A restore keeps the move, so a new coordinator resumes it.
	snap, _ := c.Snapshot()
	var buf bytes.Buffer
	sink := &memorySink{Buffer: &buf}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	restored := New(nil)
	if err := restored.Restore(io.NopCloser(&buf)); err != nil {
		t.Fatal(err)
	}
	if m := ShardMoveOf(restored.Event("ev"), 0); m == nil || m.MoveId != "m1" || m.ToGroup != "g1" {
		t.Fatalf("restored move: %v", m)
	}

	r := apply(moveStep(0, "m1", nodepb.ShardMoveStep_SHARD_MOVE_STEP_SWITCHED, "sw"))
	if code(r) != ok || r.Event.Shards[0].GroupId != "g1" || r.Event.Shards[1].GroupId != "g0" || started.Shards[0].GroupId != "g0" {
		t.Fatalf("switched: %v", r)
	}
	if r := apply(moveStep(0, "m1", nodepb.ShardMoveStep_SHARD_MOVE_STEP_ABORTED, "ab")); code(r) != invalidCode {
		t.Fatalf("abort after switch: %v", r)
	}
	if r := apply(moveStep(0, "m1", nodepb.ShardMoveStep_SHARD_MOVE_STEP_DONE, "done")); code(r) != ok || len(r.Event.ShardMoves) != 0 || r.Event.Shards[0].GroupId != "g1" {
		t.Fatalf("done: %v", r)
	}
	if r := apply(moveStep(0, "m1", nodepb.ShardMoveStep_SHARD_MOVE_STEP_DONE, "done-again")); code(r) != ok {
		t.Fatalf("done again: %v", r)
	}

	// An abort leaves the shard where it was.
	apply(beginMove(1, "g2", "m3"))
	if r := apply(moveStep(1, "m3", nodepb.ShardMoveStep_SHARD_MOVE_STEP_ABORTED, "abort")); code(r) != ok || len(r.Event.ShardMoves) != 0 || r.Event.Shards[1].GroupId != "g0" {
		t.Fatalf("abort: %v", r)
	}

	// An archived event's shards are not moved.
	apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_EVENT_STATUS, RequestId: "archiving",
		Body: &nodepb.CatalogCommand_SetEventStatus{SetEventStatus: &nodepb.SetEventStatus{EventId: "ev", Status: boxofficev1.EventStatus_EVENT_STATUS_ARCHIVING}}})
	if r := apply(beginMove(1, "g2", "m4")); code(r) != nodepb.CatalogCode_CATALOG_CODE_ARCHIVED {
		t.Fatalf("move of an archived event's shard: %v", r)
	}
}
