package checkout_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
)

// TestFullFlowAcrossTwoGateways is the README's curl walk, with every step
// sent to one of two gateways sharing one store: queue, admission, hold two
// best-available seats, order, pay, tickets, transfer (old QR refused),
// check-in, second scan refused.
func TestFullFlowAcrossTwoGateways(t *testing.T) {
	e := newEnv(t)
	e.event("show")
	a, b := e.gateway(), e.gateway()
	fan := a.login("alice", "fan")
	bob := b.login("bob", "fan")
	organizer := a.login("org", "organizer")
	scanner := b.login("door1", "scanner")

	a.must(200, "PUT", "/v1/events/show/waiting-room", organizer, map[string]any{
		"on_sale_at": e.clock.now().Add(time.Second).Format(time.RFC3339Nano), "admit_per_second": 100})
	q := a.must(200, "POST", "/v1/events/show/waiting-room/join", fan, nil)
	if q["state"] != "before_sale" {
		t.Fatalf("joined: %v", q)
	}
	// Without admission, holds are refused.
	if r := a.do("POST", "/v1/events/show/holds", fan, map[string]any{"best": map[string]any{"quantity": 2}}); r.status != 403 {
		t.Fatalf("hold without admission: %d %s", r.status, r.body)
	}
	e.clock.advance(3 * time.Second)
	st := b.must(200, "GET", "/v1/events/show/waiting-room/me", fan, nil)
	if st["state"] != "admitted" || st["position"].(float64) != 1 {
		t.Fatalf("after the on-sale: %v", st)
	}
	admission := str(st, "admission_token")

	hold := a.must(201, "POST", "/v1/events/show/holds", fan, map[string]any{"best": map[string]any{"quantity": 2, "section_id": "A"}},
		"X-Admission-Token", admission)
	if len(hold["seats"].([]any)) != 2 {
		t.Fatalf("hold: %v", hold)
	}
	order := b.must(201, "POST", "/v1/orders", fan, map[string]any{"hold_id": hold["hold_id"]})
	if order["state"] != "pending" || order["amount_cents"].(float64) != 10000 {
		t.Fatalf("order: %v", order)
	}
	paid := a.must(200, "POST", "/v1/orders/"+str(order, "order_id")+"/fake-pay", fan, map[string]any{"outcome": "succeeded"})
	if paid["state"] != "paid" || len(paid["tickets"].([]any)) != 2 {
		t.Fatalf("paid: %v", paid)
	}
	tickets := b.must(200, "GET", "/v1/tickets", fan, nil)["tickets"].([]any)
	if len(tickets) != 2 {
		t.Fatalf("tickets: %v", tickets)
	}
	t1, t2 := tickets[0].(map[string]any), tickets[1].(map[string]any)
	png := a.do("GET", "/v1/tickets/"+str(t1, "ticket_id")+"/qr.png", fan, nil)
	if png.status != 200 || png.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(string(png.body), "\x89PNG") {
		t.Fatalf("qr png: %d %s", png.status, png.header)
	}
	// Bob cannot see Alice's ticket.
	if r := b.do("GET", "/v1/tickets/"+str(t1, "ticket_id"), bob, nil); r.status != 404 {
		t.Fatalf("bob reading alice's ticket: %d", r.status)
	}

	a.must(200, "POST", "/v1/tickets/"+str(t1, "ticket_id")+"/transfer", fan, map[string]any{"to": "bob"})
	r := b.do("POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(t1), "gate": "north"})
	if r.status != 409 || !strings.Contains(string(r.body), "ticket-revoked") {
		t.Fatalf("old QR after transfer: %d %s", r.status, r.body)
	}
	bobs := a.must(200, "GET", "/v1/tickets", bob, nil)["tickets"].([]any)
	if len(bobs) != 1 || bobs[0].(map[string]any)["owner"] != "bob" {
		t.Fatalf("bob's tickets: %v", bobs)
	}
	rev := b.must(200, "GET", "/v1/events/show/revocations", scanner, nil)
	if len(rev["revoked_qr_ids"].([]any)) != 1 {
		t.Fatalf("revocations: %v", rev)
	}
	a.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(bobs[0].(map[string]any)), "gate": "north"})

	first := b.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(t2), "gate": "north"})
	if first["admitted"] != true {
		t.Fatalf("first scan: %v", first)
	}
	r = a.do("POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(t2), "gate": "south"})
	if r.status != 409 || r.json(t)["first_gate"] != "north" {
		t.Fatalf("second scan: %d %s", r.status, r.body)
	}
	// A forged QR is refused.
	signed := str(t2, "qr_payload")
	forged := qrText(map[string]any{"qr_payload": signed[:len(signed)-3] + "AAA", "totp_secret": t2["totp_secret"]})
	if r := a.do("POST", "/v1/checkins", scanner, map[string]any{"qr": forged}); r.status != 400 {
		t.Fatalf("forged QR: %d %s", r.status, r.body)
	}
	// The cluster agrees: both seats sold to this order.
	sm, err := e.cluster.GetSeatMap(context.Background(), &boxofficev1.GetSeatMapRequest{EventId: "show"})
	if err != nil || sm.GetSold() != 2 {
		t.Fatalf("cluster sold %d (%v)", sm.GetSold(), err)
	}
}

