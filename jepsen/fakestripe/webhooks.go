package fakestripe

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

// hasRoom reports whether that many more events fit in the delivery queue
// (each may be copied copiesMax times); s.mu must be held. A full queue is
// counted and logged: the request is refused before anything changes.
func (s *Server) hasRoom(events int) bool {
	if s.queued+events*copiesMax <= s.queuedMax {
		return true
	}
	s.stats["webhook_queue_full"]++
	s.logf("fakestripe: webhook queue full (%d deliveries unacknowledged, bound %d): refusing a request that would emit an event",
		s.queued, s.queuedMax)
	return false
}

// enqueue starts the delivery of an event, in one copy or, by
// DuplicateWebhookRate, several; s.mu must be held.
func (s *Server) enqueue(eventID string, body []byte) {
	copies := 1
	for copies < copiesMax && s.chance(s.faults.DuplicateWebhookRate) {
		copies++
	}
	s.stats["webhook_duplicates_injected"] += copies - 1
	s.undelivered[eventID] += copies
	s.queued += copies
	for range copies {
		s.wg.Add(1)
		go s.deliver(eventID, body)
	}
}

// deliver sends one copy of an event until a gateway answers 2xx or the
// server closes. Every attempt first waits a random 0..WebhookDelayMax,
// and a retry also waits its backoff.
func (s *Server) deliver(eventID string, body []byte) {
	defer s.wg.Done()
	backoff := time.Duration(0)
	for {
		s.mu.Lock()
		wait := backoff
		if d := s.faults.WebhookDelayMax; d > 0 {
			wait += time.Duration(s.rng.Int64N(int64(d) + 1))
			s.stats["webhook_delays_injected"]++
		}
		s.mu.Unlock()
		if !s.sleep(wait) {
			return
		}
		if s.attempt(eventID, body) {
			s.acknowledged(eventID)
			return
		}
		backoff = min(max(2*backoff, retryBackoffMin), retryBackoffMax)
	}
}

// sleep waits d, or answers false when the server closes first.
func (s *Server) sleep(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-s.done:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}

// attempt posts the event, signed now as Stripe signs each attempt, to a
// random endpoint; it reports whether the endpoint answered 2xx.
func (s *Server) attempt(eventID string, body []byte) bool {
	s.mu.Lock()
	url := ""
	if len(s.webhookURLs) > 0 {
		url = s.webhookURLs[s.rng.IntN(len(s.webhookURLs))]
	}
	drop := url != "" && s.chance(s.faults.WebhookFailRate)
	if drop {
		s.stats["webhook_attempts_dropped"]++
	}
	s.mu.Unlock()
	if url == "" || drop {
		return false
	}
	select {
	case s.inFlight <- struct{}{}:
		defer func() { <-s.inFlight }()
	case <-s.done:
		return false
	}
	ctx, cancel := context.WithTimeout(s.closing, deliveryTimeout)
	defer cancel()
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: s.opts.WebhookSecret, Timestamp: time.Now()})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		s.logf("fakestripe: webhook URL %q: %v", url, err)
		return false
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Stripe-Signature", signed.Header)
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	resp, err := s.client.Do(req)
	ok := false
	var reply []byte
	if err == nil {
		reply, _ = io.ReadAll(io.LimitReader(resp.Body, 512))
		_ = resp.Body.Close()
		ok = resp.StatusCode/100 == 2
	}
	s.mu.Lock()
	s.stats["webhook_attempts"]++
	if !ok {
		s.stats["webhook_attempts_failed"]++
	}
	s.mu.Unlock()
	// 5xx and timeouts are what faults cause; a 4xx means the gateway
	// refuses the event itself (a signature or format bug), so say so.
	if err == nil && resp.StatusCode/100 == 4 {
		s.logf("fakestripe: webhook %s refused by %s: %s %s", eventID, url, resp.Status, bytes.TrimSpace(reply))
	}
	return ok
}

// acknowledged counts one copy of an event as delivered.
func (s *Server) acknowledged(eventID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued--
	if s.undelivered[eventID]--; s.undelivered[eventID] <= 0 {
		delete(s.undelivered, eventID)
	}
	close(s.delivered)
	s.delivered = make(chan struct{})
}

// Undelivered reports webhook events not yet acknowledged 2xx by a
// gateway (an event sent in several copies counts until every copy is).
func (s *Server) Undelivered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.undelivered)
}

// WaitDelivered blocks until every event is acknowledged, ctx ends or the
// server closes.
func (s *Server) WaitDelivered(ctx context.Context) error {
	for {
		s.mu.Lock()
		n, changed := len(s.undelivered), s.delivered
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("fakestripe: %d webhook events undelivered: %w", n, ctx.Err())
		case <-s.done:
			return fmt.Errorf("fakestripe: %d webhook events undelivered: %w", n, ErrClosed)
		case <-changed:
		}
	}
}
