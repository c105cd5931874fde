package crossshard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/api/holdid"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// errorWant says what error a case expects: none, a sentinel, a shard's
// refusal with a code, or Propose's error passed through.
type errorWant struct {
	sentinel error
	refusal  fsmpb.Code
}

func (w errorWant) check(t *testing.T, err error) {
	t.Helper()
	var ref *RefusalError
	switch {
	case w.sentinel != nil:
		if !errors.Is(err, w.sentinel) {
			t.Fatalf("error = %v, want %v", err, w.sentinel)
		}
	case w.refusal != fsmpb.Code_CODE_UNSPECIFIED:
		if !errors.As(err, &ref) || ref.Code != w.refusal {
			t.Fatalf("error = %v, want a refusal %v", err, w.refusal)
		}
	case err != nil:
		t.Fatalf("error = %v, want none", err)
	}
}

var (
	noError      = errorWant{}
	unknown      = errorWant{sentinel: context.DeadlineExceeded}
	isInvalid    = errorWant{sentinel: ErrInvalid}
	isNotFound   = errorWant{sentinel: ErrNotFound}
	isTooLarge   = errorWant{sentinel: ErrTooLarge}
	notInOrder   = errorWant{sentinel: ErrTicketNotInOrder}
	refusedWith  = func(code fsmpb.Code) errorWant { return errorWant{refusal: code} }
	holdAB       = holdid.New("ev", "r", []uint32{0, 1})
	holdABC      = holdid.New("ev", "r", []uint32{0, 1, 2})
	heldNothing  = []string{}
	seatsRequest = func(seats ...string) *boxofficev1.HoldRequest {
		return &boxofficev1.HoldRequest{RequestId: "r", EventId: "ev", Holder: "fan",
			Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: seats}}}
	}
	bestRequest = func(best *boxofficev1.BestAvailable) *boxofficev1.HoldRequest {
		return &boxofficev1.HoldRequest{RequestId: "r", EventId: "ev", Holder: "fan",
			Selection: &boxofficev1.HoldRequest_Best{Best: best}}
	}
)

