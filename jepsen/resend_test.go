package jepsen

import (
	"context"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// dedupInventory is a fake node with the store's idempotency contract:
// the first result of a request id is remembered and returned to every
// retry. It loses answers on purpose, in three ways chosen by the
// holder's client sequence number (see fate).
type dedupInventory struct {
	boxofficev1.UnimplementedInventoryServer

	mu       sync.Mutex
	received map[string][]*boxofficev1.HoldRequest
	first    map[string]*boxofficev1.HoldResponse // nil value: remembered refusal
}

// fate of a hold request, by its sequence number modulo 3:
//   - 0: applied, but the answer is lost (the re-send learns "ok");
//   - 1: never reached the state machine; when it finally does, the seats
//     are gone (the re-send learns the refusal);
//   - 2: the node never answers (the operation stays unknown).
func fate(requestID string) int {
	seq := strings.TrimSuffix(requestID[strings.Index(requestID, "-")+1:], "-req")
	return int(seq[len(seq)-1]-'0') % 3
}

func (d *dedupInventory) Hold(_ context.Context, req *boxofficev1.HoldRequest) (*boxofficev1.HoldResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.received[req.RequestId] = append(d.received[req.RequestId], proto.Clone(req).(*boxofficev1.HoldRequest))
	if resp, seen := d.first[req.RequestId]; seen {
		if resp == nil {
			return nil, status.Error(codes.Aborted, "seat unavailable")
		}
		return resp, nil
	}
	firstTime := len(d.received[req.RequestId]) == 1
	switch fate(req.RequestId) {
	case 0:
		d.first[req.RequestId] = &boxofficev1.HoldResponse{HoldId: "hold-" + req.RequestId, SeatIds: []string{"A-1-3", "A-1-4"}}
		return nil, status.Error(codes.Unavailable, "answer lost")
	case 1:
		if firstTime {
			return nil, status.Error(codes.DeadlineExceeded, "no leader")
		}
		d.first[req.RequestId] = nil
		return nil, status.Error(codes.Aborted, "seat unavailable")
	default:
		return nil, status.Error(codes.Unavailable, "never answers")
	}
}

func TestResendLearnsTheFirstAnswer(t *testing.T) {
	fake := &dedupInventory{received: map[string][]*boxofficev1.HoldRequest{}, first: map[string]*boxofficev1.HoldResponse{}}
	server := grpc.NewServer()
	boxofficev1.RegisterInventoryServer(server, fake)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = server.Serve(listener) }()
	defer server.Stop()
	conn, err := grpc.NewClient("passthrough:///"+listener.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	cfg := Profiles["ci"]
	cfg.Seed, cfg.Attempts, cfg.Logf = 1, 1, t.Logf
	c := &cluster{cfg: &cfg, nodes: []*node{{index: 1, id: "n1"}}, conns: []*grpc.ClientConn{conn}}
	ev := event{id: eventID, sections: []string{"A"}, rows: map[string][][]string{"A": {{"A-1-1", "A-1-2", "A-1-3", "A-1-4"}}}}
	w := &workload{cfg: &cfg, cluster: c, event: ev, start: time.Now(),
		plans: func(int) clientPlan {
			return clientPlan{nodes: []int{1}, mix: Mix{HoldBest: 1}, sections: []string{"A"}}
		}}
	cs := &clientState{id: 0, rng: rand.New(rand.NewPCG(1, 1)), plan: w.plans(0)}
	for range 3 {
		w.step(context.Background(), cs)
	}
	for _, op := range w.history {
		if op.Outcome != OutcomeInfo {
			t.Fatalf("op %d (%s) ended %s during traffic; the fake loses every first answer", op.ID, op.RequestID, op.Outcome)
		}
	}
	trafficEnd := w.now()

	res := w.resendUnknown(context.Background())
	if res.Unknown != 3 || res.OK != 1 || res.Fail != 1 || res.StillUnknown != 1 {
		t.Fatalf("re-send result %+v, want 3 unknown: 1 ok, 1 refused, 1 still unknown", res)
	}
	for _, op := range w.history {
		sent := fake.received[op.RequestID]
		if len(sent) < 2 {
			t.Fatalf("op %d: %d requests received, want the original and a re-send", op.ID, len(sent))
		}
		for _, again := range sent[1:] {
			if !proto.Equal(sent[0], again) {
				t.Fatalf("op %d: re-sent body differs:\n%v\n%v", op.ID, sent[0], again)
			}
		}
		if op.Resend == nil || op.Call >= trafficEnd {
			t.Fatalf("op %d: resend %+v, call %d (traffic ended at %d): the call time must stay the original", op.ID, op.Resend, op.Call, trafficEnd)
		}
		switch fate(op.RequestID) {
		case 0:
			if op.Outcome != OutcomeOK || op.Return < trafficEnd || op.Return != op.Resend.Return ||
				strings.Join(op.Seats, ",") != "A-1-3,A-1-4" || op.HoldID != "hold-"+op.RequestID {
				t.Fatalf("applied op learned %+v", op)
			}
		case 1:
			if op.Outcome != OutcomeFail || op.Code != codes.Aborted.String() || op.Return < trafficEnd || op.Resend.OriginalCode != codes.DeadlineExceeded.String() {
				t.Fatalf("refused op learned %+v (resend %+v)", op, op.Resend)
			}
		case 2:
			if op.Outcome != OutcomeInfo || op.Return != -1 || op.Resend.Attempts != resendRoundsMax {
				t.Fatalf("unanswered op became %+v (resend %+v)", op, op.Resend)
			}
		}
	}
	summary := Summary(&cfg, &Result{History: w.history, Resend: res})
	if !w.history[0].wasUnknown() || !strings.Contains(summary, "3 mutations; re-sent with their request ids after healing") {
		t.Fatalf("summary does not report the re-sends:\n%s", summary)
	}
}

// A learned outcome keeps the original call and returns when the re-send
// did: the checker must accept any instant in between and nothing else.
func TestLinearizabilityOfResentOperations(t *testing.T) {
	resent := func(op Op, outcome string, ret int64) Op {
		op.Outcome, op.Return, op.Resend = outcome, ret, &Resend{Outcome: outcome, Return: ret}
		if outcome == OutcomeFail {
			op.Code = "Aborted"
		}
		return op
	}
	// Unknown during traffic (call 0), learned ok at 100.
	h1 := resent(hold(0, 0, 0, 0, OutcomeInfo, "h1", "A-1"), OutcomeOK, 100)
	cases := []struct {
		name    string
		history []Op
		want    porcupine.CheckResult
	}{
		{"effect seen by a read during traffic", []Op{h1,
			read(1, 1, 10, 20, available("A-1")), read(2, 1, 30, 40, heldBy("A-1", "h1")), read(3, 1, 200, 210, heldBy("A-1", "h1"))}, porcupine.Ok},
		{"effect seen only after the re-send", []Op{h1,
			read(1, 1, 10, 20, available("A-1")), read(2, 1, 200, 210, heldBy("A-1", "h1"))}, porcupine.Ok},
		{"planted: learned ok but the seat is free after the re-send returned", []Op{h1,
			read(1, 1, 200, 210, available("A-1"))}, porcupine.Illegal},
		{"planted: learned refusal of a seat that was always free", []Op{
			resent(hold(0, 0, 0, 0, OutcomeInfo, "h1", "A-1"), OutcomeFail, 100),
			read(1, 1, 10, 20, available("A-1")), read(2, 1, 200, 210, available("A-1"))}, porcupine.Illegal},
		{"learned refusal while another holder had the seat", []Op{
			hold(0, 1, 0, 5, OutcomeOK, "h0", "A-1"),
			resent(hold(1, 0, 1, 0, OutcomeInfo, "h1", "A-1"), OutcomeFail, 100),
			read(2, 1, 200, 210, heldBy("A-1", "h0"))}, porcupine.Ok},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if res := checkLin(t, tc.history); res.Verdict != tc.want {
				t.Fatalf("judged %s, want %s", res.Verdict, tc.want)
			}
		})
	}
}

