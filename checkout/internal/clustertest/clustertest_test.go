package clustertest

import (
	"context"
	"testing"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

func TestStartAndHold(t *testing.T) {
	c := Start(t)
	CreateEvent(t, c, "ev1", 3, 10)
	h, err := c.Hold(context.Background(), &boxofficev1.HoldRequest{EventId: "ev1", Holder: "f", Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: "A"}}})
	if err != nil || len(h.SeatIds) != 2 {
		t.Fatal(h, err)
	}
}
