package checkout

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The watch hub keeps at most one cluster Watch per event per gateway, and
// fans its changes out to that event's seat streams, so a thousand phones
// watching one seat map cost the cluster one stream, not a thousand.
//
// An event's topic starts with its first subscriber: the hub reads the
// seat map for its shards' positions and watches from there, or from the
// first subscriber's cursor where that is earlier by at most
// watchReplayMax, so that a resuming client misses nothing, no client can
// make the hub skip changes by naming positions that do not exist yet,
// and none can make it replay more than the ring holds. Each change moves
// the topic's position and goes into a replay ring of the last
// watchReplayMax changes. A subscriber resumes from its own cursor: from
// the ring if the ring reaches back that far, otherwise it is told to
// reload the seat map (the SSE "reset" event, as when the cluster's log no
// longer holds its position).
//
// Delivery never blocks the hub: each subscriber has a buffer of
// Config.StreamBufferBatches batches, and one whose buffer is full is cut
// off with a final "error" event telling it to reconnect with its cursor;
// the others go on. When the cluster Watch fails, the hub watches again
// from its last positions (subscribers see a gap in time, never in
// changes); on OUT_OF_RANGE it restarts from a fresh seat map and resets
// every subscriber, since the changes in between are lost; on an error
// that retrying cannot cure (the event is gone) it ends every subscriber.
// The last subscriber to leave starts Config.WatchLinger; if nobody
// subscribes meanwhile, the hub closes the cluster Watch.
//
// The topic also feeds the event's seat map in memory when it is viewed
// (views.go): pump applies each batch to the map under the topic's lock
// (no I/O, no encoding), OUT_OF_RANGE reloads the map from the same full
// read that restarts the topic, and a map viewed within the last
// WatchLinger keeps the topic open as a subscriber would.
const (
	watchReplayMax    = 1024
	watchStartTimeout = 10 * time.Second
	watchBackoffMin   = 100 * time.Millisecond
	watchBackoffMax   = 5 * time.Second
)

// errCursorTooOld: the subscriber's cursor is older than anything the hub
// can replay; it must reload the seat map.
var errCursorTooOld = errors.New("cursor older than the shared watch can replay")

// How a subscriber was ended by the hub.
const (
	endSlow  = "slow"
	endReset = "reset"
	endError = "error"
)

type watchHub struct {
	inventory Inventory
	metrics   *metrics
	buffer    int
	linger    time.Duration
	logger    *slog.Logger

	// views are the gateway's views from memory (views.go); the seat
	// maps among them are fed by the topics.
	views *viewCache

	mu     sync.Mutex
	topics map[string]*watchTopic
}

func newWatchHub(cfg Config, m *metrics) *watchHub {
	h := &watchHub{inventory: cfg.Inventory, metrics: m, buffer: cfg.StreamBufferBatches, linger: cfg.WatchLinger,
		logger: cfg.Logger, topics: map[string]*watchTopic{}}
	h.views = newViewCache(cfg, m, h)
	return h
}

// watchTopic is one event's shared Watch.
type watchTopic struct {
	hub    *watchHub
	event  string
	ready  chan struct{} // closed when started, or when starting failed (startErr)
	cancel context.CancelFunc

	mu        sync.Mutex
	startErr  error
	closed    bool // removed from the hub; subscribe afresh
	subs      map[*seatSubscriber]struct{}
	positions map[uint32]uint64 // after the last change fanned out, per shard
	floor     map[uint32]uint64 // the ring holds every change after floor, per shard
	ring      []*boxofficev1.SeatChange
	linger    *time.Timer
	// view is the event's seat map in memory (views.go), fed from pump;
	// nil while nobody views it. It keeps the topic open while viewed.
	view *seatMapCache

	// downSince is when the cluster Watch broke (unix nanoseconds), 0
	// while it is open: a view's age counts from it.
	downSince atomic.Int64
}