func TestHold(t *testing.T) {
	tests := []struct {
		name      string
		req       *boxofficev1.HoldRequest
		faults    map[string][]fault
		want      errorWant
		wantHold  *boxofficev1.HoldResponse
		proposals []string // request ids proposed, sorted
		held      []string // seats held afterwards in every shard
		warned    bool     // a failed compensation was logged
	}{
		{name: "seats in one shard", req: seatsRequest("A-1-1", "A-1-2"),
			wantHold:  &boxofficev1.HoldResponse{HoldId: holdid.New("ev", "r", []uint32{0}), SeatIds: []string{"A-1-1", "A-1-2"}, ExpiresAtUnixMs: holdExpiresMs},
			proposals: []string{"r/0"}, held: []string{"A-1-1", "A-1-2"}},
		{name: "seats across shards: one hold id naming both, the earliest expiry", req: seatsRequest("B-1-1", "A-1-1"),
			wantHold:  &boxofficev1.HoldResponse{HoldId: holdAB, SeatIds: []string{"A-1-1", "B-1-1"}, ExpiresAtUnixMs: holdExpiresMs},
			proposals: []string{"r/0", "r/1"}, held: []string{"A-1-1", "B-1-1"}},
		{name: "a shard refuses: the parts held are released", req: seatsRequest("A-1-1", "B-1-1", "C-1-1"),
			faults: map[string][]fault{"r/1": {refused(fsmpb.Code_CODE_CONFLICT)}},
			want:   refusedWith(fsmpb.Code_CODE_CONFLICT), proposals: []string{"r/0", "r/1", "r/2", "r/undo/0", "r/undo/2"}, held: heldNothing},
		{name: "two shards refuse: the first refusal in shard order is answered", req: seatsRequest("A-1-1", "B-1-1", "C-1-1"),
			faults: map[string][]fault{"r/1": {refused(fsmpb.Code_CODE_NOT_FOUND)}, "r/2": {refused(fsmpb.Code_CODE_CONFLICT)}},
			want:   refusedWith(fsmpb.Code_CODE_NOT_FOUND), proposals: []string{"r/0", "r/1", "r/2", "r/undo/0"}, held: heldNothing},
		{name: "a release of the undo times out: logged, the TTL frees the part", req: seatsRequest("A-1-1", "B-1-1"),
			faults: map[string][]fault{"r/1": {refused(fsmpb.Code_CODE_CONFLICT)}, "r/undo/0": {timedOut()}},
			want:   refusedWith(fsmpb.Code_CODE_CONFLICT), proposals: []string{"r/0", "r/1", "r/undo/0"}, held: []string{"A-1-1"}, warned: true},
		{name: "a release of the undo is refused: logged", req: seatsRequest("A-1-1", "B-1-1"),
			faults: map[string][]fault{"r/1": {refused(fsmpb.Code_CODE_CONFLICT)}, "r/undo/0": {refused(fsmpb.Code_CODE_NOT_OWNER)}},
			want:   refusedWith(fsmpb.Code_CODE_CONFLICT), proposals: []string{"r/0", "r/1", "r/undo/0"}, held: []string{"A-1-1"}, warned: true},
		{name: "the undo finds the part expired: nothing to log", req: seatsRequest("A-1-1", "B-1-1"),
			faults: map[string][]fault{"r/1": {refused(fsmpb.Code_CODE_CONFLICT)}, "r/undo/0": {refused(fsmpb.Code_CODE_EXPIRED)}},
			want:   refusedWith(fsmpb.Code_CODE_CONFLICT), proposals: []string{"r/0", "r/1", "r/undo/0"}, held: []string{"A-1-1"}},
		{name: "a shard times out: the unknown outcome is answered, nothing undone", req: seatsRequest("A-1-1", "B-1-1"),
			faults: map[string][]fault{"r/1": {timedOut()}},
			want:   unknown, proposals: []string{"r/0", "r/1"}, held: []string{"A-1-1"}},
		{name: "a shard refuses and another times out: the unknown outcome wins, nothing undone", req: seatsRequest("A-1-1", "B-1-1", "C-1-1"),
			faults: map[string][]fault{"r/1": {refused(fsmpb.Code_CODE_CONFLICT)}, "r/2": {answerLost()}},
			want:   unknown, proposals: []string{"r/0", "r/1", "r/2"}, held: []string{"A-1-1", "C-1-1"}},
		{name: "one shard refusing a one-shard hold", req: seatsRequest("A-1-1"),
			faults: map[string][]fault{"r/0": {refused(fsmpb.Code_CODE_CONFLICT)}},
			want:   refusedWith(fsmpb.Code_CODE_CONFLICT), proposals: []string{"r/0"}, held: heldNothing},

		{name: "best available in a section", req: bestRequest(&boxofficev1.BestAvailable{Quantity: 2, SectionId: "B"}),
			wantHold:  &boxofficev1.HoldResponse{HoldId: holdid.New("ev", "r", []uint32{1}), SeatIds: []string{"B-1-1", "B-1-2"}, ExpiresAtUnixMs: holdExpiresMs + 1},
			proposals: []string{"r/1"}, held: []string{"B-1-1", "B-1-2"}},
		{name: "best available anywhere: the next shard when one has too few seats", req: bestRequest(&boxofficev1.BestAvailable{Quantity: 1}),
			faults:    map[string][]fault{"r/0": {refused(fsmpb.Code_CODE_UNAVAILABLE)}},
			wantHold:  &boxofficev1.HoldResponse{HoldId: holdid.New("ev", "r", []uint32{1}), SeatIds: []string{"B-1-1"}, ExpiresAtUnixMs: holdExpiresMs + 1},
			proposals: []string{"r/0", "r/1"}, held: []string{"B-1-1"}},
		{name: "best available anywhere: another refusal stops the search", req: bestRequest(&boxofficev1.BestAvailable{Quantity: 1}),
			faults: map[string][]fault{"r/0": {refused(fsmpb.Code_CODE_INVALID)}},
			want:   refusedWith(fsmpb.Code_CODE_INVALID), proposals: []string{"r/0"}, held: heldNothing},
		{name: "best available anywhere: a timeout stops the search", req: bestRequest(&boxofficev1.BestAvailable{Quantity: 1}),
			faults: map[string][]fault{"r/0": {timedOut()}},
			want:   unknown, proposals: []string{"r/0"}, held: heldNothing},
		{name: "best available anywhere: every shard too full", req: bestRequest(&boxofficev1.BestAvailable{Quantity: 1, PriceTier: "silver"}),
			faults: map[string][]fault{"r/1": {refused(fsmpb.Code_CODE_UNAVAILABLE)}, "r/2": {refused(fsmpb.Code_CODE_UNAVAILABLE)}},
			want:   refusedWith(fsmpb.Code_CODE_UNAVAILABLE), proposals: []string{"r/1", "r/2"}, held: heldNothing},
		{name: "best available in a price tier no shard sells", req: bestRequest(&boxofficev1.BestAvailable{Quantity: 1, PriceTier: "bronze"}),
			want: isNotFound, held: heldNothing},
		{name: "best available in an unknown section", req: bestRequest(&boxofficev1.BestAvailable{Quantity: 1, SectionId: "Z"}),
			want: isNotFound, held: heldNothing},
		{name: "best available of no seats", req: bestRequest(&boxofficev1.BestAvailable{}), want: isInvalid, held: heldNothing},
		{name: "best available over the event's seats per hold", req: bestRequest(&boxofficev1.BestAvailable{Quantity: 21}), want: isTooLarge, held: heldNothing},

		{name: "general admission in the pool's shard",
			req: &boxofficev1.HoldRequest{RequestId: "r", EventId: "ev", Holder: "fan",
				Selection: &boxofficev1.HoldRequest_GeneralAdmission{GeneralAdmission: &boxofficev1.GeneralAdmission{PoolId: "GA", Quantity: 3}}},
			wantHold:  &boxofficev1.HoldResponse{HoldId: holdid.New("ev", "r", []uint32{2}), GeneralAdmissionQuantity: 3, ExpiresAtUnixMs: holdExpiresMs + 2},
			proposals: []string{"r/2"}, held: heldNothing},
		{name: "general admission in an unknown pool",
			req: &boxofficev1.HoldRequest{RequestId: "r", EventId: "ev", Holder: "fan",
				Selection: &boxofficev1.HoldRequest_GeneralAdmission{GeneralAdmission: &boxofficev1.GeneralAdmission{PoolId: "VIP", Quantity: 3}}},
			want: isNotFound, held: heldNothing},
		{name: "general admission of none",
			req: &boxofficev1.HoldRequest{RequestId: "r", EventId: "ev", Holder: "fan",
				Selection: &boxofficev1.HoldRequest_GeneralAdmission{GeneralAdmission: &boxofficev1.GeneralAdmission{PoolId: "GA"}}},
			want: isInvalid, held: heldNothing},

		{name: "no selection", req: &boxofficev1.HoldRequest{RequestId: "r", EventId: "ev", Holder: "fan"}, want: isInvalid, held: heldNothing},
		{name: "no seats", req: seatsRequest(), want: isInvalid, held: heldNothing},
		{name: "more seats than the event allows", req: seatsRequest(seatIDs("A", 21)...), want: isTooLarge, held: heldNothing},
		{name: "a seat id without a section", req: seatsRequest("A-1-1", "-1-1"), want: isInvalid, held: heldNothing},
		{name: "a seat in an unknown section", req: seatsRequest("A-1-1", "Z-1-1"), want: isNotFound, held: heldNothing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, log := newTestCoordinator(t, tt.faults)
			resp, err := c.Hold(t.Context(), tt.req, testEvent())
			tt.want.check(t, err)
			if tt.wantHold != nil {
				tt.wantHold.EventId, tt.wantHold.Holder = "ev", "fan"
				slices.Sort(resp.SeatIds)
				if fmt.Sprint(resp) != fmt.Sprint(tt.wantHold) {
					t.Errorf("answer = %v\nwant     %v", resp, tt.wantHold)
				}
			}
			if got := fake.proposals(); !slices.Equal(got, tt.proposals) {
				t.Errorf("proposed %q, want %q", got, tt.proposals)
			}
			if got := fake.heldSeats(); !slices.Equal(got, tt.held) {
				t.Errorf("held afterwards: %q, want %q", got, tt.held)
			}
			if warned := strings.Contains(log.String(), "undoing a partial multi-shard hold failed"); warned != tt.warned {
				t.Errorf("warned = %v, want %v (log: %s)", warned, tt.warned, log)
			}
		})
	}
}

