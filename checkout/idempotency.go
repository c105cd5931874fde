package checkout

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
)

// Every POST (except Stripe's webhook) needs an Idempotency-Key header.
// The first request with a key records "running" (a create-only CAS) under
// idem/<caller>/<hash of key>, runs, and records its answer; a repeat with
// the same key and the same method, path and body gets that answer again
// (header Idempotent-Replayed: true); the same key with a different request
// gets 422. A repeat that arrives while the first still runs gets 409 with
// Retry-After, unless the first has run longer than idempotencyLease — its
// gateway presumably died — in which case the repeat takes the record over
// and runs again. Running again is safe because handlers derive every
// cluster request id, order id and Stripe idempotency key from the key.
// Answers of 5xx are not recorded, so a retry runs again. Records are
// deleted Config.IdempotencyRetention (default 24 h) after they were
// written (janitor.go); a key reused after that runs the request again.
//
// A successful answer that carries a credential (a bearer or admission
// token, a payment client secret; credentialRoutes) is not recorded
// either: the record says "done" with Withheld set, and a repeat runs the
// handler again — the same argument as the lease takeover above — and
// gets a freshly minted token or the secret fetched again from the
// payment provider. Records live in the cluster's Raft log and snapshots,
// which must never hold a credential that works; replaying by running
// again keeps those routes idempotent (one effect per key) where dropping
// idempotency from them would not (a retried join or order would be a
// new request). The cost is that a repeat shows the current state (an
// order since paid answers "paid"), not the first answer.
const (
	idempotencyLease    = 30 * time.Second
	idempotencyKeyBytes = 255
)

// credentialRoutes are the routes whose successful answers carry a
// credential and are therefore never recorded (see above). A route added
// here must be safe to run again for the same key.
// Keyed by method and pattern, as in the route table.
var credentialRoutes = map[[2]string]bool{
	{"POST", "/v1/dev/login"}:                        true, // the bearer token
	{"POST", "/v1/events/{event}/waiting-room/join"}: true, // the admission token of a fan admitted at once
	{"POST", "/v1/orders"}:                           true, // the payment client secret
	{"POST", "/v1/orders/{order}/fake-pay"}:          true, // the client secret of an order still pending
}

type idempotencyRecord struct {
	RequestHash string          `json:"request_hash"`
	State       string          `json:"state"` // running, done
	StartedAt   time.Time       `json:"started_at"`
	Status      int             `json:"status,omitempty"`
	Problem     bool            `json:"problem,omitempty"`
	Body        json.RawMessage `json:"body,omitempty"`
	// Withheld: the answer carried a credential and Body is empty; a
	// repeat runs the handler again.
	Withheld bool `json:"withheld,omitempty"`
}

