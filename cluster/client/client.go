// Package client is the Go client of a Boxoffice cluster, for the API
// servers that sell tickets.
//
// A Client keeps one gRPC connection per node and sends each call to the
// node most likely to answer it without forwarding: a Hold on a section or
// a general-admission pool goes to the leader of that section's shard, an
// operation on an existing hold to the leader of the hold's first shard
// (hold ids name their shards, see holdid.Parse), everything else to
// any node in turn. Routing is only an optimization: every node forwards to
// the right leader, so when the routing is unknown, stale or unreachable
// the call goes to any node instead of failing.
//
// Calls retry on UNAVAILABLE (including SHARD_MOVING: the shard is being
// moved to another group, and the retry, after the client refreshed the
// event's routing, reaches its new group), on an attempt's own
// DEADLINE_EXCEEDED and on RESOURCE_EXHAUSTED with reason BUSY, with
// exponential backoff and jitter, until the caller's deadline. Mutations carry a request id (a random UUID
// unless the caller set one) that stays the same across retries, so the
// cluster applies a retried mutation once and returns the first answer.
// Other errors (ABORTED, NOT_FOUND, ...) are business answers and return at
// once. Errors are gRPC status errors: use status.Code and
// boxofficev1.ReasonOf to act on them.
//
// The package is built for the processes that import it: it pulls in no
// server code (membership, Raft, node; TestImportsNoServerCode) and
// importing it changes no process-wide state. Its connections encode and
// decode with the generated code of api/codec, chosen per connection
// (grpc.ForceCodecV2); gRPC's default codec stays the process's default.
//
// Alternatives rejected: a gRPC resolver/balancer plugin would hide the
// per-call choice of node behind gRPC's picker API, which sees neither the
// event nor the shard of a call; retrying through gRPC's service config
// cannot keep a leader hint or refresh routing between attempts.
package client

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/api/codec"
	"github.com/boxoffice/boxoffice/api/holdid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Names of the wire contract this package acts on, defined (and
// documented) in the API package.
const (
	// LeaderAddrMetadataKey is the header or trailer metadata in which a
	// node that cannot serve a call names the gRPC address of the leader
	// to try.
	LeaderAddrMetadataKey = boxofficev1.LeaderAddrMetadataKey
	// ReasonBusy is the ErrorInfo reason of a RESOURCE_EXHAUSTED that is
	// worth retrying: a server queue was full.
	ReasonBusy = boxofficev1.ReasonBusy
	// ReasonRequestIDReused is the ErrorInfo reason of a
	// FAILED_PRECONDITION: the request id was already used for a request
	// with other content. The client does not retry it.
	ReasonRequestIDReused = boxofficev1.ReasonRequestIDReused
	// ReasonShardMoving is the ErrorInfo reason of an UNAVAILABLE: the
	// shard is being moved to another group. The client retries it.
	ReasonShardMoving = boxofficev1.ReasonShardMoving
)

// Retry backoff: the first wait is about backoffStart, each next one up to
// twice as long, never above backoffMax; each wait is drawn from
// [half, all] of the current step.
const (
	backoffStart = 10 * time.Millisecond
	backoffMax   = 500 * time.Millisecond
	// routingEventsMax bounds the routing cache; beyond it an arbitrary
	// entry is dropped (and fetched again if needed).
	routingEventsMax = 10_000
	// routingRetryAfterFailure spaces routing fetches after one failed.
	routingRetryAfterFailure = time.Second
)

// ResponseBytesMax caps one response message. gRPC's default of 4 MiB is
// too small for the per-seat seat map of a large venue (about 60 bytes a
// seat); summaries and single sections stay far below either limit.
const ResponseBytesMax = 64 << 20

// ErrClosed is returned by calls on a closed Client.
var ErrClosed = errors.New("boxoffice client: closed")

// Client is a connection to a Boxoffice cluster. It is safe for concurrent
// use; connections are made on first use and reused.
type Client struct {
	cfg      Config
	log      *slog.Logger
	dialOpts []grpc.DialOption

	// background fetches of routing and nodes run under this context, which
	// Close cancels, and are counted by background so Close can wait.
	background       context.Context
	cancelBackground context.CancelFunc
	backgroundWG     sync.WaitGroup

	roundRobin atomic.Uint64

	mu               sync.Mutex
	closed           bool
	conns            map[string]*nodeConn // by gRPC address, every address ever used
	live             []string             // addresses to spread unrouted calls over: seeds and live nodes
	nodesRefreshDue  time.Time
	nodesRefreshing  bool
	routes           map[string]*eventRoute // by event id
	rawInventoryConn roundRobinConn
}

type nodeConn struct {
	conn      *grpc.ClientConn
	inventory boxofficev1.InventoryClient
	cluster   boxofficev1.ClusterClient
	records   boxofficev1.RecordsClient
	seatMaps  *seatMapStreams // ReadSeatMap's stream to this node (seatstream.go)
	commands  *commandStreams // the mutations' stream to this node (commands.go)
}

