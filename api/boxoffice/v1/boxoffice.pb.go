// The public gRPC contract of Boxoffice.
//
// Every mutation carries a request_id chosen by the client (a UUID is fine):
// retrying a call with the same request_id — after a timeout, a leader change
// or a restart — applies it once and returns the first answer. Reuse a
// request_id only for a retry of the same call: within the dedup window (an
// hour), the same request_id on a request with other content is refused
// FAILED_PRECONDITION REQUEST_ID_REUSED and changes nothing (as Stripe's
// idempotency keys). FAILED_PRECONDITION rather than ALREADY_EXISTS, which
// means an event id taken; the client must not retry it.
//
// Errors use gRPC status codes, with a google.rpc.ErrorInfo detail (domain
// "boxoffice.dev") whose reason is one of the strings below; Go clients use
// the Reason* constants and ReasonOf of package boxofficev1 (reasons.go):
//   INVALID_ARGUMENT    malformed request (reason INVALID_REQUEST), or a request
//                       over a documented limit (LIMIT_EXCEEDED). VENUE_INVALID
//                       is reserved and not sent: an invalid venue is INVALID_REQUEST
//   NOT_FOUND           unknown event, seat, pool, hold or order (or node or group,
//                       for TransferLeader and Drain); a Refund's ticket
//                       that is not a sold ticket of its order (TICKET_NOT_IN_ORDER)
//   ABORTED             a requested seat is held or sold by someone else (SEAT_UNAVAILABLE)
//
// A refusal about particular seats (SEAT_UNAVAILABLE, NOT_FOUND for unknown
// seats, INVALID_REQUEST for malformed seat ids) names them: the message
// lists the first 10, ErrorInfo metadata "seat_ids" holds the first 100
// (comma-separated) and "seat_count" the total.
//
//   RESOURCE_EXHAUSTED  best-available or GA found too few seats (NOT_ENOUGH_SEATS),
//                       or a server queue is full (BUSY: retry with backoff),
//                       or the client has as many streams open on the node as
//                       it allows (STREAM_LIMIT: close one), or CreateEvent
//                       would pass the cluster's budget of live events or
//                       seats (EVENT_BUDGET_EXCEEDED: archive events with
//                       DeleteEvent)
//   FAILED_PRECONDITION the hold expired (HOLD_EXPIRED); the event is archived
//                       (EVENT_ARCHIVED); DeleteEvent of an event with
//                       active holds (EVENT_HAS_ACTIVE_HOLDS); the event
//                       is still being created (EVENT_NOT_READY: retry its
//                       CreateEvent to finish it); the request_id was used
//                       for a different request (REQUEST_ID_REUSED: nothing
//                       changed; never retry); TransferLeader to a draining
//                       node, or Drain of the last node not draining
//                       (NODE_DRAINING); a feature that needs a newer build
//                       than some registered nodes run, during an upgrade
//                       (CLUSTER_UPGRADING: metadata "node_ids" names them);
//                       CreateEvent with a survival goal or
//                       home region the data groups cannot meet
//                       (SURVIVAL_GOAL_UNMET: the message names what is
//                       missing; nothing was created); MoveShard of a shard already in
//                       the group (SHARD_ALREADY_IN_GROUP) or already moving
//                       elsewhere (SHARD_MOVE_RUNNING); Decommission that would leave too
//                       few nodes or localities to hold every replica
//                       (DECOMMISSION_WOULD_LOSE_REPLICAS)
//   PERMISSION_DENIED   the hold belongs to another holder (HOLD_NOT_OWNED); the
//                       caller's certificate role may not call the method
//                       (ROLE_NOT_ALLOWED; metadata "role" and "service")
//   ALREADY_EXISTS      the event exists (EVENT_EXISTS)
//   OUT_OF_RANGE        a Watch position is older than the retained change log
//                       (no ErrorInfo: POSITION_COMPACTED is reserved and not sent)
//   UNAVAILABLE         no leader reachable (NO_LEADER); the "boxoffice-leader-addr"
//                       trailer hints where to go; the shard is being moved
//                       to another group (SHARD_MOVING: nothing changed;
//                       retry with the same request_id after a short pause)
//   DEADLINE_EXCEEDED   the call's deadline passed; the mutation may or may not have
//                       applied: retry with the same request_id to learn which.
//
// Authorization (TLS only; a plaintext node authorizes nothing): a caller's
// role is its certificate's Subject OrganizationalUnit. gateway: Inventory,
// Records, Cluster.Status and Routing. operator: Inventory and Cluster
// (RemoveNode, TransferLeader, Drain, CheckFeatureLevel and AddGroups included), not Records. reader: GetEvent, ListEvents,
// GetSeatMap, GetHold, Watch, ReadSeatMaps, Cluster.Status and Routing.
// Health answers any certificate the CA signed.

// Code generated by protoc-gen-go. DO NOT EDIT.
// versions:
// 	protoc-gen-go v1.36.12
// 	protoc        v3.21.12
// source: api/boxoffice/v1/boxoffice.proto

package boxofficev1

import (
	protoreflect "google.golang.org/protobuf/reflect/protoreflect"
	protoimpl "google.golang.org/protobuf/runtime/protoimpl"
	reflect "reflect"
	sync "sync"
	unsafe "unsafe"
)

const (
	// Verify that this generated code is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(20 - protoimpl.MinVersion)
	// Verify that runtime/protoimpl is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(protoimpl.MaxVersion - 20)
)

type EventStatus int32

const (
	EventStatus_EVENT_STATUS_UNSPECIFIED EventStatus = 0
	EventStatus_EVENT_STATUS_CREATING    EventStatus = 1 // shards being installed
	EventStatus_EVENT_STATUS_READY       EventStatus = 2
	// DeleteEvent is archiving it: new holds and sales are refused.
	EventStatus_EVENT_STATUS_ARCHIVING EventStatus = 3
	// Archived by DeleteEvent: its seat state is gone (venue omitted), every
	// read of seats and every mutation is refused EVENT_ARCHIVED, and it no
	// longer counts against the cluster's budget of events and seats.
	EventStatus_EVENT_STATUS_ARCHIVED EventStatus = 4
)

// Enum value maps for EventStatus.
var (
	EventStatus_name = map[int32]string{
		0: "EVENT_STATUS_UNSPECIFIED",
		1: "EVENT_STATUS_CREATING",
		2: "EVENT_STATUS_READY",
		3: "EVENT_STATUS_ARCHIVING",
		4: "EVENT_STATUS_ARCHIVED",
	}
	EventStatus_value = map[string]int32{
		"EVENT_STATUS_UNSPECIFIED": 0,
		"EVENT_STATUS_CREATING":    1,
		"EVENT_STATUS_READY":       2,
		"EVENT_STATUS_ARCHIVING":   3,
		"EVENT_STATUS_ARCHIVED":    4,
	}
)

func (x EventStatus) Enum() *EventStatus {
	p := new(EventStatus)
	*p = x
	return p
}

func (x EventStatus) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (EventStatus) Descriptor() protoreflect.EnumDescriptor {
	return file_api_boxoffice_v1_boxoffice_proto_enumTypes[0].Descriptor()
}

func (EventStatus) Type() protoreflect.EnumType {
	return &file_api_boxoffice_v1_boxoffice_proto_enumTypes[0]
}

func (x EventStatus) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use EventStatus.Descriptor instead.
func (EventStatus) EnumDescriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{0}
}

// SurvivalGoal is the failure an event's seats must survive: its shards
// go only to data groups that keep a majority of their replicas when any
// one zone (ZONE) or region (REGION) is lost. A node's region is the
// first tier of its locality (boxoffice start --locality), its zone the
// first two tiers. With a replication factor of 3 a group survives a
// region loss when its replicas are in 3 regions; with 5, when no region
// holds more than 2 of them.
type SurvivalGoal int32

const (
	// The cluster's default: the shards go to groups that survive a zone
	// loss when any do, else to any group; never refused.
	SurvivalGoal_SURVIVAL_GOAL_UNSPECIFIED SurvivalGoal = 0
	// Survive the loss of one zone; CreateEvent is refused
	// (SURVIVAL_GOAL_UNMET) when no data group can.
	SurvivalGoal_SURVIVAL_GOAL_ZONE SurvivalGoal = 1
	// Survive the loss of one region; CreateEvent is refused
	// (SURVIVAL_GOAL_UNMET) when no data group can, e.g. with nodes in only
	// 2 regions.
	SurvivalGoal_SURVIVAL_GOAL_REGION SurvivalGoal = 2
)

// Enum value maps for SurvivalGoal.
var (
	SurvivalGoal_name = map[int32]string{
		0: "SURVIVAL_GOAL_UNSPECIFIED",
		1: "SURVIVAL_GOAL_ZONE",
		2: "SURVIVAL_GOAL_REGION",
	}
	SurvivalGoal_value = map[string]int32{
		"SURVIVAL_GOAL_UNSPECIFIED": 0,
		"SURVIVAL_GOAL_ZONE":        1,
		"SURVIVAL_GOAL_REGION":      2,
	}
)

func (x SurvivalGoal) Enum() *SurvivalGoal {
	p := new(SurvivalGoal)
	*p = x
	return p
}

func (x SurvivalGoal) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (SurvivalGoal) Descriptor() protoreflect.EnumDescriptor {
	return file_api_boxoffice_v1_boxoffice_proto_enumTypes[1].Descriptor()
}

func (SurvivalGoal) Type() protoreflect.EnumType {
	return &file_api_boxoffice_v1_boxoffice_proto_enumTypes[1]
}

func (x SurvivalGoal) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use SurvivalGoal.Descriptor instead.
func (SurvivalGoal) EnumDescriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{1}
}

type SeatState int32

const (
	SeatState_SEAT_STATE_UNSPECIFIED SeatState = 0
	SeatState_SEAT_STATE_AVAILABLE   SeatState = 1
	SeatState_SEAT_STATE_HELD        SeatState = 2
	SeatState_SEAT_STATE_SOLD        SeatState = 3
)

// Enum value maps for SeatState.
var (
	SeatState_name = map[int32]string{
		0: "SEAT_STATE_UNSPECIFIED",
		1: "SEAT_STATE_AVAILABLE",
		2: "SEAT_STATE_HELD",
		3: "SEAT_STATE_SOLD",
	}
	SeatState_value = map[string]int32{
		"SEAT_STATE_UNSPECIFIED": 0,
		"SEAT_STATE_AVAILABLE":   1,
		"SEAT_STATE_HELD":        2,
		"SEAT_STATE_SOLD":        3,
	}
)

func (x SeatState) Enum() *SeatState {
	p := new(SeatState)
	*p = x
	return p
}

func (x SeatState) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (SeatState) Descriptor() protoreflect.EnumDescriptor {
	return file_api_boxoffice_v1_boxoffice_proto_enumTypes[2].Descriptor()
}

func (SeatState) Type() protoreflect.EnumType {
	return &file_api_boxoffice_v1_boxoffice_proto_enumTypes[2]
}

func (x SeatState) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use SeatState.Descriptor instead.
func (SeatState) EnumDescriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{2}
}

type ReadConsistency int32

const (
	// Linearizable: reflects every write acknowledged before the read began.
	ReadConsistency_READ_CONSISTENCY_UNSPECIFIED  ReadConsistency = 0
	ReadConsistency_READ_CONSISTENCY_LINEARIZABLE ReadConsistency = 1
	// Stale: served by any replica from its applied state; may lag the leader.
	ReadConsistency_READ_CONSISTENCY_STALE ReadConsistency = 2
)

// Enum value maps for ReadConsistency.
var (
	ReadConsistency_name = map[int32]string{
		0: "READ_CONSISTENCY_UNSPECIFIED",
		1: "READ_CONSISTENCY_LINEARIZABLE",
		2: "READ_CONSISTENCY_STALE",
	}
	ReadConsistency_value = map[string]int32{
		"READ_CONSISTENCY_UNSPECIFIED":  0,
		"READ_CONSISTENCY_LINEARIZABLE": 1,
		"READ_CONSISTENCY_STALE":        2,
	}
)

func (x ReadConsistency) Enum() *ReadConsistency {
	p := new(ReadConsistency)
	*p = x
	return p
}

func (x ReadConsistency) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (ReadConsistency) Descriptor() protoreflect.EnumDescriptor {
	return file_api_boxoffice_v1_boxoffice_proto_enumTypes[3].Descriptor()
}

func (ReadConsistency) Type() protoreflect.EnumType {
	return &file_api_boxoffice_v1_boxoffice_proto_enumTypes[3]
}

func (x ReadConsistency) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use ReadConsistency.Descriptor instead.
func (ReadConsistency) EnumDescriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{3}
}

// SeatMapView is how much detail a seat map carries. Every view has the
// section and pool counts and the shard positions.
type SeatMapView int32

const (
	SeatMapView_SEAT_MAP_VIEW_UNSPECIFIED SeatMapView = 0
	// Every seat as a Seat message, with its hold or order: for operators.
	SeatMapView_SEAT_MAP_VIEW_FULL SeatMapView = 1
	// Per row, one state byte per seat (RowState.states and
	// first_seat_number) and no Seat messages: the fan-facing seat map, about
	// 30 times smaller than FULL and served from a cache that is rebuilt only
	// when the shard changes.
	SeatMapView_SEAT_MAP_VIEW_AVAILABILITY SeatMapView = 2
	// Counts per section and pool, no rows.
	SeatMapView_SEAT_MAP_VIEW_SUMMARY SeatMapView = 3
)

// Enum value maps for SeatMapView.
var (
	SeatMapView_name = map[int32]string{
		0: "SEAT_MAP_VIEW_UNSPECIFIED",
		1: "SEAT_MAP_VIEW_FULL",
		2: "SEAT_MAP_VIEW_AVAILABILITY",
		3: "SEAT_MAP_VIEW_SUMMARY",
	}
	SeatMapView_value = map[string]int32{
		"SEAT_MAP_VIEW_UNSPECIFIED":  0,
		"SEAT_MAP_VIEW_FULL":         1,
		"SEAT_MAP_VIEW_AVAILABILITY": 2,
		"SEAT_MAP_VIEW_SUMMARY":      3,
	}
)

func (x SeatMapView) Enum() *SeatMapView {
	p := new(SeatMapView)
	*p = x
	return p
}

func (x SeatMapView) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (SeatMapView) Descriptor() protoreflect.EnumDescriptor {
	return file_api_boxoffice_v1_boxoffice_proto_enumTypes[4].Descriptor()
}

func (SeatMapView) Type() protoreflect.EnumType {
	return &file_api_boxoffice_v1_boxoffice_proto_enumTypes[4]
}

func (x SeatMapView) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use SeatMapView.Descriptor instead.
func (SeatMapView) EnumDescriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{4}
}

type RecordOp_Kind int32

const (
	RecordOp_KIND_UNSPECIFIED RecordOp_Kind = 0
	// PUT writes value if the key's version is expected_version (0: the
	// key must not exist); any_version: whatever it is, created if missing.
	RecordOp_KIND_PUT RecordOp_Kind = 1
	// DELETE removes the key if its version is expected_version (0 is
	// refused); any_version: if it exists at all, and a missing key is
	// then no refusal. Otherwise a missing key is NOT_FOUND.
	RecordOp_KIND_DELETE RecordOp_Kind = 2
	// ADD adds delta to the counter under key within [min, max], as Add.
	RecordOp_KIND_ADD RecordOp_Kind = 3
	// CHECK writes nothing: it refuses the batch unless the key's version
	// is expected_version (0: the key must not exist); any_version always
	// passes and reports the version.
	RecordOp_KIND_CHECK RecordOp_Kind = 4
)

// Enum value maps for RecordOp_Kind.
var (
	RecordOp_Kind_name = map[int32]string{
		0: "KIND_UNSPECIFIED",
		1: "KIND_PUT",
		2: "KIND_DELETE",
		3: "KIND_ADD",
		4: "KIND_CHECK",
	}
	RecordOp_Kind_value = map[string]int32{
		"KIND_UNSPECIFIED": 0,
		"KIND_PUT":         1,
		"KIND_DELETE":      2,
		"KIND_ADD":         3,
		"KIND_CHECK":       4,
	}
)

func (x RecordOp_Kind) Enum() *RecordOp_Kind {
	p := new(RecordOp_Kind)
	*p = x
	return p
}

func (x RecordOp_Kind) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (RecordOp_Kind) Descriptor() protoreflect.EnumDescriptor {
	return file_api_boxoffice_v1_boxoffice_proto_enumTypes[5].Descriptor()
}

func (RecordOp_Kind) Type() protoreflect.EnumType {
	return &file_api_boxoffice_v1_boxoffice_proto_enumTypes[5]
}

func (x RecordOp_Kind) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use RecordOp_Kind.Descriptor instead.
func (RecordOp_Kind) EnumDescriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{81, 0}
}

type PriceTier struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	PriceCents    int64                  `protobuf:"varint,2,opt,name=price_cents,json=priceCents,proto3" json:"price_cents,omitempty"`
	Currency      string                 `protobuf:"bytes,3,opt,name=currency,proto3" json:"currency,omitempty"` // ISO 4217, e.g. "USD"
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PriceTier) Reset() {
	*x = PriceTier{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[0]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PriceTier) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PriceTier) ProtoMessage() {}

func (x *PriceTier) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[0]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PriceTier.ProtoReflect.Descriptor instead.
func (*PriceTier) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{0}
}

func (x *PriceTier) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *PriceTier) GetPriceCents() int64 {
	if x != nil {
		return x.PriceCents
	}
	return 0
}

func (x *PriceTier) GetCurrency() string {
	if x != nil {
		return x.Currency
	}
	return ""
}

// Row: seats numbered first_number .. first_number+seat_count-1, left to right
// seen from the stage. A seat's id is "<section id>-<row label>-<number>".
type Row struct {
	state          protoimpl.MessageState `protogen:"open.v1"`
	Label          string                 `protobuf:"bytes,1,opt,name=label,proto3" json:"label,omitempty"`
	SeatCount      uint32                 `protobuf:"varint,2,opt,name=seat_count,json=seatCount,proto3" json:"seat_count,omitempty"`
	FirstNumber    uint32                 `protobuf:"varint,3,opt,name=first_number,json=firstNumber,proto3" json:"first_number,omitempty"` // 0 means 1
	PriceTier      string                 `protobuf:"bytes,4,opt,name=price_tier,json=priceTier,proto3" json:"price_tier,omitempty"`        // empty: the section's tier
	AisleAfter     []uint32               `protobuf:"varint,5,rep,packed,name=aisle_after,json=aisleAfter,proto3" json:"aisle_after,omitempty"`
	Accessible     []uint32               `protobuf:"varint,6,rep,packed,name=accessible,proto3" json:"accessible,omitempty"`
	RestrictedView []uint32               `protobuf:"varint,7,rep,packed,name=restricted_view,json=restrictedView,proto3" json:"restricted_view,omitempty"`
	unknownFields  protoimpl.UnknownFields
	sizeCache      protoimpl.SizeCache
}

func (x *Row) Reset() {
	*x = Row{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[1]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Row) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Row) ProtoMessage() {}

func (x *Row) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[1]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Row.ProtoReflect.Descriptor instead.
func (*Row) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{1}
}

func (x *Row) GetLabel() string {
	if x != nil {
		return x.Label
	}
	return ""
}

func (x *Row) GetSeatCount() uint32 {
	if x != nil {
		return x.SeatCount
	}
	return 0
}

func (x *Row) GetFirstNumber() uint32 {
	if x != nil {
		return x.FirstNumber
	}
	return 0
}

func (x *Row) GetPriceTier() string {
	if x != nil {
		return x.PriceTier
	}
	return ""
}

func (x *Row) GetAisleAfter() []uint32 {
	if x != nil {
		return x.AisleAfter
	}
	return nil
}

func (x *Row) GetAccessible() []uint32 {
	if x != nil {
		return x.Accessible
	}
	return nil
}

func (x *Row) GetRestrictedView() []uint32 {
	if x != nil {
		return x.RestrictedView
	}
	return nil
}

// Section: rows listed closest to the stage first. Ids and labels must not contain '-'.
type Section struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Name          string                 `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	PriceTier     string                 `protobuf:"bytes,3,opt,name=price_tier,json=priceTier,proto3" json:"price_tier,omitempty"`
	Rows          []*Row                 `protobuf:"bytes,4,rep,name=rows,proto3" json:"rows,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Section) Reset() {
	*x = Section{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[2]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Section) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Section) ProtoMessage() {}

func (x *Section) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[2]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Section.ProtoReflect.Descriptor instead.
func (*Section) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{2}
}

func (x *Section) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *Section) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *Section) GetPriceTier() string {
	if x != nil {
		return x.PriceTier
	}
	return ""
}

func (x *Section) GetRows() []*Row {
	if x != nil {
		return x.Rows
	}
	return nil
}

type GeneralAdmissionPool struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Name          string                 `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	Capacity      uint32                 `protobuf:"varint,3,opt,name=capacity,proto3" json:"capacity,omitempty"`
	PriceTier     string                 `protobuf:"bytes,4,opt,name=price_tier,json=priceTier,proto3" json:"price_tier,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GeneralAdmissionPool) Reset() {
	*x = GeneralAdmissionPool{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[3]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GeneralAdmissionPool) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GeneralAdmissionPool) ProtoMessage() {}

func (x *GeneralAdmissionPool) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[3]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GeneralAdmissionPool.ProtoReflect.Descriptor instead.
func (*GeneralAdmissionPool) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{3}
}

func (x *GeneralAdmissionPool) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *GeneralAdmissionPool) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *GeneralAdmissionPool) GetCapacity() uint32 {
	if x != nil {
		return x.Capacity
	}
	return 0
}

func (x *GeneralAdmissionPool) GetPriceTier() string {
	if x != nil {
		return x.PriceTier
	}
	return ""
}

type Venue struct {
	state         protoimpl.MessageState  `protogen:"open.v1"`
	Name          string                  `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	PriceTiers    []*PriceTier            `protobuf:"bytes,2,rep,name=price_tiers,json=priceTiers,proto3" json:"price_tiers,omitempty"`
	Sections      []*Section              `protobuf:"bytes,3,rep,name=sections,proto3" json:"sections,omitempty"`
	Pools         []*GeneralAdmissionPool `protobuf:"bytes,4,rep,name=pools,proto3" json:"pools,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Venue) Reset() {
	*x = Venue{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[4]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Venue) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Venue) ProtoMessage() {}

func (x *Venue) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[4]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Venue.ProtoReflect.Descriptor instead.
func (*Venue) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{4}
}

func (x *Venue) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *Venue) GetPriceTiers() []*PriceTier {
	if x != nil {
		return x.PriceTiers
	}
	return nil
}

func (x *Venue) GetSections() []*Section {
	if x != nil {
		return x.Sections
	}
	return nil
}

func (x *Venue) GetPools() []*GeneralAdmissionPool {
	if x != nil {
		return x.Pools
	}
	return nil
}

// EventPolicy bounds holds. Zero fields take the documented defaults.
type EventPolicy struct {
	state             protoimpl.MessageState `protogen:"open.v1"`
	HoldTtlDefaultMs  int64                  `protobuf:"varint,1,opt,name=hold_ttl_default_ms,json=holdTtlDefaultMs,proto3" json:"hold_ttl_default_ms,omitempty"`    // default 600000 (10 minutes)
	HoldTtlMaxMs      int64                  `protobuf:"varint,2,opt,name=hold_ttl_max_ms,json=holdTtlMaxMs,proto3" json:"hold_ttl_max_ms,omitempty"`                // default 1800000
	HoldLifetimeMaxMs int64                  `protobuf:"varint,3,opt,name=hold_lifetime_max_ms,json=holdLifetimeMaxMs,proto3" json:"hold_lifetime_max_ms,omitempty"` // default 3600000: extensions never go past created + this
	SeatsPerHoldMax   uint32                 `protobuf:"varint,4,opt,name=seats_per_hold_max,json=seatsPerHoldMax,proto3" json:"seats_per_hold_max,omitempty"`       // default 20
	unknownFields     protoimpl.UnknownFields
	sizeCache         protoimpl.SizeCache
}

func (x *EventPolicy) Reset() {
	*x = EventPolicy{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[5]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *EventPolicy) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*EventPolicy) ProtoMessage() {}

func (x *EventPolicy) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[5]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use EventPolicy.ProtoReflect.Descriptor instead.
func (*EventPolicy) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{5}
}

func (x *EventPolicy) GetHoldTtlDefaultMs() int64 {
	if x != nil {
		return x.HoldTtlDefaultMs
	}
	return 0
}

func (x *EventPolicy) GetHoldTtlMaxMs() int64 {
	if x != nil {
		return x.HoldTtlMaxMs
	}
	return 0
}

func (x *EventPolicy) GetHoldLifetimeMaxMs() int64 {
	if x != nil {
		return x.HoldLifetimeMaxMs
	}
	return 0
}

func (x *EventPolicy) GetSeatsPerHoldMax() uint32 {
	if x != nil {
		return x.SeatsPerHoldMax
	}
	return 0
}

