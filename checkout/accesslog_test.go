package checkout_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/checkout"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// accessLines are the access-log lines ("request") of a JSON log.
func accessLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

// Every request is one INFO line with method, route pattern, status,
// bytes, latency and request id; the line never holds the bearer token,
// the fan's subject, the ids of the path or the query string. The request
// id is the caller's when sane, else a fresh one, and comes back in
// X-Request-Id.
func TestAccessLog(t *testing.T) {
	e := newEnv(t)
	var logs lockedBuffer
	g := e.gateway(func(c *checkout.Config) { c.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	const subject = "fan-ada-lovelace"
	token := g.login(subject, "fan")
	const orderID = "ord_personal_4711"

	r := g.do("GET", "/v1/orders/"+orderID+"?email=ada@example.com", token, nil, "X-Request-Id", "support-ticket.42")
	if r.status != 404 {
		t.Fatalf("GET an unknown order: %d, want 404", r.status)
	}
	if got := r.header.Get("X-Request-Id"); got != "support-ticket.42" {
		t.Errorf("X-Request-Id echoed %q, want the caller's support-ticket.42", got)
	}
	insane := strings.Repeat("x", 65)
	r2 := g.do("GET", "/v1/tickets", token, nil, "X-Request-Id", insane)
	made := r2.header.Get("X-Request-Id")
	if made == "" || made == insane {
		t.Errorf("an over-long X-Request-Id came back as %q, want a fresh id", made)
	}

	log := logs.String()
	for _, secret := range []string{token, subject, orderID, "ada@example.com", "email=", insane} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %q:\n%s", secret, log)
		}
	}
	lines := accessLines(t, log)
	want := []struct {
		route, id string
		status    float64
	}{
		{"POST /v1/dev/login", "", 200},
		{"GET /v1/orders/{order}", "support-ticket.42", 404},
		{"GET /v1/tickets", made, 200},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d access lines, want %d:\n%s", len(lines), len(want), log)
	}
	for i, w := range want {
		l := lines[i]
		if l["level"] != "INFO" || l["route"] != w.route || l["status"] != w.status || l["method"] != strings.Fields(w.route)[0] {
			t.Errorf("line %d: %v, want INFO %s status %v", i, l, w.route, w.status)
		}
		if w.id != "" && l["request_id"] != w.id {
			t.Errorf("line %d: request_id %v, want %s", i, l["request_id"], w.id)
		}
		if id, _ := l["request_id"].(string); id == "" {
			t.Errorf("line %d has no request_id", i)
		}
		if b, _ := l["bytes"].(float64); b <= 0 {
			t.Errorf("line %d: bytes %v, want the body's size", i, l["bytes"])
		}
		if _, ok := l["latency"]; !ok {
			t.Errorf("line %d has no latency", i)
		}
	}

	// A seat stream still streams through the access log's writer, and is
	// logged when it ends.
	e.event("logged")
	stream, sr := openStream(t, g, "/v1/events/logged/seats/stream", token)
	if stream == nil {
		t.Fatalf("stream: %d %s", sr.status, sr.body)
	}
	g.must(201, "POST", "/v1/events/logged/holds", token, map[string]any{"seats": []string{"A-A-1"}})
	if _, _, data := stream.next(t); !strings.Contains(data, `"A-A-1"`) {
		t.Fatalf("first change: %s", data)
	}
	stream.close()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), `"route":"GET /v1/events/{event}/seats/stream"`); time.Sleep(10 * time.Millisecond) { // poll interval
		if time.Now().After(deadline) {
			t.Fatalf("no access line for the closed stream:\n%s", logs.String())
		}
	}

	// Off for benchmarks: no line, no header.
	logs2 := &lockedBuffer{}
	quiet := e.gateway(func(c *checkout.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(logs2, nil))
		c.AccessLogOff = true
	})
	if r := quiet.do("GET", "/healthz", "", nil); r.header.Get("X-Request-Id") != "" {
		t.Errorf("AccessLogOff still sets X-Request-Id %q", r.header.Get("X-Request-Id"))
	}
	if strings.Contains(logs2.String(), `"msg":"request"`) {
		t.Errorf("AccessLogOff still logs requests:\n%s", logs2.String())
	}
}
