package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster/client/clienttest"
)

// fakeCommands serves Commands streams. Every command is answered from its
// own goroutine after a random pause, so answers overtake each other. By
// the holder of a hold:
//   - "missing": a NOT_FOUND StreamError (reason NOT_FOUND);
//   - "break": the first time a request id is seen, the stream ends with
//     UNAVAILABLE instead of an answer;
//   - "redirect": on any node but redirectTo, an UNAVAILABLE StreamError
//     naming redirectTo as the leader;
//   - "wrong-kind": a SellResponse to a hold;
//   - otherwise a HoldResponse whose hold id is "<node>/<request id>".
//
// Sell, Release, ExtendHold and Refund get their own kind of answer.
type fakeCommands struct {
	redirectTo string // node address
	// batches: announce batches to a client that asks for them, and answer
	// the commands of each message received in one message.
	batches  bool
	streams  atomic.Int32
	messages atomic.Int64 // received
	commands atomic.Int64 // received
	unasked  atomic.Int64 // batches received without announcing them
	mu       sync.Mutex
	seen     map[string]int // request id -> times received
}

func (f *fakeCommands) handler(ctx context.Context, node *clienttest.Node, stream boxofficev1.Inventory_CommandsServer) error {
	f.streams.Add(1)
	if md, _ := metadata.FromIncomingContext(stream.Context()); f.batches && slices.Contains(md.Get(CommandsBatchMetadataKey), "1") {
		return f.batchHandler(node, stream)
	}
	var (
		sendMu  sync.Mutex
		pending sync.WaitGroup
		broken  = make(chan struct{})
		once    sync.Once
	)
	defer pending.Wait()
	for {
		var req *boxofficev1.CommandsRequest
		received := make(chan error, 1)
		go func() {
			var err error
			req, err = stream.Recv()
			received <- err
		}()
		select {
		case err := <-received:
			if err != nil {
				return nil
			}
		case <-broken:
			return status.Error(codes.Unavailable, "stream broken on purpose")
		}
		f.messages.Add(1)
		f.commands.Add(1)
		if len(req.More) > 0 {
			f.unasked.Add(1) // this node never said it reads batches
		}
		times := f.see(req)
		pending.Go(func() {
			time.Sleep(time.Duration(rand.N(200)) * time.Microsecond) // jitter: answers come back out of order
			resp := f.answer(node, req, times)
			if resp == nil {
				once.Do(func() { close(broken) })
				return
			}
			sendMu.Lock()
			defer sendMu.Unlock()
			_ = stream.Send(resp)
		})
	}
}

// batchHandler serves a client that asked for batches: every message
// received, its commands and their "more", is answered by one message.
func (f *fakeCommands) batchHandler(node *clienttest.Node, stream boxofficev1.Inventory_CommandsServer) error {
	if err := stream.SendHeader(metadata.Pairs(CommandsBatchMetadataKey, "1")); err != nil {
		return err
	}
	for {
		req, err := stream.Recv()
		if err != nil {
			return nil
		}
		f.messages.Add(1)
		reqs := append([]*boxofficev1.CommandsRequest{req}, req.More...)
		answers := make([]*boxofficev1.CommandsResponse, 0, len(reqs))
		for _, r := range reqs {
			f.commands.Add(1)
			if a := f.answer(node, r, f.see(r)); a != nil {
				answers = append(answers, a)
			}
		}
		if len(answers) == 0 {
			continue
		}
		answers[0].More = answers[1:]
		if err := stream.Send(answers[0]); err != nil {
			return err
		}
	}
}

func (f *fakeCommands) see(req *boxofficev1.CommandsRequest) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen[requestIDOf(req)]++
	return f.seen[requestIDOf(req)]
}

