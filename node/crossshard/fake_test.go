package crossshard

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// fault scripts one proposal of a request id: a refusal, or an error with
// the command applied or not.
type fault struct {
	code    fsmpb.Code // the state machine refuses with this code
	err     error      // Propose fails with this error
	applied bool       // with err: the command applied, its answer was lost
}

func refused(code fsmpb.Code) fault { return fault{code: code} }

// timedOut: the command never reached the state machine.
func timedOut() fault { return fault{err: context.DeadlineExceeded} }

// answerLost: the command applied, then the caller timed out.
func answerLost() fault { return fault{err: context.DeadlineExceeded, applied: true} }

// fakeShards stands in for the groups of an event's shards: a small model
// of the state machine (holds, pins, sold tickets, a dedup table keyed by
// request id and fingerprint) with scripted faults per request id.
type fakeShards struct {
	t *testing.T

	mu sync.Mutex
	// faults are consumed one per proposal of their request id; a request
	// id without (more) faults applies normally.
	faults     map[string][]fault
	remembered map[string]remembered      // by request id, as the dedup table
	applied    map[string]int             // request id → times it applied
	proposed   []string                   // request ids in the order proposed
	holds      map[uint32]map[string]held // shard → hold id → hold
	sold       map[uint32]map[string]*fsmpb.Ticket
}

type remembered struct {
	fingerprint []byte
	result      *fsmpb.Result
}

type held struct {
	seats       []string
	ga          uint32
	pinnedUntil int64
}

func newFakeShards(t *testing.T, faults map[string][]fault) *fakeShards {
	return &fakeShards{t: t, faults: faults, remembered: map[string]remembered{}, applied: map[string]int{},
		holds: map[uint32]map[string]held{}, sold: map[uint32]map[string]*fsmpb.Ticket{}}
}

func (f *fakeShards) Propose(ctx context.Context, shard *nodepb.ShardRecord, cmd *fsmpb.Command) (*fsmpb.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if got := commandShard(cmd); got != shard.Shard || shard.GroupId != fmt.Sprintf("g%d", shard.Shard) {
		f.t.Errorf("%s: a command for shard %d was sent to shard %d (group %s)", cmd.RequestId, got, shard.Shard, shard.GroupId)
	}
	f.proposed = append(f.proposed, cmd.RequestId)
	var ft fault
	if q := f.faults[cmd.RequestId]; len(q) > 0 {
		ft, f.faults[cmd.RequestId] = q[0], q[1:]
	}
	if ft.err != nil && !ft.applied {
		return nil, ft.err
	}
	fp := fingerprint(cmd)
	var res *fsmpb.Result
	if first, ok := f.remembered[cmd.RequestId]; ok {
		res = first.result
		if !bytes.Equal(first.fingerprint, fp) {
			res = &fsmpb.Result{Code: fsmpb.Code_CODE_REQUEST_ID_REUSED, Message: "request id reused"}
		}
	} else {
		if ft.code != fsmpb.Code_CODE_UNSPECIFIED {
			res = &fsmpb.Result{Code: ft.code, Message: fmt.Sprintf("%s refused: %v", cmd.RequestId, ft.code), SeatIds: cmd.GetHold().GetSeatIds()}
		} else {
			res = f.apply(shard, cmd)
		}
		f.remembered[cmd.RequestId] = remembered{fingerprint: fp, result: res}
		f.applied[cmd.RequestId]++
	}
	if ft.err != nil {
		return nil, ft.err
	}
	return proto.CloneOf(res), nil
}

// fingerprint is what the state machine compares a retry by: the caller's
// digest when the command carries one, else the command's body.
func fingerprint(cmd *fsmpb.Command) []byte {
	if cmd.RequestFingerprint != nil {
		return cmd.RequestFingerprint
	}
	body := proto.CloneOf(cmd)
	body.RequestId = ""
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(body)
	if err != nil {
		panic(err)
	}
	return b
}

func commandShard(cmd *fsmpb.Command) uint32 {
	switch b := cmd.Body.(type) {
	case *fsmpb.Command_Hold:
		return b.Hold.Shard
	case *fsmpb.Command_Release:
		return b.Release.Shard
	case *fsmpb.Command_ExtendHold:
		return b.ExtendHold.Shard
	case *fsmpb.Command_PinHold:
		return b.PinHold.Shard
	case *fsmpb.Command_Sell:
		return b.Sell.Shard
	case *fsmpb.Command_Refund:
		return b.Refund.Shard
	}
	panic(fmt.Sprintf("unexpected command %v", cmd.Type))
}

// Expiry times the fake answers: a hold in shard n expires at
// holdExpiresMs+n, an extended one at extendedExpiresMs+n.
const (
	holdExpiresMs     = 2_000_000
	extendedExpiresMs = 3_000_000
)

