package checkout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
)

// Every POST except Stripe's webhook and the waiting room's join (which is
// idempotent per event and fan by itself: queue.go) needs an
// Idempotency-Key header.
// The first request with a key records "running" (a create-only put, in
// one Batch with the key's quota charge) under idem/<caller>/<hash of key>
// (caller {f:<fan>}, the fan's placement, or ip:<address>), runs, and
// records its answer (rerunRoutes record only a refusal, and claim the key
// in their own first Batch: see below); a repeat with
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
// A successful answer that carries a credential (a bearer token, a
// payment client secret; credentialRoutes) is not recorded
// either: the record says "done" with Withheld set, and a repeat runs the
// handler again — the same argument as the lease takeover above — and
// gets a freshly minted token or the secret fetched again from the
// payment provider. Records live in the cluster's Raft log and snapshots,
// which must never hold a credential that works; replaying by running
// again keeps those routes idempotent (one effect per key) where dropping
// idempotency from them would not (a retried order would be a new
// request). The cost is that a repeat shows the current state (an
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
	{"POST", "/v1/dev/login"}:               true, // the bearer token
	{"POST", "/v1/orders"}:                  true, // the payment client secret
	{"POST", "/v1/orders/{order}/fake-pay"}: true, // the client secret of an order still pending
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

// rerunRoutes are the routes whose success is not recorded at all, only
// claimed: every effect they have is named by ids derived from the key
// (cluster request ids, hold and order ids, Stripe idempotency keys), so a
// repeat runs the handler again and meets the same effects, and recording
// the answer would cost one more write on every such POST. A refusal
// (4xx) is still recorded and replayed. credentialRoutes are rerun routes
// for the reason above; a route added here must be safe to run again, and
// at the same time as its first run, for the same key.
var rerunRoutes = map[[2]string]bool{
	{"POST", "/v1/events/{event}/holds"}: true,
}

func rerunRoute(rt *route) bool {
	k := [2]string{rt.method, rt.pattern}
	return rerunRoutes[k] || credentialRoutes[k]
}

// fanTag is the placement tag of every record of one fan (store.go's
// Placement): the fan's idempotency claims, key quota, buyer counters,
// holds and notifications live together, so one Batch writes any of them.
// Subjects never hold '{' or '}' (authenticate refuses them), so the tag
// ends where the subject does.
func fanTag(fan string) string { return "{f:" + fan + "}" }

// idempotencyKeyOf is the store key of caller scope's claim of key: in
// the fan's placement for an authenticated caller.
func idempotencyKeyOf(subject, ip, key string) string {
	keyHash := sha256.Sum256([]byte(key))
	scope := "ip:" + ip
	if subject != "" {
		scope = fanTag(subject)
	}
	return "idem/" + scope + "/" + hex.EncodeToString(keyHash[:16])
}

// pendingClaim is an Idempotency-Key claim a handler writes in its first
// Batch (claimOps), so that claiming the key costs no call of its own.
type pendingClaim struct {
	ops       []Op // the claim, then the key's quota charge (fans; quota.go)
	overQuota func() error
	used      bool
}

type claimCtxKey struct{}

// errKeyTaken is what a handler returns when its first Batch found the
// Idempotency-Key already claimed: serveIdempotent then answers as for
// any repeat.
var errKeyTaken = errors.New("idempotency key already claimed")

// claimOps returns the operations that claim the request's
// Idempotency-Key, for the handler's first Batch (in the caller's
// placement), or nil when the key is claimed already (a repeat running
// again) or the route claims it itself. claimRefusal turns that Batch's
// refusal into the request's answer.
func (c *call) claimOps() []Op {
	pc, _ := c.ctx.Value(claimCtxKey{}).(*pendingClaim)
	if pc == nil || pc.used {
		return nil
	}
	pc.used = true
	return pc.ops
}

// claimRefusal maps the refusal of a Batch that began with the n
// operations claimOps gave: the key taken, or the key quota spent. Other
// refusals are returned as they are.
func (c *call) claimRefusal(err error, n int) error {
	pc, _ := c.ctx.Value(claimCtxKey{}).(*pendingClaim)
	if pc == nil || n == 0 {
		return err
	}
	return pc.refusal(err)
}

func (pc *pendingClaim) refusal(err error) error {
	var be *BatchError
	if !errors.As(err, &be) || be.Index >= len(pc.ops) {
		return err
	}
	if be.Index == 0 && errors.Is(err, ErrVersionMismatch) {
		return errKeyTaken
	}
	if be.Index > 0 && errors.Is(err, ErrOutOfRange) && pc.overQuota != nil {
		return pc.overQuota()
	}
	return err
}

