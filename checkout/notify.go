package checkout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The notification outbox lives in the store:
//
//	outbox/{f:<fan>}/<id>  notification to a fan (outbox/<id>: to nobody in particular), id derived from a dedup key, so enqueueing the same fact twice is one entry
//	deadletter/<id>        given up after notifyAttemptsMax
//
// Enqueueing happens in the same flow that made the fact true, after it
// (a crash in between is repaired when the flow is re-run by a retry or
// the reconciler). Any gateway's deliverer claims an entry with a CAS
// lease, POSTs it to NotifyURL with Idempotency-Key set to its id, and
// deletes it on 2xx, or schedules a retry with exponential backoff.
// Delivery is at least once: a gateway that dies after the POST and before
// the delete lets the lease lapse and another delivers again; the receiver
// dedups by id.
const (
	notifyLease       = 30 * time.Second
	notifyAttemptsMax = 12
	notifyBackoffMax  = 10 * time.Minute
	notifyBatch       = 100
	notifyTimeout     = 5 * time.Second
)

type notification struct {
	ID         string         `json:"id"`
	Kind       string         `json:"kind"`
	Fan        string         `json:"fan"`
	EventID    string         `json:"event_id"`
	Data       map[string]any `json:"data,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	NotBefore  time.Time      `json:"not_before"`
	Attempts   int            `json:"attempts"`
	LeaseUntil time.Time      `json:"lease_until,omitzero"`
	LastError  string         `json:"last_error,omitempty"`
}

func (g *Gateway) notify(ctx context.Context, kind, fan, event, dedup string, data map[string]any) error {
	return g.notifyAt(ctx, kind, fan, event, dedup, g.now(), data)
}

func (g *Gateway) notifyAt(ctx context.Context, kind, fan, event, dedup string, at time.Time, data map[string]any) error {
	n := notification{ID: deriveID("ntf", dedup), Kind: kind, Fan: fan, EventID: event, Data: data, CreatedAt: g.now().UTC(), NotBefore: at.UTC()}
	if _, err := casJSON(ctx, g.cfg.Store, outboxKey(fan, n.ID), 0, &n); err != nil && !errors.Is(err, ErrVersionMismatch) {
		return err
	}
	return nil
}

// outboxKey puts a fan's notifications in the fan's placement, so that the
// Batch making a fact true can enqueue its notice.
func outboxKey(fan, id string) string {
	if fan == "" {
		return "outbox/" + id
	}
	return "outbox/" + fanTag(fan) + "/" + id
}

// notification is the Batch operation enqueueing a notice (as notifyAt):
// written over an entry of the same fact, which a repeat of the flow
// writes the same.
func (g *Gateway) notification(kind, fan, event, dedup string, at time.Time, data map[string]any) (Op, error) {
	n := notification{ID: deriveID("ntf", dedup), Kind: kind, Fan: fan, EventID: event, Data: data, CreatedAt: g.now().UTC(), NotBefore: at.UTC()}
	return putOp(outboxKey(fan, n.ID), AnyVersion, &n)
}

// DeliverNotifications runs one delivery pass and reports how many were
// delivered.
func (g *Gateway) DeliverNotifications(ctx context.Context) (int, error) {
	if g.cfg.NotifyURL == "" {
		return 0, nil
	}
	kvs, err := g.cfg.Store.Scan(ctx, "outbox/", "", notifyBatch)
	if err != nil {
		return 0, err
	}
	delivered := 0
	for _, kv := range kvs {
		var n notification
		if err := decodeRecord(kv, &n); err != nil {
			return delivered, err
		}
		now := g.now()
		if now.Before(n.NotBefore) || now.Before(n.LeaseUntil) {
			continue
		}
		if n.Kind == "hold.expiring" && g.holdAlreadyOrdered(ctx, n) {
			_ = g.cfg.Store.Delete(ctx, kv.Key, kv.Version)
			continue
		}
		n.LeaseUntil = now.Add(notifyLease)
		version, err := casJSON(ctx, g.cfg.Store, kv.Key, kv.Version, &n)
		if err != nil {
			continue // someone else claimed or changed it
		}
		if err := g.post(ctx, n); err == nil {
			if err := g.cfg.Store.Delete(ctx, kv.Key, version); err != nil && !errors.Is(err, ErrNotFound) {
				g.cfg.Logger.Warn("removing a delivered notification failed; it may be sent again", "id", n.ID, "err", err)
			}
			delivered++
			continue
		} else {
			n.LastError = err.Error()
		}
		n.Attempts++
		n.LeaseUntil = time.Time{}
		backoff := min(time.Duration(1<<min(n.Attempts, 20))*time.Second, notifyBackoffMax)
		n.NotBefore = now.Add(backoff)
		if n.Attempts >= notifyAttemptsMax {
			if _, err := casJSON(ctx, g.cfg.Store, "deadletter/"+n.ID, 0, &n); err == nil || errors.Is(err, ErrVersionMismatch) {
				_ = g.cfg.Store.Delete(ctx, kv.Key, version)
			}
			continue
		}
		_, _ = casJSON(ctx, g.cfg.Store, kv.Key, version, &n)
	}
	return delivered, nil
}

func (g *Gateway) holdAlreadyOrdered(ctx context.Context, n notification) bool {
	holdID, _ := n.Data["hold_id"].(string)
	if holdID == "" {
		return false
	}
	_, _, err := g.existingOrderForHold(ctx, n.EventID, holdID, n.Fan)
	if err == nil {
		return true
	}
	_, _, err = g.cfg.Store.Get(ctx, fanHoldKey(n.Fan, holdID))
	return errors.Is(err, ErrNotFound) // released
}

func (g *Gateway) post(ctx context.Context, n notification) error {
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	body, _ := json.Marshal(n)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.cfg.NotifyURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", n.ID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

type eventNoticeRequest struct {
	Kind    string `json:"kind"` // event.reminder or event.changed
	Message string `json:"message"`
}

// eventNotice fans an organizer's reminder or change notice out to every
// ticket holder of the event (one outbox entry per ticket holder).
func (g *Gateway) eventNotice(c *call) (int, any, error) {
	event := c.r.PathValue("event")
	var req eventNoticeRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if req.Kind != "event.reminder" && req.Kind != "event.changed" {
		return 0, nil, problem(ErrInvalid, "kind: want event.reminder or event.changed")
	}
	if len(req.Message) == 0 || len(req.Message) > 2000 {
		return 0, nil, problem(ErrInvalid, "message: 1..2000 bytes")
	}
	notice := c.requestID("notice")
	fans := map[string]bool{}
	after := ""
	for {
		kvs, err := g.cfg.Store.Scan(c.ctx, eventTicketsPrefix(event), after, ScanLimitMax)
		if err != nil {
			return 0, nil, err
		}
		for _, kv := range kvs {
			var t ticketRecord
			body, err := g.openSealed(kv.Key, kv.Value)
			if err != nil || json.Unmarshal(body, &t) != nil || t.State != "valid" || fans[t.Owner] {
				continue
			}
			fans[t.Owner] = true
			if err := g.notify(c.ctx, req.Kind, t.Owner, event, notice+"/"+t.Owner, map[string]any{"message": req.Message}); err != nil {
				return 0, nil, err
			}
		}
		if len(kvs) < ScanLimitMax {
			break
		}
		after = kvs[len(kvs)-1].Key
	}
	return http.StatusAccepted, map[string]any{"event_id": event, "kind": req.Kind, "recipients": len(fans)}, nil
}