type Event struct {
	state                    protoimpl.MessageState `protogen:"open.v1"`
	EventId                  string                 `protobuf:"bytes,1,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	Name                     string                 `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	Status                   EventStatus            `protobuf:"varint,3,opt,name=status,proto3,enum=boxoffice.v1.EventStatus" json:"status,omitempty"`
	Policy                   *EventPolicy           `protobuf:"bytes,4,opt,name=policy,proto3" json:"policy,omitempty"`
	Venue                    *Venue                 `protobuf:"bytes,5,opt,name=venue,proto3" json:"venue,omitempty"`
	ShardCount               uint32                 `protobuf:"varint,6,opt,name=shard_count,json=shardCount,proto3" json:"shard_count,omitempty"`
	CreatedAtUnixMs          int64                  `protobuf:"varint,7,opt,name=created_at_unix_ms,json=createdAtUnixMs,proto3" json:"created_at_unix_ms,omitempty"`
	SeatCount                uint32                 `protobuf:"varint,8,opt,name=seat_count,json=seatCount,proto3" json:"seat_count,omitempty"`
	GeneralAdmissionCapacity uint32                 `protobuf:"varint,9,opt,name=general_admission_capacity,json=generalAdmissionCapacity,proto3" json:"general_admission_capacity,omitempty"`
	// The survival goal and home region the event was created with
	// (CreateEventRequest.survive, home_region).
	Survive    SurvivalGoal `protobuf:"varint,10,opt,name=survive,proto3,enum=boxoffice.v1.SurvivalGoal" json:"survive,omitempty"`
	HomeRegion string       `protobuf:"bytes,11,opt,name=home_region,json=homeRegion,proto3" json:"home_region,omitempty"`
	// The data groups the event's shards are placed on.
	GroupCount    uint32 `protobuf:"varint,12,opt,name=group_count,json=groupCount,proto3" json:"group_count,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Event) Reset() {
	*x = Event{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[6]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Event) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Event) ProtoMessage() {}

func (x *Event) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[6]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Event.ProtoReflect.Descriptor instead.
func (*Event) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{6}
}

func (x *Event) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *Event) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *Event) GetStatus() EventStatus {
	if x != nil {
		return x.Status
	}
	return EventStatus_EVENT_STATUS_UNSPECIFIED
}

func (x *Event) GetPolicy() *EventPolicy {
	if x != nil {
		return x.Policy
	}
	return nil
}

func (x *Event) GetVenue() *Venue {
	if x != nil {
		return x.Venue
	}
	return nil
}

func (x *Event) GetShardCount() uint32 {
	if x != nil {
		return x.ShardCount
	}
	return 0
}

func (x *Event) GetCreatedAtUnixMs() int64 {
	if x != nil {
		return x.CreatedAtUnixMs
	}
	return 0
}

func (x *Event) GetSeatCount() uint32 {
	if x != nil {
		return x.SeatCount
	}
	return 0
}

func (x *Event) GetGeneralAdmissionCapacity() uint32 {
	if x != nil {
		return x.GeneralAdmissionCapacity
	}
	return 0
}

func (x *Event) GetSurvive() SurvivalGoal {
	if x != nil {
		return x.Survive
	}
	return SurvivalGoal_SURVIVAL_GOAL_UNSPECIFIED
}

func (x *Event) GetHomeRegion() string {
	if x != nil {
		return x.HomeRegion
	}
	return ""
}

func (x *Event) GetGroupCount() uint32 {
	if x != nil {
		return x.GroupCount
	}
	return 0
}

type Seat struct {
	state               protoimpl.MessageState `protogen:"open.v1"`
	SeatId              string                 `protobuf:"bytes,1,opt,name=seat_id,json=seatId,proto3" json:"seat_id,omitempty"`
	Number              uint32                 `protobuf:"varint,2,opt,name=number,proto3" json:"number,omitempty"`
	PriceTier           string                 `protobuf:"bytes,3,opt,name=price_tier,json=priceTier,proto3" json:"price_tier,omitempty"`
	Accessible          bool                   `protobuf:"varint,4,opt,name=accessible,proto3" json:"accessible,omitempty"`
	RestrictedView      bool                   `protobuf:"varint,5,opt,name=restricted_view,json=restrictedView,proto3" json:"restricted_view,omitempty"`
	AisleAfter          bool                   `protobuf:"varint,6,opt,name=aisle_after,json=aisleAfter,proto3" json:"aisle_after,omitempty"`
	State               SeatState              `protobuf:"varint,7,opt,name=state,proto3,enum=boxoffice.v1.SeatState" json:"state,omitempty"`
	HoldId              string                 `protobuf:"bytes,8,opt,name=hold_id,json=holdId,proto3" json:"hold_id,omitempty"`
	Holder              string                 `protobuf:"bytes,9,opt,name=holder,proto3" json:"holder,omitempty"`
	HoldExpiresAtUnixMs int64                  `protobuf:"varint,10,opt,name=hold_expires_at_unix_ms,json=holdExpiresAtUnixMs,proto3" json:"hold_expires_at_unix_ms,omitempty"`
	OrderId             string                 `protobuf:"bytes,11,opt,name=order_id,json=orderId,proto3" json:"order_id,omitempty"`
	Buyer               string                 `protobuf:"bytes,12,opt,name=buyer,proto3" json:"buyer,omitempty"`
	TicketId            string                 `protobuf:"bytes,13,opt,name=ticket_id,json=ticketId,proto3" json:"ticket_id,omitempty"`
	unknownFields       protoimpl.UnknownFields
	sizeCache           protoimpl.SizeCache
}

func (x *Seat) Reset() {
	*x = Seat{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[7]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Seat) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Seat) ProtoMessage() {}

func (x *Seat) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[7]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Seat.ProtoReflect.Descriptor instead.
func (*Seat) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{7}
}

func (x *Seat) GetSeatId() string {
	if x != nil {
		return x.SeatId
	}
	return ""
}

func (x *Seat) GetNumber() uint32 {
	if x != nil {
		return x.Number
	}
	return 0
}

func (x *Seat) GetPriceTier() string {
	if x != nil {
		return x.PriceTier
	}
	return ""
}

func (x *Seat) GetAccessible() bool {
	if x != nil {
		return x.Accessible
	}
	return false
}

func (x *Seat) GetRestrictedView() bool {
	if x != nil {
		return x.RestrictedView
	}
	return false
}

func (x *Seat) GetAisleAfter() bool {
	if x != nil {
		return x.AisleAfter
	}
	return false
}

func (x *Seat) GetState() SeatState {
	if x != nil {
		return x.State
	}
	return SeatState_SEAT_STATE_UNSPECIFIED
}

func (x *Seat) GetHoldId() string {
	if x != nil {
		return x.HoldId
	}
	return ""
}

func (x *Seat) GetHolder() string {
	if x != nil {
		return x.Holder
	}
	return ""
}

func (x *Seat) GetHoldExpiresAtUnixMs() int64 {
	if x != nil {
		return x.HoldExpiresAtUnixMs
	}
	return 0
}

func (x *Seat) GetOrderId() string {
	if x != nil {
		return x.OrderId
	}
	return ""
}

func (x *Seat) GetBuyer() string {
	if x != nil {
		return x.Buyer
	}
	return ""
}

func (x *Seat) GetTicketId() string {
	if x != nil {
		return x.TicketId
	}
	return ""
}

type RowState struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	Label string                 `protobuf:"bytes,1,opt,name=label,proto3" json:"label,omitempty"`
	Seats []*Seat                `protobuf:"bytes,2,rep,name=seats,proto3" json:"seats,omitempty"` // SEAT_MAP_VIEW_FULL only
	// SEAT_MAP_VIEW_AVAILABILITY only: the state of every seat of the row,
	// left to right as seen from the stage, one byte per seat holding the
	// SeatState number (1 AVAILABLE, 2 HELD, 3 SOLD; any other value is a
	// state this client does not know: show it as unavailable). Seat k (from
	// 0) has number first_seat_number + k and id
	// "<section id>-<row label>-<number>"; its static attributes (price tier,
	// accessible, aisle) are in the event's Venue (GetEvent). A HELD seat
	// may belong to an expired hold not yet swept.
	States          []byte `protobuf:"bytes,3,opt,name=states,proto3" json:"states,omitempty"`
	FirstSeatNumber uint32 `protobuf:"varint,4,opt,name=first_seat_number,json=firstSeatNumber,proto3" json:"first_seat_number,omitempty"` // SEAT_MAP_VIEW_AVAILABILITY only
	unknownFields   protoimpl.UnknownFields
	sizeCache       protoimpl.SizeCache
}

func (x *RowState) Reset() {
	*x = RowState{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[8]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RowState) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RowState) ProtoMessage() {}

func (x *RowState) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[8]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RowState.ProtoReflect.Descriptor instead.
func (*RowState) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{8}
}

func (x *RowState) GetLabel() string {
	if x != nil {
		return x.Label
	}
	return ""
}

func (x *RowState) GetSeats() []*Seat {
	if x != nil {
		return x.Seats
	}
	return nil
}

func (x *RowState) GetStates() []byte {
	if x != nil {
		return x.States
	}
	return nil
}

func (x *RowState) GetFirstSeatNumber() uint32 {
	if x != nil {
		return x.FirstSeatNumber
	}
	return 0
}

type SectionState struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Name          string                 `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	Shard         uint32                 `protobuf:"varint,3,opt,name=shard,proto3" json:"shard,omitempty"`
	Rows          []*RowState            `protobuf:"bytes,4,rep,name=rows,proto3" json:"rows,omitempty"`
	Available     uint32                 `protobuf:"varint,5,opt,name=available,proto3" json:"available,omitempty"`
	Held          uint32                 `protobuf:"varint,6,opt,name=held,proto3" json:"held,omitempty"`
	Sold          uint32                 `protobuf:"varint,7,opt,name=sold,proto3" json:"sold,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *SectionState) Reset() {
	*x = SectionState{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[9]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *SectionState) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*SectionState) ProtoMessage() {}

func (x *SectionState) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[9]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use SectionState.ProtoReflect.Descriptor instead.
func (*SectionState) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{9}
}

func (x *SectionState) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *SectionState) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *SectionState) GetShard() uint32 {
	if x != nil {
		return x.Shard
	}
	return 0
}

func (x *SectionState) GetRows() []*RowState {
	if x != nil {
		return x.Rows
	}
	return nil
}

func (x *SectionState) GetAvailable() uint32 {
	if x != nil {
		return x.Available
	}
	return 0
}

func (x *SectionState) GetHeld() uint32 {
	if x != nil {
		return x.Held
	}
	return 0
}

func (x *SectionState) GetSold() uint32 {
	if x != nil {
		return x.Sold
	}
	return 0
}

type PoolState struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Name          string                 `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	Shard         uint32                 `protobuf:"varint,3,opt,name=shard,proto3" json:"shard,omitempty"`
	Capacity      uint32                 `protobuf:"varint,4,opt,name=capacity,proto3" json:"capacity,omitempty"`
	Held          uint32                 `protobuf:"varint,5,opt,name=held,proto3" json:"held,omitempty"`
	Sold          uint32                 `protobuf:"varint,6,opt,name=sold,proto3" json:"sold,omitempty"`
	PriceTier     string                 `protobuf:"bytes,7,opt,name=price_tier,json=priceTier,proto3" json:"price_tier,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PoolState) Reset() {
	*x = PoolState{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[10]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PoolState) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PoolState) ProtoMessage() {}

func (x *PoolState) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[10]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PoolState.ProtoReflect.Descriptor instead.
func (*PoolState) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{10}
}

func (x *PoolState) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *PoolState) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *PoolState) GetShard() uint32 {
	if x != nil {
		return x.Shard
	}
	return 0
}

func (x *PoolState) GetCapacity() uint32 {
	if x != nil {
		return x.Capacity
	}
	return 0
}

func (x *PoolState) GetHeld() uint32 {
	if x != nil {
		return x.Held
	}
	return 0
}

func (x *PoolState) GetSold() uint32 {
	if x != nil {
		return x.Sold
	}
	return 0
}

func (x *PoolState) GetPriceTier() string {
	if x != nil {
		return x.PriceTier
	}
	return ""
}

// ShardPosition is a point in one shard's change stream.
type ShardPosition struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Shard         uint32                 `protobuf:"varint,1,opt,name=shard,proto3" json:"shard,omitempty"`
	Sequence      uint64                 `protobuf:"varint,2,opt,name=sequence,proto3" json:"sequence,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ShardPosition) Reset() {
	*x = ShardPosition{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[11]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ShardPosition) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ShardPosition) ProtoMessage() {}

func (x *ShardPosition) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[11]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ShardPosition.ProtoReflect.Descriptor instead.
func (*ShardPosition) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{11}
}

func (x *ShardPosition) GetShard() uint32 {
	if x != nil {
		return x.Shard
	}
	return 0
}

func (x *ShardPosition) GetSequence() uint64 {
	if x != nil {
		return x.Sequence
	}
	return 0
}

type SeatMap struct {
	state    protoimpl.MessageState `protogen:"open.v1"`
	EventId  string                 `protobuf:"bytes,1,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	Sections []*SectionState        `protobuf:"bytes,2,rep,name=sections,proto3" json:"sections,omitempty"`
	Pools    []*PoolState           `protobuf:"bytes,3,rep,name=pools,proto3" json:"pools,omitempty"`
	// The change-stream position of each shard this map reflects: pass it to
	// Watch to receive exactly the changes after this map.
	Positions     []*ShardPosition `protobuf:"bytes,4,rep,name=positions,proto3" json:"positions,omitempty"`
	Available     uint32           `protobuf:"varint,5,opt,name=available,proto3" json:"available,omitempty"`
	Held          uint32           `protobuf:"varint,6,opt,name=held,proto3" json:"held,omitempty"`
	Sold          uint32           `protobuf:"varint,7,opt,name=sold,proto3" json:"sold,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *SeatMap) Reset() {
	*x = SeatMap{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[12]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *SeatMap) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*SeatMap) ProtoMessage() {}

func (x *SeatMap) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[12]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use SeatMap.ProtoReflect.Descriptor instead.
func (*SeatMap) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{12}
}

func (x *SeatMap) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *SeatMap) GetSections() []*SectionState {
	if x != nil {
		return x.Sections
	}
	return nil
}

func (x *SeatMap) GetPools() []*PoolState {
	if x != nil {
		return x.Pools
	}
	return nil
}

func (x *SeatMap) GetPositions() []*ShardPosition {
	if x != nil {
		return x.Positions
	}
	return nil
}

func (x *SeatMap) GetAvailable() uint32 {
	if x != nil {
		return x.Available
	}
	return 0
}

func (x *SeatMap) GetHeld() uint32 {
	if x != nil {
		return x.Held
	}
	return 0
}

func (x *SeatMap) GetSold() uint32 {
	if x != nil {
		return x.Sold
	}
	return 0
}

type CreateEventRequest struct {
	state     protoimpl.MessageState `protogen:"open.v1"`
	RequestId string                 `protobuf:"bytes,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	EventId   string                 `protobuf:"bytes,2,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"` // [a-z0-9_.]{1,64}, chosen by the caller
	Name      string                 `protobuf:"bytes,3,opt,name=name,proto3" json:"name,omitempty"`
	Venue     *Venue                 `protobuf:"bytes,4,opt,name=venue,proto3" json:"venue,omitempty"`
	Policy    *EventPolicy           `protobuf:"bytes,5,opt,name=policy,proto3" json:"policy,omitempty"`
	// Shards the seat map is split into; 0: one per group the event spans
	// (group_count), never more than one per section/pool.
	ShardCount uint32 `protobuf:"varint,6,opt,name=shard_count,json=shardCount,proto3" json:"shard_count,omitempty"`
	// Data groups the event's shards are placed on. 1: the whole event
	// lives in one group, so the commands of an on-sale share Raft entries
	// and fsyncs (the fastest layout while one group's leader has CPU to
	// spare); more spreads a very large event's load over more leaders.
	// Events are placed on groups round robin, so many events still spread.
	// At most the number of data groups that meet the survival goal.
	//
	// 0: chosen from the venue's size: one group per 500,000 seats (seats
	// plus general-admission capacity; the node's --seats-per-group),
	// rounded up, at least 1 and at most the number of data groups that
	// meet the survival goal. Below that size one group is the fastest
	// layout (docs/capacity.md); past it a group's snapshot, restart and
	// memory grow with its seats, so a bigger event spreads.
	GroupCount uint32 `protobuf:"varint,7,opt,name=group_count,json=groupCount,proto3" json:"group_count,omitempty"`
	// The failure the event must survive (SurvivalGoal); UNSPECIFIED is
	// the cluster's default.
	Survive SurvivalGoal `protobuf:"varint,8,opt,name=survive,proto3,enum=boxoffice.v1.SurvivalGoal" json:"survive,omitempty"`
	// home_region, when set, is the region (first locality tier) the
	// event's groups are led from, so its commands commit near its fans:
	// groups already led from there come first, then groups with a replica
	// there that no event homed elsewhere needs (that replica becomes the
	// preferred leader). INVALID_ARGUMENT when no node runs in the region;
	// FAILED_PRECONDITION (SURVIVAL_GOAL_UNMET) when too few groups meet
	// both the goal and the home.
	HomeRegion    string `protobuf:"bytes,9,opt,name=home_region,json=homeRegion,proto3" json:"home_region,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateEventRequest) Reset() {
	*x = CreateEventRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[13]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateEventRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateEventRequest) ProtoMessage() {}

func (x *CreateEventRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[13]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateEventRequest.ProtoReflect.Descriptor instead.
func (*CreateEventRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{13}
}

func (x *CreateEventRequest) GetRequestId() string {
	if x != nil {
		return x.RequestId
	}
	return ""
}

func (x *CreateEventRequest) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *CreateEventRequest) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *CreateEventRequest) GetVenue() *Venue {
	if x != nil {
		return x.Venue
	}
	return nil
}

func (x *CreateEventRequest) GetPolicy() *EventPolicy {
	if x != nil {
		return x.Policy
	}
	return nil
}

func (x *CreateEventRequest) GetShardCount() uint32 {
	if x != nil {
		return x.ShardCount
	}
	return 0
}

func (x *CreateEventRequest) GetGroupCount() uint32 {
	if x != nil {
		return x.GroupCount
	}
	return 0
}

func (x *CreateEventRequest) GetSurvive() SurvivalGoal {
	if x != nil {
		return x.Survive
	}
	return SurvivalGoal_SURVIVAL_GOAL_UNSPECIFIED
}

func (x *CreateEventRequest) GetHomeRegion() string {
	if x != nil {
		return x.HomeRegion
	}
	return ""
}

type CreateEventResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Event         *Event                 `protobuf:"bytes,1,opt,name=event,proto3" json:"event,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateEventResponse) Reset() {
	*x = CreateEventResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[14]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateEventResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateEventResponse) ProtoMessage() {}

func (x *CreateEventResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[14]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateEventResponse.ProtoReflect.Descriptor instead.
func (*CreateEventResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{14}
}

func (x *CreateEventResponse) GetEvent() *Event {
	if x != nil {
		return x.Event
	}
	return nil
}

type GetEventRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	EventId       string                 `protobuf:"bytes,1,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetEventRequest) Reset() {
	*x = GetEventRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[15]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetEventRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetEventRequest) ProtoMessage() {}

func (x *GetEventRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[15]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetEventRequest.ProtoReflect.Descriptor instead.
func (*GetEventRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{15}
}

func (x *GetEventRequest) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

type ListEventsRequest struct {
	state     protoimpl.MessageState `protogen:"open.v1"`
	PageSize  uint32                 `protobuf:"varint,1,opt,name=page_size,json=pageSize,proto3" json:"page_size,omitempty"` // default 50, max 500
	PageToken string                 `protobuf:"bytes,2,opt,name=page_token,json=pageToken,proto3" json:"page_token,omitempty"`
	// Archived events are listed only when asked.
	IncludeArchived bool `protobuf:"varint,3,opt,name=include_archived,json=includeArchived,proto3" json:"include_archived,omitempty"`
	unknownFields   protoimpl.UnknownFields
	sizeCache       protoimpl.SizeCache
}

func (x *ListEventsRequest) Reset() {
	*x = ListEventsRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[16]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListEventsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListEventsRequest) ProtoMessage() {}

func (x *ListEventsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[16]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListEventsRequest.ProtoReflect.Descriptor instead.
func (*ListEventsRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{16}
}

func (x *ListEventsRequest) GetPageSize() uint32 {
	if x != nil {
		return x.PageSize
	}
	return 0
}

func (x *ListEventsRequest) GetPageToken() string {
	if x != nil {
		return x.PageToken
	}
	return ""
}

func (x *ListEventsRequest) GetIncludeArchived() bool {
	if x != nil {
		return x.IncludeArchived
	}
	return false
}

// DeleteEventRequest archives an event (see DeleteEvent).
type DeleteEventRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	RequestId     string                 `protobuf:"bytes,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	EventId       string                 `protobuf:"bytes,2,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DeleteEventRequest) Reset() {
	*x = DeleteEventRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[17]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeleteEventRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeleteEventRequest) ProtoMessage() {}

func (x *DeleteEventRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[17]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeleteEventRequest.ProtoReflect.Descriptor instead.
func (*DeleteEventRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{17}
}

func (x *DeleteEventRequest) GetRequestId() string {
	if x != nil {
		return x.RequestId
	}
	return ""
}

func (x *DeleteEventRequest) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

type DeleteEventResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Event         *Event                 `protobuf:"bytes,1,opt,name=event,proto3" json:"event,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DeleteEventResponse) Reset() {
	*x = DeleteEventResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[18]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeleteEventResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeleteEventResponse) ProtoMessage() {}

func (x *DeleteEventResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[18]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeleteEventResponse.ProtoReflect.Descriptor instead.
func (*DeleteEventResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{18}
}

func (x *DeleteEventResponse) GetEvent() *Event {
	if x != nil {
		return x.Event
	}
	return nil
}

type ListEventsResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Events        []*Event               `protobuf:"bytes,1,rep,name=events,proto3" json:"events,omitempty"` // venue omitted; GetEvent has it
	NextPageToken string                 `protobuf:"bytes,2,opt,name=next_page_token,json=nextPageToken,proto3" json:"next_page_token,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListEventsResponse) Reset() {
	*x = ListEventsResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[19]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListEventsResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListEventsResponse) ProtoMessage() {}

func (x *ListEventsResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[19]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListEventsResponse.ProtoReflect.Descriptor instead.
func (*ListEventsResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{19}
}

func (x *ListEventsResponse) GetEvents() []*Event {
	if x != nil {
		return x.Events
	}
	return nil
}

func (x *ListEventsResponse) GetNextPageToken() string {
	if x != nil {
		return x.NextPageToken
	}
	return ""
}

type GetSeatMapRequest struct {
	state       protoimpl.MessageState `protogen:"open.v1"`
	EventId     string                 `protobuf:"bytes,1,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	Consistency ReadConsistency        `protobuf:"varint,2,opt,name=consistency,proto3,enum=boxoffice.v1.ReadConsistency" json:"consistency,omitempty"`
	SectionIds  []string               `protobuf:"bytes,3,rep,name=section_ids,json=sectionIds,proto3" json:"section_ids,omitempty"` // empty: every section and pool
	// Counts only, no per-seat detail: the same as view SUMMARY. Kept for
	// older callers; with it set, view must be UNSPECIFIED or SUMMARY.
	SummaryOnly bool `protobuf:"varint,4,opt,name=summary_only,json=summaryOnly,proto3" json:"summary_only,omitempty"`
	// How much of each section to return (UNSPECIFIED: FULL, or SUMMARY
	// when summary_only is set). An unknown value is INVALID_ARGUMENT.
	View          SeatMapView `protobuf:"varint,5,opt,name=view,proto3,enum=boxoffice.v1.SeatMapView" json:"view,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetSeatMapRequest) Reset() {
	*x = GetSeatMapRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[20]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetSeatMapRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetSeatMapRequest) ProtoMessage() {}

func (x *GetSeatMapRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[20]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetSeatMapRequest.ProtoReflect.Descriptor instead.
func (*GetSeatMapRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{20}
}

func (x *GetSeatMapRequest) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *GetSeatMapRequest) GetConsistency() ReadConsistency {
	if x != nil {
		return x.Consistency
	}
	return ReadConsistency_READ_CONSISTENCY_UNSPECIFIED
}

func (x *GetSeatMapRequest) GetSectionIds() []string {
	if x != nil {
		return x.SectionIds
	}
	return nil
}

func (x *GetSeatMapRequest) GetSummaryOnly() bool {
	if x != nil {
		return x.SummaryOnly
	}
	return false
}

func (x *GetSeatMapRequest) GetView() SeatMapView {
	if x != nil {
		return x.View
	}
	return SeatMapView_SEAT_MAP_VIEW_UNSPECIFIED
}

type SeatList struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	SeatIds       []string               `protobuf:"bytes,1,rep,name=seat_ids,json=seatIds,proto3" json:"seat_ids,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *SeatList) Reset() {
	*x = SeatList{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[21]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *SeatList) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*SeatList) ProtoMessage() {}

func (x *SeatList) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[21]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use SeatList.ProtoReflect.Descriptor instead.
func (*SeatList) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{21}
}

func (x *SeatList) GetSeatIds() []string {
	if x != nil {
		return x.SeatIds
	}
	return nil
}

type BestAvailable struct {
	state            protoimpl.MessageState `protogen:"open.v1"`
	Quantity         uint32                 `protobuf:"varint,1,opt,name=quantity,proto3" json:"quantity,omitempty"`
	SectionId        string                 `protobuf:"bytes,2,opt,name=section_id,json=sectionId,proto3" json:"section_id,omitempty"` // empty: any section
	PriceTier        string                 `protobuf:"bytes,3,opt,name=price_tier,json=priceTier,proto3" json:"price_tier,omitempty"` // empty: any tier
	AllowAcrossAisle bool                   `protobuf:"varint,4,opt,name=allow_across_aisle,json=allowAcrossAisle,proto3" json:"allow_across_aisle,omitempty"`
	AllowSplitRows   bool                   `protobuf:"varint,5,opt,name=allow_split_rows,json=allowSplitRows,proto3" json:"allow_split_rows,omitempty"`
	AccessibleOnly   bool                   `protobuf:"varint,6,opt,name=accessible_only,json=accessibleOnly,proto3" json:"accessible_only,omitempty"`
	unknownFields    protoimpl.UnknownFields
	sizeCache        protoimpl.SizeCache
}

func (x *BestAvailable) Reset() {
	*x = BestAvailable{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[22]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *BestAvailable) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*BestAvailable) ProtoMessage() {}

func (x *BestAvailable) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[22]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use BestAvailable.ProtoReflect.Descriptor instead.
func (*BestAvailable) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{22}
}

func (x *BestAvailable) GetQuantity() uint32 {
	if x != nil {
		return x.Quantity
	}
	return 0
}

func (x *BestAvailable) GetSectionId() string {
	if x != nil {
		return x.SectionId
	}
	return ""
}

func (x *BestAvailable) GetPriceTier() string {
	if x != nil {
		return x.PriceTier
	}
	return ""
}

func (x *BestAvailable) GetAllowAcrossAisle() bool {
	if x != nil {
		return x.AllowAcrossAisle
	}
	return false
}

func (x *BestAvailable) GetAllowSplitRows() bool {
	if x != nil {
		return x.AllowSplitRows
	}
	return false
}

func (x *BestAvailable) GetAccessibleOnly() bool {
	if x != nil {
		return x.AccessibleOnly
	}
	return false
}

type GeneralAdmission struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	PoolId        string                 `protobuf:"bytes,1,opt,name=pool_id,json=poolId,proto3" json:"pool_id,omitempty"`
	Quantity      uint32                 `protobuf:"varint,2,opt,name=quantity,proto3" json:"quantity,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GeneralAdmission) Reset() {
	*x = GeneralAdmission{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[23]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GeneralAdmission) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GeneralAdmission) ProtoMessage() {}

func (x *GeneralAdmission) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[23]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GeneralAdmission.ProtoReflect.Descriptor instead.
func (*GeneralAdmission) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{23}
}

