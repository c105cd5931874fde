// Package clienttest runs a fake Boxoffice cluster on loopback gRPC
// listeners, for tests of code that uses package client (or the raw gRPC
// API) without Raft behind it. Each node answers Cluster.Status with every
// node alive and Cluster.Routing with what SetRouting stored; every other
// call goes to the test's Handler and is recorded, so a test can assert
// which node received what.
package clienttest

import (
	"context"
	"fmt"
	"net"
	"path"
	"strconv"
	"sync"
	"testing"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Handler answers one unary call on one node. method is the bare method name
// ("Hold", "GetEvent", ...). The response must be the method's response type.
type Handler func(ctx context.Context, node *Node, method string, req proto.Message) (proto.Message, error)

// WatchHandler serves one Watch stream on one node.
type WatchHandler func(ctx context.Context, node *Node, req *boxofficev1.WatchRequest, send func(*boxofficev1.WatchResponse) error) error

// ReadSeatMapsHandler serves one ReadSeatMaps stream on one node.
type ReadSeatMapsHandler func(ctx context.Context, node *Node, stream boxofficev1.Inventory_ReadSeatMapsServer) error

// CommandsHandler serves one Commands stream on one node.
type CommandsHandler func(ctx context.Context, node *Node, stream boxofficev1.Inventory_CommandsServer) error

// Call is one call a node received.
type Call struct {
	Node    string        // node id
	Method  string        // bare method name
	Request proto.Message // nil for ReadSeatMaps and Commands: one Call per stream
}

// Node is one fake node.
type Node struct {
	ID   string // "n1", "n2", ...
	Addr string // 127.0.0.1:port
}

// Cluster is a fake cluster; its methods are safe for concurrent use.
type Cluster struct {
	Nodes []*Node

	mu      sync.Mutex
	handler Handler
	watch   WatchHandler
	reads   ReadSeatMapsHandler
	cmds    CommandsHandler
	status  *boxofficev1.StatusResponse
	routing map[string]*boxofficev1.RoutingResponse
	calls   []Call
}

// NewCluster starts n fake nodes, stopped when the test ends. Until Handle
// is called, Inventory calls fail with UNIMPLEMENTED.
func NewCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{routing: make(map[string]*boxofficev1.RoutingResponse)}
	for i := range n {
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("clienttest: listen: %v", err)
		}
		node := &Node{ID: "n" + strconv.Itoa(i+1), Addr: listener.Addr().String()}
		server := grpc.NewServer(
			grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, _ grpc.UnaryHandler) (any, error) {
				return c.unary(ctx, node, path.Base(info.FullMethod), req.(proto.Message))
			}),
			grpc.StreamInterceptor(func(_ any, stream grpc.ServerStream, info *grpc.StreamServerInfo, _ grpc.StreamHandler) error {
				return c.stream(node, path.Base(info.FullMethod), stream)
			}),
		)
		// The interceptors answer every call; the registrations only tell
		// gRPC which methods exist.
		boxofficev1.RegisterInventoryServer(server, boxofficev1.UnimplementedInventoryServer{})
		boxofficev1.RegisterClusterServer(server, boxofficev1.UnimplementedClusterServer{})
		boxofficev1.RegisterRecordsServer(server, boxofficev1.UnimplementedRecordsServer{})
		go func() { _ = server.Serve(listener) }()
		t.Cleanup(server.Stop)
		c.Nodes = append(c.Nodes, node)
	}
	return c
}

// Addrs returns the nodes' gRPC addresses.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, node := range c.Nodes {
		addrs[i] = node.Addr
	}
	return addrs
}

// Handle sets the handler of Inventory and Records calls (and of
// Cluster.RemoveNode).
func (c *Cluster) Handle(h Handler) {
	c.mu.Lock()
	c.handler = h
	c.mu.Unlock()
}

// HandleWatch sets the handler of Watch streams.
func (c *Cluster) HandleWatch(h WatchHandler) {
	c.mu.Lock()
	c.watch = h
	c.mu.Unlock()
}

// HandleReadSeatMaps sets the handler of ReadSeatMaps streams.
func (c *Cluster) HandleReadSeatMaps(h ReadSeatMapsHandler) {
	c.mu.Lock()
	c.reads = h
	c.mu.Unlock()
}

// HandleCommands sets the handler of Commands streams. Until it is called,
// Commands streams fail with UNIMPLEMENTED, as on a node without the
// method, and the Go client sends its mutations as unary calls.
func (c *Cluster) HandleCommands(h CommandsHandler) {
	c.mu.Lock()
	c.cmds = h
	c.mu.Unlock()
}

