package node

import (
	"context"
	"fmt"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/crossshard"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// DeleteEvent archives an event. The steps, each a replicated command
// whose request id derives from the call's, so a retry of a call that
// failed midway finishes it:
//
//  1. check: every shard is asked (ARCHIVE_SHARD check_only) whether it
//     has an unexpired hold; if one has, the call is refused
//     EVENT_HAS_ACTIVE_HOLDS and nothing has changed.
//  2. the catalog marks the event ARCHIVING: every node refuses new holds
//     and sales of it (EVENT_ARCHIVED) once its catalog replica has the
//     entry.
//  3. each shard is dropped (ARCHIVE_SHARD), which its state machine
//     refuses, atomically, if a hold arrived in between (from a node
//     whose catalog replica lagged). If no shard was dropped the event is
//     made READY again and the call refused EVENT_HAS_ACTIVE_HOLDS;
//     otherwise it stays ARCHIVING (closed to holds) and a DeleteEvent
//     with a new request id, once the hold has ended, finishes it.
//  4. the catalog marks it ARCHIVED and drops its venue (see
//     catalog.Catalog's SET_EVENT_STATUS): it no longer counts against
//     the budget.
//
// Rejected: a freeze flag in the shard state (a two-phase archive that is
// atomic across shards) — a new field in the seat snapshot format for an
// operation an organizer runs once per event, when the only window it
// closes is a hold proposed by a lagging node within milliseconds of
// step 2, which step 3 still refuses per shard.
func (s *inventoryService) DeleteEvent(ctx context.Context, req *boxofficev1.DeleteEventRequest) (*boxofficev1.DeleteEventResponse, error) {
	ctx, cancel := s.host.requestContext(ctx)
	defer cancel()
	e, err := s.host.deleteEvent(ctx, req)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &boxofficev1.DeleteEventResponse{Event: eventToAPI(e, true)}, nil
}

func (h *Host) deleteEvent(ctx context.Context, req *boxofficev1.DeleteEventRequest) (*nodepb.EventRecord, error) {
	if err := checkID("request_id", req.RequestId, true); err != nil {
		return nil, err
	}
	if !eventIDPattern.MatchString(req.EventId) {
		return nil, invalid("event_id %q must match %s", req.EventId, eventIDPattern)
	}
	e, err := h.readCatalogEvent(ctx, req.EventId) // the meta leader's view: this replica may lag
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, fmt.Errorf("%w: event %q", ErrNotFound, req.EventId)
	}
	switch e.Status {
	case boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED:
		return e, nil
	case boxofficev1.EventStatus_EVENT_STATUS_CREATING:
		return nil, fmt.Errorf("%w: event %q is still being created; finish it (retry CreateEvent) before deleting it", ErrEventNotReady, e.EventId)
	case boxofficev1.EventStatus_EVENT_STATUS_READY:
		if _, err := h.archiveShards(ctx, e, req.RequestId+"/check", true); err != nil {
			return nil, err
		}
		if _, err := h.setEventStatus(ctx, e.EventId, req.RequestId+"/archiving", crossshard.RequestDigest(req), boxofficev1.EventStatus_EVENT_STATUS_ARCHIVING); err != nil {
			return nil, err
		}
	}
	dropped, err := h.archiveShards(ctx, e, req.RequestId+"/drop", false)
	if err != nil {
		if dropped == 0 && errorsIs(err, ErrEventHasHolds) {
			if _, reopenErr := h.setEventStatus(ctx, e.EventId, req.RequestId+"/reopen", crossshard.RequestDigest(req), boxofficev1.EventStatus_EVENT_STATUS_READY); reopenErr != nil {
				return nil, reopenErr
			}
		}
		return nil, err
	}
	return h.setEventStatus(ctx, e.EventId, req.RequestId+"/archived", crossshard.RequestDigest(req), boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED)
}

// archiveShards sends ARCHIVE_SHARD to every shard of e, one at a time,
// and returns how many it dropped (0 with checkOnly) and the first
// refusal or error. A shard with an active hold is ErrEventHasHolds.
func (h *Host) archiveShards(ctx context.Context, e *nodepb.EventRecord, requestID string, checkOnly bool) (int, error) {
	dropped := 0
	for _, sh := range e.Shards {
		r, err := h.shardCommand(ctx, sh.GroupId, &fsmpb.Command{
			Type:      fsmpb.CommandType_COMMAND_TYPE_ARCHIVE_SHARD,
			RequestId: fmt.Sprintf("%s/%d", requestID, sh.Shard),
			Body:      &fsmpb.Command_ArchiveShard{ArchiveShard: &fsmpb.ArchiveShard{EventId: e.EventId, Shard: sh.Shard, CheckOnly: checkOnly}},
		})
		if err == nil && r.GetCode() == fsmpb.Code_CODE_HAS_HOLDS {
			err = fmt.Errorf("%w: %s", ErrEventHasHolds, r.GetMessage())
		} else if err == nil {
			err = refusal(r)
		}
		if err != nil {
			return dropped, err
		}
		if !checkOnly {
			dropped++
		}
	}
	return dropped, nil
}

// setEventStatus changes an event's status in the catalog.
// fingerprint is the requestDigest of the client's request.
func (h *Host) setEventStatus(ctx context.Context, eventID, requestID string, fingerprint []byte, status boxofficev1.EventStatus) (*nodepb.EventRecord, error) {
	res, err := h.catalogCommand(ctx, &nodepb.CatalogCommand{
		Type:      nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_EVENT_STATUS,
		RequestId: requestID,
		Body:      &nodepb.CatalogCommand_SetEventStatus{SetEventStatus: &nodepb.SetEventStatus{EventId: eventID, Status: status}},

		RequestFingerprint: fingerprint,
	})
	if err != nil {
		return nil, err
	}
	if err := catalogRefusal(res); err != nil {
		return nil, err
	}
	return res.Event, nil
}

// eventArchived reports whether an event is archived or being archived:
// its seats take no new holds or sales.
func eventArchived(e *nodepb.EventRecord) bool {
	return e.GetStatus() == boxofficev1.EventStatus_EVENT_STATUS_ARCHIVING ||
		e.GetStatus() == boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED
}

// liveEvent is event for calls on an event's seats that an archived event
// refuses (reads of seats, release, refund, holds by id, Watch); an event
// being archived still serves them, so that its holds can end.
func (h *Host) liveEvent(ctx context.Context, id string) (*nodepb.EventRecord, error) {
	e, err := h.event(ctx, id)
	if err != nil {
		return nil, err
	}
	if e.Status == boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED {
		return nil, fmt.Errorf("%w: event %q was deleted", ErrEventArchived, id)
	}
	return e, nil
}

// eventBudget is the budget this node stamps into the CreateEvent it
// proposes (Config.EventsMax, Config.SeatsMax).
func (h *Host) eventBudget() *nodepb.EventBudget {
	return &nodepb.EventBudget{EventsMax: uint32(h.cfg.EventsMax), SeatsMax: uint64(h.cfg.SeatsMax)}
}
