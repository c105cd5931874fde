package checkout

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Shared rate limits. Config.RatePerFan, RatePerIP and RatePerEvent are
// rates over the whole deployment, however many gateways serve it. Each
// gateway enforces them with local token buckets (ratelimit.go) holding
// its share: the rate R and the burst B (one second of R) divided by N,
// the number of live gateways. N comes from leases in the Store: every
// gateway keeps a record gateways/<id> whose expiry it pushes
// rateLeaseTTL ahead every Config.RateLeaseInterval (I), and in the same
// renewal counts the unexpired records with one Scan. A request costs no
// store call; a renewal costs one CompareAndSwap and one Scan per gateway
// per interval, whatever the traffic (TestRateLimitCostsNoStoreCalls).
//
// Tolerance, for a key (fan, IP, event) whatever gateways its requests
// reach, with I = 2 s and TTL = 3 I (the defaults):
//
//   - Steady state: over any window of W seconds at most R×W + B accepted
//     (each gateway's burst is at least 1, so B is at least N): R × (1 +
//     1/W) for B = R, i.e. R × 1.1 over 10 s (TestRateLimitSharedByGateways).
//   - A gateway joining writes its lease before it counts, so it takes
//     R/N at once; the others count it at their next renewal, at most I
//     later. Each join therefore adds at most R×I/N + B/N: over a 10 s
//     window with one join among 2 gateways, R × 1.25 in the worst case
//     (TestRateLimitToleranceWhenAGatewayJoins).
//   - A gateway that stops renewing (a crash, a partition from the store)
//     keeps its share until its lease expires, at most TTL + I after its
//     last renewal; meanwhile the others together take R×(N−1)/N, which
//     refuses early and never admits more. Gateway.Run deletes its lease
//     when its context ends, so the others take a stopped gateway's share
//     at their next renewal (TestRateLeaseShareReturns).
//   - Until its first renewal (Run's first step) a gateway counts itself
//     alone and takes the whole R. A renewal that fails keeps the last
//     count: a gateway cut off from the store for longer than TTL is no
//     longer counted by the others but still takes R/N, so until it is
//     back or stopped the deployment admits up to R × (1 + 1/N) (such a
//     gateway refuses every flow that needs the store anyway).
//   - The split is even: a key whose requests all reach one gateway gets
//     R/N there. Behind a load balancer that spreads requests (round
//     robin, least connections) a fan sees the whole R; one that pins a
//     fan to a gateway gives it R/N.
//   - Expiry compares the lease writer's clock with the reader's; skew
//     well under TTL (NTP keeps it to milliseconds) only shifts a dead
//     gateway's share by the skew.
//
// A lease expired for another TTL is deleted by the next gateway that
// counts (by the version it read, so a gateway renewing meanwhile keeps
// its record), at most rateLeaseDeletesMax per renewal.
const (
	RateLeaseIntervalDefault = 2 * time.Second
	rateLeasePrefix          = "gateways/"
	rateLeaseTTLIntervals    = 3
	rateLeaseDeletesMax      = 16
)

// gatewayLease is the value of gateways/<id>: this gateway counts in every
// shared rate's split until Until.
type gatewayLease struct {
	Until time.Time `json:"until"`
}

// rateLease is this gateway's lease and the split it gives its buckets.
type rateLease struct {
	mu      sync.Mutex // one renewal at a time
	version uint64     // of gateways/<id> as last written; 0: none
	share   *rateShare
}

func (g *Gateway) rateLeaseKey() string { return rateLeasePrefix + g.id }

func (g *Gateway) rateLeaseTTL() time.Duration {
	return rateLeaseTTLIntervals * g.cfg.RateLeaseInterval
}

