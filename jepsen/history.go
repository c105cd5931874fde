package jepsen

// Operation kinds of the workload.
const (
	KindHold     = "hold"      // explicit seats
	KindHoldBest = "hold_best" // best-available in one section
	KindHoldGA   = "hold_ga"   // general-admission units
	KindSell     = "sell"
	KindRelease  = "release"
	KindRefund   = "refund"
	KindRead     = "read" // linearizable GetSeatMap of one section
)

// Outcomes, as in Jepsen: ok (it happened), fail (it definitely did not),
// info (unknown: it may have happened, now or later).
const (
	OutcomeOK   = "ok"
	OutcomeFail = "fail"
	OutcomeInfo = "info"
)

// Seat states as recorded in reads.
const (
	SeatAvailable = "available"
	SeatHeld      = "held"
	SeatSold      = "sold"
)

// SeatView is one seat as a read saw it.
type SeatView struct {
	Seat   string `json:"seat"`
	State  string `json:"state"`
	Holder string `json:"holder,omitempty"`
	Order  string `json:"order,omitempty"`
}

// Op is one client operation, a line of history.jsonl. Times are
// nanoseconds since the start of the run; Return is -1 for an operation
// whose outcome is unknown (info). A mutation whose outcome was unknown
// when traffic ended is re-sent after healing (see Resend): if that
// learns the outcome, Outcome, Code, Error, HoldID and Seats are the
// learned ones and Return is the re-send's return, while Call, Attempts
// and LatencyNs stay those of the original operation.
type Op struct {
	ID       int    `json:"id"`
	Client   int    `json:"client"`
	Kind     string `json:"kind"`
	Node     string `json:"node"` // the node of the first attempt
	Attempts int    `json:"attempts"`
	Call     int64  `json:"call"`
	Return   int64  `json:"return"`
	Outcome  string `json:"outcome"`
	Code     string `json:"code,omitempty"`   // gRPC code of the final error
	Reason   string `json:"reason,omitempty"` // its ErrorInfo reason (HOLD_EXPIRED, NOT_FOUND, ...)
	Error    string `json:"error,omitempty"`

	RequestID string   `json:"request_id,omitempty"`
	Holder    string   `json:"holder,omitempty"` // unique per hold request
	HoldID    string   `json:"hold_id,omitempty"`
	Order     string   `json:"order,omitempty"`
	Section   string   `json:"section,omitempty"`
	Seats     []string `json:"seats,omitempty"` // named (hold) or obtained (best, sell, release, refund)
	Quantity  int      `json:"quantity,omitempty"`
	// TTLMs: a hold's requested time to live. Holds shorter than holdTTL
	// may expire during the run (the model lets them end at any moment
	// after they are granted).
	TTLMs int64 `json:"ttl_ms,omitempty"`
	// HoldReturn and HoldTTLMs: on a sell or release, when the hold it
	// names returned (ok) and the TTL it asked for, as its client knew
	// them. ExpiredFrom is derived from them by MarkCertainExpiry: a sell
	// or release called at or after it finds the hold certainly expired
	// (0: no such bound).
	HoldReturn  int64 `json:"hold_return,omitempty"`
	HoldTTLMs   int64 `json:"hold_ttl_ms,omitempty"`
	ExpiredFrom int64 `json:"expired_from,omitempty"`
	// Unavailable: seats a refusal proves were not available at its
	// linearization point (a one-seat best-available hold refused with
	// NOT_ENOUGH_SEATS: every seat of its section).
	Unavailable []string   `json:"unavailable,omitempty"`
	Read        []SeatView `json:"read,omitempty"`
	// LatencyNs is the time from the call to the last attempt's end,
	// retries included, during traffic (also set for operations that
	// ended unknown, for the plot; a re-send does not change it).
	LatencyNs int64 `json:"latency_ns"`
	// Resend is set on mutations whose outcome was unknown when traffic
	// ended and that were sent again after healing.
	Resend *Resend `json:"resend,omitempty"`
}

// Resend records the re-send of a mutation whose outcome was unknown:
// the same request id and body, sent after the final heal. Every
// mutation is idempotent by request id (the store remembers the first
// result for an hour), so the answer is the operation's own outcome,
// whenever it took effect.
type Resend struct {
	Call     int64  `json:"call"`
	Return   int64  `json:"return"` // -1: no definite answer (the op stays info)
	Attempts int    `json:"attempts"`
	Outcome  string `json:"outcome"`         // ok, fail, or info (still unknown)
	Error    string `json:"error,omitempty"` // the last attempt's, when still unknown
	// The original operation's final error, replaced in Op by the
	// re-send's.
	OriginalCode  string `json:"original_code,omitempty"`
	OriginalError string `json:"original_error,omitempty"`
}

// wasUnknown reports whether op ended with an unknown outcome during
// traffic (whatever a re-send learned later).
func (op *Op) wasUnknown() bool { return op.Outcome == OutcomeInfo || op.Resend != nil }

// Fault is one nemesis window, for the report and the annotations.
type Fault struct {
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Start       int64  `json:"start"` // ns since the start of the run
	End         int64  `json:"end"`
	Error       string `json:"error,omitempty"`
}