// eventRoute is what the client knows of one event's shards.
type eventRoute struct {
	shardLeader    map[uint32]string // shard -> leader gRPC address
	placementShard map[string]uint32 // section or pool id -> shard
	refreshDue     time.Time         // zero: refresh before next use
	fetching       bool
	// fetched is closed when the fetch of a routing never known ends;
	// callers that arrived meanwhile wait on it.
	fetched chan struct{}
}

// Dial connects to the cluster at cfg.Addrs and learns its nodes. It returns
// once a node has answered Cluster.Status, so that a wrong address or TLS
// setting shows at start-up; it gives up when ctx ends, or after
// cfg.RetryTimeout if ctx has no deadline. When no node answers, Dial
// probes up to three of the addresses with a TLS handshake (at most 2 s
// each, even past ctx's deadline) and, if a node's TLS setting differs
// from cfg.TLS, returns a *TLSMismatchError that says which.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Client{
		cfg:    cfg,
		log:    cfg.Logger,
		conns:  make(map[string]*nodeConn),
		live:   slices.Compact(slices.Sorted(slices.Values(cfg.Addrs))),
		routes: make(map[string]*eventRoute),
	}
	creds := insecure.NewCredentials()
	if cfg.TLS != nil {
		creds = credentials.NewTLS(cfg.TLS.Clone())
	}
	c.dialOpts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(ResponseBytesMax), grpc.ForceCodecV2(codec.Client())),
	}, cfg.DialOptions...)
	c.background, c.cancelBackground = context.WithCancel(context.Background())
	c.rawInventoryConn = roundRobinConn{c}
	for _, addr := range c.live {
		if _, err := c.conn(addr); err != nil {
			c.Close()
			return nil, fmt.Errorf("boxoffice client: %s: %w", addr, err)
		}
	}
	if _, err := c.Status(ctx); err != nil {
		c.Close()
		if status.Code(err) == codes.Unavailable || status.Code(err) == codes.DeadlineExceeded {
			// Name the TLS setting that differs rather than gRPC's
			// "error reading server preface: EOF".
			for _, addr := range c.live[:min(len(c.live), tlsProbesMax)] {
				if mismatch := tlsMismatch(context.WithoutCancel(ctx), addr, cfg.TLS); mismatch != nil {
					return nil, fmt.Errorf("boxoffice client: %w", mismatch)
				}
			}
		}
		return nil, fmt.Errorf("boxoffice client: no node of %v answered: %w", cfg.Addrs, err)
	}
	return c, nil
}

// Close stops background refreshes and closes every connection. Calls in
// flight fail with CANCELED; later calls with ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	conns := c.conns
	c.conns = nil
	c.mu.Unlock()

	c.cancelBackground()
	c.backgroundWG.Wait()
	var errs []error
	for _, nc := range conns {
		if err := nc.conn.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Inventory is raw access to the Inventory service: each call goes to the
// next node in turn, once, without routing, retries or request ids.
func (c *Client) Inventory() boxofficev1.InventoryClient {
	return boxofficev1.NewInventoryClient(c.rawInventoryConn)
}

// Cluster is raw access to the Cluster service, like Inventory.
func (c *Client) Cluster() boxofficev1.ClusterClient {
	return boxofficev1.NewClusterClient(c.rawInventoryConn)
}

// ------------------------------------------------------------------ typed calls
//
// Mutations set req.RequestId to a new random UUID if it is empty, in the
// caller's message, so that after a DEADLINE_EXCEEDED the caller can send
// the same message again to learn whether it applied. Do not share one
// request message between concurrent calls.

// CreateEvent creates an event; it goes to any node.
func (c *Client) CreateEvent(ctx context.Context, req *boxofficev1.CreateEventRequest) (*boxofficev1.CreateEventResponse, error) {
	fillRequestID(&req.RequestId)
	return call(c, ctx, "CreateEvent", req.GetEventId(), anyNode, req, inventoryMethod(boxofficev1.InventoryClient.CreateEvent))
}

// DeleteEvent archives an event (refused FAILED_PRECONDITION,
// EVENT_HAS_ACTIVE_HOLDS, while it has active holds); it goes to any node
// and is retried with the same request id like a mutation.
func (c *Client) DeleteEvent(ctx context.Context, req *boxofficev1.DeleteEventRequest) (*boxofficev1.DeleteEventResponse, error) {
	fillRequestID(&req.RequestId)
	return call(c, ctx, "DeleteEvent", req.GetEventId(), anyNode, req, inventoryMethod(boxofficev1.InventoryClient.DeleteEvent))
}

// GetEvent reads an event; it goes to any node.
func (c *Client) GetEvent(ctx context.Context, req *boxofficev1.GetEventRequest) (*boxofficev1.Event, error) {
	return call(c, ctx, "GetEvent", req.GetEventId(), anyNode, req, inventoryMethod(boxofficev1.InventoryClient.GetEvent))
}

// ListEvents lists events a page at a time; it goes to any node.
func (c *Client) ListEvents(ctx context.Context, req *boxofficev1.ListEventsRequest) (*boxofficev1.ListEventsResponse, error) {
	return call(c, ctx, "ListEvents", "", anyNode, req, inventoryMethod(boxofficev1.InventoryClient.ListEvents))
}

// GetSeatMap reads an event's seat map; see seatMapTarget for where it goes.
func (c *Client) GetSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	return call(c, ctx, "GetSeatMap", req.GetEventId(), seatMapTarget(req), req, inventoryMethod(boxofficev1.InventoryClient.GetSeatMap))
}

