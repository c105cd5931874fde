package checkout_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/cluster/client"
)

// preparingClient is the real cluster client, counting Prepare calls.
type preparingClient struct {
	*client.Client
	mu     sync.Mutex
	events []string
	errs   []error
}

func (p *preparingClient) Prepare(ctx context.Context, event string) error {
	err := p.Client.Prepare(ctx, event)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, event)
	p.errs = append(p.errs, err)
	return err
}

func (p *preparingClient) calls() ([]string, []error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.events), slices.Clone(p.errs)
}

// TestWaitingRoomPreparesTheClient: the first fan to join an event's
// waiting room makes the gateway prepare its cluster client for that
// on-sale (routing, connections, streams to the leaders), once per
// gateway, so the first admitted fans' holds do not pay for it.
func TestWaitingRoomPreparesTheClient(t *testing.T) {
	e := newEnv(t)
	e.event("prep")
	inv := &preparingClient{Client: e.cluster}
	a := e.gateway(func(c *checkout.Config) { c.Inventory = inv })
	organizer := a.login("org", "organizer")
	a.must(200, "PUT", "/v1/events/prep/waiting-room", organizer, map[string]any{
		"on_sale_at": e.clock.now().Add(time.Hour).Format(time.RFC3339Nano), "admit_per_second": 1})
	for _, name := range []string{"f1", "f2", "f3"} {
		a.must(200, "POST", "/v1/events/prep/waiting-room/join", a.login(name, "fan"), nil)
	}
	deadline := time.Now().Add(10 * time.Second)
	for events, _ := inv.calls(); len(events) == 0 && time.Now().Before(deadline); events, _ = inv.calls() {
		time.Sleep(5 * time.Millisecond) // poll interval
	}
	for _, name := range []string{"f4", "f5"} {
		a.must(200, "POST", "/v1/events/prep/waiting-room/join", a.login(name, "fan"), nil)
	}
	time.Sleep(50 * time.Millisecond) // time for a second Prepare that must not come
	events, errs := inv.calls()
	if !slices.Equal(events, []string{"prep"}) {
		t.Fatalf("Prepare calls %v after 5 fans joined, want one for prep", events)
	}
	if errs[0] != nil {
		t.Fatalf("Prepare of a live event failed: %v", errs[0])
	}
}
