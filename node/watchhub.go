package node

import (
	"sync"
	"sync/atomic"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// watchHub fans applied seat changes out to Watch streams on this node.
//
// A watcher queues changes in a slice that exists only while changes wait
// to be sent: an idle Watch stream holds no buffer (a channel of
// watcherQueueMax pointers, made when the stream opened, was 128 KiB per
// stream whether or not anything changed; BenchmarkIdleWatchMemory). The
// queue is bounded: a watcher that falls watcherQueueMax changes behind is
// cut off (lost is closed) and resumes from the positions it last
// received, so a slow client never makes the node buffer without limit.
type watchHub struct {
	mu     sync.Mutex
	subs   map[string]map[*watcher]struct{} // by event id
	closed bool
}

type watcher struct {
	eventID string
	// ready holds a token while queue has changes the stream has not
	// taken; publish never blocks on it.
	ready chan struct{}
	// lost is closed when the watcher fell behind and changes were
	// dropped, or when its event was archived (archived is then set
	// first).
	lost     chan struct{}
	lostOnce sync.Once
	archived atomic.Bool

	mu    sync.Mutex
	queue []*fsmpb.SeatChange // nil while nothing waits
}

// watcherQueueMax bounds the changes queued for one Watch stream; a stream
// that falls further behind is ended and must resume from its position.
const watcherQueueMax = 16384

func newWatchHub() *watchHub { return &watchHub{subs: make(map[string]map[*watcher]struct{})} }

func (w *watchHub) subscribe(eventID string) *watcher {
	sub := &watcher{eventID: eventID, ready: make(chan struct{}, 1), lost: make(chan struct{})}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		sub.cutOff()
		return sub
	}
	if w.subs[eventID] == nil {
		w.subs[eventID] = make(map[*watcher]struct{})
	}
	w.subs[eventID][sub] = struct{}{}
	return sub
}

func (w *watchHub) unsubscribe(sub *watcher) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.subs[sub.eventID], sub)
	if len(w.subs[sub.eventID]) == 0 {
		delete(w.subs, sub.eventID)
	}
}

// publish runs inside the FSM's apply: it never blocks.
func (w *watchHub) publish(results []*fsmpb.Result) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.subs) == 0 {
		return
	}
	for _, r := range results {
		for _, c := range r.GetChanges() {
			for sub := range w.subs[c.EventId] {
				sub.push(c)
			}
		}
	}
}

// endArchived ends the watchers of every watched event that archived
// reports (DeleteEvent): their streams end EVENT_ARCHIVED and give their
// places back.
func (w *watchHub) endArchived(archived func(eventID string) bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for eventID, subs := range w.subs {
		if !archived(eventID) {
			continue
		}
		for sub := range subs {
			sub.archived.Store(true)
			sub.cutOff()
		}
		delete(w.subs, eventID)
	}
}

// count returns the Watch streams subscribed.
func (w *watchHub) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, subs := range w.subs {
		n += len(subs)
	}
	return n
}

func (w *watchHub) closeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for _, subs := range w.subs {
		for sub := range subs {
			sub.cutOff()
		}
	}
	w.subs = map[string]map[*watcher]struct{}{}
}

// push queues one change, or cuts the watcher off when its queue is full.
func (s *watcher) push(c *fsmpb.SeatChange) {
	s.mu.Lock()
	if len(s.queue) >= watcherQueueMax {
		s.mu.Unlock()
		s.cutOff()
		return
	}
	s.queue = append(s.queue, c)
	first := len(s.queue) == 1
	s.mu.Unlock()
	if first {
		select {
		case s.ready <- struct{}{}:
		default:
		}
	}
}

// take returns the queued changes (nil if none) and leaves the queue empty,
// its memory with the caller.
func (s *watcher) take() []*fsmpb.SeatChange {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q
}

func (s *watcher) cutOff() { s.lostOnce.Do(func() { close(s.lost) }) }