func (x *GeneralAdmission) GetPoolId() string {
	if x != nil {
		return x.PoolId
	}
	return ""
}

func (x *GeneralAdmission) GetQuantity() uint32 {
	if x != nil {
		return x.Quantity
	}
	return 0
}

type HoldRequest struct {
	state     protoimpl.MessageState `protogen:"open.v1"`
	RequestId string                 `protobuf:"bytes,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	EventId   string                 `protobuf:"bytes,2,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	Holder    string                 `protobuf:"bytes,3,opt,name=holder,proto3" json:"holder,omitempty"`             // who may extend, release and sell the hold
	TtlMs     int64                  `protobuf:"varint,4,opt,name=ttl_ms,json=ttlMs,proto3" json:"ttl_ms,omitempty"` // 0: the event's default
	// Types that are valid to be assigned to Selection:
	//
	//	*HoldRequest_Seats
	//	*HoldRequest_Best
	//	*HoldRequest_GeneralAdmission
	Selection     isHoldRequest_Selection `protobuf_oneof:"selection"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *HoldRequest) Reset() {
	*x = HoldRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[24]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *HoldRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*HoldRequest) ProtoMessage() {}

func (x *HoldRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[24]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use HoldRequest.ProtoReflect.Descriptor instead.
func (*HoldRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{24}
}

func (x *HoldRequest) GetRequestId() string {
	if x != nil {
		return x.RequestId
	}
	return ""
}

func (x *HoldRequest) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *HoldRequest) GetHolder() string {
	if x != nil {
		return x.Holder
	}
	return ""
}

func (x *HoldRequest) GetTtlMs() int64 {
	if x != nil {
		return x.TtlMs
	}
	return 0
}

func (x *HoldRequest) GetSelection() isHoldRequest_Selection {
	if x != nil {
		return x.Selection
	}
	return nil
}

func (x *HoldRequest) GetSeats() *SeatList {
	if x != nil {
		if x, ok := x.Selection.(*HoldRequest_Seats); ok {
			return x.Seats
		}
	}
	return nil
}

func (x *HoldRequest) GetBest() *BestAvailable {
	if x != nil {
		if x, ok := x.Selection.(*HoldRequest_Best); ok {
			return x.Best
		}
	}
	return nil
}

func (x *HoldRequest) GetGeneralAdmission() *GeneralAdmission {
	if x != nil {
		if x, ok := x.Selection.(*HoldRequest_GeneralAdmission); ok {
			return x.GeneralAdmission
		}
	}
	return nil
}

type isHoldRequest_Selection interface {
	isHoldRequest_Selection()
}

type HoldRequest_Seats struct {
	Seats *SeatList `protobuf:"bytes,5,opt,name=seats,proto3,oneof"`
}

type HoldRequest_Best struct {
	Best *BestAvailable `protobuf:"bytes,6,opt,name=best,proto3,oneof"`
}

type HoldRequest_GeneralAdmission struct {
	GeneralAdmission *GeneralAdmission `protobuf:"bytes,7,opt,name=general_admission,json=generalAdmission,proto3,oneof"`
}

func (*HoldRequest_Seats) isHoldRequest_Selection() {}

func (*HoldRequest_Best) isHoldRequest_Selection() {}

func (*HoldRequest_GeneralAdmission) isHoldRequest_Selection() {}

type HoldResponse struct {
	state                    protoimpl.MessageState `protogen:"open.v1"`
	HoldId                   string                 `protobuf:"bytes,1,opt,name=hold_id,json=holdId,proto3" json:"hold_id,omitempty"` // opaque
	EventId                  string                 `protobuf:"bytes,2,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	Holder                   string                 `protobuf:"bytes,3,opt,name=holder,proto3" json:"holder,omitempty"`
	SeatIds                  []string               `protobuf:"bytes,4,rep,name=seat_ids,json=seatIds,proto3" json:"seat_ids,omitempty"`
	GeneralAdmissionQuantity uint32                 `protobuf:"varint,5,opt,name=general_admission_quantity,json=generalAdmissionQuantity,proto3" json:"general_admission_quantity,omitempty"`
	ExpiresAtUnixMs          int64                  `protobuf:"varint,6,opt,name=expires_at_unix_ms,json=expiresAtUnixMs,proto3" json:"expires_at_unix_ms,omitempty"`
	unknownFields            protoimpl.UnknownFields
	sizeCache                protoimpl.SizeCache
}

func (x *HoldResponse) Reset() {
	*x = HoldResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[25]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *HoldResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*HoldResponse) ProtoMessage() {}

func (x *HoldResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[25]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use HoldResponse.ProtoReflect.Descriptor instead.
func (*HoldResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{25}
}

func (x *HoldResponse) GetHoldId() string {
	if x != nil {
		return x.HoldId
	}
	return ""
}

func (x *HoldResponse) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *HoldResponse) GetHolder() string {
	if x != nil {
		return x.Holder
	}
	return ""
}

func (x *HoldResponse) GetSeatIds() []string {
	if x != nil {
		return x.SeatIds
	}
	return nil
}

func (x *HoldResponse) GetGeneralAdmissionQuantity() uint32 {
	if x != nil {
		return x.GeneralAdmissionQuantity
	}
	return 0
}

func (x *HoldResponse) GetExpiresAtUnixMs() int64 {
	if x != nil {
		return x.ExpiresAtUnixMs
	}
	return 0
}

type GetHoldRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	EventId       string                 `protobuf:"bytes,1,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	HoldId        string                 `protobuf:"bytes,2,opt,name=hold_id,json=holdId,proto3" json:"hold_id,omitempty"`
	Consistency   ReadConsistency        `protobuf:"varint,3,opt,name=consistency,proto3,enum=boxoffice.v1.ReadConsistency" json:"consistency,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetHoldRequest) Reset() {
	*x = GetHoldRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[26]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetHoldRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetHoldRequest) ProtoMessage() {}

func (x *GetHoldRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[26]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetHoldRequest.ProtoReflect.Descriptor instead.
func (*GetHoldRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{26}
}

func (x *GetHoldRequest) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *GetHoldRequest) GetHoldId() string {
	if x != nil {
		return x.HoldId
	}
	return ""
}

func (x *GetHoldRequest) GetConsistency() ReadConsistency {
	if x != nil {
		return x.Consistency
	}
	return ReadConsistency_READ_CONSISTENCY_UNSPECIFIED
}

type ExtendHoldRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	RequestId     string                 `protobuf:"bytes,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	EventId       string                 `protobuf:"bytes,2,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	HoldId        string                 `protobuf:"bytes,3,opt,name=hold_id,json=holdId,proto3" json:"hold_id,omitempty"`
	Holder        string                 `protobuf:"bytes,4,opt,name=holder,proto3" json:"holder,omitempty"`
	TtlMs         int64                  `protobuf:"varint,5,opt,name=ttl_ms,json=ttlMs,proto3" json:"ttl_ms,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ExtendHoldRequest) Reset() {
	*x = ExtendHoldRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[27]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ExtendHoldRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ExtendHoldRequest) ProtoMessage() {}

func (x *ExtendHoldRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[27]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ExtendHoldRequest.ProtoReflect.Descriptor instead.
func (*ExtendHoldRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{27}
}

func (x *ExtendHoldRequest) GetRequestId() string {
	if x != nil {
		return x.RequestId
	}
	return ""
}

func (x *ExtendHoldRequest) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *ExtendHoldRequest) GetHoldId() string {
	if x != nil {
		return x.HoldId
	}
	return ""
}

func (x *ExtendHoldRequest) GetHolder() string {
	if x != nil {
		return x.Holder
	}
	return ""
}

func (x *ExtendHoldRequest) GetTtlMs() int64 {
	if x != nil {
		return x.TtlMs
	}
	return 0
}

type ReleaseRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	RequestId     string                 `protobuf:"bytes,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	EventId       string                 `protobuf:"bytes,2,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	HoldId        string                 `protobuf:"bytes,3,opt,name=hold_id,json=holdId,proto3" json:"hold_id,omitempty"`
	Holder        string                 `protobuf:"bytes,4,opt,name=holder,proto3" json:"holder,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ReleaseRequest) Reset() {
	*x = ReleaseRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[28]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ReleaseRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ReleaseRequest) ProtoMessage() {}

func (x *ReleaseRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[28]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ReleaseRequest.ProtoReflect.Descriptor instead.
func (*ReleaseRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{28}
}

func (x *ReleaseRequest) GetRequestId() string {
	if x != nil {
		return x.RequestId
	}
	return ""
}

func (x *ReleaseRequest) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *ReleaseRequest) GetHoldId() string {
	if x != nil {
		return x.HoldId
	}
	return ""
}

func (x *ReleaseRequest) GetHolder() string {
	if x != nil {
		return x.Holder
	}
	return ""
}

type ReleaseResponse struct {
	state                    protoimpl.MessageState `protogen:"open.v1"`
	SeatIds                  []string               `protobuf:"bytes,1,rep,name=seat_ids,json=seatIds,proto3" json:"seat_ids,omitempty"`
	GeneralAdmissionQuantity uint32                 `protobuf:"varint,2,opt,name=general_admission_quantity,json=generalAdmissionQuantity,proto3" json:"general_admission_quantity,omitempty"`
	unknownFields            protoimpl.UnknownFields
	sizeCache                protoimpl.SizeCache
}

func (x *ReleaseResponse) Reset() {
	*x = ReleaseResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[29]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ReleaseResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ReleaseResponse) ProtoMessage() {}

func (x *ReleaseResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[29]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ReleaseResponse.ProtoReflect.Descriptor instead.
func (*ReleaseResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{29}
}

func (x *ReleaseResponse) GetSeatIds() []string {
	if x != nil {
		return x.SeatIds
	}
	return nil
}

func (x *ReleaseResponse) GetGeneralAdmissionQuantity() uint32 {
	if x != nil {
		return x.GeneralAdmissionQuantity
	}
	return 0
}

type Ticket struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	TicketId      string                 `protobuf:"bytes,1,opt,name=ticket_id,json=ticketId,proto3" json:"ticket_id,omitempty"`
	SeatId        string                 `protobuf:"bytes,2,opt,name=seat_id,json=seatId,proto3" json:"seat_id,omitempty"` // GA: "<pool id>#<unit>"
	OrderId       string                 `protobuf:"bytes,3,opt,name=order_id,json=orderId,proto3" json:"order_id,omitempty"`
	Buyer         string                 `protobuf:"bytes,4,opt,name=buyer,proto3" json:"buyer,omitempty"`
	PriceTier     string                 `protobuf:"bytes,5,opt,name=price_tier,json=priceTier,proto3" json:"price_tier,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Ticket) Reset() {
	*x = Ticket{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[30]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Ticket) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Ticket) ProtoMessage() {}

func (x *Ticket) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[30]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Ticket.ProtoReflect.Descriptor instead.
func (*Ticket) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{30}
}

func (x *Ticket) GetTicketId() string {
	if x != nil {
		return x.TicketId
	}
	return ""
}

func (x *Ticket) GetSeatId() string {
	if x != nil {
		return x.SeatId
	}
	return ""
}

func (x *Ticket) GetOrderId() string {
	if x != nil {
		return x.OrderId
	}
	return ""
}

func (x *Ticket) GetBuyer() string {
	if x != nil {
		return x.Buyer
	}
	return ""
}

func (x *Ticket) GetPriceTier() string {
	if x != nil {
		return x.PriceTier
	}
	return ""
}

type SellRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	RequestId     string                 `protobuf:"bytes,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	EventId       string                 `protobuf:"bytes,2,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	HoldId        string                 `protobuf:"bytes,3,opt,name=hold_id,json=holdId,proto3" json:"hold_id,omitempty"`
	Holder        string                 `protobuf:"bytes,4,opt,name=holder,proto3" json:"holder,omitempty"`
	OrderId       string                 `protobuf:"bytes,5,opt,name=order_id,json=orderId,proto3" json:"order_id,omitempty"`
	Buyer         string                 `protobuf:"bytes,6,opt,name=buyer,proto3" json:"buyer,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *SellRequest) Reset() {
	*x = SellRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[31]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *SellRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*SellRequest) ProtoMessage() {}

func (x *SellRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[31]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use SellRequest.ProtoReflect.Descriptor instead.
func (*SellRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{31}
}

func (x *SellRequest) GetRequestId() string {
	if x != nil {
		return x.RequestId
	}
	return ""
}

func (x *SellRequest) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *SellRequest) GetHoldId() string {
	if x != nil {
		return x.HoldId
	}
	return ""
}

func (x *SellRequest) GetHolder() string {
	if x != nil {
		return x.Holder
	}
	return ""
}

func (x *SellRequest) GetOrderId() string {
	if x != nil {
		return x.OrderId
	}
	return ""
}

func (x *SellRequest) GetBuyer() string {
	if x != nil {
		return x.Buyer
	}
	return ""
}

type SellResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	OrderId       string                 `protobuf:"bytes,1,opt,name=order_id,json=orderId,proto3" json:"order_id,omitempty"`
	Tickets       []*Ticket              `protobuf:"bytes,2,rep,name=tickets,proto3" json:"tickets,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *SellResponse) Reset() {
	*x = SellResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[32]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *SellResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*SellResponse) ProtoMessage() {}

func (x *SellResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[32]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use SellResponse.ProtoReflect.Descriptor instead.
func (*SellResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{32}
}

func (x *SellResponse) GetOrderId() string {
	if x != nil {
		return x.OrderId
	}
	return ""
}

func (x *SellResponse) GetTickets() []*Ticket {
	if x != nil {
		return x.Tickets
	}
	return nil
}

// RefundRequest names the sale it undoes: the order id and the ticket ids
// of that order, as Sell answered them. Empty ticket_ids is refused
// (INVALID_ARGUMENT, INVALID_REQUEST); a ticket id that is not a sold ticket
// of the order refuses the request (NOT_FOUND, TICKET_NOT_IN_ORDER) and
// nothing is refunded in its shard. Tickets of one shard are refunded all
// or none.
type RefundRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	RequestId     string                 `protobuf:"bytes,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	EventId       string                 `protobuf:"bytes,2,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	OrderId       string                 `protobuf:"bytes,3,opt,name=order_id,json=orderId,proto3" json:"order_id,omitempty"`
	TicketIds     []string               `protobuf:"bytes,4,rep,name=ticket_ids,json=ticketIds,proto3" json:"ticket_ids,omitempty"` // required, 1..100
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RefundRequest) Reset() {
	*x = RefundRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[33]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RefundRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RefundRequest) ProtoMessage() {}

func (x *RefundRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[33]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RefundRequest.ProtoReflect.Descriptor instead.
func (*RefundRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{33}
}

func (x *RefundRequest) GetRequestId() string {
	if x != nil {
		return x.RequestId
	}
	return ""
}

func (x *RefundRequest) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *RefundRequest) GetOrderId() string {
	if x != nil {
		return x.OrderId
	}
	return ""
}

func (x *RefundRequest) GetTicketIds() []string {
	if x != nil {
		return x.TicketIds
	}
	return nil
}

type RefundResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Tickets       []*Ticket              `protobuf:"bytes,1,rep,name=tickets,proto3" json:"tickets,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RefundResponse) Reset() {
	*x = RefundResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[34]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RefundResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RefundResponse) ProtoMessage() {}

func (x *RefundResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[34]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RefundResponse.ProtoReflect.Descriptor instead.
func (*RefundResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{34}
}

func (x *RefundResponse) GetTickets() []*Ticket {
	if x != nil {
		return x.Tickets
	}
	return nil
}

type SeatChange struct {
	state                     protoimpl.MessageState `protogen:"open.v1"`
	Shard                     uint32                 `protobuf:"varint,1,opt,name=shard,proto3" json:"shard,omitempty"`
	Sequence                  uint64                 `protobuf:"varint,2,opt,name=sequence,proto3" json:"sequence,omitempty"`
	SeatId                    string                 `protobuf:"bytes,3,opt,name=seat_id,json=seatId,proto3" json:"seat_id,omitempty"` // or a GA pool id
	State                     SeatState              `protobuf:"varint,4,opt,name=state,proto3,enum=boxoffice.v1.SeatState" json:"state,omitempty"`
	HoldId                    string                 `protobuf:"bytes,5,opt,name=hold_id,json=holdId,proto3" json:"hold_id,omitempty"`
	OrderId                   string                 `protobuf:"bytes,6,opt,name=order_id,json=orderId,proto3" json:"order_id,omitempty"`
	HoldExpiresAtUnixMs       int64                  `protobuf:"varint,7,opt,name=hold_expires_at_unix_ms,json=holdExpiresAtUnixMs,proto3" json:"hold_expires_at_unix_ms,omitempty"`
	GeneralAdmissionAvailable uint32                 `protobuf:"varint,8,opt,name=general_admission_available,json=generalAdmissionAvailable,proto3" json:"general_admission_available,omitempty"`
	unknownFields             protoimpl.UnknownFields
	sizeCache                 protoimpl.SizeCache
}

func (x *SeatChange) Reset() {
	*x = SeatChange{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[35]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *SeatChange) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*SeatChange) ProtoMessage() {}

func (x *SeatChange) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[35]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use SeatChange.ProtoReflect.Descriptor instead.
func (*SeatChange) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{35}
}

func (x *SeatChange) GetShard() uint32 {
	if x != nil {
		return x.Shard
	}
	return 0
}

func (x *SeatChange) GetSequence() uint64 {
	if x != nil {
		return x.Sequence
	}
	return 0
}

func (x *SeatChange) GetSeatId() string {
	if x != nil {
		return x.SeatId
	}
	return ""
}

func (x *SeatChange) GetState() SeatState {
	if x != nil {
		return x.State
	}
	return SeatState_SEAT_STATE_UNSPECIFIED
}

func (x *SeatChange) GetHoldId() string {
	if x != nil {
		return x.HoldId
	}
	return ""
}

func (x *SeatChange) GetOrderId() string {
	if x != nil {
		return x.OrderId
	}
	return ""
}

func (x *SeatChange) GetHoldExpiresAtUnixMs() int64 {
	if x != nil {
		return x.HoldExpiresAtUnixMs
	}
	return 0
}

func (x *SeatChange) GetGeneralAdmissionAvailable() uint32 {
	if x != nil {
		return x.GeneralAdmissionAvailable
	}
	return 0
}

type WatchRequest struct {
	state   protoimpl.MessageState `protogen:"open.v1"`
	EventId string                 `protobuf:"bytes,1,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	// Resume points (typically SeatMap.positions). Shards not listed start at
	// the current end of their stream.
	After         []*ShardPosition `protobuf:"bytes,2,rep,name=after,proto3" json:"after,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *WatchRequest) Reset() {
	*x = WatchRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[36]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *WatchRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*WatchRequest) ProtoMessage() {}

func (x *WatchRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[36]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use WatchRequest.ProtoReflect.Descriptor instead.
func (*WatchRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{36}
}

func (x *WatchRequest) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *WatchRequest) GetAfter() []*ShardPosition {
	if x != nil {
		return x.After
	}
	return nil
}

type WatchResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Changes       []*SeatChange          `protobuf:"bytes,1,rep,name=changes,proto3" json:"changes,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *WatchResponse) Reset() {
	*x = WatchResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[37]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *WatchResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*WatchResponse) ProtoMessage() {}

func (x *WatchResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[37]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use WatchResponse.ProtoReflect.Descriptor instead.
func (*WatchResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{37}
}

func (x *WatchResponse) GetChanges() []*SeatChange {
	if x != nil {
		return x.Changes
	}
	return nil
}

// ReadSeatMapsRequest is one seat-map read on a ReadSeatMaps stream.
type ReadSeatMapsRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Chosen by the client and returned in the read's response; reads are
	// answered in any order, so give each read in flight its own tag.
	Tag uint64 `protobuf:"varint,1,opt,name=tag,proto3" json:"tag,omitempty"`
	// The read, exactly as GetSeatMap takes it (consistency, sections,
	// view). Missing: INVALID_ARGUMENT for this read.
	Read *GetSeatMapRequest `protobuf:"bytes,2,opt,name=read,proto3" json:"read,omitempty"`
	// How long the node may spend on this read, in milliseconds; 0 or more
	// than the node's request timeout: the node's request timeout.
	TimeoutMs     uint32 `protobuf:"varint,3,opt,name=timeout_ms,json=timeoutMs,proto3" json:"timeout_ms,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ReadSeatMapsRequest) Reset() {
	*x = ReadSeatMapsRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[38]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ReadSeatMapsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ReadSeatMapsRequest) ProtoMessage() {}

func (x *ReadSeatMapsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[38]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ReadSeatMapsRequest.ProtoReflect.Descriptor instead.
func (*ReadSeatMapsRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{38}
}

func (x *ReadSeatMapsRequest) GetTag() uint64 {
	if x != nil {
		return x.Tag
	}
	return 0
}

func (x *ReadSeatMapsRequest) GetRead() *GetSeatMapRequest {
	if x != nil {
		return x.Read
	}
	return nil
}

func (x *ReadSeatMapsRequest) GetTimeoutMs() uint32 {
	if x != nil {
		return x.TimeoutMs
	}
	return 0
}

// ReadSeatMapsResponse answers the read of the same tag.
type ReadSeatMapsResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	Tag   uint64                 `protobuf:"varint,1,opt,name=tag,proto3" json:"tag,omitempty"`
	// Types that are valid to be assigned to Result:
	//
	//	*ReadSeatMapsResponse_SeatMap
	//	*ReadSeatMapsResponse_Error
	Result        isReadSeatMapsResponse_Result `protobuf_oneof:"result"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ReadSeatMapsResponse) Reset() {
	*x = ReadSeatMapsResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[39]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ReadSeatMapsResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ReadSeatMapsResponse) ProtoMessage() {}

func (x *ReadSeatMapsResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[39]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ReadSeatMapsResponse.ProtoReflect.Descriptor instead.
func (*ReadSeatMapsResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{39}
}

func (x *ReadSeatMapsResponse) GetTag() uint64 {
	if x != nil {
		return x.Tag
	}
	return 0
}

func (x *ReadSeatMapsResponse) GetResult() isReadSeatMapsResponse_Result {
	if x != nil {
		return x.Result
	}
	return nil
}

func (x *ReadSeatMapsResponse) GetSeatMap() *SeatMap {
	if x != nil {
		if x, ok := x.Result.(*ReadSeatMapsResponse_SeatMap); ok {
			return x.SeatMap
		}
	}
	return nil
}

func (x *ReadSeatMapsResponse) GetError() *StreamError {
	if x != nil {
		if x, ok := x.Result.(*ReadSeatMapsResponse_Error); ok {
			return x.Error
		}
	}
	return nil
}

type isReadSeatMapsResponse_Result interface {
	isReadSeatMapsResponse_Result()
}

type ReadSeatMapsResponse_SeatMap struct {
	SeatMap *SeatMap `protobuf:"bytes,2,opt,name=seat_map,json=seatMap,proto3,oneof"`
}

type ReadSeatMapsResponse_Error struct {
	// Why this read failed; the stream goes on serving other reads.
	Error *StreamError `protobuf:"bytes,3,opt,name=error,proto3,oneof"`
}

func (*ReadSeatMapsResponse_SeatMap) isReadSeatMapsResponse_Result() {}

func (*ReadSeatMapsResponse_Error) isReadSeatMapsResponse_Result() {}

// StreamError is the error of one read or command of a stream (ReadSeatMaps,
// Commands), as the unary call would have returned it: a gRPC status code
// (google.rpc.Code) and message, the google.rpc.ErrorInfo reason (one of
// the reasons listed at the top of this file, "" when none) and metadata,
// and for UNAVAILABLE the gRPC address of the leader to try when known
// (what a unary call sends in the "boxoffice-leader-addr" trailer). (Named ReadError before Commands
// existed; the wire format is the same.)
type StreamError struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Code          int32                  `protobuf:"varint,1,opt,name=code,proto3" json:"code,omitempty"`
	Message       string                 `protobuf:"bytes,2,opt,name=message,proto3" json:"message,omitempty"`
	Reason        string                 `protobuf:"bytes,3,opt,name=reason,proto3" json:"reason,omitempty"`
	Metadata      map[string]string      `protobuf:"bytes,4,rep,name=metadata,proto3" json:"metadata,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	LeaderAddr    string                 `protobuf:"bytes,5,opt,name=leader_addr,json=leaderAddr,proto3" json:"leader_addr,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *StreamError) Reset() {
	*x = StreamError{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[40]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *StreamError) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*StreamError) ProtoMessage() {}

func (x *StreamError) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[40]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use StreamError.ProtoReflect.Descriptor instead.
func (*StreamError) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{40}
}

func (x *StreamError) GetCode() int32 {
	if x != nil {
		return x.Code
	}
	return 0
}

func (x *StreamError) GetMessage() string {
	if x != nil {
		return x.Message
	}
	return ""
}

func (x *StreamError) GetReason() string {
	if x != nil {
		return x.Reason
	}
	return ""
}

func (x *StreamError) GetMetadata() map[string]string {
	if x != nil {
		return x.Metadata
	}
	return nil
}

func (x *StreamError) GetLeaderAddr() string {
	if x != nil {
		return x.LeaderAddr
	}
	return ""
}

