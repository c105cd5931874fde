package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/cluster/client/clienttest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// ctl runs `boxoffice ctl args...` and returns its stdout, stderr and error.
func ctl(t *testing.T, ctx context.Context, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := runCtl(ctx, args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestCtlUsageErrors(t *testing.T) {
	// None of these reach a cluster: the address does not listen.
	addr := "--addr=127.0.0.1:1"
	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"no command", []string{addr}, "no command"},
		{"unknown command", []string{addr, "frobnicate"}, `unknown command "frobnicate"`},
		{"unknown subcommand", []string{addr, "events", "delete", "x"}, `unknown command "events delete"`},
		{"unknown flag", []string{addr, "status", "--bogus"}, "bogus"},
		{"missing event", []string{addr, "events", "get"}, "want 1 argument"},
		{"extra argument", []string{addr, "release", "ev", "h", "x", "--holder", "a"}, "want 2 argument"},
		{"create without name", []string{addr, "events", "create", "ev", "--demo-arena"}, "--name is required"},
		{"create without venue", []string{addr, "events", "create", "ev", "--name", "N"}, "exactly one of --venue"},
		{"create with two venues", []string{addr, "events", "create", "ev", "--name", "N", "--demo-arena", "--onsale", "1x1x1"}, "exactly one of --venue"},
		{"bad onsale", []string{addr, "events", "create", "ev", "--name", "N", "--onsale", "20x25"}, "SECTIONSxROWSxSEATS"},
		{"zero onsale", []string{addr, "events", "create", "ev", "--name", "N", "--onsale", "20x0x40"}, `"0" is not a positive number`},
		{"hold without holder", []string{addr, "hold", "ev", "--best", "2"}, "--holder is required"},
		{"hold without selection", []string{addr, "hold", "ev", "--holder", "a"}, "exactly one of --seats"},
		{"hold with two selections", []string{addr, "hold", "ev", "--holder", "a", "--best", "2", "--seats", "101-A-1"}, "exactly one of --seats"},
		{"section without best", []string{addr, "hold", "ev", "--holder", "a", "--seats", "101-A-1", "--section", "101"}, "go with --best"},
		{"bad ga", []string{addr, "hold", "ev", "--holder", "a", "--ga", "FLOOR"}, "POOL:N"},
		{"zero ga", []string{addr, "hold", "ev", "--holder", "a", "--ga", "FLOOR:0"}, "POOL:N"},
		{"sell without order", []string{addr, "sell", "ev", "h", "--holder", "a", "--buyer", "b"}, "--order and --buyer are required"},
		{"bad timeout", []string{addr, "--timeout", "-1s", "status"}, "--timeout"},
		{"tls cert without key", []string{addr, "--tls-cert", "c.pem", "status"}, "--tls-cert and --tls-key go together"},
		{"bad addr", []string{"--addr", "nohostport", "status"}, "--addr"},
		{"drain without node", []string{addr, "drain"}, "want 1 argument"},
		{"drain with a bad wait", []string{addr, "drain", "n1", "--wait=maybe"}, "wait"},
		{"transfer-leader without node", []string{addr, "transfer-leader", "g000"}, "want 2 argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ctl(t, context.Background(), tt.args...)
			if !errors.Is(err, errCtlUsage) {
				t.Fatalf("error %v, want a usage error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestCtlHelp(t *testing.T) {
	stdout, _, err := ctl(t, context.Background(), "-h")
	if err != nil || !strings.Contains(stdout, "events create") || !strings.Contains(stdout, "--addr") {
		t.Errorf("ctl -h = %v, printed:\n%s", err, stdout)
	}
	if stdout != ctlUsage() {
		t.Error("ctl -h does not print ctlUsage()")
	}
	stdout, _, err = ctl(t, context.Background(), "hold", "-h")
	for _, want := range []string{"Usage: boxoffice ctl hold <event>", "-holder", "-best", "-ga POOL:N"} {
		if err != nil || !strings.Contains(stdout, want) {
			t.Errorf("hold -h = %v, does not mention %q:\n%s", err, want, stdout)
		}
	}
	if strings.Contains(stdout, "-tls-ca") {
		t.Errorf("hold -h repeats the common flags:\n%s", stdout)
	}
	_, stderr, _ := ctl(t, context.Background(), "--addr=127.0.0.1:1", "seatmap")
	if !strings.Contains(stderr, "Usage: boxoffice ctl seatmap") {
		t.Errorf("a usage error does not print the command's usage to stderr:\n%s", stderr)
	}
}

func TestCtlParseInterspersed(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	name, demo := fs.String("name", "", ""), fs.Bool("demo-arena", false, "")
	positional, err := ctlParseInterspersed(fs, []string{"ev1", "--name", "Big Show", "extra", "--demo-arena", "--", "--not-a-flag"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ev1", "extra", "--not-a-flag"}; !slices.Equal(positional, want) {
		t.Errorf("positional %q, want %q", positional, want)
	}
	if *name != "Big Show" || !*demo {
		t.Errorf("flags name=%q demo=%v", *name, *demo)
	}
}

// fakeCluster is one fake node whose Inventory answers come from answer.
func fakeCluster(t *testing.T, answer clienttest.Handler) (*clienttest.Cluster, string) {
	fake := clienttest.NewCluster(t, 1)
	fake.Handle(answer)
	return fake, "--addr=" + fake.Addrs()[0]
}

func lastRequest[T proto.Message](t *testing.T, fake *clienttest.Cluster, method string) T {
	t.Helper()
	calls := fake.Calls(method)
	if len(calls) == 0 {
		t.Fatalf("no %s call reached the cluster", method)
	}
	return calls[len(calls)-1].Request.(T)
}

func TestCtlStatus(t *testing.T) {
	fake, addr := fakeCluster(t, nil)
	fake.SetStatus(&boxofficev1.StatusResponse{
		NodeId: "n1",
		Nodes:  []*boxofficev1.NodeInfo{{NodeId: "n1", GrpcAddr: fake.Addrs()[0], State: "alive"}, {NodeId: "n2", GrpcAddr: "10.0.0.2:7101", State: "dead"}},
		Groups: []*boxofficev1.GroupStatus{{GroupId: "g1", LeaderNodeId: "n1", Shards: []string{"ev/0", "ev/1"},
			Replicas: []*boxofficev1.ReplicaStatus{{NodeId: "n1", RaftState: "Leader", AppliedIndex: 42, CommitIndex: 42, Term: 3, Voter: true}}}},
	})
	stdout, _, err := ctl(t, context.Background(), addr, "status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NODE", "n2", "10.0.0.2:7101", "dead", "GROUP", "g1", "n1=Leader 42/42 t3", "ev/0 ev/1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status output does not contain %q:\n%s", want, stdout)
		}
	}

	// --json prints the response as protojson, also after the command.
	stdout, _, err = ctl(t, context.Background(), addr, "status", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var resp boxofficev1.StatusResponse
	if err := protojson.Unmarshal([]byte(stdout), &resp); err != nil || resp.GetGroups()[0].GetGroupId() != "g1" {
		t.Errorf("--json output does not parse (%v):\n%s", err, stdout)
	}
}

func TestCtlEventsCreate(t *testing.T) {
	fake, addr := fakeCluster(t, func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		r := req.(*boxofficev1.CreateEventRequest)
		seats, ga := cluster.VenueSeatCount(r.GetVenue())
		return &boxofficev1.CreateEventResponse{Event: &boxofficev1.Event{
			EventId: r.GetEventId(), Name: r.GetName(), Status: boxofficev1.EventStatus_EVENT_STATUS_READY,
			Venue: r.GetVenue(), SeatCount: seats, GeneralAdmissionCapacity: ga, ShardCount: 4, Policy: r.GetPolicy(),
		}}, nil
	})
	stdout, _, err := ctl(t, context.Background(), addr, "events", "create", "bench1", "--name", "On sale", "--onsale", "2x3x4", "--shards", "2", "--hold-ttl", "7m")
	if err != nil {
		t.Fatal(err)
	}
	req := lastRequest[*boxofficev1.CreateEventRequest](t, fake, "CreateEvent")
	if seats, _ := cluster.VenueSeatCount(req.GetVenue()); seats != 24 || req.GetShardCount() != 2 || req.GetPolicy().GetHoldTtlDefaultMs() != 420_000 {
		t.Errorf("CreateEvent request %v: want 24 seats, 2 shards, 7m hold ttl", req)
	}
	if req.GetRequestId() == "" {
		t.Error("CreateEvent request has no request id")
	}
	for _, want := range []string{"bench1", "On sale", "READY", "24 reserved", "7m0s"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output does not contain %q:\n%s", want, stdout)
		}
	}

	// A venue file in protojson; an invalid one is refused before sending.
	dir := t.TempDir()
	good, _ := protojson.Marshal(cluster.OnSaleVenue(1, 1, 5))
	goodPath := filepath.Join(dir, "venue.json")
	if err := os.WriteFile(goodPath, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ctl(t, context.Background(), addr, "events", "create", "file1", "--name", "F", "--venue", goodPath, "--request-id", "rid-1"); err != nil {
		t.Fatal(err)
	}
	if req := lastRequest[*boxofficev1.CreateEventRequest](t, fake, "CreateEvent"); req.GetRequestId() != "rid-1" || len(req.GetVenue().GetSections()) != 1 {
		t.Errorf("CreateEvent from file: %v", req)
	}
	badPath := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badPath, []byte(`{"sections":[{"id":"A-1","rows":[{"label":"A","seatCount":3}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	before := len(fake.Calls("CreateEvent"))
	_, _, err = ctl(t, context.Background(), addr, "events", "create", "bad", "--name", "B", "--venue", badPath)
	if !errors.Is(err, cluster.ErrInvalidVenue) || !strings.Contains(err.Error(), `"A-1"`) {
		t.Errorf("invalid venue file: %v, want ErrInvalidVenue naming the section", err)
	}
	if len(fake.Calls("CreateEvent")) != before {
		t.Error("an invalid venue was sent to the cluster")
	}
}

func TestCtlHold(t *testing.T) {
	fake, addr := fakeCluster(t, func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		r := req.(*boxofficev1.HoldRequest)
		if r.GetSeats() != nil {
			st, _ := status.New(codes.Aborted, "seat 101-A-1 is held").WithDetails(&errdetails.ErrorInfo{Reason: boxofficev1.ReasonSeatUnavailable, Domain: boxofficev1.ErrorDomain})
			return nil, st.Err()
		}
		return &boxofficev1.HoldResponse{HoldId: "0123456789abcdef.3", EventId: r.GetEventId(), Holder: r.GetHolder(),
			SeatIds: []string{"101-A-5", "101-A-6"}, ExpiresAtUnixMs: time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC).UnixMilli()}, nil
	})
	stdout, _, err := ctl(t, context.Background(), addr, "hold", "ev", "--holder", "alice", "--best", "2", "--section", "101", "--tier", "P1", "--ttl", "5m")
	if err != nil {
		t.Fatal(err)
	}
	req := lastRequest[*boxofficev1.HoldRequest](t, fake, "Hold")
	best := req.GetBest()
	if best.GetQuantity() != 2 || best.GetSectionId() != "101" || best.GetPriceTier() != "P1" || req.GetTtlMs() != 300_000 || req.GetHolder() != "alice" {
		t.Errorf("Hold request %v", req)
	}
	for _, want := range []string{"0123456789abcdef.3", "101-A-5 101-A-6", "2026-05-01T20:00:00Z"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("hold output does not contain %q:\n%s", want, stdout)
		}
	}

	if _, _, err := ctl(t, context.Background(), addr, "hold", "ev", "--holder", "bob", "--ga", "FLOOR:3"); err != nil {
		t.Fatal(err)
	}
	if ga := lastRequest[*boxofficev1.HoldRequest](t, fake, "Hold").GetGeneralAdmission(); ga.GetPoolId() != "FLOOR" || ga.GetQuantity() != 3 {
		t.Errorf("GA hold request %v", ga)
	}

	// A refusal prints the code, the reason and the message, and the
	// request id to retry with.
	_, _, err = ctl(t, context.Background(), addr, "hold", "ev", "--holder", "bob", "--seats", "101-A-1, 101-A-2")
	if status.Code(err) != codes.Aborted {
		t.Errorf("status.Code(%v) = %v, want ABORTED", err, status.Code(err))
	}
	if seats := lastRequest[*boxofficev1.HoldRequest](t, fake, "Hold").GetSeats().GetSeatIds(); !slices.Equal(seats, []string{"101-A-1", "101-A-2"}) {
		t.Errorf("seats sent %q", seats)
	}
	rid := lastRequest[*boxofficev1.HoldRequest](t, fake, "Hold").GetRequestId()
	if want := "ABORTED (SEAT_UNAVAILABLE): seat 101-A-1 is held (request id " + rid + ")"; err == nil || err.Error() != want {
		t.Errorf("error text %q, want %q", err, want)
	}
}

func TestCtlHoldLifecycle(t *testing.T) {
	fake, addr := fakeCluster(t, func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		switch method {
		case "ExtendHold":
			return &boxofficev1.HoldResponse{HoldId: req.(*boxofficev1.ExtendHoldRequest).GetHoldId()}, nil
		case "Release":
			return &boxofficev1.ReleaseResponse{SeatIds: []string{"101-A-5"}, GeneralAdmissionQuantity: 2}, nil
		case "Sell":
			return &boxofficev1.SellResponse{OrderId: "o1", Tickets: []*boxofficev1.Ticket{{TicketId: "t1", SeatId: "101-A-5", Buyer: "b@x", PriceTier: "P1"}}}, nil
		case "Refund":
			return &boxofficev1.RefundResponse{Tickets: []*boxofficev1.Ticket{{TicketId: "t1", SeatId: "101-A-5"}}}, nil
		case "DeleteEvent":
			return &boxofficev1.DeleteEventResponse{Event: &boxofficev1.Event{EventId: "ev", Status: boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED}}, nil
		}
		return nil, status.Error(codes.Unimplemented, method)
	})
	ctx := context.Background()
	hold := "0123456789abcdef.3"
	tests := []struct {
		args   []string
		method string
		check  func(proto.Message) bool
		output string
	}{
		{[]string{"extend", "ev", hold, "--holder", "a", "--ttl", "2m"}, "ExtendHold",
			func(m proto.Message) bool {
				r := m.(*boxofficev1.ExtendHoldRequest)
				return r.GetHoldId() == hold && r.GetTtlMs() == 120_000
			}, hold},
		{[]string{"release", "ev", hold, "--holder", "a"}, "Release",
			func(m proto.Message) bool { return m.(*boxofficev1.ReleaseRequest).GetHolder() == "a" }, "released 1 seat(s): 101-A-5 and 2 general admission"},
		{[]string{"sell", "ev", hold, "--holder", "a", "--order", "o1", "--buyer", "b@x"}, "Sell",
			func(m proto.Message) bool {
				r := m.(*boxofficev1.SellRequest)
				return r.GetOrderId() == "o1" && r.GetBuyer() == "b@x"
			}, "t1"},
		{[]string{"refund", "ev", "o1", "--tickets", "t1,t2"}, "Refund",
			func(m proto.Message) bool {
				return slices.Equal(m.(*boxofficev1.RefundRequest).GetTicketIds(), []string{"t1", "t2"})
			}, "refunded 1 ticket(s)"},
		{[]string{"delete-event", "ev", "--request-id", "d1"}, "DeleteEvent",
			func(m proto.Message) bool {
				r := m.(*boxofficev1.DeleteEventRequest)
				return r.GetEventId() == "ev" && r.GetRequestId() == "d1"
			}, "event ev archived"},
	}
	for _, tt := range tests {
		stdout, _, err := ctl(t, ctx, append([]string{addr}, tt.args...)...)
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		req := lastRequest[proto.Message](t, fake, tt.method)
		if !tt.check(req) {
			t.Errorf("%v: request %v", tt.args, req)
		}
		if !strings.Contains(stdout, tt.output) {
			t.Errorf("%v: output does not contain %q:\n%s", tt.args, tt.output, stdout)
		}
	}
}

func TestCtlSeatMap(t *testing.T) {
	seat := func(n uint32, state boxofficev1.SeatState, aisle, accessible bool) *boxofficev1.Seat {
		return &boxofficev1.Seat{Number: n, State: state, AisleAfter: aisle, Accessible: accessible}
	}
	const (
		av   = boxofficev1.SeatState_SEAT_STATE_AVAILABLE
		held = boxofficev1.SeatState_SEAT_STATE_HELD
		sold = boxofficev1.SeatState_SEAT_STATE_SOLD
	)
	fake, addr := fakeCluster(t, func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		r := req.(*boxofficev1.GetSeatMapRequest)
		m := &boxofficev1.SeatMap{EventId: r.GetEventId(), Available: 3, Held: 1, Sold: 1,
			Sections: []*boxofficev1.SectionState{{Id: "101", Name: "Lower 101", Shard: 2, Available: 3, Held: 1, Sold: 1}},
			Pools:    []*boxofficev1.PoolState{{Id: "FLOOR", Shard: 0, Capacity: 100, Held: 10, Sold: 5, PriceTier: "P2"}},
		}
		if !r.GetSummaryOnly() {
			m.Sections[0].Rows = []*boxofficev1.RowState{
				{Label: "A", Seats: []*boxofficev1.Seat{seat(1, av, false, true), seat(2, held, true, false), seat(3, sold, false, false)}},
				{Label: "BB", Seats: []*boxofficev1.Seat{seat(1, av, false, false), seat(2, av, false, false)}},
			}
		}
		return m, nil
	})
	stdout, _, err := ctl(t, context.Background(), addr, "seatmap", "ev")
	if err != nil {
		t.Fatal(err)
	}
	if req := lastRequest[*boxofficev1.GetSeatMapRequest](t, fake, "GetSeatMap"); !req.GetSummaryOnly() {
		t.Errorf("seatmap without --section should ask for a summary: %v", req)
	}
	for _, want := range []string{"3 available, 1 held, 1 sold", "101", "FLOOR", "85"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("seatmap output does not contain %q:\n%s", want, stdout)
		}
	}

	stdout, _, err = ctl(t, context.Background(), addr, "seatmap", "ev", "--section", "101", "--stale")
	if err != nil {
		t.Fatal(err)
	}
	req := lastRequest[*boxofficev1.GetSeatMapRequest](t, fake, "GetSeatMap")
	if req.GetSummaryOnly() || !slices.Equal(req.GetSectionIds(), []string{"101"}) || req.GetConsistency() != boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE {
		t.Errorf("seatmap --section --stale request %v", req)
	}
	for _, want := range []string{"   A  ah|X  1..3\n", "  BB  ..  1..2\n", "h held"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("seat picture does not contain %q:\n%s", want, stdout)
		}
	}
}

func TestCtlEventsListPages(t *testing.T) {
	fake, addr := fakeCluster(t, func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		if method != "ListEvents" {
			return nil, status.Error(codes.Unimplemented, method)
		}
		if req.(*boxofficev1.ListEventsRequest).GetPageToken() == "" {
			return &boxofficev1.ListEventsResponse{Events: []*boxofficev1.Event{{EventId: "a", Name: "First"}}, NextPageToken: "p2"}, nil
		}
		return &boxofficev1.ListEventsResponse{Events: []*boxofficev1.Event{{EventId: "b", Name: "Second", Status: boxofficev1.EventStatus_EVENT_STATUS_READY}}}, nil
	})
	stdout, _, err := ctl(t, context.Background(), addr, "events", "list")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Calls("ListEvents")); n != 2 {
		t.Errorf("%d ListEvents calls, want 2 pages", n)
	}
	for _, want := range []string{"First", "Second", "READY"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("events list output does not contain %q:\n%s", want, stdout)
		}
	}
	_, _, err = ctl(t, context.Background(), addr, "events", "get", "nope")
	if status.Code(err) != codes.Unimplemented || !strings.HasPrefix(err.Error(), "UNIMPLEMENTED: ") {
		t.Errorf("events get against a handler that only lists: %v", err)
	}
}

func TestCtlWatch(t *testing.T) {
	fake, addr := fakeCluster(t, nil)
	fake.HandleWatch(func(ctx context.Context, node *clienttest.Node, req *boxofficev1.WatchRequest, send func(*boxofficev1.WatchResponse) error) error {
		if err := send(&boxofficev1.WatchResponse{Changes: []*boxofficev1.SeatChange{
			{Shard: 1, Sequence: 7, SeatId: "101-A-1", State: boxofficev1.SeatState_SEAT_STATE_HELD, HoldId: "h1"},
			{Shard: 0, Sequence: 3, SeatId: "FLOOR", State: boxofficev1.SeatState_SEAT_STATE_SOLD, OrderId: "o9", GeneralAdmissionAvailable: 1490},
		}}); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan error, 1)
	w := &notifyingWriter{buf: &stdout, wrote: make(chan struct{}, 10)}
	go func() { done <- runCtl(ctx, []string{addr, "watch", "ev"}, w, &stderr) }()
	select {
	case <-w.wrote:
	case <-time.After(5 * time.Second):
		t.Fatal("watch printed nothing")
	}
	<-w.wrote
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("watch ended with %v, want nil after the interrupt", err)
	}
	out := w.String()
	for _, want := range []string{"shard 1 seq 7  101-A-1  HELD  hold h1", "shard 0 seq 3  FLOOR  SOLD  order o9  1490 available"} {
		if !strings.Contains(out, want) {
			t.Errorf("watch output does not contain %q:\n%s", want, out)
		}
	}
}

// notifyingWriter signals each write, for output that arrives while a
// command runs.
type notifyingWriter struct {
	mu    sync.Mutex
	buf   *bytes.Buffer
	wrote chan struct{}
}

func (w *notifyingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	n, err := w.buf.Write(p)
	w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (w *notifyingWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