// RenewRateLease writes this gateway's lease, counts the live gateways
// and gives every shared rate limit its share (ratelease.go). It returns
// the count. Run calls it every Config.RateLeaseInterval; a gateway that
// never renews counts itself alone.
func (g *Gateway) RenewRateLease(ctx context.Context) (int, error) {
	l := g.lease
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, g.cfg.RateLeaseInterval)
	defer cancel()
	now := g.now()
	key := g.rateLeaseKey()
	rec := gatewayLease{Until: now.Add(g.rateLeaseTTL()).UTC()}
	v, err := casJSON(ctx, g.cfg.Store, key, l.version, &rec)
	if errors.Is(err, ErrVersionMismatch) {
		// A renewal whose answer was lost, or a lease deleted as expired
		// while this gateway was stalled: write over what is there.
		_, current, gerr := g.cfg.Store.Get(ctx, key)
		switch {
		case errors.Is(gerr, ErrNotFound):
			current = 0
		case gerr != nil:
			g.metrics.rateLeaseFailures.Inc()
			return 0, gerr
		}
		v, err = casJSON(ctx, g.cfg.Store, key, current, &rec)
	}
	if err != nil {
		g.metrics.rateLeaseFailures.Inc()
		return 0, err
	}
	l.version = v
	live, err := g.countGateways(ctx, now, key)
	if err != nil {
		g.metrics.rateLeaseFailures.Inc()
		return 0, err
	}
	l.share.set(live, now)
	g.metrics.rateLeaseGateways.Set(float64(live))
	return live, nil
}

// countGateways counts the unexpired leases (own included, whatever the
// clocks say) and deletes a few long-expired ones.
func (g *Gateway) countGateways(ctx context.Context, now time.Time, own string) (int, error) {
	live, deletes, after := 1, 0, ""
	for {
		page, err := g.cfg.Store.Scan(ctx, rateLeasePrefix, after, ScanLimitMax)
		if err != nil {
			return 0, err
		}
		for _, kv := range page {
			if kv.Key == own {
				continue
			}
			var rec gatewayLease
			if decodeRecord(kv, &rec) != nil {
				continue // not a lease this package wrote: it counts for nobody
			}
			switch {
			case rec.Until.After(now):
				live++
			case rec.Until.Add(g.rateLeaseTTL()).Before(now) && deletes < rateLeaseDeletesMax:
				deletes++
				if err := g.cfg.Store.Delete(ctx, kv.Key, kv.Version); err != nil && !errors.Is(err, ErrVersionMismatch) && !errors.Is(err, ErrNotFound) {
					return 0, err
				}
			}
		}
		if len(page) < ScanLimitMax {
			return live, nil
		}
		after = page[len(page)-1].Key
	}
}

// releaseRateLease deletes this gateway's lease, so the others take its
// share at their next renewal instead of after its expiry.
func (g *Gateway) releaseRateLease(ctx context.Context) error {
	l := g.lease
	l.mu.Lock()
	defer l.mu.Unlock()
	key := g.rateLeaseKey()
	err := g.cfg.Store.Delete(ctx, key, l.version)
	if errors.Is(err, ErrVersionMismatch) {
		// A renewal that landed but whose answer was lost (or none known:
		// version 0): the key is this gateway's alone, so whatever is
		// there is its lease.
		var current uint64
		if _, current, err = g.cfg.Store.Get(ctx, key); err == nil {
			err = g.cfg.Store.Delete(ctx, key, current)
		}
	}
	if err == nil || errors.Is(err, ErrNotFound) {
		l.version = 0
		return nil
	}
	return err
}

// runRateLease renews the lease every RateLeaseInterval until ctx ends,
// then releases it.
func (g *Gateway) runRateLease(ctx context.Context) {
	tick := time.NewTicker(g.cfg.RateLeaseInterval)
	defer tick.Stop()
	for {
		if _, err := g.RenewRateLease(ctx); err != nil && ctx.Err() == nil {
			g.cfg.Logger.Warn("rate lease renewal failed; keeping the last split", "err", err, "gateways", g.lease.share.get().gateways)
		}
		select {
		case <-ctx.Done():
			releaseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.RateLeaseInterval)
			defer cancel()
			if err := g.releaseRateLease(releaseCtx); err != nil {
				g.cfg.Logger.Warn("rate lease release failed; the others take its share when it expires", "err", err)
			}
			return
		case <-tick.C:
		}
	}
}
