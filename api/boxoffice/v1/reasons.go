package boxofficev1

import (
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// The error contract of the store. A refused call returns a gRPC status
// with one google.rpc.ErrorInfo detail: its domain is ErrorDomain, its
// reason one of the Reason* constants below, and its metadata the keys
// each reason documents. A stream's StreamError carries the same reason
// and metadata. A status without an ErrorInfo (DEADLINE_EXCEEDED,
// CANCELED, INTERNAL) has reason "". The code says how to react, the
// reason says why; a client that switches on reasons uses these constants
// and ReasonOf, never string literals.
//
// This list and the comments in boxoffice.proto describe the same reasons
// (reasons_test.go checks that each constant appears in the proto).

// ErrorDomain is the google.rpc.ErrorInfo domain of every status the store
// sends.
const ErrorDomain = "boxoffice.dev"

// ErrorInfo reasons.
const (
	// ReasonInvalidRequest: the request is malformed (a missing or
	// malformed id, a zero quantity, an invalid venue, a record value
	// that is not a decimal int64 for Add). INVALID_ARGUMENT. A refusal
	// for malformed seat ids carries MetadataSeatIDs and
	// MetadataSeatCount.
	ReasonInvalidRequest = "INVALID_REQUEST"
	// ReasonVenueInvalid is documented for a venue that fails validation
	// (INVALID_ARGUMENT), but the store does not send it: an invalid venue
	// is refused ReasonInvalidRequest. A client treats both alike.
	ReasonVenueInvalid = "VENUE_INVALID"
	// ReasonNotFound: an unknown event, seat, pool, hold, order or record
	// key. NOT_FOUND. A refusal for unknown seats carries MetadataSeatIDs
	// and MetadataSeatCount.
	ReasonNotFound = "NOT_FOUND"
	// ReasonSeatUnavailable: a requested seat is held or sold by someone
	// else; nothing was held. ABORTED. Metadata MetadataSeatIDs and
	// MetadataSeatCount name the seats.
	ReasonSeatUnavailable = "SEAT_UNAVAILABLE"
	// ReasonNotEnoughSeats: a best-available or general-admission hold
	// found fewer free seats than it asked for. RESOURCE_EXHAUSTED; no
	// metadata. Not worth retrying as is.
	ReasonNotEnoughSeats = "NOT_ENOUGH_SEATS"
	// ReasonHoldExpired: the hold expired before the sale or release.
	// FAILED_PRECONDITION; no metadata.
	ReasonHoldExpired = "HOLD_EXPIRED"
	// ReasonHoldNotOwned: the hold belongs to another holder.
	// PERMISSION_DENIED; no metadata.
	ReasonHoldNotOwned = "HOLD_NOT_OWNED"
	// ReasonEventExists: CreateEvent of an event id that is taken by
	// another event. ALREADY_EXISTS; no metadata.
	ReasonEventExists = "EVENT_EXISTS"
	// ReasonLimitExceeded: the request passes a documented limit (seats
	// per hold, a key, value or scan limit of Records, the shards a hold
	// id can name), or the record store is full. INVALID_ARGUMENT; no
	// metadata.
	ReasonLimitExceeded = "LIMIT_EXCEEDED"
	// ReasonBusy: a bounded server queue is full; nothing was done. Retry
	// with backoff. RESOURCE_EXHAUSTED; no metadata.
	ReasonBusy = "BUSY"
	// ReasonNoLeader: the node cannot serve the call now: no leader of
	// the group could be reached, the node is not the leader, is
	// stopping, has not joined a bootstrapped cluster, or leadership is
	// moving. Retry, with the request's request_id. UNAVAILABLE; no
	// ErrorInfo metadata, but the LeaderAddrMetadataKey trailer names
	// the leader's address when the node knows it.
	ReasonNoLeader = "NO_LEADER"
	// ReasonPositionCompacted is documented for a Watch from a position
	// older than the retained change log (OUT_OF_RANGE), but the store
	// does not send it: that OUT_OF_RANGE status has no ErrorInfo. A
	// client keys on the code and reads the seat map again.
	ReasonPositionCompacted = "POSITION_COMPACTED"
	// ReasonEventNotReady: the event is still being created (its shards
	// are being installed); retry its CreateEvent with the same
	// request_id to finish it. FAILED_PRECONDITION; no metadata.
	ReasonEventNotReady = "EVENT_NOT_READY"
	// ReasonVersionMismatch: a Records compare-and-swap or delete found
	// another version than the expected one; nothing changed.
	// FAILED_PRECONDITION. Metadata MetadataCurrentVersion ("0" when the
	// key is missing).
	ReasonVersionMismatch = "VERSION_MISMATCH"
	// ReasonOutOfRange: a Records Add would leave the counter's [min, max]
	// or overflow int64; nothing changed. OUT_OF_RANGE. Metadata
	// MetadataCurrentValue and MetadataCurrentVersion.
	ReasonOutOfRange = "OUT_OF_RANGE"
	// ReasonRoleNotAllowed: the caller's certificate has no role that may
	// call the method. PERMISSION_DENIED. Metadata MetadataRole (the
	// role, "none" or "unknown") and MetadataService.
	ReasonRoleNotAllowed = "ROLE_NOT_ALLOWED"
	// ReasonTicketNotInOrder: a Refund listed a ticket id that is not a
	// sold ticket of its order; nothing was refunded. NOT_FOUND; no
	// metadata.
	ReasonTicketNotInOrder = "TICKET_NOT_IN_ORDER"
	// ReasonStreamLimit: the caller's client identity has as many
	// streaming calls open on the node as the node allows; close one.
	// RESOURCE_EXHAUSTED; no metadata.
	ReasonStreamLimit = "STREAM_LIMIT"
	// ReasonEventArchived: the event was archived (DeleteEvent); its
	// seats are no longer read or sold and its streams end with it.
	// FAILED_PRECONDITION; no metadata.
	ReasonEventArchived = "EVENT_ARCHIVED"
	// ReasonEventHasActiveHolds: DeleteEvent of an event with an
	// unexpired hold; nothing changed. FAILED_PRECONDITION; no metadata.
	ReasonEventHasActiveHolds = "EVENT_HAS_ACTIVE_HOLDS"
	// ReasonEventBudgetExceeded: CreateEvent would pass the cluster's
	// budget of live events or seats; archive events to make room.
	// RESOURCE_EXHAUSTED; no metadata.
	ReasonEventBudgetExceeded = "EVENT_BUDGET_EXCEEDED"
	// ReasonRequestIDReused: the request_id was already used, within the
	// dedup window, for a request with other content; nothing changed. A
	// retry must repeat the request exactly; a new request needs a new
	// id. Never retried. FAILED_PRECONDITION; no metadata.
	ReasonRequestIDReused = "REQUEST_ID_REUSED"
	// ReasonNodeDraining: Cluster.TransferLeader to a node that is
	// draining (undrain it first), or Cluster.Drain of the last node that
	// is not draining; nothing changed. FAILED_PRECONDITION; no metadata.
	ReasonNodeDraining = "NODE_DRAINING"
	// ReasonClusterUpgrading: the call needs a feature that some
	// registered nodes' builds cannot apply yet; it is refused, and
	// nothing changed, until every node runs a newer release. Retry
	// after the upgrade (Cluster.Status: cluster_feature_level).
	// FAILED_PRECONDITION; metadata MetadataNodeIDs (the nodes on an
	// older build).
	ReasonClusterUpgrading = "CLUSTER_UPGRADING"
	// ReasonSurvivalGoalUnmet: CreateEvent asked for a survival goal or a
	// home region that the data groups cannot meet (region survival with
	// nodes in 2 regions; no group both surviving and led from the home
	// region); the message names what is missing. Nothing was created.
	// FAILED_PRECONDITION; no metadata.
	ReasonSurvivalGoalUnmet = "SURVIVAL_GOAL_UNMET"
	// ReasonShardMoving: the shard the call addresses is being moved to
	// another data group (Cluster.MoveShard); nothing changed. Retry with
	// the same request_id after a short pause: once the move is done the
	// call reaches the new group, which remembers the shard's request
	// ids. UNAVAILABLE; no metadata.
	ReasonShardMoving = "SHARD_MOVING"
	// ReasonShardAlreadyInGroup: Cluster.MoveShard of a shard to the
	// group that has it; nothing changed. FAILED_PRECONDITION; no
	// metadata.
	ReasonShardAlreadyInGroup = "SHARD_ALREADY_IN_GROUP"
	// ReasonShardMoveRunning: Cluster.MoveShard of a shard that another
	// move (to another group) has started; re-run that move to finish
	// it. FAILED_PRECONDITION; no metadata.
	ReasonShardMoveRunning = "SHARD_MOVE_RUNNING"
	// ReasonDecommissionWouldLoseReplicas: Cluster.Decommission of a node
	// whose replicas could not all move: the nodes left able to hold
	// replicas would be fewer than the replication factor, or would span
	// fewer localities than a group's replicas span now. The message names
	// the numbers; nothing changed. FAILED_PRECONDITION; no metadata.
	ReasonDecommissionWouldLoseReplicas = "DECOMMISSION_WOULD_LOSE_REPLICAS"
)

// ErrorInfo metadata keys.
const (
	// MetadataSeatIDs lists the first 100 seat ids a refusal is about,
	// comma-separated (ReasonSeatUnavailable, ReasonNotFound,
	// ReasonInvalidRequest).
	MetadataSeatIDs = "seat_ids"
	// MetadataSeatCount is the number of seats a refusal is about, in
	// decimal; MetadataSeatIDs may list fewer.
	MetadataSeatCount = "seat_count"
	// MetadataCurrentVersion is the record's current version, in decimal
	// (ReasonVersionMismatch, ReasonOutOfRange).
	MetadataCurrentVersion = "current_version"
	// MetadataCurrentValue is the counter's current value, in decimal
	// (ReasonOutOfRange).
	MetadataCurrentValue = "current_value"
	// MetadataOpIndex is the index, in decimal, of the Records.Batch
	// operation that refused the batch in its data group
	// (ReasonVersionMismatch, ReasonOutOfRange, ReasonNotFound, and
	// ReasonInvalidRequest or ReasonLimitExceeded for one operation's key,
	// value or counter). What the node checks before sending the batch
	// (placements, a key named twice) names the operation in the message.
	MetadataOpIndex = "op_index"
	// MetadataRole is the caller's certificate role, "none" without one
	// or "unknown" for a role the node does not know
	// (ReasonRoleNotAllowed).
	MetadataRole = "role"
	// MetadataService is the full name of the refused call's service,
	// such as "boxoffice.v1.Records" (ReasonRoleNotAllowed).
	MetadataService = "service"
	// MetadataNodeIDs lists node ids a refusal is about, comma-separated
	// (ReasonClusterUpgrading).
	MetadataNodeIDs = "node_ids"
)

// LeaderAddrMetadataKey is the gRPC header or trailer (not ErrorInfo
// metadata) in which a node that cannot serve a call names the gRPC
// address of the group's leader to try. A stream's StreamError carries the
// same address in leader_addr.
const LeaderAddrMetadataKey = "boxoffice-leader-addr"

// ErrorInfoOf returns the google.rpc.ErrorInfo of err's gRPC status, or
// nil when err is nil, is not a status or has none. err may wrap the
// status (fmt.Errorf with %w). The store sends at most one ErrorInfo; of
// several, the first is returned.
func ErrorInfoOf(err error) *errdetails.ErrorInfo {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	for _, detail := range st.Details() {
		if info, ok := detail.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

// ReasonOf returns the ErrorInfo reason of err's gRPC status (one of the
// Reason* constants), or "" when it has none. err may wrap the status.
func ReasonOf(err error) string { return ErrorInfoOf(err).GetReason() }
