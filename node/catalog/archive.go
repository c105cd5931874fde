package catalog

import (
	"fmt"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// checkBudgetLocked refuses a new event e that would take the live
// (not archived) events past budget.EventsMax or their seats past
// budget.SeatsMax. c.mu is held. Deterministic: the budget comes from
// the command.
func (c *Catalog) checkBudgetLocked(budget *nodepb.EventBudget, e *nodepb.EventRecord) *nodepb.CatalogResult {
	if budget == nil {
		return nil
	}
	events, seats := c.liveLocked()
	newSeats := uint64(e.SeatCount) + uint64(e.GeneralAdmissionCapacity)
	if budget.EventsMax > 0 && events+1 > uint64(budget.EventsMax) {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_BUDGET_EXCEEDED,
			"the cluster has %d live events, its budget; delete (archive) events to make room", events)
	}
	if budget.SeatsMax > 0 && seats+newSeats > budget.SeatsMax {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_BUDGET_EXCEEDED,
			"%d seats would take the live events' %d past the cluster's budget of %d; delete (archive) events to make room",
			newSeats, seats, budget.SeatsMax)
	}
	return nil
}

// liveLocked counts the events that are not archived and their seats
// (seats plus general-admission capacity). c.mu is held.
func (c *Catalog) liveLocked() (events, seats uint64) {
	for _, e := range c.events {
		if e.Status != boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED {
			events++
			seats += uint64(e.SeatCount) + uint64(e.GeneralAdmissionCapacity)
		}
	}
	return events, seats
}

// Live returns the events that are not archived and their seats.
func (c *Catalog) Live() (events, seats uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.liveLocked()
}

// setEventStatusLocked replaces e's record with one in status (records are
// immutable once stored: the copy shares the venue). An archived event
// changes no more; archiving drops the venue, the event's largest part,
// which no call of an archived event reads. c.mu is held.
func (c *Catalog) setEventStatusLocked(e *nodepb.EventRecord, status boxofficev1.EventStatus) *nodepb.CatalogResult {
	if e.Status == boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED {
		if status == e.Status {
			return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_OK, Event: e}
		}
		return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_ARCHIVED,
			Message: fmt.Sprintf("event %q is archived", e.EventId), Event: e}
	}
	updated := shallowCopy(e)
	updated.Status = status
	if status == boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED {
		updated.Venue = nil
		c.forgetVenueLocked(e.EventId)
	}
	c.events[updated.EventId] = updated
	return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_OK, Event: updated}
}

// forgetVenueLocked replaces the remembered results (dedup entries) that
// carry event id's record with copies without the venue, which they share
// with the record: otherwise the venue of an archived event would stay in
// memory and snapshots until its CreateEvent's entry is evicted. A retry
// of that CreateEvent is refused EVENT_ARCHIVED before it looks at the
// record. c.mu is held.
func (c *Catalog) forgetVenueLocked(id string) {
	for requestID, d := range c.dedup {
		if ev := d.GetResult().GetEvent(); ev.GetEventId() == id && ev.GetVenue() != nil {
			event := shallowCopy(ev)
			event.Venue = nil
			result := shallowCopy(d.Result)
			result.Event = event
			entry := shallowCopy(d)
			entry.Result = result
			c.dedup[requestID] = entry
		}
	}
}