// CommandsRequest is one mutation on a Commands stream: exactly the request
// the unary method of the same name takes.
type CommandsRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Chosen by the client and returned in the command's response; commands
	// are answered in any order, so give each command in flight its own tag.
	Tag uint64 `protobuf:"varint,1,opt,name=tag,proto3" json:"tag,omitempty"`
	// How long the node may spend on this command, in milliseconds; 0 or
	// more than the node's request timeout: the node's request timeout. A
	// command still waiting for a Raft entry at its deadline is answered
	// DEADLINE_EXCEEDED and never proposed; one already in an entry is
	// answered with the entry's outcome (the commit, or UNAVAILABLE once the
	// leader steps down), which may come after the deadline.
	TimeoutMs uint32 `protobuf:"varint,2,opt,name=timeout_ms,json=timeoutMs,proto3" json:"timeout_ms,omitempty"`
	// Missing: INVALID_ARGUMENT for this command.
	//
	// Types that are valid to be assigned to Command:
	//
	//	*CommandsRequest_Hold
	//	*CommandsRequest_Sell
	//	*CommandsRequest_Release
	//	*CommandsRequest_ExtendHold
	//	*CommandsRequest_Refund
	Command isCommandsRequest_Command `protobuf_oneof:"command"`
	// Further commands carried by this message, each with its own tag and
	// timeout and answered on its own, exactly as if each had come in a
	// message of its own (their own "more" is ignored). A client sends
	// them only after the node announced batches (the response header
	// "boxoffice-commands-batch: 1", sent at once to a client that asked
	// with the same request header): a node without them would drop them.
	// Batching is the client's choice, never a wait: what is queued while
	// the previous message is being sent goes in the next one. The node
	// works on 1024 commands of a stream at a time: the rest of a larger
	// batch waits for answers to go out (the Go client sends at most 256).
	More          []*CommandsRequest `protobuf:"bytes,8,rep,name=more,proto3" json:"more,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CommandsRequest) Reset() {
	*x = CommandsRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[41]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CommandsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CommandsRequest) ProtoMessage() {}

func (x *CommandsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[41]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CommandsRequest.ProtoReflect.Descriptor instead.
func (*CommandsRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{41}
}

func (x *CommandsRequest) GetTag() uint64 {
	if x != nil {
		return x.Tag
	}
	return 0
}

func (x *CommandsRequest) GetTimeoutMs() uint32 {
	if x != nil {
		return x.TimeoutMs
	}
	return 0
}

func (x *CommandsRequest) GetCommand() isCommandsRequest_Command {
	if x != nil {
		return x.Command
	}
	return nil
}

func (x *CommandsRequest) GetHold() *HoldRequest {
	if x != nil {
		if x, ok := x.Command.(*CommandsRequest_Hold); ok {
			return x.Hold
		}
	}
	return nil
}

func (x *CommandsRequest) GetSell() *SellRequest {
	if x != nil {
		if x, ok := x.Command.(*CommandsRequest_Sell); ok {
			return x.Sell
		}
	}
	return nil
}

func (x *CommandsRequest) GetRelease() *ReleaseRequest {
	if x != nil {
		if x, ok := x.Command.(*CommandsRequest_Release); ok {
			return x.Release
		}
	}
	return nil
}

func (x *CommandsRequest) GetExtendHold() *ExtendHoldRequest {
	if x != nil {
		if x, ok := x.Command.(*CommandsRequest_ExtendHold); ok {
			return x.ExtendHold
		}
	}
	return nil
}

func (x *CommandsRequest) GetRefund() *RefundRequest {
	if x != nil {
		if x, ok := x.Command.(*CommandsRequest_Refund); ok {
			return x.Refund
		}
	}
	return nil
}

func (x *CommandsRequest) GetMore() []*CommandsRequest {
	if x != nil {
		return x.More
	}
	return nil
}

type isCommandsRequest_Command interface {
	isCommandsRequest_Command()
}

type CommandsRequest_Hold struct {
	Hold *HoldRequest `protobuf:"bytes,3,opt,name=hold,proto3,oneof"`
}

type CommandsRequest_Sell struct {
	Sell *SellRequest `protobuf:"bytes,4,opt,name=sell,proto3,oneof"`
}

type CommandsRequest_Release struct {
	Release *ReleaseRequest `protobuf:"bytes,5,opt,name=release,proto3,oneof"`
}

type CommandsRequest_ExtendHold struct {
	ExtendHold *ExtendHoldRequest `protobuf:"bytes,6,opt,name=extend_hold,json=extendHold,proto3,oneof"`
}

type CommandsRequest_Refund struct {
	Refund *RefundRequest `protobuf:"bytes,7,opt,name=refund,proto3,oneof"`
}

func (*CommandsRequest_Hold) isCommandsRequest_Command() {}

func (*CommandsRequest_Sell) isCommandsRequest_Command() {}

func (*CommandsRequest_Release) isCommandsRequest_Command() {}

func (*CommandsRequest_ExtendHold) isCommandsRequest_Command() {}

func (*CommandsRequest_Refund) isCommandsRequest_Command() {}

// CommandsResponse answers the command of the same tag with the response of
// the unary method, or with the error it would have returned.
type CommandsResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	Tag   uint64                 `protobuf:"varint,1,opt,name=tag,proto3" json:"tag,omitempty"`
	// Types that are valid to be assigned to Result:
	//
	//	*CommandsResponse_Hold
	//	*CommandsResponse_Sell
	//	*CommandsResponse_Release
	//	*CommandsResponse_ExtendHold
	//	*CommandsResponse_Refund
	//	*CommandsResponse_Error
	Result isCommandsResponse_Result `protobuf_oneof:"result"`
	// Further answers carried by this message (to a client that asked for
	// batches, see CommandsRequest.more): the answers ready when the node
	// sends, each with its own tag.
	More          []*CommandsResponse `protobuf:"bytes,8,rep,name=more,proto3" json:"more,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CommandsResponse) Reset() {
	*x = CommandsResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[42]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CommandsResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CommandsResponse) ProtoMessage() {}

func (x *CommandsResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[42]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CommandsResponse.ProtoReflect.Descriptor instead.
func (*CommandsResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{42}
}

func (x *CommandsResponse) GetTag() uint64 {
	if x != nil {
		return x.Tag
	}
	return 0
}

func (x *CommandsResponse) GetResult() isCommandsResponse_Result {
	if x != nil {
		return x.Result
	}
	return nil
}

func (x *CommandsResponse) GetHold() *HoldResponse {
	if x != nil {
		if x, ok := x.Result.(*CommandsResponse_Hold); ok {
			return x.Hold
		}
	}
	return nil
}

func (x *CommandsResponse) GetSell() *SellResponse {
	if x != nil {
		if x, ok := x.Result.(*CommandsResponse_Sell); ok {
			return x.Sell
		}
	}
	return nil
}

func (x *CommandsResponse) GetRelease() *ReleaseResponse {
	if x != nil {
		if x, ok := x.Result.(*CommandsResponse_Release); ok {
			return x.Release
		}
	}
	return nil
}

func (x *CommandsResponse) GetExtendHold() *HoldResponse {
	if x != nil {
		if x, ok := x.Result.(*CommandsResponse_ExtendHold); ok {
			return x.ExtendHold
		}
	}
	return nil
}

func (x *CommandsResponse) GetRefund() *RefundResponse {
	if x != nil {
		if x, ok := x.Result.(*CommandsResponse_Refund); ok {
			return x.Refund
		}
	}
	return nil
}

func (x *CommandsResponse) GetError() *StreamError {
	if x != nil {
		if x, ok := x.Result.(*CommandsResponse_Error); ok {
			return x.Error
		}
	}
	return nil
}

func (x *CommandsResponse) GetMore() []*CommandsResponse {
	if x != nil {
		return x.More
	}
	return nil
}

type isCommandsResponse_Result interface {
	isCommandsResponse_Result()
}

type CommandsResponse_Hold struct {
	Hold *HoldResponse `protobuf:"bytes,2,opt,name=hold,proto3,oneof"`
}

type CommandsResponse_Sell struct {
	Sell *SellResponse `protobuf:"bytes,3,opt,name=sell,proto3,oneof"`
}

type CommandsResponse_Release struct {
	Release *ReleaseResponse `protobuf:"bytes,4,opt,name=release,proto3,oneof"`
}

type CommandsResponse_ExtendHold struct {
	ExtendHold *HoldResponse `protobuf:"bytes,5,opt,name=extend_hold,json=extendHold,proto3,oneof"`
}

type CommandsResponse_Refund struct {
	Refund *RefundResponse `protobuf:"bytes,6,opt,name=refund,proto3,oneof"`
}

type CommandsResponse_Error struct {
	// Why this command failed; the stream goes on serving other commands.
	Error *StreamError `protobuf:"bytes,7,opt,name=error,proto3,oneof"`
}

func (*CommandsResponse_Hold) isCommandsResponse_Result() {}

func (*CommandsResponse_Sell) isCommandsResponse_Result() {}

func (*CommandsResponse_Release) isCommandsResponse_Result() {}

func (*CommandsResponse_ExtendHold) isCommandsResponse_Result() {}

func (*CommandsResponse_Refund) isCommandsResponse_Result() {}

func (*CommandsResponse_Error) isCommandsResponse_Result() {}

type NodeInfo struct {
	state      protoimpl.MessageState `protogen:"open.v1"`
	NodeId     string                 `protobuf:"bytes,1,opt,name=node_id,json=nodeId,proto3" json:"node_id,omitempty"`
	GrpcAddr   string                 `protobuf:"bytes,2,opt,name=grpc_addr,json=grpcAddr,proto3" json:"grpc_addr,omitempty"`
	PeerAddr   string                 `protobuf:"bytes,3,opt,name=peer_addr,json=peerAddr,proto3" json:"peer_addr,omitempty"`
	HttpAddr   string                 `protobuf:"bytes,4,opt,name=http_addr,json=httpAddr,proto3" json:"http_addr,omitempty"`
	GossipAddr string                 `protobuf:"bytes,5,opt,name=gossip_addr,json=gossipAddr,proto3" json:"gossip_addr,omitempty"`
	State      string                 `protobuf:"bytes,6,opt,name=state,proto3" json:"state,omitempty"` // alive, suspect, dead, left (as memberlist sees it from the answering node)
	// Where the node runs (boxoffice start --locality), widest tier first;
	// empty when it was started without one.
	Locality []*LocalityTier `protobuf:"bytes,7,rep,name=locality,proto3" json:"locality,omitempty"`
	// draining: an operator drained the node (Cluster.Drain); the
	// rebalancer moves its leaderships away and gives it none.
	Draining bool `protobuf:"varint,8,opt,name=draining,proto3" json:"draining,omitempty"`
	// release_version: the release the node runs (`boxoffice version`);
	// empty for a node of a release that does not announce it.
	ReleaseVersion string `protobuf:"bytes,11,opt,name=release_version,json=releaseVersion,proto3" json:"release_version,omitempty"`
	// feature_level: the newest feature level the node's build can apply;
	// 1 for a node of a release that does not announce it.
	FeatureLevel uint32 `protobuf:"varint,12,opt,name=feature_level,json=featureLevel,proto3" json:"feature_level,omitempty"`
	// older_build: the node's feature_level is below the answering node's,
	// so features of the newer level wait for it to be upgraded.
	OlderBuild bool `protobuf:"varint,13,opt,name=older_build,json=olderBuild,proto3" json:"older_build,omitempty"`
	// decommissioning: an operator decommissions the node
	// (Cluster.Decommission); the rebalancer moves every replica it holds
	// away, then `ctl decommission` removes it.
	Decommissioning bool `protobuf:"varint,9,opt,name=decommissioning,proto3" json:"decommissioning,omitempty"`
	// replica_count: the data groups the catalog lists the node as a
	// replica of.
	ReplicaCount  uint32 `protobuf:"varint,10,opt,name=replica_count,json=replicaCount,proto3" json:"replica_count,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *NodeInfo) Reset() {
	*x = NodeInfo{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[43]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *NodeInfo) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*NodeInfo) ProtoMessage() {}

func (x *NodeInfo) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[43]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use NodeInfo.ProtoReflect.Descriptor instead.
func (*NodeInfo) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{43}
}

func (x *NodeInfo) GetNodeId() string {
	if x != nil {
		return x.NodeId
	}
	return ""
}

func (x *NodeInfo) GetGrpcAddr() string {
	if x != nil {
		return x.GrpcAddr
	}
	return ""
}

func (x *NodeInfo) GetPeerAddr() string {
	if x != nil {
		return x.PeerAddr
	}
	return ""
}

func (x *NodeInfo) GetHttpAddr() string {
	if x != nil {
		return x.HttpAddr
	}
	return ""
}

func (x *NodeInfo) GetGossipAddr() string {
	if x != nil {
		return x.GossipAddr
	}
	return ""
}

func (x *NodeInfo) GetState() string {
	if x != nil {
		return x.State
	}
	return ""
}

func (x *NodeInfo) GetLocality() []*LocalityTier {
	if x != nil {
		return x.Locality
	}
	return nil
}

func (x *NodeInfo) GetDraining() bool {
	if x != nil {
		return x.Draining
	}
	return false
}

func (x *NodeInfo) GetReleaseVersion() string {
	if x != nil {
		return x.ReleaseVersion
	}
	return ""
}

func (x *NodeInfo) GetFeatureLevel() uint32 {
	if x != nil {
		return x.FeatureLevel
	}
	return 0
}

func (x *NodeInfo) GetOlderBuild() bool {
	if x != nil {
		return x.OlderBuild
	}
	return false
}

func (x *NodeInfo) GetDecommissioning() bool {
	if x != nil {
		return x.Decommissioning
	}
	return false
}

func (x *NodeInfo) GetReplicaCount() uint32 {
	if x != nil {
		return x.ReplicaCount
	}
	return 0
}

// One key=value tier of a node's locality, such as region=eu-west.
type LocalityTier struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Key           string                 `protobuf:"bytes,1,opt,name=key,proto3" json:"key,omitempty"`
	Value         string                 `protobuf:"bytes,2,opt,name=value,proto3" json:"value,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *LocalityTier) Reset() {
	*x = LocalityTier{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[44]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *LocalityTier) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*LocalityTier) ProtoMessage() {}

func (x *LocalityTier) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[44]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use LocalityTier.ProtoReflect.Descriptor instead.
func (*LocalityTier) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{44}
}

func (x *LocalityTier) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

func (x *LocalityTier) GetValue() string {
	if x != nil {
		return x.Value
	}
	return ""
}

type ReplicaStatus struct {
	state        protoimpl.MessageState `protogen:"open.v1"`
	NodeId       string                 `protobuf:"bytes,1,opt,name=node_id,json=nodeId,proto3" json:"node_id,omitempty"`
	RaftState    string                 `protobuf:"bytes,2,opt,name=raft_state,json=raftState,proto3" json:"raft_state,omitempty"` // Leader, Follower, Candidate, Shutdown, or "unreachable"
	AppliedIndex uint64                 `protobuf:"varint,3,opt,name=applied_index,json=appliedIndex,proto3" json:"applied_index,omitempty"`
	CommitIndex  uint64                 `protobuf:"varint,4,opt,name=commit_index,json=commitIndex,proto3" json:"commit_index,omitempty"`
	LastLogIndex uint64                 `protobuf:"varint,5,opt,name=last_log_index,json=lastLogIndex,proto3" json:"last_log_index,omitempty"`
	Term         uint64                 `protobuf:"varint,6,opt,name=term,proto3" json:"term,omitempty"`
	Voter        bool                   `protobuf:"varint,7,opt,name=voter,proto3" json:"voter,omitempty"`
	// Hex SHA-256 of the replica's whole state at state_hash_index (data
	// groups only): replicas at the same index must have the same hash.
	StateHash      string `protobuf:"bytes,8,opt,name=state_hash,json=stateHash,proto3" json:"state_hash,omitempty"`
	StateHashIndex uint64 `protobuf:"varint,9,opt,name=state_hash_index,json=stateHashIndex,proto3" json:"state_hash_index,omitempty"`
	// For an "unreachable" replica: what the answering node last heard from
	// it (its raft_state, voter and term then, and when, in Unix ms); empty
	// when it has not heard from it since it started.
	LastKnownRaftState string `protobuf:"bytes,10,opt,name=last_known_raft_state,json=lastKnownRaftState,proto3" json:"last_known_raft_state,omitempty"`
	LastKnownVoter     bool   `protobuf:"varint,11,opt,name=last_known_voter,json=lastKnownVoter,proto3" json:"last_known_voter,omitempty"`
	LastKnownTerm      uint64 `protobuf:"varint,12,opt,name=last_known_term,json=lastKnownTerm,proto3" json:"last_known_term,omitempty"`
	LastSeenUnixMs     int64  `protobuf:"varint,13,opt,name=last_seen_unix_ms,json=lastSeenUnixMs,proto3" json:"last_seen_unix_ms,omitempty"`
	unknownFields      protoimpl.UnknownFields
	sizeCache          protoimpl.SizeCache
}

func (x *ReplicaStatus) Reset() {
	*x = ReplicaStatus{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[45]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ReplicaStatus) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ReplicaStatus) ProtoMessage() {}

func (x *ReplicaStatus) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[45]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ReplicaStatus.ProtoReflect.Descriptor instead.
func (*ReplicaStatus) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{45}
}

func (x *ReplicaStatus) GetNodeId() string {
	if x != nil {
		return x.NodeId
	}
	return ""
}

func (x *ReplicaStatus) GetRaftState() string {
	if x != nil {
		return x.RaftState
	}
	return ""
}

func (x *ReplicaStatus) GetAppliedIndex() uint64 {
	if x != nil {
		return x.AppliedIndex
	}
	return 0
}

func (x *ReplicaStatus) GetCommitIndex() uint64 {
	if x != nil {
		return x.CommitIndex
	}
	return 0
}

func (x *ReplicaStatus) GetLastLogIndex() uint64 {
	if x != nil {
		return x.LastLogIndex
	}
	return 0
}

func (x *ReplicaStatus) GetTerm() uint64 {
	if x != nil {
		return x.Term
	}
	return 0
}

func (x *ReplicaStatus) GetVoter() bool {
	if x != nil {
		return x.Voter
	}
	return false
}

func (x *ReplicaStatus) GetStateHash() string {
	if x != nil {
		return x.StateHash
	}
	return ""
}

func (x *ReplicaStatus) GetStateHashIndex() uint64 {
	if x != nil {
		return x.StateHashIndex
	}
	return 0
}

func (x *ReplicaStatus) GetLastKnownRaftState() string {
	if x != nil {
		return x.LastKnownRaftState
	}
	return ""
}

func (x *ReplicaStatus) GetLastKnownVoter() bool {
	if x != nil {
		return x.LastKnownVoter
	}
	return false
}

func (x *ReplicaStatus) GetLastKnownTerm() uint64 {
	if x != nil {
		return x.LastKnownTerm
	}
	return 0
}

func (x *ReplicaStatus) GetLastSeenUnixMs() int64 {
	if x != nil {
		return x.LastSeenUnixMs
	}
	return 0
}

type GroupStatus struct {
	state        protoimpl.MessageState `protogen:"open.v1"`
	GroupId      string                 `protobuf:"bytes,1,opt,name=group_id,json=groupId,proto3" json:"group_id,omitempty"`
	LeaderNodeId string                 `protobuf:"bytes,2,opt,name=leader_node_id,json=leaderNodeId,proto3" json:"leader_node_id,omitempty"`
	Replicas     []*ReplicaStatus       `protobuf:"bytes,3,rep,name=replicas,proto3" json:"replicas,omitempty"`
	Shards       []string               `protobuf:"bytes,4,rep,name=shards,proto3" json:"shards,omitempty"` // "<event id>/<shard>"
	// The node that should lead the group (leaders are spread evenly): its
	// first replica that is not draining; the rebalancer hands leadership to
	// it whenever it is alive and not leading.
	PreferredLeaderNodeId string `protobuf:"bytes,5,opt,name=preferred_leader_node_id,json=preferredLeaderNodeId,proto3" json:"preferred_leader_node_id,omitempty"`
	// The group's Raft configuration (server ids, voters and non-voters) as
	// its leader has it, possibly not yet committed; empty when the leader
	// did not answer. RemoveNode returns only once no group lists the node.
	Configuration []string `protobuf:"bytes,6,rep,name=configuration,proto3" json:"configuration,omitempty"`
	// The region the group is led from for the events homed there
	// (CreateEventRequest.home_region); empty when none.
	HomeRegion string `protobuf:"bytes,8,opt,name=home_region,json=homeRegion,proto3" json:"home_region,omitempty"`
	// Recent commands per second the group applied: a moving average over
	// about a minute, sampled every 5 s, that every replica measures from
	// what it applies; Status shows the highest any replica reports. The
	// rebalancer weighs each preferred leadership by it (docs/operations.md,
	// "Adding a node"). In LocalStatus, each replica's own measure.
	RecentCommandsPerSecond float64 `protobuf:"fixed64,9,opt,name=recent_commands_per_second,json=recentCommandsPerSecond,proto3" json:"recent_commands_per_second,omitempty"`
	unknownFields           protoimpl.UnknownFields
	sizeCache               protoimpl.SizeCache
}

func (x *GroupStatus) Reset() {
	*x = GroupStatus{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[46]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GroupStatus) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GroupStatus) ProtoMessage() {}

func (x *GroupStatus) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[46]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GroupStatus.ProtoReflect.Descriptor instead.
func (*GroupStatus) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{46}
}

func (x *GroupStatus) GetGroupId() string {
	if x != nil {
		return x.GroupId
	}
	return ""
}

func (x *GroupStatus) GetLeaderNodeId() string {
	if x != nil {
		return x.LeaderNodeId
	}
	return ""
}

func (x *GroupStatus) GetReplicas() []*ReplicaStatus {
	if x != nil {
		return x.Replicas
	}
	return nil
}

func (x *GroupStatus) GetShards() []string {
	if x != nil {
		return x.Shards
	}
	return nil
}

func (x *GroupStatus) GetPreferredLeaderNodeId() string {
	if x != nil {
		return x.PreferredLeaderNodeId
	}
	return ""
}

func (x *GroupStatus) GetConfiguration() []string {
	if x != nil {
		return x.Configuration
	}
	return nil
}

func (x *GroupStatus) GetHomeRegion() string {
	if x != nil {
		return x.HomeRegion
	}
	return ""
}

func (x *GroupStatus) GetRecentCommandsPerSecond() float64 {
	if x != nil {
		return x.RecentCommandsPerSecond
	}
	return 0
}

type StatusRequest struct {
	state     protoimpl.MessageState `protogen:"open.v1"`
	LocalOnly bool                   `protobuf:"varint,1,opt,name=local_only,json=localOnly,proto3" json:"local_only,omitempty"` // only this node's view of its own replicas
	// include_state_hashes fills ReplicaStatus.state_hash: it hashes every
	// replica's whole state, so ask only when comparing replicas.
	IncludeStateHashes bool `protobuf:"varint,2,opt,name=include_state_hashes,json=includeStateHashes,proto3" json:"include_state_hashes,omitempty"`
	unknownFields      protoimpl.UnknownFields
	sizeCache          protoimpl.SizeCache
}

func (x *StatusRequest) Reset() {
	*x = StatusRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[47]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *StatusRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*StatusRequest) ProtoMessage() {}