// TestPerBuyerLimitUnderConcurrentRequests: one fan on eight "phones" (four
// per gateway) asks for 2 seats each at once; with a limit of 6 exactly
// three holds succeed and the rest get 422.
func TestPerBuyerLimitUnderConcurrentRequests(t *testing.T) {
	e := newEnv(t)
	e.event("limit")
	a, b := e.gateway(), e.gateway()
	tok := a.login("greedy", "fan")
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		g := a
		if i%2 == 1 {
			g = b
		}
		section := []string{"A", "B"}[i%2]
		wg.Go(func() {
			statuses[i] = g.do("POST", "/v1/events/limit/holds", tok, map[string]any{"best": map[string]any{"quantity": 2, "section_id": section}}).status
		})
	}
	wg.Wait()
	won, refused := 0, 0
	for _, s := range statuses {
		switch s {
		case 201:
			won++
		case 422:
			refused++
		default:
			t.Fatalf("unexpected status %d in %v", s, statuses)
		}
	}
	if won != 3 || refused != 5 {
		t.Fatalf("won %d, refused %d (%v); want 3 and 5", won, refused, statuses)
	}
	sm, _ := e.cluster.GetSeatMap(context.Background(), &boxofficev1.GetSeatMapRequest{EventId: "limit", SummaryOnly: true})
	if sm.GetHeld() != 6 {
		t.Fatalf("cluster holds %d seats, want 6", sm.GetHeld())
	}
	// Releasing one hold makes room again.
	holds := a.must(200, "GET", "/v1/holds", tok, nil)["holds"].([]any)
	a.must(200, "POST", "/v1/holds/"+holds[0].(map[string]any)["hold_id"].(string)+"/release", tok, nil)
	a.must(201, "POST", "/v1/events/limit/holds", tok, map[string]any{"best": map[string]any{"quantity": 2}})
}