func seatIDs(section string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-1-%d", section, i+1)
	}
	return out
}

// A client that saw an unknown outcome retries the same request: every
// shard's part applies once, and the retry answers the whole hold, or
// finishes the compensation the first call could not start.
func TestHoldRetryAfterUnknownOutcome(t *testing.T) {
	tests := []struct {
		name    string
		seats   []string
		faults  map[string][]fault
		retries []errorWant // the answer to each call, the first included
		held    []string
	}{
		{name: "the answer of one shard was lost", seats: []string{"A-1-1", "B-1-1"},
			faults:  map[string][]fault{"r/1": {answerLost()}},
			retries: []errorWant{unknown, noError}, held: []string{"A-1-1", "B-1-1"}},
		{name: "one shard was not reached", seats: []string{"A-1-1", "B-1-1"},
			faults:  map[string][]fault{"r/1": {timedOut()}},
			retries: []errorWant{unknown, noError}, held: []string{"A-1-1", "B-1-1"}},
		{name: "one shard timed out twice", seats: []string{"A-1-1", "B-1-1", "C-1-1"},
			faults:  map[string][]fault{"r/2": {timedOut(), answerLost()}},
			retries: []errorWant{unknown, unknown, noError}, held: []string{"A-1-1", "B-1-1", "C-1-1"}},
		{name: "one shard refused while another timed out: the retry undoes the rest", seats: []string{"A-1-1", "B-1-1", "C-1-1"},
			faults:  map[string][]fault{"r/1": {refused(fsmpb.Code_CODE_CONFLICT)}, "r/2": {answerLost()}},
			retries: []errorWant{unknown, refusedWith(fsmpb.Code_CODE_CONFLICT)}, held: heldNothing},
		{name: "a retry after a refusal answers the refusal again and undoes nothing twice", seats: []string{"A-1-1", "B-1-1"},
			faults:  map[string][]fault{"r/1": {refused(fsmpb.Code_CODE_CONFLICT)}},
			retries: []errorWant{refusedWith(fsmpb.Code_CODE_CONFLICT), refusedWith(fsmpb.Code_CODE_CONFLICT)}, held: heldNothing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _ := newTestCoordinator(t, tt.faults)
			var resp *boxofficev1.HoldResponse
			for i, want := range tt.retries {
				var err error
				resp, err = c.Hold(t.Context(), seatsRequest(tt.seats...), testEvent())
				t.Logf("call %d: %v", i+1, err)
				want.check(t, err)
			}
			if resp != nil {
				slices.Sort(resp.SeatIds)
				if !slices.Equal(resp.SeatIds, tt.seats) {
					t.Errorf("the retry answered seats %q, want %q", resp.SeatIds, tt.seats)
				}
			}
			if again := fake.appliedMoreThanOnce(); len(again) > 0 {
				t.Errorf("applied more than once: %q", again)
			}
			if got := fake.heldSeats(); !slices.Equal(got, tt.held) {
				t.Errorf("held afterwards: %q, want %q", got, tt.held)
			}
		})
	}
}

