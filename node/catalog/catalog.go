package catalog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// DedupEntriesMax bounds the remembered request ids of catalog commands:
// past it the oldest are forgotten, and a retry older than that applies
// again.
const DedupEntriesMax = 100_000

// Catalog is the state machine of the meta group: nodes, data groups and
// their replicas, and events with the group that owns each shard. Like the
// seat state machine it is deterministic: it reads no clock (commands carry
// the leader's time) and applies each request id once.
type Catalog struct {
	mu      sync.RWMutex
	applied uint64
	nodes   map[string]*nodepb.NodeRecord
	groups  map[string]*nodepb.GroupRecord
	events  map[string]*nodepb.EventRecord
	removed map[string]*nodepb.NodeRecord  // tombstones by node id
	moves   map[string]*nodepb.ReplicaMove // replica moves in flight by group id
	dedup   map[string]*nodepb.DedupEntry
	order   []string // dedup insertion order, for FIFO eviction

	// onApply is called after every applied command and restore (outside
	// the lock).
	onApply func()
	// changed is closed (and replaced) whenever the catalog changes.
	changed chan struct{}
}

// New returns an empty catalog. onApply, if not nil, is called after every
// applied command and every restore, outside the catalog's lock.
func New(onApply func()) *Catalog {
	c := &Catalog{changed: make(chan struct{}), onApply: onApply}
	c.reset()
	return c
}

// notifyLocked wakes the callers of WaitEvent; c.mu is held for writing.
func (c *Catalog) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// WaitEvent waits up to d (or until ctx ends) for this replica to hold
// event id in a state accepted by ok, and returns the event as last seen
// (nil if unknown). A node that has just been asked about an event created
// a moment ago usually has it a few milliseconds later, when its replica
// of the meta group learns the commit; waiting for that is cheaper than
// asking the meta leader.
func (c *Catalog) WaitEvent(ctx context.Context, id string, d time.Duration, ok func(*nodepb.EventRecord) bool) *nodepb.EventRecord {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		c.mu.RLock()
		e, changed := c.events[id], c.changed
		c.mu.RUnlock()
		if e != nil && ok(e) {
			return e
		}
		select {
		case <-changed:
		case <-timer.C:
			return e
		case <-ctx.Done():
			return e
		}
	}
}

func (c *Catalog) reset() {
	c.applied = 0
	c.nodes = make(map[string]*nodepb.NodeRecord)
	c.groups = make(map[string]*nodepb.GroupRecord)
	c.events = make(map[string]*nodepb.EventRecord)
	c.removed = make(map[string]*nodepb.NodeRecord)
	c.moves = make(map[string]*nodepb.ReplicaMove)
	c.dedup = make(map[string]*nodepb.DedupEntry)
	c.order = nil
}

// Apply implements raft.FSM.
func (c *Catalog) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	var cmd nodepb.CatalogCommand
	if err := proto.Unmarshal(l.Data, &cmd); err != nil {
		panic(fmt.Sprintf("catalog: entry %d does not decode: %v", l.Index, err))
	}
	c.mu.Lock()
	res := c.apply(l.Index, &cmd)
	c.notifyLocked()
	c.mu.Unlock()
	if c.onApply != nil {
		c.onApply()
	}
	return res
}

func (c *Catalog) apply(index uint64, cmd *nodepb.CatalogCommand) *nodepb.CatalogResult {
	c.applied = index
	if cmd.RequestId != "" {
		if e, ok := c.dedup[cmd.RequestId]; ok {
			// A client's request id on another request is refused and not
			// remembered; fingerprints are compared only when both are known.
			if len(e.RequestFingerprint) > 0 && len(cmd.RequestFingerprint) > 0 && !bytes.Equal(e.RequestFingerprint, cmd.RequestFingerprint) {
				return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_REQUEST_ID_REUSED,
					Message: "this request id was already used for a different request; send a new request with a new request id"}
			}
			return shallowCopy(e.Result)
		}
	}
	res := c.execute(cmd)
	if cmd.RequestId != "" {
		c.dedup[cmd.RequestId] = &nodepb.DedupEntry{RequestId: cmd.RequestId, AppliedAtUnixMs: cmd.NowUnixMs, Result: res,
			RequestFingerprint: cmd.RequestFingerprint}
		c.order = append(c.order, cmd.RequestId)
		for len(c.order) > DedupEntriesMax {
			delete(c.dedup, c.order[0])
			c.order = c.order[1:]
		}
	}
	// The caller gets its own result message; the event record in it is
	// shared (immutable once stored, like every record handed out).
	return shallowCopy(res)
}