// seatMapTarget routes a linearizable read of one section or pool to its
// shard's leader, which answers without forwarding; other seat-map reads go
// to any node (a STALE read is answered by whichever replica gets it).
func seatMapTarget(req *boxofficev1.GetSeatMapRequest) target {
	if req.GetConsistency() != boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE && len(req.GetSectionIds()) == 1 {
		return placement(req.GetSectionIds()[0])
	}
	return anyNode
}

// GetHold reads a hold; it goes to the leader of the hold's first shard.
func (c *Client) GetHold(ctx context.Context, req *boxofficev1.GetHoldRequest) (*boxofficev1.HoldResponse, error) {
	return call(c, ctx, "GetHold", req.GetEventId(), holdShard(req.GetHoldId()), req, inventoryMethod(boxofficev1.InventoryClient.GetHold))
}

// Hold holds seats or general-admission places. It goes to the leader of
// the shard of the section asked for (best available in a section, or the
// first of explicit seats) or of the GA pool; otherwise to any node.
func (c *Client) Hold(ctx context.Context, req *boxofficev1.HoldRequest) (*boxofficev1.HoldResponse, error) {
	fillRequestID(&req.RequestId)
	return command(c, ctx, "Hold", req.GetEventId(), placement(holdPlacement(req)), req, inventoryMethod(boxofficev1.InventoryClient.Hold),
		func(m *boxofficev1.CommandsRequest) { m.Command = &boxofficev1.CommandsRequest_Hold{Hold: req} },
		(*boxofficev1.CommandsResponse).GetHold)
}

// ExtendHold extends a hold; it goes to the leader of the hold's first shard.
func (c *Client) ExtendHold(ctx context.Context, req *boxofficev1.ExtendHoldRequest) (*boxofficev1.HoldResponse, error) {
	fillRequestID(&req.RequestId)
	return command(c, ctx, "ExtendHold", req.GetEventId(), holdShard(req.GetHoldId()), req, inventoryMethod(boxofficev1.InventoryClient.ExtendHold),
		func(m *boxofficev1.CommandsRequest) {
			m.Command = &boxofficev1.CommandsRequest_ExtendHold{ExtendHold: req}
		},
		(*boxofficev1.CommandsResponse).GetExtendHold)
}

// Release releases a hold; it goes to the leader of the hold's first shard.
func (c *Client) Release(ctx context.Context, req *boxofficev1.ReleaseRequest) (*boxofficev1.ReleaseResponse, error) {
	fillRequestID(&req.RequestId)
	return command(c, ctx, "Release", req.GetEventId(), holdShard(req.GetHoldId()), req, inventoryMethod(boxofficev1.InventoryClient.Release),
		func(m *boxofficev1.CommandsRequest) { m.Command = &boxofficev1.CommandsRequest_Release{Release: req} },
		(*boxofficev1.CommandsResponse).GetRelease)
}

// Sell turns a hold into tickets; it goes to the leader of the hold's first
// shard.
func (c *Client) Sell(ctx context.Context, req *boxofficev1.SellRequest) (*boxofficev1.SellResponse, error) {
	fillRequestID(&req.RequestId)
	return command(c, ctx, "Sell", req.GetEventId(), holdShard(req.GetHoldId()), req, inventoryMethod(boxofficev1.InventoryClient.Sell),
		func(m *boxofficev1.CommandsRequest) { m.Command = &boxofficev1.CommandsRequest_Sell{Sell: req} },
		(*boxofficev1.CommandsResponse).GetSell)
}

// Refund refunds an order or some of its tickets; it goes to any node.
func (c *Client) Refund(ctx context.Context, req *boxofficev1.RefundRequest) (*boxofficev1.RefundResponse, error) {
	fillRequestID(&req.RequestId)
	return command(c, ctx, "Refund", req.GetEventId(), anyNode, req, inventoryMethod(boxofficev1.InventoryClient.Refund),
		func(m *boxofficev1.CommandsRequest) { m.Command = &boxofficev1.CommandsRequest_Refund{Refund: req} },
		(*boxofficev1.CommandsResponse).GetRefund)
}