// A request id reused for another multi-shard hold is refused by every
// shard, even the one whose part is the same, and the first hold keeps
// its seats: nothing is undone.
func TestHoldRequestIDReusedForAnotherHold(t *testing.T) {
	c, fake, _ := newTestCoordinator(t, nil)
	if _, err := c.Hold(t.Context(), seatsRequest("A-1-1", "B-1-1"), testEvent()); err != nil {
		t.Fatal(err)
	}
	fake.proposals()
	_, err := c.Hold(t.Context(), seatsRequest("A-1-1", "B-1-2"), testEvent())
	refusedWith(fsmpb.Code_CODE_REQUEST_ID_REUSED).check(t, err)
	if got, want := fake.proposals(), []string{"r/0", "r/1"}; !slices.Equal(got, want) {
		t.Errorf("proposed %q, want %q (no undo)", got, want)
	}
	if got, want := fake.heldSeats(), []string{"A-1-1", "B-1-1"}; !slices.Equal(got, want) {
		t.Errorf("held afterwards: %q, want the first hold's %q", got, want)
	}
}

func sellRequest(holdID string) *boxofficev1.SellRequest {
	return &boxofficev1.SellRequest{RequestId: "s", EventId: "ev", HoldId: holdID, Holder: "fan", OrderId: "o1", Buyer: "buyer"}
}