func (g *Gateway) serveIdempotent(c *call, rt *route) {
	key := c.r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > idempotencyKeyBytes {
		g.fail(c, problem(ErrIdempotencyMissing, "send an Idempotency-Key header of 1..255 bytes with every POST"))
		return
	}
	c.idemKey = key
	ip := ""
	if c.subject == "" {
		ip = g.clientIP(c.r)
	}
	storeKey := idempotencyKeyOf(c.subject, ip, key)
	reqHash := sha256.Sum256([]byte(c.r.Method + " " + c.r.URL.Path + "\x00" + string(c.body)))
	hash := hex.EncodeToString(reqHash[:])
	rerun := rerunRoute(rt)

	claim := func(expected uint64) (pendingClaim, error) {
		rec := idempotencyRecord{RequestHash: hash, State: "running", StartedAt: g.now()}
		if rerun {
			rec.State, rec.Withheld = "done", true
		}
		raw, err := json.Marshal(&rec)
		if err != nil {
			return pendingClaim{}, err
		}
		pc := pendingClaim{ops: []Op{{Kind: OpPut, Key: storeKey, Expected: expected, Value: raw}}}
		if expected == 0 && c.role == RoleFan {
			// A fan's new key is charged to its quota (quota.go) in the
			// same write; a repeat of a key is not charged.
			charge, over, err := g.countIdempotencyKey(c.subject)
			if err != nil {
				return pendingClaim{}, err
			}
			pc.ops, pc.overQuota = append(pc.ops, charge...), over
		}
		return pc, nil
	}

	// Nearly every key is new: claim it outright, which saves a read on
	// every POST, and read the record only when the key is taken. A rerun
	// route whose handler batches its writes takes the claim into its own
	// first Batch (claimOps), so the claim costs no call of its own.
	var version uint64
	claimed := false
	runHandler := func() (int, any, error) { return rt.handle(c) }
	if rerun && batchClaimRoutes[[2]string{rt.method, rt.pattern}] {
		pc, err := claim(0)
		if err != nil {
			g.fail(c, err)
			return
		}
		inner := c.ctx
		c.ctx = context.WithValue(inner, claimCtxKey{}, &pc)
		status, body, err := rt.handle(c)
		c.ctx = inner
		switch {
		case errors.Is(err, errKeyTaken):
			// a repeat: answered below
		case !pc.used:
			// The handler refused before its first write: nothing to
			// replay, and a repeat refuses the same way.
			g.answer(c, status, body, err)
			return
		default:
			if err != nil {
				p, _ := classify(err)
				if p.Status < 500 {
					// The refusal is recorded for replay over the claim.
					g.recordProblem(c, storeKey, hash, pc.ops[0], err)
				}
			}
			g.answer(c, status, body, err)
			return
		}
	} else {
		pc, err := claim(0)
		if err != nil {
			g.fail(c, err)
			return
		}
		res, err := g.cfg.Store.Batch(c.ctx, "", pc.ops)
		switch err = pc.refusal(err); {
		case err == nil:
			version, claimed = res[0].Version, true
		case !errors.Is(err, errKeyTaken):
			g.fail(c, err)
			return
		}
	}

	for attempt := 0; !claimed; attempt++ {
		if attempt == casRetriesMax {
			g.fail(c, ErrBusy)
			return
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
				status, body, err := runHandler()
				g.answer(c, status, body, err)
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
		// Missing (deleted after a 5xx, or by the janitor) or abandoned by
		// a gateway that died: take it over.
		pc, err := claim(v)
		if err != nil {
			g.fail(c, err)
			return
		}
		res, err := g.cfg.Store.Batch(c.ctx, "", pc.ops)
		if errors.Is(err, ErrVersionMismatch) || errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			g.fail(c, err)
			return
		}
		if rerun {
			c.w.Header().Set("Idempotent-Replayed", "true")
			status, body, err := runHandler()
			g.answer(c, status, body, err)
			return
		}
		version, claimed = res[0].Version, true
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
	if rerun {
		// Claimed as "done, run again" already: nothing more to record.
		writeJSON(c.w, status, json.RawMessage(answer))
		return
	}
	done.Body = answer
	if _, err := casJSON(c.ctx, g.cfg.Store, storeKey, version, &done); err != nil {
		// The effect happened; only the replay record is missing. A retry
		// re-runs the handler, which derives the same ids and so answers
		// the same way.
		g.cfg.Logger.Warn("recording an idempotent answer failed", "key", storeKey, "err", err)
	}
	writeJSON(c.w, status, json.RawMessage(answer))
}

// batchClaimRoutes are the rerun routes whose handler writes claimOps
// itself: in its first Batch, or beside its first write.
var batchClaimRoutes = map[[2]string]bool{
	{"POST", "/v1/dev/login"}:            true, // the claim beside the fan record
	{"POST", "/v1/events/{event}/holds"}: true,
	{"POST", "/v1/orders"}:               true,
}

// answer writes a handler's result.
func (g *Gateway) answer(c *call, status int, body any, err error) {
	if err != nil {
		g.fail(c, err)
		return
	}
	writeJSON(c.w, status, body)
}

// recordProblem replaces the claim a handler wrote in its Batch (claimOp)
// with its refusal, for replay. The claim's version is whatever it is now:
// only a repeat running at the same time could have rewritten it, and it
// records the same kind of answer.
func (g *Gateway) recordProblem(c *call, storeKey, hash string, claimOp Op, err error) {
	p, _ := classify(err)
	p.Instance = c.r.URL.Path
	done := idempotencyRecord{RequestHash: hash, State: "done", StartedAt: g.now(), Status: p.Status, Problem: true}
	done.Body, _ = json.Marshal(p)
	raw, merr := json.Marshal(&done)
	if merr != nil {
		return
	}
	if _, err := g.cfg.Store.Batch(c.ctx, "", []Op{{Kind: OpPut, Key: storeKey, Expected: AnyVersion, Value: raw}}); err != nil {
		g.cfg.Logger.Warn("recording a refusal failed", "key", storeKey, "err", err)
	}
}
