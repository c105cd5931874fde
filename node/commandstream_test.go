package node

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// commandsOn sends cmds on one Commands stream of node i, all at once, and
// returns the answers by tag (the index in cmds). It closes its side after
// the last command and expects the stream to end OK once every command is
// answered.
func commandsOn(t *testing.T, tc *TestCluster, i int, cmds []*boxofficev1.CommandsRequest) []*boxofficev1.CommandsResponse {
	t.Helper()
	ctx := ctxT(t, 60*time.Second)
	stream, err := tc.Inventory(i).Commands(ctx)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for tag, cmd := range cmds {
			cmd.Tag = uint64(tag)
			if err := stream.Send(cmd); err != nil {
				t.Errorf("Send: %v", err)
				return
			}
		}
		_ = stream.CloseSend()
	}()
	answers := make([]*boxofficev1.CommandsResponse, len(cmds))
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		if len(resp.More) > 0 {
			t.Fatalf("a client that did not ask for batches got %d answers in one message", 1+len(resp.More))
		}
		if resp.Tag >= uint64(len(cmds)) || answers[resp.Tag] != nil {
			t.Fatalf("tag %d answered twice or never sent", resp.Tag)
		}
		answers[resp.Tag] = resp
	}
	for tag, a := range answers {
		if a == nil {
			t.Fatalf("the stream ended OK without answering tag %d", tag)
		}
	}
	return answers
}

// TestCommandsStreamBatches: a client that asks for batches is told at
// once that the node reads them; every command of a message (its own and
// those in "more") is applied and answered on its own, and answers that
// come several to a message each carry their own tag.
func TestCommandsStreamBatches(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	const sections = 4
	tc.createOnSaleEvent("batches", sections, 5, 10)
	ctx := metadata.AppendToOutgoingContext(ctxT(t, 60*time.Second), CommandsBatchMetadataKey, "1")
	received := tc.hosts[0].metrics.cmdStreamMessages.WithLabelValues("received")
	before := counterValue(received)
	stream, err := tc.Inventory(0).Commands(ctx)
	if err != nil {
		t.Fatal(err)
	}
	header, err := stream.Header()
	if err != nil {
		t.Fatal(err)
	}
	if got := header.Get(CommandsBatchMetadataKey); len(got) != 1 || got[0] != "1" {
		t.Fatalf("header %s = %q, want [\"1\"]", CommandsBatchMetadataKey, got)
	}

	// 40 holds in 4 messages of 10.
	const holds, perMessage = 40, 10
	for m := range holds / perMessage {
		var msg *boxofficev1.CommandsRequest
		for k := m * perMessage; k < (m+1)*perMessage; k++ {
			cmd := &boxofficev1.CommandsRequest{Tag: uint64(k), Command: &boxofficev1.CommandsRequest_Hold{Hold: &boxofficev1.HoldRequest{
				RequestId: fmt.Sprintf("h%d", k), EventId: "batches", Holder: "fan",
				Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: fmt.Sprintf("S%d", k%sections)}}}}}
			if msg == nil {
				msg = cmd
			} else {
				msg.More = append(msg.More, cmd)
			}
		}
		if err := stream.Send(msg); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	answers := make([]*boxofficev1.CommandsResponse, holds)
	messages := 0
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		messages++
		batch := append([]*boxofficev1.CommandsResponse{resp}, resp.More...)
		resp.More = nil
		for _, a := range batch {
			if a.Tag >= holds || answers[a.Tag] != nil {
				t.Fatalf("tag %d answered twice or never sent", a.Tag)
			}
			if len(a.More) > 0 {
				t.Fatalf("tag %d: an answer inside a batch carries a batch of its own", a.Tag)
			}
			answers[a.Tag] = a
		}
	}
	seats := map[string]bool{}
	for k, a := range answers {
		h := a.GetHold()
		if a == nil || h == nil || len(h.SeatIds) != 2 {
			t.Fatalf("hold %d: %v", k, a)
		}
		for _, s := range h.SeatIds {
			if seats[s] {
				t.Fatalf("seat %s held twice", s)
			}
			seats[s] = true
		}
	}
	t.Logf("40 holds sent in 4 messages, answered in %d", messages)
	if got := counterValue(received) - before; got != holds/perMessage {
		t.Fatalf("%s received grew by %v, want %d (one per message, not per command)", "command_stream_messages_total", got, holds/perMessage)
	}
}