func TestSell(t *testing.T) {
	pinUntil := testNow.Add(PinDuration).UnixMilli()
	holdA := holdid.New("ev", "r", []uint32{0})
	tests := []struct {
		name      string
		holdID    string
		faults    map[string][]fault
		want      errorWant
		tickets   []string // seats of the tickets answered, sorted
		proposals []string
		held      []string
		pins      map[uint32]int64 // pin of the hold in each shard afterwards (-1: no hold)
	}{
		{name: "a hold in one shard sells in one command, unpinned", holdID: holdA,
			tickets: []string{"A-1-1"}, proposals: []string{"s/0"}, held: heldNothing},
		{name: "a hold across shards is pinned in every shard, then sold", holdID: holdAB,
			tickets: []string{"A-1-1", "B-1-1"}, proposals: []string{"s/0", "s/1", "s/pin/0", "s/pin/1"}, held: heldNothing},
		{name: "a pin refused: the other shards are unpinned and nothing is sold", holdID: holdABC,
			faults: map[string][]fault{"s/pin/1": {refused(fsmpb.Code_CODE_EXPIRED)}},
			want:   refusedWith(fsmpb.Code_CODE_EXPIRED), proposals: []string{"s/pin/0", "s/pin/1", "s/pin/2", "s/unpin/0", "s/unpin/2"},
			held: []string{"A-1-1", "B-1-1", "C-1-1"}, pins: map[uint32]int64{0: 0, 1: 0, 2: 0}},
		{name: "an unpin that fails is left to the pin's expiry", holdID: holdAB,
			faults: map[string][]fault{"s/pin/1": {refused(fsmpb.Code_CODE_NOT_OWNER)}, "s/unpin/0": {timedOut()}},
			want:   refusedWith(fsmpb.Code_CODE_NOT_OWNER), proposals: []string{"s/pin/0", "s/pin/1", "s/unpin/0"},
			held: []string{"A-1-1", "B-1-1"}, pins: map[uint32]int64{0: pinUntil, 1: 0}},
		{name: "a pin times out: the unknown outcome is answered, nothing sold or unpinned", holdID: holdAB,
			faults: map[string][]fault{"s/pin/1": {answerLost()}},
			want:   unknown, proposals: []string{"s/pin/0", "s/pin/1"},
			held: []string{"A-1-1", "B-1-1"}, pins: map[uint32]int64{0: pinUntil, 1: pinUntil}},
		{name: "a sell refused in one shard after the pins: the refusal is answered", holdID: holdAB,
			faults: map[string][]fault{"s/1": {refused(fsmpb.Code_CODE_NOT_OWNER)}},
			want:   refusedWith(fsmpb.Code_CODE_NOT_OWNER), proposals: []string{"s/0", "s/1", "s/pin/0", "s/pin/1"},
			held: []string{"B-1-1"}, pins: map[uint32]int64{0: -1, 1: pinUntil}},
		{name: "a sell times out in one shard: the unknown outcome is answered", holdID: holdAB,
			faults: map[string][]fault{"s/1": {timedOut()}},
			want:   unknown, proposals: []string{"s/0", "s/1", "s/pin/0", "s/pin/1"},
			held: []string{"B-1-1"}, pins: map[uint32]int64{0: -1, 1: pinUntil}},
		{name: "a hold id that does not parse", holdID: "nonsense", want: isInvalid,
			held: []string{"A-1-1", "B-1-1", "C-1-1"}},
		{name: "a hold id naming a shard the event lacks", holdID: holdid.New("ev", "r", []uint32{0, 7}), want: isNotFound,
			held: []string{"A-1-1", "B-1-1", "C-1-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _ := newTestCoordinator(t, tt.faults)
			_, shards, _ := holdid.Parse(tt.holdID)
			if len(shards) == 0 || slices.Contains(shards, 7) {
				shards = []uint32{0, 1, 2}
			}
			for _, n := range shards {
				fake.hold(n, tt.holdID, fmt.Sprintf("%c-1-1", 'A'+n))
			}
			resp, err := c.Sell(t.Context(), sellRequest(tt.holdID), testEvent())
			tt.want.check(t, err)
			if err == nil {
				var seats []string
				for _, tk := range resp.Tickets {
					seats = append(seats, tk.SeatId)
					if tk.OrderId != "o1" || tk.Buyer != "buyer" || !strings.HasPrefix(tk.TicketId, "ev/") {
						t.Errorf("ticket %v is not of order o1 for buyer", tk)
					}
				}
				slices.Sort(seats)
				if !slices.Equal(seats, tt.tickets) || resp.OrderId != "o1" {
					t.Errorf("answer %v, want tickets for %q", resp, tt.tickets)
				}
			}
			if got := fake.proposals(); !slices.Equal(got, tt.proposals) {
				t.Errorf("proposed %q, want %q", got, tt.proposals)
			}
			if got := fake.heldSeats(); !slices.Equal(got, tt.held) {
				t.Errorf("held afterwards: %q, want %q", got, tt.held)
			}
			for n, want := range tt.pins {
				if got := fake.pinnedUntil(n, tt.holdID); got != want {
					t.Errorf("shard %d: pinned until %d, want %d", n, got, want)
				}
			}
		})
	}
}

