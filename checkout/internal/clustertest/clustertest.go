// Package clustertest starts a real one-node Boxoffice cluster in the test
// process (node.NewTestCluster), so that checkout's tests run against the
// real seat state machine rather than a fake of it.
package clustertest

import (
	"context"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster/client"
	"github.com/boxoffice/boxoffice/node"
)

// Start starts a one-node cluster and returns a client of it; both are
// closed when the test ends.
func Start(t testing.TB) *client.Client {
	t.Helper()
	return node.NewTestCluster(t, 1).Client()
}

// StartIn is Start with the node's data directory at dataDir, for tests
// that read what the node wrote to disk.
func StartIn(t testing.TB, dataDir string) *client.Client {
	t.Helper()
	return node.NewTestCluster(t, 1, func(_ int, c *node.Config) { c.DataDir = dataDir }).Client()
}

// CreateEvent creates a small event: section A with rows A..(rows) of
// seatsPerRow seats at tier "STD" (5000 cents USD), section B likewise at
// tier "VIP" (12000 cents).
func CreateEvent(t testing.TB, c *client.Client, eventID string, rows, seatsPerRow int) *boxofficev1.Event {
	t.Helper()
	var rowsA, rowsB []*boxofficev1.Row
	for i := range rows {
		rowsA = append(rowsA, &boxofficev1.Row{Label: string(rune('A' + i)), SeatCount: uint32(seatsPerRow)})
		rowsB = append(rowsB, &boxofficev1.Row{Label: string(rune('A' + i)), SeatCount: uint32(seatsPerRow)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := c.CreateEvent(ctx, &boxofficev1.CreateEventRequest{
		RequestId: "create-" + eventID, EventId: eventID, Name: "Test " + eventID,
		Venue: &boxofficev1.Venue{
			Name: "Hall",
			PriceTiers: []*boxofficev1.PriceTier{
				{Id: "STD", PriceCents: 5000, Currency: "USD"},
				{Id: "VIP", PriceCents: 12000, Currency: "USD"},
			},
			Sections: []*boxofficev1.Section{
				{Id: "A", Name: "Stalls", PriceTier: "STD", Rows: rowsA},
				{Id: "B", Name: "Boxes", PriceTier: "VIP", Rows: rowsB},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := resp.Event
	node.WaitFor(t, 20*time.Second, "event "+eventID+" to be ready", func() bool {
		if ev.GetStatus() == boxofficev1.EventStatus_EVENT_STATUS_READY {
			return true
		}
		if ev, err = c.GetEvent(ctx, &boxofficev1.GetEventRequest{EventId: eventID}); err != nil {
			t.Fatal(err)
		}
		return false
	})
	return ev
}
