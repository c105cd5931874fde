package checkout_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
)

// TestCheckedInTicketReadsCheckedIn: a ticket the door admitted reads as
// checked_in with checked_in_at, in the ticket and in the fan's list; an
// unused ticket of the same order still reads valid.
func TestCheckedInTicketReadsCheckedIn(t *testing.T) {
	e := newEnv(t)
	e.event("door")
	g := e.gateway()
	fan, scanner := g.login("carol", "fan"), g.login("door", "scanner")
	_, tickets := buy(t, g, fan, "door", 2)
	used, unused := tickets[0], tickets[1]
	g.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(used), "gate": "north"})

	got := g.must(200, "GET", "/v1/tickets/"+str(used, "ticket_id"), fan, nil)
	if got["state"] != "checked_in" || got["checked_in_at"] == nil {
		t.Fatalf("admitted ticket reads state %v, checked_in_at %v; want checked_in with a time", got["state"], got["checked_in_at"])
	}
	if got := g.must(200, "GET", "/v1/tickets/"+str(unused, "ticket_id"), fan, nil); got["state"] != "valid" || got["checked_in_at"] != nil {
		t.Fatalf("unused ticket reads state %v, checked_in_at %v; want valid", got["state"], got["checked_in_at"])
	}
	states := map[string]any{}
	for _, tk := range g.must(200, "GET", "/v1/tickets", fan, nil)["tickets"].([]any) {
		tk := tk.(map[string]any)
		states[str(tk, "ticket_id")] = tk["state"]
	}
	if states[str(used, "ticket_id")] != "checked_in" || states[str(unused, "ticket_id")] != "valid" {
		t.Fatalf("ticket list states %v, want the admitted one checked_in and the other valid", states)
	}
}

// TestTicketIDMapsBetweenClusterAndGateway: the ticket id the cluster's
// Sell recorded for a seat maps to the gateway's id of the same ticket and
// back, and the gateway serves the ticket under the mapped id.
func TestTicketIDMapsBetweenClusterAndGateway(t *testing.T) {
	e := newEnv(t)
	e.event("ids")
	g := e.gateway()
	fan := g.login("dave", "fan")
	_, tickets := buy(t, g, fan, "ids", 1)
	gatewayID, seatID := str(tickets[0], "ticket_id"), str(tickets[0], "seat_id")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seatMap, err := e.cluster.GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "ids", View: boxofficev1.SeatMapView_SEAT_MAP_VIEW_FULL})
	if err != nil {
		t.Fatal(err)
	}
	var clusterID string
	for _, section := range seatMap.GetSections() {
		for _, row := range section.GetRows() {
			for _, seat := range row.GetSeats() {
				if seat.GetSeatId() == seatID {
					clusterID = seat.GetTicketId()
				}
			}
		}
	}
	if clusterID == "" {
		t.Fatalf("the cluster has no ticket id for seat %s", seatID)
	}
	if got := checkout.GatewayTicketID(clusterID); got != gatewayID {
		t.Fatalf("GatewayTicketID(%q) = %q, the gateway calls the ticket %q", clusterID, got, gatewayID)
	}
	if got := checkout.ClusterTicketID(gatewayID); got != clusterID {
		t.Fatalf("ClusterTicketID(%q) = %q, the cluster calls the ticket %q", gatewayID, got, clusterID)
	}
	if got := g.must(200, "GET", "/v1/tickets/"+checkout.GatewayTicketID(clusterID), fan, nil); str(got, "seat_id") != seatID {
		t.Fatalf("ticket %s reads seat %v, want %s", gatewayID, got["seat_id"], seatID)
	}
}

// TestProblemLeakCatchesInternalText: the scan every gw.do runs catches a
// problem that shows a cluster package prefix or a Go type, and passes a
// clean one.
func TestProblemLeakCatchesInternalText(t *testing.T) {
	problem := func(detail string) resp {
		body, _ := json.Marshal(map[string]any{"type": "https://boxoffice.dev/problems/not-found", "title": "not found", "status": 404, "detail": detail})
		return resp{404, http.Header{"Content-Type": {"application/problem+json"}}, body}
	}
	for _, leaky := range []string{
		`not found: fsm: not found: hold "h1" in event "e1" shard 0`,
		"json: cannot unmarshal string into Go struct field .best.quantity of type uint32",
		"rpc error: code = Unavailable desc = connection error",
	} {
		if problemLeak(problem(leaky)) == "" {
			t.Errorf("the scan passed %q", leaky)
		}
	}
	if leak := problemLeak(problem(`hold "h1" not found in event "e1"`)); leak != "" {
		t.Errorf("the scan refused a clean detail: %s", leak)
	}
}

// TestTakenSeatIsNamed: a hold of a seat someone else holds is refused
// with a problem that names the seat, in its detail and in seat_ids.
func TestTakenSeatIsNamed(t *testing.T) {
	e := newEnv(t)
	e.event("taken")
	g := e.gateway()
	first := g.must(201, "POST", "/v1/events/taken/holds", g.login("erin", "fan"), map[string]any{"best": map[string]any{"quantity": 1}})
	seat := first["seats"].([]any)[0].(string)
	r := g.do("POST", "/v1/events/taken/holds", g.login("frank", "fan"), map[string]any{"seats": []string{seat}})
	if r.status != 409 {
		t.Fatalf("hold of a held seat: %d %s, want 409", r.status, r.body)
	}
	p := r.json(t)
	ids, _ := p["seat_ids"].([]any)
	if len(ids) != 1 || ids[0] != seat || !strings.Contains(str(p, "detail"), seat) {
		t.Fatalf("problem %s does not name seat %s in detail and seat_ids", r.body, seat)
	}
}
