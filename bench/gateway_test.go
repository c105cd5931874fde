package bench

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/checkout/memstore"
	"github.com/boxoffice/boxoffice/node"
)

// seatMapOf builds a seat map of one section "S0", one row, with the given
// seats ("S0-R1-<n>") in the given states.
func seatMapOf(seats ...*boxofficev1.Seat) *boxofficev1.SeatMap {
	return &boxofficev1.SeatMap{Sections: []*boxofficev1.SectionState{{Id: "S0", Rows: []*boxofficev1.RowState{{Label: "R1", Seats: seats}}}}}
}

func soldSeat(id, order, ticket string) *boxofficev1.Seat {
	return &boxofficev1.Seat{SeatId: id, State: boxofficev1.SeatState_SEAT_STATE_SOLD, OrderId: order, TicketId: ticket}
}

func freeSeat(id string) *boxofficev1.Seat {
	return &boxofficev1.Seat{SeatId: id, State: boxofficev1.SeatState_SEAT_STATE_AVAILABLE}
}

// TestCheckGateway shows the check passing on a consistent run and
// catching each planted bug.
func TestCheckGateway(t *testing.T) {
	before := seatMapOf(soldSeat("S0-R1-1", "old", "e/0/1"), freeSeat("S0-R1-2"), freeSeat("S0-R1-3"), freeSeat("S0-R1-4"), freeSeat("S0-R1-5"))
	good := func() (*boxofficev1.SeatMap, []GatewayPurchase) {
		after := seatMapOf(soldSeat("S0-R1-1", "old", "e/0/1"), soldSeat("S0-R1-2", "o1", "e/0/2"), soldSeat("S0-R1-3", "o1", "e/0/3"),
			freeSeat("S0-R1-4"), freeSeat("S0-R1-5"))
		return after, []GatewayPurchase{{OrderID: "o1", HoldID: "h1", Seats: []string{"S0-R1-2", "S0-R1-3"},
			Tickets: []GatewayTicket{{TicketID: "e~0~2", SeatID: "S0-R1-2"}, {TicketID: "e~0~3", SeatID: "S0-R1-3"}}}}
	}
	after, purchases := good()
	if res := CheckGateway(before, after, purchases, nil, []string{"h9"}); !res.OK || res.SeatsSoldByRun != 2 || res.TicketsIssued != 2 {
		t.Fatalf("consistent run: %+v", res)
	}

	for _, bug := range []struct {
		name, want string
		plant      func(after *boxofficev1.SeatMap, purchases []GatewayPurchase) []GatewayPurchase
		released   []string
		uncertain  []string
	}{
		{"seat in two paid orders", "in two paid orders", func(after *boxofficev1.SeatMap, p []GatewayPurchase) []GatewayPurchase {
			return append(p, GatewayPurchase{OrderID: "o2", Seats: []string{"S0-R1-3"}, Tickets: []GatewayTicket{{TicketID: "e~0~3", SeatID: "S0-R1-3"}}})
		}, nil, nil},
		{"paid seat not sold", "not sold to them", func(after *boxofficev1.SeatMap, p []GatewayPurchase) []GatewayPurchase {
			after.Sections[0].Rows[0].Seats[2] = freeSeat("S0-R1-3")
			return p
		}, nil, nil},
		{"sale from nowhere", "to no paid order", func(after *boxofficev1.SeatMap, p []GatewayPurchase) []GatewayPurchase {
			after.Sections[0].Rows[0].Seats[3] = soldSeat("S0-R1-4", "ghost", "e/0/4")
			return p
		}, nil, nil},
		{"missing ticket", "ticket mismatches", func(after *boxofficev1.SeatMap, p []GatewayPurchase) []GatewayPurchase {
			p[0].Tickets = p[0].Tickets[:1]
			return p
		}, nil, nil},
		{"ticket of another seat", "ticket mismatches", func(after *boxofficev1.SeatMap, p []GatewayPurchase) []GatewayPurchase {
			p[0].Tickets[1].TicketID = "e~0~9"
			return p
		}, nil, nil},
		{"released hold still held", "held by released holds", func(after *boxofficev1.SeatMap, p []GatewayPurchase) []GatewayPurchase {
			after.Sections[0].Rows[0].Seats[4] = &boxofficev1.Seat{SeatId: "S0-R1-5", State: boxofficev1.SeatState_SEAT_STATE_HELD, HoldId: "h9"}
			return p
		}, []string{"h9"}, nil},
	} {
		after, purchases := good()
		purchases = bug.plant(after, purchases)
		res := CheckGateway(before, after, purchases, bug.uncertain, bug.released)
		if res.OK || !strings.Contains(res.Detail, bug.want) {
			t.Errorf("%s: want a problem %q, got %s", bug.name, bug.want, res.Detail)
		}
	}

	// A sale to an order whose payment outcome is unknown is not a problem.
	after, purchases = good()
	after.Sections[0].Rows[0].Seats[3] = soldSeat("S0-R1-4", "o3", "e/0/4")
	if res := CheckGateway(before, after, purchases, []string{"o3"}, nil); !res.OK {
		t.Errorf("sale to an uncertain order: %s", res.Detail)
	}
}

