package node

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/fsm"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/crossshard"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Limits of the Inventory API (documented in README.md); the limits of
// the operations on seats are crossshard's.
const (
	listPageSizeDefault = 50
	listPageSizeMax     = 500
	eventNameBytesMax   = 200
)

var eventIDPattern = regexp.MustCompile(`^[a-z0-9_.]{1,64}$`)

// inventoryService implements boxoffice.v1.Inventory.
type inventoryService struct {
	boxofficev1.UnimplementedInventoryServer
	host *Host
}

// requestContext bounds a request by the node's RequestTimeout unless the
// caller's deadline is sooner.
func (h *Host) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, h.cfg.RequestTimeout)
}

func checkID(field, value string, required bool) error {
	if value == "" {
		if required {
			return invalid("%s is required", field)
		}
		return nil
	}
	if len(value) > idBytesMax {
		return invalid("%s is %d bytes; the limit is %d", field, len(value), idBytesMax)
	}
	return nil
}

// event finds an event in the local catalog, or on the meta leader when the
// local replica has not caught up yet.
func (h *Host) event(ctx context.Context, id string) (*nodepb.EventRecord, error) {
	if id == "" {
		return nil, invalid("event_id is required")
	}
	if e := h.catalog.Event(id); e != nil {
		return e, nil
	}
	if e := h.catalog.WaitEvent(ctx, id, catalogCatchUpMax, func(*nodepb.EventRecord) bool { return true }); e != nil {
		return e, nil
	}
	e, err := h.readCatalogEvent(ctx, id)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, fmt.Errorf("%w: event %q", ErrNotFound, id)
	}
	return e, nil
}

func (s *inventoryService) CreateEvent(ctx context.Context, req *boxofficev1.CreateEventRequest) (*boxofficev1.CreateEventResponse, error) {
	ctx, cancel := s.host.requestContext(ctx)
	defer cancel()
	e, err := s.host.createEvent(ctx, req)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &boxofficev1.CreateEventResponse{Event: eventToAPI(e, true)}, nil
}

