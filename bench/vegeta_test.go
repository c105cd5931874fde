package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRunVegetaCountsNotModifiedApart attacks a stand-in gateway that
// answers 304 to If-None-Match with its ETag, 200 otherwise, and 429 to
// one fan: vegeta's answers are counted by kind, every target carries its
// fan's token and forwarded address, and half the views revalidate.
func TestRunVegetaCountsNotModifiedApart(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{} // forwarded address -> token
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("X-Forwarded-For")] = r.Header.Get("Authorization")
		mu.Unlock()
		switch {
		case r.Header.Get("Authorization") == "Bearer t-limited":
			w.WriteHeader(http.StatusTooManyRequests)
		case r.Header.Get("If-None-Match") == `"v1"`:
			w.WriteHeader(http.StatusNotModified)
		default:
			w.Header().Set("ETag", `"v1"`)
			_, _ = w.Write([]byte(`{"sections":[]}`))
		}
	}))
	defer srv.Close()
	fans := []VegetaFan{{Subject: "a", Token: "t-a", IP: fanIP(0)}, {Subject: "b", Token: "t-b", IP: fanIP(1)},
		{Subject: "c", Token: "t-c", IP: fanIP(2)}, {Subject: "d", Token: "t-limited", IP: fanIP(3)}}
	etags, err := SeatMapETags(context.Background(), srv.URL, "e1", []string{"S0", "S1"}, fans[0])
	if err != nil || etags["S0"] != `"v1"` || etags["S1"] != `"v1"` {
		t.Fatalf("etags %v, %v", etags, err)
	}
	views := SeatMapViewTargets(srv.URL, "e1", []string{"S0", "S1"}, etags, fans, 0.5, 1)
	revalidating := 0
	for _, tg := range views {
		if !strings.Contains(tg.URL, "/v1/events/e1/seats?section=S") || tg.Header.Get("Authorization") == "" {
			t.Fatalf("target %+v", tg)
		}
		if tg.Header.Get("If-None-Match") != "" {
			revalidating++
		}
	}
	if len(views) != len(fans) {
		t.Fatalf("%d targets for %d fans", len(views), len(fans))
	}
	res := RunVegeta(context.Background(), []VegetaAttack{
		{Name: "views", Gateway: srv.URL, Targets: views, Rate: 200, Duration: 500 * time.Millisecond},
		{Name: "polls", Gateway: srv.URL, Targets: QueuePollTargets(srv.URL, "e1", fans[:3]), Rate: 200, Duration: 500 * time.Millisecond},
	})
	v, p := res[0], res[1]
	if v.Requests == 0 || uint64(v.OK+v.NotModified+v.Other["429"]) != v.Requests {
		t.Fatalf("views: %+v", v)
	}
	if revalidating == 0 || v.NotModified == 0 || v.RevalidatingTargets != float64(revalidating)/float64(len(views)) {
		t.Errorf("%d of %d targets revalidate; views %+v", revalidating, len(views), v)
	}
	if v.Other["429"] == 0 || v.SuccessRatio >= 1 || v.StatusSummary() == "" {
		t.Errorf("the limited fan's 429s are not counted apart: %+v", v)
	}
	if p.Requests == 0 || p.OK != int(p.Requests) || p.SuccessRatio != 1 || p.NotModified != 0 {
		t.Errorf("polls: %+v", p)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, f := range fans {
		if seen[f.IP] != "Bearer "+f.Token {
			t.Errorf("fan %s: the gateway saw %q from %s", f.Subject, seen[f.IP], f.IP)
		}
	}
}
