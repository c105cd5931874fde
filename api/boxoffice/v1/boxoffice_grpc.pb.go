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

// Code generated by protoc-gen-go-grpc. DO NOT EDIT.
// versions:
// - protoc-gen-go-grpc v1.6.2
// - protoc             v3.21.12
// source: api/boxoffice/v1/boxoffice.proto

package boxofficev1

import (
	context "context"
	grpc "google.golang.org/grpc"
	codes "google.golang.org/grpc/codes"
	status "google.golang.org/grpc/status"
)

// This is a compile-time assertion to ensure that this generated file
// is compatible with the grpc package it is being compiled against.
// Requires gRPC-Go v1.64.0 or later.
const _ = grpc.SupportPackageIsVersion9

const (
	Inventory_CreateEvent_FullMethodName  = "/boxoffice.v1.Inventory/CreateEvent"
	Inventory_GetEvent_FullMethodName     = "/boxoffice.v1.Inventory/GetEvent"
	Inventory_DeleteEvent_FullMethodName  = "/boxoffice.v1.Inventory/DeleteEvent"
	Inventory_ListEvents_FullMethodName   = "/boxoffice.v1.Inventory/ListEvents"
	Inventory_GetSeatMap_FullMethodName   = "/boxoffice.v1.Inventory/GetSeatMap"
	Inventory_GetHold_FullMethodName      = "/boxoffice.v1.Inventory/GetHold"
	Inventory_Hold_FullMethodName         = "/boxoffice.v1.Inventory/Hold"
	Inventory_ExtendHold_FullMethodName   = "/boxoffice.v1.Inventory/ExtendHold"
	Inventory_Release_FullMethodName      = "/boxoffice.v1.Inventory/Release"
	Inventory_Sell_FullMethodName         = "/boxoffice.v1.Inventory/Sell"
	Inventory_Refund_FullMethodName       = "/boxoffice.v1.Inventory/Refund"
	Inventory_Watch_FullMethodName        = "/boxoffice.v1.Inventory/Watch"
	Inventory_ReadSeatMaps_FullMethodName = "/boxoffice.v1.Inventory/ReadSeatMaps"
	Inventory_Commands_FullMethodName     = "/boxoffice.v1.Inventory/Commands"
)

// InventoryClient is the client API for Inventory service.
//
// For semantics around ctx use and closing/ending streaming RPCs, please refer to https://pkg.go.dev/google.golang.org/grpc/?tab=doc#ClientConn.NewStream.
type InventoryClient interface {
	CreateEvent(ctx context.Context, in *CreateEventRequest, opts ...grpc.CallOption) (*CreateEventResponse, error)
	GetEvent(ctx context.Context, in *GetEventRequest, opts ...grpc.CallOption) (*Event, error)
	// DeleteEvent archives an event: refused FAILED_PRECONDITION
	// (EVENT_HAS_ACTIVE_HOLDS) while any shard has an unexpired hold, else
	// the event's seat state is dropped on every replica and the event is
	// ARCHIVED. Sold tickets are not refunded. Idempotent by request_id; a
	// call that failed midway (the event left ARCHIVING) is finished by a
	// retry.
	DeleteEvent(ctx context.Context, in *DeleteEventRequest, opts ...grpc.CallOption) (*DeleteEventResponse, error)
	ListEvents(ctx context.Context, in *ListEventsRequest, opts ...grpc.CallOption) (*ListEventsResponse, error)
	GetSeatMap(ctx context.Context, in *GetSeatMapRequest, opts ...grpc.CallOption) (*SeatMap, error)
	GetHold(ctx context.Context, in *GetHoldRequest, opts ...grpc.CallOption) (*HoldResponse, error)
	Hold(ctx context.Context, in *HoldRequest, opts ...grpc.CallOption) (*HoldResponse, error)
	ExtendHold(ctx context.Context, in *ExtendHoldRequest, opts ...grpc.CallOption) (*HoldResponse, error)
	Release(ctx context.Context, in *ReleaseRequest, opts ...grpc.CallOption) (*ReleaseResponse, error)
	Sell(ctx context.Context, in *SellRequest, opts ...grpc.CallOption) (*SellResponse, error)
	Refund(ctx context.Context, in *RefundRequest, opts ...grpc.CallOption) (*RefundResponse, error)
	// Watch streams seat changes of one event, ordered within each shard.
	Watch(ctx context.Context, in *WatchRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[WatchResponse], error)
	// ReadSeatMaps serves many independent GetSeatMap reads over one
	// long-lived stream, for API servers that read seat maps on behalf of
	// many fans: a read costs a message each way instead of a call. Each
	// request is one read, answered by one response with the same tag, in
	// any order (a STALE read served locally may overtake a LINEARIZABLE one
	// waiting for its leader). A read that fails gets a ReadError with the
	// status GetSeatMap would have returned, and the stream goes on. A node
	// works on at most 64 reads of a stream at a time (received and not yet
	// sent): a client that sends faster than it reads responses is slowed
	// by flow control. The stream ends OK after the client closes its side
	// and every read is answered, or when the client cancels it.
	ReadSeatMaps(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[ReadSeatMapsRequest, ReadSeatMapsResponse], error)
	// Commands serves Hold, Sell, Release, ExtendHold and Refund over one
	// long-lived stream, for API servers that act for many fans at once: a
	// command costs one message each way instead of a call (a unary call's
	// stream set-up, headers and flushes cost both sides more CPU than the
	// command's share of its Raft entry). Each request is one command with
	// its request id, applied exactly as the unary method applies it and
	// answered by one response with the same tag, in any order. A command
	// that fails gets a StreamError with the status the unary method would
	// have returned, and the stream goes on. When the stream itself breaks,
	// the outcome of its commands in flight is unknown: send them again with
	// the same request ids (on a new stream or as unary calls) and each is
	// applied once. A node works on at most 1024 commands of a stream at a
	// time; beyond that flow control slows the client down. The stream ends
	// OK after the client closes its side and every command is answered, or
	// when the client cancels it.
	Commands(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[CommandsRequest, CommandsResponse], error)
}

type inventoryClient struct {
	cc grpc.ClientConnInterface
}

func NewInventoryClient(cc grpc.ClientConnInterface) InventoryClient {
	return &inventoryClient{cc}
}