// createEvent places the shards, records the event in the catalog, installs
// every shard in its group and marks the event ready. Each step is
// idempotent under the request id, so a retry after any failure finishes
// the job; until then the event is CREATING and refuses holds.
func (h *Host) createEvent(ctx context.Context, req *boxofficev1.CreateEventRequest) (*nodepb.EventRecord, error) {
	if err := checkID("request_id", req.RequestId, true); err != nil {
		return nil, err
	}
	if !eventIDPattern.MatchString(req.EventId) {
		return nil, invalid("event_id %q must match %s", req.EventId, eventIDPattern)
	}
	if len(req.Name) > eventNameBytesMax {
		return nil, invalid("name is %d bytes; the limit is %d", len(req.Name), eventNameBytesMax)
	}
	if req.Venue == nil {
		return nil, invalid("venue is required")
	}
	if err := cluster.ValidateVenue(req.Venue); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	policy, err := normalizePolicy(req.Policy)
	if err != nil {
		return nil, err
	}
	snap := h.catalog.Export()
	placement := &eventPlacement{}
	if h.catalog.Event(req.EventId) == nil {
		// An event id already in the catalog is placed already (a retry)
		// or refused by CREATE_EVENT: home no group for it.
		if placement, err = h.placeEvent(req, snap); err != nil {
			return nil, err
		}
		if err := h.homeGroups(ctx, req.RequestId, req.HomeRegion, placement.homes); err != nil {
			return nil, err
		}
	}
	seats, ga := cluster.VenueSeatCount(req.Venue)
	rec := &nodepb.EventRecord{
		EventId: req.EventId, Name: req.Name, Policy: policy, Venue: req.Venue, Shards: placement.shards,
		SeatCount: seats, GeneralAdmissionCapacity: ga, Survive: req.Survive, HomeRegion: req.HomeRegion,
	}
	res, err := h.catalogCommand(ctx, &nodepb.CatalogCommand{
		Type:        nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_EVENT,
		RequestId:   req.RequestId + "/catalog",
		Body:        &nodepb.CatalogCommand_CreateEvent{CreateEvent: rec},
		EventBudget: h.eventBudget(),
		// Placement depends on the catalog's state, so the command's body
		// may differ between retries: the caller's request is compared.
		RequestFingerprint: crossshard.RequestDigest(req),
	})
	if err != nil {
		return nil, err
	}
	switch res.Code {
	case nodepb.CatalogCode_CATALOG_CODE_OK:
		if current := h.catalog.Event(req.EventId); eventArchived(current) {
			// A retry, with the first call's request id, of a create
			// whose event was deleted since: install nothing.
			return nil, fmt.Errorf("%w: event %q was deleted", ErrEventArchived, req.EventId)
		}
	case nodepb.CatalogCode_CATALOG_CODE_BUDGET_EXCEEDED:
		return nil, fmt.Errorf("%w: %s", ErrEventBudget, res.Message)
	case nodepb.CatalogCode_CATALOG_CODE_ALREADY_EXISTS:
		return nil, fmt.Errorf("%w: %s", ErrEventExists, res.Message)
	case nodepb.CatalogCode_CATALOG_CODE_REQUEST_ID_REUSED:
		return nil, &RefusalError{Code: fsmpb.Code_CODE_REQUEST_ID_REUSED, Message: res.Message}
	default:
		return nil, invalid("%s", res.Message)
	}
	rec = res.Event
	// Install the shards in parallel; the first failure wins.
	errs := make([]error, len(rec.Shards))
	var wg sync.WaitGroup
	for i, sh := range rec.Shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := &fsmpb.Command{
				Type:      fsmpb.CommandType_COMMAND_TYPE_CREATE_SHARD,
				RequestId: fmt.Sprintf("%s/shard/%d", req.RequestId, sh.Shard),
				Body:      &fsmpb.Command_CreateShard{CreateShard: shardSpec(rec, sh)},
			}
			r, err := h.shardCommand(ctx, sh.GroupId, cmd)
			if err == nil {
				err = refusal(r)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	res, err = h.catalogCommand(ctx, &nodepb.CatalogCommand{
		Type:      nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_EVENT_STATUS,
		RequestId: req.RequestId + "/ready",
		Body: &nodepb.CatalogCommand_SetEventStatus{SetEventStatus: &nodepb.SetEventStatus{
			EventId: rec.EventId, Status: boxofficev1.EventStatus_EVENT_STATUS_READY}},
	})
	if err != nil {
		return nil, err
	}
	if res.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		return nil, fmt.Errorf("marking event ready: %s", res.Message)
	}
	return res.Event, nil
}

// Policy defaults and bounds.
const (
	holdTTLDefault     = 10 * time.Minute
	holdTTLMaxDefault  = 30 * time.Minute
	holdLifetimeMaxDef = time.Hour
	holdLifetimeCap    = 24 * time.Hour
	seatsPerHoldDef    = 20
	seatsPerHoldCap    = 1000
)

func normalizePolicy(p *boxofficev1.EventPolicy) (*boxofficev1.EventPolicy, error) {
	out := &boxofficev1.EventPolicy{}
	if p != nil {
		out = &boxofficev1.EventPolicy{HoldTtlDefaultMs: p.HoldTtlDefaultMs, HoldTtlMaxMs: p.HoldTtlMaxMs,
			HoldLifetimeMaxMs: p.HoldLifetimeMaxMs, SeatsPerHoldMax: p.SeatsPerHoldMax}
	}
	if out.HoldTtlDefaultMs == 0 {
		out.HoldTtlDefaultMs = holdTTLDefault.Milliseconds()
	}
	if out.HoldTtlMaxMs == 0 {
		out.HoldTtlMaxMs = max(holdTTLMaxDefault.Milliseconds(), out.HoldTtlDefaultMs)
	}
	if out.HoldLifetimeMaxMs == 0 {
		out.HoldLifetimeMaxMs = max(holdLifetimeMaxDef.Milliseconds(), out.HoldTtlMaxMs)
	}
	if out.SeatsPerHoldMax == 0 {
		out.SeatsPerHoldMax = seatsPerHoldDef
	}
	switch {
	case out.HoldTtlDefaultMs < 1000:
		return nil, invalid("policy.hold_ttl_default_ms = %d: must be >= 1000", out.HoldTtlDefaultMs)
	case out.HoldTtlMaxMs < out.HoldTtlDefaultMs:
		return nil, invalid("policy.hold_ttl_max_ms = %d: must be >= hold_ttl_default_ms (%d)", out.HoldTtlMaxMs, out.HoldTtlDefaultMs)
	case out.HoldLifetimeMaxMs < out.HoldTtlMaxMs:
		return nil, invalid("policy.hold_lifetime_max_ms = %d: must be >= hold_ttl_max_ms (%d)", out.HoldLifetimeMaxMs, out.HoldTtlMaxMs)
	case out.HoldLifetimeMaxMs > holdLifetimeCap.Milliseconds():
		return nil, invalid("policy.hold_lifetime_max_ms = %d: must be <= %d (24h)", out.HoldLifetimeMaxMs, holdLifetimeCap.Milliseconds())
	case out.SeatsPerHoldMax > seatsPerHoldCap:
		return nil, invalid("policy.seats_per_hold_max = %d: must be <= %d", out.SeatsPerHoldMax, seatsPerHoldCap)
	}
	return out, nil
}

