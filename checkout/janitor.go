package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Retention. The janitor deletes every kind of record that outlives its
// use; checkout/README.md has the table of every key prefix the gateway
// writes and its lifetime. The swept ones:
//
//	idem/<caller>/<key hash>    an idempotent POST's claim or answer (caller {f:<fan>} or ip:<address>): Config.IdempotencyRetention (default 24 h) after it was recorded
//	webhook/<event id>          a processed payment webhook: Config.WebhookDedupRetention (default 7 days)
//	outbox/<id>                 a notification not delivered: Config.OutboxRetention (default 7 days) after it was due
//	deadletter/<id>             a notification given up on: Config.DeadLetterRetention (default 30 days)
//	fanhold/{f:<fan>}/<base>    a fan's hold not ordered: once it expired (with reservationSlack), deleted with its counts given back;
//	                            an ordered one (settling its order removes it): PaymentWindow + fanHoldGrace after the payment window
//	buyer/{f:<fan>}/<event>     a fan's seat count for an event: once it is 0
//	quota/keys/{f:<fan>}/<hour> an Idempotency-Key quota window (quota.go): once the hour has passed
//	janitor/lease               janitorLease: which gateway sweeps, until when, and where each prefix's walk stands
//
// A repeat that arrives after its record is gone runs again. For an
// Idempotency-Key that is harmless (handlers derive every id from the key)
// but a client retrying a day later is not retrying; for a webhook it is
// harmless too (settle is idempotent), and Stripe stops retrying after 3
// days, so 7 days leaves a wide margin; Validate refuses less than 3.
//
// Gateway.Run calls SweepExpired every JanitorInterval. One gateway sweeps
// at a time: it takes janitor/lease by CAS for two intervals and renews it
// each pass, so a dead sweeper is replaced within two intervals. The lease
// only saves work; correctness does not rest on it. Every delete names the
// version the janitor judged expired, so a record rewritten meanwhile (a
// retry taking over a stale "running" idempotency record, a fan's new
// reservation) survives, and two sweepers at once delete each record at
// most once between them. A pass reads at most janitorScanPerPrefix
// records of each prefix and leaves its place in the lease, so the next
// pass, on whichever gateway, goes on from there: a pass's work is bounded
// however large the store grows.
const (
	IdempotencyRetentionDefault  = 24 * time.Hour
	WebhookDedupRetentionDefault = 7 * 24 * time.Hour
	JanitorIntervalDefault       = 10 * time.Minute
	// webhookRetryWindow is how long Stripe retries a webhook delivery.
	webhookRetryWindow = 72 * time.Hour
	janitorLeaseKey    = "janitor/lease"
	// janitorScanPerPrefix bounds the records one pass reads per prefix.
	janitorScanPerPrefix = 10 * ScanLimitMax
	// fanHoldGrace keeps a fan's hold record past its hold and payment
	// window, for the reconciler to finish an order of it first.
	fanHoldGrace = time.Hour
	// quotaWindowSkew keeps a past quota window until gateways whose
	// clocks lag may no longer count into it.
	quotaWindowSkew = 5 * time.Minute
)

type janitorLease struct {
	Holder string    `json:"holder"`
	Until  time.Time `json:"until"`
	// Resume maps a prefix to the last key the previous pass read, for a
	// prefix whose walk the pass's budget cut short.
	Resume map[string]string `json:"resume,omitempty"`
}

// webhookRecord is the value of webhook/<event id>. Records written before
// it existed hold the bare event type; the janitor stamps those with the
// time it first sees them, so they expire one retention later.
type webhookRecord struct {
	Type        string    `json:"type"`
	ProcessedAt time.Time `json:"processed_at"`
}

var errLeaseHeld = errors.New("janitor lease held by another gateway")

// sweepRule says when a record under prefix has expired, and how it is
// removed: drop (nil: a Delete at the version read).
type sweepRule struct {
	prefix  string
	expired func(ctx context.Context, now time.Time, kv KeyValue) (bool, error)
	drop    func(ctx context.Context, kv KeyValue) error
}

