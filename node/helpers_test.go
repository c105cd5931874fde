package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Helpers of node's own tests over TestCluster: they read node internals
// (catalog, stores) that other packages' tests do not see.

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// createOnSaleEvent creates an event with the benchmark venue.
func (tc *TestCluster) createOnSaleEvent(id string, sections, rows, seats int) *boxofficev1.Event {
	tc.t.Helper()
	// Spread over every data group (the default puts an event in one group)
	// so that tests exercise forwarding and multi-group holds.
	resp, err := tc.Inventory(0).CreateEvent(ctxT(tc.t, 30*time.Second), &boxofficev1.CreateEventRequest{
		RequestId: "create-" + id, EventId: id, Name: id, Venue: cluster.OnSaleVenue(sections, rows, seats),
		GroupCount: uint32(len(tc.hosts[0].catalog.Export().Groups)),
	})
	if err != nil {
		tc.t.Fatalf("CreateEvent %s: %v", id, err)
	}
	return resp.Event
}

// replicasEqual waits until every live replica of every data group has the
// same applied state, and fails if they never converge.
func (tc *TestCluster) replicasEqual() {
	tc.t.Helper()
	diff := ""
	converged := waitUntil(20*time.Second, func() bool {
		diff = ""
		groups := map[string][]*group{}
		for _, h := range tc.hosts {
			if h == nil {
				continue
			}
			for _, g := range h.groupList() {
				if g.store != nil {
					groups[g.id] = append(groups[g.id], g)
				}
			}
		}
		for id, gs := range groups {
			first := gs[0].store.StateHash()
			for _, g := range gs[1:] {
				if g.store.StateHash() != first || g.store.AppliedIndex() != gs[0].store.AppliedIndex() {
					diff = fmt.Sprintf("group %s: replicas differ (applied %d vs %d)", id, gs[0].store.AppliedIndex(), g.store.AppliedIndex())
				}
			}
		}
		return diff == ""
	})
	if !converged {
		tc.t.Fatal(diff)
	}
}

// leaderOtherThan waits until a node other than old leads group groupID
// (after a leadership transfer) and returns it.
func (tc *TestCluster) leaderOtherThan(groupID string, old int) int {
	tc.t.Helper()
	leader := -1
	WaitFor(tc.t, 20*time.Second, fmt.Sprintf("a leader of group %s other than n%d", groupID, old+1), func() bool {
		for i := range tc.hosts {
			if i != old && tc.IsLeader(i, groupID) {
				leader = i
				return true
			}
		}
		return false
	})
	return leader
}

// eventRecord waits until node i's catalog replica knows the event as ready.
func (tc *TestCluster) eventRecord(i int, id string) *nodepb.EventRecord {
	tc.t.Helper()
	var e *nodepb.EventRecord
	WaitFor(tc.t, 10*time.Second, fmt.Sprintf("n%d to learn event %s", i+1, id), func() bool {
		e = tc.hosts[i].catalog.Event(id)
		return e != nil && e.Status == boxofficev1.EventStatus_EVENT_STATUS_READY
	})
	return e
}

func onSaleVenueForTest() *boxofficev1.Venue { return cluster.OnSaleVenue(2, 2, 4) }
