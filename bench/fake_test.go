package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// fakeInventory is an in-memory seat store with the semantics the workload
// relies on (best available = lowest row, then lowest number), and planted
// bugs for showing that the checker catches them.
type fakeInventory struct {
	bug fakeBug
	// unavailableCreates is how many CreateEvent calls fail with
	// UNAVAILABLE (a cluster that has not formed) before one succeeds.
	unavailableCreates int

	mu        sync.Mutex
	eventID   string
	sections  []fakeSection
	byID      map[string]*fakeSeat
	holds     map[string][]*fakeSeat
	requests  map[string]any // request id -> first answer (response or error)
	sells     int
	holdsMade int
	// seatMapView is the view of the last seat-map read that named one.
	seatMapView boxofficev1.SeatMapView
}

func (f *fakeInventory) lastSeatMapView() boxofficev1.SeatMapView {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seatMapView
}

type fakeBug int

const (
	bugNone        fakeBug = iota
	bugLoseSell            // a sell is acknowledged but its seats stay held
	bugDoubleSell          // every 10th best-available hold may take sold seats
	bugLeakRelease         // a release is acknowledged but its seats stay held
)

type fakeSection struct {
	id   string
	rows [][]*fakeSeat
}

type fakeSeat struct {
	id     string
	number uint32
	state  boxofficev1.SeatState
	hold   string
	order  string
}

func newFakeInventory(bug fakeBug) *fakeInventory {
	return &fakeInventory{bug: bug, byID: map[string]*fakeSeat{}, holds: map[string][]*fakeSeat{}, requests: map[string]any{}}
}

func refusal(code codes.Code, reason, msg string) error {
	st, _ := status.New(code, msg).WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: boxofficev1.ErrorDomain})
	return st.Err()
}

// idempotent answers a repeated request id with its first answer.
func idempotent[Resp any](f *fakeInventory, requestID string, do func() (Resp, error)) (Resp, error) {
	if first, ok := f.requests[requestID]; ok {
		if err, isErr := first.(error); isErr {
			var zero Resp
			return zero, err
		}
		return first.(Resp), nil
	}
	resp, err := do()
	if err != nil {
		f.requests[requestID] = err
	} else {
		f.requests[requestID] = resp
	}
	return resp, err
}

func (f *fakeInventory) CreateEvent(_ context.Context, req *boxofficev1.CreateEventRequest) (*boxofficev1.CreateEventResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.unavailableCreates > 0 {
		f.unavailableCreates--
		return nil, status.Error(codes.Unavailable, "no leader for the meta group")
	}
	if f.eventID != "" {
		return nil, refusal(codes.AlreadyExists, boxofficev1.ReasonEventExists, "event exists")
	}
	f.eventID = req.GetEventId()
	for _, s := range req.GetVenue().GetSections() {
		section := fakeSection{id: s.GetId()}
		for _, r := range s.GetRows() {
			var row []*fakeSeat
			for n := uint32(1); n <= r.GetSeatCount(); n++ {
				seat := &fakeSeat{id: s.GetId() + "-" + r.GetLabel() + "-" + strconv.Itoa(int(n)), number: n,
					state: boxofficev1.SeatState_SEAT_STATE_AVAILABLE}
				row = append(row, seat)
				f.byID[seat.id] = seat
			}
			section.rows = append(section.rows, row)
		}
		f.sections = append(f.sections, section)
	}
	return &boxofficev1.CreateEventResponse{Event: &boxofficev1.Event{EventId: f.eventID}}, nil
}

func (f *fakeInventory) Hold(_ context.Context, req *boxofficev1.HoldRequest) (*boxofficev1.HoldResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return idempotent(f, req.GetRequestId(), func() (*boxofficev1.HoldResponse, error) {
		holdID := "hold-" + req.GetRequestId()
		var seats []*fakeSeat
		if best := req.GetBest(); best != nil {
			free := func(s *fakeSeat) bool { return s.state == boxofficev1.SeatState_SEAT_STATE_AVAILABLE }
			f.holdsMade++
			if f.bug == bugDoubleSell && f.holdsMade%10 == 9 {
				free = func(s *fakeSeat) bool { return s.state != boxofficev1.SeatState_SEAT_STATE_HELD }
			}
			seats = f.bestRun(best.GetSectionId(), int(best.GetQuantity()), free)
			if seats == nil {
				return nil, refusal(codes.ResourceExhausted, boxofficev1.ReasonNotEnoughSeats, "no adjacent seats")
			}
		} else {
			for _, id := range req.GetSeats().GetSeatIds() {
				seat := f.byID[id]
				if seat == nil {
					return nil, refusal(codes.NotFound, boxofficev1.ReasonNotFound, "no seat "+id)
				}
				if seat.state != boxofficev1.SeatState_SEAT_STATE_AVAILABLE {
					return nil, refusal(codes.Aborted, boxofficev1.ReasonSeatUnavailable, id+" is taken")
				}
				seats = append(seats, seat)
			}
		}
		resp := &boxofficev1.HoldResponse{HoldId: holdID, EventId: f.eventID, Holder: req.GetHolder()}
		for _, s := range seats {
			s.state, s.hold, s.order = boxofficev1.SeatState_SEAT_STATE_HELD, holdID, ""
			resp.SeatIds = append(resp.SeatIds, s.id)
		}
		f.holds[holdID] = seats
		return resp, nil
	})
}