// answer is the fake's answer to req, received for the times-th time; nil:
// break the stream instead.
func (f *fakeCommands) answer(node *clienttest.Node, req *boxofficev1.CommandsRequest, times int) *boxofficev1.CommandsResponse {
	resp := &boxofficev1.CommandsResponse{Tag: req.Tag}
	switch cmd := req.Command.(type) {
	case *boxofficev1.CommandsRequest_Hold:
		switch cmd.Hold.Holder {
		case "missing":
			resp.Result = &boxofficev1.CommandsResponse_Error{Error: &boxofficev1.StreamError{
				Code: int32(codes.NotFound), Message: "no such section", Reason: boxofficev1.ReasonNotFound}}
		case "break", "silent":
			// Batches: the first is never answered, the stream stays.
			if times == 1 {
				return nil
			}
		case "redirect":
			if node.Addr != f.redirectTo {
				resp.Result = &boxofficev1.CommandsResponse_Error{Error: &boxofficev1.StreamError{
					Code: int32(codes.Unavailable), Message: "not the leader", LeaderAddr: f.redirectTo}}
			}
		case "wrong-kind":
			resp.Result = &boxofficev1.CommandsResponse_Sell{Sell: &boxofficev1.SellResponse{}}
		}
		if resp.Result == nil {
			resp.Result = &boxofficev1.CommandsResponse_Hold{Hold: &boxofficev1.HoldResponse{
				HoldId: node.ID + "/" + cmd.Hold.RequestId, Holder: cmd.Hold.Holder}}
		}
	case *boxofficev1.CommandsRequest_Sell:
		resp.Result = &boxofficev1.CommandsResponse_Sell{Sell: &boxofficev1.SellResponse{OrderId: cmd.Sell.OrderId}}
	case *boxofficev1.CommandsRequest_Release:
		resp.Result = &boxofficev1.CommandsResponse_Release{Release: &boxofficev1.ReleaseResponse{SeatIds: []string{cmd.Release.HoldId}}}
	case *boxofficev1.CommandsRequest_ExtendHold:
		resp.Result = &boxofficev1.CommandsResponse_ExtendHold{ExtendHold: &boxofficev1.HoldResponse{HoldId: cmd.ExtendHold.HoldId}}
	case *boxofficev1.CommandsRequest_Refund:
		resp.Result = &boxofficev1.CommandsResponse_Refund{Refund: &boxofficev1.RefundResponse{
			Tickets: []*boxofficev1.Ticket{{OrderId: cmd.Refund.OrderId}}}}
	}
	return resp
}

// times reports how often a request id was received.
func (f *fakeCommands) times(requestID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[requestID]
}

func requestIDOf(req *boxofficev1.CommandsRequest) string {
	switch cmd := req.Command.(type) {
	case *boxofficev1.CommandsRequest_Hold:
		return cmd.Hold.RequestId
	case *boxofficev1.CommandsRequest_Sell:
		return cmd.Sell.RequestId
	case *boxofficev1.CommandsRequest_Release:
		return cmd.Release.RequestId
	case *boxofficev1.CommandsRequest_ExtendHold:
		return cmd.ExtendHold.RequestId
	case *boxofficev1.CommandsRequest_Refund:
		return cmd.Refund.RequestId
	}
	return ""
}

func newFakeCommands(t testing.TB, nodes int) (*clienttest.Cluster, *fakeCommands) {
	fake := clienttest.NewCluster(t, nodes)
	f := &fakeCommands{seen: map[string]int{}, redirectTo: fake.Nodes[len(fake.Nodes)-1].Addr}
	fake.HandleCommands(f.handler)
	return fake, f
}

func hold(holder, requestID string) *boxofficev1.HoldRequest {
	return &boxofficev1.HoldRequest{EventId: "ev", Holder: holder, RequestId: requestID,
		Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2}}}
}

