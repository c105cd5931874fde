package checkout_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
)

// buy holds qty best-available seats of event for fan, orders and pays
// them, and returns the order and the fan's tickets of it.
func buy(t *testing.T, g *gw, fan, event string, qty int) (map[string]any, []map[string]any) {
	t.Helper()
	hold := g.must(201, "POST", "/v1/events/"+event+"/holds", fan, map[string]any{"best": map[string]any{"quantity": qty}})
	order := g.must(201, "POST", "/v1/orders", fan, map[string]any{"hold_id": hold["hold_id"]})
	g.must(200, "POST", "/v1/orders/"+str(order, "order_id")+"/fake-pay", fan, nil)
	var out []map[string]any
	for _, ticket := range g.must(200, "GET", "/v1/tickets", fan, nil)["tickets"].([]any) {
		if tm := ticket.(map[string]any); tm["order_id"] == order["order_id"] {
			out = append(out, tm)
		}
	}
	if len(out) != qty {
		t.Fatalf("bought %d tickets, want %d", len(out), qty)
	}
	return order, out
}

// problemType is the slug of a problem response's type.
func problemType(t *testing.T, r resp) string {
	t.Helper()
	return strings.TrimPrefix(str(r.json(t), "type"), "https://boxoffice.dev/problems/")
}

// metric returns the value of one sample line of the gateway's /metrics.
func (g *gw) metric(t *testing.T, sample string) string {
	t.Helper()
	r := g.do("GET", "/metrics", "", nil)
	for _, line := range strings.Split(string(r.body), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return v
		}
	}
	return ""
}

// offlineKeys is what an offline scanner of event downloads before the
// doors open: every accepted signing key and the event's scan key.
func offlineKeys(t *testing.T, g *gw, scanner, event string) checkout.QRKeys {
	t.Helper()
	keys := checkout.QRKeys{Public: map[string]ed25519.PublicKey{}, ScanKeys: map[string][]byte{}}
	for kid, enc := range g.must(200, "GET", "/v1/tickets/public-key", scanner, nil)["keys"].(map[string]any) {
		pub, err := base64.RawURLEncoding.DecodeString(enc.(string))
		if err != nil {
			t.Fatal(err)
		}
		keys.Public[kid] = pub
	}
	sk, err := base64.RawURLEncoding.DecodeString(str(g.must(200, "GET", "/v1/events/"+event+"/scan-key", scanner, nil), "scan_key"))
	if err != nil {
		t.Fatal(err)
	}
	keys.ScanKeys[event] = sk
	return keys
}

// offlineGate verifies a scanned text the way an offline scanner does.
func offlineGate(text string, now time.Time, keys checkout.QRKeys, list *checkout.RevocationList) error {
	payload, code, err := checkout.SplitQRText(text)
	if err != nil {
		return err
	}
	p, err := checkout.VerifyQR(payload, code, now, keys)
	if err != nil {
		return err
	}
	return list.Check(p)
}

// syncFeed pulls the revocation feed from cursor into list and returns the
// next cursor and the entries it got.
func syncFeed(t *testing.T, g *gw, scanner, event, cursor string, list *checkout.RevocationList) (string, []checkout.RevocationEntry) {
	t.Helper()
	r := g.do("GET", "/v1/events/"+event+"/revocations?cursor="+cursor, scanner, nil)
	if r.status != 200 {
		t.Fatalf("revocations: %d %s", r.status, r.body)
	}
	var feed struct {
		Entries    []checkout.RevocationEntry `json:"entries"`
		NextCursor string                     `json:"next_cursor"`
	}
	if err := json.Unmarshal(r.body, &feed); err != nil {
		t.Fatal(err)
	}
	list.Add(feed.Entries...)
	return feed.NextCursor, feed.Entries
}

