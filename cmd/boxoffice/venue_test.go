package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/testport"
)

// sampleVenue is the venue file the README's ctl example uses.
const sampleVenue = "../../docs/venues/small-hall.json"

// TestSampleVenueCreatesAnEvent runs the README's example on a real
// one-node cluster: ctl events create --venue docs/venues/small-hall.json,
// then the seat map and a best-available hold in it.
func TestSampleVenueCreatesAnEvent(t *testing.T) {
	port := testport.Base(t, 0, 100, 200, 300)
	hosts, err := startLocalCluster(t.TempDir(), port, localLayout{nodes: 1}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hosts[0].Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := hosts[0].WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	addr := "--addr=" + hosts[0].GRPCAddr()
	stdout, _, err := ctl(t, ctx, addr, "events", "create", "hall", "--name", "Small Hall", "--venue", sampleVenue)
	if err != nil {
		t.Fatalf("events create --venue %s: %v\n%s", sampleVenue, err, stdout)
	}
	for _, want := range []string{"72 reserved, 40 general admission", "Small Hall: 2 sections, 1 pools", "45.00 EUR"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("events create does not say %q:\n%s", want, stdout)
		}
	}
	if stdout, _, err = ctl(t, ctx, addr, "hold", "hall", "--holder", "fan1", "--best", "2", "--section", "STALLS"); err != nil || !strings.Contains(stdout, "STALLS-A-") {
		t.Fatalf("hold in the sample venue: %v\n%s", err, stdout)
	}
	if stdout, _, err = ctl(t, ctx, addr, "seatmap", "hall"); err != nil || !strings.Contains(stdout, "70 available, 2 held, 0 sold") {
		t.Fatalf("seatmap of the sample venue: %v\n%s", err, stdout)
	}
}
