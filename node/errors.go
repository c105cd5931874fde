package node

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/hashicorp/raft"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Errors of the node package. Business refusals from the state machine
// travel as *RefusalError; everything is turned into a gRPC status in one
// place, toStatus.
var (
	// ErrInvalid marks a malformed request.
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound marks an unknown event, seat, hold or order.
	ErrNotFound = errors.New("not found")
	// ErrEventExists marks CreateEvent of an existing event id.
	ErrEventExists = errors.New("event already exists")
	// ErrTooLarge marks a request over a documented limit.
	ErrTooLarge = errors.New("request too large")
	// ErrBusy means a bounded queue is full; retry with backoff.
	ErrBusy = errors.New("server busy")
	// ErrNoLeader means no leader could be reached for a group in time.
	ErrNoLeader = errors.New("no leader reachable")
	// ErrShuttingDown means the node is stopping.
	ErrShuttingDown = errors.New("node shutting down")
	// ErrEventNotReady means the event's shards are still being installed.
	ErrEventNotReady = errors.New("event not ready")
	// ErrTicketNotInOrder refuses a Refund that lists a ticket that is not
	// a sold ticket of its order (or lists none).
	ErrTicketNotInOrder = errors.New("not a sold ticket of the order")
	// ErrNotReady means the node has not yet joined a bootstrapped cluster.
	ErrNotReady = errors.New("node not ready: cluster not bootstrapped yet")
	// ErrEventArchived marks a call on an event DeleteEvent archived.
	ErrEventArchived = errors.New("event archived")
	// ErrEventHasHolds marks DeleteEvent of an event with active holds.
	ErrEventHasHolds = errors.New("event has active holds")
	// ErrEventBudget marks CreateEvent past the cluster's budget of live
	// events or seats (Config.EventsMax, Config.SeatsMax).
	ErrEventBudget = errors.New("event budget exceeded")
	// ErrStreamLimit means the caller has as many streams open on this
	// node as Config.StreamsPerIdentityMax allows.
	ErrStreamLimit = errors.New("stream limit reached")
	// ErrNodeDraining refuses a leadership transfer to a draining node, or
	// draining the last node that is not draining.
	ErrNodeDraining = errors.New("node draining")
	// ErrSurvivalGoal refuses a CreateEvent whose survival goal or home
	// region the data groups cannot meet; the message names what is
	// missing.
	ErrSurvivalGoal = errors.New("survival goal unmet")
	// ErrShardInGroup refuses MoveShard of a shard to the group that has it.
	ErrShardInGroup = errors.New("shard already in the group")
	// ErrShardMoveRunning refuses MoveShard of a shard that another move,
	// to another group, has started.
	ErrShardMoveRunning = errors.New("shard move running")
	// ErrDecommissionWouldLoseReplicas refuses a decommission that would
	// leave too few nodes, or localities, to hold every group's replicas.
	ErrDecommissionWouldLoseReplicas = errors.New("decommission would lose replicas")
)

