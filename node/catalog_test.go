package node

import (
	"errors"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// TestReadCatalogEventShipsOneEvent: a node whose replica of the catalog
// lags checks one event on the meta leader and gets that event only, not
// the catalog with every venue (the first holds of a fresh event on a
// lagging node each did that, dozens at once: a 50-200 ms stall at the
// start of an on-sale); an event nobody created is NOT_FOUND.
func TestReadCatalogEventShipsOneEvent(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	for _, id := range []string{"ev_a", "ev_b", "ev_c"} {
		tc.createOnSaleEvent(id, 4, 5, 10)
	}
	metaLeader := tc.Leader(cluster.MetaGroupID)
	follower := (metaLeader + 1) % 3
	h := tc.hosts[follower]
	ctx := ctxT(t, 20*time.Second)

	resp, err := (&peerService{host: tc.hosts[metaLeader]}).ReadCatalog(ctx, &nodepb.ReadCatalogRequest{EventId: "ev_b"})
	if err != nil {
		t.Fatal(err)
	}
	if evs := resp.GetCatalog().GetEvents(); len(evs) != 1 || evs[0].EventId != "ev_b" || len(resp.GetCatalog().GetGroups()) != 0 {
		t.Fatalf("ReadCatalog(ev_b) answered %d events, %d groups; want ev_b alone", len(evs), len(resp.GetCatalog().GetGroups()))
	}

	forwards := counterValue(h.metrics.forwards.WithLabelValues("catalog-read"))
	e, err := h.readCatalogEvent(ctx, "ev_c")
	if err != nil || e == nil || e.EventId != "ev_c" || e.Status != boxofficev1.EventStatus_EVENT_STATUS_READY {
		t.Fatalf("readCatalogEvent(ev_c) on a follower = %v, %v; want the ready event", e, err)
	}
	if got := counterValue(h.metrics.forwards.WithLabelValues("catalog-read")) - forwards; got != 1 {
		t.Errorf("the follower forwarded %v catalog reads, want 1 (to the meta leader)", got)
	}
	if e, err := h.readCatalogEvent(ctx, "no_such_event"); err != nil || e != nil {
		t.Errorf("readCatalogEvent of an unknown event = %v, %v; want nil, nil", e, err)
	}
	if _, err := h.event(ctx, "no_such_event"); !errors.Is(err, ErrNotFound) {
		t.Errorf("event(no_such_event) = %v, want ErrNotFound", err)
	}
}