// shallowCopy returns a new message whose fields are m's: sub-messages and
// lists are shared, not copied. Event records carry the whole venue (tens
// of MB for a million seats); deep copies of them in dedup entries and
// results were several copies of every venue on each node. Works for any
// field added later, unlike a hand-written copy.
func shallowCopy[M proto.Message](m M) M {
	out := m.ProtoReflect().New()
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		out.Set(fd, v)
		return true
	})
	return out.Interface().(M)
}

func refusal(code nodepb.CatalogCode, format string, args ...any) *nodepb.CatalogResult {
	return &nodepb.CatalogResult{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (c *Catalog) execute(cmd *nodepb.CatalogCommand) *nodepb.CatalogResult {
	ok := &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_OK}
	switch cmd.Type {
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_REGISTER_NODE:
		n := cmd.GetRegisterNode()
		if n == nil || n.NodeId == "" {
			return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "register node: node id required")
		}
		if tomb := c.removed[n.NodeId]; tomb != nil && tomb.Incarnation == n.Incarnation {
			return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID,
				"node %q incarnation %q was removed; wipe its data dir to add it back", n.NodeId, n.Incarnation)
		}
		delete(c.removed, n.NodeId)
		rec := proto.Clone(n).(*nodepb.NodeRecord)
		if old, exists := c.nodes[n.NodeId]; exists {
			rec.RegisteredAtUnixMs = old.RegisteredAtUnixMs
			rec.Draining = old.Draining // an operator's mark outlives new addresses
			rec.Decommissioning = old.Decommissioning
		} else {
			rec.RegisteredAtUnixMs = cmd.NowUnixMs
		}
		c.nodes[n.NodeId] = rec
		return ok
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_GROUPS:
		for _, g := range cmd.GetCreateGroups().GetGroups() {
			if _, exists := c.groups[g.GroupId]; exists {
				continue // creating the layout twice is harmless
			}
			c.groups[g.GroupId] = proto.Clone(g).(*nodepb.GroupRecord)
		}
		return ok
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_EVENT:
		e := cmd.GetCreateEvent()
		if e == nil || e.EventId == "" {
			return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "create event: event id required")
		}
		if old, exists := c.events[e.EventId]; exists {
			return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_ALREADY_EXISTS,
				Message: fmt.Sprintf("event %q already exists", e.EventId), Event: old}
		}
		if refused := c.checkBudgetLocked(cmd.EventBudget, e); refused != nil {
			return refused
		}
		for _, s := range e.Shards {
			if _, exists := c.groups[s.GroupId]; !exists {
				return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "create event: shard %d placed on unknown group %q", s.Shard, s.GroupId)
			}
		}
		rec := e // decoded from this entry by Apply: nothing else holds it
		rec.CreatedAtUnixMs = cmd.NowUnixMs
		rec.CreateRequestId = cmd.RequestId
		rec.Status = boxofficev1.EventStatus_EVENT_STATUS_CREATING
		c.events[e.EventId] = rec
		return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_OK, Event: rec}
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_EVENT_STATUS:
		s := cmd.GetSetEventStatus()
		e, exists := c.events[s.GetEventId()]
		if !exists {
			return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "event %q not found", s.GetEventId())
		}
		return c.setEventStatusLocked(e, s.Status)
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_REPLICAS:
		s := cmd.GetSetReplicas()
		g, exists := c.groups[s.GetGroupId()]
		if !exists {
			return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "group %q not found", s.GetGroupId())
		}
		g.Replicas = slices.Clone(s.Replicas)
		return ok
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_REMOVE_NODE:
		id := cmd.GetRemoveNode().GetNodeId()
		if _, exists := c.nodes[id]; !exists {
			return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "node %q is not registered", id)
		}
		c.removed[id] = proto.Clone(c.nodes[id]).(*nodepb.NodeRecord)
		delete(c.nodes, id)
		for _, g := range c.groups {
			g.Replicas = slices.DeleteFunc(g.Replicas, func(r string) bool { return r == id })
			g.InitialReplicas = slices.DeleteFunc(g.InitialReplicas, func(r string) bool { return r == id })
		}
		c.forgetMovesOfLocked(id)
		return ok
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_NODE_DRAINING:
		d := cmd.GetSetNodeDraining()
		n, exists := c.nodes[d.GetNodeId()]
		if !exists {
			return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "node %q is not registered", d.GetNodeId())
		}
		if d.Draining && !n.Draining {
			// Leaders need somewhere to go: some other node must stay
			// undrained.
			others := false
			for id, o := range c.nodes {
				others = others || (id != n.NodeId && !o.Draining)
			}
			if !others {
				return refusal(nodepb.CatalogCode_CATALOG_CODE_DRAINING,
					"node %q is the last node not draining; undrain another node first", n.NodeId)
			}
		}
		n.Draining = d.Draining // in place: Node and Export hand out copies
		return ok
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_PREFERRED_LEADER:
		p := cmd.GetSetPreferredLeader()
		g, exists := c.groups[p.GetGroupId()]
		if !exists {
			return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "group %q not found", p.GetGroupId())
		}
		i := slices.Index(g.Replicas, p.GetNodeId())
		if i < 0 {
			return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "node %q is not a replica of group %q", p.GetNodeId(), g.GroupId)
		}
		g.Replicas = append([]string{p.GetNodeId()}, slices.Delete(slices.Clone(g.Replicas), i, i+1)...)
		return ok
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_ADD_GROUPS:
		return c.addGroupsLocked(cmd.RequestId, cmd.GetAddGroups().GetGroups())
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_GROUP_HOME:
		return c.setGroupHomeLocked(cmd.GetSetGroupHome())
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_BEGIN_SHARD_MOVE:
		return c.beginShardMoveLocked(cmd.GetBeginShardMove(), cmd.NowUnixMs)
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_SHARD_MOVE_STEP:
		return c.setShardMoveStepLocked(cmd.GetSetShardMoveStep())
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_NODE_DECOMMISSIONING:
		return c.setDecommissioningLocked(cmd.GetSetNodeDecommissioning())
	case nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_MOVE_REPLICA:
		return c.moveReplicaLocked(cmd.GetMoveReplica(), cmd.NowUnixMs)
	default:
		panic(fmt.Sprintf("catalog: unknown command type %v", cmd.Type))
	}
}

