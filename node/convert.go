package node

import (
	"slices"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/fsm"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Conversions between the public API, the catalog and the state machine.

func eventToAPI(e *nodepb.EventRecord, withVenue bool) *boxofficev1.Event {
	out := &boxofficev1.Event{
		EventId: e.EventId, Name: e.Name, Status: e.Status, Policy: e.Policy, ShardCount: uint32(len(e.Shards)),
		CreatedAtUnixMs: e.CreatedAtUnixMs, SeatCount: e.SeatCount, GeneralAdmissionCapacity: e.GeneralAdmissionCapacity,
		Survive: e.Survive, HomeRegion: e.HomeRegion,
	}
	groups := map[string]bool{}
	for _, s := range e.Shards {
		groups[s.GroupId] = true
	}
	out.GroupCount = uint32(len(groups))
	if withVenue {
		out.Venue = e.Venue
	}
	return out
}

// shardSpec builds the CreateShard command body of one shard.
func shardSpec(e *nodepb.EventRecord, sh *nodepb.ShardRecord) *fsmpb.CreateShard {
	v := e.Venue
	cfg := &fsmpb.EventConfig{
		EventId: e.EventId, Name: e.Name,
		HoldTtlDefaultMs: e.Policy.GetHoldTtlDefaultMs(), HoldTtlMaxMs: e.Policy.GetHoldTtlMaxMs(),
		HoldLifetimeMaxMs: e.Policy.GetHoldLifetimeMaxMs(), SeatsPerHoldMax: e.Policy.GetSeatsPerHoldMax(),
	}
	for _, t := range v.GetPriceTiers() {
		cfg.PriceTiers = append(cfg.PriceTiers, &fsmpb.PriceTier{Id: t.Id, PriceCents: t.PriceCents, Currency: t.Currency})
	}
	out := &fsmpb.CreateShard{Event: cfg, Shard: sh.Shard}
	for _, s := range v.GetSections() {
		if !slices.Contains(sh.SectionIds, s.Id) {
			continue
		}
		sec := &fsmpb.Section{Id: s.Id, Name: s.Name, PriceTier: s.PriceTier}
		for _, r := range s.Rows {
			sec.Rows = append(sec.Rows, &fsmpb.Row{Label: r.Label, SeatCount: r.SeatCount, FirstNumber: r.FirstNumber,
				PriceTier: r.PriceTier, AisleAfter: r.AisleAfter, Accessible: r.Accessible, RestrictedView: r.RestrictedView})
		}
		out.Sections = append(out.Sections, sec)
	}
	for _, p := range v.GetPools() {
		if slices.Contains(sh.PoolIds, p.Id) {
			out.Pools = append(out.Pools, &fsmpb.GeneralAdmissionPool{Id: p.Id, Name: p.Name, Capacity: p.Capacity, PriceTier: p.PriceTier})
		}
	}
	return out
}

func changeToAPI(c *fsmpb.SeatChange) *boxofficev1.SeatChange {
	return &boxofficev1.SeatChange{Shard: c.Shard, Sequence: c.Sequence, SeatId: c.SeatId, State: boxofficev1.SeatState(c.State),
		HoldId: c.HoldId, OrderId: c.OrderId, HoldExpiresAtUnixMs: c.ExpiresAtUnixMs, GeneralAdmissionAvailable: c.GeneralAdmissionAvailable}
}

// localShardRead answers a shard read from this replica's applied state.
func (h *Host) localShardRead(g *group, req *nodepb.ReadShardRequest) (*nodepb.ReadShardResponse, error) {
	if req.HoldId == "" && compactView(req.View) {
		return h.localShardView(g, req)
	}
	if req.HoldId != "" {
		info, err := g.store.GetHold(req.EventId, req.Shard, req.HoldId)
		if err != nil {
			return nil, storeError(err)
		}
		return &nodepb.ReadShardResponse{Hold: &boxofficev1.HoldResponse{
			HoldId: info.HoldID, EventId: info.EventID, Holder: info.Holder, SeatIds: info.SeatIDs,
			GeneralAdmissionQuantity: info.GeneralAdmissionQuantity, ExpiresAtUnixMs: max(info.ExpiresAtUnixMs, info.PinnedUntilUnixMs),
		}}, nil
	}
	m, err := g.store.SeatMapWith(req.EventId, req.Shard, fsm.SeatMapOptions{SectionIDs: req.SectionIds, SummaryOnly: req.SummaryOnly})
	if err != nil {
		return nil, storeError(err)
	}
	resp := &nodepb.ReadShardResponse{Position: &boxofficev1.ShardPosition{Shard: req.Shard, Sequence: m.ChangeSequence}}
	for _, s := range m.Sections {
		resp.Sections = append(resp.Sections, sectionToAPI(req.Shard, &s))
	}
	for _, p := range m.Pools {
		resp.Pools = append(resp.Pools, &boxofficev1.PoolState{Id: p.ID, Name: p.Name, Shard: req.Shard, Capacity: p.Capacity,
			Held: p.Held, Sold: p.Sold, PriceTier: p.PriceTier})
	}
	return resp, nil
}

func sectionToAPI(shard uint32, s *fsm.SectionMap) *boxofficev1.SectionState {
	out := &boxofficev1.SectionState{Id: s.ID, Name: s.Name, Shard: shard, Available: s.Available, Held: s.Held, Sold: s.Sold}
	for _, r := range s.Rows {
		row := &boxofficev1.RowState{Label: r.Label, Seats: make([]*boxofficev1.Seat, 0, len(r.Seats))}
		for _, seat := range r.Seats {
			row.Seats = append(row.Seats, &boxofficev1.Seat{
				SeatId: seat.ID, Number: seat.Number, PriceTier: seat.PriceTier, Accessible: seat.Accessible,
				RestrictedView: seat.RestrictedView, AisleAfter: seat.AisleAfter, State: boxofficev1.SeatState(seat.State),
				HoldId: seat.HoldID, Holder: seat.Holder, HoldExpiresAtUnixMs: seat.ExpiresAtUnixMs,
				OrderId: seat.OrderID, Buyer: seat.Buyer, TicketId: seat.TicketID,
			})
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// storeError maps the state machine's read errors.
func storeError(err error) error {
	if err == nil {
		return nil
	}
	if errorsIs(err, fsm.ErrNotFound) {
		return wrapNotFound(err)
	}
	return err
}