// Watch opens a stream of an event's seat changes on any node. Opening is
// retried like a call; the open stream is not: when Recv fails, open a new
// one with WatchRequest.after set to the last sequence seen per shard.
// The stream ends when ctx ends; CallTimeout does not apply.
func (c *Client) Watch(ctx context.Context, req *boxofficev1.WatchRequest) (boxofficev1.Inventory_WatchClient, error) {
	var stream boxofficev1.Inventory_WatchClient
	err := c.retry(ctx, "Watch", req.GetEventId(), anyNode, func(_ context.Context, _ time.Time, nc *nodeConn, _ ...grpc.CallOption) error {
		// The stream lives under the caller's ctx, not the attempt's; the
		// header and trailer options are for unary calls only.
		var err error
		stream, err = nc.inventory.Watch(ctx, req)
		return err
	})
	return stream, err
}

// Status asks any node for the cluster's status, and learns the nodes'
// addresses from it.
func (c *Client) Status(ctx context.Context) (*boxofficev1.StatusResponse, error) {
	resp, err := call(c, ctx, "Status", "", anyNode, &boxofficev1.StatusRequest{}, clusterMethod(boxofficev1.ClusterClient.Status))
	if err == nil {
		c.learnNodes(resp.GetNodes())
	}
	return resp, err
}

// Records calls go to any node, which forwards to the leader of the key's
// data group (or, for a Scan, reads every group). Mutations retry with the
// same request id like the seat calls, so a retried CompareAndSwap applies
// once and returns its first answer.

// GetRecord reads one record linearizably; NOT_FOUND if it does not exist.
func (c *Client) GetRecord(ctx context.Context, req *boxofficev1.GetRecordRequest) (*boxofficev1.Record, error) {
	return call(c, ctx, "GetRecord", "", anyNode, req, recordsMethod(boxofficev1.RecordsClient.Get))
}

// CompareAndSwapRecord writes a record if its version is still the
// expected one (0: it must not exist); FAILED_PRECONDITION with reason
// VERSION_MISMATCH otherwise.
func (c *Client) CompareAndSwapRecord(ctx context.Context, req *boxofficev1.CompareAndSwapRequest) (*boxofficev1.CompareAndSwapResponse, error) {
	fillRequestID(&req.RequestId)
	return call(c, ctx, "CompareAndSwapRecord", "", anyNode, req, recordsMethod(boxofficev1.RecordsClient.CompareAndSwap))
}

// DeleteRecord deletes a record at its expected version.
func (c *Client) DeleteRecord(ctx context.Context, req *boxofficev1.DeleteRecordRequest) (*boxofficev1.DeleteRecordResponse, error) {
	fillRequestID(&req.RequestId)
	return call(c, ctx, "DeleteRecord", "", anyNode, req, recordsMethod(boxofficev1.RecordsClient.Delete))
}

// AddRecord adds to a counter record within [min, max]; OUT_OF_RANGE
// otherwise.
func (c *Client) AddRecord(ctx context.Context, req *boxofficev1.AddRequest) (*boxofficev1.AddResponse, error) {
	fillRequestID(&req.RequestId)
	return call(c, ctx, "AddRecord", "", anyNode, req, recordsMethod(boxofficev1.RecordsClient.Add))
}

// BatchRecords applies operations on keys of one placement atomically (see
// BatchRecordsRequest); a refusal names the operation in its ErrorInfo
// (boxofficev1.MetadataOpIndex). Retried with one request id, like the
// other record writes, so a batch applies once.
func (c *Client) BatchRecords(ctx context.Context, req *boxofficev1.BatchRecordsRequest) (*boxofficev1.BatchRecordsResponse, error) {
	fillRequestID(&req.RequestId)
	return call(c, ctx, "BatchRecords", "", anyNode, req, recordsMethod(boxofficev1.RecordsClient.Batch))
}

// ScanRecords lists records by key prefix, one page (see ScanResponse.truncated).
func (c *Client) ScanRecords(ctx context.Context, req *boxofficev1.ScanRequest) (*boxofficev1.ScanResponse, error) {
	return call(c, ctx, "ScanRecords", "", anyNode, req, recordsMethod(boxofficev1.RecordsClient.Scan))
}

// fillRequestID sets an empty request id to a random UUIDv4.
func fillRequestID(id *string) {
	if *id == "" {
		*id = newRequestID()
	}
}