func (s *inventoryService) GetEvent(ctx context.Context, req *boxofficev1.GetEventRequest) (*boxofficev1.Event, error) {
	e, err := s.host.event(ctx, req.EventId)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return eventToAPI(e, true), nil
}

func (s *inventoryService) ListEvents(ctx context.Context, req *boxofficev1.ListEventsRequest) (*boxofficev1.ListEventsResponse, error) {
	size := int(req.PageSize)
	if size == 0 {
		size = listPageSizeDefault
	}
	if size > listPageSizeMax {
		return nil, toStatus(ctx, invalid("page_size = %d: the limit is %d", size, listPageSizeMax))
	}
	after := ""
	if req.PageToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(req.PageToken)
		if err != nil {
			return nil, toStatus(ctx, invalid("page_token is not one this server issued"))
		}
		after = string(b)
	}
	resp := &boxofficev1.ListEventsResponse{}
	events := s.host.catalog.Export().Events // sorted by id
	for _, e := range events {
		if e.EventId <= after || (e.Status == boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED && !req.IncludeArchived) {
			continue
		}
		if len(resp.Events) == size {
			resp.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(resp.Events[len(resp.Events)-1].EventId))
			break
		}
		resp.Events = append(resp.Events, eventToAPI(e, false))
	}
	return resp, nil
}

// catalogCatchUpMax is how long a node waits for its replica of the
// catalog to show an event it was asked about before it asks the meta
// leader (the replica learns a commit within the meta group's commit
// timeout, 5 ms, when the machine is not overloaded).
const catalogCatchUpMax = 50 * time.Millisecond

func eventReady(e *nodepb.EventRecord) bool {
	return e != nil && e.Status == boxofficev1.EventStatus_EVENT_STATUS_READY
}

// readyEvent returns an event that accepts holds.
func (h *Host) readyEvent(ctx context.Context, id string) (*nodepb.EventRecord, error) {
	e, err := h.event(ctx, id)
	if err != nil {
		return nil, err
	}
	if eventArchived(e) {
		return nil, fmt.Errorf("%w: event %q was deleted", ErrEventArchived, id)
	}
	if e.Status != boxofficev1.EventStatus_EVENT_STATUS_READY {
		// This replica of the catalog may lag the meta leader: give it a
		// moment, then ask the leader.
		if e := h.catalog.WaitEvent(ctx, id, catalogCatchUpMax, eventReady); eventReady(e) {
			return e, nil
		}
		fresh, err := h.readCatalogEvent(ctx, id)
		if err != nil {
			return nil, err
		}
		if fresh != nil && fresh.Status == boxofficev1.EventStatus_EVENT_STATUS_READY {
			return fresh, nil
		}
		if eventArchived(fresh) {
			return nil, fmt.Errorf("%w: event %q was deleted", ErrEventArchived, id)
		}
		return nil, fmt.Errorf("%w: event %q is still being created; retry its CreateEvent with the same request_id to finish it", ErrEventNotReady, id)
	}
	return e, nil
}

// The operations on seats below are adapters onto the cross-shard
// coordinator (package crossshard): each checks the request's fields, loads
// the event, calls the coordinator and maps its error.

