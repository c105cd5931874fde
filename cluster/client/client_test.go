package client

import (
	"context"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/api/holdid"
	"github.com/boxoffice/boxoffice/cluster/client/clienttest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

func dial(t testing.TB, addrs []string, mutate ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{Addrs: addrs, CallTimeout: time.Second, RetryTimeout: 5 * time.Second}
	for _, m := range mutate {
		m(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func holdOK(req proto.Message) *boxofficev1.HoldResponse {
	r := req.(*boxofficev1.HoldRequest)
	return &boxofficev1.HoldResponse{HoldId: "0123456789abcdef.0", EventId: r.GetEventId(), Holder: r.GetHolder()}
}

func busy() error {
	st, _ := status.New(codes.ResourceExhausted, "queue full").WithDetails(&errdetails.ErrorInfo{Reason: ReasonBusy, Domain: boxofficev1.ErrorDomain})
	return st.Err()
}

func TestRetryKeepsRequestID(t *testing.T) {
	fake := clienttest.NewCluster(t, 1)
	var attempts atomic.Int32
	fake.Handle(func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		switch attempts.Add(1) {
		case 1:
			return nil, status.Error(codes.Unavailable, "no leader")
		case 2:
			return nil, busy()
		}
		return holdOK(req), nil
	})
	c := dial(t, fake.Addrs())
	req := &boxofficev1.HoldRequest{EventId: "ev", Holder: "alice", Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2}}}
	if _, err := c.Hold(context.Background(), req); err != nil {
		t.Fatalf("Hold: %v", err)
	}
	calls := fake.Calls("Hold")
	if len(calls) != 3 {
		t.Fatalf("%d Hold attempts, want 3 (UNAVAILABLE, BUSY, success)", len(calls))
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	first := calls[0].Request.(*boxofficev1.HoldRequest).GetRequestId()
	if !uuid.MatchString(first) {
		t.Errorf("request id %q is not a UUIDv4", first)
	}
	for i, call := range calls {
		if id := call.Request.(*boxofficev1.HoldRequest).GetRequestId(); id != first {
			t.Errorf("attempt %d has request id %q, attempt 1 had %q", i+1, id, first)
		}
	}
	if req.GetRequestId() != first {
		t.Errorf("caller's request has id %q, want the one sent, %q", req.GetRequestId(), first)
	}

	// A caller's own request id is kept; two calls get two ids.
	own := &boxofficev1.ReleaseRequest{RequestId: "mine", EventId: "ev", HoldId: "0123456789abcdef.0"}
	fake.Handle(func(context.Context, *clienttest.Node, string, proto.Message) (proto.Message, error) {
		return &boxofficev1.ReleaseResponse{}, nil
	})
	if _, err := c.Release(context.Background(), own); err != nil {
		t.Fatal(err)
	}
	if got := fake.Calls("Release")[0].Request.(*boxofficev1.ReleaseRequest).GetRequestId(); got != "mine" {
		t.Errorf("request id sent %q, want the caller's %q", got, "mine")
	}
	if a, b := newRequestID(), newRequestID(); a == b {
		t.Errorf("two request ids are equal: %q", a)
	}
}

func requestIDReused(code codes.Code) error {
	st, _ := status.New(code, "this request id was already used for a different request").
		WithDetails(&errdetails.ErrorInfo{Reason: ReasonRequestIDReused, Domain: boxofficev1.ErrorDomain})
	return st.Err()
}

func TestNoRetryOnBusinessErrors(t *testing.T) {
	for _, err := range []error{
		status.Error(codes.Aborted, "seat taken"),
		status.Error(codes.NotFound, "no event"),
		status.Error(codes.InvalidArgument, "bad"),
		status.Error(codes.FailedPrecondition, "expired"),
		status.Error(codes.PermissionDenied, "not yours"),
		status.Error(codes.ResourceExhausted, "not enough seats"), // no BUSY reason
		requestIDReused(codes.FailedPrecondition),
		requestIDReused(codes.Unavailable), // the reason wins over a retryable code
	} {
		t.Run(status.Code(err).String(), func(t *testing.T) {
			fake := clienttest.NewCluster(t, 2)
			fake.Handle(func(context.Context, *clienttest.Node, string, proto.Message) (proto.Message, error) {
				return nil, err
			})
			c := dial(t, fake.Addrs())
			_, got := c.Hold(context.Background(), &boxofficev1.HoldRequest{EventId: "ev"})
			if status.Code(got) != status.Code(err) {
				t.Errorf("Hold error %v, want code %v", got, status.Code(err))
			}
			if n := len(fake.Calls("Hold")); n != 1 {
				t.Errorf("%d attempts, want 1", n)
			}
		})
	}
}

func TestLeaderHintFollowed(t *testing.T) {
	fake := clienttest.NewCluster(t, 3)
	leader := fake.Nodes[2]
	for _, where := range []string{"header", "trailer"} {
		t.Run(where, func(t *testing.T) {
			fake.Handle(func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
				if node != leader {
					md := metadata.Pairs(LeaderAddrMetadataKey, leader.Addr)
					if where == "header" {
						_ = grpc.SetHeader(ctx, md)
					} else {
						_ = grpc.SetTrailer(ctx, md)
					}
					return nil, status.Error(codes.Unavailable, "not the leader")
				}
				return &boxofficev1.SellResponse{OrderId: "o1"}, nil
			})
			// Only a follower is known: the client learns nothing from
			// Status, so the hint is the only way to the leader.
			fake.SetStatus(&boxofficev1.StatusResponse{})
			c := dial(t, fake.Addrs()[:1])
			before := len(fake.Calls("Sell"))
			start := time.Now()
			resp, err := c.Sell(context.Background(), &boxofficev1.SellRequest{EventId: "ev", HoldId: "0123456789abcdef.0", OrderId: "o1"})
			if err != nil || resp.GetOrderId() != "o1" {
				t.Fatalf("Sell = %v, %v", resp, err)
			}
			calls := fake.Calls("Sell")[before:]
			if len(calls) != 2 || calls[0].Node != "n1" || calls[1].Node != leader.ID {
				t.Errorf("Sell went to %v, want n1 then the leader %s", nodesOf(calls), leader.ID)
			}
			if elapsed := time.Since(start); elapsed > 200*time.Millisecond {
				t.Errorf("following a hint took %v; it should not back off", elapsed)
			}
		})
	}
}

func TestRoutingPicksShardLeader(t *testing.T) {
	fake := clienttest.NewCluster(t, 3)
	shardLeader := map[uint32]*clienttest.Node{0: fake.Nodes[0], 1: fake.Nodes[1], 2: fake.Nodes[2]}
	fake.SetRouting(&boxofficev1.RoutingResponse{
		EventId: "ev",
		Shards: []*boxofficev1.ShardRoute{
			{Shard: 0, LeaderGrpcAddr: fake.Nodes[0].Addr, SectionIds: []string{"101", "102"}},
			{Shard: 1, LeaderGrpcAddr: fake.Nodes[1].Addr, SectionIds: []string{"201"}},
			{Shard: 2, LeaderGrpcAddr: fake.Nodes[2].Addr, PoolIds: []string{"FLOOR"}},
		},
		Nodes: fake.NodeInfos(),
	})
	fake.Handle(func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		switch method {
		case "Hold", "GetHold", "ExtendHold":
			return &boxofficev1.HoldResponse{}, nil
		case "Release":
			return &boxofficev1.ReleaseResponse{}, nil
		case "Sell":
			return &boxofficev1.SellResponse{}, nil
		}
		return nil, status.Error(codes.Unimplemented, method)
	})
	c := dial(t, fake.Addrs()[:1])
	ctx := context.Background()
	holdID := func(shards ...uint32) string { return holdid.New("ev", "r", shards) }
	tests := []struct {
		name      string
		call      func() error
		wantShard uint32
	}{
		{"best in section", func() error {
			_, err := c.Hold(ctx, &boxofficev1.HoldRequest{EventId: "ev", Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1, SectionId: "201"}}})
			return err
		}, 1},
		{"explicit seats", func() error {
			_, err := c.Hold(ctx, &boxofficev1.HoldRequest{EventId: "ev", Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: []string{"201-A-1", "101-A-2"}}}})
			return err
		}, 1},
		{"general admission", func() error {
			_, err := c.Hold(ctx, &boxofficev1.HoldRequest{EventId: "ev", Selection: &boxofficev1.HoldRequest_GeneralAdmission{GeneralAdmission: &boxofficev1.GeneralAdmission{PoolId: "FLOOR", Quantity: 2}}})
			return err
		}, 2},
		{"extend on hold's first shard", func() error {
			_, err := c.ExtendHold(ctx, &boxofficev1.ExtendHoldRequest{EventId: "ev", HoldId: holdID(2, 1)})
			return err
		}, 1},
		{"sell", func() error {
			_, err := c.Sell(ctx, &boxofficev1.SellRequest{EventId: "ev", HoldId: holdID(2)})
			return err
		}, 2},
		{"release", func() error {
			_, err := c.Release(ctx, &boxofficev1.ReleaseRequest{EventId: "ev", HoldId: holdID(0, 2)})
			return err
		}, 0},
		{"get hold", func() error {
			_, err := c.GetHold(ctx, &boxofficev1.GetHoldRequest{EventId: "ev", HoldId: holdID(1)})
			return err
		}, 1},
	}
	for _, tt := range tests {
		before := len(fake.Calls(""))
		if err := tt.call(); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var got []clienttest.Call
		for _, call := range fake.Calls("")[before:] {
			if call.Method != "Routing" && call.Method != "Status" {
				got = append(got, call)
			}
		}
		if want := shardLeader[tt.wantShard].ID; len(got) != 1 || got[0].Node != want {
			t.Errorf("%s: went to %v, want shard %d's leader %s", tt.name, nodesOf(got), tt.wantShard, want)
		}
	}
	if n := len(fake.Calls("Routing")); n != 1 {
		t.Errorf("%d Routing fetches, want 1 (cached for RoutingTTL)", n)
	}
}