func (x *StatusRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[47]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use StatusRequest.ProtoReflect.Descriptor instead.
func (*StatusRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{47}
}

func (x *StatusRequest) GetLocalOnly() bool {
	if x != nil {
		return x.LocalOnly
	}
	return false
}

func (x *StatusRequest) GetIncludeStateHashes() bool {
	if x != nil {
		return x.IncludeStateHashes
	}
	return false
}

type StatusResponse struct {
	state  protoimpl.MessageState `protogen:"open.v1"`
	NodeId string                 `protobuf:"bytes,1,opt,name=node_id,json=nodeId,proto3" json:"node_id,omitempty"`
	Nodes  []*NodeInfo            `protobuf:"bytes,2,rep,name=nodes,proto3" json:"nodes,omitempty"`
	Groups []*GroupStatus         `protobuf:"bytes,3,rep,name=groups,proto3" json:"groups,omitempty"`
	// plaintext: the answering node runs without TLS, so without
	// authorization on any port (for demos only).
	Plaintext bool `protobuf:"varint,4,opt,name=plaintext,proto3" json:"plaintext,omitempty"`
	// cluster_feature_level is the lowest feature_level of the registered
	// nodes: features introduced by a higher level are refused
	// (FAILED_PRECONDITION, CLUSTER_UPGRADING) until every node runs a
	// build that has them.
	ClusterFeatureLevel uint32 `protobuf:"varint,5,opt,name=cluster_feature_level,json=clusterFeatureLevel,proto3" json:"cluster_feature_level,omitempty"`
	// mixed_versions: the registered nodes do not all run the same
	// release (an upgrade or a rolling restart is under way).
	MixedVersions bool `protobuf:"varint,6,opt,name=mixed_versions,json=mixedVersions,proto3" json:"mixed_versions,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *StatusResponse) Reset() {
	*x = StatusResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[48]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *StatusResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*StatusResponse) ProtoMessage() {}

func (x *StatusResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[48]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use StatusResponse.ProtoReflect.Descriptor instead.
func (*StatusResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{48}
}

func (x *StatusResponse) GetNodeId() string {
	if x != nil {
		return x.NodeId
	}
	return ""
}

func (x *StatusResponse) GetNodes() []*NodeInfo {
	if x != nil {
		return x.Nodes
	}
	return nil
}

func (x *StatusResponse) GetGroups() []*GroupStatus {
	if x != nil {
		return x.Groups
	}
	return nil
}

func (x *StatusResponse) GetPlaintext() bool {
	if x != nil {
		return x.Plaintext
	}
	return false
}

func (x *StatusResponse) GetClusterFeatureLevel() uint32 {
	if x != nil {
		return x.ClusterFeatureLevel
	}
	return 0
}

func (x *StatusResponse) GetMixedVersions() bool {
	if x != nil {
		return x.MixedVersions
	}
	return false
}

type ShardRoute struct {
	state          protoimpl.MessageState `protogen:"open.v1"`
	Shard          uint32                 `protobuf:"varint,1,opt,name=shard,proto3" json:"shard,omitempty"`
	GroupId        string                 `protobuf:"bytes,2,opt,name=group_id,json=groupId,proto3" json:"group_id,omitempty"`
	LeaderNodeId   string                 `protobuf:"bytes,3,opt,name=leader_node_id,json=leaderNodeId,proto3" json:"leader_node_id,omitempty"`
	LeaderGrpcAddr string                 `protobuf:"bytes,4,opt,name=leader_grpc_addr,json=leaderGrpcAddr,proto3" json:"leader_grpc_addr,omitempty"`
	SectionIds     []string               `protobuf:"bytes,5,rep,name=section_ids,json=sectionIds,proto3" json:"section_ids,omitempty"`
	PoolIds        []string               `protobuf:"bytes,6,rep,name=pool_ids,json=poolIds,proto3" json:"pool_ids,omitempty"`
	unknownFields  protoimpl.UnknownFields
	sizeCache      protoimpl.SizeCache
}

func (x *ShardRoute) Reset() {
	*x = ShardRoute{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[49]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ShardRoute) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ShardRoute) ProtoMessage() {}

func (x *ShardRoute) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[49]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ShardRoute.ProtoReflect.Descriptor instead.
func (*ShardRoute) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{49}
}

func (x *ShardRoute) GetShard() uint32 {
	if x != nil {
		return x.Shard
	}
	return 0
}

func (x *ShardRoute) GetGroupId() string {
	if x != nil {
		return x.GroupId
	}
	return ""
}

func (x *ShardRoute) GetLeaderNodeId() string {
	if x != nil {
		return x.LeaderNodeId
	}
	return ""
}

func (x *ShardRoute) GetLeaderGrpcAddr() string {
	if x != nil {
		return x.LeaderGrpcAddr
	}
	return ""
}

func (x *ShardRoute) GetSectionIds() []string {
	if x != nil {
		return x.SectionIds
	}
	return nil
}

func (x *ShardRoute) GetPoolIds() []string {
	if x != nil {
		return x.PoolIds
	}
	return nil
}

type RoutingRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	EventId       string                 `protobuf:"bytes,1,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RoutingRequest) Reset() {
	*x = RoutingRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[50]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RoutingRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RoutingRequest) ProtoMessage() {}

func (x *RoutingRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[50]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RoutingRequest.ProtoReflect.Descriptor instead.
func (*RoutingRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{50}
}

func (x *RoutingRequest) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

type RoutingResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	EventId       string                 `protobuf:"bytes,1,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	Shards        []*ShardRoute          `protobuf:"bytes,2,rep,name=shards,proto3" json:"shards,omitempty"`
	Nodes         []*NodeInfo            `protobuf:"bytes,3,rep,name=nodes,proto3" json:"nodes,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RoutingResponse) Reset() {
	*x = RoutingResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[51]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RoutingResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RoutingResponse) ProtoMessage() {}

func (x *RoutingResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[51]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RoutingResponse.ProtoReflect.Descriptor instead.
func (*RoutingResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{51}
}

func (x *RoutingResponse) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *RoutingResponse) GetShards() []*ShardRoute {
	if x != nil {
		return x.Shards
	}
	return nil
}

func (x *RoutingResponse) GetNodes() []*NodeInfo {
	if x != nil {
		return x.Nodes
	}
	return nil
}

type RemoveNodeRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	NodeId        string                 `protobuf:"bytes,1,opt,name=node_id,json=nodeId,proto3" json:"node_id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RemoveNodeRequest) Reset() {
	*x = RemoveNodeRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[52]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RemoveNodeRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RemoveNodeRequest) ProtoMessage() {}

func (x *RemoveNodeRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[52]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RemoveNodeRequest.ProtoReflect.Descriptor instead.
func (*RemoveNodeRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{52}
}

func (x *RemoveNodeRequest) GetNodeId() string {
	if x != nil {
		return x.NodeId
	}
	return ""
}

type RemoveNodeResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RemoveNodeResponse) Reset() {
	*x = RemoveNodeResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[53]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RemoveNodeResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RemoveNodeResponse) ProtoMessage() {}

func (x *RemoveNodeResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[53]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RemoveNodeResponse.ProtoReflect.Descriptor instead.
func (*RemoveNodeResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{53}
}

type TransferLeaderRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	GroupId       string                 `protobuf:"bytes,1,opt,name=group_id,json=groupId,proto3" json:"group_id,omitempty"` // a data group id or "meta"
	NodeId        string                 `protobuf:"bytes,2,opt,name=node_id,json=nodeId,proto3" json:"node_id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *TransferLeaderRequest) Reset() {
	*x = TransferLeaderRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[54]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *TransferLeaderRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*TransferLeaderRequest) ProtoMessage() {}

func (x *TransferLeaderRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[54]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use TransferLeaderRequest.ProtoReflect.Descriptor instead.
func (*TransferLeaderRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{54}
}

func (x *TransferLeaderRequest) GetGroupId() string {
	if x != nil {
		return x.GroupId
	}
	return ""
}

func (x *TransferLeaderRequest) GetNodeId() string {
	if x != nil {
		return x.NodeId
	}
	return ""
}

type TransferLeaderResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *TransferLeaderResponse) Reset() {
	*x = TransferLeaderResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[55]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *TransferLeaderResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*TransferLeaderResponse) ProtoMessage() {}

func (x *TransferLeaderResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[55]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use TransferLeaderResponse.ProtoReflect.Descriptor instead.
func (*TransferLeaderResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{55}
}

type DrainRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	NodeId        string                 `protobuf:"bytes,1,opt,name=node_id,json=nodeId,proto3" json:"node_id,omitempty"`
	Drained       bool                   `protobuf:"varint,2,opt,name=drained,proto3" json:"drained,omitempty"` // true: drain; false: undrain
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DrainRequest) Reset() {
	*x = DrainRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[56]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DrainRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DrainRequest) ProtoMessage() {}

func (x *DrainRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[56]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DrainRequest.ProtoReflect.Descriptor instead.
func (*DrainRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{56}
}

func (x *DrainRequest) GetNodeId() string {
	if x != nil {
		return x.NodeId
	}
	return ""
}

func (x *DrainRequest) GetDrained() bool {
	if x != nil {
		return x.Drained
	}
	return false
}

type DrainResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DrainResponse) Reset() {
	*x = DrainResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[57]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DrainResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DrainResponse) ProtoMessage() {}

func (x *DrainResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[57]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DrainResponse.ProtoReflect.Descriptor instead.
func (*DrainResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{57}
}

// BackupRequest asks the node that leads group_id ("meta" or a data group)
// for a copy of the group's whole state.
type BackupRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	GroupId       string                 `protobuf:"bytes,1,opt,name=group_id,json=groupId,proto3" json:"group_id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *BackupRequest) Reset() {
	*x = BackupRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[58]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *BackupRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*BackupRequest) ProtoMessage() {}

func (x *BackupRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[58]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use BackupRequest.ProtoReflect.Descriptor instead.
func (*BackupRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{58}
}

func (x *BackupRequest) GetGroupId() string {
	if x != nil {
		return x.GroupId
	}
	return ""
}

// BackupChunk is one piece of a group's state. The first chunk carries the
// header (group_id, index, term, size); every chunk carries data, and the
// chunks' data together are the state machine's snapshot of the group at
// index: everything the group acknowledged before the call arrived, and
// perhaps what it applied while the call waited for its read barrier.
type BackupChunk struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	GroupId       string                 `protobuf:"bytes,1,opt,name=group_id,json=groupId,proto3" json:"group_id,omitempty"`
	Index         uint64                 `protobuf:"varint,2,opt,name=index,proto3" json:"index,omitempty"` // the group's Raft index the state is at
	Term          uint64                 `protobuf:"varint,3,opt,name=term,proto3" json:"term,omitempty"`   // the term of that entry
	Size          uint64                 `protobuf:"varint,4,opt,name=size,proto3" json:"size,omitempty"`   // bytes of state in all the chunks together
	Data          []byte                 `protobuf:"bytes,5,opt,name=data,proto3" json:"data,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *BackupChunk) Reset() {
	*x = BackupChunk{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[59]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *BackupChunk) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*BackupChunk) ProtoMessage() {}

func (x *BackupChunk) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[59]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use BackupChunk.ProtoReflect.Descriptor instead.
func (*BackupChunk) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{59}
}

func (x *BackupChunk) GetGroupId() string {
	if x != nil {
		return x.GroupId
	}
	return ""
}

func (x *BackupChunk) GetIndex() uint64 {
	if x != nil {
		return x.Index
	}
	return 0
}

func (x *BackupChunk) GetTerm() uint64 {
	if x != nil {
		return x.Term
	}
	return 0
}

func (x *BackupChunk) GetSize() uint64 {
	if x != nil {
		return x.Size
	}
	return 0
}

func (x *BackupChunk) GetData() []byte {
	if x != nil {
		return x.Data
	}
	return nil
}

// CheckFeatureLevelRequest asks whether the whole cluster runs builds of
// at least feature_level; 0 means the answering node's own level.
type CheckFeatureLevelRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	FeatureLevel  uint32                 `protobuf:"varint,1,opt,name=feature_level,json=featureLevel,proto3" json:"feature_level,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CheckFeatureLevelRequest) Reset() {
	*x = CheckFeatureLevelRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[60]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CheckFeatureLevelRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CheckFeatureLevelRequest) ProtoMessage() {}

func (x *CheckFeatureLevelRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[60]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CheckFeatureLevelRequest.ProtoReflect.Descriptor instead.
func (*CheckFeatureLevelRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{60}
}

func (x *CheckFeatureLevelRequest) GetFeatureLevel() uint32 {
	if x != nil {
		return x.FeatureLevel
	}
	return 0
}

type CheckFeatureLevelResponse struct {
	state               protoimpl.MessageState `protogen:"open.v1"`
	FeatureLevel        uint32                 `protobuf:"varint,1,opt,name=feature_level,json=featureLevel,proto3" json:"feature_level,omitempty"`                        // the level checked
	ClusterFeatureLevel uint32                 `protobuf:"varint,2,opt,name=cluster_feature_level,json=clusterFeatureLevel,proto3" json:"cluster_feature_level,omitempty"` // the lowest level of the registered nodes
	unknownFields       protoimpl.UnknownFields
	sizeCache           protoimpl.SizeCache
}

func (x *CheckFeatureLevelResponse) Reset() {
	*x = CheckFeatureLevelResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[61]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CheckFeatureLevelResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CheckFeatureLevelResponse) ProtoMessage() {}

func (x *CheckFeatureLevelResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[61]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CheckFeatureLevelResponse.ProtoReflect.Descriptor instead.
func (*CheckFeatureLevelResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{61}
}

func (x *CheckFeatureLevelResponse) GetFeatureLevel() uint32 {
	if x != nil {
		return x.FeatureLevel
	}
	return 0
}

func (x *CheckFeatureLevelResponse) GetClusterFeatureLevel() uint32 {
	if x != nil {
		return x.ClusterFeatureLevel
	}
	return 0
}

// AddGroupsRequest asks for count new data groups (1..64; the cluster
// holds at most 1000).
type AddGroupsRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	RequestId     string                 `protobuf:"bytes,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	Count         uint32                 `protobuf:"varint,2,opt,name=count,proto3" json:"count,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *AddGroupsRequest) Reset() {
	*x = AddGroupsRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[62]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *AddGroupsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*AddGroupsRequest) ProtoMessage() {}

func (x *AddGroupsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[62]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use AddGroupsRequest.ProtoReflect.Descriptor instead.
func (*AddGroupsRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{62}
}

func (x *AddGroupsRequest) GetRequestId() string {
	if x != nil {
		return x.RequestId
	}
	return ""
}

func (x *AddGroupsRequest) GetCount() uint32 {
	if x != nil {
		return x.Count
	}
	return 0
}

type AddGroupsResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	GroupIds      []string               `protobuf:"bytes,1,rep,name=group_ids,json=groupIds,proto3" json:"group_ids,omitempty"` // the new groups, in id order
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *AddGroupsResponse) Reset() {
	*x = AddGroupsResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[63]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *AddGroupsResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*AddGroupsResponse) ProtoMessage() {}

func (x *AddGroupsResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[63]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use AddGroupsResponse.ProtoReflect.Descriptor instead.
func (*AddGroupsResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{63}
}

func (x *AddGroupsResponse) GetGroupIds() []string {
	if x != nil {
		return x.GroupIds
	}
	return nil
}

// MoveShardRequest moves shard `shard` of event_id to data group group_id.
type MoveShardRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	EventId       string                 `protobuf:"bytes,1,opt,name=event_id,json=eventId,proto3" json:"event_id,omitempty"`
	Shard         uint32                 `protobuf:"varint,2,opt,name=shard,proto3" json:"shard,omitempty"`
	GroupId       string                 `protobuf:"bytes,3,opt,name=group_id,json=groupId,proto3" json:"group_id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *MoveShardRequest) Reset() {
	*x = MoveShardRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[64]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *MoveShardRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*MoveShardRequest) ProtoMessage() {}

func (x *MoveShardRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[64]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use MoveShardRequest.ProtoReflect.Descriptor instead.
func (*MoveShardRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{64}
}

func (x *MoveShardRequest) GetEventId() string {
	if x != nil {
		return x.EventId
	}
	return ""
}

func (x *MoveShardRequest) GetShard() uint32 {
	if x != nil {
		return x.Shard
	}
	return 0
}

func (x *MoveShardRequest) GetGroupId() string {
	if x != nil {
		return x.GroupId
	}
	return ""
}

// MoveShardResponse lists the steps taken, in order, one line each.
type MoveShardResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	MoveId        string                 `protobuf:"bytes,1,opt,name=move_id,json=moveId,proto3" json:"move_id,omitempty"`
	Resumed       bool                   `protobuf:"varint,2,opt,name=resumed,proto3" json:"resumed,omitempty"` // the call continued a move recorded by an earlier call
	Steps         []string               `protobuf:"bytes,3,rep,name=steps,proto3" json:"steps,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *MoveShardResponse) Reset() {
	*x = MoveShardResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[65]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *MoveShardResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*MoveShardResponse) ProtoMessage() {}

func (x *MoveShardResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[65]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use MoveShardResponse.ProtoReflect.Descriptor instead.
func (*MoveShardResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{65}
}

func (x *MoveShardResponse) GetMoveId() string {
	if x != nil {
		return x.MoveId
	}
	return ""
}

func (x *MoveShardResponse) GetResumed() bool {
	if x != nil {
		return x.Resumed
	}
	return false
}

func (x *MoveShardResponse) GetSteps() []string {
	if x != nil {
		return x.Steps
	}
	return nil
}

type DecommissionRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	NodeId        string                 `protobuf:"bytes,1,opt,name=node_id,json=nodeId,proto3" json:"node_id,omitempty"`
	Recommission  bool                   `protobuf:"varint,2,opt,name=recommission,proto3" json:"recommission,omitempty"` // true: take the decommission mark off
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DecommissionRequest) Reset() {
	*x = DecommissionRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[66]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DecommissionRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DecommissionRequest) ProtoMessage() {}

func (x *DecommissionRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[66]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DecommissionRequest.ProtoReflect.Descriptor instead.
func (*DecommissionRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{66}
}

func (x *DecommissionRequest) GetNodeId() string {
	if x != nil {
		return x.NodeId
	}
	return ""
}

func (x *DecommissionRequest) GetRecommission() bool {
	if x != nil {
		return x.Recommission
	}
	return false
}

type DecommissionResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DecommissionResponse) Reset() {
	*x = DecommissionResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[67]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DecommissionResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DecommissionResponse) ProtoMessage() {}

func (x *DecommissionResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[67]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DecommissionResponse.ProtoReflect.Descriptor instead.
func (*DecommissionResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{67}
}

type PlanRebalanceRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PlanRebalanceRequest) Reset() {
	*x = PlanRebalanceRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[68]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PlanRebalanceRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PlanRebalanceRequest) ProtoMessage() {}

func (x *PlanRebalanceRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[68]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PlanRebalanceRequest.ProtoReflect.Descriptor instead.
func (*PlanRebalanceRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{68}
}

// RebalanceMove is one move: a replica of group_id from from_node_id to
// to_node_id (kind "replica"), or the group's preferred leadership
// (kind "leader").
type RebalanceMove struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	GroupId       string                 `protobuf:"bytes,1,opt,name=group_id,json=groupId,proto3" json:"group_id,omitempty"`
	Kind          string                 `protobuf:"bytes,2,opt,name=kind,proto3" json:"kind,omitempty"`
	FromNodeId    string                 `protobuf:"bytes,3,opt,name=from_node_id,json=fromNodeId,proto3" json:"from_node_id,omitempty"`
	ToNodeId      string                 `protobuf:"bytes,4,opt,name=to_node_id,json=toNodeId,proto3" json:"to_node_id,omitempty"`
	Reason        string                 `protobuf:"bytes,5,opt,name=reason,proto3" json:"reason,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RebalanceMove) Reset() {
	*x = RebalanceMove{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[69]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RebalanceMove) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RebalanceMove) ProtoMessage() {}

func (x *RebalanceMove) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[69]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RebalanceMove.ProtoReflect.Descriptor instead.
func (*RebalanceMove) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{69}
}

func (x *RebalanceMove) GetGroupId() string {
	if x != nil {
		return x.GroupId
	}
	return ""
}

func (x *RebalanceMove) GetKind() string {
	if x != nil {
		return x.Kind
	}
	return ""
}

func (x *RebalanceMove) GetFromNodeId() string {
	if x != nil {
		return x.FromNodeId
	}
	return ""
}

func (x *RebalanceMove) GetToNodeId() string {
	if x != nil {
		return x.ToNodeId
	}
	return ""
}

func (x *RebalanceMove) GetReason() string {
	if x != nil {
		return x.Reason
	}
	return ""
}

type PlanRebalanceResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Moves         []*RebalanceMove       `protobuf:"bytes,1,rep,name=moves,proto3" json:"moves,omitempty"`                       // planned, in order
	InFlight      []*RebalanceMove       `protobuf:"bytes,2,rep,name=in_flight,json=inFlight,proto3" json:"in_flight,omitempty"` // replica moves under way
	Blocked       []string               `protobuf:"bytes,3,rep,name=blocked,proto3" json:"blocked,omitempty"`                   // replicas that cannot move, and why
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PlanRebalanceResponse) Reset() {
	*x = PlanRebalanceResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[70]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PlanRebalanceResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PlanRebalanceResponse) ProtoMessage() {}

func (x *PlanRebalanceResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[70]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PlanRebalanceResponse.ProtoReflect.Descriptor instead.
func (*PlanRebalanceResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{70}
}

func (x *PlanRebalanceResponse) GetMoves() []*RebalanceMove {
	if x != nil {
		return x.Moves
	}
	return nil
}

func (x *PlanRebalanceResponse) GetInFlight() []*RebalanceMove {
	if x != nil {
		return x.InFlight
	}
	return nil
}

func (x *PlanRebalanceResponse) GetBlocked() []string {
	if x != nil {
		return x.Blocked
	}
	return nil
}

type Record struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Key           string                 `protobuf:"bytes,1,opt,name=key,proto3" json:"key,omitempty"`
	Value         []byte                 `protobuf:"bytes,2,opt,name=value,proto3" json:"value,omitempty"`
	Version       uint64                 `protobuf:"varint,3,opt,name=version,proto3" json:"version,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Record) Reset() {
	*x = Record{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[71]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Record) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Record) ProtoMessage() {}

func (x *Record) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[71]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Record.ProtoReflect.Descriptor instead.
func (*Record) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{71}
}

func (x *Record) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

func (x *Record) GetValue() []byte {
	if x != nil {
		return x.Value
	}
	return nil
}

func (x *Record) GetVersion() uint64 {
	if x != nil {
		return x.Version
	}
	return 0
}

type GetRecordRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Key           string                 `protobuf:"bytes,1,opt,name=key,proto3" json:"key,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetRecordRequest) Reset() {
	*x = GetRecordRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[72]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetRecordRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetRecordRequest) ProtoMessage() {}

func (x *GetRecordRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[72]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetRecordRequest.ProtoReflect.Descriptor instead.
func (*GetRecordRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{72}
}

func (x *GetRecordRequest) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

type CompareAndSwapRequest struct {
	state           protoimpl.MessageState `protogen:"open.v1"`
	RequestId       string                 `protobuf:"bytes,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	Key             string                 `protobuf:"bytes,2,opt,name=key,proto3" json:"key,omitempty"`
	ExpectedVersion uint64                 `protobuf:"varint,3,opt,name=expected_version,json=expectedVersion,proto3" json:"expected_version,omitempty"` // 0: the key must not exist
	Value           []byte                 `protobuf:"bytes,4,opt,name=value,proto3" json:"value,omitempty"`
	unknownFields   protoimpl.UnknownFields
	sizeCache       protoimpl.SizeCache
}

func (x *CompareAndSwapRequest) Reset() {
	*x = CompareAndSwapRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[73]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CompareAndSwapRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CompareAndSwapRequest) ProtoMessage() {}

func (x *CompareAndSwapRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[73]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CompareAndSwapRequest.ProtoReflect.Descriptor instead.
func (*CompareAndSwapRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{73}
}

func (x *CompareAndSwapRequest) GetRequestId() string {
	if x != nil {
		return x.RequestId
	}
	return ""
}

func (x *CompareAndSwapRequest) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

func (x *CompareAndSwapRequest) GetExpectedVersion() uint64 {
	if x != nil {
		return x.ExpectedVersion
	}
	return 0
}

func (x *CompareAndSwapRequest) GetValue() []byte {
	if x != nil {
		return x.Value
	}
	return nil
}

type CompareAndSwapResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Version       uint64                 `protobuf:"varint,1,opt,name=version,proto3" json:"version,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CompareAndSwapResponse) Reset() {
	*x = CompareAndSwapResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[74]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CompareAndSwapResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CompareAndSwapResponse) ProtoMessage() {}

func (x *CompareAndSwapResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[74]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CompareAndSwapResponse.ProtoReflect.Descriptor instead.
func (*CompareAndSwapResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{74}
}

func (x *CompareAndSwapResponse) GetVersion() uint64 {
	if x != nil {
		return x.Version
	}
	return 0
}

type DeleteRecordRequest struct {
	state           protoimpl.MessageState `protogen:"open.v1"`
	RequestId       string                 `protobuf:"bytes,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	Key             string                 `protobuf:"bytes,2,opt,name=key,proto3" json:"key,omitempty"`
	ExpectedVersion uint64                 `protobuf:"varint,3,opt,name=expected_version,json=expectedVersion,proto3" json:"expected_version,omitempty"` // must be the current version; 0 is refused
	unknownFields   protoimpl.UnknownFields
	sizeCache       protoimpl.SizeCache
}

func (x *DeleteRecordRequest) Reset() {
	*x = DeleteRecordRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[75]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeleteRecordRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeleteRecordRequest) ProtoMessage() {}

func (x *DeleteRecordRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[75]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeleteRecordRequest.ProtoReflect.Descriptor instead.
func (*DeleteRecordRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{75}
}

func (x *DeleteRecordRequest) GetRequestId() string {
	if x != nil {
		return x.RequestId
	}
	return ""
}

func (x *DeleteRecordRequest) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

func (x *DeleteRecordRequest) GetExpectedVersion() uint64 {
	if x != nil {
		return x.ExpectedVersion
	}
	return 0
}

type DeleteRecordResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DeleteRecordResponse) Reset() {
	*x = DeleteRecordResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[76]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeleteRecordResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeleteRecordResponse) ProtoMessage() {}

func (x *DeleteRecordResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[76]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeleteRecordResponse.ProtoReflect.Descriptor instead.
func (*DeleteRecordResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{76}
}

// AddRequest adds delta to the decimal int64 stored under key (missing: 0).
type AddRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	RequestId     string                 `protobuf:"bytes,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	Key           string                 `protobuf:"bytes,2,opt,name=key,proto3" json:"key,omitempty"`
	Delta         int64                  `protobuf:"varint,3,opt,name=delta,proto3" json:"delta,omitempty"`
	Min           int64                  `protobuf:"varint,4,opt,name=min,proto3" json:"min,omitempty"`
	Max           int64                  `protobuf:"varint,5,opt,name=max,proto3" json:"max,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *AddRequest) Reset() {
	*x = AddRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[77]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *AddRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*AddRequest) ProtoMessage() {}

func (x *AddRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[77]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use AddRequest.ProtoReflect.Descriptor instead.
func (*AddRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{77}
}

func (x *AddRequest) GetRequestId() string {
	if x != nil {
		return x.RequestId
	}
	return ""
}

func (x *AddRequest) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

func (x *AddRequest) GetDelta() int64 {
	if x != nil {
		return x.Delta
	}
	return 0
}

func (x *AddRequest) GetMin() int64 {
	if x != nil {
		return x.Min
	}
	return 0
}

func (x *AddRequest) GetMax() int64 {
	if x != nil {
		return x.Max
	}
	return 0
}

type AddResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Value         int64                  `protobuf:"varint,1,opt,name=value,proto3" json:"value,omitempty"`     // the new value
	Version       uint64                 `protobuf:"varint,2,opt,name=version,proto3" json:"version,omitempty"` // the new version
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *AddResponse) Reset() {
	*x = AddResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[78]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *AddResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*AddResponse) ProtoMessage() {}

func (x *AddResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[78]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use AddResponse.ProtoReflect.Descriptor instead.
func (*AddResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{78}
}

func (x *AddResponse) GetValue() int64 {
	if x != nil {
		return x.Value
	}
	return 0
}

func (x *AddResponse) GetVersion() uint64 {
	if x != nil {
		return x.Version
	}
	return 0
}

// ScanRequest lists keys that start with prefix and sort strictly after
// after (byte order), ascending. Each data group's part is read
// linearizably, but the groups are read concurrently, not at one point.
type ScanRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Prefix        string                 `protobuf:"bytes,1,opt,name=prefix,proto3" json:"prefix,omitempty"`
	After         string                 `protobuf:"bytes,2,opt,name=after,proto3" json:"after,omitempty"`
	Limit         uint32                 `protobuf:"varint,3,opt,name=limit,proto3" json:"limit,omitempty"` // 1..1000
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ScanRequest) Reset() {
	*x = ScanRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[79]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ScanRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ScanRequest) ProtoMessage() {}

