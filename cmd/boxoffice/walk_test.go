package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// walker sends the requests of checkout/README.md's curl walk.
type walker struct {
	t    *testing.T
	base string
}

// call sends one request (a POST carries the given Idempotency-Key) and
// returns the status and the body.
func (w walker) call(method, path, token, idemKey string, body any, headers ...string) (int, []byte) {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, w.base+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// must is call that insists on a status and a JSON object answer.
func (w walker) must(want int, method, path, token, idemKey string, body any, headers ...string) map[string]any {
	w.t.Helper()
	status, b := w.call(method, path, token, idemKey, body, headers...)
	var m map[string]any
	if status != want || json.Unmarshal(b, &m) != nil {
		w.t.Fatalf("%s %s: %d %s, want %d and a JSON object", method, path, status, b, want)
	}
	return m
}

// startDemo runs `boxoffice demo` with its gateway on a free port and
// returns the gateway's base URL.
func startDemo(t *testing.T) string {
	t.Helper()
	bin := buildBinary(t)
	for attempt := 0; attempt < 5; attempt++ {
		port := demoPort(t)
		demo := exec.Command(bin, "demo", "--grpc-port", fmt.Sprint(port), "--data-dir", t.TempDir(), "--gateway-addr", "127.0.0.1:0")
		stdout, err := demo.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := demo.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		gateway := ""
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) && lines.Scan() {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "gateway: http://"); ok {
				gateway, _, _ = strings.Cut(rest, " (")
			}
			if strings.Contains(lines.Text(), "Ctrl-C stops the cluster") {
				break
			}
		}
		if gateway == "" {
			_ = demo.Process.Kill()
			_ = demo.Wait()
			continue
		}
		t.Cleanup(func() { _ = demo.Process.Kill(); _ = demo.Wait() })
		go func() {
			for lines.Scan() {
			}
		}()
		return "http://" + gateway
	}
	t.Fatal("the demo never printed its gateway address")
	return ""
}

// TestCurlWalk is checkout/README.md's curl walk, request for request,
// against the real `boxoffice demo` process: log in, queue for an on-sale
// a few seconds ahead and follow the position stream until admitted, hold
// two best-available seats, order, pay (fake), list the tickets, fetch a
// QR as PNG, transfer one ticket (its old QR is refused at the door) and
// check the other in (the second scan is refused with the first's gate).
// It walks twice against the same demo, as the README says one may: each
// run's fans and Idempotency-Keys carry R=$(date +%s).
func TestCurlWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo process; skipped with -short")
	}
	w := walker{t: t, base: startDemo(t)}
	first := time.Now().Unix()
	curlWalk(t, w, fmt.Sprint(first), true)
	for time.Now().Unix() == first { // a second run within the same second would reuse R
		time.Sleep(100 * time.Millisecond) // waits for the clock, not the demo
	}
	curlWalk(t, w, fmt.Sprint(time.Now().Unix()), false)
}