// TestCommandsStream: holds, sells and releases sent on a Commands stream
// are applied as the unary calls apply them (every answer of its kind,
// the seat map agrees, nothing held at the end); a request id means one
// mutation whichever path carries it; a bad command gets the status its
// unary call gets and the stream goes on.
func TestCommandsStream(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	const sections = 4
	tc.createOnSaleEvent("cmds", sections, 5, 10) // 200 seats over every group
	ctx := ctxT(t, 120*time.Second)
	gauge := tc.hosts[1].metrics.cmdStreamsOpen

	// 40 holds of 2 at once on node 2's stream: the node forwards those of
	// shards it does not lead.
	const holds = 40
	var cmds []*boxofficev1.CommandsRequest
	for k := range holds {
		cmds = append(cmds, &boxofficev1.CommandsRequest{Command: &boxofficev1.CommandsRequest_Hold{Hold: &boxofficev1.HoldRequest{
			RequestId: fmt.Sprintf("h%d", k), EventId: "cmds", Holder: "fan",
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: fmt.Sprintf("S%d", k%sections)}}}}})
	}
	held := commandsOn(t, tc, 1, cmds)
	seats := map[string]bool{}
	for k, a := range held {
		h := a.GetHold()
		if h == nil || len(h.SeatIds) != 2 {
			t.Fatalf("hold %d: %v", k, a)
		}
		for _, s := range h.SeatIds {
			if seats[s] {
				t.Fatalf("seat %s held twice", s)
			}
			seats[s] = true
		}
	}

	// The same request id on the stream again and as a unary call: the
	// first answer, nothing held twice.
	again := commandsOn(t, tc, 2, []*boxofficev1.CommandsRequest{cmds[0]})[0].GetHold()
	unary, err := tc.Inventory(0).Hold(ctx, cmds[0].GetHold())
	if err != nil {
		t.Fatal(err)
	}
	if again.GetHoldId() != held[0].GetHold().HoldId || unary.GetHoldId() != held[0].GetHold().HoldId {
		t.Fatalf("request id h0 answered %q (stream) and %q (unary), first answer %q", again.GetHoldId(), unary.GetHoldId(), held[0].GetHold().HoldId)
	}

	// Sell the even holds, release the odd ones.
	cmds = nil
	for k, a := range held {
		h := a.GetHold()
		if k%2 == 0 {
			cmds = append(cmds, &boxofficev1.CommandsRequest{Command: &boxofficev1.CommandsRequest_Sell{Sell: &boxofficev1.SellRequest{
				RequestId: fmt.Sprintf("s%d", k), EventId: "cmds", HoldId: h.HoldId, Holder: "fan", OrderId: fmt.Sprintf("o%d", k), Buyer: "fan"}}})
		} else {
			cmds = append(cmds, &boxofficev1.CommandsRequest{Command: &boxofficev1.CommandsRequest_Release{Release: &boxofficev1.ReleaseRequest{
				RequestId: fmt.Sprintf("r%d", k), EventId: "cmds", HoldId: h.HoldId, Holder: "fan"}}})
		}
	}
	sells := commandsOn(t, tc, 0, cmds)
	for k, a := range sells {
		if k%2 == 0 && len(a.GetSell().GetTickets()) != 2 || k%2 == 1 && len(a.GetRelease().GetSeatIds()) != 2 {
			t.Fatalf("command %d: %v", k, a)
		}
	}
	m, err := tc.Inventory(2).GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "cmds", View: viewSummary})
	if err != nil {
		t.Fatal(err)
	}
	var sold, onHold uint32
	for _, s := range m.GetSections() {
		sold += s.GetSold()
		onHold += s.GetHeld()
	}
	if sold != holds || onHold != 0 {
		t.Fatalf("after 20 sells and 20 releases of 2 seats: %d sold, %d held; want 40 and 0", sold, onHold)
	}

	// Bad commands, each next to the unary call that should fail alike.
	bad := []struct {
		name  string
		cmd   *boxofficev1.CommandsRequest
		unary func() error
	}{
		{"no command", &boxofficev1.CommandsRequest{}, func() error { return status.Error(codes.InvalidArgument, "") }},
		{"hold without request id", &boxofficev1.CommandsRequest{Command: &boxofficev1.CommandsRequest_Hold{Hold: &boxofficev1.HoldRequest{EventId: "cmds", Holder: "x"}}},
			func() error {
				_, err := tc.Inventory(0).Hold(ctx, &boxofficev1.HoldRequest{EventId: "cmds", Holder: "x"})
				return err
			}},
		{"sell of an unknown hold", &boxofficev1.CommandsRequest{Command: &boxofficev1.CommandsRequest_Sell{Sell: &boxofficev1.SellRequest{
			RequestId: "bad-s", EventId: "cmds", HoldId: held[1].GetHold().HoldId, Holder: "fan", OrderId: "ox", Buyer: "fan"}}},
			func() error {
				_, err := tc.Inventory(0).Sell(ctx, &boxofficev1.SellRequest{RequestId: "bad-s-unary", EventId: "cmds", HoldId: held[1].GetHold().HoldId,
					Holder: "fan", OrderId: "ox", Buyer: "fan"})
				return err
			}},
		{"release by another holder", &boxofficev1.CommandsRequest{Command: &boxofficev1.CommandsRequest_Release{Release: &boxofficev1.ReleaseRequest{
			RequestId: "bad-r", EventId: "cmds", HoldId: held[0].GetHold().HoldId, Holder: "thief"}}},
			func() error {
				_, err := tc.Inventory(0).Release(ctx, &boxofficev1.ReleaseRequest{RequestId: "bad-r-unary", EventId: "cmds", HoldId: held[0].GetHold().HoldId, Holder: "thief"})
				return err
			}},
		{"unknown event", &boxofficev1.CommandsRequest{Command: &boxofficev1.CommandsRequest_ExtendHold{ExtendHold: &boxofficev1.ExtendHoldRequest{
			RequestId: "bad-e", EventId: "nosuch", HoldId: "h", Holder: "fan"}}},
			func() error {
				_, err := tc.Inventory(0).ExtendHold(ctx, &boxofficev1.ExtendHoldRequest{RequestId: "bad-e-unary", EventId: "nosuch", HoldId: "h", Holder: "fan"})
				return err
			}},
	}
	cmds = nil
	for _, b := range bad {
		cmds = append(cmds, b.cmd)
	}
	// A good command after the bad ones: the stream goes on.
	cmds = append(cmds, &boxofficev1.CommandsRequest{Command: &boxofficev1.CommandsRequest_Refund{Refund: &boxofficev1.RefundRequest{
		RequestId: "refund-o0", EventId: "cmds", OrderId: "o0", TicketIds: soldTicketIDs(sells[0].GetSell().GetTickets())}}})
	answers := commandsOn(t, tc, 2, cmds)
	for k, b := range bad {
		e := answers[k].GetError()
		want := status.Code(b.unary())
		if e == nil || codes.Code(e.Code) != want || want == codes.OK {
			t.Errorf("%s: stream answered %v, unary %v", b.name, answers[k], want)
		}
	}
	if r := answers[len(bad)].GetRefund(); len(r.GetTickets()) != 2 {
		t.Fatalf("a refund after bad commands: %v", answers[len(bad)])
	}
	if !proto.Equal(held[0].GetHold(), again) {
		t.Fatalf("the repeated hold's answer differs: %v vs %v", held[0].GetHold(), again)
	}

	if !waitUntil(10*time.Second, func() bool { return gaugeValue(t, gauge) == 0 }) {
		t.Fatalf("%v Commands streams still counted open on node 2 after they ended", gaugeValue(t, gauge))
	}
}