// Snapshot implements raft.FSM: it captures a copy under the lock.
func (c *Catalog) Snapshot() (raft.FSMSnapshot, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return &catalogSnapshot{state: c.exportLocked()}, nil
}

func (c *Catalog) exportLocked() *nodepb.CatalogSnapshot {
	s := &nodepb.CatalogSnapshot{AppliedIndex: c.applied}
	for _, id := range sortedKeys(c.nodes) {
		s.Nodes = append(s.Nodes, proto.Clone(c.nodes[id]).(*nodepb.NodeRecord))
	}
	for _, id := range sortedKeys(c.groups) {
		s.Groups = append(s.Groups, proto.Clone(c.groups[id]).(*nodepb.GroupRecord))
	}
	// Events (venues included) and dedup entries are immutable once stored
	// (changes replace them), so the export shares them rather than copying
	// them: readiness checks and reconcile passes export the catalog every
	// few hundred milliseconds, and copying every venue each time kept tens
	// of MB of heap busy on a node with a million seats.
	for _, id := range sortedKeys(c.events) {
		s.Events = append(s.Events, c.events[id])
	}
	for _, id := range sortedKeys(c.removed) {
		s.RemovedNodes = append(s.RemovedNodes, proto.Clone(c.removed[id]).(*nodepb.NodeRecord))
	}
	for _, id := range c.order {
		s.Dedup = append(s.Dedup, c.dedup[id])
	}
	for _, id := range sortedKeys(c.moves) {
		s.Moves = append(s.Moves, proto.Clone(c.moves[id]).(*nodepb.ReplicaMove))
	}
	return s
}