// curlWalk is one run of the walk; run is the README's $R.
func curlWalk(t *testing.T, w walker, run string, firstRun bool) {
	login := func(subject, role string) string {
		return w.must(200, "POST", "/v1/dev/login", "", "login-"+subject+"-"+run, map[string]string{"subject": subject, "role": role})["token"].(string)
	}
	alice, bobName := "alice-"+run, "bob-"+run
	fan, bob, org, door := login(alice, "fan"), login(bobName, "fan"), login("org", "organizer"), login("door1", "scanner")

	events := w.must(200, "GET", "/v1/events", fan, "", nil)["events"].([]any)
	if len(events) == 0 || events[0].(map[string]any)["event_id"] != "demo_arena" {
		t.Fatalf("events: %v", events)
	}

	// The organizer puts the event in queue mode, on sale in 3 s (whole
	// seconds, as `date` prints them), 50 fans a second.
	onSale := time.Now().UTC().Add(3 * time.Second).Truncate(time.Second)
	// On a later run the on-sale has started: the PUT is refused 409 and
	// changes nothing, and the queue admits the fan straight away.
	wantPut, wantState := 200, "before_sale"
	if !firstRun {
		wantPut, wantState = 409, ""
	}
	if put := w.must(wantPut, "PUT", "/v1/events/demo_arena/waiting-room", org, "", map[string]any{"on_sale_at": onSale.Format(time.RFC3339), "admit_per_second": 50}); !firstRun && !strings.Contains(fmt.Sprint(put["detail"]), "the on-sale has started") {
		t.Fatalf("waiting-room PUT on a later run: %v", put)
	}
	if q := w.must(200, "POST", "/v1/events/demo_arena/waiting-room/join", fan, "join-"+run, nil); wantState != "" && q["state"] != wantState {
		t.Fatalf("join: %v", q)
	}
	admission := followQueueStream(t, w.base+"/v1/events/demo_arena/waiting-room/me/stream", fan)

	hold := w.must(201, "POST", "/v1/events/demo_arena/holds", fan, "hold-"+run, map[string]any{"best": map[string]any{"quantity": 2, "section_id": "101"}},
		"X-Admission-Token", admission)
	order := w.must(201, "POST", "/v1/orders", fan, "order-"+run, map[string]any{"hold_id": hold["hold_id"]})
	if paid := w.must(200, "POST", "/v1/orders/"+order["order_id"].(string)+"/fake-pay", fan, "pay-"+run, map[string]any{}); paid["state"] != "paid" {
		t.Fatalf("fake-pay: %v", paid)
	}

	tickets := w.must(200, "GET", "/v1/tickets", fan, "", nil)["tickets"].([]any)
	if len(tickets) != 2 {
		t.Fatalf("tickets: %v", tickets)
	}
	t1, t2 := tickets[0].(map[string]any), tickets[1].(map[string]any)
	qr1 := t1["qr_text"].(string) // what the app's QR shows now: it changes every 15 s
	status, pngBytes := w.call("GET", "/v1/tickets/"+t2["ticket_id"].(string)+"/qr.png", fan, "", nil)
	if status != 200 {
		t.Fatalf("qr.png: %d %s", status, pngBytes)
	}
	if img, err := png.Decode(bytes.NewReader(pngBytes)); err != nil || img.Bounds().Dx() < 100 {
		t.Fatalf("qr.png does not decode as a PNG QR: %v", err)
	}

	w.must(200, "POST", "/v1/tickets/"+t1["ticket_id"].(string)+"/transfer", fan, "xfer-"+run, map[string]any{"to": bobName})
	if status, b := w.call("POST", "/v1/checkins", door, "scan-1-"+run, map[string]any{"qr": qr1, "gate": "north"}); status != 409 || !strings.Contains(string(b), "ticket-revoked") {
		t.Fatalf("alice's old QR after the transfer: %d %s", status, b)
	}
	bobs := w.must(200, "GET", "/v1/tickets", bob, "", nil)["tickets"].([]any)
	if len(bobs) != 1 || bobs[0].(map[string]any)["ticket_id"] != t1["ticket_id"] {
		t.Fatalf("bob's tickets: %v", bobs)
	}

	qr2 := w.must(200, "GET", "/v1/tickets/"+t2["ticket_id"].(string), fan, "", nil)["qr_text"].(string)
	if first := w.must(200, "POST", "/v1/checkins", door, "scan-2-"+run, map[string]any{"qr": qr2, "gate": "north"}); first["admitted"] != true {
		t.Fatalf("first scan: %v", first)
	}
	second := w.must(409, "POST", "/v1/checkins", door, "scan-3-"+run, map[string]any{"qr": qr2, "gate": "south"})
	if !strings.HasSuffix(fmt.Sprint(second["type"]), "already-checked-in") || second["first_gate"] != "north" {
		t.Fatalf("second scan: %v", second)
	}
}

// followQueueStream reads the waiting-room stream as the README's
// `curl -N ... | sed -n 's/^data: //p' | jq` does until the server ends it,
// and returns the admission token of its last event.
func followQueueStream(t *testing.T, url, token string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("queue stream: %d %s", resp.StatusCode, resp.Header)
	}
	var states []string
	admission := ""
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		data, ok := strings.CutPrefix(lines.Text(), "data: ")
		if !ok {
			continue
		}
		var st struct {
			State          string `json:"state"`
			AdmissionToken string `json:"admission_token"`
		}
		if err := json.Unmarshal([]byte(data), &st); err != nil {
			t.Fatalf("queue event %q: %v", data, err)
		}
		states = append(states, st.State)
		admission = st.AdmissionToken
	}
	if err := lines.Err(); err != nil {
		t.Fatalf("queue stream after %v: %v", states, err)
	}
	if admission == "" {
		t.Fatalf("queue stream ended with states %v and no admission token", states)
	}
	return admission
}
