package checkout

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// rateLimiter keeps one token bucket per key (fan or IP), at most keysMax
// of them; when full it forgets every bucket idle for a minute, and if
// none is, all of them (a burst of new keys then starts fresh, which errs
// towards serving).
type rateLimiter struct {
	mu      sync.Mutex
	keysMax int
	buckets map[string]*bucket
}

type bucket struct {
	limiter *rate.Limiter
	seen    time.Time
}

func newRateLimiter(keysMax int) *rateLimiter {
	return &rateLimiter{keysMax: keysMax, buckets: map[string]*bucket{}}
}

// allow takes one token from key's bucket (rate per second, burst the same,
// at least 1). It returns false and how long to wait when empty.
func (l *rateLimiter) allow(key string, perSecond float64, now time.Time) (time.Duration, bool) {
	if perSecond < 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.keysMax {
			l.evict(now)
		}
		burst := max(int(perSecond), 1)
		b = &bucket{limiter: rate.NewLimiter(rate.Limit(perSecond), burst)}
		l.buckets[key] = b
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