// Reasons carried in google.rpc.ErrorInfo: the node's names for the
// constants of the API package, which documents each one (when it is sent,
// with which code and metadata).
const (
	ReasonInvalidRequest                = boxofficev1.ReasonInvalidRequest
	ReasonVenueInvalid                  = boxofficev1.ReasonVenueInvalid
	ReasonNotFound                      = boxofficev1.ReasonNotFound
	ReasonSeatUnavailable               = boxofficev1.ReasonSeatUnavailable
	ReasonNotEnoughSeats                = boxofficev1.ReasonNotEnoughSeats
	ReasonHoldExpired                   = boxofficev1.ReasonHoldExpired
	ReasonHoldNotOwned                  = boxofficev1.ReasonHoldNotOwned
	ReasonEventExists                   = boxofficev1.ReasonEventExists
	ReasonTooLarge                      = boxofficev1.ReasonLimitExceeded
	ReasonBusy                          = boxofficev1.ReasonBusy
	ReasonNoLeader                      = boxofficev1.ReasonNoLeader
	ReasonPositionCompacted             = boxofficev1.ReasonPositionCompacted
	ReasonEventNotReady                 = boxofficev1.ReasonEventNotReady
	ReasonVersionMismatch               = boxofficev1.ReasonVersionMismatch
	ReasonOutOfRange                    = boxofficev1.ReasonOutOfRange
	ReasonRoleNotAllowed                = boxofficev1.ReasonRoleNotAllowed
	ReasonTicketNotInOrder              = boxofficev1.ReasonTicketNotInOrder
	ReasonStreamLimit                   = boxofficev1.ReasonStreamLimit
	ReasonEventArchived                 = boxofficev1.ReasonEventArchived
	ReasonEventHasHolds                 = boxofficev1.ReasonEventHasActiveHolds
	ReasonEventBudget                   = boxofficev1.ReasonEventBudgetExceeded
	ReasonRequestIDReused               = boxofficev1.ReasonRequestIDReused
	ReasonNodeDraining                  = boxofficev1.ReasonNodeDraining
	ReasonClusterUpgrading              = boxofficev1.ReasonClusterUpgrading
	ReasonSurvivalGoalUnmet             = boxofficev1.ReasonSurvivalGoalUnmet
	ReasonShardMoving                   = boxofficev1.ReasonShardMoving
	ReasonShardInGroup                  = boxofficev1.ReasonShardAlreadyInGroup
	ReasonShardMoveRunning              = boxofficev1.ReasonShardMoveRunning
	ReasonDecommissionWouldLoseReplicas = boxofficev1.ReasonDecommissionWouldLoseReplicas

	errorDomain = boxofficev1.ErrorDomain

	// LeaderHintKey is the trailer that names the gRPC address of a group's
	// leader when a node cannot serve a request itself.
	LeaderHintKey = boxofficev1.LeaderAddrMetadataKey
)

// RefusalError is a business refusal decided by the state machine.
type RefusalError struct {
	Code    fsmpb.Code
	Message string
	SeatIDs []string
	// Metadata goes into the status's ErrorInfo (records: the current
	// version or counter value).
	Metadata map[string]string
}

func (e *RefusalError) Error() string { return e.Message }

// refusal turns a non-OK result into an error.
func refusal(r *fsmpb.Result) error {
	if r.GetCode() == fsmpb.Code_CODE_OK {
		return nil
	}
	return &RefusalError{Code: r.GetCode(), Message: r.GetMessage(), SeatIDs: r.GetSeatIds()}
}

// catalogRefusal turns a refused catalog command into the node's errors;
// nil for CATALOG_CODE_OK.
func catalogRefusal(res *nodepb.CatalogResult) error {
	switch res.GetCode() {
	case nodepb.CatalogCode_CATALOG_CODE_OK:
		return nil
	case nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND:
		return fmt.Errorf("%w: %s", ErrNotFound, res.Message)
	case nodepb.CatalogCode_CATALOG_CODE_INVALID:
		return invalid("%s", res.Message)
	case nodepb.CatalogCode_CATALOG_CODE_DRAINING:
		return fmt.Errorf("%w: %s", ErrNodeDraining, res.Message)
	case nodepb.CatalogCode_CATALOG_CODE_DECOMMISSION_WOULD_LOSE_REPLICAS:
		return fmt.Errorf("%w: %s", ErrDecommissionWouldLoseReplicas, res.Message)
	case nodepb.CatalogCode_CATALOG_CODE_ARCHIVED:
		return fmt.Errorf("%w: %s", ErrEventArchived, res.Message)
	case nodepb.CatalogCode_CATALOG_CODE_REQUEST_ID_REUSED:
		return &RefusalError{Code: fsmpb.Code_CODE_REQUEST_ID_REUSED, Message: res.Message}
	default:
		return errors.New(res.GetMessage())
	}
}

// noLeaderError carries the leader's client address when one is known.
type noLeaderError struct {
	group      string
	leaderGRPC string
}

func (e *noLeaderError) Error() string {
	if e.leaderGRPC != "" {
		return fmt.Sprintf("group %s: leader at %s could not be reached", e.group, e.leaderGRPC)
	}
	return fmt.Sprintf("group %s: no leader elected", e.group)
}

func (e *noLeaderError) Unwrap() error { return ErrNoLeader }