func (s *inventoryService) Hold(ctx context.Context, req *boxofficev1.HoldRequest) (*boxofficev1.HoldResponse, error) {
	ctx, cancel := s.host.requestContext(ctx)
	defer cancel()
	resp, err := s.host.hold(ctx, req)
	return resp, toStatus(ctx, err)
}

func (h *Host) hold(ctx context.Context, req *boxofficev1.HoldRequest) (*boxofficev1.HoldResponse, error) {
	if err := checkID("request_id", req.RequestId, true); err != nil {
		return nil, err
	}
	if err := checkID("holder", req.Holder, true); err != nil {
		return nil, err
	}
	if req.TtlMs < 0 {
		return nil, invalid("ttl_ms = %d: must be >= 0 (0 takes the event default)", req.TtlMs)
	}
	e, err := h.readyEvent(ctx, req.EventId)
	if err != nil {
		return nil, err
	}
	resp, err := h.coordinator.Hold(ctx, req, e)
	return resp, coordinatorError(err)
}

func (s *inventoryService) ExtendHold(ctx context.Context, req *boxofficev1.ExtendHoldRequest) (*boxofficev1.HoldResponse, error) {
	ctx, cancel := s.host.requestContext(ctx)
	defer cancel()
	resp, err := s.host.extendHold(ctx, req)
	return resp, toStatus(ctx, err)
}

func (h *Host) extendHold(ctx context.Context, req *boxofficev1.ExtendHoldRequest) (*boxofficev1.HoldResponse, error) {
	if err := errors.Join(checkID("request_id", req.RequestId, true), checkID("holder", req.Holder, true)); err != nil {
		return nil, err
	}
	if req.TtlMs < 0 {
		return nil, invalid("ttl_ms = %d: must be >= 0", req.TtlMs)
	}
	e, err := h.readyEvent(ctx, req.EventId)
	if err != nil {
		return nil, err
	}
	resp, err := h.coordinator.ExtendHold(ctx, req, e)
	return resp, coordinatorError(err)
}

func (s *inventoryService) Release(ctx context.Context, req *boxofficev1.ReleaseRequest) (*boxofficev1.ReleaseResponse, error) {
	ctx, cancel := s.host.requestContext(ctx)
	defer cancel()
	resp, err := s.host.release(ctx, req)
	return resp, toStatus(ctx, err)
}

func (h *Host) release(ctx context.Context, req *boxofficev1.ReleaseRequest) (*boxofficev1.ReleaseResponse, error) {
	if err := errors.Join(checkID("request_id", req.RequestId, true), checkID("holder", req.Holder, true)); err != nil {
		return nil, err
	}
	e, err := h.liveEvent(ctx, req.EventId)
	if err != nil {
		return nil, err
	}
	resp, err := h.coordinator.Release(ctx, req, e)
	return resp, coordinatorError(err)
}

func (s *inventoryService) Sell(ctx context.Context, req *boxofficev1.SellRequest) (*boxofficev1.SellResponse, error) {
	h := s.host
	ctx, cancel := h.requestContext(ctx)
	defer cancel()
	resp, err := h.sell(ctx, req)
	return resp, toStatus(ctx, err)
}

func (h *Host) sell(ctx context.Context, req *boxofficev1.SellRequest) (*boxofficev1.SellResponse, error) {
	if err := errors.Join(checkID("request_id", req.RequestId, true), checkID("holder", req.Holder, true),
		checkID("order_id", req.OrderId, true), checkID("buyer", req.Buyer, true)); err != nil {
		return nil, err
	}
	e, err := h.readyEvent(ctx, req.EventId)
	if err != nil {
		return nil, err
	}
	resp, err := h.coordinator.Sell(ctx, req, e)
	return resp, coordinatorError(err)
}

func (s *inventoryService) Refund(ctx context.Context, req *boxofficev1.RefundRequest) (*boxofficev1.RefundResponse, error) {
	ctx, cancel := s.host.requestContext(ctx)
	defer cancel()
	resp, err := s.host.refund(ctx, req)
	return resp, toStatus(ctx, err)
}