func (f *fakeInventory) bestRun(sectionID string, n int, free func(*fakeSeat) bool) []*fakeSeat {
	for _, section := range f.sections {
		if section.id != sectionID {
			continue
		}
		for _, row := range section.rows {
			for i := 0; i+n <= len(row); i++ {
				ok := true
				for _, s := range row[i : i+n] {
					ok = ok && free(s)
				}
				if ok {
					return row[i : i+n]
				}
			}
		}
	}
	return nil
}

func (f *fakeInventory) Sell(_ context.Context, req *boxofficev1.SellRequest) (*boxofficev1.SellResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return idempotent(f, req.GetRequestId(), func() (*boxofficev1.SellResponse, error) {
		seats, ok := f.holds[req.GetHoldId()]
		if !ok {
			return nil, refusal(codes.NotFound, boxofficev1.ReasonNotFound, "no hold "+req.GetHoldId())
		}
		delete(f.holds, req.GetHoldId())
		f.sells++
		resp := &boxofficev1.SellResponse{OrderId: req.GetOrderId()}
		for _, s := range seats {
			if f.bug == bugLoseSell && f.sells%10 == 0 {
				continue
			}
			s.state, s.order = boxofficev1.SeatState_SEAT_STATE_SOLD, req.GetOrderId()
			resp.Tickets = append(resp.Tickets, &boxofficev1.Ticket{SeatId: s.id, OrderId: req.GetOrderId()})
		}
		return resp, nil
	})
}

func (f *fakeInventory) Release(_ context.Context, req *boxofficev1.ReleaseRequest) (*boxofficev1.ReleaseResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return idempotent(f, req.GetRequestId(), func() (*boxofficev1.ReleaseResponse, error) {
		seats, ok := f.holds[req.GetHoldId()]
		if !ok {
			return nil, refusal(codes.NotFound, boxofficev1.ReasonNotFound, "no hold "+req.GetHoldId())
		}
		delete(f.holds, req.GetHoldId())
		resp := &boxofficev1.ReleaseResponse{}
		for _, s := range seats {
			if f.bug != bugLeakRelease && s.hold == req.GetHoldId() && s.state == boxofficev1.SeatState_SEAT_STATE_HELD {
				s.state, s.hold = boxofficev1.SeatState_SEAT_STATE_AVAILABLE, ""
			}
			resp.SeatIds = append(resp.SeatIds, s.id)
		}
		return resp, nil
	})
}

func (f *fakeInventory) GetHold(_ context.Context, req *boxofficev1.GetHoldRequest) (*boxofficev1.HoldResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	seats, ok := f.holds[req.GetHoldId()]
	if !ok {
		return nil, refusal(codes.NotFound, boxofficev1.ReasonNotFound, "no hold "+req.GetHoldId())
	}
	resp := &boxofficev1.HoldResponse{HoldId: req.GetHoldId(), EventId: f.eventID}
	for _, s := range seats {
		resp.SeatIds = append(resp.SeatIds, s.id)
	}
	return resp, nil
}

func (f *fakeInventory) GetSeatMap(_ context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.GetView() != boxofficev1.SeatMapView_SEAT_MAP_VIEW_UNSPECIFIED {
		f.seatMapView = req.GetView()
	}
	out := &boxofficev1.SeatMap{EventId: f.eventID}
	for _, section := range f.sections {
		if len(req.GetSectionIds()) > 0 && req.GetSectionIds()[0] != section.id {
			continue
		}
		state := &boxofficev1.SectionState{Id: section.id}
		for r, row := range section.rows {
			rowState := &boxofficev1.RowState{Label: fmt.Sprintf("R%d", r+1)}
			for _, s := range row {
				rowState.Seats = append(rowState.Seats, &boxofficev1.Seat{SeatId: s.id, Number: s.number, State: s.state,
					HoldId: s.hold, OrderId: s.order})
				switch s.state {
				case boxofficev1.SeatState_SEAT_STATE_AVAILABLE:
					state.Available++
				case boxofficev1.SeatState_SEAT_STATE_HELD:
					state.Held++
				case boxofficev1.SeatState_SEAT_STATE_SOLD:
					state.Sold++
				}
			}
			state.Rows = append(state.Rows, rowState)
		}
		out.Sections = append(out.Sections, state)
		out.Available += state.Available
		out.Held += state.Held
		out.Sold += state.Sold
	}
	return out, nil
}
