package checkout_test

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/checkout/internal/clustertest"
	"github.com/boxoffice/boxoffice/checkout/memstore"
)

// discardWriter is a ResponseWriter that keeps nothing but the status, so
// the benchmark measures the gateway and not a recorder.
type discardWriter struct {
	header http.Header
	status int
	bytes  int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(b []byte) (int, error) { w.bytes += len(b); return len(b), nil }

// BenchmarkSeatMapView is one seat-map view of a 1,000-seat event through
// the whole handler (routing, bearer token, rate limits off, access log
// off), answered from memory: "full" writes the encoded body, "304"
// answers If-None-Match. Run with -benchmem for allocations.
func BenchmarkSeatMapView(b *testing.B) {
	c := clustertest.Start(b)
	clustertest.CreateEvent(b, c, "bench", 20, 25)
	_, key, _ := ed25519.GenerateKey(nil)
	g, err := checkout.New(checkout.Config{Inventory: c, Store: memstore.New(), Payments: checkout.NewFakePayments(webhookSecret),
		JWTSecret: testSecret, TicketKey: key, RecordKeys: checkout.NewKeyRing(testRecordKey), ScanSecret: testScanSecret,
		DemoMode: true, RatePerFan: -1, RatePerIP: -1, AccessLogOff: true})
	if err != nil {
		b.Fatal(err)
	}
	h := g.Handler()
	login := httptest.NewRecorder()
	lr := httptest.NewRequest("POST", "/v1/dev/login", strings.NewReader(`{"subject":"bench","role":"fan"}`))
	lr.Header.Set("Idempotency-Key", "bench-login")
	h.ServeHTTP(login, lr)
	var tok struct{ Token string }
	if err := json.Unmarshal(login.Body.Bytes(), &tok); err != nil || tok.Token == "" {
		b.Fatalf("login: %d %s", login.Code, login.Body)
	}
	first := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/v1/events/bench/seats", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	h.ServeHTTP(first, req)
	etag := first.Header().Get("ETag")
	if first.Code != 200 || etag == "" {
		b.Fatalf("first view: %d %s", first.Code, first.Body)
	}
	for _, tc := range []struct {
		name   string
		inm    string
		status int
	}{{"full", "", 200}, {"304", etag, 304}} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/v1/events/bench/seats", nil)
			r.Header.Set("Authorization", "Bearer "+tok.Token)
			if tc.inm != "" {
				r.Header.Set("If-None-Match", tc.inm)
			}
			w := &discardWriter{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				w.status = 0
				h.ServeHTTP(w, r)
				if w.status != tc.status {
					b.Fatalf("status %d, want %d", w.status, tc.status)
				}
			}
			b.ReportMetric(float64(first.Body.Len()), "body-bytes")
		})
	}
}