// TestForgedTicketRecordRefused is the Records attack: whoever can write
// the store (any client of the cluster's Records service) writes a ticket
// record and a fan index entry for a seat they never bought, or rewrites a
// used ticket to look unused. The gateway signs no QR for such a record,
// shows no such ticket, admits no scan of it, and says why (409
// record-untrusted), counting each refusal; the forged records stay as
// they were written (the gateway never rewrites them into valid ones).
func TestForgedTicketRecordRefused(t *testing.T) {
	e := newEnv(t)
	e.event("forge")
	a := e.gateway()
	alice, mallory := a.login("alice", "fan"), a.login("mallory", "fan")
	scanner := a.login("door", "scanner")
	_, tickets := buy(t, a, alice, "forge", 1)
	ticket := tickets[0]
	id := str(ticket, "ticket_id")
	ctx := context.Background()

	// 1. A new ticket for mallory, in the record format the gateway uses
	// (JSON without a seal, as code before sealing wrote it).
	forged := map[string]any{"ticket_id": "forge~1~99", "event_id": "forge", "seat_id": "A-A-9", "order_id": "ord_x",
		"owner": "mallory", "generation": 0, "qr_id": "qr_x", "state": "valid", "issued_at": time.Now()}
	raw, _ := json.Marshal(forged)
	for key, value := range map[string][]byte{"ticket/{t:forge~1}~99": raw, "fanticket/{f:mallory}/forge~1~99": []byte("mallory")} {
		if _, err := e.store.CompareAndSwap(ctx, key, 0, value); err != nil {
			t.Fatal(err)
		}
	}
	if got := a.must(200, "GET", "/v1/tickets", mallory, nil)["tickets"].([]any); len(got) != 0 {
		t.Fatalf("mallory's forged ticket is listed: %v", got)
	}
	for _, path := range []string{"/v1/tickets/forge~1~99", "/v1/tickets/forge~1~99/qr.png"} {
		r := a.do("GET", path, mallory, nil)
		if r.status != 409 || problemType(t, r) != "record-untrusted" || strings.Contains(string(r.body), "qr_payload") {
			t.Fatalf("GET %s of a forged ticket: %d %s", path, r.status, r.body)
		}
	}

	// 2. Alice's ticket, used at the door, rewritten as unused and moved to
	// mallory (the record copied, then edited: its seal no longer matches).
	a.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(ticket), "gate": "north"})
	sealed, version, err := e.store.Get(ctx, ticketStoreKey(id))
	if err != nil {
		t.Fatal(err)
	}
	body := sealedBody(sealed)
	var rec map[string]any
	if err := json.Unmarshal(body, &rec); err != nil {
		t.Fatalf("stored ticket: %v (%s)", err, sealed)
	}
	delete(rec, "check_in")
	rec["owner"] = "mallory"
	edited, _ := json.Marshal(rec)
	tampered := append(append([]byte{}, sealed[:len(sealed)-len(body)]...), edited...)
	if _, err := e.store.CompareAndSwap(ctx, ticketStoreKey(id), version, tampered); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.CompareAndSwap(ctx, "fanticket/{f:mallory}/"+id, 0, []byte("mallory")); err != nil {
		t.Fatal(err)
	}
	if got := a.must(200, "GET", "/v1/tickets", mallory, nil)["tickets"].([]any); len(got) != 0 {
		t.Fatalf("mallory lists alice's ticket: %v", got)
	}
	r := a.do("POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(ticket), "gate": "south"})
	if r.status != 409 || problemType(t, r) != "record-untrusted" {
		t.Fatalf("scan of a ticket whose record was rewritten: %d %s", r.status, r.body)
	}
	if r := a.do("POST", "/v1/tickets/"+id+"/transfer", mallory, map[string]any{"to": "alice"}); r.status != 409 || problemType(t, r) != "record-untrusted" {
		t.Fatalf("transfer of a rewritten ticket: %d %s", r.status, r.body)
	}
	if now, _, _ := e.store.Get(ctx, ticketStoreKey(id)); string(now) != string(tampered) {
		t.Fatalf("the gateway rewrote the tampered record: %s", now)
	}
	if got := a.metric(t, `boxoffice_gateway_untrusted_records_total{prefix="ticket"}`); got == "" || got == "0" {
		t.Fatalf("untrusted ticket records counted: %q", got)
	}
	if got := a.metric(t, `boxoffice_gateway_checkins_total{result="untrusted"}`); got != "1" {
		t.Fatalf("untrusted scans counted: %q", got)
	}

	// 3. An order forged as paid is not shown and not refunded.
	const forgedOrder = "ord_000000000000000000000000.mallory"
	order, _ := json.Marshal(map[string]any{"order_id": forgedOrder, "event_id": "forge", "fan": "mallory", "state": "paid",
		"amount_cents": 5000, "currency": "usd", "intent_id": "pi_x"})
	if _, err := e.store.CompareAndSwap(ctx, "order/{f:mallory}/"+forgedOrder, 0, order); err != nil {
		t.Fatal(err)
	}
	for _, req := range [][2]string{{"GET", "/v1/orders/" + forgedOrder}, {"POST", "/v1/orders/" + forgedOrder + "/refund"}} {
		if r := a.do(req[0], req[1], mallory, nil); r.status != 409 || problemType(t, r) != "record-untrusted" {
			t.Fatalf("%s of a forged order: %d %s", req[1], r.status, r.body)
		}
	}
}