// Restore implements raft.FSM: it replaces the whole catalog.
func (c *Catalog) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	var s nodepb.CatalogSnapshot
	if err := proto.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("catalog: snapshot does not decode: %w", err)
	}
	c.mu.Lock()
	c.reset()
	c.applied = s.AppliedIndex
	for _, n := range s.Nodes {
		c.nodes[n.NodeId] = n
	}
	for _, g := range s.Groups {
		c.groups[g.GroupId] = g
	}
	for _, e := range s.Events {
		c.events[e.EventId] = e
	}
	for _, n := range s.RemovedNodes {
		c.removed[n.NodeId] = n
	}
	for _, m := range s.Moves {
		c.moves[m.GroupId] = m
	}
	for _, d := range s.Dedup {
		// A remembered result's event carries its own decoded copy of the
		// venue; venues never change after creation, so share the event's.
		if ev := d.GetResult().GetEvent(); ev != nil {
			if cur := c.events[ev.EventId]; cur != nil && ev.Venue != nil && ev.Venue != cur.Venue {
				relinked := shallowCopy(ev)
				relinked.Venue = cur.Venue
				d.Result.Event = relinked
			}
		}
		c.dedup[d.RequestId] = d
		c.order = append(c.order, d.RequestId)
	}
	c.notifyLocked()
	c.mu.Unlock()
	if c.onApply != nil {
		c.onApply()
	}
	return nil
}

// Export returns the whole catalog. Nodes and groups are copies; events and
// dedup entries are shared with the catalog and must not be modified.
func (c *Catalog) Export() *nodepb.CatalogSnapshot {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.exportLocked()
}

// ExportEvent returns a catalog snapshot that holds only the event id (no
// event when it is unknown), at this replica's applied index.
func (c *Catalog) ExportEvent(id string) *nodepb.CatalogSnapshot {
	c.mu.RLock()
	defer c.mu.RUnlock()
	snap := &nodepb.CatalogSnapshot{AppliedIndex: c.applied}
	if e := c.events[id]; e != nil {
		snap.Events = []*nodepb.EventRecord{e}
	}
	return snap
}

// Event returns one event, or nil. The record is shared and immutable:
// callers must not modify it. (Copying it, venue included, on every hold
// cost 13% of a node's CPU under load.)
func (c *Catalog) Event(id string) *nodepb.EventRecord {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.events[id]
}

// Removed reports whether this incarnation of a node was removed.
func (c *Catalog) Removed(nodeID, incarnation string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	tomb := c.removed[nodeID]
	return tomb != nil && tomb.Incarnation == incarnation
}

// Group returns a copy of one group, or nil.
func (c *Catalog) Group(id string) *nodepb.GroupRecord {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if g, ok := c.groups[id]; ok {
		return proto.Clone(g).(*nodepb.GroupRecord)
	}
	return nil
}

// GroupIDs returns the ids of the data groups, sorted. Groups are created
// at bootstrap and by ADD_GROUPS, never removed.
func (c *Catalog) GroupIDs() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return sortedKeys(c.groups)
}

// BootstrapGroupIDs returns the ids of the groups laid out at bootstrap
// (not by ADD_GROUPS), sorted. They never change, so what is spread over
// them by hashing (Records keys) stays where it was put when groups are
// added.
func (c *Catalog) BootstrapGroupIDs() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var ids []string
	for _, id := range sortedKeys(c.groups) {
		if c.groups[id].AddRequestId == "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// Node returns a copy of one node record, or nil.
func (c *Catalog) Node(id string) *nodepb.NodeRecord {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if n, ok := c.nodes[id]; ok {
		return proto.Clone(n).(*nodepb.NodeRecord)
	}
	return nil
}

// DedupEntries returns how many request ids the catalog remembers (at
// most DedupEntriesMax).
func (c *Catalog) DedupEntries() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.order)
}

type catalogSnapshot struct{ state *nodepb.CatalogSnapshot }

func (s *catalogSnapshot) Persist(sink raft.SnapshotSink) error {
	data, err := proto.Marshal(s.state)
	if err == nil {
		_, err = sink.Write(data)
	}
	if err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *catalogSnapshot) Release() {}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
