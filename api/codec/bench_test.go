package codec

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// BenchmarkCodec encodes and decodes what an on-sale sends most — a hold
// command and its answer, and a section's seat map in the availability
// view (25 rows of 40 seats) — with gRPC's protobuf codec (runtime) and
// with this package's (generated; decoding with it is the client's codec).
//
//	go test -run '^$' -bench Codec -count 6 ./api/codec/ | go tool benchstat -col /codec -
func BenchmarkCodec(b *testing.B) {
	hold := &boxofficev1.CommandsRequest{Tag: 12345, TimeoutMs: 30000, Command: &boxofficev1.CommandsRequest_Hold{Hold: &boxofficev1.HoldRequest{
		RequestId: "c17-4711-h", EventId: "bench_20261127_053721_0a1b2c3d", Holder: "c17",
		Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: "S03"}}}}}
	held := &boxofficev1.CommandsResponse{Tag: 12345, Result: &boxofficev1.CommandsResponse_Hold{Hold: &boxofficev1.HoldResponse{
		HoldId: "h1.bench_20261127_053721_0a1b2c3d.0.c17-4711-h", EventId: "bench_20261127_053721_0a1b2c3d", Holder: "c17",
		SeatIds: []string{"S03-A-17", "S03-A-18"}, ExpiresAtUnixMs: 1795000000000}}}
	section := &boxofficev1.SectionState{Id: "S03", Name: "Section 3", Available: 600, Held: 100, Sold: 300}
	for r := range 25 {
		states := make([]byte, 40)
		for k := range states {
			states[k] = byte(1 + (r+k)%3)
		}
		section.Rows = append(section.Rows, &boxofficev1.RowState{Label: fmt.Sprintf("R%02d", r), States: states, FirstSeatNumber: 1})
	}
	seatMap := &boxofficev1.SeatMap{EventId: "bench_20261127_053721_0a1b2c3d", Sections: []*boxofficev1.SectionState{section}}

	codecs := map[string]encoding.CodecV2{"runtime": runtimeCodec, "generated": Client()}
	for _, msg := range []struct {
		name string
		m    proto.Message
	}{{"hold", hold}, {"answer", held}, {"seatmap", seatMap}} {
		for _, name := range []string{"runtime", "generated"} {
			c := codecs[name]
			b.Run(fmt.Sprintf("msg=%s/codec=%s", msg.name, name), func(b *testing.B) {
				out := msg.m.ProtoReflect().New().Interface()
				b.ReportAllocs()
				for b.Loop() {
					data, err := c.Marshal(msg.m)
					if err != nil {
						b.Fatal(err)
					}
					proto.Reset(out)
					if err := c.Unmarshal(data, out); err != nil {
						b.Fatal(err)
					}
					data.Free()
				}
			})
		}
	}
}