func (g *Gateway) sweepRules() []sweepRule {
	return []sweepRule{
		{"idem/", func(_ context.Context, now time.Time, kv KeyValue) (bool, error) {
			var rec idempotencyRecord
			if err := decodeRecord(kv, &rec); err != nil {
				return false, err
			}
			return rec.StartedAt.Before(now.Add(-g.cfg.IdempotencyRetention)), nil
		}, nil},
		{"webhook/", func(ctx context.Context, now time.Time, kv KeyValue) (bool, error) {
			var rec webhookRecord
			if json.Unmarshal(kv.Value, &rec) != nil || rec.ProcessedAt.IsZero() {
				rec = webhookRecord{Type: string(kv.Value), ProcessedAt: now.UTC()}
				if _, err := casJSON(ctx, g.cfg.Store, kv.Key, kv.Version, &rec); err != nil && !errors.Is(err, ErrVersionMismatch) {
					return false, err
				}
				return false, nil
			}
			return rec.ProcessedAt.Before(now.Add(-g.cfg.WebhookDedupRetention)), nil
		}, nil},
		{"outbox/", func(_ context.Context, now time.Time, kv KeyValue) (bool, error) {
			var n notification
			if err := decodeRecord(kv, &n); err != nil {
				return false, err
			}
			due := n.CreatedAt
			if n.NotBefore.After(due) {
				due = n.NotBefore
			}
			return now.After(n.LeaseUntil) && due.Before(now.Add(-g.cfg.OutboxRetention)), nil
		}, nil},
		{"deadletter/", func(_ context.Context, now time.Time, kv KeyValue) (bool, error) {
			var n notification
			if err := decodeRecord(kv, &n); err != nil {
				return false, err
			}
			died := n.CreatedAt
			if n.NotBefore.After(died) {
				died = n.NotBefore
			}
			return died.Before(now.Add(-g.cfg.DeadLetterRetention)), nil
		}, nil},
		{"fanhold/", func(_ context.Context, now time.Time, kv KeyValue) (bool, error) {
			var rec holdRecord
			if err := decodeRecord(kv, &rec); err != nil {
				return false, err
			}
			if rec.State == holdOrdered {
				// Settling the order removes it; this is a leftover.
				return rec.ExpiresAt.Add(g.cfg.PaymentWindow + fanHoldGrace).Before(now), nil
			}
			return rec.ExpiresAt.Add(reservationSlack).Before(now), nil
		}, func(ctx context.Context, kv KeyValue) error {
			// The record goes with its counts (holds.go dropHold).
			var rec holdRecord
			if err := decodeRecord(kv, &rec); err != nil {
				return err
			}
			fan, ok := fanOfKey(kv.Key)
			if !ok {
				return fmt.Errorf("hold record %q names no fan", kv.Key)
			}
			ops := append([]Op{{Kind: OpDelete, Key: kv.Key, Expected: kv.Version}}, giveBackOps(fan, rec)...)
			_, err := g.cfg.Store.Batch(ctx, "", ops)
			return err
		}},
		{"buyer/", func(_ context.Context, now time.Time, kv KeyValue) (bool, error) {
			return string(kv.Value) == "0", nil
		}, nil},
		{keyQuotaPrefix, func(_ context.Context, now time.Time, kv KeyValue) (bool, error) {
			_, hour, ok := strings.Cut(strings.TrimPrefix(kv.Key, keyQuotaPrefix), "/")
			start, err := strconv.ParseInt(hour, 10, 64)
			if !ok || err != nil {
				return false, fmt.Errorf("quota key %q does not end in a window", kv.Key)
			}
			return time.Unix(start, 0).Add(keyQuotaWindow + quotaWindowSkew).Before(now), nil
		}, nil},
	}
}

// SweepExpired runs one janitor pass: it deletes, under every prefix with
// a lifetime, the records past it. It reports how many it deleted and
// whether it ran at all (false: another gateway holds the lease).
func (g *Gateway) SweepExpired(ctx context.Context) (deleted int, ran bool, err error) {
	now := g.now()
	lease, err := update(ctx, g.cfg.Store, janitorLeaseKey, func(l *janitorLease, exists bool) (bool, error) {
		if exists && l.Holder != g.id && now.Before(l.Until) {
			return false, errLeaseHeld
		}
		l.Holder, l.Until = g.id, now.Add(2*g.cfg.JanitorInterval)
		return true, nil
	})
	if errors.Is(err, errLeaseHeld) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, err
	}
	resume := map[string]string{}
	for _, rule := range g.sweepRules() {
		drop := func(kv KeyValue) error { return g.cfg.Store.Delete(ctx, kv.Key, kv.Version) }
		if rule.drop != nil {
			drop = func(kv KeyValue) error { return rule.drop(ctx, kv) }
		}
		n, next, err := g.sweepPrefix(ctx, rule.prefix, lease.Resume[rule.prefix], func(kv KeyValue) (bool, error) {
			return rule.expired(ctx, now, kv)
		}, drop)
		deleted += n
		if err != nil {
			return deleted, true, err
		}
		if next != "" {
			resume[rule.prefix] = next
		}
	}
	_, err = update(ctx, g.cfg.Store, janitorLeaseKey, func(l *janitorLease, exists bool) (bool, error) {
		if l.Holder != g.id {
			return false, nil // taken over meanwhile: its holder walks on from its own places
		}
		l.Resume = resume
		return true, nil
	})
	return deleted, true, err
}

// sweepPrefix deletes, at the version it was read, every record under
// prefix, after the key after, that expired says is expired, reading at
// most janitorScanPerPrefix records. It returns the key to go on from, or
// "" when it reached the end of the prefix. A record that does not decode
// is logged and kept: the janitor deletes only what it understands.
func (g *Gateway) sweepPrefix(ctx context.Context, prefix, after string, expired func(KeyValue) (bool, error), drop func(KeyValue) error) (deleted int, next string, err error) {
	defer func() { g.metrics.janitorDeleted.WithLabelValues(prefix).Add(float64(deleted)) }()
	whole := after == ""
	for scanned := 0; scanned < janitorScanPerPrefix; {
		page, err := g.cfg.Store.Scan(ctx, prefix, after, ScanLimitMax)
		if err != nil {
			return deleted, after, err
		}
		scanned += len(page)
		for _, kv := range page {
			old, err := expired(kv)
			if err != nil {
				g.cfg.Logger.Warn("janitor skips a record", "key", kv.Key, "err", err)
				continue
			}
			if !old {
				continue
			}
			switch err := drop(kv); {
			case err == nil:
				deleted++
			case errors.Is(err, ErrVersionMismatch), errors.Is(err, ErrNotFound):
				// rewritten or deleted since the scan: judged again next pass
			default:
				return deleted, after, fmt.Errorf("janitor deleting %q: %w", kv.Key, err)
			}
		}
		if len(page) < ScanLimitMax {
			if whole {
				g.metrics.janitorKept.WithLabelValues(prefix).Set(float64(scanned - deleted))
			}
			return deleted, "", nil
		}
		after = page[len(page)-1].Key
	}
	return deleted, after, nil
}

// fanOfKey reads the fan out of a key in a fan's placement.
func fanOfKey(key string) (string, bool) {
	p := Placement(key)
	fan, ok := strings.CutPrefix(p, "f:")
	return fan, ok && p != key
}