// A sell retried after an unknown outcome sells every part once and
// answers every ticket.
func TestSellRetryAfterUnknownOutcome(t *testing.T) {
	for _, faults := range []map[string][]fault{
		{"s/1": {answerLost()}},
		{"s/1": {timedOut()}},
		{"s/pin/0": {answerLost()}},
		{"s/pin/1": {timedOut()}, "s/0": {answerLost()}},
	} {
		t.Run(fmt.Sprint(faults), func(t *testing.T) {
			c, fake, _ := newTestCoordinator(t, faults)
			fake.hold(0, holdAB, "A-1-1")
			fake.hold(1, holdAB, "B-1-1")
			if _, err := c.Sell(t.Context(), sellRequest(holdAB), testEvent()); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("first call: %v, want an unknown outcome", err)
			}
			var resp *boxofficev1.SellResponse
			var err error
			for range 2 { // the last fault clears on the second retry at the latest
				if resp, err = c.Sell(t.Context(), sellRequest(holdAB), testEvent()); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Tickets) != 2 {
				t.Errorf("the retry answered %d tickets, want 2: %v", len(resp.Tickets), resp)
			}
			if again := fake.appliedMoreThanOnce(); len(again) > 0 {
				t.Errorf("applied more than once: %q", again)
			}
		})
	}
}

