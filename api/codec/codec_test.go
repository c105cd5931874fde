package codec

import (
	"strings"
	"testing"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// TestImportChangesNoGlobalCodec: gRPC's "proto" codec is still gRPC's
// own after this package is loaded; only a connection that asks for
// Server or Client gets them.
func TestImportChangesNoGlobalCodec(t *testing.T) {
	if c := encoding.GetCodecV2(Name); c == nil {
		t.Fatalf("no %q codec registered", Name)
	} else if _, ok := c.(vtCodec); ok {
		t.Fatalf("gRPC's %q codec is this package's %T: importing it replaced the process's codec", Name, c)
	}
	for name, c := range map[string]encoding.CodecV2{"Server": Server(), "Client": Client()} {
		if c.Name() != Name {
			t.Errorf("%s().Name() = %q, want %q (the content type peers expect)", name, c.Name(), Name)
		}
	}
}

// TestMarshalIsProtobuf: what the generated code writes decodes, with the
// protobuf runtime, to the message written (a batch of commands with
// nested messages, a oneof, repeated and map fields), and back through the
// codec.
func TestMarshalIsProtobuf(t *testing.T) {
	c := Server()
	in := &boxofficev1.CommandsRequest{Tag: 7, TimeoutMs: 250,
		Command: &boxofficev1.CommandsRequest_Hold{Hold: &boxofficev1.HoldRequest{RequestId: "r1", EventId: "ev", Holder: "fan-ü",
			Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: []string{"A-1-1", "A-1-2"}}}}},
		More: []*boxofficev1.CommandsRequest{{Tag: 8, Command: &boxofficev1.CommandsRequest_Sell{Sell: &boxofficev1.SellRequest{
			RequestId: "r2", HoldId: "h", OrderId: "o"}}}},
	}
	data, err := c.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var viaRuntime boxofficev1.CommandsRequest
	if err := proto.Unmarshal(data.Materialize(), &viaRuntime); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(in, &viaRuntime) {
		t.Fatalf("decoded %v, wrote %v", &viaRuntime, in)
	}
	var back boxofficev1.CommandsRequest
	if err := c.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(in, &back) {
		t.Fatalf("round trip %v, wrote %v", &back, in)
	}

	// Large enough for gRPC's buffer pool.
	big := &boxofficev1.StreamError{Code: 14, Message: strings.Repeat("x", 64<<10), Metadata: map[string]string{"a": "1", "b": "2"}}
	data, err = c.Marshal(big)
	if err != nil {
		t.Fatal(err)
	}
	var bigBack boxofficev1.StreamError
	if err := proto.Unmarshal(data.Materialize(), &bigBack); err != nil || !proto.Equal(big, &bigBack) {
		t.Fatalf("pooled buffer: %v, equal %v", err, proto.Equal(big, &bigBack))
	}
	data.Free()
}

// TestOtherMessagesFallBack: a message without the generated methods goes
// through gRPC's own codec.
func TestOtherMessagesFallBack(t *testing.T) {
	c := Server()
	in := durationpb.New(1500)
	data, err := c.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out durationpb.Duration
	if err := c.Unmarshal(data, &out); err != nil || !proto.Equal(in, &out) {
		t.Fatalf("%v, %v", &out, err)
	}
	if _, err := c.Marshal("not a message"); err == nil {
		t.Fatal("a string was marshalled")
	}
}

// TestDecodingRefusesInvalidUTF8: a request whose string is not UTF-8 is
// refused when decoded, as gRPC's codec refuses it (the generated decoder
// would let it through to the log).
func TestDecodingRefusesInvalidUTF8(t *testing.T) {
	c := Server()
	bad := []byte{0x0a, 0x02, 0xff, 0xfe} // field 1 (request_id), 2 bytes, not UTF-8
	var h boxofficev1.HoldRequest
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(bad)}, &h); err == nil {
		t.Fatalf("decoded request_id %q, want an error", h.RequestId)
	}
}

// TestClientDecodesWithTheGeneratedCode: the client's codec reads what a
// node writes (a seat map with nested repeated messages), and it is the
// generated decoder that reads it: it lets through a string the server's
// codec refuses.
func TestClientDecodesWithTheGeneratedCode(t *testing.T) {
	c := Client()
	in := &boxofficev1.SeatMap{EventId: "ev", Sections: []*boxofficev1.SectionState{{Id: "S1", Available: 3,
		Rows: []*boxofficev1.RowState{{Label: "1", Seats: []*boxofficev1.Seat{{SeatId: "S1-1-1", State: boxofficev1.SeatState_SEAT_STATE_SOLD}}}}}}}
	data, err := c.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out boxofficev1.SeatMap
	if err := c.Unmarshal(data, &out); err != nil || !proto.Equal(in, &out) {
		t.Fatalf("%v, %v", &out, err)
	}
	bad := []byte{0x0a, 0x02, 0xff, 0xfe}
	var h boxofficev1.HoldRequest
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(bad)}, &h); err != nil {
		t.Fatalf("the client's codec checked UTF-8 (%v): not the generated decoder", err)
	}
	if err := Server().Unmarshal(mem.BufferSlice{mem.SliceBuffer(bad)}, &h); err == nil {
		t.Fatal("Client changed the server's codec")
	}
}
