package jepsen

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// TestParseCountersOfAnExposition: the counters are summed over their
// groups from what a Prometheus handler serves (the node's /metrics),
// and other families, including ones whose name starts the same, are
// ignored.
func TestParseCountersOfAnExposition(t *testing.T) {
	reg := prometheus.NewRegistry()
	installed := prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricSnapshotsInstalled, Help: "x"}, []string{"group"})
	swept := prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricHoldsSwept, Help: "x"}, []string{"group"})
	decoy := prometheus.NewCounter(prometheus.CounterOpts{Name: metricHoldsSwept + "_decoy", Help: "x"})
	reg.MustRegister(installed, swept, decoy)
	installed.WithLabelValues("g000").Add(2)
	installed.WithLabelValues("meta").Add(1)
	swept.WithLabelValues("g001").Add(40)
	swept.WithLabelValues("g002").Add(2)
	decoy.Add(1000)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))

	got, err := parseCounters(rec.Body, countedMetrics)
	if err != nil {
		t.Fatal(err)
	}
	if got[metricSnapshotsInstalled] != 3 || got[metricHoldsSwept] != 42 || got[metricSnapshotsTaken] != 0 {
		t.Fatalf("parsed %v, want installed 3, swept 42, taken 0", got)
	}
	if _, err := parseCounters(strings.NewReader(metricHoldsSwept+`{group="g000"} many`+"\n"), countedMetrics); err == nil {
		t.Fatal("a sample without a number was accepted")
	}
}

// TestCountersSumIncarnations: a node's counters restart at zero with
// each process, so the run's count is the sum of what each incarnation
// reported before it stopped; an incarnation that could not be read is
// said to be missing.
func TestCountersSumIncarnations(t *testing.T) {
	var l counterLog
	l.record("n1", NodeCounters{SnapshotsTaken: 3, HoldsSwept: 10, Incarnations: 1})
	l.record("n1", NodeCounters{SnapshotsTaken: 1, SnapshotsInstalled: 2, HoldsSwept: 5, Incarnations: 1}) // after a kill
	l.record("n2", NodeCounters{Unread: 1})                                                                // paused when stopped
	l.record("n2", NodeCounters{SnapshotsInstalled: 1, Incarnations: 1})
	c := l.result()
	want := NodeCounters{SnapshotsTaken: 4, SnapshotsInstalled: 3, HoldsSwept: 15, Incarnations: 3, Unread: 1}
	if c.Total != want {
		t.Fatalf("total %+v, want %+v", c.Total, want)
	}
	if n1 := c.ByNode["n1"]; n1.SnapshotsInstalled != 2 || n1.Incarnations != 2 {
		t.Fatalf("n1 %+v", n1)
	}
	text := describeCounters(c)
	for _, s := range []string{"snapshots taken 4, installed 3; holds expired (swept) 15", "n2: taken 0, installed 1, swept 0 over 1 incarnation(s), 1 unread"} {
		if !strings.Contains(text, s) {
			t.Errorf("summary lacks %q:\n%s", s, text)
		}
	}
}

// TestRunWithoutSnapshotsOrExpiryFails: a run in which no snapshot was
// installed, or no hold expired, did not exercise those paths and is not
// VALID, and the summary says why.
func TestRunWithoutSnapshotsOrExpiryFails(t *testing.T) {
	cfg := Profiles["ci"]
	cfg.Profile, cfg.Seed = "ci", 7
	base := Result{Retries: RetryResult{Compared: 1}}
	base.Linearizability.Verdict = porcupine.Ok
	for _, tt := range []struct {
		name  string
		c     NodeCounters
		valid bool
		says  string
	}{
		{"both", NodeCounters{SnapshotsInstalled: 1, HoldsSwept: 1}, true, ""},
		{"no snapshot installed", NodeCounters{SnapshotsTaken: 9, HoldsSwept: 100}, false, "no snapshot was installed"},
		{"no hold expired", NodeCounters{SnapshotsTaken: 9, SnapshotsInstalled: 2}, false, "no hold expired"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := base
			res.Counters = Counters{Total: tt.c, ByNode: map[string]NodeCounters{"n1": tt.c}}
			if res.Valid() != tt.valid {
				t.Fatalf("Valid() = %v, want %v", res.Valid(), tt.valid)
			}
			summary := Summary(&cfg, &res)
			if tt.valid {
				if !strings.Contains(summary, "VERDICT: VALID") {
					t.Fatalf("summary:\n%s", summary)
				}
				return
			}
			if !strings.Contains(summary, tt.says) || !strings.Contains(summary, "VERDICT: INVALID") {
				t.Fatalf("summary does not say %q and INVALID:\n%s", tt.says, summary)
			}
		})
	}
}