func newRequestID() string {
	var b [16]byte
	_, _ = cryptorand.Read(b[:]) // crypto/rand.Read never fails (it crashes the program instead)
	b[6] = b[6]&0x0f | 0x40      // version 4
	b[8] = b[8]&0x3f | 0x80      // variant 10
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// ------------------------------------------------------------------ targets

// target names the node a call prefers, given the event's routing (nil when
// unknown); "" means any node.
type target func(route *eventRoute) string

// anyNode is the target of calls that are not routed: they need no routing
// lookup and go to the next node in turn.
var anyNode target

// placement routes to the leader of the shard that holds a section or pool.
func placement(id string) target {
	if id == "" {
		return anyNode
	}
	return func(route *eventRoute) string {
		if route == nil {
			return ""
		}
		shard, ok := route.placementShard[id]
		if !ok {
			return ""
		}
		return route.shardLeader[shard]
	}
}

// holdShard routes to the leader of a hold's first shard.
func holdShard(holdID string) target {
	_, shards, err := holdid.Parse(holdID)
	if err != nil {
		return anyNode // the server will say what is wrong with the id
	}
	return func(route *eventRoute) string {
		if route == nil {
			return ""
		}
		return route.shardLeader[shards[0]]
	}
}

// holdPlacement is the section or pool whose shard should take a Hold.
func holdPlacement(req *boxofficev1.HoldRequest) string {
	switch {
	case req.GetBest() != nil:
		return req.GetBest().GetSectionId()
	case req.GetGeneralAdmission() != nil:
		return req.GetGeneralAdmission().GetPoolId()
	case len(req.GetSeats().GetSeatIds()) > 0:
		section, _, _ := strings.Cut(req.GetSeats().GetSeatIds()[0], "-")
		return section
	}
	return ""
}

// ------------------------------------------------------------------ calls and retries

// unaryMethod is one unary method of one node.
type unaryMethod[Req, Resp any] func(*nodeConn, context.Context, Req, ...grpc.CallOption) (Resp, error)

// inventoryMethod adapts a method expression of the generated Inventory
// client, such as boxofficev1.InventoryClient.Hold.
func inventoryMethod[Req, Resp any](m func(boxofficev1.InventoryClient, context.Context, Req, ...grpc.CallOption) (Resp, error)) unaryMethod[Req, Resp] {
	return func(nc *nodeConn, ctx context.Context, req Req, opts ...grpc.CallOption) (Resp, error) {
		return m(nc.inventory, ctx, req, opts...)
	}
}

// recordsMethod adapts a method expression of the generated Records client.
func recordsMethod[Req, Resp any](m func(boxofficev1.RecordsClient, context.Context, Req, ...grpc.CallOption) (Resp, error)) unaryMethod[Req, Resp] {
	return func(nc *nodeConn, ctx context.Context, req Req, opts ...grpc.CallOption) (Resp, error) {
		return m(nc.records, ctx, req, opts...)
	}
}

// clusterMethod adapts a method expression of the generated Cluster client.
func clusterMethod[Req, Resp any](m func(boxofficev1.ClusterClient, context.Context, Req, ...grpc.CallOption) (Resp, error)) unaryMethod[Req, Resp] {
	return func(nc *nodeConn, ctx context.Context, req Req, opts ...grpc.CallOption) (Resp, error) {
		return m(nc.cluster, ctx, req, opts...)
	}
}

func call[Req, Resp any](c *Client, ctx context.Context, name, eventID string, to target, req Req, method unaryMethod[Req, Resp]) (Resp, error) {
	var resp Resp
	err := c.retry(ctx, name, eventID, to, func(ctx context.Context, deadline time.Time, nc *nodeConn, opts ...grpc.CallOption) error {
		ctx, cancel := withDeadline(ctx, deadline)
		defer cancel()
		var err error
		resp, err = method(nc, ctx, req, opts...)
		return err
	})
	return resp, err
}

// attemptFunc makes one attempt on one node, passing opts to gRPC. ctx is
// the caller's; the attempt must end by deadline (withDeadline for a
// unary call; a stream call carries it to the node and to the stream's
// sweeper).
type attemptFunc func(ctx context.Context, deadline time.Time, nc *nodeConn, opts ...grpc.CallOption) error

// withDeadline bounds ctx by deadline, unless ctx already ends by then.
func withDeadline(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && !d.After(deadline) {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, deadline)
}

// RetryTimeout is how long a call made without a context deadline may take,
// retries included (Config.RetryTimeout).
func (c *Client) RetryTimeout() time.Duration { return c.cfg.RetryTimeout }

// retry runs attempt until it succeeds, fails for good, or the call's
// deadline passes; it returns the last attempt's error. The call's
// deadline is the caller's, else RetryTimeout from now; an attempt's is
// CallTimeout from its start, at the latest the call's. Neither makes a
// context (a context with a deadline is a runtime timer and a child
// registered with its parent: on the stream path that was ~45% of the
// client's CPU per command, BenchmarkCommandStream); unary attempts make
// theirs.
func (c *Client) retry(ctx context.Context, name, eventID string, to target, attempt attemptFunc) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(c.cfg.RetryTimeout)
	}
	backoff := backoffStart
	var (
		hint         string // leader address named by the last failure
		failedAddr   string // the node of the last failed attempt
		followedHint bool
	)
	for attemptNumber := 1; ; attemptNumber++ {
		addr := hint
		if addr == "" && to != nil {
			addr = to(c.route(ctx, eventID))
			if addr == failedAddr {
				addr = "" // the routed node just failed: let any other node forward
			}
		}
		if addr == "" {
			addr = c.anyLiveNode(failedAddr)
		}
		nc, err := c.conn(addr)
		if err != nil {
			return err
		}

		attemptDeadline := deadline
		if d := time.Now().Add(c.cfg.CallTimeout); d.Before(deadline) {
			attemptDeadline = d
		}
		var header, trailer metadata.MD
		err = attempt(ctx, attemptDeadline, nc, grpc.Header(&header), grpc.Trailer(&trailer))
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !time.Now().Before(deadline) {
			return err // the call's deadline (or cancellation), not the attempt's
		}
		if !retryable(err) {
			return err
		}

		failedAddr = addr
		newHint := leaderHint(header, trailer)
		if status.Code(err) == codes.Unavailable || newHint != "" {
			c.invalidateRoute(eventID)
		}
		c.log.Debug("boxoffice client: retrying", "call", name, "event", eventID, "node", addr,
			"attempt", attemptNumber, "code", status.Code(err), "error", status.Convert(err).Message(), "leader_hint", newHint)

		// Follow a new hint at once; back off otherwise, and when hints
		// keep coming, so that two nodes naming each other cannot spin.
		hint = ""
		if newHint != "" && newHint != addr {
			hint = newHint
			if !followedHint {
				followedHint = true
				continue
			}
		}
		followedHint = false
		if !backOff(ctx, deadline, &backoff) {
			return err
		}
	}
}

