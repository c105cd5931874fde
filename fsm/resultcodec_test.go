package fsm

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// everyFieldSet fails if some field of m (recursively, for the message
// types appendResult encodes) is unset, so that a field added to the proto
// must be added to the fixture below and then to appendResult.
func everyFieldSet(t *testing.T, m protoreflect.Message) {
	t.Helper()
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if !m.Has(fd) {
			t.Fatalf("fixture leaves %s unset: set it here and encode it in appendResult", fd.FullName())
		}
		if fd.Kind() == protoreflect.MessageKind && fd.IsList() {
			everyFieldSet(t, m.Get(fd).List().Get(0).Message())
		} else if fd.Kind() == protoreflect.MessageKind {
			everyFieldSet(t, m.Get(fd).Message())
		}
	}
}

func TestResultCodecMatchesProto(t *testing.T) {
	full := &fsmpb.Result{
		Code: fsmpb.Code_CODE_CONFLICT, Message: strings.Repeat("long message ", 40), HoldId: "h", SeatIds: []string{"S-A-1", "S-A-2"},
		ExpiresAtUnixMs: -5, GeneralAdmissionQuantity: 300, SweptHolds: 70000,
		Tickets: []*fsmpb.Ticket{{TicketId: "t", SeatId: "s", OrderId: "o", Buyer: strings.Repeat("b", 300), PriceTier: "p"}, {TicketId: "t2"}},
		Changes: []*fsmpb.SeatChange{{EventId: "e", Shard: 3, Sequence: 1 << 40, SeatId: "s", State: fsmpb.SeatState_SEAT_STATE_SOLD,
			HoldId: "h", OrderId: "o", ExpiresAtUnixMs: startMs, GeneralAdmissionAvailable: 9}, {}},
		RecordVersion: 1 << 50, CounterValue: -42,
		ShardState: []byte("state"), DedupShard: &fsmpb.ShardRef{EventId: "e", Shard: 7},
		OpResults: []*fsmpb.RecordOpResult{{Version: 1 << 40, Value: -3}, {}}, OpIndex: proto.Uint32(0),
	}
	everyFieldSet(t, full.ProtoReflect())
	for _, r := range []*fsmpb.Result{{}, {Code: -1}, full} {
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendResult(nil, r); !bytes.Equal(got, want) {
			t.Fatalf("appendResult(%v)\n got %x\nwant %x", r, got, want)
		}
	}
	bad := appendResult(nil, &fsmpb.Result{HoldId: "\xff"})
	if err := proto.Unmarshal(bad, &fsmpb.Result{}); err != nil {
		t.Fatalf("invalid UTF-8 not repaired: %v", err)
	}
}
