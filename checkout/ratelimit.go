package checkout

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// rateLimiter keeps one token bucket per key (fan, IP or event), at most
// keysMax of them; when full it forgets every bucket idle for a minute,
// and if none is, all of them (a burst of new keys then starts fresh,
// which errs towards serving).
//
// The rates given to allow are the deployment's, over all gateways; each
// bucket holds this gateway's share of them: the rate and burst divided by
// the live gateways counted at the last lease renewal (ratelease.go). A
// bucket takes a new share on its next use after the count changes, dated
// from the renewal (it refills at the old rate until then and at the new
// one since), so a renewal costs nothing per key and a request nothing
// beyond its bucket.
type rateLimiter struct {
	mu      sync.Mutex
	keysMax int
	buckets map[string]*bucket
	share   *rateShare
}

// eventBucketsMax bounds the per-event buckets, kept apart from the fans'
// and IPs' so that their churn does not reset an on-sale's bucket.
const eventBucketsMax = 10_000

type bucket struct {
	limiter *rate.Limiter
	seen    time.Time
	split   *split // the split the bucket's share was cut for
}

// rateShare is how many live gateways split each shared rate: 1 until this
// gateway's first lease renewal.
type rateShare struct{ current atomic.Pointer[split] }

// split is one count of live gateways and when it was made.
type split struct {
	gateways int64
	since    time.Time
}

func newRateShare() *rateShare {
	s := &rateShare{}
	s.current.Store(&split{gateways: 1})
	return s
}

// set records a renewal's count at now; an unchanged count keeps the split.
func (s *rateShare) set(gateways int, now time.Time) {
	n := int64(max(gateways, 1))
	if s.current.Load().gateways != n {
		s.current.Store(&split{gateways: n, since: now})
	}
}

func (s *rateShare) get() *split { return s.current.Load() }

func newRateLimiter(keysMax int, share *rateShare) *rateLimiter {
	return &rateLimiter{keysMax: keysMax, buckets: map[string]*bucket{}, share: share}
}

// shareOf is one gateway's part of a rate of perSecond over all gateways
// (burst: one second of it) when n gateways split it: perSecond/n, and a
// burst of at least 1, so every gateway can serve a key at all.
func shareOf(perSecond float64, n int64) (rate.Limit, int) {
	part := perSecond / float64(n)
	return rate.Limit(part), max(int(part), 1)
}

// allow takes one token from key's bucket, whose deployment-wide rate is
// perSecond (negative: unlimited). It returns false and how long to wait
// (at least a second) when the bucket is empty.
func (l *rateLimiter) allow(key string, perSecond float64, now time.Time) (time.Duration, bool) {
	if perSecond < 0 {
		return 0, true
	}
	sp := l.share.get()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.keysMax {
			l.evict(now)
		}
		limit, burst := shareOf(perSecond, sp.gateways)
		b = &bucket{limiter: rate.NewLimiter(limit, burst), split: sp}
		l.buckets[key] = b
	} else if b.split != sp {
		at := sp.since // the renewal, unless the bucket was last used after it
		if b.seen.After(at) {
			at = b.seen
		}
		if at.After(now) {
			at = now
		}
		limit, burst := shareOf(perSecond, sp.gateways)
		b.limiter.SetLimitAt(at, limit)
		b.limiter.SetBurstAt(at, burst)
		b.split = sp
	}
	b.seen = now
	r := b.limiter.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return max(delay, time.Second), false
	}
	return 0, true
}

func (l *rateLimiter) evict(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.seen) > time.Minute {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.keysMax {
		clear(l.buckets)
	}
}
