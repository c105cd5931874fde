package logstore

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		name      string
		options   Options
		wantField string // "" for valid
	}{
		{"zero value takes the defaults", Options{}, ""},
		{"explicit values", Options{BatchOpsMax: 64, BatchBytesMax: 1 << 20, QueueOpsMax: 64, QueueBytesMax: 1 << 20, Timeout: time.Second}, ""},
		{"negative batch operations", Options{BatchOpsMax: -1}, "BatchOpsMax -1"},
		{"huge batch operations", Options{BatchOpsMax: batchOpsLimit + 1}, "BatchOpsMax"},
		{"tiny batch bytes", Options{BatchBytesMax: 100}, "BatchBytesMax 100"},
		{"queue smaller than a batch", Options{BatchOpsMax: 100, QueueOpsMax: 10}, "QueueOpsMax 10"},
		{"queue bytes smaller than a batch", Options{BatchBytesMax: 1 << 20, QueueBytesMax: 8 << 10}, "QueueBytesMax 8192"},
		{"negative timeout", Options{Timeout: -time.Second}, "Timeout -1s"},
		{"negative mmap size", Options{InitialMmapSize: -1}, "InitialMmapSize -1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.options.Validate()
			if c.wantField == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), c.wantField) {
				t.Fatalf("Validate = %v, want ErrInvalidOptions naming %q", err, c.wantField)
			}
			if _, err := Open(filepath.Join(t.TempDir(), "x.db"), c.options); !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("Open with invalid options = %v", err)
			}
		})
	}
}

func TestMetricsCountCommits(t *testing.T) {
	registry := prometheus.NewPedanticRegistry()
	path := filepath.Join(t.TempDir(), "logstore.db")
	db, err := Open(path, Options{NoSync: true, Metrics: registry})
	if err != nil {
		t.Fatal(err)
	}
	group := mustGroup(t, db, "g")
	mustStore(t, group, sampleLogs(1, 10))
	mustSet(t, group, []byte("k"), []byte("v"))

	stats := db.Stats()
	if stats.Commits != 3 || stats.Operations != 12 { // group creation, 10 entries, 1 key
		t.Fatalf("Stats: %d commits, %d operations; want 3 and 12", stats.Commits, stats.Operations)
	}
	families, err := registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, family := range families {
		if family.GetHelp() == "" {
			t.Errorf("%s has no help text", family.GetName())
		}
		found[family.GetName()] = true
		metric := family.GetMetric()[0]
		switch family.GetName() {
		case "boxoffice_logstore_commits_total":
			if got := metric.GetCounter().GetValue(); got != 3 {
				t.Errorf("commits_total = %v, want 3", got)
			}
		case "boxoffice_logstore_commit_operations":
			if got := metric.GetHistogram().GetSampleSum(); got != 12 {
				t.Errorf("commit_operations sum = %v, want 12", got)
			}
		case "boxoffice_logstore_commit_duration_seconds":
			if got := metric.GetHistogram().GetSampleCount(); got != 3 {
				t.Errorf("commit_duration_seconds count = %v, want 3", got)
			}
		}
	}
	for _, name := range []string{
		"boxoffice_logstore_commits_total",
		"boxoffice_logstore_commit_failures_total",
		"boxoffice_logstore_commit_operations",
		"boxoffice_logstore_commit_duration_seconds",
	} {
		if !found[name] {
			t.Errorf("metric %s not registered", name)
		}
	}

	if _, err := Open(filepath.Join(t.TempDir(), "other.db"), Options{Metrics: registry}); err == nil {
		t.Fatal("a second DB registered the same metrics in the same registry")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{NoSync: true, Metrics: registry}) // Close unregistered them
	if err != nil {
		t.Fatalf("reopen with the same registry: %v", err)
	}
	db.Close()
}