// backOff waits for the current backoff step (a jittered half to all of
// it) and doubles the step up to backoffMax; false: ctx ended, or deadline
// passed, first.
func backOff(ctx context.Context, deadline time.Time, step *time.Duration) bool {
	wait := *step/2 + rand.N(*step/2+1)
	*step = min(2**step, backoffMax)
	left := time.Until(deadline)
	timer := time.NewTimer(min(wait, left))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return wait < left
	}
}

// retryable says whether another attempt may succeed where this one failed.
// DEADLINE_EXCEEDED reaches here only when the attempt's own deadline (not
// the caller's) passed. REQUEST_ID_REUSED never is: the id belongs to
// another request, and resending cannot change that.
func retryable(err error) bool {
	reason := boxofficev1.ReasonOf(err)
	if reason == ReasonRequestIDReused {
		return false
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	case codes.ResourceExhausted:
		return reason == ReasonBusy
	}
	return false
}

func leaderHint(mds ...metadata.MD) string {
	for _, md := range mds {
		if values := md.Get(LeaderAddrMetadataKey); len(values) > 0 && values[0] != "" {
			if checkAddr(values[0]) == nil {
				return values[0]
			}
		}
	}
	return ""
}

// ------------------------------------------------------------------ connections and nodes

// conn returns the connection to addr, creating it (without I/O) on first use.
func (c *Client) conn(addr string) (*nodeConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if nc, ok := c.conns[addr]; ok {
		return nc, nil
	}
	conn, err := grpc.NewClient(addr, c.dialOpts...)
	if err != nil {
		return nil, err
	}
	nc := &nodeConn{
		conn:      conn,
		inventory: boxofficev1.NewInventoryClient(conn),
		cluster:   boxofficev1.NewClusterClient(conn),
		records:   boxofficev1.NewRecordsClient(conn),
	}
	nc.seatMaps = newSeatMapStreams(c, nc.inventory)
	nc.commands = newCommandStreams(c.background, nc.inventory)
	c.conns[addr] = nc
	return nc, nil
}

// anyLiveNode picks the next node in turn, skipping avoid if there is
// another. It also starts a refresh of the node list when that is due.
func (c *Client) anyLiveNode(avoid string) string {
	c.mu.Lock()
	live := c.live
	refresh := !c.closed && !c.nodesRefreshing && !c.nodesRefreshDue.IsZero() && time.Now().After(c.nodesRefreshDue)
	if refresh {
		c.nodesRefreshing = true
		c.backgroundWG.Add(1)
	}
	c.mu.Unlock()
	if refresh {
		go c.refreshNodes()
	}
	n := c.roundRobin.Add(1)
	addr := live[n%uint64(len(live))]
	if addr == avoid && len(live) > 1 {
		addr = live[(n+1)%uint64(len(live))]
	}
	return addr
}

func (c *Client) refreshNodes() {
	defer c.backgroundWG.Done()
	ctx, cancel := context.WithTimeout(c.background, c.cfg.CallTimeout)
	defer cancel()
	nc, err := c.conn(c.anyLiveNode(""))
	if err == nil {
		var resp *boxofficev1.StatusResponse
		resp, err = nc.cluster.Status(ctx, &boxofficev1.StatusRequest{LocalOnly: true})
		if err == nil {
			c.learnNodes(resp.GetNodes())
		}
	}
	c.mu.Lock()
	c.nodesRefreshing = false
	if err != nil {
		c.nodesRefreshDue = time.Now().Add(min(c.cfg.RoutingTTL, routingRetryAfterFailure))
	}
	c.mu.Unlock()
	if err != nil {
		c.log.Debug("boxoffice client: refreshing nodes failed", "error", err)
	}
}

