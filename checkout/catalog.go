package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

type priceTierView struct {
	ID         string `json:"id"`
	PriceCents int64  `json:"price_cents"`
	Currency   string `json:"currency"`
}

type sectionSummary struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	PriceTier string `json:"price_tier"`
}

type eventView struct {
	EventID     string           `json:"event_id"`
	Name        string           `json:"name"`
	Status      string           `json:"status"`
	SeatCount   uint32           `json:"seat_count"`
	GACapacity  uint32           `json:"general_admission_capacity"`
	CreatedAt   time.Time        `json:"created_at"`
	PriceTiers  []priceTierView  `json:"price_tiers,omitempty"`
	Sections    []sectionSummary `json:"sections,omitempty"`
	WaitingRoom *queueConfig     `json:"waiting_room,omitempty"`
}

type eventList struct {
	Events     []eventView `json:"events"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

func toEventView(ev *boxofficev1.Event) eventView {
	v := eventView{
		EventID: ev.GetEventId(), Name: ev.GetName(),
		Status:    strings.ToLower(strings.TrimPrefix(ev.GetStatus().String(), "EVENT_STATUS_")),
		SeatCount: ev.GetSeatCount(), GACapacity: ev.GetGeneralAdmissionCapacity(),
		CreatedAt: time.UnixMilli(ev.GetCreatedAtUnixMs()).UTC(),
	}
	for _, t := range ev.GetVenue().GetPriceTiers() {
		v.PriceTiers = append(v.PriceTiers, priceTierView{t.GetId(), t.GetPriceCents(), t.GetCurrency()})
	}
	for _, s := range ev.GetVenue().GetSections() {
		v.Sections = append(v.Sections, sectionSummary{s.GetId(), s.GetName(), s.GetPriceTier()})
	}
	return v
}

// listEvents answers the catalogue from memory (views.go): each page is
// read from the cluster at most once per Config.ViewRefresh.
func (g *Gateway) listEvents(c *call) (int, any, error) {
	size, err := pathInt(c.r, "limit", 50, 1, 500)
	if err != nil {
		return 0, nil, err
	}
	cursor := c.r.URL.Query().Get("cursor")
	vc := g.hub.views
	b, hit, err := vc.body(c.ctx, vc.lists, "list/"+strconv.Itoa(size)+"/"+cursor, func(ctx context.Context) (any, error) {
		resp, err := g.cfg.Inventory.ListEvents(ctx, &boxofficev1.ListEventsRequest{PageSize: uint32(size), PageToken: cursor})
		if err != nil {
			return nil, err
		}
		out := eventList{Events: []eventView{}, NextCursor: resp.GetNextPageToken()}
		for _, ev := range resp.GetEvents() {
			out.Events = append(out.Events, toEventView(ev))
		}
		return out, nil
	})
	if err != nil {
		return 0, nil, err
	}
	return vc.serve(c, viewEvents, &b.viewBody, time.Since(b.fetched).Milliseconds(), hit)
}

// getEvent answers event detail from memory (views.go): read from the
// cluster and the store at most once per Config.ViewRefresh.
func (g *Gateway) getEvent(c *call) (int, any, error) {
	eventID := c.r.PathValue("event")
	vc := g.hub.views
	b, hit, err := vc.body(c.ctx, vc.events, "event/"+eventID, func(ctx context.Context) (any, error) {
		ev, err := g.cfg.Inventory.GetEvent(ctx, &boxofficev1.GetEventRequest{EventId: eventID})
		if err != nil {
			return nil, err
		}
		v := toEventView(ev)
		if qc, _, err := g.queueConfig(ctx, eventID); err == nil {
			v.WaitingRoom = &qc
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return v, nil
	})
	if err != nil {
		return 0, nil, err
	}
	return vc.serve(c, viewEvent, &b.viewBody, time.Since(b.fetched).Milliseconds(), hit)
}

// archiveEvent archives an event once its show is over (organizers of the
// event, admins): the cluster drops its seat state and gives its share of
// the cluster's budget of events and seats back. The cluster refuses while
// any hold is active (409, cluster_reason EVENT_HAS_ACTIVE_HOLDS); tickets,
// orders and the revocation feed stay readable.
func (g *Gateway) archiveEvent(c *call) (int, any, error) {
	eventID := c.r.PathValue("event")
	if _, err := g.cfg.Inventory.DeleteEvent(c.ctx, &boxofficev1.DeleteEventRequest{RequestId: c.requestID("archive"), EventId: eventID}); err != nil {
		return 0, nil, err
	}
	g.hub.views.forgetEvent(eventID)
	ev, err := g.cfg.Inventory.GetEvent(c.ctx, &boxofficev1.GetEventRequest{EventId: eventID})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toEventView(ev), nil
}

type seatView struct {
	SeatID         string `json:"seat_id"`
	Number         uint32 `json:"number"`
	State          string `json:"state"`
	PriceTier      string `json:"price_tier"`
	PriceCents     int64  `json:"price_cents"`
	Currency       string `json:"currency"`
	Accessible     bool   `json:"accessible,omitempty"`
	RestrictedView bool   `json:"restricted_view,omitempty"`
	AisleAfter     bool   `json:"aisle_after,omitempty"`
}

type rowView struct {
	Label string     `json:"label"`
	Seats []seatView `json:"seats"`
}

type sectionView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Available uint32    `json:"available"`
	Held      uint32    `json:"held"`
	Sold      uint32    `json:"sold"`
	Rows      []rowView `json:"rows,omitempty"`
}

type poolView struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Capacity   uint32 `json:"capacity"`
	Available  uint32 `json:"available"`
	PriceTier  string `json:"price_tier"`
	PriceCents int64  `json:"price_cents"`
	Currency   string `json:"currency"`
}

type seatMapView struct {
	EventID   string        `json:"event_id"`
	Available uint32        `json:"available"`
	Held      uint32        `json:"held"`
	Sold      uint32        `json:"sold"`
	Sections  []sectionView `json:"sections"`
	Pools     []poolView    `json:"pools"`
	// Cursor is the change-stream position this map reflects: pass it to
	// the stream (?after= or Last-Event-ID) to get exactly what follows.
	Cursor string `json:"cursor"`
}

func stateName(s boxofficev1.SeatState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "SEAT_STATE_"))
}

// seatMap answers the event's seat map from memory (views.go): the body
// was encoded when the map last changed, so a view costs no cluster call
// and no encoding; ?section= encodes the sections asked for from the same
// snapshot.
func (g *Gateway) seatMap(c *call) (int, any, error) {
	eventID := c.r.PathValue("event")
	vc := g.hub.views
	v, hit, err := vc.seatMap(c.ctx, eventID)
	if err != nil {
		return 0, nil, err
	}
	now := time.Now().UnixNano()
	v.viewedAt.Store(now)
	snap := v.snap.Load()
	body := &snap.full
	if c.r.URL.RawQuery != "" {
		q := c.r.URL.Query()
		summary := q.Get("summary") == "true"
		if sections := q["section"]; len(sections) > 0 {
			if body, err = v.layout.filtered(snap, sections, summary); err != nil {
				return 0, nil, err
			}
		} else if summary {
			body = &snap.summary
		}
	}
	return vc.serve(c, viewSeats, body, v.ageMs(now), hit)
}

// seatMapOf converts a cluster seat map as the gateway shows it. The
// views encode the same JSON from memory (views.go); the tests compare
// the two.
func seatMapOf(eventID string, ev *boxofficev1.Event, sm *boxofficev1.SeatMap) seatMapView {
	tiers := map[string]*boxofficev1.PriceTier{}
	for _, t := range ev.GetVenue().GetPriceTiers() {
		tiers[t.GetId()] = t
	}
	out := seatMapView{EventID: eventID, Available: sm.GetAvailable(), Held: sm.GetHeld(), Sold: sm.GetSold(),
		Sections: []sectionView{}, Pools: []poolView{}, Cursor: encodeCursor(sm.GetPositions())}
	for _, s := range sm.GetSections() {
		sv := sectionView{ID: s.GetId(), Name: s.GetName(), Available: s.GetAvailable(), Held: s.GetHeld(), Sold: s.GetSold()}
		for _, r := range s.GetRows() {
			rv := rowView{Label: r.GetLabel()}
			for _, seat := range r.GetSeats() {
				t := tiers[seat.GetPriceTier()]
				rv.Seats = append(rv.Seats, seatView{
					SeatID: seat.GetSeatId(), Number: seat.GetNumber(), State: stateName(seat.GetState()),
					PriceTier: seat.GetPriceTier(), PriceCents: t.GetPriceCents(), Currency: t.GetCurrency(),
					Accessible: seat.GetAccessible(), RestrictedView: seat.GetRestrictedView(), AisleAfter: seat.GetAisleAfter(),
				})
			}
			sv.Rows = append(sv.Rows, rv)
		}
		out.Sections = append(out.Sections, sv)
	}
	for _, p := range sm.GetPools() {
		t := tiers[p.GetPriceTier()]
		out.Pools = append(out.Pools, poolView{ID: p.GetId(), Name: p.GetName(), Capacity: p.GetCapacity(),
			Available: p.GetCapacity() - p.GetHeld() - p.GetSold(), PriceTier: p.GetPriceTier(), PriceCents: t.GetPriceCents(), Currency: t.GetCurrency()})
	}
	return out
}

// encodeCursor spells shard positions as "shard:sequence,..." in shard
// order: short, readable, and usable as an SSE event id.
func encodeCursor(positions []*boxofficev1.ShardPosition) string {
	sorted := slices.Clone(positions)
	slices.SortFunc(sorted, func(a, b *boxofficev1.ShardPosition) int { return int(a.GetShard()) - int(b.GetShard()) })
	parts := make([]string, 0, len(sorted))
	for _, p := range sorted {
		parts = append(parts, fmt.Sprintf("%d:%d", p.GetShard(), p.GetSequence()))
	}
	return strings.Join(parts, ",")
}

const cursorShardsMax = 256

func decodeCursor(s string) ([]*boxofficev1.ShardPosition, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > cursorShardsMax {
		return nil, problem(ErrInvalid, "cursor names too many shards")
	}
	var out []*boxofficev1.ShardPosition
	for _, part := range parts {
		shard, seq, ok := strings.Cut(part, ":")
		sh, err1 := strconv.ParseUint(shard, 10, 32)
		sq, err2 := strconv.ParseUint(seq, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, problem(ErrInvalid, fmt.Sprintf("cursor part %q: want shard:sequence", echo(part)))
		}
		out = append(out, &boxofficev1.ShardPosition{Shard: uint32(sh), Sequence: sq})
	}
	return out, nil
}

type seatChangeView struct {
	SeatID      string  `json:"seat_id"`
	State       string  `json:"state"`
	GAAvailable *uint32 `json:"general_admission_available,omitempty"`
}

// sseHeartbeat keeps idle streams alive through proxies.
const sseHeartbeat = 15 * time.Second

// sseWriteTimeout bounds one write to a stream's client: a client that
// stops reading is dropped instead of pinning its handler.
const sseWriteTimeout = 10 * time.Second

// SetWriteDeadline lets http.ResponseController set a stream's write
// deadline through the recorder.
func (s *statusRecorder) SetWriteDeadline(deadline time.Time) error {
	return http.NewResponseController(s.ResponseWriter).SetWriteDeadline(deadline)
}

// seatStream serves Server-Sent Events of seat changes, fed by the event's
// shared cluster Watch (watchhub.go). Each event's id is the cursor after
// it, so a client that reconnects with Last-Event-ID (browsers do this by
// themselves) resumes exactly where it stopped. A cursor older than the
// gateway or the cluster can replay gets a "reset" event: fetch the seat
// map again and stream from its cursor. A client that falls behind gets an
// "error" event carrying its cursor and is disconnected; it resumes by
// reconnecting. Each identity may have Config.StreamsPerFan streams open.
func (g *Gateway) seatStream(c *call) (int, any, error) {
	eventID := c.r.PathValue("event")
	cursor := c.r.Header.Get("Last-Event-ID")
	if cursor == "" {
		cursor = c.r.URL.Query().Get("after")
	}
	after, err := decodeCursor(cursor)
	if err != nil {
		return 0, nil, err
	}
	if _, ok := c.w.(http.Flusher); !ok {
		return 0, nil, errors.New("streaming unsupported by this connection")
	}
	release, err := g.streams.acquire(c.subject)
	if err != nil {
		return 0, nil, err
	}
	defer release()
	sub, err := g.hub.subscribe(c.ctx, eventID, after)
	if err != nil && !errors.Is(err, errCursorTooOld) {
		return 0, nil, err
	}
	if sub != nil {
		defer g.hub.unsubscribe(sub)
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.w.WriteHeader(http.StatusOK)
	// Each write has sseWriteTimeout; between writes there is no deadline
	// (HTTP/2 resets a stream whose deadline passes while it is idle), and
	// none is left behind for the connection's next request.
	control := http.NewResponseController(c.w)
	send := func(text string) bool {
		_ = control.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
		defer func() { _ = control.SetWriteDeadline(time.Time{}) }()
		if _, err := io.WriteString(c.w, text); err != nil {
			return false
		}
		return control.Flush() == nil
	}
	if !send(": seat changes of " + eventID + "\nretry: 2000\n\n") {
		return 0, nil, nil
	}
	if sub == nil {
		send(seatStreamReset)
		return 0, nil, nil
	}
	heartbeat := time.NewTicker(sseHeartbeat)
	defer heartbeat.Stop()
	var out strings.Builder
	for {
		select {
		case <-c.ctx.Done():
			return 0, nil, nil
		case <-heartbeat.C:
			if !send(": heartbeat\n\n") {
				return 0, nil, nil
			}
		case <-sub.ended:
			switch sub.reason {
			case endReset:
				send(seatStreamReset)
			case endSlow:
				data, _ := json.Marshal(map[string]string{"reason": "too far behind: reconnect with Last-Event-ID to resume", "cursor": cursorOf(sub.positions)})
				send("event: error\ndata: " + string(data) + "\n\n")
			default:
				send("event: error\ndata: {\"reason\":\"cluster stream ended; reconnect\"}\n\n")
			}
			return 0, nil, nil
		case batch := <-sub.changes:
			out.Reset()
			for _, ch := range batch {
				if ch.GetSequence() <= sub.positions[ch.GetShard()] {
					continue // before this stream's cursor, or replayed twice
				}
				sub.positions[ch.GetShard()] = ch.GetSequence()
				view := seatChangeView{SeatID: ch.GetSeatId(), State: stateName(ch.GetState())}
				if ch.GetGeneralAdmissionAvailable() > 0 || strings.Contains(ch.GetSeatId(), "#") {
					n := ch.GetGeneralAdmissionAvailable()
					view.GAAvailable = &n
				}
				data, _ := json.Marshal(view)
				fmt.Fprintf(&out, "id: %s\nevent: seat\ndata: %s\n\n", cursorOf(sub.positions), data)
			}
			if out.Len() > 0 && !send(out.String()) {
				return 0, nil, nil
			}
		}
	}
}

const seatStreamReset = "event: reset\ndata: {\"reason\":\"cursor too old: reload the seat map\"}\n\n"

func cursorOf(positions map[uint32]uint64) string {
	var list []*boxofficev1.ShardPosition
	for s, q := range positions {
		list = append(list, &boxofficev1.ShardPosition{Shard: s, Sequence: q})
	}
	return encodeCursor(list)
}