// TestRecordKeyRotation: a gateway whose ring has a new current key and the
// old one still reads records sealed with the old key, and seals what it
// writes with the new one; a gateway of another deployment (another key)
// refuses them all.
func TestRecordKeyRotation(t *testing.T) {
	e := newEnv(t)
	e.event("rotate")
	old := e.gateway()
	fan := old.login("fan1", "fan")
	_, tickets := buy(t, old, fan, "rotate", 2)
	newKey := []byte("the-next-record-key-0123456789abcdef")
	rotated := e.gateway(func(c *checkout.Config) { c.RecordKeys = checkout.NewKeyRing(newKey, testRecordKey) })
	stranger := e.gateway(func(c *checkout.Config) {
		c.RecordKeys = checkout.NewKeyRing([]byte("another-deployment-0123456789abcdef"))
	})

	if got := rotated.must(200, "GET", "/v1/tickets", fan, nil)["tickets"].([]any); len(got) != 2 {
		t.Fatalf("after rotation: %d tickets, want 2", len(got))
	}
	rotated.login("friend", "fan")
	rotated.must(200, "POST", "/v1/tickets/"+str(tickets[0], "ticket_id")+"/transfer", fan, map[string]any{"to": "friend"})
	raw, _, err := e.store.Get(context.Background(), ticketStoreKey(str(tickets[0], "ticket_id")))
	if err != nil || !strings.HasPrefix(string(raw), checkout.RecordKeyID(newKey)+".") {
		t.Fatalf("a record written after rotation is sealed with %q, want the new key %s", raw[:min(len(raw), 20)], checkout.RecordKeyID(newKey))
	}
	if r := stranger.do("GET", "/v1/tickets/"+str(tickets[1], "ticket_id"), fan, nil); r.status != 409 || problemType(t, r) != "record-untrusted" {
		t.Fatalf("another deployment's gateway read a ticket: %d %s", r.status, r.body)
	}
}