func TestRoutingFailureFallsBackToAnyNode(t *testing.T) {
	fake := clienttest.NewCluster(t, 2)
	// No routing is set: Routing answers NOT_FOUND.
	fake.Handle(func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		return holdOK(req), nil
	})
	c := dial(t, fake.Addrs())
	for range 3 {
		if _, err := c.Hold(context.Background(), &boxofficev1.HoldRequest{EventId: "ev", Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1, SectionId: "101"}}}); err != nil {
			t.Fatalf("Hold without routing: %v", err)
		}
	}
	// Hold ids that do not parse are sent anyway, for the server to refuse.
	fake.Handle(func(context.Context, *clienttest.Node, string, proto.Message) (proto.Message, error) {
		return nil, status.Error(codes.InvalidArgument, "bad hold id")
	})
	if _, err := c.Sell(context.Background(), &boxofficev1.SellRequest{EventId: "ev", HoldId: "garbage"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Sell with a bad hold id: %v, want the server's INVALID_ARGUMENT", err)
	}
}

func TestDeadlineRespected(t *testing.T) {
	fake := clienttest.NewCluster(t, 2)
	fake.Handle(func(context.Context, *clienttest.Node, string, proto.Message) (proto.Message, error) {
		return nil, status.Error(codes.Unavailable, "no leader")
	})
	c := dial(t, fake.Addrs())

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Hold(ctx, &boxofficev1.HoldRequest{EventId: "ev"})
	elapsed := time.Since(start)
	if code := status.Code(err); code != codes.Unavailable && code != codes.DeadlineExceeded {
		t.Errorf("Hold error %v, want UNAVAILABLE or DEADLINE_EXCEEDED", err)
	}
	if elapsed < 250*time.Millisecond || elapsed > time.Second {
		t.Errorf("Hold gave up after %v, want about the 300ms deadline", elapsed)
	}
	if n := len(fake.Calls("Hold")); n < 3 {
		t.Errorf("%d attempts in 300ms, want several", n)
	}

	// Without a ctx deadline, RetryTimeout bounds the call.
	c2 := dial(t, fake.Addrs(), func(cfg *Config) { cfg.RetryTimeout = 200 * time.Millisecond })
	start = time.Now()
	if _, err := c2.GetEvent(context.Background(), &boxofficev1.GetEventRequest{EventId: "ev"}); err == nil {
		t.Error("GetEvent succeeded against UNAVAILABLE nodes")
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("GetEvent took %v, want about RetryTimeout 200ms", elapsed)
	}
}