func (f *fakeShards) apply(shard *nodepb.ShardRecord, cmd *fsmpb.Command) *fsmpb.Result {
	n := shard.Shard
	if f.holds[n] == nil {
		f.holds[n] = map[string]held{}
		f.sold[n] = map[string]*fsmpb.Ticket{}
	}
	const okCode = fsmpb.Code_CODE_OK
	notFound := &fsmpb.Result{Code: fsmpb.Code_CODE_NOT_FOUND, Message: "hold not found"}
	switch b := cmd.Body.(type) {
	case *fsmpb.Command_Hold:
		h := held{seats: b.Hold.SeatIds}
		if best := b.Hold.Best; best != nil {
			section := best.SectionId
			if section == "" {
				section = shard.SectionIds[0]
			}
			for i := range best.Quantity {
				h.seats = append(h.seats, fmt.Sprintf("%s-1-%d", section, i+1))
			}
		}
		if ga := b.Hold.GeneralAdmission; ga != nil {
			h.ga = ga.Quantity
		}
		f.holds[n][b.Hold.HoldId] = h
		return &fsmpb.Result{Code: okCode, HoldId: b.Hold.HoldId, SeatIds: h.seats, GeneralAdmissionQuantity: h.ga, ExpiresAtUnixMs: holdExpiresMs + int64(n)}
	case *fsmpb.Command_Release:
		h, ok := f.holds[n][b.Release.HoldId]
		if !ok {
			return notFound
		}
		delete(f.holds[n], b.Release.HoldId)
		return &fsmpb.Result{Code: okCode, SeatIds: h.seats, GeneralAdmissionQuantity: h.ga}
	case *fsmpb.Command_ExtendHold:
		h, ok := f.holds[n][b.ExtendHold.HoldId]
		if !ok {
			return notFound
		}
		return &fsmpb.Result{Code: okCode, SeatIds: h.seats, GeneralAdmissionQuantity: h.ga, ExpiresAtUnixMs: extendedExpiresMs + int64(n)}
	case *fsmpb.Command_PinHold:
		h, ok := f.holds[n][b.PinHold.HoldId]
		if !ok {
			return notFound
		}
		h.pinnedUntil = b.PinHold.PinnedUntilMs
		f.holds[n][b.PinHold.HoldId] = h
		return &fsmpb.Result{Code: okCode}
	case *fsmpb.Command_Sell:
		h, ok := f.holds[n][b.Sell.HoldId]
		if !ok {
			return notFound
		}
		delete(f.holds[n], b.Sell.HoldId)
		res := &fsmpb.Result{Code: okCode}
		for i, seat := range h.seats {
			t := &fsmpb.Ticket{TicketId: fmt.Sprintf("%s/%d/%d", b.Sell.EventId, n, i+1), SeatId: seat, OrderId: b.Sell.OrderId, Buyer: b.Sell.Buyer}
			f.sold[n][t.TicketId] = t
			res.Tickets = append(res.Tickets, t)
		}
		return res
	case *fsmpb.Command_Refund:
		res := &fsmpb.Result{Code: okCode}
		for _, id := range b.Refund.TicketIds {
			t, ok := f.sold[n][id]
			if !ok || t.OrderId != b.Refund.OrderId {
				return &fsmpb.Result{Code: fsmpb.Code_CODE_NOT_FOUND, Message: fmt.Sprintf("ticket %q is not sold in order %q", id, b.Refund.OrderId)}
			}
			res.Tickets = append(res.Tickets, t)
		}
		for _, id := range b.Refund.TicketIds {
			delete(f.sold[n], id)
		}
		return res
	}
	panic(fmt.Sprintf("unexpected command %v", cmd.Type))
}

// hold puts a hold into a shard, as an earlier Hold would have.
func (f *fakeShards) hold(shard uint32, holdID string, seats ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.holds[shard] == nil {
		f.holds[shard] = map[string]held{}
		f.sold[shard] = map[string]*fsmpb.Ticket{}
	}
	f.holds[shard][holdID] = held{seats: seats}
}

// sell records sold tickets, as an earlier Sell would have.
func (f *fakeShards) sell(shard uint32, order string, ticketIDs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sold[shard] == nil {
		f.holds[shard] = map[string]held{}
		f.sold[shard] = map[string]*fsmpb.Ticket{}
	}
	for _, id := range ticketIDs {
		f.sold[shard][id] = &fsmpb.Ticket{TicketId: id, OrderId: order}
	}
}

// heldSeats lists every held seat, sorted.
func (f *fakeShards) heldSeats() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []string{}
	for _, holds := range f.holds {
		for _, h := range holds {
			out = append(out, h.seats...)
		}
	}
	slices.Sort(out)
	return out
}

// pinnedUntil returns the pin of a hold in a shard (0: none, -1: no hold).
func (f *fakeShards) pinnedUntil(shard uint32, holdID string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.holds[shard][holdID]
	if !ok {
		return -1
	}
	return h.pinnedUntil
}

// proposals returns the request ids proposed since the last call, sorted
// (shards are asked concurrently).
func (f *fakeShards) proposals() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Sorted(slices.Values(f.proposed))
	f.proposed = nil
	return out
}

// appliedMoreThanOnce lists the request ids that applied more than once.
func (f *fakeShards) appliedMoreThanOnce() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for id, n := range f.applied {
		if n > 1 {
			out = append(out, id)
		}
	}
	return out
}

// testNow is the coordinator's clock in these tests.
var testNow = time.UnixMilli(1_000_000)

// newTestCoordinator returns a coordinator on a fake and the buffer its
// log goes to.
func newTestCoordinator(t *testing.T, faults map[string][]fault) (*Coordinator, *fakeShards, *bytes.Buffer) {
	fake := newFakeShards(t, faults)
	var log bytes.Buffer
	c := &Coordinator{Shards: fake, Now: func() time.Time { return testNow }, Logger: slog.New(slog.NewTextHandler(&log, nil))}
	return c, fake, &log
}

// testEvent has three shards: sections A, B and C, pool GA in shard 2.
func testEvent() *nodepb.EventRecord {
	return &nodepb.EventRecord{EventId: "ev", Policy: &boxofficev1.EventPolicy{SeatsPerHoldMax: 20},
		Shards: []*nodepb.ShardRecord{
			{Shard: 0, GroupId: "g0", SectionIds: []string{"A"}, PriceTiers: []string{"gold"}},
			{Shard: 1, GroupId: "g1", SectionIds: []string{"B"}, PriceTiers: []string{"silver"}},
			{Shard: 2, GroupId: "g2", SectionIds: []string{"C"}, PriceTiers: []string{"silver"}, PoolIds: []string{"GA"}},
		}}
}