// TestScreenshotQRRefused: a QR shown in the app more than a step of skew
// ago (a screenshot, a photo, a copy sent to a friend) is refused at online
// check-in and by the offline check, and nothing is recorded; the code the
// app shows now is accepted, as is one from the previous step.
func TestScreenshotQRRefused(t *testing.T) {
	e := newEnv(t)
	e.event("shot")
	a := e.gateway()
	fan, scanner := a.login("fan1", "fan"), a.login("door", "scanner")
	_, tickets := buy(t, a, fan, "shot", 1)
	ticket := tickets[0]
	if str(ticket, "totp_secret") == "" || ticket["totp_period_seconds"].(float64) != 15 || !strings.HasPrefix(str(ticket, "qr_text"), str(ticket, "qr_payload")+".") {
		t.Fatalf("the owner's ticket view: %v", ticket)
	}
	keys := offlineKeys(t, a, scanner, "shot")
	shownAt := e.clock.now()
	screenshot := qrTextAt(ticket, shownAt)
	var list checkout.RevocationList

	// Within the skew: accepted offline (not scanned online yet).
	if err := offlineGate(screenshot, shownAt.Add(checkout.QRCodePeriod), keys, &list); err != nil {
		t.Fatalf("a code one step old, offline: %v", err)
	}
	e.clock.advance(45 * time.Second)
	if err := offlineGate(screenshot, e.clock.now(), keys, &list); !errors.Is(err, checkout.ErrQRCodeInvalid) {
		t.Fatalf("a 45 s old screenshot, offline: %v, want ErrQRCodeInvalid", err)
	}
	r := a.do("POST", "/v1/checkins", scanner, map[string]any{"qr": screenshot, "gate": "north"})
	if r.status != 400 || problemType(t, r) != "qr-code-invalid" {
		t.Fatalf("a 45 s old screenshot, online: %d %s", r.status, r.body)
	}
	if got := a.must(200, "GET", "/v1/tickets/"+str(ticket, "ticket_id"), fan, nil); got["checked_in_at"] != nil {
		t.Fatalf("the refused screenshot checked the ticket in: %v", got)
	}
	// A code for another ticket, or a made-up one, is refused too.
	if err := offlineGate(str(ticket, "qr_payload")+".000000", e.clock.now(), keys, &list); !errors.Is(err, checkout.ErrQRCodeInvalid) {
		t.Fatalf("a made-up code, offline: %v", err)
	}
	// The app's code now (from the secret it holds) gets in.
	fresh := qrTextAt(ticket, e.clock.now())
	if err := offlineGate(fresh, e.clock.now(), keys, &list); err != nil {
		t.Fatalf("the current code, offline: %v", err)
	}
	a.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": fresh, "gate": "north"})
	// What the server renders is current as well.
	if got := a.must(200, "GET", "/v1/tickets/"+str(ticket, "ticket_id"), fan, nil); str(got, "qr_text") != qrTextAt(got, e.clock.now()) && str(got, "qr_text") != qrTextAt(got, e.clock.now().Add(-checkout.QRCodePeriod)) {
		t.Fatalf("served qr_text %q is not the current code", str(got, "qr_text"))
	}
	// Only the owner gets the secret: an admin reading the ticket does not.
	admin := a.login("root", "admin")
	if got := a.must(200, "GET", "/v1/tickets/"+str(ticket, "ticket_id"), admin, nil); got["totp_secret"] != nil || got["qr_payload"] != nil {
		t.Fatalf("an admin got the ticket's QR material: %v", got)
	}
}

// qrTextAt is the QR text the app shows at t.
func qrTextAt(ticket map[string]any, t time.Time) string {
	code, err := checkout.QRCode(str(ticket, "totp_secret"), t)
	if err != nil {
		panic(err)
	}
	return str(ticket, "qr_payload") + "." + code
}