// seatSubscriber is one seat stream's end of a topic.
type seatSubscriber struct {
	topic   *watchTopic
	changes chan []*boxofficev1.SeatChange
	ended   chan struct{} // closed by the hub when it ends the subscriber; reason says why
	reason  string
	// positions is where the subscriber stands: changes at or before it
	// are skipped. Owned by the stream's goroutine after subscribe.
	positions map[uint32]uint64
}

// subscribe joins event's topic, starting it if needed, from cursor
// (nil: from the topic's current position). It returns errCursorTooOld
// when the cursor cannot be served, or the cluster's error when the event's
// Watch cannot start.
func (h *watchHub) subscribe(ctx context.Context, event string, cursor []*boxofficev1.ShardPosition) (*seatSubscriber, error) {
	for range 3 {
		t, err := h.startedTopic(ctx, event, cursor)
		if err != nil {
			return nil, err
		}
		sub, err := t.add(cursor)
		if errors.Is(err, errTopicClosed) {
			continue // it lingered out or failed just now: start a new one
		}
		return sub, err
	}
	return nil, problem(ErrUnavailable, "the event's change stream keeps closing: retry")
}

// startedTopic is event's topic, started from cursor if it has none. The
// topic may have failed to start (startErr) or closed since: callers
// check under its lock.
func (h *watchHub) startedTopic(ctx context.Context, event string, cursor []*boxofficev1.ShardPosition) (*watchTopic, error) {
	h.mu.Lock()
	t := h.topics[event]
	starter := t == nil
	if starter {
		t = &watchTopic{hub: h, event: event, ready: make(chan struct{}), subs: map[*seatSubscriber]struct{}{}}
		h.topics[event] = t
	}
	h.mu.Unlock()
	if starter {
		t.start(ctx, cursor)
	}
	select {
	case <-t.ready:
		return t, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var errTopicClosed = errors.New("topic closed")

// start reads the event's positions and opens the cluster Watch. On
// failure the topic is removed and every waiter gets the error.
func (t *watchTopic) start(ctx context.Context, cursor []*boxofficev1.ShardPosition) {
	h := t.hub
	readCtx, cancelRead := context.WithTimeout(background(context.WithoutCancel(ctx)), watchStartTimeout)
	defer cancelRead()
	positions, err := h.seatMapPositions(readCtx, t.event)
	if err == nil {
		for _, p := range cursor {
			// Start earlier for a resuming client, but by no more than the
			// ring holds: an ancient cursor gets a reset, not a replay of
			// the cluster's whole log.
			if at, ok := positions[p.GetShard()]; ok && p.GetSequence() < at && at-p.GetSequence() <= watchReplayMax {
				positions[p.GetShard()] = p.GetSequence()
			}
		}
	}
	var stream watchStream
	watchCtx, cancel := context.WithCancel(background(context.Background()))
	if err == nil {
		stream, err = h.inventory.Watch(watchCtx, &boxofficev1.WatchRequest{EventId: t.event, After: positionList(positions)})
	}
	t.mu.Lock()
	if err != nil {
		cancel()
		t.startErr, t.closed = err, true
		t.mu.Unlock()
		h.mu.Lock()
		if h.topics[t.event] == t {
			delete(h.topics, t.event)
		}
		h.mu.Unlock()
		close(t.ready)
		return
	}
	t.cancel, t.positions, t.floor = cancel, positions, maps.Clone(positions)
	t.mu.Unlock()
	h.metrics.clusterWatches.Inc()
	close(t.ready)
	go t.run(watchCtx, stream)
}

func (h *watchHub) seatMapPositions(ctx context.Context, event string) (map[uint32]uint64, error) {
	sm, err := h.inventory.GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: event, SummaryOnly: true})
	if err != nil {
		return nil, err
	}
	positions := make(map[uint32]uint64, len(sm.GetPositions()))
	for _, p := range sm.GetPositions() {
		positions[p.GetShard()] = p.GetSequence()
	}
	return positions, nil
}