func TestAttemptTimeoutRetried(t *testing.T) {
	fake := clienttest.NewCluster(t, 1)
	var attempts atomic.Int32
	fake.Handle(func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		if attempts.Add(1) == 1 {
			<-ctx.Done() // a slow node: the attempt's deadline passes
			return nil, ctx.Err()
		}
		return &boxofficev1.Event{EventId: "ev"}, nil
	})
	c := dial(t, fake.Addrs(), func(cfg *Config) { cfg.CallTimeout = 100 * time.Millisecond })
	ev, err := c.GetEvent(context.Background(), &boxofficev1.GetEventRequest{EventId: "ev"})
	if err != nil || ev.GetEventId() != "ev" {
		t.Fatalf("GetEvent = %v, %v; want a retry after the first attempt timed out", ev, err)
	}
	if n := attempts.Load(); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
}

func TestUnavailableNodeSkipped(t *testing.T) {
	fake := clienttest.NewCluster(t, 2)
	fake.Handle(func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		return &boxofficev1.Event{EventId: "ev"}, nil
	})
	// The first seed does not listen: its attempts fail UNAVAILABLE and the
	// client moves on to the live node.
	dead := "127.0.0.1:1"
	c := dial(t, []string{dead, fake.Nodes[0].Addr})
	for range 4 {
		if _, err := c.GetEvent(context.Background(), &boxofficev1.GetEventRequest{EventId: "ev"}); err != nil {
			t.Fatalf("GetEvent with one dead seed: %v", err)
		}
	}
}