// TestCheckInReachesOfflineGates: a ticket admitted at one gate is in the
// revocation feed, so a second gate that synced refuses a copy of it
// offline (even with a fresh code); a transfer puts the old QR in the feed.
// The feed pages with a cursor and returns only what is new, repeating
// entries younger than its settle time at most.
func TestCheckInReachesOfflineGates(t *testing.T) {
	e := newEnv(t)
	e.event("gates")
	a := e.gateway()
	fan, scanner := a.login("fan1", "fan"), a.login("door", "scanner")
	a.login("friend", "fan")
	_, tickets := buy(t, a, fan, "gates", 2)
	keys := offlineKeys(t, a, scanner, "gates")
	var gate2 checkout.RevocationList
	cursor, entries := syncFeed(t, a, scanner, "gates", "", &gate2)
	if len(entries) != 0 || cursor == "" {
		t.Fatalf("an empty feed: %v, cursor %q", entries, cursor)
	}

	used := tickets[0]
	a.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrTextAt(used, e.clock.now()), "gate": "north"})
	moved := tickets[1]
	a.must(200, "POST", "/v1/tickets/"+str(moved, "ticket_id")+"/transfer", fan, map[string]any{"to": "friend"})

	// Before syncing, gate 2 would admit a copy of the used ticket.
	copyOfUsed := qrTextAt(used, e.clock.now())
	if err := offlineGate(copyOfUsed, e.clock.now(), keys, &gate2); err != nil {
		t.Fatalf("gate 2 before syncing: %v", err)
	}
	cursor, entries = syncFeed(t, a, scanner, "gates", cursor, &gate2)
	if len(entries) != 2 || entries[0].Kind != checkout.RevokedCheckedIn || entries[0].TicketID != str(used, "ticket_id") ||
		entries[1].Kind != checkout.RevokedTransferred || entries[1].QRID != str(moved, "qr_id") {
		t.Fatalf("feed after a check-in and a transfer: %+v", entries)
	}
	if err := offlineGate(copyOfUsed, e.clock.now(), keys, &gate2); !errors.Is(err, checkout.ErrAlreadyCheckedIn) {
		t.Fatalf("gate 2, a copy of a ticket admitted at gate 1: %v, want ErrAlreadyCheckedIn", err)
	}
	if err := offlineGate(qrTextAt(moved, e.clock.now()), e.clock.now(), keys, &gate2); !errors.Is(err, checkout.ErrTicketRevoked) {
		t.Fatalf("gate 2, the QR a transfer replaced: %v, want ErrTicketRevoked", err)
	}
	// The recipient's new QR passes gate 2.
	recipient := a.must(200, "GET", "/v1/tickets/"+str(moved, "ticket_id"), a.login("friend", "fan"), nil)
	if err := offlineGate(qrTextAt(recipient, e.clock.now()), e.clock.now(), keys, &gate2); err != nil {
		t.Fatalf("gate 2, the recipient's QR: %v", err)
	}
	// Incremental: once settled, the entries are not sent again.
	e.clock.advance(time.Minute)
	cursor, _ = syncFeed(t, a, scanner, "gates", cursor, &gate2)
	if _, again := syncFeed(t, a, scanner, "gates", cursor, &gate2); len(again) != 0 {
		t.Fatalf("settled entries sent again: %+v", again)
	}
}

// TestRefundPolicy: a refund is refused once a ticket of the order was
// checked in, and once one was transferred (the recipient's ticket stays
// valid and admits); an event can close refunds or close them at a time.
// A refused refund changes nothing: the order stays paid, no money moves,
// the seats stay sold.
func TestRefundPolicy(t *testing.T) {
	e := newEnv(t)
	e.event("policy")
	a := e.gateway()
	fan, scanner, organizer := a.login("fan1", "fan"), a.login("door", "scanner"), a.login("org", "organizer")
	bob := a.login("bob", "fan")

	refuse := func(order map[string]any, wantType string) {
		t.Helper()
		r := a.do("POST", "/v1/orders/"+str(order, "order_id")+"/refund", fan, nil)
		if r.status != 409 || problemType(t, r) != wantType {
			t.Fatalf("refund: %d %s, want 409 %s", r.status, r.body, wantType)
		}
		if got := a.must(200, "GET", "/v1/orders/"+str(order, "order_id"), fan, nil); got["state"] != "paid" {
			t.Fatalf("order after a refused refund: %v", got["state"])
		}
		if e.fake().Refunded(str(order["payment"].(map[string]any), "intent_id")) {
			t.Fatal("a refused refund moved money")
		}
	}

	used, tickets := buy(t, a, fan, "policy", 2)
	a.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(tickets[1]), "gate": "north"})
	refuse(used, "refund-after-check-in")

	given, tickets := buy(t, a, fan, "policy", 1)
	a.must(200, "POST", "/v1/tickets/"+str(tickets[0], "ticket_id")+"/transfer", fan, map[string]any{"to": "bob"})
	refuse(given, "refund-after-transfer")
	bobs := a.must(200, "GET", "/v1/tickets/"+str(tickets[0], "ticket_id"), bob, nil)
	if bobs["state"] != "valid" || bobs["owner"] != "bob" {
		t.Fatalf("bob's ticket after alice's refused refund: %v", bobs)
	}
	a.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(bobs), "gate": "north"})
	sm, err := e.cluster.GetSeatMap(context.Background(), &boxofficev1.GetSeatMapRequest{EventId: "policy", SummaryOnly: true})
	if err != nil || sm.GetSold() != 3 {
		t.Fatalf("sold %d seats (%v), want 3", sm.GetSold(), err)
	}

	// Policies: only an organizer sets one; bad ones name the field.
	if r := a.do("PUT", "/v1/events/policy/refund-policy", fan, map[string]any{"refunds": "never"}); r.status != 403 {
		t.Fatalf("a fan set the refund policy: %d %s", r.status, r.body)
	}
	if r := a.do("PUT", "/v1/events/policy/refund-policy", organizer, map[string]any{"refunds": "until"}); r.status != 400 || r.json(t)["field"] != "until" {
		t.Fatalf("policy without its time: %d %s", r.status, r.body)
	}
	a.must(200, "PUT", "/v1/events/policy/refund-policy", organizer, map[string]any{"refunds": "never"})
	closed, _ := buy(t, a, fan, "policy", 1)
	refuse(closed, "refund-closed")
	a.must(200, "PUT", "/v1/events/policy/refund-policy", organizer, map[string]any{"refunds": "until", "until": e.clock.now().Add(time.Hour)})
	if got := a.must(200, "POST", "/v1/orders/"+str(closed, "order_id")+"/refund", fan, nil); got["state"] != "refunded" {
		t.Fatalf("refund before the policy's time: %v", got)
	}
	late, _ := buy(t, a, fan, "policy", 1)
	e.clock.advance(2 * time.Hour)
	refuse(late, "refund-closed")
}