func (x *ScanRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[79]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ScanRequest.ProtoReflect.Descriptor instead.
func (*ScanRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{79}
}

func (x *ScanRequest) GetPrefix() string {
	if x != nil {
		return x.Prefix
	}
	return ""
}

func (x *ScanRequest) GetAfter() string {
	if x != nil {
		return x.After
	}
	return ""
}

func (x *ScanRequest) GetLimit() uint32 {
	if x != nil {
		return x.Limit
	}
	return 0
}

type ScanResponse struct {
	state   protoimpl.MessageState `protogen:"open.v1"`
	Records []*Record              `protobuf:"bytes,1,rep,name=records,proto3" json:"records,omitempty"`
	// truncated: the response reached its size cap (4 MiB of keys and
	// values) before limit; more keys may match. Continue with after set to
	// the last key returned. A page shorter than limit with truncated unset
	// is the end.
	Truncated     bool `protobuf:"varint,2,opt,name=truncated,proto3" json:"truncated,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ScanResponse) Reset() {
	*x = ScanResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[80]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ScanResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ScanResponse) ProtoMessage() {}

func (x *ScanResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[80]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ScanResponse.ProtoReflect.Descriptor instead.
func (*ScanResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{80}
}

func (x *ScanResponse) GetRecords() []*Record {
	if x != nil {
		return x.Records
	}
	return nil
}

func (x *ScanResponse) GetTruncated() bool {
	if x != nil {
		return x.Truncated
	}
	return false
}

// RecordOp is one operation of a Batch.
type RecordOp struct {
	state           protoimpl.MessageState `protogen:"open.v1"`
	Kind            RecordOp_Kind          `protobuf:"varint,1,opt,name=kind,proto3,enum=boxoffice.v1.RecordOp_Kind" json:"kind,omitempty"`
	Key             string                 `protobuf:"bytes,2,opt,name=key,proto3" json:"key,omitempty"`
	ExpectedVersion uint64                 `protobuf:"varint,3,opt,name=expected_version,json=expectedVersion,proto3" json:"expected_version,omitempty"` // PUT, DELETE, CHECK
	AnyVersion      bool                   `protobuf:"varint,4,opt,name=any_version,json=anyVersion,proto3" json:"any_version,omitempty"`                // PUT, DELETE, CHECK: match every version
	Value           []byte                 `protobuf:"bytes,5,opt,name=value,proto3" json:"value,omitempty"`                                             // PUT
	Delta           int64                  `protobuf:"varint,6,opt,name=delta,proto3" json:"delta,omitempty"`                                            // ADD
	Min             int64                  `protobuf:"varint,7,opt,name=min,proto3" json:"min,omitempty"`                                                // ADD
	Max             int64                  `protobuf:"varint,8,opt,name=max,proto3" json:"max,omitempty"`                                                // ADD
	unknownFields   protoimpl.UnknownFields
	sizeCache       protoimpl.SizeCache
}

func (x *RecordOp) Reset() {
	*x = RecordOp{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[81]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RecordOp) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RecordOp) ProtoMessage() {}

func (x *RecordOp) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[81]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RecordOp.ProtoReflect.Descriptor instead.
func (*RecordOp) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{81}
}

func (x *RecordOp) GetKind() RecordOp_Kind {
	if x != nil {
		return x.Kind
	}
	return RecordOp_KIND_UNSPECIFIED
}

func (x *RecordOp) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

func (x *RecordOp) GetExpectedVersion() uint64 {
	if x != nil {
		return x.ExpectedVersion
	}
	return 0
}

func (x *RecordOp) GetAnyVersion() bool {
	if x != nil {
		return x.AnyVersion
	}
	return false
}

func (x *RecordOp) GetValue() []byte {
	if x != nil {
		return x.Value
	}
	return nil
}

func (x *RecordOp) GetDelta() int64 {
	if x != nil {
		return x.Delta
	}
	return 0
}

func (x *RecordOp) GetMin() int64 {
	if x != nil {
		return x.Min
	}
	return 0
}

func (x *RecordOp) GetMax() int64 {
	if x != nil {
		return x.Max
	}
	return 0
}

// BatchRecordsRequest applies 1..64 operations on keys of one placement
// atomically: every condition is checked first, in order, then all apply
// as one write, or none does and the call is refused naming the first
// operation that refused (ErrorInfo "op_index"; for
// VERSION_MISMATCH and OUT_OF_RANGE also "current_version", and for
// OUT_OF_RANGE "current_value"). The sum of keys and values is at most
// 1 MiB. Keys of several placements, or one key named twice, are refused
// INVALID_ARGUMENT (INVALID_REQUEST) and nothing is sent.
type BatchRecordsRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	RequestId     string                 `protobuf:"bytes,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	Ops           []*RecordOp            `protobuf:"bytes,2,rep,name=ops,proto3" json:"ops,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *BatchRecordsRequest) Reset() {
	*x = BatchRecordsRequest{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[82]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *BatchRecordsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*BatchRecordsRequest) ProtoMessage() {}

func (x *BatchRecordsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[82]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use BatchRecordsRequest.ProtoReflect.Descriptor instead.
func (*BatchRecordsRequest) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{82}
}

func (x *BatchRecordsRequest) GetRequestId() string {
	if x != nil {
		return x.RequestId
	}
	return ""
}

func (x *BatchRecordsRequest) GetOps() []*RecordOp {
	if x != nil {
		return x.Ops
	}
	return nil
}

// RecordOpResult is what one applied operation produced.
type RecordOpResult struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// PUT, ADD: the key's new version; DELETE: the version the delete
	// consumed (0 when any_version found nothing); CHECK: the key's version
	// (0: missing).
	Version       uint64 `protobuf:"varint,1,opt,name=version,proto3" json:"version,omitempty"`
	Value         int64  `protobuf:"varint,2,opt,name=value,proto3" json:"value,omitempty"` // ADD: the counter's new value
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RecordOpResult) Reset() {
	*x = RecordOpResult{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[83]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RecordOpResult) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RecordOpResult) ProtoMessage() {}

func (x *RecordOpResult) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[83]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RecordOpResult.ProtoReflect.Descriptor instead.
func (*RecordOpResult) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{83}
}

func (x *RecordOpResult) GetVersion() uint64 {
	if x != nil {
		return x.Version
	}
	return 0
}

func (x *RecordOpResult) GetValue() int64 {
	if x != nil {
		return x.Value
	}
	return 0
}

type BatchRecordsResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Results       []*RecordOpResult      `protobuf:"bytes,1,rep,name=results,proto3" json:"results,omitempty"` // one per operation, in order
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *BatchRecordsResponse) Reset() {
	*x = BatchRecordsResponse{}
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[84]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *BatchRecordsResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*BatchRecordsResponse) ProtoMessage() {}