// add registers a subscriber from cursor and queues its replay.
func (t *watchTopic) add(cursor []*boxofficev1.ShardPosition) (*seatSubscriber, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.startErr != nil {
		return nil, t.startErr
	}
	if t.closed {
		return nil, errTopicClosed
	}
	positions := maps.Clone(t.positions)
	behind := false
	for _, p := range cursor {
		shard, seq := p.GetShard(), p.GetSequence()
		floor, known := t.floor[shard]
		if !known {
			continue // not a shard of this event: it has no changes to miss
		}
		if seq < floor {
			return nil, errCursorTooOld
		}
		if seq < t.positions[shard] {
			behind = true
		}
		positions[shard] = seq
	}
	sub := &seatSubscriber{topic: t, ended: make(chan struct{}), positions: positions}
	if !behind {
		sub.changes = make(chan []*boxofficev1.SeatChange, t.hub.buffer)
	} else {
		// One batch of replay, in a slot of its own beyond the buffer.
		sub.changes = make(chan []*boxofficev1.SeatChange, t.hub.buffer+1)
		var replay []*boxofficev1.SeatChange
		for _, ch := range t.ring {
			if ch.GetSequence() > positions[ch.GetShard()] {
				replay = append(replay, ch)
			}
		}
		sub.changes <- replay
	}
	if t.linger != nil {
		t.linger.Stop()
		t.linger = nil
	}
	t.subs[sub] = struct{}{}
	t.hub.metrics.seatSubscribers.Inc()
	return sub, nil
}

// unsubscribe removes sub (if the hub has not ended it already) and, for
// the last one, starts the linger.
func (h *watchHub) unsubscribe(sub *seatSubscriber) {
	t := sub.topic
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.subs[sub]; ok {
		delete(t.subs, sub)
		h.metrics.seatSubscribers.Dec()
	}
	t.lingerIfIdleLocked()
}

func (t *watchTopic) lingerIfIdleLocked() {
	if len(t.subs) > 0 || t.closed || t.linger != nil {
		return
	}
	t.linger = time.AfterFunc(t.hub.linger, t.closeIfIdle)
}

// closeIfIdle closes the topic if nobody subscribed during the linger.
func (t *watchTopic) closeIfIdle() {
	h := t.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.subs) > 0 || t.closed {
		return
	}
	if v := t.view; v != nil {
		// Viewed within the linger: look again when it would have passed.
		if idle := time.Duration(time.Now().UnixNano() - v.viewedAt.Load()); idle < t.hub.linger {
			t.linger = time.AfterFunc(t.hub.linger-idle, t.closeIfIdle)
			return
		}
	}
	t.closeLocked()
}

// closeLocked removes the topic and closes its Watch; the caller holds
// hub.mu and t.mu.
func (t *watchTopic) closeLocked() {
	t.closed = true
	if t.hub.topics[t.event] == t {
		delete(t.hub.topics, t.event)
	}
	if t.linger != nil {
		t.linger.Stop()
		t.linger = nil
	}
	t.hub.views.detachLocked(t)
	t.cancel()
}

// endLocked ends sub with reason; the caller holds t.mu.
func (t *watchTopic) endLocked(sub *seatSubscriber, reason string) {
	delete(t.subs, sub)
	sub.reason = reason
	close(sub.ended)
	t.hub.metrics.seatSubscribers.Dec()
	t.hub.metrics.streamEnds.WithLabelValues(reason).Inc()
}

// run pumps the cluster Watch into the subscribers until the topic
// closes, watching again after errors.
func (t *watchTopic) run(ctx context.Context, stream watchStream) {
	h := t.hub
	defer h.metrics.clusterWatches.Dec()
	backoff := watchBackoffMin
	for {
		err := t.pump(stream)
		if ctx.Err() != nil {
			return
		}
		t.downSince.CompareAndSwap(0, time.Now().UnixNano())
		if status.Code(err) == codes.OutOfRange {
			// The cluster's log no longer holds our position: the changes
			// in between are lost to every subscriber.
			if rerr := t.resync(ctx); rerr != nil {
				err = rerr
			}
		}
		if watchFailedForGood(err) {
			h.logger.Warn("seat changes: the event's cluster Watch failed for good", "event", t.event, "err", err)
			h.mu.Lock()
			t.mu.Lock()
			for sub := range t.subs {
				t.endLocked(sub, endError)
			}
			t.closeLocked()
			t.mu.Unlock()
			h.mu.Unlock()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, watchBackoffMax)
		t.mu.Lock()
		after := positionList(t.positions)
		t.mu.Unlock()
		next, werr := h.inventory.Watch(ctx, &boxofficev1.WatchRequest{EventId: t.event, After: after})
		if werr != nil {
			stream = failedStream{werr}
			continue
		}
		stream = next
		t.downSince.Store(0)
		backoff = watchBackoffMin
	}
}

