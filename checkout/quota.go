package checkout

import (
	"context"
	"errors"
	"fmt"
	"math"
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
//	holds            unexpired holds per fan across events (Config.HoldsPerFan): each is a fanhold/ record and a reservation
//	idempotency_keys new Idempotency-Keys per fan per clock hour (Config.IdempotencyKeysPerFan): each is an idem/ record kept a day
//
// A request over a bound gets 429 with a problem of type too-many-streams
// or quota-exceeded (extension members "quota", "limit", "current") and a
// Retry-After, and leaves nothing behind: a hold over the quota is refused
// before its first write; a new key's charge is made at the same time as
// its idempotency claim (to keep a round trip off every POST), and a
// refused one's claim is deleted at once, so no record of it remains.
//
// The hold quota is counted from the fan's fanhold/ records, read with the
// reads a hold does anyway, so two holds racing may both pass it: the
// bound is HoldsPerFan plus the fan's holds in flight, which the per-fan
// rate limit bounds in turn. The key quota is a store counter per fan and
// hour, quota/keys/<fan>/<hour>, raised with Store.Add within [0, limit], so
// it is exact across gateways; the janitor deletes past hours' counters.

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

// holdsQuotaScanMax bounds the read of a fan's hold records. Expired
// records are swept an hour after their hold ends, so a fan within the
// quota has far fewer than this.
const holdsQuotaScanMax = 200

// checkHoldQuota refuses a new hold for fan when it already has
// Config.HoldsPerFan unexpired ones.
func (g *Gateway) checkHoldQuota(ctx context.Context, fan string) error {
	kvs, err := g.cfg.Store.Scan(ctx, "fanhold/"+fan+"/", "", holdsQuotaScanMax)
	if err != nil {
		return err
	}
	now := g.now()
	active := 0
	soonest := time.Duration(math.MaxInt64)
	for _, kv := range kvs {
		var rec holdRecord
		if err := decodeRecord(kv, &rec); err != nil {
			return err
		}
		if left := rec.ExpiresAt.Sub(now); left > 0 {
			active++
			soonest = min(soonest, left)
		}
	}
	if active < g.cfg.HoldsPerFan {
		return nil
	}
	g.metrics.quotaRefusals.WithLabelValues("holds").Inc()
	return &detailedError{err: ErrQuotaExceeded, retryAfter: soonest,
		detail:     fmt.Sprintf("you have %d active holds, the most allowed: order or release one first", active),
		extensions: map[string]any{"quota": "holds_per_fan", "limit": g.cfg.HoldsPerFan, "current": active}}
}

// keyQuotaWindow is the window of the Idempotency-Key quota.
const keyQuotaWindow = time.Hour

const keyQuotaPrefix = "quota/keys/"

func keyQuotaKey(fan string, window time.Time) string {
	return keyQuotaPrefix + fan + "/" + strconv.FormatInt(window.Unix(), 10)
}

// countIdempotencyKey charges one new Idempotency-Key to fan's current
// window, refusing with ErrQuotaExceeded (and changing nothing) when the
// window is full. It returns a function that gives the charge back.
func (g *Gateway) countIdempotencyKey(ctx context.Context, fan string) (refund func(), err error) {
	now := g.now()
	window := now.Truncate(keyQuotaWindow)
	key := keyQuotaKey(fan, window)
	limit := int64(g.cfg.IdempotencyKeysPerFan)
	_, err = g.cfg.Store.Add(ctx, key, 1, 0, limit)
	if errors.Is(err, ErrOutOfRange) {
		g.metrics.quotaRefusals.WithLabelValues("idempotency_keys").Inc()
		return nil, &detailedError{err: ErrQuotaExceeded, retryAfter: window.Add(keyQuotaWindow).Sub(now),
			detail:     fmt.Sprintf("you used %d new Idempotency-Keys this hour, the most allowed", limit),
			extensions: map[string]any{"quota": "idempotency_keys_per_hour", "limit": limit, "current": limit}}
	}
	if err != nil {
		return nil, err
	}
	return func() {
		if _, err := g.cfg.Store.Add(context.WithoutCancel(ctx), key, -1, 0, limit); err != nil {
			g.cfg.Logger.Warn("giving back an Idempotency-Key charge failed", "key", key, "err", err)
		}
	}, nil
}