func TestExtendHold(t *testing.T) {
	tests := []struct {
		name      string
		holdID    string
		faults    map[string][]fault
		want      errorWant
		expiresMs int64
		proposals []string
	}{
		{name: "every shard extends; the earliest expiry is answered", holdID: holdAB,
			expiresMs: extendedExpiresMs, proposals: []string{"x/0", "x/1"}},
		{name: "a shard refuses: the refusal is answered", holdID: holdAB,
			faults: map[string][]fault{"x/1": {refused(fsmpb.Code_CODE_EXPIRED)}},
			want:   refusedWith(fsmpb.Code_CODE_EXPIRED), proposals: []string{"x/0", "x/1"}},
		{name: "a shard times out", holdID: holdAB,
			faults: map[string][]fault{"x/0": {timedOut()}},
			want:   unknown, proposals: []string{"x/0", "x/1"}},
		{name: "a hold id that does not parse", holdID: "ev", want: isInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _ := newTestCoordinator(t, tt.faults)
			fake.hold(0, holdAB, "A-1-1")
			fake.hold(1, holdAB, "B-1-1")
			resp, err := c.ExtendHold(t.Context(), &boxofficev1.ExtendHoldRequest{RequestId: "x", EventId: "ev", HoldId: tt.holdID, Holder: "fan", TtlMs: 60_000}, testEvent())
			tt.want.check(t, err)
			if err == nil && (resp.ExpiresAtUnixMs != tt.expiresMs || len(resp.SeatIds) != 2 || resp.HoldId != holdAB) {
				t.Errorf("answer %v, want both seats expiring at %d", resp, tt.expiresMs)
			}
			if got := fake.proposals(); !slices.Equal(got, tt.proposals) {
				t.Errorf("proposed %q, want %q", got, tt.proposals)
			}
		})
	}
}

func TestRelease(t *testing.T) {
	tests := []struct {
		name      string
		holdID    string
		faults    map[string][]fault
		expired   []uint32 // shards whose part is gone already
		want      errorWant
		released  []string
		proposals []string
	}{
		{name: "every shard releases its part", holdID: holdAB,
			released: []string{"A-1-1", "B-1-1"}, proposals: []string{"l/0", "l/1"}},
		{name: "one part expired: the others' seats are answered", holdID: holdAB, expired: []uint32{1},
			released: []string{"A-1-1"}, proposals: []string{"l/0", "l/1"}},
		{name: "every part expired: the first refusal", holdID: holdAB, expired: []uint32{0, 1},
			want: refusedWith(fsmpb.Code_CODE_NOT_FOUND), proposals: []string{"l/0", "l/1"}},
		{name: "a shard refuses: the others still release", holdID: holdAB,
			faults:   map[string][]fault{"l/0": {refused(fsmpb.Code_CODE_NOT_OWNER)}},
			released: []string{"B-1-1"}, proposals: []string{"l/0", "l/1"}},
		{name: "a shard times out", holdID: holdAB,
			faults: map[string][]fault{"l/1": {timedOut()}},
			want:   unknown, proposals: []string{"l/0", "l/1"}},
		{name: "a hold id naming a shard the event lacks", holdID: holdid.New("ev", "r", []uint32{9}), want: isNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _ := newTestCoordinator(t, tt.faults)
			for n, seat := range []string{"A-1-1", "B-1-1"} {
				if !slices.Contains(tt.expired, uint32(n)) {
					fake.hold(uint32(n), holdAB, seat)
				}
			}
			resp, err := c.Release(t.Context(), &boxofficev1.ReleaseRequest{RequestId: "l", EventId: "ev", HoldId: tt.holdID, Holder: "fan"}, testEvent())
			tt.want.check(t, err)
			if err == nil {
				slices.Sort(resp.SeatIds)
				if !slices.Equal(resp.SeatIds, tt.released) {
					t.Errorf("released %q, want %q", resp.SeatIds, tt.released)
				}
			}
			if got := fake.proposals(); !slices.Equal(got, tt.proposals) {
				t.Errorf("proposed %q, want %q", got, tt.proposals)
			}
		})
	}
}

