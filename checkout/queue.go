package checkout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"
)

// The virtual waiting room of one event lives entirely in the store:
//
//	queue/<event>/config         queueConfig (organizer); sealed once the early arrivals are ranked
//	queue/<event>/fan/<fan>      queueEntry: the fan's random rank (early) and position
//	queue/<event>/early/<rank>   the fan id, one per early arrival; scanning the prefix visits them in random order
//	queue/<event>/seq            counter: arrivals after the on-sale, in order
//	queue/<event>/admitted       admissionState: how many positions are admitted, as of when
//
// Fans who join before on_sale_at draw a random rank. The first gateway
// that sees the clock pass on_sale_at + sealGrace ranks them: it scans the
// early prefix and gives the i-th fan position i+1 (deterministically, so
// two gateways sealing at once write the same positions), then marks the
// config sealed with the early count. Later arrivals take early count +
// the next value of the seq counter: FIFO. Admission advances at
// admit_per_second: any gateway answering a poll moves the admitted counter
// forward by CAS, from the stored as-of time, so the rate holds however
// many gateways poll. An admitted fan gets an admission token that a hold
// on a queued event requires.
//
// Clock assumption: gateways' clocks agree within sealGrace; a join that
// stalls for longer than that across the on-sale may be ranked late.
const (
	sealGrace       = time.Second
	earlyArrivalMax = 5_000_000
)

type queueConfig struct {
	OnSaleAt       time.Time `json:"on_sale_at"`
	AdmitPerSecond float64   `json:"admit_per_second"`
	Sealed         bool      `json:"sealed"`
	EarlyCount     int64     `json:"early_count"`
}

type queueEntry struct {
	Fan        string    `json:"fan"`
	Rank       string    `json:"rank,omitempty"` // early arrivals only
	Position   int64     `json:"position"`       // 0 until assigned
	JoinedAt   time.Time `json:"joined_at"`
	AdmittedAt time.Time `json:"admitted_at,omitzero"`
}

type admissionState struct {
	Count int64     `json:"count"`
	AsOf  time.Time `json:"as_of"`
}

type queueConfigRequest struct {
	OnSaleAt       time.Time `json:"on_sale_at"`
	AdmitPerSecond float64   `json:"admit_per_second"`
}

type queueStatus struct {
	EventID            string     `json:"event_id"`
	State              string     `json:"state"` // before_sale, waiting, admitted, expired
	Position           int64      `json:"position,omitempty"`
	AdmittedCount      int64      `json:"admitted_count"`
	EstimatedWaitSecs  int64      `json:"estimated_wait_seconds,omitempty"`
	AdmissionToken     string     `json:"admission_token,omitempty"`
	AdmissionExpiresAt *time.Time `json:"admission_expires_at,omitempty"`
}

func queueKey(event, rest string) string { return "queue/" + event + "/" + rest }

func (g *Gateway) queueConfig(ctx context.Context, event string) (queueConfig, uint64, error) {
	var qc queueConfig
	v, err := getJSON(ctx, g.cfg.Store, queueKey(event, "config"), &qc)
	return qc, v, err
}

