package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Retention. Two kinds of record exist only to recognise a repeat, and
// without a janitor they would grow for ever:
//
//	idem/<caller>/<key hash>  an idempotent POST's answer: kept Config.IdempotencyRetention (default 24 h) after it was recorded
//	webhook/<event id>        a processed payment webhook: kept Config.WebhookDedupRetention (default 7 days)
//	janitor/lease             janitorLease: which gateway sweeps, until when
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
// retry taking over a stale "running" idempotency record) survives, and two
// sweepers at once delete each record at most once between them.
const (
	IdempotencyRetentionDefault  = 24 * time.Hour
	WebhookDedupRetentionDefault = 7 * 24 * time.Hour
	JanitorIntervalDefault       = 10 * time.Minute
	// webhookRetryWindow is how long Stripe retries a webhook delivery.
	webhookRetryWindow = 72 * time.Hour
	janitorLeaseKey    = "janitor/lease"
)

type janitorLease struct {
	Holder string    `json:"holder"`
	Until  time.Time `json:"until"`
}

// webhookRecord is the value of webhook/<event id>. Records written before
// it existed hold the bare event type; the janitor stamps those with the
// time it first sees them, so they expire one retention later.
type webhookRecord struct {
	Type        string    `json:"type"`
	ProcessedAt time.Time `json:"processed_at"`
}

var errLeaseHeld = errors.New("janitor lease held by another gateway")

// SweepExpired runs one janitor pass: it deletes idempotency records and
// webhook dedup records older than their retention. It reports how many
// it deleted and whether it ran at all (false: another gateway holds the
// lease).
func (g *Gateway) SweepExpired(ctx context.Context) (deleted int, ran bool, err error) {
	now := g.now()
	_, err = update(ctx, g.cfg.Store, janitorLeaseKey, func(l *janitorLease, exists bool) (bool, error) {
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
	idemCutoff := now.Add(-g.cfg.IdempotencyRetention)
	n, err := g.sweepPrefix(ctx, "idem/", func(kv KeyValue) (bool, error) {
		var rec idempotencyRecord
		if err := decodeRecord(kv, &rec); err != nil {
			return false, err
		}
		return rec.StartedAt.Before(idemCutoff), nil
	})
	deleted += n
	if err != nil {
		return deleted, true, err
	}
	webhookCutoff := now.Add(-g.cfg.WebhookDedupRetention)
	n, err = g.sweepPrefix(ctx, "webhook/", func(kv KeyValue) (bool, error) {
		var rec webhookRecord
		if json.Unmarshal(kv.Value, &rec) != nil || rec.ProcessedAt.IsZero() {
			rec = webhookRecord{Type: string(kv.Value), ProcessedAt: now.UTC()}
			if _, err := casJSON(ctx, g.cfg.Store, kv.Key, kv.Version, &rec); err != nil && !errors.Is(err, ErrVersionMismatch) {
				return false, err
			}
			return false, nil
		}
		return rec.ProcessedAt.Before(webhookCutoff), nil
	})
	deleted += n
	return deleted, true, err
}

// sweepPrefix deletes, at the version it was read, every record under
// prefix that expired says is expired. A record that does not decode is
// logged and kept: the janitor deletes only what it understands.
func (g *Gateway) sweepPrefix(ctx context.Context, prefix string, expired func(KeyValue) (bool, error)) (int, error) {
	deleted, after := 0, ""
	for {
		page, err := g.cfg.Store.Scan(ctx, prefix, after, ScanLimitMax)
		if err != nil {
			return deleted, err
		}
		for _, kv := range page {
			old, err := expired(kv)
			if err != nil {
				g.cfg.Logger.Warn("janitor skips a record", "key", kv.Key, "err", err)
				continue
			}
			if !old {
				continue
			}
			switch err := g.cfg.Store.Delete(ctx, kv.Key, kv.Version); {
			case err == nil:
				deleted++
			case errors.Is(err, ErrVersionMismatch), errors.Is(err, ErrNotFound):
				// rewritten or deleted since the scan: judged again next pass
			default:
				return deleted, fmt.Errorf("janitor deleting %q: %w", kv.Key, err)
			}
		}
		if len(page) < ScanLimitMax {
			return deleted, nil
		}
		after = page[len(page)-1].Key
	}
}