// toStatus is the one place that maps errors to gRPC statuses.
func toStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	code, reason := codes.Internal, ""
	var ref *RefusalError
	var nl *noLeaderError
	var upgrading *clusterUpgradingError
	switch {
	case errors.As(err, &ref):
		switch ref.Code {
		case fsmpb.Code_CODE_INVALID:
			code, reason = codes.InvalidArgument, ReasonInvalidRequest
		case fsmpb.Code_CODE_NOT_FOUND:
			code, reason = codes.NotFound, ReasonNotFound
		case fsmpb.Code_CODE_CONFLICT:
			code, reason = codes.Aborted, ReasonSeatUnavailable
		case fsmpb.Code_CODE_UNAVAILABLE:
			code, reason = codes.ResourceExhausted, ReasonNotEnoughSeats
		case fsmpb.Code_CODE_EXPIRED:
			code, reason = codes.FailedPrecondition, ReasonHoldExpired
		case fsmpb.Code_CODE_NOT_OWNER:
			code, reason = codes.PermissionDenied, ReasonHoldNotOwned
		case fsmpb.Code_CODE_ALREADY_EXISTS:
			code, reason = codes.AlreadyExists, ReasonEventExists
		case fsmpb.Code_CODE_TOO_LARGE:
			code, reason = codes.InvalidArgument, ReasonTooLarge
		case fsmpb.Code_CODE_VERSION_MISMATCH:
			code, reason = codes.FailedPrecondition, ReasonVersionMismatch
		case fsmpb.Code_CODE_OUT_OF_RANGE:
			code, reason = codes.OutOfRange, ReasonOutOfRange
		case fsmpb.Code_CODE_HAS_HOLDS:
			code, reason = codes.FailedPrecondition, ReasonEventHasHolds
		case fsmpb.Code_CODE_REQUEST_ID_REUSED:
			code, reason = codes.FailedPrecondition, ReasonRequestIDReused
		case fsmpb.Code_CODE_SHARD_MOVING:
			code, reason = codes.Unavailable, ReasonShardMoving
		}
	case errors.Is(err, ErrInvalid):
		code, reason = codes.InvalidArgument, ReasonInvalidRequest
	case errors.Is(err, ErrTooLarge):
		code, reason = codes.InvalidArgument, ReasonTooLarge
	case errors.Is(err, ErrTicketNotInOrder):
		code, reason = codes.NotFound, ReasonTicketNotInOrder
	case errors.Is(err, ErrNotFound):
		code, reason = codes.NotFound, ReasonNotFound
	case errors.Is(err, ErrEventExists):
		code, reason = codes.AlreadyExists, ReasonEventExists
	case errors.Is(err, ErrEventNotReady):
		code, reason = codes.FailedPrecondition, ReasonEventNotReady
	case errors.Is(err, ErrEventArchived):
		code, reason = codes.FailedPrecondition, ReasonEventArchived
	case errors.Is(err, ErrEventHasHolds):
		code, reason = codes.FailedPrecondition, ReasonEventHasHolds
	case errors.Is(err, ErrEventBudget):
		code, reason = codes.ResourceExhausted, ReasonEventBudget
	case errors.Is(err, ErrNodeDraining):
		code, reason = codes.FailedPrecondition, ReasonNodeDraining
	case errors.As(err, &upgrading):
		code, reason = codes.FailedPrecondition, ReasonClusterUpgrading
	case errors.Is(err, ErrSurvivalGoal):
		code, reason = codes.FailedPrecondition, ReasonSurvivalGoalUnmet
	case errors.Is(err, ErrShardInGroup):
		code, reason = codes.FailedPrecondition, ReasonShardInGroup
	case errors.Is(err, ErrShardMoveRunning):
		code, reason = codes.FailedPrecondition, ReasonShardMoveRunning
	case errors.Is(err, ErrDecommissionWouldLoseReplicas):
		code, reason = codes.FailedPrecondition, ReasonDecommissionWouldLoseReplicas
	case errors.Is(err, ErrStreamLimit):
		code, reason = codes.ResourceExhausted, ReasonStreamLimit
	case errors.Is(err, ErrBusy):
		code, reason = codes.ResourceExhausted, ReasonBusy
	case errors.As(err, &nl):
		code, reason = codes.Unavailable, ReasonNoLeader
		if nl.leaderGRPC != "" && ctx != nil {
			_ = setTrailer(ctx, metadata.Pairs(LeaderHintKey, nl.leaderGRPC))
		}
	case errors.Is(err, ErrNoLeader), errors.Is(err, errNotLeader), errors.Is(err, ErrShuttingDown), errors.Is(err, ErrNotReady),
		isRaftLeadershipChange(err):
		code, reason = codes.Unavailable, ReasonNoLeader
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	}
	message := err.Error()
	if ref != nil && len(ref.SeatIDs) > 0 {
		message = withSeatList(message, ref.SeatIDs)
	}
	st := status.New(code, message)
	if reason != "" {
		info := &errdetails.ErrorInfo{Reason: reason, Domain: errorDomain}
		if ref != nil {
			info.Metadata = ref.Metadata
			if len(ref.SeatIDs) > 0 {
				info.Metadata = seatMetadata(ref.Metadata, ref.SeatIDs)
			}
		}
		if upgrading != nil {
			info.Metadata = upgrading.metadata()
		}
		if withDetails, derr := st.WithDetails(info); derr == nil {
			st = withDetails
		}
	}
	return st.Err()
}

