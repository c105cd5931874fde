package checkout

import (
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Per-fan bounds. The rate limits (ratelimit.go) bound how fast a caller
// may ask; these bound how much one caller may hold at once, so that no
// fan can make the gateway keep an unbounded number of streams open or
// records in the store:
//
//	streams          SSE streams open per identity on this gateway (Config.StreamsPerFan) and in all (StreamsMax)
//	holds            holds per fan not yet ordered, across events (Config.HoldsPerFan): each is a fanhold/ record, counted in quota/holds/
//	idempotency_keys new Idempotency-Keys per fan per clock hour (Config.IdempotencyKeysPerFan): each is an idem/ record kept a day
//
// A request over a bound gets 429 with a problem of type too-many-streams
// or quota-exceeded (extension members "quota", "limit", "current") and a
// Retry-After, and leaves nothing behind: a hold over the quota, and a new
// key over its quota, are refused by the Batch that would have written
// their records, which then writes nothing.
//
// The hold quota is a counter in the fan's placement, quota/holds/{f:<fan>},
// raised within [0, HoldsPerFan] in the Batch that writes the hold's record
// (holds.go), so it is exact across gateways. The key quota is a counter
// per fan and hour, quota/keys/{f:<fan>}/<hour>, raised within [0, limit]
// in the Batch that claims the key; the janitor deletes past hours'
// counters.

// streamSlots counts this gateway's SSE streams per identity.
type streamSlots struct {
	mu      sync.Mutex
	perFan  int
	max     int
	open    map[string]int
	total   int
	metrics *metrics
}

func newStreamSlots(perFan, max int, m *metrics) *streamSlots {
	return &streamSlots{perFan: perFan, max: max, open: map[string]int{}, metrics: m}
}

// streamRetryAfter is the Retry-After of a refused stream: long enough
// that an EventSource retrying in a loop costs little.
const streamRetryAfter = 5 * time.Second

// acquire takes a stream slot for who, or refuses with ErrTooManyStreams.
// The caller must call the returned release exactly once.
func (s *streamSlots) acquire(who string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.open[who]; n >= s.perFan {
		s.metrics.streamsRefused.WithLabelValues("per_fan").Inc()
		return nil, &detailedError{err: ErrTooManyStreams, retryAfter: streamRetryAfter,
			detail:     fmt.Sprintf("you have %d streams open on this gateway, the most allowed: close one first", n),
			extensions: map[string]any{"quota": "streams_per_fan", "limit": s.perFan, "current": n}}
	}
	if s.total >= s.max {
		s.metrics.streamsRefused.WithLabelValues("gateway").Inc()
		return nil, &detailedError{err: ErrTooManyStreams, retryAfter: streamRetryAfter,
			detail:     "this gateway serves as many streams as it may: retry later",
			extensions: map[string]any{"quota": "streams", "limit": s.max}}
	}
	s.open[who]++
	s.total++
	s.metrics.streamsOpen.Inc()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.open[who]--; s.open[who] <= 0 {
				delete(s.open, who)
			}
			s.total--
			s.metrics.streamsOpen.Dec()
		})
	}, nil
}

// holdsQuotaScanMax bounds the read of a fan's hold records when a hold
// hits a limit (holds.go reclaimExpired).
const holdsQuotaScanMax = 200

// keyQuotaWindow is the window of the Idempotency-Key quota.
const keyQuotaWindow = time.Hour

const keyQuotaPrefix = "quota/keys/"

func keyQuotaKey(fan string, window time.Time) string {
	return keyQuotaPrefix + fanTag(fan) + "/" + strconv.FormatInt(window.Unix(), 10)
}

// countIdempotencyKey is the charge of one new Idempotency-Key to fan's
// current window: operations for the Batch that claims the key (so the
// charge costs no call of its own, and a claim refused changes no count),
// and the refusal to answer when one of them refuses with ErrOutOfRange
// (the window is full). A charge decided without the store returns no
// operations, or its refusal as err.
func (g *Gateway) countIdempotencyKey(fan string) (charge []Op, overQuota func() error, err error) {
	now := g.now()
	window := now.Truncate(keyQuotaWindow)
	limit := int64(g.cfg.IdempotencyKeysPerFan)
	return []Op{{Kind: OpAdd, Key: keyQuotaKey(fan, window), Delta: 1, Min: 0, Max: limit}}, func() error {
		g.metrics.quotaRefusals.WithLabelValues("idempotency_keys").Inc()
		return &detailedError{err: ErrQuotaExceeded, retryAfter: window.Add(keyQuotaWindow).Sub(now),
			detail:     fmt.Sprintf("you used %d new Idempotency-Keys this hour, the most allowed", limit),
			extensions: map[string]any{"quota": "idempotency_keys_per_hour", "limit": limit, "current": limit}}
	}, nil
}