func (x *BatchRecordsResponse) ProtoReflect() protoreflect.Message {
	mi := &file_api_boxoffice_v1_boxoffice_proto_msgTypes[84]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use BatchRecordsResponse.ProtoReflect.Descriptor instead.
func (*BatchRecordsResponse) Descriptor() ([]byte, []int) {
	return file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP(), []int{84}
}

func (x *BatchRecordsResponse) GetResults() []*RecordOpResult {
	if x != nil {
		return x.Results
	}
	return nil
}

var File_api_boxoffice_v1_boxoffice_proto protoreflect.FileDescriptor

const file_api_boxoffice_v1_boxoffice_proto_rawDesc = "" +
	"\n" +
	" api/boxoffice/v1/boxoffice.proto\x12\fboxoffice.v1\"X\n" +
	"\tPriceTier\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x1f\n" +
	"\vprice_cents\x18\x02 \x01(\x03R\n" +
	"priceCents\x12\x1a\n" +
	"\bcurrency\x18\x03 \x01(\tR\bcurrency\"\xe6\x01\n" +
	"\x03Row\x12\x14\n" +
	"\x05label\x18\x01 \x01(\tR\x05label\x12\x1d\n" +
	"\n" +
	"seat_count\x18\x02 \x01(\rR\tseatCount\x12!\n" +
	"\ffirst_number\x18\x03 \x01(\rR\vfirstNumber\x12\x1d\n" +
	"\n" +
	"price_tier\x18\x04 \x01(\tR\tpriceTier\x12\x1f\n" +
	"\vaisle_after\x18\x05 \x03(\rR\n" +
	"aisleAfter\x12\x1e\n" +
	"\n" +
	"accessible\x18\x06 \x03(\rR\n" +
	"accessible\x12'\n" +
	"\x0frestricted_view\x18\a \x03(\rR\x0erestrictedView\"s\n" +
	"\aSection\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x12\n" +
	"\x04name\x18\x02 \x01(\tR\x04name\x12\x1d\n" +
	"\n" +
	"price_tier\x18\x03 \x01(\tR\tpriceTier\x12%\n" +
	"\x04rows\x18\x04 \x03(\v2\x11.boxoffice.v1.RowR\x04rows\"u\n" +
	"\x14GeneralAdmissionPool\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x12\n" +
	"\x04name\x18\x02 \x01(\tR\x04name\x12\x1a\n" +
	"\bcapacity\x18\x03 \x01(\rR\bcapacity\x12\x1d\n" +
	"\n" +
	"price_tier\x18\x04 \x01(\tR\tpriceTier\"\xc2\x01\n" +
	"\x05Venue\x12\x12\n" +
	"\x04name\x18\x01 \x01(\tR\x04name\x128\n" +
	"\vprice_tiers\x18\x02 \x03(\v2\x17.boxoffice.v1.PriceTierR\n" +
	"priceTiers\x121\n" +
	"\bsections\x18\x03 \x03(\v2\x15.boxoffice.v1.SectionR\bsections\x128\n" +
	"\x05pools\x18\x04 \x03(\v2\".boxoffice.v1.GeneralAdmissionPoolR\x05pools\"\xc1\x01\n" +
	"\vEventPolicy\x12-\n" +
	"\x13hold_ttl_default_ms\x18\x01 \x01(\x03R\x10holdTtlDefaultMs\x12%\n" +
	"\x0fhold_ttl_max_ms\x18\x02 \x01(\x03R\fholdTtlMaxMs\x12/\n" +
	"\x14hold_lifetime_max_ms\x18\x03 \x01(\x03R\x11holdLifetimeMaxMs\x12+\n" +
	"\x12seats_per_hold_max\x18\x04 \x01(\rR\x0fseatsPerHoldMax\"\xea\x03\n" +
	"\x05Event\x12\x19\n" +
	"\bevent_id\x18\x01 \x01(\tR\aeventId\x12\x12\n" +
	"\x04name\x18\x02 \x01(\tR\x04name\x121\n" +
	"\x06status\x18\x03 \x01(\x0e2\x19.boxoffice.v1.EventStatusR\x06status\x121\n" +
	"\x06policy\x18\x04 \x01(\v2\x19.boxoffice.v1.EventPolicyR\x06policy\x12)\n" +
	"\x05venue\x18\x05 \x01(\v2\x13.boxoffice.v1.VenueR\x05venue\x12\x1f\n" +
	"\vshard_count\x18\x06 \x01(\rR\n" +
	"shardCount\x12+\n" +
	"\x12created_at_unix_ms\x18\a \x01(\x03R\x0fcreatedAtUnixMs\x12\x1d\n" +
	"\n" +
	"seat_count\x18\b \x01(\rR\tseatCount\x12<\n" +
	"\x1ageneral_admission_capacity\x18\t \x01(\rR\x18generalAdmissionCapacity\x124\n" +
	"\asurvive\x18\n" +
	" \x01(\x0e2\x1a.boxoffice.v1.SurvivalGoalR\asurvive\x12\x1f\n" +
	"\vhome_region\x18\v \x01(\tR\n" +
	"homeRegion\x12\x1f\n" +
	"\vgroup_count\x18\f \x01(\rR\n" +
	"groupCount\"\xa4\x03\n" +
	"\x04Seat\x12\x17\n" +
	"\aseat_id\x18\x01 \x01(\tR\x06seatId\x12\x16\n" +
	"\x06number\x18\x02 \x01(\rR\x06number\x12\x1d\n" +
	"\n" +
	"price_tier\x18\x03 \x01(\tR\tpriceTier\x12\x1e\n" +
	"\n" +
	"accessible\x18\x04 \x01(\bR\n" +
	"accessible\x12'\n" +
	"\x0frestricted_view\x18\x05 \x01(\bR\x0erestrictedView\x12\x1f\n" +
	"\vaisle_after\x18\x06 \x01(\bR\n" +
	"aisleAfter\x12-\n" +
	"\x05state\x18\a \x01(\x0e2\x17.boxoffice.v1.SeatStateR\x05state\x12\x17\n" +
	"\ahold_id\x18\b \x01(\tR\x06holdId\x12\x16\n" +
	"\x06holder\x18\t \x01(\tR\x06holder\x124\n" +
	"\x17hold_expires_at_unix_ms\x18\n" +
	" \x01(\x03R\x13holdExpiresAtUnixMs\x12\x19\n" +
	"\border_id\x18\v \x01(\tR\aorderId\x12\x14\n" +
	"\x05buyer\x18\f \x01(\tR\x05buyer\x12\x1b\n" +
	"\tticket_id\x18\r \x01(\tR\bticketId\"\x8e\x01\n" +
	"\bRowState\x12\x14\n" +
	"\x05label\x18\x01 \x01(\tR\x05label\x12(\n" +
	"\x05seats\x18\x02 \x03(\v2\x12.boxoffice.v1.SeatR\x05seats\x12\x16\n" +
	"\x06states\x18\x03 \x01(\fR\x06states\x12*\n" +
	"\x11first_seat_number\x18\x04 \x01(\rR\x0ffirstSeatNumber\"\xba\x01\n" +
	"\fSectionState\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x12\n" +
	"\x04name\x18\x02 \x01(\tR\x04name\x12\x14\n" +
	"\x05shard\x18\x03 \x01(\rR\x05shard\x12*\n" +
	"\x04rows\x18\x04 \x03(\v2\x16.boxoffice.v1.RowStateR\x04rows\x12\x1c\n" +
	"\tavailable\x18\x05 \x01(\rR\tavailable\x12\x12\n" +
	"\x04held\x18\x06 \x01(\rR\x04held\x12\x12\n" +
	"\x04sold\x18\a \x01(\rR\x04sold\"\xa8\x01\n" +
	"\tPoolState\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x12\n" +
	"\x04name\x18\x02 \x01(\tR\x04name\x12\x14\n" +
	"\x05shard\x18\x03 \x01(\rR\x05shard\x12\x1a\n" +
	"\bcapacity\x18\x04 \x01(\rR\bcapacity\x12\x12\n" +
	"\x04held\x18\x05 \x01(\rR\x04held\x12\x12\n" +
	"\x04sold\x18\x06 \x01(\rR\x04sold\x12\x1d\n" +
	"\n" +
	"price_tier\x18\a \x01(\tR\tpriceTier\"A\n" +
	"\rShardPosition\x12\x14\n" +
	"\x05shard\x18\x01 \x01(\rR\x05shard\x12\x1a\n" +
	"\bsequence\x18\x02 \x01(\x04R\bsequence\"\x8c\x02\n" +
	"\aSeatMap\x12\x19\n" +
	"\bevent_id\x18\x01 \x01(\tR\aeventId\x126\n" +
	"\bsections\x18\x02 \x03(\v2\x1a.boxoffice.v1.SectionStateR\bsections\x12-\n" +
	"\x05pools\x18\x03 \x03(\v2\x17.boxoffice.v1.PoolStateR\x05pools\x129\n" +
	"\tpositions\x18\x04 \x03(\v2\x1b.boxoffice.v1.ShardPositionR\tpositions\x12\x1c\n" +
	"\tavailable\x18\x05 \x01(\rR\tavailable\x12\x12\n" +
	"\x04held\x18\x06 \x01(\rR\x04held\x12\x12\n" +
	"\x04sold\x18\a \x01(\rR\x04sold\"\xd9\x02\n" +
	"\x12CreateEventRequest\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\tR\trequestId\x12\x19\n" +
	"\bevent_id\x18\x02 \x01(\tR\aeventId\x12\x12\n" +
	"\x04name\x18\x03 \x01(\tR\x04name\x12)\n" +
	"\x05venue\x18\x04 \x01(\v2\x13.boxoffice.v1.VenueR\x05venue\x121\n" +
	"\x06policy\x18\x05 \x01(\v2\x19.boxoffice.v1.EventPolicyR\x06policy\x12\x1f\n" +
	"\vshard_count\x18\x06 \x01(\rR\n" +
	"shardCount\x12\x1f\n" +
	"\vgroup_count\x18\a \x01(\rR\n" +
	"groupCount\x124\n" +
	"\asurvive\x18\b \x01(\x0e2\x1a.boxoffice.v1.SurvivalGoalR\asurvive\x12\x1f\n" +
	"\vhome_region\x18\t \x01(\tR\n" +
	"homeRegion\"@\n" +
	"\x13CreateEventResponse\x12)\n" +
	"\x05event\x18\x01 \x01(\v2\x13.boxoffice.v1.EventR\x05event\",\n" +
	"\x0fGetEventRequest\x12\x19\n" +
	"\bevent_id\x18\x01 \x01(\tR\aeventId\"z\n" +
	"\x11ListEventsRequest\x12\x1b\n" +
	"\tpage_size\x18\x01 \x01(\rR\bpageSize\x12\x1d\n" +
	"\n" +
	"page_token\x18\x02 \x01(\tR\tpageToken\x12)\n" +
	"\x10include_archived\x18\x03 \x01(\bR\x0fincludeArchived\"N\n" +
	"\x12DeleteEventRequest\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\tR\trequestId\x12\x19\n" +
	"\bevent_id\x18\x02 \x01(\tR\aeventId\"@\n" +
	"\x13DeleteEventResponse\x12)\n" +
	"\x05event\x18\x01 \x01(\v2\x13.boxoffice.v1.EventR\x05event\"i\n" +
	"\x12ListEventsResponse\x12+\n" +
	"\x06events\x18\x01 \x03(\v2\x13.boxoffice.v1.EventR\x06events\x12&\n" +
	"\x0fnext_page_token\x18\x02 \x01(\tR\rnextPageToken\"\xe2\x01\n" +
	"\x11GetSeatMapRequest\x12\x19\n" +
	"\bevent_id\x18\x01 \x01(\tR\aeventId\x12?\n" +
	"\vconsistency\x18\x02 \x01(\x0e2\x1d.boxoffice.v1.ReadConsistencyR\vconsistency\x12\x1f\n" +
	"\vsection_ids\x18\x03 \x03(\tR\n" +
	"sectionIds\x12!\n" +
	"\fsummary_only\x18\x04 \x01(\bR\vsummaryOnly\x12-\n" +
	"\x04view\x18\x05 \x01(\x0e2\x19.boxoffice.v1.SeatMapViewR\x04view\"%\n" +
	"\bSeatList\x12\x19\n" +
	"\bseat_ids\x18\x01 \x03(\tR\aseatIds\"\xea\x01\n" +
	"\rBestAvailable\x12\x1a\n" +
	"\bquantity\x18\x01 \x01(\rR\bquantity\x12\x1d\n" +
	"\n" +
	"section_id\x18\x02 \x01(\tR\tsectionId\x12\x1d\n" +
	"\n" +
	"price_tier\x18\x03 \x01(\tR\tpriceTier\x12,\n" +
	"\x12allow_across_aisle\x18\x04 \x01(\bR\x10allowAcrossAisle\x12(\n" +
	"\x10allow_split_rows\x18\x05 \x01(\bR\x0eallowSplitRows\x12'\n" +
	"\x0faccessible_only\x18\x06 \x01(\bR\x0eaccessibleOnly\"G\n" +
	"\x10GeneralAdmission\x12\x17\n" +
	"\apool_id\x18\x01 \x01(\tR\x06poolId\x12\x1a\n" +
	"\bquantity\x18\x02 \x01(\rR\bquantity\"\xb5\x02\n" +
	"\vHoldRequest\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\tR\trequestId\x12\x19\n" +
	"\bevent_id\x18\x02 \x01(\tR\aeventId\x12\x16\n" +
	"\x06holder\x18\x03 \x01(\tR\x06holder\x12\x15\n" +
	"\x06ttl_ms\x18\x04 \x01(\x03R\x05ttlMs\x12.\n" +
	"\x05seats\x18\x05 \x01(\v2\x16.boxoffice.v1.SeatListH\x00R\x05seats\x121\n" +
	"\x04best\x18\x06 \x01(\v2\x1b.boxoffice.v1.BestAvailableH\x00R\x04best\x12M\n" +
	"\x11general_admission\x18\a \x01(\v2\x1e.boxoffice.v1.GeneralAdmissionH\x00R\x10generalAdmissionB\v\n" +
	"\tselection\"\xe0\x01\n" +
	"\fHoldResponse\x12\x17\n" +
	"\ahold_id\x18\x01 \x01(\tR\x06holdId\x12\x19\n" +
	"\bevent_id\x18\x02 \x01(\tR\aeventId\x12\x16\n" +
	"\x06holder\x18\x03 \x01(\tR\x06holder\x12\x19\n" +
	"\bseat_ids\x18\x04 \x03(\tR\aseatIds\x12<\n" +
	"\x1ageneral_admission_quantity\x18\x05 \x01(\rR\x18generalAdmissionQuantity\x12+\n" +
	"\x12expires_at_unix_ms\x18\x06 \x01(\x03R\x0fexpiresAtUnixMs\"\x85\x01\n" +
	"\x0eGetHoldRequest\x12\x19\n" +
	"\bevent_id\x18\x01 \x01(\tR\aeventId\x12\x17\n" +
	"\ahold_id\x18\x02 \x01(\tR\x06holdId\x12?\n" +
	"\vconsistency\x18\x03 \x01(\x0e2\x1d.boxoffice.v1.ReadConsistencyR\vconsistency\"\x95\x01\n" +
	"\x11ExtendHoldRequest\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\tR\trequestId\x12\x19\n" +
	"\bevent_id\x18\x02 \x01(\tR\aeventId\x12\x17\n" +
	"\ahold_id\x18\x03 \x01(\tR\x06holdId\x12\x16\n" +
	"\x06holder\x18\x04 \x01(\tR\x06holder\x12\x15\n" +
	"\x06ttl_ms\x18\x05 \x01(\x03R\x05ttlMs\"{\n" +
	"\x0eReleaseRequest\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\tR\trequestId\x12\x19\n" +
	"\bevent_id\x18\x02 \x01(\tR\aeventId\x12\x17\n" +
	"\ahold_id\x18\x03 \x01(\tR\x06holdId\x12\x16\n" +
	"\x06holder\x18\x04 \x01(\tR\x06holder\"j\n" +
	"\x0fReleaseResponse\x12\x19\n" +
	"\bseat_ids\x18\x01 \x03(\tR\aseatIds\x12<\n" +
	"\x1ageneral_admission_quantity\x18\x02 \x01(\rR\x18generalAdmissionQuantity\"\x8e\x01\n" +
	"\x06Ticket\x12\x1b\n" +
	"\tticket_id\x18\x01 \x01(\tR\bticketId\x12\x17\n" +
	"\aseat_id\x18\x02 \x01(\tR\x06seatId\x12\x19\n" +
	"\border_id\x18\x03 \x01(\tR\aorderId\x12\x14\n" +
	"\x05buyer\x18\x04 \x01(\tR\x05buyer\x12\x1d\n" +
	"\n" +
	"price_tier\x18\x05 \x01(\tR\tpriceTier\"\xa9\x01\n" +
	"\vSellRequest\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\tR\trequestId\x12\x19\n" +
	"\bevent_id\x18\x02 \x01(\tR\aeventId\x12\x17\n" +
	"\ahold_id\x18\x03 \x01(\tR\x06holdId\x12\x16\n" +
	"\x06holder\x18\x04 \x01(\tR\x06holder\x12\x19\n" +
	"\border_id\x18\x05 \x01(\tR\aorderId\x12\x14\n" +
	"\x05buyer\x18\x06 \x01(\tR\x05buyer\"Y\n" +
	"\fSellResponse\x12\x19\n" +
	"\border_id\x18\x01 \x01(\tR\aorderId\x12.\n" +
	"\atickets\x18\x02 \x03(\v2\x14.boxoffice.v1.TicketR\atickets\"\x83\x01\n" +
	"\rRefundRequest\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\tR\trequestId\x12\x19\n" +
	"\bevent_id\x18\x02 \x01(\tR\aeventId\x12\x19\n" +
	"\border_id\x18\x03 \x01(\tR\aorderId\x12\x1d\n" +
	"\n" +
	"ticket_ids\x18\x04 \x03(\tR\tticketIds\"@\n" +
	"\x0eRefundResponse\x12.\n" +
	"\atickets\x18\x01 \x03(\v2\x14.boxoffice.v1.TicketR\atickets\"\xb0\x02\n" +
	"\n" +
	"SeatChange\x12\x14\n" +
	"\x05shard\x18\x01 \x01(\rR\x05shard\x12\x1a\n" +
	"\bsequence\x18\x02 \x01(\x04R\bsequence\x12\x17\n" +
	"\aseat_id\x18\x03 \x01(\tR\x06seatId\x12-\n" +
	"\x05state\x18\x04 \x01(\x0e2\x17.boxoffice.v1.SeatStateR\x05state\x12\x17\n" +
	"\ahold_id\x18\x05 \x01(\tR\x06holdId\x12\x19\n" +
	"\border_id\x18\x06 \x01(\tR\aorderId\x124\n" +
	"\x17hold_expires_at_unix_ms\x18\a \x01(\x03R\x13holdExpiresAtUnixMs\x12>\n" +
	"\x1bgeneral_admission_available\x18\b \x01(\rR\x19generalAdmissionAvailable\"\\\n" +
	"\fWatchRequest\x12\x19\n" +
	"\bevent_id\x18\x01 \x01(\tR\aeventId\x121\n" +
	"\x05after\x18\x02 \x03(\v2\x1b.boxoffice.v1.ShardPositionR\x05after\"C\n" +
	"\rWatchResponse\x122\n" +
	"\achanges\x18\x01 \x03(\v2\x18.boxoffice.v1.SeatChangeR\achanges\"{\n" +
	"\x13ReadSeatMapsRequest\x12\x10\n" +
	"\x03tag\x18\x01 \x01(\x04R\x03tag\x123\n" +
	"\x04read\x18\x02 \x01(\v2\x1f.boxoffice.v1.GetSeatMapRequestR\x04read\x12\x1d\n" +
	"\n" +
	"timeout_ms\x18\x03 \x01(\rR\ttimeoutMs\"\x99\x01\n" +
	"\x14ReadSeatMapsResponse\x12\x10\n" +
	"\x03tag\x18\x01 \x01(\x04R\x03tag\x122\n" +
	"\bseat_map\x18\x02 \x01(\v2\x15.boxoffice.v1.SeatMapH\x00R\aseatMap\x121\n" +
	"\x05error\x18\x03 \x01(\v2\x19.boxoffice.v1.StreamErrorH\x00R\x05errorB\b\n" +
	"\x06result\"\xf6\x01\n" +
	"\vStreamError\x12\x12\n" +
	"\x04code\x18\x01 \x01(\x05R\x04code\x12\x18\n" +
	"\amessage\x18\x02 \x01(\tR\amessage\x12\x16\n" +
	"\x06reason\x18\x03 \x01(\tR\x06reason\x12C\n" +
	"\bmetadata\x18\x04 \x03(\v2'.boxoffice.v1.StreamError.MetadataEntryR\bmetadata\x12\x1f\n" +
	"\vleader_addr\x18\x05 \x01(\tR\n" +
	"leaderAddr\x1a;\n" +
	"\rMetadataEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"\x97\x03\n" +
	"\x0fCommandsRequest\x12\x10\n" +
	"\x03tag\x18\x01 \x01(\x04R\x03tag\x12\x1d\n" +
	"\n" +
	"timeout_ms\x18\x02 \x01(\rR\ttimeoutMs\x12/\n" +
	"\x04hold\x18\x03 \x01(\v2\x19.boxoffice.v1.HoldRequestH\x00R\x04hold\x12/\n" +
	"\x04sell\x18\x04 \x01(\v2\x19.boxoffice.v1.SellRequestH\x00R\x04sell\x128\n" +
	"\arelease\x18\x05 \x01(\v2\x1c.boxoffice.v1.ReleaseRequestH\x00R\arelease\x12B\n" +
	"\vextend_hold\x18\x06 \x01(\v2\x1f.boxoffice.v1.ExtendHoldRequestH\x00R\n" +
	"extendHold\x125\n" +
	"\x06refund\x18\a \x01(\v2\x1b.boxoffice.v1.RefundRequestH\x00R\x06refund\x121\n" +
	"\x04more\x18\b \x03(\v2\x1d.boxoffice.v1.CommandsRequestR\x04moreB\t\n" +
	"\acommand\"\xab\x03\n" +
	"\x10CommandsResponse\x12\x10\n" +
	"\x03tag\x18\x01 \x01(\x04R\x03tag\x120\n" +
	"\x04hold\x18\x02 \x01(\v2\x1a.boxoffice.v1.HoldResponseH\x00R\x04hold\x120\n" +
	"\x04sell\x18\x03 \x01(\v2\x1a.boxoffice.v1.SellResponseH\x00R\x04sell\x129\n" +
	"\arelease\x18\x04 \x01(\v2\x1d.boxoffice.v1.ReleaseResponseH\x00R\arelease\x12=\n" +
	"\vextend_hold\x18\x05 \x01(\v2\x1a.boxoffice.v1.HoldResponseH\x00R\n" +
	"extendHold\x126\n" +
	"\x06refund\x18\x06 \x01(\v2\x1c.boxoffice.v1.RefundResponseH\x00R\x06refund\x121\n" +
	"\x05error\x18\a \x01(\v2\x19.boxoffice.v1.StreamErrorH\x00R\x05error\x122\n" +
	"\x04more\x18\b \x03(\v2\x1e.boxoffice.v1.CommandsResponseR\x04moreB\b\n" +
	"\x06result\"\xc3\x03\n" +
	"\bNodeInfo\x12\x17\n" +
	"\anode_id\x18\x01 \x01(\tR\x06nodeId\x12\x1b\n" +
	"\tgrpc_addr\x18\x02 \x01(\tR\bgrpcAddr\x12\x1b\n" +
	"\tpeer_addr\x18\x03 \x01(\tR\bpeerAddr\x12\x1b\n" +
	"\thttp_addr\x18\x04 \x01(\tR\bhttpAddr\x12\x1f\n" +
	"\vgossip_addr\x18\x05 \x01(\tR\n" +
	"gossipAddr\x12\x14\n" +
	"\x05state\x18\x06 \x01(\tR\x05state\x126\n" +
	"\blocality\x18\a \x03(\v2\x1a.boxoffice.v1.LocalityTierR\blocality\x12\x1a\n" +
	"\bdraining\x18\b \x01(\bR\bdraining\x12'\n" +
	"\x0frelease_version\x18\v \x01(\tR\x0ereleaseVersion\x12#\n" +
	"\rfeature_level\x18\f \x01(\rR\ffeatureLevel\x12\x1f\n" +
	"\volder_build\x18\r \x01(\bR\n" +
	"olderBuild\x12(\n" +
	"\x0fdecommissioning\x18\t \x01(\bR\x0fdecommissioning\x12#\n" +
	"\rreplica_count\x18\n" +
	" \x01(\rR\freplicaCount\"6\n" +
	"\fLocalityTier\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value\"\xd8\x03\n" +
	"\rReplicaStatus\x12\x17\n" +
	"\anode_id\x18\x01 \x01(\tR\x06nodeId\x12\x1d\n" +
	"\n" +
	"raft_state\x18\x02 \x01(\tR\traftState\x12#\n" +
	"\rapplied_index\x18\x03 \x01(\x04R\fappliedIndex\x12!\n" +
	"\fcommit_index\x18\x04 \x01(\x04R\vcommitIndex\x12$\n" +
	"\x0elast_log_index\x18\x05 \x01(\x04R\flastLogIndex\x12\x12\n" +
	"\x04term\x18\x06 \x01(\x04R\x04term\x12\x14\n" +
	"\x05voter\x18\a \x01(\bR\x05voter\x12\x1d\n" +
	"\n" +
	"state_hash\x18\b \x01(\tR\tstateHash\x12(\n" +
	"\x10state_hash_index\x18\t \x01(\x04R\x0estateHashIndex\x121\n" +
	"\x15last_known_raft_state\x18\n" +
	" \x01(\tR\x12lastKnownRaftState\x12(\n" +
	"\x10last_known_voter\x18\v \x01(\bR\x0elastKnownVoter\x12&\n" +
	"\x0flast_known_term\x18\f \x01(\x04R\rlastKnownTerm\x12)\n" +
	"\x11last_seen_unix_ms\x18\r \x01(\x03R\x0elastSeenUnixMs\"\xdc\x02\n" +
	"\vGroupStatus\x12\x19\n" +
	"\bgroup_id\x18\x01 \x01(\tR\agroupId\x12$\n" +
	"\x0eleader_node_id\x18\x02 \x01(\tR\fleaderNodeId\x127\n" +
	"\breplicas\x18\x03 \x03(\v2\x1b.boxoffice.v1.ReplicaStatusR\breplicas\x12\x16\n" +
	"\x06shards\x18\x04 \x03(\tR\x06shards\x127\n" +
	"\x18preferred_leader_node_id\x18\x05 \x01(\tR\x15preferredLeaderNodeId\x12$\n" +
	"\rconfiguration\x18\x06 \x03(\tR\rconfiguration\x12\x1f\n" +
	"\vhome_region\x18\b \x01(\tR\n" +
	"homeRegion\x12;\n" +
	"\x1arecent_commands_per_second\x18\t \x01(\x01R\x17recentCommandsPerSecond\"`\n" +
	"\rStatusRequest\x12\x1d\n" +
	"\n" +
	"local_only\x18\x01 \x01(\bR\tlocalOnly\x120\n" +
	"\x14include_state_hashes\x18\x02 \x01(\bR\x12includeStateHashes\"\x83\x02\n" +
	"\x0eStatusResponse\x12\x17\n" +
	"\anode_id\x18\x01 \x01(\tR\x06nodeId\x12,\n" +
	"\x05nodes\x18\x02 \x03(\v2\x16.boxoffice.v1.NodeInfoR\x05nodes\x121\n" +
	"\x06groups\x18\x03 \x03(\v2\x19.boxoffice.v1.GroupStatusR\x06groups\x12\x1c\n" +
	"\tplaintext\x18\x04 \x01(\bR\tplaintext\x122\n" +
	"\x15cluster_feature_level\x18\x05 \x01(\rR\x13clusterFeatureLevel\x12%\n" +
	"\x0emixed_versions\x18\x06 \x01(\bR\rmixedVersions\"\xc9\x01\n" +
	"\n" +
	"ShardRoute\x12\x14\n" +
	"\x05shard\x18\x01 \x01(\rR\x05shard\x12\x19\n" +
	"\bgroup_id\x18\x02 \x01(\tR\agroupId\x12$\n" +
	"\x0eleader_node_id\x18\x03 \x01(\tR\fleaderNodeId\x12(\n" +
	"\x10leader_grpc_addr\x18\x04 \x01(\tR\x0eleaderGrpcAddr\x12\x1f\n" +
	"\vsection_ids\x18\x05 \x03(\tR\n" +
	"sectionIds\x12\x19\n" +
	"\bpool_ids\x18\x06 \x03(\tR\apoolIds\"+\n" +
	"\x0eRoutingRequest\x12\x19\n" +
	"\bevent_id\x18\x01 \x01(\tR\aeventId\"\x8c\x01\n" +
	"\x0fRoutingResponse\x12\x19\n" +
	"\bevent_id\x18\x01 \x01(\tR\aeventId\x120\n" +
	"\x06shards\x18\x02 \x03(\v2\x18.boxoffice.v1.ShardRouteR\x06shards\x12,\n" +
	"\x05nodes\x18\x03 \x03(\v2\x16.boxoffice.v1.NodeInfoR\x05nodes\",\n" +
	"\x11RemoveNodeRequest\x12\x17\n" +
	"\anode_id\x18\x01 \x01(\tR\x06nodeId\"\x14\n" +
	"\x12RemoveNodeResponse\"K\n" +
	"\x15TransferLeaderRequest\x12\x19\n" +
	"\bgroup_id\x18\x01 \x01(\tR\agroupId\x12\x17\n" +
	"\anode_id\x18\x02 \x01(\tR\x06nodeId\"\x18\n" +
	"\x16TransferLeaderResponse\"A\n" +
	"\fDrainRequest\x12\x17\n" +
	"\anode_id\x18\x01 \x01(\tR\x06nodeId\x12\x18\n" +
	"\adrained\x18\x02 \x01(\bR\adrained\"\x0f\n" +
	"\rDrainResponse\"*\n" +
	"\rBackupRequest\x12\x19\n" +
	"\bgroup_id\x18\x01 \x01(\tR\agroupId\"z\n" +
	"\vBackupChunk\x12\x19\n" +
	"\bgroup_id\x18\x01 \x01(\tR\agroupId\x12\x14\n" +
	"\x05index\x18\x02 \x01(\x04R\x05index\x12\x12\n" +
	"\x04term\x18\x03 \x01(\x04R\x04term\x12\x12\n" +
	"\x04size\x18\x04 \x01(\x04R\x04size\x12\x12\n" +
	"\x04data\x18\x05 \x01(\fR\x04data\"?\n" +
	"\x18CheckFeatureLevelRequest\x12#\n" +
	"\rfeature_level\x18\x01 \x01(\rR\ffeatureLevel\"t\n" +
	"\x19CheckFeatureLevelResponse\x12#\n" +
	"\rfeature_level\x18\x01 \x01(\rR\ffeatureLevel\x122\n" +
	"\x15cluster_feature_level\x18\x02 \x01(\rR\x13clusterFeatureLevel\"G\n" +
	"\x10AddGroupsRequest\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\tR\trequestId\x12\x14\n" +
	"\x05count\x18\x02 \x01(\rR\x05count\"0\n" +
	"\x11AddGroupsResponse\x12\x1b\n" +
	"\tgroup_ids\x18\x01 \x03(\tR\bgroupIds\"^\n" +
	"\x10MoveShardRequest\x12\x19\n" +
	"\bevent_id\x18\x01 \x01(\tR\aeventId\x12\x14\n" +
	"\x05shard\x18\x02 \x01(\rR\x05shard\x12\x19\n" +
	"\bgroup_id\x18\x03 \x01(\tR\agroupId\"\\\n" +
	"\x11MoveShardResponse\x12\x17\n" +
	"\amove_id\x18\x01 \x01(\tR\x06moveId\x12\x18\n" +
	"\aresumed\x18\x02 \x01(\bR\aresumed\x12\x14\n" +
	"\x05steps\x18\x03 \x03(\tR\x05steps\"R\n" +
	"\x13DecommissionRequest\x12\x17\n" +
	"\anode_id\x18\x01 \x01(\tR\x06nodeId\x12\"\n" +
	"\frecommission\x18\x02 \x01(\bR\frecommission\"\x16\n" +
	"\x14DecommissionResponse\"\x16\n" +
	"\x14PlanRebalanceRequest\"\x96\x01\n" +
	"\rRebalanceMove\x12\x19\n" +
	"\bgroup_id\x18\x01 \x01(\tR\agroupId\x12\x12\n" +
	"\x04kind\x18\x02 \x01(\tR\x04kind\x12 \n" +
	"\ffrom_node_id\x18\x03 \x01(\tR\n" +
	"fromNodeId\x12\x1c\n" +
	"\n" +
	"to_node_id\x18\x04 \x01(\tR\btoNodeId\x12\x16\n" +
	"\x06reason\x18\x05 \x01(\tR\x06reason\"\x9e\x01\n" +
	"\x15PlanRebalanceResponse\x121\n" +
	"\x05moves\x18\x01 \x03(\v2\x1b.boxoffice.v1.RebalanceMoveR\x05moves\x128\n" +
	"\tin_flight\x18\x02 \x03(\v2\x1b.boxoffice.v1.RebalanceMoveR\binFlight\x12\x18\n" +
	"\ablocked\x18\x03 \x03(\tR\ablocked\"J\n" +
	"\x06Record\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\fR\x05value\x12\x18\n" +
	"\aversion\x18\x03 \x01(\x04R\aversion\"$\n" +
	"\x10GetRecordRequest\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\"\x89\x01\n" +
	"\x15CompareAndSwapRequest\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\tR\trequestId\x12\x10\n" +
	"\x03key\x18\x02 \x01(\tR\x03key\x12)\n" +
	"\x10expected_version\x18\x03 \x01(\x04R\x0fexpectedVersion\x12\x14\n" +
	"\x05value\x18\x04 \x01(\fR\x05value\"2\n" +
	"\x16CompareAndSwapResponse\x12\x18\n" +
	"\aversion\x18\x01 \x01(\x04R\aversion\"q\n" +
	"\x13DeleteRecordRequest\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\tR\trequestId\x12\x10\n" +
	"\x03key\x18\x02 \x01(\tR\x03key\x12)\n" +
	"\x10expected_version\x18\x03 \x01(\x04R\x0fexpectedVersion\"\x16\n" +
	"\x14DeleteRecordResponse\"w\n" +
	"\n" +
	"AddRequest\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\tR\trequestId\x12\x10\n" +
	"\x03key\x18\x02 \x01(\tR\x03key\x12\x14\n" +
	"\x05delta\x18\x03 \x01(\x03R\x05delta\x12\x10\n" +
	"\x03min\x18\x04 \x01(\x03R\x03min\x12\x10\n" +
	"\x03max\x18\x05 \x01(\x03R\x03max\"=\n" +
	"\vAddResponse\x12\x14\n" +
	"\x05value\x18\x01 \x01(\x03R\x05value\x12\x18\n" +
	"\aversion\x18\x02 \x01(\x04R\aversion\"Q\n" +
	"\vScanRequest\x12\x16\n" +
	"\x06prefix\x18\x01 \x01(\tR\x06prefix\x12\x14\n" +
	"\x05after\x18\x02 \x01(\tR\x05after\x12\x14\n" +
	"\x05limit\x18\x03 \x01(\rR\x05limit\"\\\n" +
	"\fScanResponse\x12.\n" +
	"\arecords\x18\x01 \x03(\v2\x14.boxoffice.v1.RecordR\arecords\x12\x1c\n" +
	"\ttruncated\x18\x02 \x01(\bR\ttruncated\"\xc4\x02\n" +
	"\bRecordOp\x12/\n" +
	"\x04kind\x18\x01 \x01(\x0e2\x1b.boxoffice.v1.RecordOp.KindR\x04kind\x12\x10\n" +
	"\x03key\x18\x02 \x01(\tR\x03key\x12)\n" +
	"\x10expected_version\x18\x03 \x01(\x04R\x0fexpectedVersion\x12\x1f\n" +
	"\vany_version\x18\x04 \x01(\bR\n" +
	"anyVersion\x12\x14\n" +
	"\x05value\x18\x05 \x01(\fR\x05value\x12\x14\n" +
	"\x05delta\x18\x06 \x01(\x03R\x05delta\x12\x10\n" +
	"\x03min\x18\a \x01(\x03R\x03min\x12\x10\n" +
	"\x03max\x18\b \x01(\x03R\x03max\"Y\n" +
	"\x04Kind\x12\x14\n" +
	"\x10KIND_UNSPECIFIED\x10\x00\x12\f\n" +
	"\bKIND_PUT\x10\x01\x12\x0f\n" +
	"\vKIND_DELETE\x10\x02\x12\f\n" +
	"\bKIND_ADD\x10\x03\x12\x0e\n" +
	"\n" +
	"KIND_CHECK\x10\x04\"^\n" +
	"\x13BatchRecordsRequest\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\tR\trequestId\x12(\n" +
	"\x03ops\x18\x02 \x03(\v2\x16.boxoffice.v1.RecordOpR\x03ops\"@\n" +
	"\x0eRecordOpResult\x12\x18\n" +
	"\aversion\x18\x01 \x01(\x04R\aversion\x12\x14\n" +
	"\x05value\x18\x02 \x01(\x03R\x05value\"N\n" +
	"\x14BatchRecordsResponse\x126\n" +
	"\aresults\x18\x01 \x03(\v2\x1c.boxoffice.v1.RecordOpResultR\aresults*\x95\x01\n" +
	"\vEventStatus\x12\x1c\n" +
	"\x18EVENT_STATUS_UNSPECIFIED\x10\x00\x12\x19\n" +
	"\x15EVENT_STATUS_CREATING\x10\x01\x12\x16\n" +
	"\x12EVENT_STATUS_READY\x10\x02\x12\x1a\n" +
	"\x16EVENT_STATUS_ARCHIVING\x10\x03\x12\x19\n" +
	"\x15EVENT_STATUS_ARCHIVED\x10\x04*_\n" +
	"\fSurvivalGoal\x12\x1d\n" +
	"\x19SURVIVAL_GOAL_UNSPECIFIED\x10\x00\x12\x16\n" +
	"\x12SURVIVAL_GOAL_ZONE\x10\x01\x12\x18\n" +
	"\x14SURVIVAL_GOAL_REGION\x10\x02*k\n" +
	"\tSeatState\x12\x1a\n" +
	"\x16SEAT_STATE_UNSPECIFIED\x10\x00\x12\x18\n" +
	"\x14SEAT_STATE_AVAILABLE\x10\x01\x12\x13\n" +
	"\x0fSEAT_STATE_HELD\x10\x02\x12\x13\n" +
	"\x0fSEAT_STATE_SOLD\x10\x03*r\n" +
	"\x0fReadConsistency\x12 \n" +
	"\x1cREAD_CONSISTENCY_UNSPECIFIED\x10\x00\x12!\n" +
	"\x1dREAD_CONSISTENCY_LINEARIZABLE\x10\x01\x12\x1a\n" +
	"\x16READ_CONSISTENCY_STALE\x10\x02*\x7f\n" +
	"\vSeatMapView\x12\x1d\n" +
	"\x19SEAT_MAP_VIEW_UNSPECIFIED\x10\x00\x12\x16\n" +
	"\x12SEAT_MAP_VIEW_FULL\x10\x01\x12\x1e\n" +
	"\x1aSEAT_MAP_VIEW_AVAILABILITY\x10\x02\x12\x19\n" +
	"\x15SEAT_MAP_VIEW_SUMMARY\x10\x032\x93\b\n" +
	"\tInventory\x12R\n" +
	"\vCreateEvent\x12 .boxoffice.v1.CreateEventRequest\x1a!.boxoffice.v1.CreateEventResponse\x12>\n" +
	"\bGetEvent\x12\x1d.boxoffice.v1.GetEventRequest\x1a\x13.boxoffice.v1.Event\x12R\n" +
	"\vDeleteEvent\x12 .boxoffice.v1.DeleteEventRequest\x1a!.boxoffice.v1.DeleteEventResponse\x12O\n" +
	"\n" +
	"ListEvents\x12\x1f.boxoffice.v1.ListEventsRequest\x1a .boxoffice.v1.ListEventsResponse\x12D\n" +
	"\n" +
	"GetSeatMap\x12\x1f.boxoffice.v1.GetSeatMapRequest\x1a\x15.boxoffice.v1.SeatMap\x12C\n" +
	"\aGetHold\x12\x1c.boxoffice.v1.GetHoldRequest\x1a\x1a.boxoffice.v1.HoldResponse\x12=\n" +
	"\x04Hold\x12\x19.boxoffice.v1.HoldRequest\x1a\x1a.boxoffice.v1.HoldResponse\x12I\n" +
	"\n" +
	"ExtendHold\x12\x1f.boxoffice.v1.ExtendHoldRequest\x1a\x1a.boxoffice.v1.HoldResponse\x12F\n" +
	"\aRelease\x12\x1c.boxoffice.v1.ReleaseRequest\x1a\x1d.boxoffice.v1.ReleaseResponse\x12=\n" +
	"\x04Sell\x12\x19.boxoffice.v1.SellRequest\x1a\x1a.boxoffice.v1.SellResponse\x12C\n" +
	"\x06Refund\x12\x1b.boxoffice.v1.RefundRequest\x1a\x1c.boxoffice.v1.RefundResponse\x12B\n" +
	"\x05Watch\x12\x1a.boxoffice.v1.WatchRequest\x1a\x1b.boxoffice.v1.WatchResponse0\x01\x12Y\n" +
	"\fReadSeatMaps\x12!.boxoffice.v1.ReadSeatMapsRequest\x1a\".boxoffice.v1.ReadSeatMapsResponse(\x010\x01\x12M\n" +
	"\bCommands\x12\x1d.boxoffice.v1.CommandsRequest\x1a\x1e.boxoffice.v1.CommandsResponse(\x010\x012\xfd\x06\n" +
	"\aCluster\x12C\n" +
	"\x06Status\x12\x1b.boxoffice.v1.StatusRequest\x1a\x1c.boxoffice.v1.StatusResponse\x12F\n" +
	"\aRouting\x12\x1c.boxoffice.v1.RoutingRequest\x1a\x1d.boxoffice.v1.RoutingResponse\x12O\n" +
	"\n" +
	"RemoveNode\x12\x1f.boxoffice.v1.RemoveNodeRequest\x1a .boxoffice.v1.RemoveNodeResponse\x12[\n" +
	"\x0eTransferLeader\x12#.boxoffice.v1.TransferLeaderRequest\x1a$.boxoffice.v1.TransferLeaderResponse\x12@\n" +
	"\x05Drain\x12\x1a.boxoffice.v1.DrainRequest\x1a\x1b.boxoffice.v1.DrainResponse\x12B\n" +
	"\x06Backup\x12\x1b.boxoffice.v1.BackupRequest\x1a\x19.boxoffice.v1.BackupChunk0\x01\x12d\n" +
	"\x11CheckFeatureLevel\x12&.boxoffice.v1.CheckFeatureLevelRequest\x1a'.boxoffice.v1.CheckFeatureLevelResponse\x12L\n" +
	"\tAddGroups\x12\x1e.boxoffice.v1.AddGroupsRequest\x1a\x1f.boxoffice.v1.AddGroupsResponse\x12L\n" +
	"\tMoveShard\x12\x1e.boxoffice.v1.MoveShardRequest\x1a\x1f.boxoffice.v1.MoveShardResponse\x12U\n" +
	"\fDecommission\x12!.boxoffice.v1.DecommissionRequest\x1a\".boxoffice.v1.DecommissionResponse\x12X\n" +
	"\rPlanRebalance\x12\".boxoffice.v1.PlanRebalanceRequest\x1a#.boxoffice.v1.PlanRebalanceResponse2\xbf\x03\n" +
	"\aRecords\x12;\n" +
	"\x03Get\x12\x1e.boxoffice.v1.GetRecordRequest\x1a\x14.boxoffice.v1.Record\x12[\n" +
	"\x0eCompareAndSwap\x12#.boxoffice.v1.CompareAndSwapRequest\x1a$.boxoffice.v1.CompareAndSwapResponse\x12O\n" +
	"\x06Delete\x12!.boxoffice.v1.DeleteRecordRequest\x1a\".boxoffice.v1.DeleteRecordResponse\x12:\n" +
	"\x03Add\x12\x18.boxoffice.v1.AddRequest\x1a\x19.boxoffice.v1.AddResponse\x12=\n" +
	"\x04Scan\x12\x19.boxoffice.v1.ScanRequest\x1a\x1a.boxoffice.v1.ScanResponse\x12N\n" +
	"\x05Batch\x12!.boxoffice.v1.BatchRecordsRequest\x1a\".boxoffice.v1.BatchRecordsResponseB=Z;github.com/boxoffice/boxoffice/api/boxoffice/v1;boxofficev1b\x06proto3"

var (
	file_api_boxoffice_v1_boxoffice_proto_rawDescOnce sync.Once
	file_api_boxoffice_v1_boxoffice_proto_rawDescData []byte
)

func file_api_boxoffice_v1_boxoffice_proto_rawDescGZIP() []byte {
	file_api_boxoffice_v1_boxoffice_proto_rawDescOnce.Do(func() {
		file_api_boxoffice_v1_boxoffice_proto_rawDescData = protoimpl.X.CompressGZIP(unsafe.Slice(unsafe.StringData(file_api_boxoffice_v1_boxoffice_proto_rawDesc), len(file_api_boxoffice_v1_boxoffice_proto_rawDesc)))
	})
	return file_api_boxoffice_v1_boxoffice_proto_rawDescData
}

var file_api_boxoffice_v1_boxoffice_proto_enumTypes = make([]protoimpl.EnumInfo, 6)
var file_api_boxoffice_v1_boxoffice_proto_msgTypes = make([]protoimpl.MessageInfo, 86)
var file_api_boxoffice_v1_boxoffice_proto_goTypes = []any{
	(EventStatus)(0),                  // 0: boxoffice.v1.EventStatus
	(SurvivalGoal)(0),                 // 1: boxoffice.v1.SurvivalGoal
	(SeatState)(0),                    // 2: boxoffice.v1.SeatState
	(ReadConsistency)(0),              // 3: boxoffice.v1.ReadConsistency
	(SeatMapView)(0),                  // 4: boxoffice.v1.SeatMapView
	(RecordOp_Kind)(0),                // 5: boxoffice.v1.RecordOp.Kind
	(*PriceTier)(nil),                 // 6: boxoffice.v1.PriceTier
	(*Row)(nil),                       // 7: boxoffice.v1.Row
	(*Section)(nil),                   // 8: boxoffice.v1.Section
	(*GeneralAdmissionPool)(nil),      // 9: boxoffice.v1.GeneralAdmissionPool
	(*Venue)(nil),                     // 10: boxoffice.v1.Venue
	(*EventPolicy)(nil),               // 11: boxoffice.v1.EventPolicy
	(*Event)(nil),                     // 12: boxoffice.v1.Event
	(*Seat)(nil),                      // 13: boxoffice.v1.Seat
	(*RowState)(nil),                  // 14: boxoffice.v1.RowState
	(*SectionState)(nil),              // 15: boxoffice.v1.SectionState
	(*PoolState)(nil),                 // 16: boxoffice.v1.PoolState
	(*ShardPosition)(nil),             // 17: boxoffice.v1.ShardPosition
	(*SeatMap)(nil),                   // 18: boxoffice.v1.SeatMap
	(*CreateEventRequest)(nil),        // 19: boxoffice.v1.CreateEventRequest
	(*CreateEventResponse)(nil),       // 20: boxoffice.v1.CreateEventResponse
	(*GetEventRequest)(nil),           // 21: boxoffice.v1.GetEventRequest
	(*ListEventsRequest)(nil),         // 22: boxoffice.v1.ListEventsRequest
	(*DeleteEventRequest)(nil),        // 23: boxoffice.v1.DeleteEventRequest
	(*DeleteEventResponse)(nil),       // 24: boxoffice.v1.DeleteEventResponse
	(*ListEventsResponse)(nil),        // 25: boxoffice.v1.ListEventsResponse
	(*GetSeatMapRequest)(nil),         // 26: boxoffice.v1.GetSeatMapRequest
	(*SeatList)(nil),                  // 27: boxoffice.v1.SeatList
	(*BestAvailable)(nil),             // 28: boxoffice.v1.BestAvailable
	(*GeneralAdmission)(nil),          // 29: boxoffice.v1.GeneralAdmission
	(*HoldRequest)(nil),               // 30: boxoffice.v1.HoldRequest
	(*HoldResponse)(nil),              // 31: boxoffice.v1.HoldResponse
	(*GetHoldRequest)(nil),            // 32: boxoffice.v1.GetHoldRequest
	(*ExtendHoldRequest)(nil),         // 33: boxoffice.v1.ExtendHoldRequest
	(*ReleaseRequest)(nil),            // 34: boxoffice.v1.ReleaseRequest
	(*ReleaseResponse)(nil),           // 35: boxoffice.v1.ReleaseResponse
	(*Ticket)(nil),                    // 36: boxoffice.v1.Ticket
	(*SellRequest)(nil),               // 37: boxoffice.v1.SellRequest
	(*SellResponse)(nil),              // 38: boxoffice.v1.SellResponse
	(*RefundRequest)(nil),             // 39: boxoffice.v1.RefundRequest
	(*RefundResponse)(nil),            // 40: boxoffice.v1.RefundResponse
	(*SeatChange)(nil),                // 41: boxoffice.v1.SeatChange
	(*WatchRequest)(nil),              // 42: boxoffice.v1.WatchRequest
	(*WatchResponse)(nil),             // 43: boxoffice.v1.WatchResponse
	(*ReadSeatMapsRequest)(nil),       // 44: boxoffice.v1.ReadSeatMapsRequest
	(*ReadSeatMapsResponse)(nil),      // 45: boxoffice.v1.ReadSeatMapsResponse
	(*StreamError)(nil),               // 46: boxoffice.v1.StreamError
	(*CommandsRequest)(nil),           // 47: boxoffice.v1.CommandsRequest
	(*CommandsResponse)(nil),          // 48: boxoffice.v1.CommandsResponse
	(*NodeInfo)(nil),                  // 49: boxoffice.v1.NodeInfo
	(*LocalityTier)(nil),              // 50: boxoffice.v1.LocalityTier
	(*ReplicaStatus)(nil),             // 51: boxoffice.v1.ReplicaStatus
	(*GroupStatus)(nil),               // 52: boxoffice.v1.GroupStatus
	(*StatusRequest)(nil),             // 53: boxoffice.v1.StatusRequest
	(*StatusResponse)(nil),            // 54: boxoffice.v1.StatusResponse
	(*ShardRoute)(nil),                // 55: boxoffice.v1.ShardRoute
	(*RoutingRequest)(nil),            // 56: boxoffice.v1.RoutingRequest
	(*RoutingResponse)(nil),           // 57: boxoffice.v1.RoutingResponse
	(*RemoveNodeRequest)(nil),         // 58: boxoffice.v1.RemoveNodeRequest
	(*RemoveNodeResponse)(nil),        // 59: boxoffice.v1.RemoveNodeResponse
	(*TransferLeaderRequest)(nil),     // 60: boxoffice.v1.TransferLeaderRequest
	(*TransferLeaderResponse)(nil),    // 61: boxoffice.v1.TransferLeaderResponse
	(*DrainRequest)(nil),              // 62: boxoffice.v1.DrainRequest
	(*DrainResponse)(nil),             // 63: boxoffice.v1.DrainResponse
	(*BackupRequest)(nil),             // 64: boxoffice.v1.BackupRequest
	(*BackupChunk)(nil),               // 65: boxoffice.v1.BackupChunk
	(*CheckFeatureLevelRequest)(nil),  // 66: boxoffice.v1.CheckFeatureLevelRequest
	(*CheckFeatureLevelResponse)(nil), // 67: boxoffice.v1.CheckFeatureLevelResponse
	(*AddGroupsRequest)(nil),          // 68: boxoffice.v1.AddGroupsRequest
	(*AddGroupsResponse)(nil),         // 69: boxoffice.v1.AddGroupsResponse
	(*MoveShardRequest)(nil),          // 70: boxoffice.v1.MoveShardRequest
	(*MoveShardResponse)(nil),         // 71: boxoffice.v1.MoveShardResponse
	(*DecommissionRequest)(nil),       // 72: boxoffice.v1.DecommissionRequest
	(*DecommissionResponse)(nil),      // 73: boxoffice.v1.DecommissionResponse
	(*PlanRebalanceRequest)(nil),      // 74: boxoffice.v1.PlanRebalanceRequest
	(*RebalanceMove)(nil),             // 75: boxoffice.v1.RebalanceMove
	(*PlanRebalanceResponse)(nil),     // 76: boxoffice.v1.PlanRebalanceResponse
	(*Record)(nil),                    // 77: boxoffice.v1.Record
	(*GetRecordRequest)(nil),          // 78: boxoffice.v1.GetRecordRequest
	(*CompareAndSwapRequest)(nil),     // 79: boxoffice.v1.CompareAndSwapRequest
	(*CompareAndSwapResponse)(nil),    // 80: boxoffice.v1.CompareAndSwapResponse
	(*DeleteRecordRequest)(nil),       // 81: boxoffice.v1.DeleteRecordRequest
	(*DeleteRecordResponse)(nil),      // 82: boxoffice.v1.DeleteRecordResponse
	(*AddRequest)(nil),                // 83: boxoffice.v1.AddRequest
	(*AddResponse)(nil),               // 84: boxoffice.v1.AddResponse
	(*ScanRequest)(nil),               // 85: boxoffice.v1.ScanRequest
	(*ScanResponse)(nil),              // 86: boxoffice.v1.ScanResponse
	(*RecordOp)(nil),                  // 87: boxoffice.v1.RecordOp
	(*BatchRecordsRequest)(nil),       // 88: boxoffice.v1.BatchRecordsRequest
	(*RecordOpResult)(nil),            // 89: boxoffice.v1.RecordOpResult
	(*BatchRecordsResponse)(nil),      // 90: boxoffice.v1.BatchRecordsResponse
	nil,                               // 91: boxoffice.v1.StreamError.MetadataEntry
}
var file_api_boxoffice_v1_boxoffice_proto_depIdxs = []int32{
	7,  // 0: boxoffice.v1.Section.rows:type_name -> boxoffice.v1.Row
	6,  // 1: boxoffice.v1.Venue.price_tiers:type_name -> boxoffice.v1.PriceTier
	8,  // 2: boxoffice.v1.Venue.sections:type_name -> boxoffice.v1.Section
	9,  // 3: boxoffice.v1.Venue.pools:type_name -> boxoffice.v1.GeneralAdmissionPool
	0,  // 4: boxoffice.v1.Event.status:type_name -> boxoffice.v1.EventStatus
	11, // 5: boxoffice.v1.Event.policy:type_name -> boxoffice.v1.EventPolicy
	10, // 6: boxoffice.v1.Event.venue:type_name -> boxoffice.v1.Venue
	1,  // 7: boxoffice.v1.Event.survive:type_name -> boxoffice.v1.SurvivalGoal
	2,  // 8: boxoffice.v1.Seat.state:type_name -> boxoffice.v1.SeatState
	13, // 9: boxoffice.v1.RowState.seats:type_name -> boxoffice.v1.Seat
	14, // 10: boxoffice.v1.SectionState.rows:type_name -> boxoffice.v1.RowState
	15, // 11: boxoffice.v1.SeatMap.sections:type_name -> boxoffice.v1.SectionState
	16, // 12: boxoffice.v1.SeatMap.pools:type_name -> boxoffice.v1.PoolState
	17, // 13: boxoffice.v1.SeatMap.positions:type_name -> boxoffice.v1.ShardPosition
	10, // 14: boxoffice.v1.CreateEventRequest.venue:type_name -> boxoffice.v1.Venue
	11, // 15: boxoffice.v1.CreateEventRequest.policy:type_name -> boxoffice.v1.EventPolicy
	1,  // 16: boxoffice.v1.CreateEventRequest.survive:type_name -> boxoffice.v1.SurvivalGoal
	12, // 17: boxoffice.v1.CreateEventResponse.event:type_name -> boxoffice.v1.Event
	12, // 18: boxoffice.v1.DeleteEventResponse.event:type_name -> boxoffice.v1.Event
	12, // 19: boxoffice.v1.ListEventsResponse.events:type_name -> boxoffice.v1.Event
	3,  // 20: boxoffice.v1.GetSeatMapRequest.consistency:type_name -> boxoffice.v1.ReadConsistency
	4,  // 21: boxoffice.v1.GetSeatMapRequest.view:type_name -> boxoffice.v1.SeatMapView
	27, // 22: boxoffice.v1.HoldRequest.seats:type_name -> boxoffice.v1.SeatList
	28, // 23: boxoffice.v1.HoldRequest.best:type_name -> boxoffice.v1.BestAvailable
	29, // 24: boxoffice.v1.HoldRequest.general_admission:type_name -> boxoffice.v1.GeneralAdmission
	3,  // 25: boxoffice.v1.GetHoldRequest.consistency:type_name -> boxoffice.v1.ReadConsistency
	36, // 26: boxoffice.v1.SellResponse.tickets:type_name -> boxoffice.v1.Ticket
	36, // 27: boxoffice.v1.RefundResponse.tickets:type_name -> boxoffice.v1.Ticket
	2,  // 28: boxoffice.v1.SeatChange.state:type_name -> boxoffice.v1.SeatState
	17, // 29: boxoffice.v1.WatchRequest.after:type_name -> boxoffice.v1.ShardPosition
	41, // 30: boxoffice.v1.WatchResponse.changes:type_name -> boxoffice.v1.SeatChange
	26, // 31: boxoffice.v1.ReadSeatMapsRequest.read:type_name -> boxoffice.v1.GetSeatMapRequest
	18, // 32: boxoffice.v1.ReadSeatMapsResponse.seat_map:type_name -> boxoffice.v1.SeatMap
	46, // 33: boxoffice.v1.ReadSeatMapsResponse.error:type_name -> boxoffice.v1.StreamError
	91, // 34: boxoffice.v1.StreamError.metadata:type_name -> boxoffice.v1.StreamError.MetadataEntry
	30, // 35: boxoffice.v1.CommandsRequest.hold:type_name -> boxoffice.v1.HoldRequest
	37, // 36: boxoffice.v1.CommandsRequest.sell:type_name -> boxoffice.v1.SellRequest
	34, // 37: boxoffice.v1.CommandsRequest.release:type_name -> boxoffice.v1.ReleaseRequest
	33, // 38: boxoffice.v1.CommandsRequest.extend_hold:type_name -> boxoffice.v1.ExtendHoldRequest
	39, // 39: boxoffice.v1.CommandsRequest.refund:type_name -> boxoffice.v1.RefundRequest
	47, // 40: boxoffice.v1.CommandsRequest.more:type_name -> boxoffice.v1.CommandsRequest
	31, // 41: boxoffice.v1.CommandsResponse.hold:type_name -> boxoffice.v1.HoldResponse
	38, // 42: boxoffice.v1.CommandsResponse.sell:type_name -> boxoffice.v1.SellResponse
	35, // 43: boxoffice.v1.CommandsResponse.release:type_name -> boxoffice.v1.ReleaseResponse
	31, // 44: boxoffice.v1.CommandsResponse.extend_hold:type_name -> boxoffice.v1.HoldResponse
	40, // 45: boxoffice.v1.CommandsResponse.refund:type_name -> boxoffice.v1.RefundResponse
	46, // 46: boxoffice.v1.CommandsResponse.error:type_name -> boxoffice.v1.StreamError
	48, // 47: boxoffice.v1.CommandsResponse.more:type_name -> boxoffice.v1.CommandsResponse
	50, // 48: boxoffice.v1.NodeInfo.locality:type_name -> boxoffice.v1.LocalityTier
	51, // 49: boxoffice.v1.GroupStatus.replicas:type_name -> boxoffice.v1.ReplicaStatus
	49, // 50: boxoffice.v1.StatusResponse.nodes:type_name -> boxoffice.v1.NodeInfo
	52, // 51: boxoffice.v1.StatusResponse.groups:type_name -> boxoffice.v1.GroupStatus
	55, // 52: boxoffice.v1.RoutingResponse.shards:type_name -> boxoffice.v1.ShardRoute
	49, // 53: boxoffice.v1.RoutingResponse.nodes:type_name -> boxoffice.v1.NodeInfo
	75, // 54: boxoffice.v1.PlanRebalanceResponse.moves:type_name -> boxoffice.v1.RebalanceMove
	75, // 55: boxoffice.v1.PlanRebalanceResponse.in_flight:type_name -> boxoffice.v1.RebalanceMove
	77, // 56: boxoffice.v1.ScanResponse.records:type_name -> boxoffice.v1.Record
	5,  // 57: boxoffice.v1.RecordOp.kind:type_name -> boxoffice.v1.RecordOp.Kind
	87, // 58: boxoffice.v1.BatchRecordsRequest.ops:type_name -> boxoffice.v1.RecordOp
	89, // 59: boxoffice.v1.BatchRecordsResponse.results:type_name -> boxoffice.v1.RecordOpResult
	19, // 60: boxoffice.v1.Inventory.CreateEvent:input_type -> boxoffice.v1.CreateEventRequest
	21, // 61: boxoffice.v1.Inventory.GetEvent:input_type -> boxoffice.v1.GetEventRequest
	23, // 62: boxoffice.v1.Inventory.DeleteEvent:input_type -> boxoffice.v1.DeleteEventRequest
	22, // 63: boxoffice.v1.Inventory.ListEvents:input_type -> boxoffice.v1.ListEventsRequest
	26, // 64: boxoffice.v1.Inventory.GetSeatMap:input_type -> boxoffice.v1.GetSeatMapRequest
	32, // 65: boxoffice.v1.Inventory.GetHold:input_type -> boxoffice.v1.GetHoldRequest
	30, // 66: boxoffice.v1.Inventory.Hold:input_type -> boxoffice.v1.HoldRequest
	33, // 67: boxoffice.v1.Inventory.ExtendHold:input_type -> boxoffice.v1.ExtendHoldRequest
	34, // 68: boxoffice.v1.Inventory.Release:input_type -> boxoffice.v1.ReleaseRequest
	37, // 69: boxoffice.v1.Inventory.Sell:input_type -> boxoffice.v1.SellRequest
	39, // 70: boxoffice.v1.Inventory.Refund:input_type -> boxoffice.v1.RefundRequest
	42, // 71: boxoffice.v1.Inventory.Watch:input_type -> boxoffice.v1.WatchRequest
	44, // 72: boxoffice.v1.Inventory.ReadSeatMaps:input_type -> boxoffice.v1.ReadSeatMapsRequest
	47, // 73: boxoffice.v1.Inventory.Commands:input_type -> boxoffice.v1.CommandsRequest
	53, // 74: boxoffice.v1.Cluster.Status:input_type -> boxoffice.v1.StatusRequest
	56, // 75: boxoffice.v1.Cluster.Routing:input_type -> boxoffice.v1.RoutingRequest
	58, // 76: boxoffice.v1.Cluster.RemoveNode:input_type -> boxoffice.v1.RemoveNodeRequest
	60, // 77: boxoffice.v1.Cluster.TransferLeader:input_type -> boxoffice.v1.TransferLeaderRequest
	62, // 78: boxoffice.v1.Cluster.Drain:input_type -> boxoffice.v1.DrainRequest
	64, // 79: boxoffice.v1.Cluster.Backup:input_type -> boxoffice.v1.BackupRequest
	66, // 80: boxoffice.v1.Cluster.CheckFeatureLevel:input_type -> boxoffice.v1.CheckFeatureLevelRequest
	68, // 81: boxoffice.v1.Cluster.AddGroups:input_type -> boxoffice.v1.AddGroupsRequest
	70, // 82: boxoffice.v1.Cluster.MoveShard:input_type -> boxoffice.v1.MoveShardRequest
	72, // 83: boxoffice.v1.Cluster.Decommission:input_type -> boxoffice.v1.DecommissionRequest
	74, // 84: boxoffice.v1.Cluster.PlanRebalance:input_type -> boxoffice.v1.PlanRebalanceRequest
	78, // 85: boxoffice.v1.Records.Get:input_type -> boxoffice.v1.GetRecordRequest
	79, // 86: boxoffice.v1.Records.CompareAndSwap:input_type -> boxoffice.v1.CompareAndSwapRequest
	81, // 87: boxoffice.v1.Records.Delete:input_type -> boxoffice.v1.DeleteRecordRequest
	83, // 88: boxoffice.v1.Records.Add:input_type -> boxoffice.v1.AddRequest
	85, // 89: boxoffice.v1.Records.Scan:input_type -> boxoffice.v1.ScanRequest
	88, // 90: boxoffice.v1.Records.Batch:input_type -> boxoffice.v1.BatchRecordsRequest
	20, // 91: boxoffice.v1.Inventory.CreateEvent:output_type -> boxoffice.v1.CreateEventResponse
	12, // 92: boxoffice.v1.Inventory.GetEvent:output_type -> boxoffice.v1.Event
	24, // 93: boxoffice.v1.Inventory.DeleteEvent:output_type -> boxoffice.v1.DeleteEventResponse
	25, // 94: boxoffice.v1.Inventory.ListEvents:output_type -> boxoffice.v1.ListEventsResponse
	18, // 95: boxoffice.v1.Inventory.GetSeatMap:output_type -> boxoffice.v1.SeatMap
	31, // 96: boxoffice.v1.Inventory.GetHold:output_type -> boxoffice.v1.HoldResponse
	31, // 97: boxoffice.v1.Inventory.Hold:output_type -> boxoffice.v1.HoldResponse
	31, // 98: boxoffice.v1.Inventory.ExtendHold:output_type -> boxoffice.v1.HoldResponse
	35, // 99: boxoffice.v1.Inventory.Release:output_type -> boxoffice.v1.ReleaseResponse
	38, // 100: boxoffice.v1.Inventory.Sell:output_type -> boxoffice.v1.SellResponse
	40, // 101: boxoffice.v1.Inventory.Refund:output_type -> boxoffice.v1.RefundResponse
	43, // 102: boxoffice.v1.Inventory.Watch:output_type -> boxoffice.v1.WatchResponse
	45, // 103: boxoffice.v1.Inventory.ReadSeatMaps:output_type -> boxoffice.v1.ReadSeatMapsResponse
	48, // 104: boxoffice.v1.Inventory.Commands:output_type -> boxoffice.v1.CommandsResponse
	54, // 105: boxoffice.v1.Cluster.Status:output_type -> boxoffice.v1.StatusResponse
	57, // 106: boxoffice.v1.Cluster.Routing:output_type -> boxoffice.v1.RoutingResponse
	59, // 107: boxoffice.v1.Cluster.RemoveNode:output_type -> boxoffice.v1.RemoveNodeResponse
	61, // 108: boxoffice.v1.Cluster.TransferLeader:output_type -> boxoffice.v1.TransferLeaderResponse
	63, // 109: boxoffice.v1.Cluster.Drain:output_type -> boxoffice.v1.DrainResponse
	65, // 110: boxoffice.v1.Cluster.Backup:output_type -> boxoffice.v1.BackupChunk
	67, // 111: boxoffice.v1.Cluster.CheckFeatureLevel:output_type -> boxoffice.v1.CheckFeatureLevelResponse
	69, // 112: boxoffice.v1.Cluster.AddGroups:output_type -> boxoffice.v1.AddGroupsResponse
	71, // 113: boxoffice.v1.Cluster.MoveShard:output_type -> boxoffice.v1.MoveShardResponse
	73, // 114: boxoffice.v1.Cluster.Decommission:output_type -> boxoffice.v1.DecommissionResponse
	76, // 115: boxoffice.v1.Cluster.PlanRebalance:output_type -> boxoffice.v1.PlanRebalanceResponse
	77, // 116: boxoffice.v1.Records.Get:output_type -> boxoffice.v1.Record
	80, // 117: boxoffice.v1.Records.CompareAndSwap:output_type -> boxoffice.v1.CompareAndSwapResponse
	82, // 118: boxoffice.v1.Records.Delete:output_type -> boxoffice.v1.DeleteRecordResponse
	84, // 119: boxoffice.v1.Records.Add:output_type -> boxoffice.v1.AddResponse
	86, // 120: boxoffice.v1.Records.Scan:output_type -> boxoffice.v1.ScanResponse
	90, // 121: boxoffice.v1.Records.Batch:output_type -> boxoffice.v1.BatchRecordsResponse
	91, // [91:122] is the sub-list for method output_type
	60, // [60:91] is the sub-list for method input_type
	60, // [60:60] is the sub-list for extension type_name
	60, // [60:60] is the sub-list for extension extendee
	0,  // [0:60] is the sub-list for field type_name
}

func init() { file_api_boxoffice_v1_boxoffice_proto_init() }
func file_api_boxoffice_v1_boxoffice_proto_init() {
	if File_api_boxoffice_v1_boxoffice_proto != nil {
		return
	}
	file_api_boxoffice_v1_boxoffice_proto_msgTypes[24].OneofWrappers = []any{
		(*HoldRequest_Seats)(nil),
		(*HoldRequest_Best)(nil),
		(*HoldRequest_GeneralAdmission)(nil),
	}
	file_api_boxoffice_v1_boxoffice_proto_msgTypes[39].OneofWrappers = []any{
		(*ReadSeatMapsResponse_SeatMap)(nil),
		(*ReadSeatMapsResponse_Error)(nil),
	}
	file_api_boxoffice_v1_boxoffice_proto_msgTypes[41].OneofWrappers = []any{
		(*CommandsRequest_Hold)(nil),
		(*CommandsRequest_Sell)(nil),
		(*CommandsRequest_Release)(nil),
		(*CommandsRequest_ExtendHold)(nil),
		(*CommandsRequest_Refund)(nil),
	}
	file_api_boxoffice_v1_boxoffice_proto_msgTypes[42].OneofWrappers = []any{
		(*CommandsResponse_Hold)(nil),
		(*CommandsResponse_Sell)(nil),
		(*CommandsResponse_Release)(nil),
		(*CommandsResponse_ExtendHold)(nil),
		(*CommandsResponse_Refund)(nil),
		(*CommandsResponse_Error)(nil),
	}
	type x struct{}
	out := protoimpl.TypeBuilder{
		File: protoimpl.DescBuilder{
			GoPackagePath: reflect.TypeOf(x{}).PkgPath(),
			RawDescriptor: unsafe.Slice(unsafe.StringData(file_api_boxoffice_v1_boxoffice_proto_rawDesc), len(file_api_boxoffice_v1_boxoffice_proto_rawDesc)),
			NumEnums:      6,
			NumMessages:   86,
			NumExtensions: 0,
			NumServices:   3,
		},
		GoTypes:           file_api_boxoffice_v1_boxoffice_proto_goTypes,
		DependencyIndexes: file_api_boxoffice_v1_boxoffice_proto_depIdxs,
		EnumInfos:         file_api_boxoffice_v1_boxoffice_proto_enumTypes,
		MessageInfos:      file_api_boxoffice_v1_boxoffice_proto_msgTypes,
	}.Build()
	File_api_boxoffice_v1_boxoffice_proto = out.File
	file_api_boxoffice_v1_boxoffice_proto_goTypes = nil
	file_api_boxoffice_v1_boxoffice_proto_depIdxs = nil
}
