package checkout_test

import (
	"testing"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// TestOrganizerArchivesEvent: an organizer of an event archives it once no
// hold is active (the cluster's DeleteEvent); while a fan holds seats the
// archive is refused 409 and changes nothing; an organizer of another event
// is refused 403; an archived event sells nothing more, while its tickets
// stay readable.
func TestOrganizerArchivesEvent(t *testing.T) {
	e := newEnv(t)
	e.event("arch_a")
	e.event("arch_b")
	g := e.gateway()
	org := str(g.must(200, "POST", "/v1/dev/login", "", map[string]any{"subject": "org-arch", "role": "organizer", "events": []string{"arch_a"}}), "token")
	fan := g.login("fan-arch", "fan")
	ticket := buyTicket(t, g, fan, "arch_a")

	hold := g.must(201, "POST", "/v1/events/arch_a/holds", fan, map[string]any{"best": map[string]any{"quantity": 2}})
	r := g.do("POST", "/v1/events/arch_a/archive", org, nil)
	refused(t, r, 409, "conflict")
	if reason := r.json(t)["cluster_reason"]; reason != boxofficev1.ReasonEventHasActiveHolds {
		t.Fatalf("archive with a hold: cluster_reason %v, want EVENT_HAS_ACTIVE_HOLDS: %s", reason, r.body)
	}
	if ev := g.must(200, "GET", "/v1/events/arch_a", fan, nil); ev["status"] != "ready" {
		t.Fatalf("a refused archive changed the event: %v", ev)
	}

	refused(t, g.do("POST", "/v1/events/arch_b/archive", org, nil), 403, "event-out-of-scope")
	if ev := g.must(200, "GET", "/v1/events/arch_b", fan, nil); ev["status"] != "ready" {
		t.Fatalf("an organizer of another event archived arch_b: %v", ev)
	}

	g.must(200, "POST", "/v1/holds/"+str(hold, "hold_id")+"/release", fan, nil)
	if ev := g.must(200, "POST", "/v1/events/arch_a/archive", org, nil); ev["status"] != "archived" {
		t.Fatalf("archived event: %v", ev)
	}
	if r := g.do("POST", "/v1/events/arch_a/holds", fan, map[string]any{"best": map[string]any{"quantity": 1}}); r.status < 400 {
		t.Fatalf("a hold on an archived event: %d %s", r.status, r.body)
	}
	if tk := g.must(200, "GET", "/v1/tickets/"+str(ticket, "ticket_id"), fan, nil); tk["ticket_id"] != ticket["ticket_id"] {
		t.Fatalf("the ticket of an archived event: %v", tk)
	}
}
