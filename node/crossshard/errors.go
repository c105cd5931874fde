package crossshard

import (
	"errors"
	"fmt"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// Errors of the coordinator. A shard's refusal travels as *RefusalError;
// a request the coordinator refuses before proposing anything wraps one of
// the sentinels; an error from Shards.Propose is returned unchanged. The
// node maps all of them to its own errors (and those to gRPC statuses).
var (
	// ErrInvalid marks a malformed request: a seat id or hold id that does
	// not parse, or no selection.
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound marks a section, pool or shard the event does not have.
	ErrNotFound = errors.New("not found")
	// ErrTooLarge marks a request over a limit: seats per hold, shards per
	// hold.
	ErrTooLarge = errors.New("request too large")
	// ErrTicketNotInOrder refuses a refund of a ticket that is not a sold
	// ticket of its order; no shard refunded anything.
	ErrTicketNotInOrder = errors.New("not a sold ticket of the order")
)

// RefusalError is a shard's business refusal: its result's code (never
// CODE_OK), message and the seats it names.
type RefusalError struct {
	Code    fsmpb.Code
	Message string
	SeatIDs []string
}

func (e *RefusalError) Error() string { return e.Message }

// refusal turns a result that is not OK into a *RefusalError.
func refusal(r *fsmpb.Result) error {
	if r.GetCode() == fsmpb.Code_CODE_OK {
		return nil
	}
	return &RefusalError{Code: r.GetCode(), Message: r.GetMessage(), SeatIDs: r.GetSeatIds()}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