func TestConcurrentCalls(t *testing.T) {
	fake := clienttest.NewCluster(t, 3)
	fake.SetRouting(&boxofficev1.RoutingResponse{EventId: "ev", Shards: []*boxofficev1.ShardRoute{
		{Shard: 0, LeaderGrpcAddr: fake.Nodes[1].Addr, SectionIds: []string{"A"}},
	}})
	var n atomic.Int32
	fake.Handle(func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		if n.Add(1)%5 == 0 {
			return nil, status.Error(codes.Unavailable, "flaky")
		}
		return holdOK(req), nil
	})
	c := dial(t, fake.Addrs(), func(cfg *Config) { cfg.RoutingTTL = time.Millisecond })
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			for range 10 {
				req := &boxofficev1.HoldRequest{EventId: "ev", Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1, SectionId: "A"}}}
				if i%2 == 0 {
					req.EventId = "other"
				}
				if _, err := c.Hold(context.Background(), req); err != nil {
					t.Errorf("Hold: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestClosed(t *testing.T) {
	fake := clienttest.NewCluster(t, 1)
	c := dial(t, fake.Addrs())
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status(context.Background()); err != ErrClosed {
		t.Errorf("Status after Close = %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestDialFailsWithoutNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if c, err := Dial(ctx, Config{Addrs: []string{"127.0.0.1:1"}}); err == nil {
		c.Close()
		t.Fatal("Dial succeeded with no node listening")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"one addr", Config{Addrs: []string{"10.0.0.1:7000"}}, true},
		{"scheme", Config{Addrs: []string{"dns:///boxoffice:7000", "unix:///tmp/s"}}, true},
		{"no addrs", Config{}, false},
		{"empty addr", Config{Addrs: []string{""}}, false},
		{"no port", Config{Addrs: []string{"host"}}, false},
		{"comma list", Config{Addrs: []string{"a:1,b:2"}}, false},
		{"negative CallTimeout", Config{Addrs: []string{"a:1"}, CallTimeout: -1}, false},
		{"negative RetryTimeout", Config{Addrs: []string{"a:1"}, RetryTimeout: -1}, false},
		{"negative RoutingTTL", Config{Addrs: []string{"a:1"}, RoutingTTL: -1}, false},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestWatchAndRawAccess(t *testing.T) {
	fake := clienttest.NewCluster(t, 1)
	fake.HandleWatch(func(ctx context.Context, node *clienttest.Node, req *boxofficev1.WatchRequest, send func(*boxofficev1.WatchResponse) error) error {
		return send(&boxofficev1.WatchResponse{Changes: []*boxofficev1.SeatChange{{SeatId: "101-A-1", State: boxofficev1.SeatState_SEAT_STATE_HELD}}})
	})
	fake.Handle(func(context.Context, *clienttest.Node, string, proto.Message) (proto.Message, error) {
		return &boxofficev1.Event{EventId: "raw"}, nil
	})
	c := dial(t, fake.Addrs())
	stream, err := c.Watch(context.Background(), &boxofficev1.WatchRequest{EventId: "ev"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil || resp.GetChanges()[0].GetSeatId() != "101-A-1" {
		t.Fatalf("Recv = %v, %v", resp, err)
	}
	if ev, err := c.Inventory().GetEvent(context.Background(), &boxofficev1.GetEventRequest{EventId: "raw"}); err != nil || ev.GetEventId() != "raw" {
		t.Errorf("raw GetEvent = %v, %v", ev, err)
	}
}

func nodesOf(calls []clienttest.Call) []string {
	nodes := make([]string, len(calls))
	for i, call := range calls {
		nodes[i] = call.Node
	}
	return nodes
}