// resync restarts the topic from a fresh read after OUT_OF_RANGE: the
// positions of a summary, or a full map when the event is viewed (the
// view reloads from it); every subscriber is reset.
func (t *watchTopic) resync(ctx context.Context) error {
	h := t.hub
	for {
		t.mu.Lock()
		viewed := t.view != nil
		t.mu.Unlock()
		var positions map[uint32]uint64
		var sm *boxofficev1.SeatMap
		var err error
		if viewed {
			sm, err = h.inventory.GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: t.event})
			positions = map[uint32]uint64{}
			for _, p := range sm.GetPositions() {
				positions[p.GetShard()] = p.GetSequence()
			}
		} else {
			positions, err = h.seatMapPositions(ctx, t.event)
		}
		if err != nil {
			return err
		}
		t.mu.Lock()
		if t.view != nil && sm == nil {
			t.mu.Unlock()
			continue // viewed since: read the full map
		}
		t.positions, t.floor, t.ring = positions, maps.Clone(positions), nil
		if t.view != nil {
			t.view.reload(sm)
		}
		for sub := range t.subs {
			t.endLocked(sub, endReset)
		}
		t.lingerIfIdleLocked()
		t.mu.Unlock()
		return nil
	}
}

// watchFailedForGood: watching again cannot cure err. The event is gone
// (not found, or archived: its seat map would otherwise be served from
// memory as it was), or the request itself is refused.
func watchFailedForGood(err error) bool {
	switch status.Code(err) {
	case codes.NotFound, codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated:
		return true
	}
	return boxofficev1.ReasonOf(err) == boxofficev1.ReasonEventArchived
}

// pump fans out the stream's changes until it fails.
func (t *watchTopic) pump(stream watchStream) error {
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		changes := resp.GetChanges()
		if len(changes) == 0 {
			continue
		}
		t.mu.Lock()
		for _, ch := range changes {
			if ch.GetSequence() > t.positions[ch.GetShard()] {
				t.positions[ch.GetShard()] = ch.GetSequence()
			}
		}
		if t.view != nil {
			t.view.apply(changes)
		}
		t.ring = append(t.ring, changes...)
		if len(t.ring) > 2*watchReplayMax {
			evicted := len(t.ring) - watchReplayMax
			for _, ch := range t.ring[:evicted] {
				t.floor[ch.GetShard()] = max(t.floor[ch.GetShard()], ch.GetSequence())
			}
			t.ring = append([]*boxofficev1.SeatChange(nil), t.ring[evicted:]...)
		}
		for sub := range t.subs {
			select {
			case sub.changes <- changes:
			default:
				t.endLocked(sub, endSlow)
			}
		}
		t.lingerIfIdleLocked()
		t.mu.Unlock()
	}
}

// watchStream is the receiving half of a cluster Watch.
type watchStream interface {
	Recv() (*boxofficev1.WatchResponse, error)
}

// failedStream stands for a Watch that could not be opened, so run treats
// it like one that broke.
type failedStream struct{ err error }

func (f failedStream) Recv() (*boxofficev1.WatchResponse, error) { return nil, f.err }

func positionList(positions map[uint32]uint64) []*boxofficev1.ShardPosition {
	list := make([]*boxofficev1.ShardPosition, 0, len(positions))
	for s, q := range positions {
		list = append(list, &boxofficev1.ShardPosition{Shard: s, Sequence: q})
	}
	return list
}
