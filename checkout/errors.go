package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Errors of the gateway. Handlers return them wrapped (fmt.Errorf("...: %w",
// ErrX) or with problem()); writeError is the one place that turns an error
// — these, store errors and the cluster's gRPC statuses — into an RFC 9457
// problem response.
var (
	ErrInvalid            = errors.New("invalid request")
	ErrUnauthenticated    = errors.New("missing or invalid bearer token")
	ErrForbidden          = errors.New("role not allowed")
	ErrMissing            = errors.New("not found")
	ErrConflict           = errors.New("conflict")
	ErrIdempotencyMissing = errors.New("Idempotency-Key header required")
	ErrIdempotencyReuse   = errors.New("Idempotency-Key reused with a different request")
	ErrInProgress         = errors.New("a request with this Idempotency-Key is still running")
	ErrRateLimited        = errors.New("too many requests")
	ErrTooManyStreams     = errors.New("too many open streams")
	ErrQuotaExceeded      = errors.New("quota exceeded")
	ErrLimitExceeded      = errors.New("ticket limit per buyer exceeded")
	ErrNotAdmitted        = errors.New("admission token required: join the waiting room")
	ErrSeatUnavailable    = errors.New("seat unavailable")
	ErrNotEnoughSeats     = errors.New("not enough seats")
	ErrHoldExpired        = errors.New("hold expired")
	ErrTicketRevoked      = errors.New("ticket revoked")
	ErrAlreadyCheckedIn   = errors.New("ticket already scanned")
	ErrBadSignature       = errors.New("signature verification failed")
	ErrRequestTimeout     = errors.New("request body too slow")
	ErrBusy               = errors.New("busy, retry later")
	ErrUnavailable        = errors.New("dependency unavailable")

	// Tickets, records and refunds (tickets.go, records.go, orders.go).
	ErrRecordUntrusted   = errors.New("stored record not trusted")
	ErrQRCodeInvalid     = errors.New("QR code not current")
	ErrRefundCheckedIn   = errors.New("refund refused: a ticket of the order was checked in")
	ErrRefundTransferred = errors.New("refund refused: a ticket of the order was transferred")
	ErrRefundClosed      = errors.New("refund refused by the event's refund policy")
	ErrUnknownFan        = errors.New("unknown fan")
)

// Backpressure (shed.go): refused before any cluster call, nothing done.
var (
	// ErrOverloaded: the cluster is saturated or this gateway has too many
	// requests in flight (503, Retry-After).
	ErrOverloaded = errors.New("overloaded, retry later")
	// ErrTooManyInFlight: the caller has too many requests in flight on
	// this gateway (429, Retry-After).
	ErrTooManyInFlight = errors.New("too many requests in flight")
)

// Refusals of a valid bearer token beyond its role (auth.go).
var (
	// ErrEventOutOfScope: an organizer's or scanner's token does not name the event.
	ErrEventOutOfScope = errors.New("event not in the token's scope")
	// ErrSecondFactorRequired: Config.RequireMFA and the token shows no second factor.
	ErrSecondFactorRequired = errors.New("second factor required")
)

// problemTypeBase prefixes every problem "type" URI.
const problemTypeBase = "https://boxoffice.dev/problems/"

// errorStatus maps each sentinel to its HTTP status and problem type slug.
var errorStatus = []struct {
	err    error
	status int
	slug   string
}{
	{ErrInvalid, http.StatusBadRequest, "invalid-request"},
	{ErrIdempotencyMissing, http.StatusBadRequest, "idempotency-key-missing"},
	{ErrBadSignature, http.StatusBadRequest, "bad-signature"},
	{ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
	{ErrForbidden, http.StatusForbidden, "forbidden"},
	{ErrEventOutOfScope, http.StatusForbidden, "event-out-of-scope"},
	{ErrSecondFactorRequired, http.StatusForbidden, "second-factor-required"},
	{ErrNotAdmitted, http.StatusForbidden, "not-admitted"},
	{ErrMissing, http.StatusNotFound, "not-found"},
	{ErrNotFound, http.StatusNotFound, "not-found"},
	{ErrConflict, http.StatusConflict, "conflict"},
	{ErrInProgress, http.StatusConflict, "request-in-progress"},
	{ErrSeatUnavailable, http.StatusConflict, "seat-unavailable"},
	{ErrNotEnoughSeats, http.StatusConflict, "not-enough-seats"},
	{ErrTicketRevoked, http.StatusConflict, "ticket-revoked"},
	{ErrAlreadyCheckedIn, http.StatusConflict, "already-checked-in"},
	{ErrRequestTimeout, http.StatusRequestTimeout, "request-timeout"},
	{ErrHoldExpired, http.StatusGone, "hold-expired"},
	{ErrIdempotencyReuse, http.StatusUnprocessableEntity, "idempotency-key-reused"},
	{ErrLimitExceeded, http.StatusUnprocessableEntity, "ticket-limit-exceeded"},
	{ErrRateLimited, http.StatusTooManyRequests, "rate-limited"},
	{ErrTooManyStreams, http.StatusTooManyRequests, "too-many-streams"},
	{ErrQuotaExceeded, http.StatusTooManyRequests, "quota-exceeded"},
	{ErrBusy, http.StatusServiceUnavailable, "busy"},
	{ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
	{ErrRecordUntrusted, http.StatusConflict, "record-untrusted"},
	{ErrQRCodeInvalid, http.StatusBadRequest, "qr-code-invalid"},
	{ErrRefundCheckedIn, http.StatusConflict, "refund-after-check-in"},
	{ErrRefundTransferred, http.StatusConflict, "refund-after-transfer"},
	{ErrRefundClosed, http.StatusConflict, "refund-closed"},
	{ErrUnknownFan, http.StatusUnprocessableEntity, "unknown-fan"},
	{ErrOverloaded, http.StatusServiceUnavailable, "overloaded"},
	{ErrTooManyInFlight, http.StatusTooManyRequests, "too-many-in-flight"},
}

// Problem is an RFC 9457 problem details object. Extensions carries extra
// members (first scan time, queue position, ...).
type Problem struct {
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Status     int            `json:"status"`
	Detail     string         `json:"detail,omitempty"`
	Instance   string         `json:"instance,omitempty"`
	Extensions map[string]any `json:"-"`
}

// MarshalJSON flattens Extensions next to the standard members.
func (p Problem) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	for k, v := range p.Extensions {
		m[k] = v
	}
	m["type"], m["title"], m["status"] = p.Type, p.Title, p.Status
	if p.Detail != "" {
		m["detail"] = p.Detail
	}
	if p.Instance != "" {
		m["instance"] = p.Instance
	}
	return json.Marshal(m)
}

// detailedError carries a sentinel plus problem extensions and an optional
// Retry-After.
type detailedError struct {
	err        error
	detail     string
	extensions map[string]any
	retryAfter time.Duration
}

func (e *detailedError) Error() string { return e.err.Error() + ": " + e.detail }
func (e *detailedError) Unwrap() error { return e.err }

// problem wraps sentinel with a detail message and extension members
// (pairs of name, value).
func problem(sentinel error, detail string, kv ...any) error {
	e := &detailedError{err: sentinel, detail: detail}
	for i := 0; i+1 < len(kv); i += 2 {
		if e.extensions == nil {
			e.extensions = map[string]any{}
		}
		e.extensions[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return e
}

// fromCluster turns a gRPC status from the cluster into a gateway sentinel
// so handlers can branch with errors.Is. Other errors pass through.
func fromCluster(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	info := boxofficev1.ErrorInfoOf(err)
	reason, seatIDs := info.GetReason(), info.GetMetadata()[boxofficev1.MetadataSeatIDs]
	var sentinel error
	switch st.Code() {
	case codes.InvalidArgument, codes.OutOfRange:
		sentinel = ErrInvalid
	case codes.NotFound:
		sentinel = ErrMissing
	case codes.Aborted:
		sentinel = ErrSeatUnavailable
	case codes.ResourceExhausted:
		sentinel = ErrNotEnoughSeats
		if reason == boxofficev1.ReasonBusy {
			sentinel = ErrBusy
		}
	case codes.FailedPrecondition:
		sentinel = ErrConflict
		if reason == boxofficev1.ReasonHoldExpired {
			sentinel = ErrHoldExpired
		}
	case codes.PermissionDenied:
		sentinel = ErrForbidden
	case codes.AlreadyExists:
		sentinel = ErrConflict
	case codes.DeadlineExceeded, codes.Unavailable, codes.Canceled:
		sentinel = ErrUnavailable
	default:
		return err
	}
	detail := st.Message()
	if reason == "" && sentinel == ErrUnavailable {
		// Not a node's answer but gRPC's own (a connection that failed,
		// a deadline): its text names transports and addresses.
		detail = "the inventory cluster did not answer in time; retry"
	}
	ext := map[string]any{"cluster_reason": reason}
	if seatIDs != "" {
		// The seats a refusal names (the first 100), as the cluster's
		// ErrorInfo metadata "seat_ids" lists them.
		ext["seat_ids"] = strings.Split(seatIDs, ",")
	}
	return &detailedError{err: sentinel, detail: detail, extensions: ext}
}

// classify returns the HTTP status, problem and Retry-After of err.
func classify(err error) (Problem, time.Duration) {
	err = fromCluster(err)
	var de *detailedError
	var retryAfter time.Duration
	var ext map[string]any
	detail := err.Error()
	if errors.As(err, &de) {
		detail, ext, retryAfter = de.detail, de.extensions, de.retryAfter
	}
	for _, row := range errorStatus {
		if errors.Is(err, row.err) {
			if row.status == http.StatusServiceUnavailable && retryAfter == 0 {
				retryAfter = time.Second
			}
			return Problem{Type: problemTypeBase + row.slug, Title: row.err.Error(), Status: row.status, Detail: detail, Extensions: ext}, retryAfter
		}
	}
	// Past this point err is not one of ours: its text is a library's or
	// names internals, so it goes to the log (Gateway.fail) and the client
	// gets a sentence.
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return Problem{Type: problemTypeBase + "timeout", Title: "timeout", Status: http.StatusServiceUnavailable,
			Detail: "the request did not complete in time; retry it (a POST with the same Idempotency-Key)"}, time.Second
	}
	return Problem{Type: problemTypeBase + "internal", Title: "internal error", Status: http.StatusInternalServerError,
		Detail: "the gateway could not complete the request; the error is logged"}, 0
}

// Bounds on what a problem repeats back to the client.
const (
	// echoBytesMax bounds each client-supplied value quoted in a detail.
	echoBytesMax = 64
	// problemDetailBytesMax bounds a whole detail (it may carry a cluster
	// message that quotes values too).
	problemDetailBytesMax = 512
	// problemInstanceBytesMax bounds the echoed request path.
	problemInstanceBytesMax = 256
)

// echo prepares a client-supplied value for a problem detail: at most
// echoBytesMax bytes (cut on a character boundary, then "…"), with
// control characters and invalid UTF-8 replaced by U+FFFD, so a detail
// can neither grow with the request nor carry line breaks or terminal
// escapes into a log or a screen. Quote the result with %q.
func echo(s string) string { return clean(s, echoBytesMax) }

// clean cuts s to at most limit bytes plus "…" and replaces control
// characters and invalid UTF-8.
func clean(s string, limit int) string {
	if len(s) <= limit && utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			r = utf8.RuneError
		}
		if b.Len()+utf8.RuneLen(r) > limit {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// writeProblem writes p as application/problem+json; every 401 carries
// the RFC 6750 challenge, whichever path refused the request.
func writeProblem(w http.ResponseWriter, r *http.Request, p Problem, retryAfter time.Duration) {
	if r != nil {
		p.Instance = clean(r.URL.Path, problemInstanceBytesMax)
		if p.Status == http.StatusUnauthorized {
			bearerChallenge(w, r)
		}
	}
	p.Detail = clean(p.Detail, problemDetailBytesMax)
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	if p.Status == http.StatusRequestTimeout {
		w.Header().Set("Connection", "close") // the rest of the body may still be on its way
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
