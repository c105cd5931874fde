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
// whose outcome is unknown (info).
type Op struct {
	ID       int    `json:"id"`
	Client   int    `json:"client"`
	Kind     string `json:"kind"`
	Node     string `json:"node"` // the node of the first attempt
	Attempts int    `json:"attempts"`
	Call     int64  `json:"call"`
	Return   int64  `json:"return"`
	Outcome  string `json:"outcome"`
	Code     string `json:"code,omitempty"` // gRPC code of the final error
	Error    string `json:"error,omitempty"`

	RequestID string     `json:"request_id,omitempty"`
	Holder    string     `json:"holder,omitempty"` // unique per hold request
	HoldID    string     `json:"hold_id,omitempty"`
	Order     string     `json:"order,omitempty"`
	Section   string     `json:"section,omitempty"`
	Seats     []string   `json:"seats,omitempty"` // named (hold) or obtained (best, sell, release, refund)
	Quantity  int        `json:"quantity,omitempty"`
	Read      []SeatView `json:"read,omitempty"`
	// LatencyNs is Return-Call of the whole operation including retries
	// (also set for info operations, for the plot).
	LatencyNs int64 `json:"latency_ns"`
}

// Fault is one nemesis window, for the report and the annotations.
type Fault struct {
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Start       int64  `json:"start"` // ns since the start of the run
	End         int64  `json:"end"`
	Error       string `json:"error,omitempty"`
}