// learnNodes makes the seeds and the live nodes of a membership list the
// nodes that unrouted calls go to. Connections to nodes that left stay
// open until Close; gRPC idles them.
func (c *Client) learnNodes(nodes []*boxofficev1.NodeInfo) {
	live := slices.Clone(c.cfg.Addrs)
	for _, node := range nodes {
		if node.GetGrpcAddr() == "" || checkAddr(node.GetGrpcAddr()) != nil {
			continue
		}
		switch node.GetState() {
		case "dead", "left":
			continue
		}
		live = append(live, node.GetGrpcAddr())
	}
	slices.Sort(live)
	live = slices.Compact(live)
	c.mu.Lock()
	c.live = live
	c.nodesRefreshDue = time.Now().Add(c.cfg.RoutingTTL)
	c.mu.Unlock()
}

// ------------------------------------------------------------------ routing cache

// route returns what is known of an event's routing, or nil. A stale entry
// is returned as is while a background fetch refreshes it; an unknown event
// is fetched now, within the call's first attempt's deadline, by one
// caller, and the callers that arrive meanwhile wait for that fetch (up to
// routeWaitMax) rather than go to any node: at the start of an on-sale
// hundreds of first calls arrive together, and sending all but one through
// a forwarding node cost the benchmark's first 100-200 ms a p99 of 50-130
// ms (Prepare avoids even the one fetch).
func (c *Client) route(ctx context.Context, eventID string) *eventRoute {
	if eventID == "" {
		return nil
	}
	now := time.Now()
	c.mu.Lock()
	entry, known := c.routes[eventID]
	if known && entry.fetching && entry.shardLeader == nil && entry.fetched != nil {
		fetched := entry.fetched
		c.mu.Unlock()
		timer := time.NewTimer(routeWaitMax)
		select {
		case <-fetched:
		case <-ctx.Done():
		case <-timer.C:
		}
		timer.Stop()
		return c.knownRoute(eventID)
	}
	if known && (entry.fetching || now.Before(entry.refreshDue)) {
		snapshot := *entry
		c.mu.Unlock()
		return routeOrNil(&snapshot)
	}
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	if !known {
		if len(c.routes) >= routingEventsMax {
			for id := range c.routes {
				delete(c.routes, id)
				break
			}
		}
		entry = &eventRoute{}
		c.routes[eventID] = entry
	}
	entry.fetching = true
	if entry.shardLeader == nil && entry.fetched == nil {
		entry.fetched = make(chan struct{})
	}
	stale := *entry
	c.backgroundWG.Add(1)
	c.mu.Unlock()

	if known && stale.shardLeader != nil {
		go c.fetchRoute(c.background, eventID)
		return &stale
	}
	c.fetchRoute(ctx, eventID)
	return c.knownRoute(eventID)
}

// routeWaitMax bounds how long a call waits for another caller's fetch of
// an unknown event's routing before it goes to any node.
const routeWaitMax = 250 * time.Millisecond

// knownRoute returns a copy of the cached routing of an event, or nil.
func (c *Client) knownRoute(eventID string) *eventRoute {
	c.mu.Lock()
	defer c.mu.Unlock()
	entry, ok := c.routes[eventID]
	if !ok {
		return nil
	}
	snapshot := *entry
	return routeOrNil(&snapshot)
}

func routeOrNil(r *eventRoute) *eventRoute {
	if r.shardLeader == nil {
		return nil
	}
	return r
}

// fetchRoute asks any node for an event's routing and stores the answer;
// on failure it keeps what it had, tries again a little later and returns
// the error.
func (c *Client) fetchRoute(ctx context.Context, eventID string) error {
	defer c.backgroundWG.Done()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	var resp *boxofficev1.RoutingResponse
	nc, err := c.conn(c.anyLiveNode(""))
	if err == nil {
		resp, err = nc.cluster.Routing(ctx, &boxofficev1.RoutingRequest{EventId: eventID})
	}
	now := time.Now()
	if err != nil {
		c.log.Debug("boxoffice client: routing fetch failed", "event", eventID, "error", err)
		c.mu.Lock()
		if entry, ok := c.routes[eventID]; ok {
			entry.fetching = false
			entry.refreshDue = now.Add(min(c.cfg.RoutingTTL, routingRetryAfterFailure))
			if entry.fetched != nil {
				close(entry.fetched)
				entry.fetched = nil
			}
		}
		c.mu.Unlock()
		return err
	}
	fresh := &eventRoute{
		shardLeader:    make(map[uint32]string, len(resp.GetShards())),
		placementShard: make(map[string]uint32),
		refreshDue:     now.Add(c.cfg.RoutingTTL),
	}
	for _, shard := range resp.GetShards() {
		if addr := shard.GetLeaderGrpcAddr(); addr != "" && checkAddr(addr) == nil {
			fresh.shardLeader[shard.GetShard()] = addr
		}
		for _, id := range shard.GetSectionIds() {
			fresh.placementShard[id] = shard.GetShard()
		}
		for _, id := range shard.GetPoolIds() {
			fresh.placementShard[id] = shard.GetShard()
		}
	}
	c.mu.Lock()
	if entry, ok := c.routes[eventID]; ok && entry.fetched != nil {
		close(entry.fetched)
	}
	c.routes[eventID] = fresh
	c.mu.Unlock()
	if len(resp.GetNodes()) > 0 {
		c.learnNodes(resp.GetNodes())
	}
	return nil
}