// configureQueue puts an event in queue mode (organizer).
func (g *Gateway) configureQueue(c *call) (int, any, error) {
	event := c.r.PathValue("event")
	var req queueConfigRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if req.AdmitPerSecond <= 0 || req.AdmitPerSecond > 100_000 {
		return 0, nil, problem(ErrInvalid, fmt.Sprintf("admit_per_second %v: want (0, 100000]", req.AdmitPerSecond))
	}
	if req.OnSaleAt.IsZero() {
		return 0, nil, problem(ErrInvalid, "on_sale_at is required (RFC 3339)")
	}
	if _, err := g.cfg.Inventory.GetEvent(c.ctx, eventRequest(event)); err != nil {
		return 0, nil, err
	}
	qc, err := update(c.ctx, g.cfg.Store, queueKey(event, "config"), func(qc *queueConfig, exists bool) (bool, error) {
		if qc.Sealed && !qc.OnSaleAt.Equal(req.OnSaleAt) {
			return false, problem(ErrConflict, "the on-sale has started: only admit_per_second may change")
		}
		qc.OnSaleAt, qc.AdmitPerSecond = req.OnSaleAt.UTC(), req.AdmitPerSecond
		return true, nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, qc, nil
}

// joinQueue enters the caller in the waiting room (idempotent per fan).
func (g *Gateway) joinQueue(c *call) (int, any, error) {
	event := c.r.PathValue("event")
	qc, _, err := g.queueConfig(c.ctx, event)
	if errors.Is(err, ErrNotFound) {
		return 0, nil, problem(ErrMissing, "event "+event+" has no waiting room: hold directly")
	} else if err != nil {
		return 0, nil, err
	}
	g.prepareEvent(event)
	now := g.now()
	fanKey := queueKey(event, "fan/"+c.subject)
	var entry queueEntry
	_, err = getJSON(c.ctx, g.cfg.Store, fanKey, &entry)
	if errors.Is(err, ErrNotFound) {
		entry = queueEntry{Fan: c.subject, JoinedAt: now}
		if now.Before(qc.OnSaleAt) {
			entry.Rank = randomHex(8)
		}
		if _, err := casJSON(c.ctx, g.cfg.Store, fanKey, 0, &entry); err != nil && !errors.Is(err, ErrVersionMismatch) {
			return 0, nil, err
		}
		if _, err := getJSON(c.ctx, g.cfg.Store, fanKey, &entry); err != nil {
			return 0, nil, err
		}
	} else if err != nil {
		return 0, nil, err
	}
	if entry.Rank != "" && !qc.Sealed {
		// Written after the fan record, so a retry of a join that died
		// in between writes it then.
		if _, err := g.cfg.Store.CompareAndSwap(c.ctx, queueKey(event, "early/"+entry.Rank), 0, []byte(c.subject)); err != nil && !errors.Is(err, ErrVersionMismatch) {
			return 0, nil, err
		}
	}
	st, err := g.queuePosition(c.ctx, event, c.subject)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, st, nil
}

// queueStreamMax ends a queue stream after this long; the client's
// EventSource reconnects (after the retry the stream announces) and gets a
// fresh one, so no connection pins a gateway for ever.
const queueStreamMax = 30 * time.Minute

// queueStream is GET .../waiting-room/me/stream: the caller's queueStatus
// as Server-Sent Events. It re-reads the status every QueueStreamInterval
// (which also seals the queue and advances admission, exactly as a poll
// of /me would) and sends a "data:" line of queueStatus JSON whenever the
// state, the position or the admitted count changes. The event that
// carries the admission token (state "admitted") or says the window has
// passed ("expired") is the last; the server then closes the stream. A
// fan who has not joined gets a 404 problem instead of a stream.
func (g *Gateway) queueStream(c *call) (int, any, error) {
	event := c.r.PathValue("event")
	release, err := g.streams.acquire(c.subject) // Config.StreamsPerFan
	if err != nil {
		return 0, nil, err
	}
	defer release()
	st, err := g.queuePosition(c.ctx, event, c.subject)
	if err != nil {
		return 0, nil, err
	}
	flusher, ok := c.w.(http.Flusher)
	if !ok {
		return 0, nil, errors.New("streaming unsupported by this connection")
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store") // the last event carries the admission token
	h.Set("X-Accel-Buffering", "no")
	c.w.WriteHeader(http.StatusOK)
	fmt.Fprint(c.w, ": waiting room of "+event+"\nretry: 2000\n\n")
	flusher.Flush()

	poll := time.NewTicker(g.cfg.QueueStreamInterval)
	defer poll.Stop()
	heartbeat := time.NewTicker(sseHeartbeat)
	defer heartbeat.Stop()
	end := time.NewTimer(queueStreamMax)
	defer end.Stop()
	var sent queueStatus // State "" until the first event
	for {
		if sent.State == "" || sent.State != st.State || sent.Position != st.Position || sent.AdmittedCount != st.AdmittedCount {
			data, _ := json.Marshal(st)
			if _, err := fmt.Fprintf(c.w, "data: %s\n\n", data); err != nil {
				return 0, nil, nil // the client went away
			}
			flusher.Flush()
			sent = st
		}
		if st.State == "admitted" || st.State == "expired" {
			return 0, nil, nil
		}
		select {
		case <-c.ctx.Done():
			return 0, nil, nil
		case <-end.C:
			return 0, nil, nil
		case <-heartbeat.C:
			fmt.Fprint(c.w, ": heartbeat\n\n")
			flusher.Flush()
		case <-poll.C:
			next, err := g.queuePosition(c.ctx, event, c.subject)
			if err != nil {
				if c.ctx.Err() == nil {
					g.cfg.Logger.Warn("queue stream: reading the position failed", "event", event, "err", err)
				}
				// Transient: the next tick tries again; the client sees
				// only the heartbeat meanwhile.
				continue
			}
			st = next
		}
	}
}

func (g *Gateway) queueStatus(c *call) (int, any, error) {
	st, err := g.queuePosition(c.ctx, c.r.PathValue("event"), c.subject)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, st, nil
}

// queuePosition seals and advances the queue as needed and reports fan's
// place, with an admission token once admitted.
func (g *Gateway) queuePosition(ctx context.Context, event, fan string) (queueStatus, error) {
	qc, _, err := g.queueConfig(ctx, event)
	if errors.Is(err, ErrNotFound) {
		return queueStatus{}, problem(ErrMissing, "event "+event+" has no waiting room")
	} else if err != nil {
		return queueStatus{}, err
	}
	now := g.now()
	st := queueStatus{EventID: event, State: "before_sale"}
	fanKey := queueKey(event, "fan/"+fan)
	var entry queueEntry
	if _, err := getJSON(ctx, g.cfg.Store, fanKey, &entry); errors.Is(err, ErrNotFound) {
		return st, problem(ErrMissing, "join the waiting room first")
	} else if err != nil {
		return st, err
	}
	if now.Before(qc.OnSaleAt.Add(sealGrace)) {
		return st, nil
	}
	if !qc.Sealed {
		if qc, err = g.sealQueue(ctx, event); err != nil {
			return st, err
		}
		if _, err := getJSON(ctx, g.cfg.Store, fanKey, &entry); err != nil {
			return st, err
		}
	}
	if entry.Position == 0 {
		// A late arrival (or an early one whose rank entry was written too
		// late to be ranked): next in FIFO order.
		seq, err := g.cfg.Store.Add(ctx, queueKey(event, "seq"), 1, 0, math.MaxInt64)
		if err != nil {
			return st, err
		}
		entry, err = update(ctx, g.cfg.Store, fanKey, func(e *queueEntry, exists bool) (bool, error) {
			if e.Position != 0 {
				return false, nil // another poll won; this seq is a harmless gap
			}
			e.Position = qc.EarlyCount + seq
			return true, nil
		})
		if err != nil {
			return st, err
		}
	}
	admitted, err := g.advanceAdmission(ctx, event, qc)
	if err != nil {
		return st, err
	}
	st.Position, st.AdmittedCount, st.State = entry.Position, admitted, "waiting"
	if entry.Position > admitted {
		st.EstimatedWaitSecs = int64(math.Ceil(float64(entry.Position-admitted) / qc.AdmitPerSecond))
		return st, nil
	}
	if entry.AdmittedAt.IsZero() {
		entry, err = update(ctx, g.cfg.Store, fanKey, func(e *queueEntry, exists bool) (bool, error) {
			if !e.AdmittedAt.IsZero() {
				return false, nil
			}
			e.AdmittedAt = now
			return true, nil
		})
		if err != nil {
			return st, err
		}
		if err := g.notify(ctx, "queue.admitted", fan, event, "queue-admitted/"+event+"/"+fan, map[string]any{"position": entry.Position}); err != nil {
			return st, err
		}
	}
	// The admission window opens once; a fan who lets it pass must queue
	// again under a new identity, as at a box office.
	if now.After(entry.AdmittedAt.Add(g.cfg.AdmissionTokenTTL)) {
		st.State = "expired"
		return st, nil
	}
	tok, _, err := g.issueAdmission(fan, event)
	if err != nil {
		return st, err
	}
	windowEnd := entry.AdmittedAt.Add(g.cfg.AdmissionTokenTTL).UTC()
	st.State, st.AdmissionToken, st.AdmissionExpiresAt = "admitted", tok, &windowEnd
	return st, nil
}

// sealQueue ranks the early arrivals and marks the queue sealed. Safe to
// run on several gateways at once: each writes the same positions.
func (g *Gateway) sealQueue(ctx context.Context, event string) (queueConfig, error) {
	prefix := queueKey(event, "early/")
	var position int64
	after := ""
	for {
		page, err := g.cfg.Store.Scan(ctx, prefix, after, ScanLimitMax)
		if err != nil {
			return queueConfig{}, err
		}
		for _, kv := range page {
			position++
			if position > earlyArrivalMax {
				return queueConfig{}, fmt.Errorf("waiting room of %s: more than %d early arrivals", event, earlyArrivalMax)
			}
			p := position
			if _, err := update(ctx, g.cfg.Store, queueKey(event, "fan/"+string(kv.Value)), func(e *queueEntry, exists bool) (bool, error) {
				if !exists || e.Position != 0 {
					return false, nil
				}
				e.Position = p
				return true, nil
			}); err != nil {
				return queueConfig{}, err
			}
		}
		if len(page) < ScanLimitMax {
			break
		}
		after = page[len(page)-1].Key
	}
	qc, err := update(ctx, g.cfg.Store, queueKey(event, "config"), func(qc *queueConfig, exists bool) (bool, error) {
		if qc.Sealed {
			return false, nil
		}
		qc.Sealed, qc.EarlyCount = true, position
		return true, nil
	})
	if err != nil {
		return qc, err
	}
	_, err = update(ctx, g.cfg.Store, queueKey(event, "admitted"), func(a *admissionState, exists bool) (bool, error) {
		if exists {
			return false, nil
		}
		a.AsOf = qc.OnSaleAt.Add(sealGrace)
		return true, nil
	})
	return qc, err
}

// advanceAdmission moves the admitted counter forward by the rate times
// the time since it last moved, and returns it.
func (g *Gateway) advanceAdmission(ctx context.Context, event string, qc queueConfig) (int64, error) {
	now := g.now()
	a, err := update(ctx, g.cfg.Store, queueKey(event, "admitted"), func(a *admissionState, exists bool) (bool, error) {
		if !exists {
			a.AsOf = qc.OnSaleAt.Add(sealGrace)
		}
		steps := int64(now.Sub(a.AsOf).Seconds() * qc.AdmitPerSecond)
		if steps < 1 {
			return !exists, nil
		}
		a.Count += steps
		a.AsOf = a.AsOf.Add(time.Duration(float64(steps) / qc.AdmitPerSecond * float64(time.Second)))
		return true, nil
	})
	return a.Count, err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