func TestParseMetrics(t *testing.T) {
	page := `# HELP boxoffice_gateway_requests_total HTTP requests by route and status code.
# TYPE boxoffice_gateway_requests_total counter
boxoffice_gateway_requests_total{code="201",route="POST /v1/events/{event}/holds"} 7
boxoffice_gateway_requests_total{code="200",route="say \"hi\", {x}"} 2
boxoffice_api_operations_total{method="Hold",outcome="OK"} 1.5e+01
go_goroutines 12
`
	got := map[string]float64{}
	err := parseMetrics(strings.NewReader(page), func(name string, labels map[string]string, v float64) {
		got[name+"|"+labels["route"]+labels["method"]] = v
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"boxoffice_gateway_requests_total|POST /v1/events/{event}/holds": 7,
		`boxoffice_gateway_requests_total|say "hi", {x}`:                 2,
		"boxoffice_api_operations_total|Hold":                            15,
		"go_goroutines|":                                                 12,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestRunGatewayInProcess runs the gateway workload for a few seconds
// against a real gateway (in-memory records, fake payments, default rate
// limits) over a real one-node cluster, with a waiting room, on a fresh
// event it creates: fans must buy, and the invariant check must pass.
func TestRunGatewayInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node; skipped with -short")
	}
	inv := node.NewTestCluster(t, 1).Client()
	_, key, _ := ed25519.GenerateKey(nil)
	g, err := checkout.New(checkout.Config{Inventory: inv, Store: memstore.New(), Payments: checkout.NewFakePayments("whsec_bench"),
		JWTSecret: []byte("0123456789abcdef0123456789abcdef-bench"), TicketKey: key, DemoMode: true, Logger: slog.New(slog.DiscardHandler),
		RecordKeys: checkout.NewKeyRing([]byte("record-key-0123456789abcdef-bench!!")), ScanSecret: []byte("scan-secret-0123456789abcdef-bench!")})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := RunGateway(ctx, GatewayConfig{BaseURL: srv.URL, Sections: 4, Rows: 5, SeatsPerRow: 10, Clients: 4,
		DurationLimit: 3 * time.Second, AbandonRatio: 0.3, SpreadSourceAddrs: true, WaitingRoomAdmitPerSecond: 1000}, inv, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d purchases (%.1f/s), %d abandoned, errors %v, retries %v; %s", res.Purchases, res.PurchasesPerS, res.Abandoned, res.Errors, res.Retries, res.Check.Detail)
	if res.Purchases == 0 || res.Step("tickets").Count == 0 || res.Step("queue").Count == 0 {
		t.Fatalf("no purchases: %+v", res)
	}
	if !res.WaitingRoom || !res.EventCreated {
		t.Errorf("waiting room %v, event created %v", res.WaitingRoom, res.EventCreated)
	}
	if res.Check == nil || !res.Check.OK || res.Check.SeatsSoldByRun != int(res.SeatsBought) {
		t.Fatalf("check: %+v", res.Check)
	}
	if res.RoundTrips == nil || res.RoundTrips.GatewayRequests["POST /v1/orders"] == 0 {
		t.Errorf("round trips: %+v", res.RoundTrips)
	}
}
