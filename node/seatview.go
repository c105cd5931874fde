package node

import (
	"slices"
	"sync"
	"sync/atomic"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/fsm"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// The compact seat-map views (AVAILABILITY and SUMMARY) are served from a
// per-shard cache of ready-made API messages, kept outside the state
// machine. An entry is valid for one change sequence of its shard: the
// state machine bumps the sequence on every seat and pool change, and the
// same sequence means the same states on every replica, so a read checks
// the sequence (one map lookup under the store's read lock) and, while
// nothing changed, shares the cached messages with every other read. gRPC
// only reads a response while marshalling it, so sharing is safe as long as
// nobody modifies a cached message: nothing here does, and the merge in
// GetSeatMap only collects pointers.
//
// Rejected: caching the marshalled response bytes (a custom codec for one
// method, and the section filter and the multi-shard merge would need to
// splice bytes); invalidating from Apply (it would put node code on the
// apply path, and a replica's readers would still race the next entry).

// seatViewCache holds the views of the shards of one data group. Entries
// are never removed: a group holds a bounded number of shards, and events
// are not deleted.
type seatViewCache struct {
	entries sync.Map // seatViewKey -> *seatViewEntry
}

type seatViewKey struct {
	eventID string
	shard   uint32
}

type seatViewEntry struct {
	current atomic.Pointer[shardView]
	build   sync.Mutex // one rebuild at a time; readers of a fresh view never take it
}

// shardView is one shard's compact view as API messages. Immutable.
type shardView struct {
	availability *fsm.Availability
	position     *boxofficev1.ShardPosition
	sections     []*boxofficev1.SectionState // AVAILABILITY: counts and rows of states
	summaries    []*boxofficev1.SectionState // SUMMARY: counts only
	pools        []*boxofficev1.PoolState
}

// view returns the shard's current view, rebuilding it if the shard
// changed since it was built. The view reflects at least everything the
// store had applied when view was called.
func (c *seatViewCache) view(store *fsm.Store, eventID string, shard uint32) (*shardView, error) {
	key := seatViewKey{eventID, shard}
	value, ok := c.entries.Load(key)
	if !ok {
		value, _ = c.entries.LoadOrStore(key, &seatViewEntry{})
	}
	entry := value.(*seatViewEntry)
	cached := entry.current.Load()
	var known *fsm.Availability
	if cached != nil {
		known = cached.availability
	}
	availability, err := store.Availability(eventID, shard, known)
	if err != nil {
		return nil, err
	}
	if cached != nil && availability == cached.availability {
		return cached, nil
	}
	// Readers that found the same change wait for one rebuild; a view
	// built meanwhile at a later sequence is at least as fresh as theirs.
	entry.build.Lock()
	defer entry.build.Unlock()
	if latest := entry.current.Load(); latest != nil && latest.availability.ChangeSequence >= availability.ChangeSequence {
		return latest, nil
	}
	v := newShardView(availability)
	entry.current.Store(v)
	return v, nil
}

func newShardView(a *fsm.Availability) *shardView {
	v := &shardView{
		availability: a,
		position:     &boxofficev1.ShardPosition{Shard: a.Shard, Sequence: a.ChangeSequence},
		sections:     make([]*boxofficev1.SectionState, len(a.Sections)),
		summaries:    make([]*boxofficev1.SectionState, len(a.Sections)),
		pools:        make([]*boxofficev1.PoolState, len(a.Pools)),
	}
	rowCount := 0
	for i := range a.Sections {
		rowCount += len(a.Sections[i].Rows)
	}
	rows := make([]boxofficev1.RowState, rowCount) // one allocation for every row
	rowPointers := make([]*boxofficev1.RowState, rowCount)
	for i := range a.Sections {
		s := &a.Sections[i]
		summary := &boxofficev1.SectionState{Id: s.ID, Name: s.Name, Shard: a.Shard, Available: s.Available, Held: s.Held, Sold: s.Sold}
		v.summaries[i] = summary
		full := &boxofficev1.SectionState{Id: s.ID, Name: s.Name, Shard: a.Shard, Available: s.Available, Held: s.Held, Sold: s.Sold,
			Rows: rowPointers[:len(s.Rows):len(s.Rows)]}
		rowPointers = rowPointers[len(s.Rows):]
		for k := range s.Rows {
			r := &rows[0]
			rows = rows[1:]
			r.Label, r.States, r.FirstSeatNumber = s.Rows[k].Label, s.Rows[k].States, s.Rows[k].FirstNumber
			full.Rows[k] = r
		}
		v.sections[i] = full
	}
	for i, p := range a.Pools {
		v.pools[i] = &boxofficev1.PoolState{Id: p.ID, Name: p.Name, Shard: a.Shard, Capacity: p.Capacity,
			Held: p.Held, Sold: p.Sold, PriceTier: p.PriceTier}
	}
	return v
}

// compactView reports whether a shard read asks for a cached view.
func compactView(view boxofficev1.SeatMapView) bool {
	return view == boxofficev1.SeatMapView_SEAT_MAP_VIEW_AVAILABILITY || view == boxofficev1.SeatMapView_SEAT_MAP_VIEW_SUMMARY
}

// localShardView answers a shard read in a compact view from this
// replica's applied state, through the group's cache.
func (h *Host) localShardView(g *group, req *nodepb.ReadShardRequest) (*nodepb.ReadShardResponse, error) {
	v, err := g.seatViews.view(g.store, req.EventId, req.Shard)
	if err != nil {
		return nil, storeError(err)
	}
	sections := v.sections
	if req.View == boxofficev1.SeatMapView_SEAT_MAP_VIEW_SUMMARY {
		sections = v.summaries
	}
	resp := &nodepb.ReadShardResponse{Position: v.position}
	if len(req.SectionIds) == 0 {
		// Shared slices: nobody appends to a response's lists.
		resp.Sections = sections[:len(sections):len(sections)]
		resp.Pools = v.pools[:len(v.pools):len(v.pools)]
		return resp, nil
	}
	for i, s := range sections {
		if slices.Contains(req.SectionIds, v.availability.Sections[i].ID) {
			resp.Sections = append(resp.Sections, s)
		}
	}
	for i, p := range v.pools {
		if slices.Contains(req.SectionIds, v.availability.Pools[i].ID) {
			resp.Pools = append(resp.Pools, p)
		}
	}
	return resp, nil
}

// prune forgets the views of shards the store no longer holds (archived
// by DeleteEvent), so that their memory goes with the shard's.
func (c *seatViewCache) prune(store *fsm.Store) {
	c.entries.Range(func(k, _ any) bool {
		key := k.(seatViewKey)
		if !store.HasShard(key.eventID, key.shard) {
			c.entries.Delete(k)
		}
		return true
	})
}