func (g *Gateway) serveIdempotent(c *call, rt *route) {
	key := c.r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > idempotencyKeyBytes {
		g.fail(c, problem(ErrIdempotencyMissing, "send an Idempotency-Key header of 1..255 bytes with every POST"))
		return
	}
	c.idemKey = key
	scope := c.subject
	if scope == "" {
		scope = "ip:" + g.clientIP(c.r)
	}
	keyHash := sha256.Sum256([]byte(key))
	storeKey := "idem/" + scope + "/" + hex.EncodeToString(keyHash[:16])
	reqHash := sha256.Sum256([]byte(c.r.Method + " " + c.r.URL.Path + "\x00" + string(c.body)))
	hash := hex.EncodeToString(reqHash[:])

	var version uint64
	for attempt := 0; ; attempt++ {
		if attempt == casRetriesMax {
			g.fail(c, ErrBusy)
			return
		}
		if attempt == 0 {
			// Nearly every key is new: claim it outright, which saves a
			// read (a round trip to the cluster) on every POST, and read
			// the record only when the key is taken.
			// A fan's new key is charged to its quota (quota.go) at the
			// same time; a repeat of a key gives the charge back.
			var refund func()
			quotaErr := make(chan error, 1)
			if c.role == RoleFan {
				go func() {
					var err error
					refund, err = g.countIdempotencyKey(c.ctx, c.subject)
					quotaErr <- err
				}()
			} else {
				quotaErr <- nil
			}
			running := idempotencyRecord{RequestHash: hash, State: "running", StartedAt: g.now()}
			nv, err := casJSON(c.ctx, g.cfg.Store, storeKey, 0, &running)
			overQuota := <-quotaErr
			if err == nil && overQuota != nil {
				_ = g.cfg.Store.Delete(c.ctx, storeKey, nv)
				g.fail(c, overQuota)
				return
			}
			if err != nil && refund != nil {
				refund()
			}
			if err == nil {
				version = nv
				break
			}
			if !errors.Is(err, ErrVersionMismatch) {
				g.fail(c, err)
				return
			}
		}
		var rec idempotencyRecord
		v, err := getJSON(c.ctx, g.cfg.Store, storeKey, &rec)
		if err != nil && !errors.Is(err, ErrNotFound) {
			g.fail(c, err)
			return
		}
		if err == nil {
			if rec.RequestHash != hash {
				g.fail(c, problem(ErrIdempotencyReuse, "this Idempotency-Key was used for a different request"))
				return
			}
			if rec.State == "done" && rec.Withheld {
				c.w.Header().Set("Idempotent-Replayed", "true")
				status, body, err := rt.handle(c)
				if err != nil {
					g.fail(c, err)
					return
				}
				writeJSON(c.w, status, body)
				return
			}
			if rec.State == "done" {
				c.w.Header().Set("Idempotent-Replayed", "true")
				if rec.Problem {
					c.w.Header().Set("Content-Type", "application/problem+json")
				} else {
					c.w.Header().Set("Content-Type", "application/json")
				}
				c.w.WriteHeader(rec.Status)
				_, _ = c.w.Write(append(rec.Body, '\n'))
				return
			}
			if g.now().Sub(rec.StartedAt) < idempotencyLease {
				g.fail(c, &detailedError{err: ErrInProgress, detail: "retry shortly", retryAfter: time.Second})
				return
			}
		}
		running := idempotencyRecord{RequestHash: hash, State: "running", StartedAt: g.now()}
		nv, err := casJSON(c.ctx, g.cfg.Store, storeKey, v, &running)
		if errors.Is(err, ErrVersionMismatch) {
			continue
		}
		if err != nil {
			g.fail(c, err)
			return
		}
		version = nv
		break
	}

	status, body, err := rt.handle(c)
	done := idempotencyRecord{RequestHash: hash, State: "done", StartedAt: g.now(), Status: status}
	if err != nil {
		p, retryAfter := classify(err)
		if p.Status >= 500 {
			_ = g.cfg.Store.Delete(c.ctx, storeKey, version)
			g.fail(c, err)
			return
		}
		p.Instance = c.r.URL.Path
		done.Status, done.Problem = p.Status, true
		done.Body, _ = json.Marshal(p)
		_, _ = casJSON(c.ctx, g.cfg.Store, storeKey, version, &done)
		writeProblem(c.w, c.r, p, retryAfter)
		return
	}
	answer, err := json.Marshal(body)
	if err != nil {
		g.fail(c, err)
		return
	}
	if credentialRoutes[[2]string{rt.method, rt.pattern}] {
		done.Withheld = true
	} else {
		done.Body = answer
	}
	if _, err := casJSON(c.ctx, g.cfg.Store, storeKey, version, &done); err != nil {
		// The effect happened; only the replay record is missing. A retry
		// re-runs the handler, which derives the same ids and so answers
		// the same way.
		g.cfg.Logger.Warn("recording an idempotent answer failed", "key", storeKey, "err", err)
	}
	writeJSON(c.w, status, json.RawMessage(answer))
}