// TestTransferToUnknownFanRefused: a ticket goes only to a fan who has
// signed in; an unknown id is refused with a problem naming the field, and
// the ticket stays the sender's with the same QR.
func TestTransferToUnknownFanRefused(t *testing.T) {
	e := newEnv(t)
	e.event("xfer")
	a := e.gateway()
	fan := a.login("fan1", "fan")
	_, tickets := buy(t, a, fan, "xfer", 1)
	id := str(tickets[0], "ticket_id")
	r := a.do("POST", "/v1/tickets/"+id+"/transfer", fan, map[string]any{"to": "nobody"})
	if r.status != 422 || problemType(t, r) != "unknown-fan" || r.json(t)["field"] != "to" {
		t.Fatalf("transfer to an unknown fan: %d %s", r.status, r.body)
	}
	if got := a.must(200, "GET", "/v1/tickets/"+id, fan, nil); got["owner"] != "fan1" || got["qr_id"] != tickets[0]["qr_id"] {
		t.Fatalf("ticket after a refused transfer: %v", got)
	}
	// A fan who has sent one request (seen by any gateway) is known.
	other := e.gateway()
	newcomer, err := other.g.IssueToken(checkout.BearerToken{Subject: "newcomer", Role: checkout.RoleFan, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	other.must(200, "GET", "/v1/tickets", newcomer, nil)
	a.must(200, "POST", "/v1/tickets/"+id+"/transfer", fan, map[string]any{"to": "newcomer"})
}

// TestSigningKeyRotation: after the QR signing key is replaced, QRs signed
// with the old key still verify while its public key is listed as older;
// new QRs name the new key; the public-key endpoint lists both; a gateway
// that dropped the old key refuses its QRs.
func TestSigningKeyRotation(t *testing.T) {
	e := newEnv(t)
	e.event("kid")
	before := e.gateway()
	fan, scanner := before.login("fan1", "fan"), before.login("door", "scanner")
	_, tickets := buy(t, before, fan, "kid", 2)
	oldPub := e.key.Public().(ed25519.PublicKey)
	_, newKey, _ := ed25519.GenerateKey(nil)
	after := e.gateway(func(c *checkout.Config) { c.TicketKey, c.TicketKeysOlder = newKey, []ed25519.PublicKey{oldPub} })
	dropped := e.gateway(func(c *checkout.Config) { c.TicketKey = newKey })

	oldQR := qrText(tickets[0])
	if r := dropped.do("POST", "/v1/checkins", scanner, map[string]any{"qr": oldQR}); r.status != 400 || problemType(t, r) != "bad-signature" {
		t.Fatalf("old-key QR without the old key: %d %s", r.status, r.body)
	}
	after.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": oldQR})

	keys := after.must(200, "GET", "/v1/tickets/public-key", scanner, nil)
	newID, oldID := checkout.TicketKeyID(newKey.Public().(ed25519.PublicKey)), checkout.TicketKeyID(oldPub)
	listed := keys["keys"].(map[string]any)
	if keys["current_key_id"] != newID || len(listed) != 2 || listed[newID] == nil || listed[oldID] == nil {
		t.Fatalf("public keys after rotation: %v", keys)
	}
	reissued := after.must(200, "GET", "/v1/tickets/"+str(tickets[1], "ticket_id"), fan, nil)
	payload, _, _ := strings.Cut(str(reissued, "qr_payload"), ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	var p checkout.QRPayload
	if err := json.Unmarshal(raw, &p); err != nil || p.KeyID != newID {
		t.Fatalf("a QR served after rotation names key %q (%v), want %q", p.KeyID, err, newID)
	}
	after.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(reissued)})
}

// hookStore runs before once, just before the first CompareAndSwap whose
// key and value match.
type hookStore struct {
	checkout.Store
	match  func(key string, value []byte) bool
	once   *sync.Once
	before func()
}

func (s hookStore) CompareAndSwap(ctx context.Context, key string, expected uint64, value []byte) (uint64, error) {
	if s.match(key, value) {
		s.once.Do(s.before)
	}
	return s.Store.CompareAndSwap(ctx, key, expected, value)
}

// TestRefundRacingCheckIn: a scan lands between a refund's check of the
// tickets and its revocation of the second one. The refund is abandoned
// before any money moves: 409 refund-after-check-in, the order is paid
// again, the scanned ticket stays admitted, and the ticket the refund had
// already revoked is valid again under a fresh QR (its old QR, which
// offline gates may have synced as refunded, stays refused).
func TestRefundRacingCheckIn(t *testing.T) {
	e := newEnv(t)
	e.event("race2")
	plain := e.gateway()
	fan, scanner := plain.login("fan1", "fan"), plain.login("door", "scanner")
	order, tickets := buy(t, plain, fan, "race2", 2)
	first, second := tickets[0], tickets[1]
	hooked := e.gateway(func(c *checkout.Config) {
		c.Store = hookStore{Store: e.store, once: &sync.Once{},
			match: func(key string, value []byte) bool {
				return key == ticketStoreKey(str(first, "ticket_id")) && strings.Contains(string(value), `"refund_order"`)
			},
			before: func() {
				plain.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(second), "gate": "north"})
			}}
	})
	r := hooked.do("POST", "/v1/orders/"+str(order, "order_id")+"/refund", fan, nil)
	if r.status != 409 || problemType(t, r) != "refund-after-check-in" {
		t.Fatalf("refund racing a scan: %d %s", r.status, r.body)
	}
	if got := plain.must(200, "GET", "/v1/orders/"+str(order, "order_id"), fan, nil); got["state"] != "paid" {
		t.Fatalf("order after the abandoned refund: %v", got["state"])
	}
	if e.fake().Refunded(str(order["payment"].(map[string]any), "intent_id")) {
		t.Fatal("the abandoned refund moved money")
	}
	restored := plain.must(200, "GET", "/v1/tickets/"+str(first, "ticket_id"), fan, nil)
	if restored["state"] != "valid" || restored["qr_id"] == first["qr_id"] {
		t.Fatalf("the ticket the refund revoked: %v (qr id before %v)", restored, first["qr_id"])
	}
	if r := plain.do("POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(first)}); r.status != 409 || problemType(t, r) != "ticket-revoked" {
		t.Fatalf("the revoked QR: %d %s", r.status, r.body)
	}
	plain.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(restored)})
	sm, err := e.cluster.GetSeatMap(context.Background(), &boxofficev1.GetSeatMapRequest{EventId: "race2", SummaryOnly: true})
	if err != nil || sm.GetSold() != 2 {
		t.Fatalf("sold %d seats (%v), want 2", sm.GetSold(), err)
	}
}