// TestSeatStreamResumes: the SSE stream reports a hold made after the map
// was read, and a reconnect with Last-Event-ID continues after it.
func TestSeatStreamResumes(t *testing.T) {
	e := newEnv(t)
	e.event("live")
	a := e.gateway()
	fan := a.login("watcher", "fan")
	sm := a.must(200, "GET", "/v1/events/live/seats?section=A", fan, nil)
	if len(sm["sections"].([]any)) != 1 {
		t.Fatalf("seat map: %v", sm)
	}
	seat0 := sm["sections"].([]any)[0].(map[string]any)["rows"].([]any)[0].(map[string]any)["seats"].([]any)[0].(map[string]any)
	if seat0["price_cents"].(float64) != 5000 || seat0["state"] != "available" {
		t.Fatalf("seat: %v", seat0)
	}
	read := func(cursor string, want int) (ids []string, data []string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", a.srv.URL+"/v1/events/live/seats/stream", nil)
		req.Header.Set("Authorization", "Bearer "+fan)
		req.Header.Set("Last-Event-ID", cursor)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		sc := bufio.NewScanner(r.Body)
		for sc.Scan() && len(data) < want {
			line := sc.Text()
			if id, ok := strings.CutPrefix(line, "id: "); ok {
				ids = append(ids, id)
			}
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				data = append(data, d)
			}
		}
		return ids, data
	}
	a.must(201, "POST", "/v1/events/live/holds", fan, map[string]any{"seats": []string{"A-A-1"}})
	ids, data := read(str(sm, "cursor"), 1)
	if len(data) != 1 || !strings.Contains(data[0], `"A-A-1"`) || !strings.Contains(data[0], "held") {
		t.Fatalf("stream: %v", data)
	}
	a.must(201, "POST", "/v1/events/live/holds", fan, map[string]any{"seats": []string{"A-A-2"}})
	_, data = read(ids[0], 1)
	if len(data) != 1 || !strings.Contains(data[0], `"A-A-2"`) {
		t.Fatalf("resumed stream: %v", data)
	}
	_ = fmt.Sprint()
}

// TestQueueStream: a fan's waiting-room stream reports the position before
// the on-sale, the place in line once ranked, and finally the admission
// token, after which the server ends the stream; the token then opens a
// hold. A fan who has not joined is refused before any stream starts.
func TestQueueStream(t *testing.T) {
	e := newEnv(t)
	e.event("queue")
	a := e.gateway(func(c *checkout.Config) { c.QueueStreamInterval = 10 * time.Millisecond })
	organizer := a.login("org", "organizer")
	a.must(200, "PUT", "/v1/events/queue/waiting-room", organizer, map[string]any{
		"on_sale_at": e.clock.now().Add(time.Second).Format(time.RFC3339Nano), "admit_per_second": 0.5})
	var fans []string
	for _, name := range []string{"f1", "f2", "f3"} {
		tok := a.login(name, "fan")
		a.must(200, "POST", "/v1/events/queue/waiting-room/join", tok, nil)
		fans = append(fans, tok)
	}
	if r := a.do("GET", "/v1/events/queue/waiting-room/me/stream", a.login("stranger", "fan"), nil); r.status != 404 {
		t.Fatalf("stream of a fan who never joined: %d %s", r.status, r.body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", a.srv.URL+"/v1/events/queue/waiting-room/me/stream", nil)
	req.Header.Set("Authorization", "Bearer "+fans[2])
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", r.StatusCode, r.Header)
	}
	lines := bufio.NewScanner(r.Body)
	next := func() (map[string]any, bool) {
		t.Helper()
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				var m map[string]any
				if err := decodeJSON([]byte(data), &m); err != nil {
					t.Fatalf("event data %q: %v", data, err)
				}
				return m, true
			}
		}
		return nil, false
	}
	if st, _ := next(); st["state"] != "before_sale" {
		t.Fatalf("first event: %v", st)
	}
	e.clock.advance(1500 * time.Millisecond) // past the on-sale and its seal grace; the first admission is due 2 s after that
	st, _ := next()
	position := st["position"].(float64)
	if st["state"] != "waiting" || position < 1 || position > 3 || st["admitted_count"].(float64) != 0 {
		t.Fatalf("once ranked: %v", st)
	}
	e.clock.advance(10 * time.Second) // everyone is admitted
	for st["state"] == "waiting" {
		if st, _ = next(); st == nil {
			t.Fatal("the stream ended before admitting")
		}
	}
	if st["state"] != "admitted" || str(st, "admission_token") == "" || st["admitted_count"].(float64) < position {
		t.Fatalf("last event: %v", st)
	}
	if extra, more := next(); more {
		t.Fatalf("an event after the admission: %v", extra)
	}
	a.must(201, "POST", "/v1/events/queue/holds", fans[2], map[string]any{"best": map[string]any{"quantity": 1}},
		"X-Admission-Token", str(st, "admission_token"))
}