// invalidateRoute makes the next use of an event's routing refresh it.
func (c *Client) invalidateRoute(eventID string) {
	if eventID == "" {
		return
	}
	c.mu.Lock()
	if entry, ok := c.routes[eventID]; ok && !entry.fetching {
		entry.refreshDue = time.Time{}
	}
	c.mu.Unlock()
}

// ------------------------------------------------------------------ raw access

// roundRobinConn sends each call to the next node in turn, once.
type roundRobinConn struct{ c *Client }

func (r roundRobinConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	nc, err := r.c.conn(r.c.anyLiveNode(""))
	if err != nil {
		return err
	}
	return nc.conn.Invoke(ctx, method, args, reply, opts...)
}

func (r roundRobinConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	nc, err := r.c.conn(r.c.anyLiveNode(""))
	if err != nil {
		return nil, err
	}
	return nc.conn.NewStream(ctx, desc, method, opts...)
}

// ------------------------------------------------------------------ preparing for an on-sale

// Prepare makes the client ready to act on an event before its first
// command: it learns the event's routing (which node leads each of its
// shards), connects to those nodes and opens their Commands streams.
// Without it the first callers of a fresh event pay for all of that, and
// while one of them fetches the routing the others go to any node, which
// forwards: an API server should call Prepare for the events about to go on
// sale, as the peers of a benchmark open their connection pools before the
// clock starts. Prepare changes nothing in the cluster. It fails when ctx
// ends (or after Config.RetryTimeout without a deadline) before the routing
// is known or a stream is open; calls work without it, only slower at
// first.
func (c *Client) Prepare(ctx context.Context, eventID string) error {
	if eventID == "" {
		return status.Error(codes.InvalidArgument, "boxoffice client: Prepare: event id is empty")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.RetryTimeout)
		defer cancel()
	}
	backoff := backoffStart
	for {
		leaders, err := c.prepareRoute(ctx, eventID)
		if err == nil {
			for _, addr := range leaders {
				if err = c.prepareNode(ctx, addr); err != nil {
					break
				}
			}
		}
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("boxoffice client: Prepare %q: %w", eventID, err)
		}
		c.invalidateRoute(eventID)
		deadline, _ := ctx.Deadline()
		if !backOff(ctx, deadline, &backoff) {
			return fmt.Errorf("boxoffice client: Prepare %q: %w", eventID, err)
		}
	}
}

// prepareRoute fetches an event's routing now, even when a fetch is in
// flight or the cached one is fresh, and returns its leaders' addresses.
func (c *Client) prepareRoute(ctx context.Context, eventID string) ([]string, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	c.backgroundWG.Add(1)
	c.mu.Unlock()
	if err := c.fetchRoute(ctx, eventID); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	entry, ok := c.routes[eventID]
	if !ok || entry.shardLeader == nil {
		return nil, status.Errorf(codes.Unavailable, "boxoffice client: the routing of event %q is not known yet", eventID)
	}
	var leaders []string
	for _, addr := range entry.shardLeader {
		leaders = append(leaders, addr)
	}
	if len(leaders) == 0 {
		return nil, status.Errorf(codes.Unavailable, "boxoffice client: no shard of event %q has a known leader yet", eventID)
	}
	slices.Sort(leaders)
	return slices.Compact(leaders), nil
}

// prepareNode connects to addr and opens its Commands stream (or, with
// Config.UnaryCommands, waits for the connection to be ready).
func (c *Client) prepareNode(ctx context.Context, addr string) error {
	nc, err := c.conn(addr)
	if err != nil {
		return err
	}
	if c.cfg.UnaryCommands || nc.commands.unsupported.Load() {
		nc.conn.Connect()
		for state := nc.conn.GetState(); state != connectivity.Ready; state = nc.conn.GetState() {
			if !nc.conn.WaitForStateChange(ctx, state) {
				return status.FromContextError(ctx.Err()).Err()
			}
		}
		return nil
	}
	_, err = nc.commands.stream(ctx)
	return err
}