// holdFromCallers makes each of callers concurrent callers hold holds times
// on node n1 and checks that each hold got its own answer.
func holdFromCallers(t *testing.T, c *Client, callers, holds int) {
	t.Helper()
	var wg sync.WaitGroup
	for caller := range callers {
		wg.Go(func() {
			for k := range holds {
				id := fmt.Sprintf("c%d-%d", caller, k)
				resp, err := c.Hold(context.Background(), hold("fan", id))
				if err != nil {
					t.Errorf("hold %s: %v", id, err)
					return
				}
				if want := "n1/" + id; resp.GetHoldId() != want {
					t.Errorf("hold %s got the answer %s", id, resp.GetHoldId())
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestCommandsMultiplex: concurrent callers' mutations share one Commands
// stream per node, each gets the answer to its own command although
// answers come back out of order, and no unary mutation is made.
func TestCommandsMultiplex(t *testing.T) {
	fake, f := newFakeCommands(t, 1)
	c := dial(t, fake.Addrs())
	ctx := context.Background()
	holdFromCallers(t, c, 64, 30)
	if n := f.streams.Load(); n != 1 {
		t.Fatalf("64 callers opened %d Commands streams to one node, want 1", n)
	}
	if n := f.unasked.Load(); n != 0 {
		t.Fatalf("%d messages carried several commands to a node that never announced batches", n)
	}
	if calls := fake.Calls("Hold"); len(calls) != 0 {
		t.Fatalf("%d unary Hold calls; every hold should have gone on the stream", len(calls))
	}

	// Every kind of mutation comes back as its own kind of answer.
	if r, err := c.Sell(ctx, &boxofficev1.SellRequest{EventId: "ev", HoldId: "h", Holder: "fan", OrderId: "o1"}); err != nil || r.GetOrderId() != "o1" {
		t.Fatalf("Sell: %v, %v", r, err)
	}
	if r, err := c.Release(ctx, &boxofficev1.ReleaseRequest{EventId: "ev", HoldId: "h2", Holder: "fan"}); err != nil || r.GetSeatIds()[0] != "h2" {
		t.Fatalf("Release: %v, %v", r, err)
	}
	if r, err := c.ExtendHold(ctx, &boxofficev1.ExtendHoldRequest{EventId: "ev", HoldId: "h3", Holder: "fan"}); err != nil || r.GetHoldId() != "h3" {
		t.Fatalf("ExtendHold: %v, %v", r, err)
	}
	if r, err := c.Refund(ctx, &boxofficev1.RefundRequest{EventId: "ev", OrderId: "o4"}); err != nil || r.GetTickets()[0].GetOrderId() != "o4" {
		t.Fatalf("Refund: %v, %v", r, err)
	}
	// A request id was filled in for each, as for unary calls.
	if f.times("") != 0 {
		t.Fatal("a mutation went on the stream without a request id")
	}
}

// TestCommandsBatched: to a node that announces batches, concurrent
// callers' commands go several to a message, and answers that come several
// to a message reach their own callers.
func TestCommandsBatched(t *testing.T) {
	fake, f := newFakeCommands(t, 1)
	f.batches = true
	c := dial(t, fake.Addrs())
	holdFromCallers(t, c, 64, 30)
	messages, commands := f.messages.Load(), f.commands.Load()
	t.Logf("%d commands in %d messages", commands, messages)
	if commands != 64*30 {
		t.Fatalf("the node received %d commands, want %d (each once)", commands, 64*30)
	}
	if messages >= commands {
		t.Fatalf("%d commands of 64 concurrent callers went in %d messages: never batched", commands, messages)
	}
}

// TestCommandsSilentNodeTimesOut: a command the node never answers fails its
// attempt at CallTimeout, with no context of its own (the stream's sweeper
// ends the wait), and is sent again with the same request id; the stream
// stays open for every other caller meanwhile.
func TestCommandsSilentNodeTimesOut(t *testing.T) {
	fake, f := newFakeCommands(t, 1)
	f.batches = true
	c := dial(t, fake.Addrs(), func(cfg *Config) { cfg.CallTimeout = 150 * time.Millisecond })
	start := time.Now()
	resp, err := c.Hold(context.Background(), hold("silent", "s1"))
	elapsed := time.Since(start)
	if err != nil || resp.GetHoldId() != "n1/s1" {
		t.Fatalf("Hold = %v, %v; want the answer to the second attempt", resp, err)
	}
	if n := f.times("s1"); n != 2 {
		t.Errorf("the node received request s1 %d times, want 2 (once per attempt, same id)", n)
	}
	if elapsed < 150*time.Millisecond || elapsed > time.Second {
		t.Errorf("the call took %v, want one attempt timeout (150ms) and a retry", elapsed)
	}
	if n := f.streams.Load(); n != 1 {
		t.Errorf("%d streams opened, want 1: a timed-out attempt leaves the stream open", n)
	}

	// Without retries (NodeInventory) the caller's deadline ends the wait.
	conn, err := grpc.NewClient(fake.Addrs()[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	inv := NewNodeInventory(conn)
	defer inv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := inv.Hold(ctx, hold("silent", "s2")); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("NodeInventory.Hold on a silent node: %v, want DEADLINE_EXCEEDED", err)
	}
}

// TestCommandsErrors: a command's StreamError comes back as the status the
// unary call would have returned and leaves the stream open; an answer of
// the wrong kind is INTERNAL; a leader hint is followed.
func TestCommandsErrors(t *testing.T) {
	fake, f := newFakeCommands(t, 2)
	c := dial(t, fake.Addrs())
	ctx := context.Background()

	_, err := c.Hold(ctx, hold("missing", "m1"))
	st, reason := status.Convert(err), boxofficev1.ReasonOf(err)
	if st.Code() != codes.NotFound || st.Message() != "no such section" || reason != boxofficev1.ReasonNotFound {
		t.Fatalf("a failed command returned %v (reason %q), want the NOT_FOUND it carried", err, reason)
	}
	if n := f.times("m1"); n != 1 {
		t.Fatalf("a NOT_FOUND command was sent %d times, want once (not retried)", n)
	}

	if _, err := c.Hold(ctx, hold("wrong-kind", "w1")); status.Code(err) != codes.Internal {
		t.Fatalf("an answer of the wrong kind: %v, want INTERNAL", err)
	}

	for i := range 4 { // whichever node a hold goes to first, it ends on the leader named
		resp, err := c.Hold(ctx, hold("redirect", fmt.Sprintf("r%d", i)))
		if err != nil || resp.GetHoldId() != fmt.Sprintf("n2/r%d", i) {
			t.Fatalf("a redirected hold: %v, %v; want it answered by n2", resp, err)
		}
	}
	if n := f.streams.Load(); n > 2 {
		t.Fatalf("%d streams to 2 nodes: a failed command ended its stream", n)
	}
}

// TestCommandsBrokenStreamRetried: a stream that breaks with a command in
// flight is replaced, and the command is sent again with the same request
// id (which the cluster applies once).
func TestCommandsBrokenStreamRetried(t *testing.T) {
	fake, f := newFakeCommands(t, 1)
	c := dial(t, fake.Addrs())
	resp, err := c.Hold(context.Background(), hold("break", "b1"))
	if err != nil || resp.GetHoldId() != "n1/b1" {
		t.Fatalf("a hold whose stream broke: %v, %v; want it retried", resp, err)
	}
	if n := f.times("b1"); n != 2 {
		t.Fatalf("request id b1 received %d times, want 2 (the lost one and its retry)", n)
	}
	if n := f.streams.Load(); n != 2 {
		t.Fatalf("%d streams after one broke, want 2", n)
	}
}

// TestCommandsFallBackToUnary: a node without Commands (an older version)
// gets unary calls, and so does every node when Config.UnaryCommands is
// set.
func TestCommandsFallBackToUnary(t *testing.T) {
	unaryHold := func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		if method != "Hold" {
			return nil, status.Errorf(codes.Unimplemented, "%s", method)
		}
		return &boxofficev1.HoldResponse{HoldId: "unary/" + req.(*boxofficev1.HoldRequest).RequestId}, nil
	}

	old := clienttest.NewCluster(t, 1) // no Commands handler: UNIMPLEMENTED
	old.Handle(unaryHold)
	c := dial(t, old.Addrs())
	for i := range 3 {
		resp, err := c.Hold(context.Background(), hold("fan", fmt.Sprintf("u%d", i)))
		if err != nil || resp.GetHoldId() != fmt.Sprintf("unary/u%d", i) {
			t.Fatalf("hold on a node without Commands: %v, %v", resp, err)
		}
	}
	if n := len(old.Calls("Hold")); n != 3 {
		t.Fatalf("%d unary holds, want 3", n)
	}

	fake, f := newFakeCommands(t, 1)
	fake.Handle(unaryHold)
	c = dial(t, fake.Addrs(), func(cfg *Config) { cfg.UnaryCommands = true })
	if resp, err := c.Hold(context.Background(), hold("fan", "x")); err != nil || resp.GetHoldId() != "unary/x" {
		t.Fatalf("hold with UnaryCommands: %v, %v", resp, err)
	}
	if n := f.streams.Load(); n != 0 {
		t.Fatalf("UnaryCommands opened %d Commands streams", n)
	}
}

// TestNodeInventory: NodeInventory sends mutations on the node's stream
// without routing or retrying (a broken stream is UNAVAILABLE for the
// caller to resend), and makes unary calls to a node without Commands.
func TestNodeInventory(t *testing.T) {
	fake, f := newFakeCommands(t, 1)
	conn, err := grpc.NewClient(fake.Addrs()[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	inv := NewNodeInventory(conn)
	defer inv.Close()
	ctx := context.Background()
	if resp, err := inv.Hold(ctx, hold("fan", "n1")); err != nil || resp.GetHoldId() != "n1/n1" {
		t.Fatalf("Hold: %v, %v", resp, err)
	}
	if _, err := inv.Hold(ctx, hold("break", "b1")); status.Code(err) != codes.Unavailable {
		t.Fatalf("a hold whose stream broke: %v, want UNAVAILABLE (no retry)", err)
	}
	if resp, err := inv.Hold(ctx, hold("break", "b1")); err != nil || resp.GetHoldId() != "n1/b1" {
		t.Fatalf("the same hold sent again: %v, %v; want it on a new stream", resp, err)
	}
	if n := f.streams.Load(); n != 2 || len(fake.Calls("Hold")) != 0 {
		t.Fatalf("%d streams, %d unary holds; want 2 and 0", n, len(fake.Calls("Hold")))
	}

	old := clienttest.NewCluster(t, 1)
	old.Handle(func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		return &boxofficev1.HoldResponse{HoldId: "unary"}, nil
	})
	oldConn, err := grpc.NewClient(old.Addrs()[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer oldConn.Close()
	if resp, err := NewNodeInventory(oldConn).Hold(ctx, hold("fan", "u")); err != nil || resp.GetHoldId() != "unary" {
		t.Fatalf("Hold on a node without Commands: %v, %v", resp, err)
	}
}

// TestUnaryFallbackUnderConcurrency: against a node that does not serve
// Commands, many callers arriving together all fall back to unary calls.
// Each judges the stream its own call used: a caller that looked at the
// node's current stream instead could find one that a second caller had
// just opened and return the first stream's UNIMPLEMENTED (seen in CI as a
// flaky TestConcurrentCalls).
func TestUnaryFallbackUnderConcurrency(t *testing.T) {
	fake := clienttest.NewCluster(t, 1)
	fake.Handle(func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		return holdOK(req), nil
	})
	for round := range 20 {
		c := dial(t, fake.Addrs())
		start := make(chan struct{})
		var wg sync.WaitGroup
		for caller := range 32 {
			wg.Go(func() {
				<-start
				if _, err := c.Hold(context.Background(), hold("fan", fmt.Sprintf("r%d-%d", round, caller))); err != nil {
					t.Errorf("round %d: hold on a node without Commands: %v", round, err)
				}
			})
		}
		close(start)
		wg.Wait()
		c.Close()
		if t.Failed() {
			return
		}
	}
}