// SetStatus replaces the default Status answer (every node alive, no groups).
func (c *Cluster) SetStatus(resp *boxofficev1.StatusResponse) {
	c.mu.Lock()
	c.status = resp
	c.mu.Unlock()
}

// SetRouting sets the Routing answer for resp.EventId; unknown events get
// NOT_FOUND.
func (c *Cluster) SetRouting(resp *boxofficev1.RoutingResponse) {
	c.mu.Lock()
	c.routing[resp.GetEventId()] = resp
	c.mu.Unlock()
}

// Calls returns the calls of method received so far (all calls if method is
// empty), in order of arrival.
func (c *Cluster) Calls(method string) []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	var calls []Call
	for _, call := range c.calls {
		if method == "" || call.Method == method {
			calls = append(calls, call)
		}
	}
	return calls
}

// NodeInfos lists the nodes as Status and Routing report them.
func (c *Cluster) NodeInfos() []*boxofficev1.NodeInfo {
	infos := make([]*boxofficev1.NodeInfo, len(c.Nodes))
	for i, node := range c.Nodes {
		infos[i] = &boxofficev1.NodeInfo{NodeId: node.ID, GrpcAddr: node.Addr, State: "alive"}
	}
	return infos
}

func (c *Cluster) unary(ctx context.Context, node *Node, method string, req proto.Message) (_ any, err error) {
	// A handler's panic (a wrong type assertion, say) fails the call, not
	// the whole test binary.
	defer func() {
		if r := recover(); r != nil {
			err = status.Errorf(codes.Internal, "clienttest: %s handler panicked: %v", method, r)
		}
	}()
	c.mu.Lock()
	c.calls = append(c.calls, Call{Node: node.ID, Method: method, Request: proto.Clone(req)})
	handler, statusResp := c.handler, c.status
	routing := c.routing
	c.mu.Unlock()
	switch method {
	case "Status":
		if statusResp != nil {
			return statusResp, nil
		}
		return &boxofficev1.StatusResponse{NodeId: node.ID, Nodes: c.NodeInfos()}, nil
	case "Routing":
		c.mu.Lock()
		resp, ok := routing[req.(*boxofficev1.RoutingRequest).GetEventId()]
		c.mu.Unlock()
		if !ok {
			return nil, status.Error(codes.NotFound, "no such event")
		}
		return resp, nil
	}
	if handler == nil {
		return nil, status.Errorf(codes.Unimplemented, "clienttest: no handler for %s", method)
	}
	resp, err := handler(ctx, node, method, req)
	if err != nil {
		return nil, err
	}
	if resp == nil {
		return nil, status.Errorf(codes.Internal, "clienttest: handler returned no %s response", method)
	}
	return resp, nil
}

func (c *Cluster) stream(node *Node, method string, stream grpc.ServerStream) error {
	if method == "ReadSeatMaps" {
		c.mu.Lock()
		c.calls = append(c.calls, Call{Node: node.ID, Method: method})
		reads := c.reads
		c.mu.Unlock()
		if reads == nil {
			return status.Error(codes.Unimplemented, "clienttest: no ReadSeatMaps handler")
		}
		return reads(stream.Context(), node, &grpc.GenericServerStream[boxofficev1.ReadSeatMapsRequest, boxofficev1.ReadSeatMapsResponse]{ServerStream: stream})
	}
	if method == "Commands" {
		c.mu.Lock()
		cmds := c.cmds
		if cmds != nil {
			c.calls = append(c.calls, Call{Node: node.ID, Method: method})
		}
		c.mu.Unlock()
		if cmds == nil {
			return status.Error(codes.Unimplemented, "clienttest: no Commands handler")
		}
		return cmds(stream.Context(), node, &grpc.GenericServerStream[boxofficev1.CommandsRequest, boxofficev1.CommandsResponse]{ServerStream: stream})
	}
	if method != "Watch" {
		return status.Errorf(codes.Unimplemented, "clienttest: no stream %s", method)
	}
	req := &boxofficev1.WatchRequest{}
	if err := stream.RecvMsg(req); err != nil {
		return err
	}
	c.mu.Lock()
	c.calls = append(c.calls, Call{Node: node.ID, Method: method, Request: req})
	watch := c.watch
	c.mu.Unlock()
	if watch == nil {
		return status.Error(codes.Unimplemented, "clienttest: no Watch handler")
	}
	return watch(stream.Context(), node, req, func(resp *boxofficev1.WatchResponse) error {
		return stream.SendMsg(resp)
	})
}

// String names the node in test failures.
func (n *Node) String() string { return fmt.Sprintf("%s(%s)", n.ID, n.Addr) }