// refund refunds tickets of an order. The request names the order AND the
// tickets the Sell answered (crossshard.Coordinator.Refund says why).
func (h *Host) refund(ctx context.Context, req *boxofficev1.RefundRequest) (*boxofficev1.RefundResponse, error) {
	if err := errors.Join(checkID("request_id", req.RequestId, true), checkID("order_id", req.OrderId, true)); err != nil {
		return nil, err
	}
	if len(req.TicketIds) == 0 {
		return nil, invalid("ticket_ids is required: the ids of the tickets to refund, as Sell answered them")
	}
	if len(req.TicketIds) > crossshard.SeatIDsPerRequestMax {
		return nil, fmt.Errorf("%w: %d ticket ids; the limit is %d", ErrTooLarge, len(req.TicketIds), crossshard.SeatIDsPerRequestMax)
	}
	e, err := h.liveEvent(ctx, req.EventId)
	if err != nil {
		return nil, err
	}
	resp, err := h.coordinator.Refund(ctx, req, e)
	return resp, coordinatorError(err)
}

func (s *inventoryService) GetSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	h := s.host
	ctx, cancel := h.requestContext(ctx)
	defer cancel()
	resp, err := h.getSeatMap(ctx, req)
	return resp, toStatus(ctx, err)
}

// seatMapView resolves a request's view, refusing unknown values and a
// summary_only that contradicts the view.
func seatMapView(req *boxofficev1.GetSeatMapRequest) (boxofficev1.SeatMapView, error) {
	view := req.View
	switch view {
	case boxofficev1.SeatMapView_SEAT_MAP_VIEW_UNSPECIFIED:
		if req.SummaryOnly {
			return boxofficev1.SeatMapView_SEAT_MAP_VIEW_SUMMARY, nil
		}
		return boxofficev1.SeatMapView_SEAT_MAP_VIEW_FULL, nil
	case boxofficev1.SeatMapView_SEAT_MAP_VIEW_FULL, boxofficev1.SeatMapView_SEAT_MAP_VIEW_AVAILABILITY:
		if req.SummaryOnly {
			return view, invalid("summary_only contradicts view %v: set view SEAT_MAP_VIEW_SUMMARY instead", view)
		}
		return view, nil
	case boxofficev1.SeatMapView_SEAT_MAP_VIEW_SUMMARY:
		return view, nil
	}
	return view, invalid("view %d is unknown: want SEAT_MAP_VIEW_FULL, SEAT_MAP_VIEW_AVAILABILITY or SEAT_MAP_VIEW_SUMMARY", int32(view))
}

