package checkout

import (
	"context"
	"sync"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Events change rarely (an organizer edits a policy or a price, or
// archives the event) and every hold and order needs one (hold policy,
// venue prices), so the gateway keeps what GetEvent answered for
// eventCacheTTL. A hold never trusts the cache for seats: the cluster
// decides those. What the cache may serve stale for up to eventCacheTTL
// is the hold TTL cap and the prices of a new order, the same staleness a
// request that read the event just before the organizer's change has.
const (
	eventCacheTTL = 2 * time.Second
	eventCacheMax = 1024
)

// eventCache is a bounded map of events by id, each kept ttl.
type eventCache struct {
	mu      sync.Mutex
	max     int
	ttl     time.Duration
	entries map[string]eventEntry
}

type eventEntry struct {
	ev *boxofficev1.Event
	at time.Time
}

// eventInfo is GetEvent through the cache.
func (g *Gateway) eventInfo(ctx context.Context, id string) (*boxofficev1.Event, error) {
	c := &g.ticketing.events
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.ev, nil
	}
	ev, err := g.cfg.Inventory.GetEvent(ctx, eventRequest(id))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= c.max {
		c.entries = make(map[string]eventEntry)
	}
	c.entries[id] = eventEntry{ev: ev, at: now}
	return ev, nil
}

// Records this gateway wrote lately, with their versions, so that the next
// step of a flow on the same gateway (an order after its hold, a payment
// after its order) writes without reading first: its compare-and-swap
// names the cached version, and a mismatch (another gateway or the
// reconciler moved the record) makes it read the record and decide again.
// Nothing is decided from the cache that a write does not re-check.
const writtenCacheMax = 4096

// writtenCache is a bounded map of records by store key with versions.
type writtenCache[T any] struct {
	mu      sync.Mutex
	entries map[string]written[T]
}

type written[T any] struct {
	rec     T
	version uint64
}

func (c *writtenCache[T]) get(key string) (T, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e.rec, e.version, ok
}

func (c *writtenCache[T]) put(key string, rec T, version uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= writtenCacheMax {
		c.entries = make(map[string]written[T])
	}
	c.entries[key] = written[T]{rec, version}
}

func (c *writtenCache[T]) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}
