package client

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// TestPrepare: Prepare learns the event's routing and opens a Commands
// stream to each of its shards' leaders, and to no other node, before any
// command; the first commands of an on-sale then all go straight to the
// leader on those streams (without Prepare, the callers that arrive while
// one of them fetches the routing go to any node).
func TestPrepare(t *testing.T) {
	fake, _ := newFakeCommands(t, 3)
	fake.SetRouting(&boxofficev1.RoutingResponse{EventId: "ev", Shards: []*boxofficev1.ShardRoute{
		{Shard: 0, LeaderGrpcAddr: fake.Nodes[1].Addr, SectionIds: []string{"A"}},
		{Shard: 1, LeaderGrpcAddr: fake.Nodes[2].Addr, SectionIds: []string{"B"}},
	}})
	c := dial(t, fake.Addrs())
	ctx := context.Background()
	if err := c.Prepare(ctx, "ev"); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if n := len(fake.Calls("Routing")); n != 1 {
		t.Errorf("Prepare made %d Routing calls, want 1", n)
	}
	streamsByNode := func() []string {
		var nodes []string
		for _, call := range fake.Calls("Commands") {
			nodes = append(nodes, call.Node)
		}
		slices.Sort(nodes)
		return nodes
	}
	// A stream's first frame reaches the node just after NewStream
	// returns on the client (the connection itself is up by then).
	for deadline := time.Now().Add(5 * time.Second); len(streamsByNode()) < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // poll interval
	}
	if got, want := streamsByNode(), []string{"n2", "n3"}; !slices.Equal(got, want) {
		t.Fatalf("Prepare opened Commands streams on %v, want %v (the leaders of the event's shards)", got, want)
	}

	var wg sync.WaitGroup
	for caller := range 32 {
		wg.Go(func() {
			id := fmt.Sprintf("first-%d", caller)
			req := hold("fan", id)
			req.GetBest().SectionId = "A"
			resp, err := c.Hold(ctx, req)
			if err != nil {
				t.Errorf("hold %s: %v", id, err)
				return
			}
			if node, _, _ := strings.Cut(resp.GetHoldId(), "/"); node != "n2" {
				t.Errorf("hold %s was answered by %s, want n2 (the leader of section A's shard)", id, node)
			}
		})
	}
	wg.Wait()
	if got, want := streamsByNode(), []string{"n2", "n3"}; !slices.Equal(got, want) {
		t.Errorf("after the holds, Commands streams on %v, want still %v", got, want)
	}
	if n := len(fake.Calls("Routing")); n != 1 {
		t.Errorf("%d Routing calls after the holds, want 1 (the routing Prepare learned)", n)
	}
}

// TestPrepareFails: Prepare refuses an empty event id, and gives up with
// the cause when the routing cannot be learned before its deadline;
// nothing is left open.
func TestPrepareFails(t *testing.T) {
	fake, _ := newFakeCommands(t, 1)
	c := dial(t, fake.Addrs())
	if err := c.Prepare(context.Background(), ""); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Prepare(\"\") = %v, want INVALID_ARGUMENT", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := c.Prepare(ctx, "unknown")
	if status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), `"unknown"`) {
		t.Errorf("Prepare of an event no node knows = %v, want the NOT_FOUND of its routing, naming the event", err)
	}
	if n := len(fake.Calls("Routing")); n < 2 {
		t.Errorf("Prepare asked for the routing %d times in 300ms, want it to retry", n)
	}
	if n := len(fake.Calls("Commands")); n != 0 {
		t.Errorf("Prepare opened %d Commands streams for an unknown event", n)
	}
}

// TestStreamOutlivesTheCallThatOpenedIt: a stream is opened under the
// context of the call that needs it first (here Prepare's); that context
// ending right after the call returns must not end the stream, which
// other callers share. (A watcher goroutine scheduled late once canceled
// such streams at random; the calls in flight on them failed over to new
// streams.)
func TestStreamOutlivesTheCallThatOpenedIt(t *testing.T) {
	fake, f := newFakeCommands(t, 1)
	fake.SetRouting(&boxofficev1.RoutingResponse{EventId: "ev", Shards: []*boxofficev1.ShardRoute{
		{Shard: 0, LeaderGrpcAddr: fake.Nodes[0].Addr, SectionIds: []string{"A"}},
	}})
	for round := range 40 {
		c := dial(t, fake.Addrs())
		before := f.streams.Load()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := c.Prepare(ctx, "ev"); err != nil {
			t.Fatalf("Prepare: %v", err)
		}
		cancel()
		for k := range 3 {
			if _, err := c.Hold(context.Background(), hold("fan", fmt.Sprintf("r%d-%d", round, k))); err != nil {
				t.Fatalf("hold: %v", err)
			}
		}
		if opened := f.streams.Load() - before; opened != 1 {
			t.Fatalf("round %d: %d Commands streams opened by Prepare and 3 holds, want 1: Prepare's context ending ended the stream", round, opened)
		}
		c.Close()
	}
}

// TestColdStartCallsWaitForTheRouting: without Prepare, the first calls of
// an event arrive together; one fetches the routing and the others wait
// for it, so every one goes straight to the shard's leader instead of
// through a node that forwards.
func TestColdStartCallsWaitForTheRouting(t *testing.T) {
	fake, _ := newFakeCommands(t, 3)
	fake.SetRouting(&boxofficev1.RoutingResponse{EventId: "ev", Shards: []*boxofficev1.ShardRoute{
		{Shard: 0, LeaderGrpcAddr: fake.Nodes[1].Addr, SectionIds: []string{"A"}},
	}})
	for round := range 5 {
		c := dial(t, fake.Addrs())
		var wg sync.WaitGroup
		start := make(chan struct{})
		for caller := range 64 {
			wg.Go(func() {
				<-start
				id := fmt.Sprintf("cold-%d-%d", round, caller)
				req := hold("fan", id)
				req.GetBest().SectionId = "A"
				resp, err := c.Hold(context.Background(), req)
				if err != nil {
					t.Errorf("hold %s: %v", id, err)
					return
				}
				if node, _, _ := strings.Cut(resp.GetHoldId(), "/"); node != "n2" {
					t.Errorf("hold %s was answered by %s, want n2 (the leader of section A's shard)", id, node)
				}
			})
		}
		close(start)
		wg.Wait()
		c.Close()
		if t.Failed() {
			t.Fatalf("round %d", round)
		}
	}
}