// Seat ids a refusal names. The message lists the first seatsInMessageMax
// so a person reading a log sees which seats; ErrorInfo metadata
// "seat_ids" (comma-separated) carries the first seatsInMetadataMax for a
// program and "seat_count" the total, so a refusal of a 100-seat hold
// stays a small status.
const (
	seatsInMessageMax  = 10
	seatsInMetadataMax = 100
	// MetadataSeatIDs and MetadataSeatCount are the ErrorInfo metadata keys
	// of SEAT_UNAVAILABLE, NOT_FOUND (unknown seats) and INVALID_REQUEST
	// (malformed seat ids) refusals.
	MetadataSeatIDs   = boxofficev1.MetadataSeatIDs
	MetadataSeatCount = boxofficev1.MetadataSeatCount
)

// withSeatList appends up to seatsInMessageMax seat ids to a refusal's
// message, unless the message already names its only seat.
func withSeatList(message string, seatIDs []string) string {
	if len(seatIDs) == 1 && strings.Contains(message, seatIDs[0]) {
		return message
	}
	shown := seatIDs[:min(len(seatIDs), seatsInMessageMax)]
	var b strings.Builder
	b.WriteString(message)
	b.WriteString(": ")
	b.WriteString(strings.Join(shown, ", "))
	if more := len(seatIDs) - len(shown); more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	return b.String()
}

// seatMetadata returns base plus the seat ids and their count.
func seatMetadata(base map[string]string, seatIDs []string) map[string]string {
	out := make(map[string]string, len(base)+2)
	maps.Copy(out, base)
	out[MetadataSeatIDs] = strings.Join(seatIDs[:min(len(seatIDs), seatsInMetadataMax)], ",")
	out[MetadataSeatCount] = strconv.Itoa(len(seatIDs))
	return out
}

// isRaftLeadershipChange reports raft's errors for "leadership is moving or
// this replica is stopping": the request did not apply here and may be
// retried (with its request id) on the leader. Without this they surfaced
// as Internal (seen: "leadership transfer in progress" during a rebalance).
func isRaftLeadershipChange(err error) bool {
	return isRaftNotLeader(err) || errors.Is(err, raft.ErrRaftShutdown) || errors.Is(err, raft.ErrAbortedByRestore)
}

// setTrailer is grpc.SetTrailer; it fails harmlessly outside a handler.
var setTrailer = grpc.SetTrailer

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// wrapNotFound marks a state machine read's "not found" as ErrNotFound and
// keeps its message, which already says what was not found
// (`hold "h1" not found in event "e1"`).
func wrapNotFound(err error) error { return &notFoundError{err: err} }

type notFoundError struct{ err error }

func (e *notFoundError) Error() string   { return e.err.Error() }
func (e *notFoundError) Unwrap() []error { return []error{ErrNotFound, e.err} }