// getSeatMap reads the shards holding the sections asked for. One shard
// (a one-section read, the fan-facing case) is read on the calling
// goroutine; several are read concurrently, as each may need a round trip
// to its leader.
func (h *Host) getSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	view, err := seatMapView(req)
	if err != nil {
		return nil, err
	}
	if err := validConsistency(req.Consistency); err != nil {
		return nil, err
	}
	e, err := h.liveEvent(ctx, req.EventId)
	if err != nil {
		return nil, err
	}
	stale := req.Consistency == boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE
	read := func(sh *nodepb.ShardRecord) (*nodepb.ReadShardResponse, error) {
		return h.readShard(ctx, &nodepb.ReadShardRequest{GroupId: sh.GroupId, EventId: e.EventId, Shard: sh.Shard,
			SummaryOnly: view == boxofficev1.SeatMapView_SEAT_MAP_VIEW_SUMMARY, View: view, SectionIds: req.SectionIds, Stale: stale})
	}
	if len(req.SectionIds) == 1 {
		sh := crossshard.ShardOfSection(e, req.SectionIds[0])
		if sh == nil {
			sh = crossshard.ShardOfPool(e, req.SectionIds[0])
		}
		if sh == nil {
			return nil, fmt.Errorf("%w: event %q has no section or pool %q", ErrNotFound, e.EventId, req.SectionIds[0])
		}
		part, err := read(sh)
		if err != nil {
			return nil, err
		}
		return mergeSeatMap(e, []*nodepb.ReadShardResponse{part}), nil
	}
	for _, id := range req.SectionIds {
		if crossshard.ShardOfSection(e, id) == nil && crossshard.ShardOfPool(e, id) == nil {
			return nil, fmt.Errorf("%w: event %q has no section or pool %q", ErrNotFound, e.EventId, id)
		}
	}
	var shards []*nodepb.ShardRecord
	for _, sh := range e.Shards {
		if len(req.SectionIds) == 0 || slices.ContainsFunc(req.SectionIds, func(id string) bool {
			return slices.Contains(sh.SectionIds, id) || slices.Contains(sh.PoolIds, id)
		}) {
			shards = append(shards, sh)
		}
	}
	parts := make([]*nodepb.ReadShardResponse, len(shards))
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, sh := range shards {
		wg.Go(func() { parts[i], errs[i] = read(sh) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return mergeSeatMap(e, parts), nil
}

// validConsistency refuses a consistency this node does not know, rather
// than serve it as the default.
func validConsistency(c boxofficev1.ReadConsistency) error {
	switch c {
	case boxofficev1.ReadConsistency_READ_CONSISTENCY_UNSPECIFIED, boxofficev1.ReadConsistency_READ_CONSISTENCY_LINEARIZABLE,
		boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE:
		return nil
	}
	return invalid("consistency %d is unknown: want READ_CONSISTENCY_LINEARIZABLE or READ_CONSISTENCY_STALE", int32(c))
}

// mergeSeatMap puts shard reads back in venue order. It only collects the
// parts' messages, never modifies them: they may be shared with other
// reads (seatview.go).
func mergeSeatMap(e *nodepb.EventRecord, parts []*nodepb.ReadShardResponse) *boxofficev1.SeatMap {
	out := &boxofficev1.SeatMap{EventId: e.EventId}
	if len(parts) == 1 {
		// A shard lists its sections and pools in venue order already.
		p := parts[0]
		out.Sections, out.Pools = p.Sections, p.Pools
		if p.Position != nil {
			out.Positions = []*boxofficev1.ShardPosition{p.Position}
		}
		for _, st := range out.Sections {
			out.Available += st.Available
			out.Held += st.Held
			out.Sold += st.Sold
		}
		return out
	}
	sections := map[string]*boxofficev1.SectionState{}
	pools := map[string]*boxofficev1.PoolState{}
	for _, p := range parts {
		for _, s := range p.Sections {
			sections[s.Id] = s
		}
		for _, pl := range p.Pools {
			pools[pl.Id] = pl
		}
		if p.Position != nil {
			out.Positions = append(out.Positions, p.Position)
		}
	}
	for _, s := range e.Venue.GetSections() {
		if st := sections[s.Id]; st != nil {
			out.Sections = append(out.Sections, st)
			out.Available += st.Available
			out.Held += st.Held
			out.Sold += st.Sold
		}
	}
	for _, p := range e.Venue.GetPools() {
		if st := pools[p.Id]; st != nil {
			out.Pools = append(out.Pools, st)
		}
	}
	slices.SortFunc(out.Positions, func(a, b *boxofficev1.ShardPosition) int { return int(a.Shard) - int(b.Shard) })
	return out
}

func (s *inventoryService) GetHold(ctx context.Context, req *boxofficev1.GetHoldRequest) (*boxofficev1.HoldResponse, error) {
	h := s.host
	ctx, cancel := h.requestContext(ctx)
	defer cancel()
	resp, err := func() (*boxofficev1.HoldResponse, error) {
		if err := validConsistency(req.Consistency); err != nil {
			return nil, err
		}
		e, err := h.liveEvent(ctx, req.EventId)
		if err != nil {
			return nil, err
		}
		shards, err := crossshard.HoldShards(e, req.HoldId)
		if err != nil {
			return nil, coordinatorError(err)
		}
		stale := req.Consistency == boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE
		out := &boxofficev1.HoldResponse{HoldId: req.HoldId, EventId: e.EventId}
		for _, sh := range shards {
			r, err := h.readShard(ctx, &nodepb.ReadShardRequest{GroupId: sh.GroupId, EventId: e.EventId, Shard: sh.Shard,
				HoldId: req.HoldId, Stale: stale})
			if err != nil {
				return nil, err
			}
			out.Holder = r.Hold.GetHolder()
			out.SeatIds = append(out.SeatIds, r.Hold.GetSeatIds()...)
			out.GeneralAdmissionQuantity += r.Hold.GetGeneralAdmissionQuantity()
			if exp := r.Hold.GetExpiresAtUnixMs(); out.ExpiresAtUnixMs == 0 || exp < out.ExpiresAtUnixMs {
				out.ExpiresAtUnixMs = exp
			}
		}
		return out, nil
	}()
	return resp, toStatus(ctx, err)
}

// watchBatchMax bounds the changes in one WatchResponse.
const watchBatchMax = 512

// Watch streams an event's seat changes from this node's replicas. Changes
// are ordered per shard; positions are the replicated per-shard sequence,
// so a client can resume on any node.
func (s *inventoryService) Watch(req *boxofficev1.WatchRequest, stream boxofficev1.Inventory_WatchServer) error {
	h := s.host
	ctx := stream.Context()
	e, err := h.liveEvent(ctx, req.EventId)
	if err != nil {
		return toStatus(ctx, err)
	}
	type shardState struct {
		group *group
		last  uint64
	}
	state := map[uint32]*shardState{}
	for _, sh := range e.Shards {
		g := h.group(sh.GroupId)
		if g == nil {
			return status.Errorf(codes.FailedPrecondition, "this node holds no replica of shard %d of %q; watch on a node that does (see Cluster.Routing)", sh.Shard, e.EventId)
		}
		state[sh.Shard] = &shardState{group: g}
	}
	after := map[uint32]uint64{}
	for _, p := range req.After {
		if _, ok := state[p.Shard]; !ok {
			return toStatus(ctx, invalid("after: event %q has no shard %d", e.EventId, p.Shard))
		}
		after[p.Shard] = p.Sequence
	}
	// Subscribe before reading the backlog so nothing falls in between;
	// duplicates are skipped by sequence.
	sub := h.hub.subscribe(e.EventId)
	defer h.hub.unsubscribe(sub)
	var backlog []*boxofficev1.SeatChange
	for n, st := range state {
		pos, ok := after[n]
		if !ok {
			st.last = st.group.store.ShardSequence(e.EventId, n)
			continue
		}
		st.last = pos
		changes, err := st.group.store.ChangesSince(e.EventId, n, pos)
		switch {
		case errors.Is(err, fsm.ErrNotFound):
			// This replica has not applied the shard's creation yet (the
			// catalog can be ahead of a data group's follower): it has no
			// change to send, and the subscription delivers what it
			// applies from now on. (This was answered OUT_OF_RANGE, which
			// sent the client to re-read a seat map for nothing.)
		case errors.Is(err, fsm.ErrChangesCompacted):
			return status.Errorf(codes.OutOfRange, "shard %d position %d is older than the retained change log: read the seat map again and watch from its positions", n, pos)
		case err != nil:
			return toStatus(ctx, err)
		}
		for _, c := range changes {
			backlog = append(backlog, changeToAPI(c))
			st.last = c.Sequence
		}
	}
	// The headers tell the client the watch is subscribed (its Header
	// returns) even when nothing changes for a while.
	if err := stream.SendHeader(nil); err != nil {
		return err
	}
	if len(backlog) > 0 {
		if err := stream.Send(&boxofficev1.WatchResponse{Changes: backlog}); err != nil {
			return err
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sub.lost:
			if sub.archived.Load() {
				return toStatus(ctx, fmt.Errorf("%w: event %q was deleted", ErrEventArchived, e.EventId))
			}
			return status.Error(codes.ResourceExhausted, "watch fell too far behind; resume from your last positions")
		case <-sub.ready:
			// A change the loop has already sent may come again (it was
			// queued before the backlog was read): skip it by sequence.
			changes := sub.take()
			batch := make([]*boxofficev1.SeatChange, 0, min(len(changes), watchBatchMax))
			for i, c := range changes {
				st := state[c.Shard]
				if st != nil && c.Sequence > st.last {
					st.last = c.Sequence
					batch = append(batch, changeToAPI(c))
				}
				if len(batch) == watchBatchMax || (i == len(changes)-1 && len(batch) > 0) {
					if err := stream.Send(&boxofficev1.WatchResponse{Changes: batch}); err != nil {
						return err
					}
					batch = nil // Send has encoded it; the next batch is new
				}
			}
		}
	}
}