func TestRefund(t *testing.T) {
	tests := []struct {
		name      string
		tickets   []string
		faults    map[string][]fault
		want      errorWant
		proposals []string
	}{
		{name: "each shard is sent its own tickets", tickets: []string{"ev/0/1", "ev/1/1", "ev/0/2"},
			proposals: []string{"f/0", "f/1"}},
		{name: "a ticket a shard did not sell in the order: nothing refunded there", tickets: []string{"ev/0/1", "ev/1/9"},
			want: notInOrder, proposals: []string{"f/0", "f/1"}},
		{name: "a shard refuses otherwise: the refusal", tickets: []string{"ev/0/1", "ev/1/1"},
			faults: map[string][]fault{"f/1": {refused(fsmpb.Code_CODE_INVALID)}},
			want:   refusedWith(fsmpb.Code_CODE_INVALID), proposals: []string{"f/0", "f/1"}},
		{name: "a shard times out", tickets: []string{"ev/0/1", "ev/1/1"},
			faults: map[string][]fault{"f/0": {timedOut()}},
			want:   unknown, proposals: []string{"f/0", "f/1"}},
		{name: "a ticket of another event: nothing proposed", tickets: []string{"ev/0/1", "other/0/1"}, want: notInOrder},
		{name: "a ticket of a shard the event lacks: nothing proposed", tickets: []string{"ev/5/1"}, want: notInOrder},
		{name: "a ticket id without a number: nothing proposed", tickets: []string{"ev/0/x"}, want: notInOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _ := newTestCoordinator(t, tt.faults)
			fake.sell(0, "o1", "ev/0/1", "ev/0/2")
			fake.sell(1, "o1", "ev/1/1")
			resp, err := c.Refund(t.Context(), &boxofficev1.RefundRequest{RequestId: "f", EventId: "ev", OrderId: "o1", TicketIds: tt.tickets}, testEvent())
			tt.want.check(t, err)
			if err == nil {
				var got []string
				for _, tk := range resp.Tickets {
					got = append(got, tk.TicketId)
				}
				if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(tt.tickets))) {
					t.Errorf("refunded %q, want %q", got, tt.tickets)
				}
			}
			if got := fake.proposals(); !slices.Equal(got, tt.proposals) {
				t.Errorf("proposed %q, want %q", got, tt.proposals)
			}
		})
	}
}

func TestShardRequestID(t *testing.T) {
	tests := []struct {
		step  string
		shard uint32
		want  string
	}{
		{"", 0, "r/0"},
		{"", 12, "r/12"},
		{"pin", 3, "r/pin/3"},
		{"unpin", 3, "r/unpin/3"},
		{"undo", 3, "r/undo/3"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := shardRequestID("r", tt.step, tt.shard)
		if got != tt.want {
			t.Errorf("shardRequestID(r, %q, %d) = %q, want %q", tt.step, tt.shard, got, tt.want)
		}
		if seen[got] {
			t.Errorf("%q derived twice", got)
		}
		seen[got] = true
	}
}

// The digest a multi-shard request stamps into every part is the same for
// a retry (an equal message) and differs for another request; one shard
// needs none (the state machine fingerprints the command's body).
func TestCallerDigest(t *testing.T) {
	a := seatsRequest("A-1-1", "B-1-1")
	retry := seatsRequest("A-1-1", "B-1-1")
	other := seatsRequest("A-1-1", "B-1-2")
	if callerDigest(a, 1) != nil {
		t.Error("a one-shard request carries a digest")
	}
	if d := callerDigest(a, 2); len(d) != 16 || string(d) != string(callerDigest(retry, 2)) {
		t.Errorf("a retry's digest differs: %x, %x", d, callerDigest(retry, 2))
	}
	if string(callerDigest(a, 2)) == string(callerDigest(other, 2)) {
		t.Error("another request has the same digest")
	}
}