// TestVerifyQR is the offline check on its own: signature by an accepted
// key, the code within one step of skew, and each way it refuses.
func TestVerifyQR(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	otherPub, _, _ := ed25519.GenerateKey(nil)
	scanKey := checkout.EventScanKey([]byte("scan-secret-0123456789abcdef-012345678"), "show")
	p := checkout.QRPayload{Version: 2, KeyID: checkout.TicketKeyID(pub), TicketID: "show~0~1", QRID: "qr_1", EventID: "show", SeatID: "A-A-1", Owner: "alice"}
	raw, _ := json.Marshal(p)
	signed := base64.RawURLEncoding.EncodeToString(raw) + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, raw))
	secret := checkout.QRSecret(scanKey, p.QRID)
	shown := time.Unix(1_800_000_000, 0) // the start of a 15 s step
	code, err := checkout.QRCode(secret, shown)
	if err != nil {
		t.Fatal(err)
	}
	keys := checkout.QRKeys{Public: map[string]ed25519.PublicKey{p.KeyID: pub}, ScanKeys: map[string][]byte{"show": scanKey}}
	otherKid := checkout.TicketKeyID(otherPub)
	for _, tc := range []struct {
		name    string
		payload string
		code    string
		at      time.Time
		keys    checkout.QRKeys
		want    error
	}{
		{"current step", signed, code, shown.Add(14 * time.Second), keys, nil},
		{"one step later", signed, code, shown.Add(29 * time.Second), keys, nil},
		{"one step earlier (phone clock ahead)", signed, code, shown.Add(-time.Second), keys, nil},
		{"two steps later: a screenshot", signed, code, shown.Add(30 * time.Second), keys, checkout.ErrQRCodeInvalid},
		{"an hour later", signed, code, shown.Add(time.Hour), keys, checkout.ErrQRCodeInvalid},
		{"wrong code", signed, "123456", shown, keys, checkout.ErrQRCodeInvalid},
		{"no scan key for the event", signed, code, shown, checkout.QRKeys{Public: keys.Public}, checkout.ErrQRCodeInvalid},
		{"signing key not accepted", signed, code, shown, checkout.QRKeys{Public: map[string]ed25519.PublicKey{otherKid: otherPub}, ScanKeys: keys.ScanKeys}, checkout.ErrBadSignature},
		{"key id names another key", signed, code, shown, checkout.QRKeys{Public: map[string]ed25519.PublicKey{p.KeyID: otherPub}, ScanKeys: keys.ScanKeys}, checkout.ErrBadSignature},
		{"payload edited", base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), "alice", "mallo", 1))) + signed[strings.IndexByte(signed, '.'):], code, shown, keys, checkout.ErrBadSignature},
		{"not a QR", "hello", code, shown, keys, checkout.ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := checkout.VerifyQR(tc.payload, tc.code, tc.at, tc.keys)
			if !errors.Is(err, tc.want) || (err == nil && got != p) {
				t.Fatalf("VerifyQR: %+v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if payload, c, err := checkout.SplitQRText(signed + "." + code); err != nil || payload != signed || c != code {
		t.Fatalf("SplitQRText: %q %q %v", payload, c, err)
	}
	if _, _, err := checkout.SplitQRText(signed); !errors.Is(err, checkout.ErrBadSignature) {
		t.Fatalf("SplitQRText without a code: %v", err)
	}
}

// ticketStoreKey is where the gateway keeps ticket id's record: with the
// other tickets of its event shard, ticket/{t:<event>~<shard>}~<n>.
func ticketStoreKey(id string) string {
	i := strings.LastIndexByte(id, '~')
	return "ticket/{t:" + id[:i] + "}~" + id[i+1:]
}