// One seat the checker cannot decide must not starve the others, and
// must be reported with its size.
func TestCheckerBudgetIsolatesAnUndecidedSeat(t *testing.T) {
	var history []Op
	// Seat B-1: 40 concurrent holds of unknown outcome, then a read that
	// sees it free. Legal (none happened), but porcupine first tries the
	// orders in which some did: 2^40 of them.
	for i := range 40 {
		history = append(history, hold(i, i, int64(i), 0, OutcomeInfo, "hb"+string(rune('a'+i%26))+string(rune('a'+i/26)), "B-1"))
	}
	history = append(history, read(40, 99, 1000, 1010, available("B-1")))
	// Seat A-1: easy.
	history = append(history, hold(41, 0, 2000, 2010, OutcomeOK, "h1", "A-1"), read(42, 1, 2020, 2030, heldBy("A-1", "h1")))

	start := time.Now()
	res, _ := CheckLinearizable(history, nil, 3*time.Second)
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("check took %s with a 3s budget", took) // generous: a loaded machine
	}
	if res.Verdict != porcupine.Unknown || len(res.TimedOut) != 1 || res.TimedOut[0] != "B-1" || len(res.Illegal) != 0 {
		t.Fatalf("verdict %s, timed out %v, illegal %v; want only B-1 undecided", res.Verdict, res.TimedOut, res.Illegal)
	}
	if u := res.Undecided[0]; u.Seat != "B-1" || u.Operations != 41 || u.Unknown != 40 {
		t.Fatalf("undecided seat reported as %+v", u)
	}
	cfg := Profiles["ci"]
	summary := Summary(&cfg, &Result{Linearizability: res, Replay: "replay-command"})
	for _, want := range []string{"UNDECIDED: porcupine ran out", "B-1 41 ops, 40 unknown", "VERDICT: UNDECIDED", "replay-command -check-timeout"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
}

// Refused holds of several seats constrain nothing on any seat, so they
// are left out of the per-seat histories.
func TestRefusedMultiSeatHoldsAreNotChecked(t *testing.T) {
	history := []Op{
		hold(0, 0, 0, 10, OutcomeOK, "h1", "A-1"),
		hold(1, 1, 20, 30, OutcomeFail, "h2", "A-1", "A-2"),
		hold(2, 1, 40, 50, OutcomeFail, "h3", "A-1"),
	}
	bySeat := seatOperations(history, nil)
	if len(bySeat["A-1"]) != 2 || len(bySeat["A-2"]) != 0 {
		t.Fatalf("per-seat operations: A-1 %d (want 2), A-2 %d (want 0)", len(bySeat["A-1"]), len(bySeat["A-2"]))
	}
}