func (c *inventoryClient) CreateEvent(ctx context.Context, in *CreateEventRequest, opts ...grpc.CallOption) (*CreateEventResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(CreateEventResponse)
	err := c.cc.Invoke(ctx, Inventory_CreateEvent_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *inventoryClient) GetEvent(ctx context.Context, in *GetEventRequest, opts ...grpc.CallOption) (*Event, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(Event)
	err := c.cc.Invoke(ctx, Inventory_GetEvent_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *inventoryClient) DeleteEvent(ctx context.Context, in *DeleteEventRequest, opts ...grpc.CallOption) (*DeleteEventResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(DeleteEventResponse)
	err := c.cc.Invoke(ctx, Inventory_DeleteEvent_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *inventoryClient) ListEvents(ctx context.Context, in *ListEventsRequest, opts ...grpc.CallOption) (*ListEventsResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ListEventsResponse)
	err := c.cc.Invoke(ctx, Inventory_ListEvents_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *inventoryClient) GetSeatMap(ctx context.Context, in *GetSeatMapRequest, opts ...grpc.CallOption) (*SeatMap, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(SeatMap)
	err := c.cc.Invoke(ctx, Inventory_GetSeatMap_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *inventoryClient) GetHold(ctx context.Context, in *GetHoldRequest, opts ...grpc.CallOption) (*HoldResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(HoldResponse)
	err := c.cc.Invoke(ctx, Inventory_GetHold_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *inventoryClient) Hold(ctx context.Context, in *HoldRequest, opts ...grpc.CallOption) (*HoldResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(HoldResponse)
	err := c.cc.Invoke(ctx, Inventory_Hold_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *inventoryClient) ExtendHold(ctx context.Context, in *ExtendHoldRequest, opts ...grpc.CallOption) (*HoldResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(HoldResponse)
	err := c.cc.Invoke(ctx, Inventory_ExtendHold_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *inventoryClient) Release(ctx context.Context, in *ReleaseRequest, opts ...grpc.CallOption) (*ReleaseResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ReleaseResponse)
	err := c.cc.Invoke(ctx, Inventory_Release_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *inventoryClient) Sell(ctx context.Context, in *SellRequest, opts ...grpc.CallOption) (*SellResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(SellResponse)
	err := c.cc.Invoke(ctx, Inventory_Sell_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *inventoryClient) Refund(ctx context.Context, in *RefundRequest, opts ...grpc.CallOption) (*RefundResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(RefundResponse)
	err := c.cc.Invoke(ctx, Inventory_Refund_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *inventoryClient) Watch(ctx context.Context, in *WatchRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[WatchResponse], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &Inventory_ServiceDesc.Streams[0], Inventory_Watch_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[WatchRequest, WatchResponse]{ClientStream: stream}
	if err := x.ClientStream.SendMsg(in); err != nil {
		return nil, err
	}
	if err := x.ClientStream.CloseSend(); err != nil {
		return nil, err
	}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Inventory_WatchClient = grpc.ServerStreamingClient[WatchResponse]

func (c *inventoryClient) ReadSeatMaps(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[ReadSeatMapsRequest, ReadSeatMapsResponse], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &Inventory_ServiceDesc.Streams[1], Inventory_ReadSeatMaps_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[ReadSeatMapsRequest, ReadSeatMapsResponse]{ClientStream: stream}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Inventory_ReadSeatMapsClient = grpc.BidiStreamingClient[ReadSeatMapsRequest, ReadSeatMapsResponse]

func (c *inventoryClient) Commands(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[CommandsRequest, CommandsResponse], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &Inventory_ServiceDesc.Streams[2], Inventory_Commands_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[CommandsRequest, CommandsResponse]{ClientStream: stream}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Inventory_CommandsClient = grpc.BidiStreamingClient[CommandsRequest, CommandsResponse]

// InventoryServer is the server API for Inventory service.
// All implementations must embed UnimplementedInventoryServer
// for forward compatibility.
type InventoryServer interface {
	CreateEvent(context.Context, *CreateEventRequest) (*CreateEventResponse, error)
	GetEvent(context.Context, *GetEventRequest) (*Event, error)
	// DeleteEvent archives an event: refused FAILED_PRECONDITION
	// (EVENT_HAS_ACTIVE_HOLDS) while any shard has an unexpired hold, else
	// the event's seat state is dropped on every replica and the event is
	// ARCHIVED. Sold tickets are not refunded. Idempotent by request_id; a
	// call that failed midway (the event left ARCHIVING) is finished by a
	// retry.
	DeleteEvent(context.Context, *DeleteEventRequest) (*DeleteEventResponse, error)
	ListEvents(context.Context, *ListEventsRequest) (*ListEventsResponse, error)
	GetSeatMap(context.Context, *GetSeatMapRequest) (*SeatMap, error)
	GetHold(context.Context, *GetHoldRequest) (*HoldResponse, error)
	Hold(context.Context, *HoldRequest) (*HoldResponse, error)
	ExtendHold(context.Context, *ExtendHoldRequest) (*HoldResponse, error)
	Release(context.Context, *ReleaseRequest) (*ReleaseResponse, error)
	Sell(context.Context, *SellRequest) (*SellResponse, error)
	Refund(context.Context, *RefundRequest) (*RefundResponse, error)
	// Watch streams seat changes of one event, ordered within each shard.
	Watch(*WatchRequest, grpc.ServerStreamingServer[WatchResponse]) error
	// ReadSeatMaps serves many independent GetSeatMap reads over one
	// long-lived stream, for API servers that read seat maps on behalf of
	// many fans: a read costs a message each way instead of a call. Each
	// request is one read, answered by one response with the same tag, in
	// any order (a STALE read served locally may overtake a LINEARIZABLE one
	// waiting for its leader). A read that fails gets a ReadError with the
	// status GetSeatMap would have returned, and the stream goes on. A node
	// works on at most 64 reads of a stream at a time (received and not yet
	// sent): a client that sends faster than it reads responses is slowed
	// by flow control. The stream ends OK after the client closes its side
	// and every read is answered, or when the client cancels it.
	ReadSeatMaps(grpc.BidiStreamingServer[ReadSeatMapsRequest, ReadSeatMapsResponse]) error
	// Commands serves Hold, Sell, Release, ExtendHold and Refund over one
	// long-lived stream, for API servers that act for many fans at once: a
	// command costs one message each way instead of a call (a unary call's
	// stream set-up, headers and flushes cost both sides more CPU than the
	// command's share of its Raft entry). Each request is one command with
	// its request id, applied exactly as the unary method applies it and
	// answered by one response with the same tag, in any order. A command
	// that fails gets a StreamError with the status the unary method would
	// have returned, and the stream goes on. When the stream itself breaks,
	// the outcome of its commands in flight is unknown: send them again with
	// the same request ids (on a new stream or as unary calls) and each is
	// applied once. A node works on at most 1024 commands of a stream at a
	// time; beyond that flow control slows the client down. The stream ends
	// OK after the client closes its side and every command is answered, or
	// when the client cancels it.
	Commands(grpc.BidiStreamingServer[CommandsRequest, CommandsResponse]) error
	mustEmbedUnimplementedInventoryServer()
}

// UnimplementedInventoryServer must be embedded to have
// forward compatible implementations.
//
// NOTE: this should be embedded by value instead of pointer to avoid a nil
// pointer dereference when methods are called.
type UnimplementedInventoryServer struct{}

func (UnimplementedInventoryServer) CreateEvent(context.Context, *CreateEventRequest) (*CreateEventResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method CreateEvent not implemented")
}
func (UnimplementedInventoryServer) GetEvent(context.Context, *GetEventRequest) (*Event, error) {
	return nil, status.Error(codes.Unimplemented, "method GetEvent not implemented")
}
func (UnimplementedInventoryServer) DeleteEvent(context.Context, *DeleteEventRequest) (*DeleteEventResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method DeleteEvent not implemented")
}
func (UnimplementedInventoryServer) ListEvents(context.Context, *ListEventsRequest) (*ListEventsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method ListEvents not implemented")
}
func (UnimplementedInventoryServer) GetSeatMap(context.Context, *GetSeatMapRequest) (*SeatMap, error) {
	return nil, status.Error(codes.Unimplemented, "method GetSeatMap not implemented")
}
func (UnimplementedInventoryServer) GetHold(context.Context, *GetHoldRequest) (*HoldResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetHold not implemented")
}
func (UnimplementedInventoryServer) Hold(context.Context, *HoldRequest) (*HoldResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Hold not implemented")
}
func (UnimplementedInventoryServer) ExtendHold(context.Context, *ExtendHoldRequest) (*HoldResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method ExtendHold not implemented")
}
func (UnimplementedInventoryServer) Release(context.Context, *ReleaseRequest) (*ReleaseResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Release not implemented")
}
func (UnimplementedInventoryServer) Sell(context.Context, *SellRequest) (*SellResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Sell not implemented")
}
func (UnimplementedInventoryServer) Refund(context.Context, *RefundRequest) (*RefundResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Refund not implemented")
}
func (UnimplementedInventoryServer) Watch(*WatchRequest, grpc.ServerStreamingServer[WatchResponse]) error {
	return status.Error(codes.Unimplemented, "method Watch not implemented")
}
func (UnimplementedInventoryServer) ReadSeatMaps(grpc.BidiStreamingServer[ReadSeatMapsRequest, ReadSeatMapsResponse]) error {
	return status.Error(codes.Unimplemented, "method ReadSeatMaps not implemented")
}
func (UnimplementedInventoryServer) Commands(grpc.BidiStreamingServer[CommandsRequest, CommandsResponse]) error {
	return status.Error(codes.Unimplemented, "method Commands not implemented")
}
func (UnimplementedInventoryServer) mustEmbedUnimplementedInventoryServer() {}
func (UnimplementedInventoryServer) testEmbeddedByValue()                   {}

// UnsafeInventoryServer may be embedded to opt out of forward compatibility for this service.
// Use of this interface is not recommended, as added methods to InventoryServer will
// result in compilation errors.
type UnsafeInventoryServer interface {
	mustEmbedUnimplementedInventoryServer()
}

func RegisterInventoryServer(s grpc.ServiceRegistrar, srv InventoryServer) {
	// If the following call panics, it indicates UnimplementedInventoryServer was
	// embedded by pointer and is nil.  This will cause panics if an
	// unimplemented method is ever invoked, so we test this at initialization
	// time to prevent it from happening at runtime later due to I/O.
	if t, ok := srv.(interface{ testEmbeddedByValue() }); ok {
		t.testEmbeddedByValue()
	}
	s.RegisterService(&Inventory_ServiceDesc, srv)
}

func _Inventory_CreateEvent_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(CreateEventRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(InventoryServer).CreateEvent(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Inventory_CreateEvent_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(InventoryServer).CreateEvent(ctx, req.(*CreateEventRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Inventory_GetEvent_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetEventRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(InventoryServer).GetEvent(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Inventory_GetEvent_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(InventoryServer).GetEvent(ctx, req.(*GetEventRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Inventory_DeleteEvent_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(DeleteEventRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(InventoryServer).DeleteEvent(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Inventory_DeleteEvent_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(InventoryServer).DeleteEvent(ctx, req.(*DeleteEventRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Inventory_ListEvents_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ListEventsRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(InventoryServer).ListEvents(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Inventory_ListEvents_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(InventoryServer).ListEvents(ctx, req.(*ListEventsRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Inventory_GetSeatMap_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetSeatMapRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(InventoryServer).GetSeatMap(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Inventory_GetSeatMap_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(InventoryServer).GetSeatMap(ctx, req.(*GetSeatMapRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Inventory_GetHold_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetHoldRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(InventoryServer).GetHold(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Inventory_GetHold_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(InventoryServer).GetHold(ctx, req.(*GetHoldRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Inventory_Hold_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(HoldRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(InventoryServer).Hold(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Inventory_Hold_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(InventoryServer).Hold(ctx, req.(*HoldRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Inventory_ExtendHold_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ExtendHoldRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(InventoryServer).ExtendHold(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Inventory_ExtendHold_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(InventoryServer).ExtendHold(ctx, req.(*ExtendHoldRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Inventory_Release_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ReleaseRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(InventoryServer).Release(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Inventory_Release_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(InventoryServer).Release(ctx, req.(*ReleaseRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Inventory_Sell_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(SellRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(InventoryServer).Sell(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Inventory_Sell_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(InventoryServer).Sell(ctx, req.(*SellRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Inventory_Refund_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(RefundRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(InventoryServer).Refund(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Inventory_Refund_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(InventoryServer).Refund(ctx, req.(*RefundRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Inventory_Watch_Handler(srv interface{}, stream grpc.ServerStream) error {
	m := new(WatchRequest)
	if err := stream.RecvMsg(m); err != nil {
		return err
	}
	return srv.(InventoryServer).Watch(m, &grpc.GenericServerStream[WatchRequest, WatchResponse]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Inventory_WatchServer = grpc.ServerStreamingServer[WatchResponse]

func _Inventory_ReadSeatMaps_Handler(srv interface{}, stream grpc.ServerStream) error {
	return srv.(InventoryServer).ReadSeatMaps(&grpc.GenericServerStream[ReadSeatMapsRequest, ReadSeatMapsResponse]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Inventory_ReadSeatMapsServer = grpc.BidiStreamingServer[ReadSeatMapsRequest, ReadSeatMapsResponse]

func _Inventory_Commands_Handler(srv interface{}, stream grpc.ServerStream) error {
	return srv.(InventoryServer).Commands(&grpc.GenericServerStream[CommandsRequest, CommandsResponse]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Inventory_CommandsServer = grpc.BidiStreamingServer[CommandsRequest, CommandsResponse]

// Inventory_ServiceDesc is the grpc.ServiceDesc for Inventory service.
// It's only intended for direct use with grpc.RegisterService,
// and not to be introspected or modified (even as a copy)
var Inventory_ServiceDesc = grpc.ServiceDesc{
	ServiceName: "boxoffice.v1.Inventory",
	HandlerType: (*InventoryServer)(nil),
	Methods: []grpc.MethodDesc{
		{
			MethodName: "CreateEvent",
			Handler:    _Inventory_CreateEvent_Handler,
		},
		{
			MethodName: "GetEvent",
			Handler:    _Inventory_GetEvent_Handler,
		},
		{
			MethodName: "DeleteEvent",
			Handler:    _Inventory_DeleteEvent_Handler,
		},
		{
			MethodName: "ListEvents",
			Handler:    _Inventory_ListEvents_Handler,
		},
		{
			MethodName: "GetSeatMap",
			Handler:    _Inventory_GetSeatMap_Handler,
		},
		{
			MethodName: "GetHold",
			Handler:    _Inventory_GetHold_Handler,
		},
		{
			MethodName: "Hold",
			Handler:    _Inventory_Hold_Handler,
		},
		{
			MethodName: "ExtendHold",
			Handler:    _Inventory_ExtendHold_Handler,
		},
		{
			MethodName: "Release",
			Handler:    _Inventory_Release_Handler,
		},
		{
			MethodName: "Sell",
			Handler:    _Inventory_Sell_Handler,
		},
		{
			MethodName: "Refund",
			Handler:    _Inventory_Refund_Handler,
		},
	},
	Streams: []grpc.StreamDesc{
		{
			StreamName:    "Watch",
			Handler:       _Inventory_Watch_Handler,
			ServerStreams: true,
		},
		{
			StreamName:    "ReadSeatMaps",
			Handler:       _Inventory_ReadSeatMaps_Handler,
			ServerStreams: true,
			ClientStreams: true,
		},
		{
			StreamName:    "Commands",
			Handler:       _Inventory_Commands_Handler,
			ServerStreams: true,
			ClientStreams: true,
		},
	},
	Metadata: "api/boxoffice/v1/boxoffice.proto",
}

const (
	Cluster_Status_FullMethodName            = "/boxoffice.v1.Cluster/Status"
	Cluster_Routing_FullMethodName           = "/boxoffice.v1.Cluster/Routing"
	Cluster_RemoveNode_FullMethodName        = "/boxoffice.v1.Cluster/RemoveNode"
	Cluster_TransferLeader_FullMethodName    = "/boxoffice.v1.Cluster/TransferLeader"
	Cluster_Drain_FullMethodName             = "/boxoffice.v1.Cluster/Drain"
	Cluster_Backup_FullMethodName            = "/boxoffice.v1.Cluster/Backup"
	Cluster_CheckFeatureLevel_FullMethodName = "/boxoffice.v1.Cluster/CheckFeatureLevel"
	Cluster_AddGroups_FullMethodName         = "/boxoffice.v1.Cluster/AddGroups"
	Cluster_MoveShard_FullMethodName         = "/boxoffice.v1.Cluster/MoveShard"
	Cluster_Decommission_FullMethodName      = "/boxoffice.v1.Cluster/Decommission"
	Cluster_PlanRebalance_FullMethodName     = "/boxoffice.v1.Cluster/PlanRebalance"
)

// ClusterClient is the client API for Cluster service.
//
// For semantics around ctx use and closing/ending streaming RPCs, please refer to https://pkg.go.dev/google.golang.org/grpc/?tab=doc#ClientConn.NewStream.
type ClusterClient interface {
	Status(ctx context.Context, in *StatusRequest, opts ...grpc.CallOption) (*StatusResponse, error)
	// Routing tells clients which node leads each shard of an event.
	Routing(ctx context.Context, in *RoutingRequest, opts ...grpc.CallOption) (*RoutingResponse, error)
	// RemoveNode takes a node out of every Raft group it is a member of.
	RemoveNode(ctx context.Context, in *RemoveNodeRequest, opts ...grpc.CallOption) (*RemoveNodeResponse, error)
	// TransferLeader moves the leadership of one group (a data group or
	// "meta") to node_id, a voter of the group that is not draining, and
	// makes node_id the group's preferred leader (data groups) so that the
	// rebalancer keeps it there. It answers once the transfer was made;
	// Status shows the new leader. Operator role. Errors: INVALID_ARGUMENT
	// (INVALID_REQUEST) for a missing id or a node that is not a voter of
	// the group; NOT_FOUND (NOT_FOUND) for an unknown group or node;
	// FAILED_PRECONDITION (NODE_DRAINING) when node_id is draining.
	TransferLeader(ctx context.Context, in *TransferLeaderRequest, opts ...grpc.CallOption) (*TransferLeaderResponse, error)
	// Drain marks a node draining (drained true) or not (false), in the
	// catalog: the rebalancer then moves every leadership the node holds,
	// data groups and meta, to another replica and never hands it one, and
	// it survives restarts of every node. It answers once the mark is
	// committed; Status shows the node's leaderships going. Operator role.
	// Errors: NOT_FOUND (NOT_FOUND) for an unknown node; FAILED_PRECONDITION
	// (NODE_DRAINING) when every other node is draining.
	Drain(ctx context.Context, in *DrainRequest, opts ...grpc.CallOption) (*DrainResponse, error)
	// Backup streams the state of one group from its leader (operator role);
	// a node that does not lead the group answers UNAVAILABLE (NO_LEADER).
	// `boxoffice ctl backup` calls it for every group.
	Backup(ctx context.Context, in *BackupRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[BackupChunk], error)
	// CheckFeatureLevel answers when every registered node runs a build of
	// at least feature_level (0: the answering node's own level), the
	// condition under which features of that level are used; `boxoffice
	// ctl upgrade-check` calls it as the last step of an upgrade. Operator
	// role. Errors: FAILED_PRECONDITION (CLUSTER_UPGRADING) naming the
	// nodes still on an older build; INVALID_ARGUMENT (INVALID_REQUEST)
	// for a level above the answering node's.
	CheckFeatureLevel(ctx context.Context, in *CheckFeatureLevelRequest, opts ...grpc.CallOption) (*CheckFeatureLevelResponse, error)
	// AddGroups creates count data groups on a running cluster (operator
	// role): their replicas are laid out over the alive nodes that are not
	// draining, spread over regions then zones, then on the nodes holding
	// fewest replicas and leading fewest groups; ids continue after the
	// last group. It answers once the groups are in the catalog; each
	// replica starts its group within a reconcile pass. A retry with the
	// same request_id answers the same groups. Errors: INVALID_ARGUMENT
	// (INVALID_REQUEST) for a count of 0, (LIMIT_EXCEEDED) over 64 or past
	// 1000 groups.
	AddGroups(ctx context.Context, in *AddGroupsRequest, opts ...grpc.CallOption) (*AddGroupsResponse, error)
	// MoveShard moves one shard of an event to another data group, keeping
	// its seats, holds, orders, tickets and remembered request ids: the
	// catalog records the move, the source group freezes the shard (its
	// holds and sales answer UNAVAILABLE SHARD_MOVING meanwhile), the target
	// imports it, the catalog points at the target, the source drops its
	// copy. It answers when the move is done; a call that failed midway is
	// continued by calling again (the catalog keeps the move). Operator role.
	// Errors: NOT_FOUND (NOT_FOUND) for an unknown event, shard or group;
	// FAILED_PRECONDITION for an archived event (EVENT_ARCHIVED), an event
	// still being created (EVENT_NOT_READY), a shard already in the group
	// (SHARD_ALREADY_IN_GROUP) or moving to another group
	// (SHARD_MOVE_RUNNING); INVALID_ARGUMENT (LIMIT_EXCEEDED) when the
	// shard's state does not fit one Raft entry (the move is aborted).
	MoveShard(ctx context.Context, in *MoveShardRequest, opts ...grpc.CallOption) (*MoveShardResponse, error)
	// Decommission marks a node decommissioning (recommission false) or
	// takes the mark off (true), in the catalog. The node is drained too;
	// the meta leader's rebalancer then moves every replica it holds to
	// other nodes, a few at a time (NodeInfo.replica_count shows how many
	// are left). It answers once the mark is committed; the caller removes
	// the node with RemoveNode once it holds none (`ctl decommission` does
	// both). Operator role. Errors: INVALID_ARGUMENT (INVALID_REQUEST) for a
	// missing node_id; NOT_FOUND (NOT_FOUND) for an unknown node;
	// FAILED_PRECONDITION (DECOMMISSION_WOULD_LOSE_REPLICAS) when the nodes
	// left would be fewer than the replication factor, or span fewer
	// localities than a group's replicas do now (the message names the
	// numbers).
	Decommission(ctx context.Context, in *DecommissionRequest, opts ...grpc.CallOption) (*DecommissionResponse, error)
	// PlanRebalance answers what the rebalancer would move from the
	// catalog as the answering node sees it, and why, changing nothing:
	// every move until the cluster is balanced (moves), the moves in
	// flight, and replicas that cannot move. Operator or reader role.
	PlanRebalance(ctx context.Context, in *PlanRebalanceRequest, opts ...grpc.CallOption) (*PlanRebalanceResponse, error)
}

type clusterClient struct {
	cc grpc.ClientConnInterface
}

func NewClusterClient(cc grpc.ClientConnInterface) ClusterClient {
	return &clusterClient{cc}
}

func (c *clusterClient) Status(ctx context.Context, in *StatusRequest, opts ...grpc.CallOption) (*StatusResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(StatusResponse)
	err := c.cc.Invoke(ctx, Cluster_Status_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *clusterClient) Routing(ctx context.Context, in *RoutingRequest, opts ...grpc.CallOption) (*RoutingResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(RoutingResponse)
	err := c.cc.Invoke(ctx, Cluster_Routing_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *clusterClient) RemoveNode(ctx context.Context, in *RemoveNodeRequest, opts ...grpc.CallOption) (*RemoveNodeResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(RemoveNodeResponse)
	err := c.cc.Invoke(ctx, Cluster_RemoveNode_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *clusterClient) TransferLeader(ctx context.Context, in *TransferLeaderRequest, opts ...grpc.CallOption) (*TransferLeaderResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(TransferLeaderResponse)
	err := c.cc.Invoke(ctx, Cluster_TransferLeader_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *clusterClient) Drain(ctx context.Context, in *DrainRequest, opts ...grpc.CallOption) (*DrainResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(DrainResponse)
	err := c.cc.Invoke(ctx, Cluster_Drain_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *clusterClient) Backup(ctx context.Context, in *BackupRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[BackupChunk], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &Cluster_ServiceDesc.Streams[0], Cluster_Backup_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[BackupRequest, BackupChunk]{ClientStream: stream}
	if err := x.ClientStream.SendMsg(in); err != nil {
		return nil, err
	}
	if err := x.ClientStream.CloseSend(); err != nil {
		return nil, err
	}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Cluster_BackupClient = grpc.ServerStreamingClient[BackupChunk]

func (c *clusterClient) CheckFeatureLevel(ctx context.Context, in *CheckFeatureLevelRequest, opts ...grpc.CallOption) (*CheckFeatureLevelResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(CheckFeatureLevelResponse)
	err := c.cc.Invoke(ctx, Cluster_CheckFeatureLevel_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *clusterClient) AddGroups(ctx context.Context, in *AddGroupsRequest, opts ...grpc.CallOption) (*AddGroupsResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(AddGroupsResponse)
	err := c.cc.Invoke(ctx, Cluster_AddGroups_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *clusterClient) MoveShard(ctx context.Context, in *MoveShardRequest, opts ...grpc.CallOption) (*MoveShardResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(MoveShardResponse)
	err := c.cc.Invoke(ctx, Cluster_MoveShard_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *clusterClient) Decommission(ctx context.Context, in *DecommissionRequest, opts ...grpc.CallOption) (*DecommissionResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(DecommissionResponse)
	err := c.cc.Invoke(ctx, Cluster_Decommission_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *clusterClient) PlanRebalance(ctx context.Context, in *PlanRebalanceRequest, opts ...grpc.CallOption) (*PlanRebalanceResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(PlanRebalanceResponse)
	err := c.cc.Invoke(ctx, Cluster_PlanRebalance_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ClusterServer is the server API for Cluster service.
// All implementations must embed UnimplementedClusterServer
// for forward compatibility.
type ClusterServer interface {
	Status(context.Context, *StatusRequest) (*StatusResponse, error)
	// Routing tells clients which node leads each shard of an event.
	Routing(context.Context, *RoutingRequest) (*RoutingResponse, error)
	// RemoveNode takes a node out of every Raft group it is a member of.
	RemoveNode(context.Context, *RemoveNodeRequest) (*RemoveNodeResponse, error)
	// TransferLeader moves the leadership of one group (a data group or
	// "meta") to node_id, a voter of the group that is not draining, and
	// makes node_id the group's preferred leader (data groups) so that the
	// rebalancer keeps it there. It answers once the transfer was made;
	// Status shows the new leader. Operator role. Errors: INVALID_ARGUMENT
	// (INVALID_REQUEST) for a missing id or a node that is not a voter of
	// the group; NOT_FOUND (NOT_FOUND) for an unknown group or node;
	// FAILED_PRECONDITION (NODE_DRAINING) when node_id is draining.
	TransferLeader(context.Context, *TransferLeaderRequest) (*TransferLeaderResponse, error)
	// Drain marks a node draining (drained true) or not (false), in the
	// catalog: the rebalancer then moves every leadership the node holds,
	// data groups and meta, to another replica and never hands it one, and
	// it survives restarts of every node. It answers once the mark is
	// committed; Status shows the node's leaderships going. Operator role.
	// Errors: NOT_FOUND (NOT_FOUND) for an unknown node; FAILED_PRECONDITION
	// (NODE_DRAINING) when every other node is draining.
	Drain(context.Context, *DrainRequest) (*DrainResponse, error)
	// Backup streams the state of one group from its leader (operator role);
	// a node that does not lead the group answers UNAVAILABLE (NO_LEADER).
	// `boxoffice ctl backup` calls it for every group.
	Backup(*BackupRequest, grpc.ServerStreamingServer[BackupChunk]) error
	// CheckFeatureLevel answers when every registered node runs a build of
	// at least feature_level (0: the answering node's own level), the
	// condition under which features of that level are used; `boxoffice
	// ctl upgrade-check` calls it as the last step of an upgrade. Operator
	// role. Errors: FAILED_PRECONDITION (CLUSTER_UPGRADING) naming the
	// nodes still on an older build; INVALID_ARGUMENT (INVALID_REQUEST)
	// for a level above the answering node's.
	CheckFeatureLevel(context.Context, *CheckFeatureLevelRequest) (*CheckFeatureLevelResponse, error)
	// AddGroups creates count data groups on a running cluster (operator
	// role): their replicas are laid out over the alive nodes that are not
	// draining, spread over regions then zones, then on the nodes holding
	// fewest replicas and leading fewest groups; ids continue after the
	// last group. It answers once the groups are in the catalog; each
	// replica starts its group within a reconcile pass. A retry with the
	// same request_id answers the same groups. Errors: INVALID_ARGUMENT
	// (INVALID_REQUEST) for a count of 0, (LIMIT_EXCEEDED) over 64 or past
	// 1000 groups.
	AddGroups(context.Context, *AddGroupsRequest) (*AddGroupsResponse, error)
	// MoveShard moves one shard of an event to another data group, keeping
	// its seats, holds, orders, tickets and remembered request ids: the
	// catalog records the move, the source group freezes the shard (its
	// holds and sales answer UNAVAILABLE SHARD_MOVING meanwhile), the target
	// imports it, the catalog points at the target, the source drops its
	// copy. It answers when the move is done; a call that failed midway is
	// continued by calling again (the catalog keeps the move). Operator role.
	// Errors: NOT_FOUND (NOT_FOUND) for an unknown event, shard or group;
	// FAILED_PRECONDITION for an archived event (EVENT_ARCHIVED), an event
	// still being created (EVENT_NOT_READY), a shard already in the group
	// (SHARD_ALREADY_IN_GROUP) or moving to another group
	// (SHARD_MOVE_RUNNING); INVALID_ARGUMENT (LIMIT_EXCEEDED) when the
	// shard's state does not fit one Raft entry (the move is aborted).
	MoveShard(context.Context, *MoveShardRequest) (*MoveShardResponse, error)
	// Decommission marks a node decommissioning (recommission false) or
	// takes the mark off (true), in the catalog. The node is drained too;
	// the meta leader's rebalancer then moves every replica it holds to
	// other nodes, a few at a time (NodeInfo.replica_count shows how many
	// are left). It answers once the mark is committed; the caller removes
	// the node with RemoveNode once it holds none (`ctl decommission` does
	// both). Operator role. Errors: INVALID_ARGUMENT (INVALID_REQUEST) for a
	// missing node_id; NOT_FOUND (NOT_FOUND) for an unknown node;
	// FAILED_PRECONDITION (DECOMMISSION_WOULD_LOSE_REPLICAS) when the nodes
	// left would be fewer than the replication factor, or span fewer
	// localities than a group's replicas do now (the message names the
	// numbers).
	Decommission(context.Context, *DecommissionRequest) (*DecommissionResponse, error)
	// PlanRebalance answers what the rebalancer would move from the
	// catalog as the answering node sees it, and why, changing nothing:
	// every move until the cluster is balanced (moves), the moves in
	// flight, and replicas that cannot move. Operator or reader role.
	PlanRebalance(context.Context, *PlanRebalanceRequest) (*PlanRebalanceResponse, error)
	mustEmbedUnimplementedClusterServer()
}

// UnimplementedClusterServer must be embedded to have
// forward compatible implementations.
//
// NOTE: this should be embedded by value instead of pointer to avoid a nil
// pointer dereference when methods are called.
type UnimplementedClusterServer struct{}

func (UnimplementedClusterServer) Status(context.Context, *StatusRequest) (*StatusResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Status not implemented")
}
func (UnimplementedClusterServer) Routing(context.Context, *RoutingRequest) (*RoutingResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Routing not implemented")
}
func (UnimplementedClusterServer) RemoveNode(context.Context, *RemoveNodeRequest) (*RemoveNodeResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method RemoveNode not implemented")
}
func (UnimplementedClusterServer) TransferLeader(context.Context, *TransferLeaderRequest) (*TransferLeaderResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method TransferLeader not implemented")
}
func (UnimplementedClusterServer) Drain(context.Context, *DrainRequest) (*DrainResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Drain not implemented")
}
func (UnimplementedClusterServer) Backup(*BackupRequest, grpc.ServerStreamingServer[BackupChunk]) error {
	return status.Error(codes.Unimplemented, "method Backup not implemented")
}
func (UnimplementedClusterServer) CheckFeatureLevel(context.Context, *CheckFeatureLevelRequest) (*CheckFeatureLevelResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method CheckFeatureLevel not implemented")
}
func (UnimplementedClusterServer) AddGroups(context.Context, *AddGroupsRequest) (*AddGroupsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method AddGroups not implemented")
}
func (UnimplementedClusterServer) MoveShard(context.Context, *MoveShardRequest) (*MoveShardResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method MoveShard not implemented")
}
func (UnimplementedClusterServer) Decommission(context.Context, *DecommissionRequest) (*DecommissionResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Decommission not implemented")
}
func (UnimplementedClusterServer) PlanRebalance(context.Context, *PlanRebalanceRequest) (*PlanRebalanceResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method PlanRebalance not implemented")
}
func (UnimplementedClusterServer) mustEmbedUnimplementedClusterServer() {}
func (UnimplementedClusterServer) testEmbeddedByValue()                 {}

// UnsafeClusterServer may be embedded to opt out of forward compatibility for this service.
// Use of this interface is not recommended, as added methods to ClusterServer will
// result in compilation errors.
type UnsafeClusterServer interface {
	mustEmbedUnimplementedClusterServer()
}

func RegisterClusterServer(s grpc.ServiceRegistrar, srv ClusterServer) {
	// If the following call panics, it indicates UnimplementedClusterServer was
	// embedded by pointer and is nil.  This will cause panics if an
	// unimplemented method is ever invoked, so we test this at initialization
	// time to prevent it from happening at runtime later due to I/O.
	if t, ok := srv.(interface{ testEmbeddedByValue() }); ok {
		t.testEmbeddedByValue()
	}
	s.RegisterService(&Cluster_ServiceDesc, srv)
}

func _Cluster_Status_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(StatusRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(ClusterServer).Status(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Cluster_Status_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(ClusterServer).Status(ctx, req.(*StatusRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Cluster_Routing_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(RoutingRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(ClusterServer).Routing(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Cluster_Routing_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(ClusterServer).Routing(ctx, req.(*RoutingRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Cluster_RemoveNode_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(RemoveNodeRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(ClusterServer).RemoveNode(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Cluster_RemoveNode_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(ClusterServer).RemoveNode(ctx, req.(*RemoveNodeRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Cluster_TransferLeader_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(TransferLeaderRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(ClusterServer).TransferLeader(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Cluster_TransferLeader_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(ClusterServer).TransferLeader(ctx, req.(*TransferLeaderRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Cluster_Drain_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(DrainRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(ClusterServer).Drain(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Cluster_Drain_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(ClusterServer).Drain(ctx, req.(*DrainRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Cluster_Backup_Handler(srv interface{}, stream grpc.ServerStream) error {
	m := new(BackupRequest)
	if err := stream.RecvMsg(m); err != nil {
		return err
	}
	return srv.(ClusterServer).Backup(m, &grpc.GenericServerStream[BackupRequest, BackupChunk]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Cluster_BackupServer = grpc.ServerStreamingServer[BackupChunk]

func _Cluster_CheckFeatureLevel_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(CheckFeatureLevelRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(ClusterServer).CheckFeatureLevel(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Cluster_CheckFeatureLevel_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(ClusterServer).CheckFeatureLevel(ctx, req.(*CheckFeatureLevelRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Cluster_AddGroups_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(AddGroupsRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(ClusterServer).AddGroups(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Cluster_AddGroups_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(ClusterServer).AddGroups(ctx, req.(*AddGroupsRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Cluster_MoveShard_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(MoveShardRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(ClusterServer).MoveShard(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Cluster_MoveShard_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(ClusterServer).MoveShard(ctx, req.(*MoveShardRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Cluster_Decommission_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(DecommissionRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(ClusterServer).Decommission(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Cluster_Decommission_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(ClusterServer).Decommission(ctx, req.(*DecommissionRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Cluster_PlanRebalance_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(PlanRebalanceRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(ClusterServer).PlanRebalance(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Cluster_PlanRebalance_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(ClusterServer).PlanRebalance(ctx, req.(*PlanRebalanceRequest))
	}
	return interceptor(ctx, in, info, handler)
}

// Cluster_ServiceDesc is the grpc.ServiceDesc for Cluster service.
// It's only intended for direct use with grpc.RegisterService,
// and not to be introspected or modified (even as a copy)
var Cluster_ServiceDesc = grpc.ServiceDesc{
	ServiceName: "boxoffice.v1.Cluster",
	HandlerType: (*ClusterServer)(nil),
	Methods: []grpc.MethodDesc{
		{
			MethodName: "Status",
			Handler:    _Cluster_Status_Handler,
		},
		{
			MethodName: "Routing",
			Handler:    _Cluster_Routing_Handler,
		},
		{
			MethodName: "RemoveNode",
			Handler:    _Cluster_RemoveNode_Handler,
		},
		{
			MethodName: "TransferLeader",
			Handler:    _Cluster_TransferLeader_Handler,
		},
		{
			MethodName: "Drain",
			Handler:    _Cluster_Drain_Handler,
		},
		{
			MethodName: "CheckFeatureLevel",
			Handler:    _Cluster_CheckFeatureLevel_Handler,
		},
		{
			MethodName: "AddGroups",
			Handler:    _Cluster_AddGroups_Handler,
		},
		{
			MethodName: "MoveShard",
			Handler:    _Cluster_MoveShard_Handler,
		},
		{
			MethodName: "Decommission",
			Handler:    _Cluster_Decommission_Handler,
		},
		{
			MethodName: "PlanRebalance",
			Handler:    _Cluster_PlanRebalance_Handler,
		},
	},
	Streams: []grpc.StreamDesc{
		{
			StreamName:    "Backup",
			Handler:       _Cluster_Backup_Handler,
			ServerStreams: true,
		},
	},
	Metadata: "api/boxoffice/v1/boxoffice.proto",
}

const (
	Records_Get_FullMethodName            = "/boxoffice.v1.Records/Get"
	Records_CompareAndSwap_FullMethodName = "/boxoffice.v1.Records/CompareAndSwap"
	Records_Delete_FullMethodName         = "/boxoffice.v1.Records/Delete"
	Records_Add_FullMethodName            = "/boxoffice.v1.Records/Add"
	Records_Scan_FullMethodName           = "/boxoffice.v1.Records/Scan"
	Records_Batch_FullMethodName          = "/boxoffice.v1.Records/Batch"
)

// RecordsClient is the client API for Records service.
//
// For semantics around ctx use and closing/ending streaming RPCs, please refer to https://pkg.go.dev/google.golang.org/grpc/?tab=doc#ClientConn.NewStream.
type RecordsClient interface {
	Get(ctx context.Context, in *GetRecordRequest, opts ...grpc.CallOption) (*Record, error)
	CompareAndSwap(ctx context.Context, in *CompareAndSwapRequest, opts ...grpc.CallOption) (*CompareAndSwapResponse, error)
	Delete(ctx context.Context, in *DeleteRecordRequest, opts ...grpc.CallOption) (*DeleteRecordResponse, error)
	Add(ctx context.Context, in *AddRequest, opts ...grpc.CallOption) (*AddResponse, error)
	Scan(ctx context.Context, in *ScanRequest, opts ...grpc.CallOption) (*ScanResponse, error)
	// Batch writes several keys of one placement atomically (feature level
	// 3; refused CLUSTER_UPGRADING before).
	Batch(ctx context.Context, in *BatchRecordsRequest, opts ...grpc.CallOption) (*BatchRecordsResponse, error)
}

type recordsClient struct {
	cc grpc.ClientConnInterface
}

func NewRecordsClient(cc grpc.ClientConnInterface) RecordsClient {
	return &recordsClient{cc}
}

func (c *recordsClient) Get(ctx context.Context, in *GetRecordRequest, opts ...grpc.CallOption) (*Record, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(Record)
	err := c.cc.Invoke(ctx, Records_Get_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *recordsClient) CompareAndSwap(ctx context.Context, in *CompareAndSwapRequest, opts ...grpc.CallOption) (*CompareAndSwapResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(CompareAndSwapResponse)
	err := c.cc.Invoke(ctx, Records_CompareAndSwap_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *recordsClient) Delete(ctx context.Context, in *DeleteRecordRequest, opts ...grpc.CallOption) (*DeleteRecordResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(DeleteRecordResponse)
	err := c.cc.Invoke(ctx, Records_Delete_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *recordsClient) Add(ctx context.Context, in *AddRequest, opts ...grpc.CallOption) (*AddResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(AddResponse)
	err := c.cc.Invoke(ctx, Records_Add_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *recordsClient) Scan(ctx context.Context, in *ScanRequest, opts ...grpc.CallOption) (*ScanResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ScanResponse)
	err := c.cc.Invoke(ctx, Records_Scan_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *recordsClient) Batch(ctx context.Context, in *BatchRecordsRequest, opts ...grpc.CallOption) (*BatchRecordsResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(BatchRecordsResponse)
	err := c.cc.Invoke(ctx, Records_Batch_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecordsServer is the server API for Records service.
// All implementations must embed UnimplementedRecordsServer
// for forward compatibility.
type RecordsServer interface {
	Get(context.Context, *GetRecordRequest) (*Record, error)
	CompareAndSwap(context.Context, *CompareAndSwapRequest) (*CompareAndSwapResponse, error)
	Delete(context.Context, *DeleteRecordRequest) (*DeleteRecordResponse, error)
	Add(context.Context, *AddRequest) (*AddResponse, error)
	Scan(context.Context, *ScanRequest) (*ScanResponse, error)
	// Batch writes several keys of one placement atomically (feature level
	// 3; refused CLUSTER_UPGRADING before).
	Batch(context.Context, *BatchRecordsRequest) (*BatchRecordsResponse, error)
	mustEmbedUnimplementedRecordsServer()
}

// UnimplementedRecordsServer must be embedded to have
// forward compatible implementations.
//
// NOTE: this should be embedded by value instead of pointer to avoid a nil
// pointer dereference when methods are called.
type UnimplementedRecordsServer struct{}

func (UnimplementedRecordsServer) Get(context.Context, *GetRecordRequest) (*Record, error) {
	return nil, status.Error(codes.Unimplemented, "method Get not implemented")
}
func (UnimplementedRecordsServer) CompareAndSwap(context.Context, *CompareAndSwapRequest) (*CompareAndSwapResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method CompareAndSwap not implemented")
}
func (UnimplementedRecordsServer) Delete(context.Context, *DeleteRecordRequest) (*DeleteRecordResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Delete not implemented")
}
func (UnimplementedRecordsServer) Add(context.Context, *AddRequest) (*AddResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Add not implemented")
}
func (UnimplementedRecordsServer) Scan(context.Context, *ScanRequest) (*ScanResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Scan not implemented")
}
func (UnimplementedRecordsServer) Batch(context.Context, *BatchRecordsRequest) (*BatchRecordsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Batch not implemented")
}
func (UnimplementedRecordsServer) mustEmbedUnimplementedRecordsServer() {}
func (UnimplementedRecordsServer) testEmbeddedByValue()                 {}

// UnsafeRecordsServer may be embedded to opt out of forward compatibility for this service.
// Use of this interface is not recommended, as added methods to RecordsServer will
// result in compilation errors.
type UnsafeRecordsServer interface {
	mustEmbedUnimplementedRecordsServer()
}

func RegisterRecordsServer(s grpc.ServiceRegistrar, srv RecordsServer) {
	// If the following call panics, it indicates UnimplementedRecordsServer was
	// embedded by pointer and is nil.  This will cause panics if an
	// unimplemented method is ever invoked, so we test this at initialization
	// time to prevent it from happening at runtime later due to I/O.
	if t, ok := srv.(interface{ testEmbeddedByValue() }); ok {
		t.testEmbeddedByValue()
	}
	s.RegisterService(&Records_ServiceDesc, srv)
}

func _Records_Get_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetRecordRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(RecordsServer).Get(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Records_Get_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(RecordsServer).Get(ctx, req.(*GetRecordRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Records_CompareAndSwap_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(CompareAndSwapRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(RecordsServer).CompareAndSwap(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Records_CompareAndSwap_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(RecordsServer).CompareAndSwap(ctx, req.(*CompareAndSwapRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Records_Delete_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(DeleteRecordRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(RecordsServer).Delete(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Records_Delete_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(RecordsServer).Delete(ctx, req.(*DeleteRecordRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Records_Add_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(AddRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(RecordsServer).Add(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Records_Add_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(RecordsServer).Add(ctx, req.(*AddRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Records_Scan_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ScanRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(RecordsServer).Scan(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Records_Scan_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(RecordsServer).Scan(ctx, req.(*ScanRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Records_Batch_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(BatchRecordsRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(RecordsServer).Batch(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Records_Batch_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(RecordsServer).Batch(ctx, req.(*BatchRecordsRequest))
	}
	return interceptor(ctx, in, info, handler)
}

// Records_ServiceDesc is the grpc.ServiceDesc for Records service.
// It's only intended for direct use with grpc.RegisterService,
// and not to be introspected or modified (even as a copy)
var Records_ServiceDesc = grpc.ServiceDesc{
	ServiceName: "boxoffice.v1.Records",
	HandlerType: (*RecordsServer)(nil),
	Methods: []grpc.MethodDesc{
		{
			MethodName: "Get",
			Handler:    _Records_Get_Handler,
		},
		{
			MethodName: "CompareAndSwap",
			Handler:    _Records_CompareAndSwap_Handler,
		},
		{
			MethodName: "Delete",
			Handler:    _Records_Delete_Handler,
		},
		{
			MethodName: "Add",
			Handler:    _Records_Add_Handler,
		},
		{
			MethodName: "Scan",
			Handler:    _Records_Scan_Handler,
		},
		{
			MethodName: "Batch",
			Handler:    _Records_Batch_Handler,
		},
	},
	Streams:  []grpc.StreamDesc{},
	Metadata: "api/boxoffice/v1/boxoffice.proto",
}
