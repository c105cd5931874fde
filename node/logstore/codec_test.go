package logstore

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func TestLogEncodingRoundTrips(t *testing.T) {
	cases := []struct {
		name string
		log  raft.Log
	}{
		{"zero entry", raft.Log{}},
		{"command", raft.Log{Index: 1, Term: 1, Type: raft.LogCommand, Data: []byte("hold seat A1")}},
		{"extensions only", raft.Log{Index: 2, Term: 1, Extensions: []byte{0}}},
		{"largest numbers", raft.Log{Index: math.MaxUint64, Term: math.MaxUint64, Type: raft.LogType(255)}},
		{"every field", raft.Log{Index: 7, Term: 3, Type: raft.LogConfiguration, Data: []byte{1, 2, 3},
			Extensions: []byte("ext"), AppendedAt: time.Date(2026, 1, 2, 3, 4, 5, 999_999_999, time.UTC)}},
		{"time before 1970", raft.Log{Index: 8, AppendedAt: time.Date(1901, 12, 13, 20, 45, 52, 1, time.UTC)}},
		{"time far ahead", raft.Log{Index: 9, AppendedAt: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}},
		{"large data", raft.Log{Index: 10, Data: bytes.Repeat([]byte("x"), 1<<20)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			encoded := appendLog(nil, &c.log)
			if len(encoded) > encodedLogBytesMax(&c.log) {
				t.Fatalf("encoded %d bytes, over the bound %d", len(encoded), encodedLogBytesMax(&c.log))
			}
			var decoded raft.Log
			if err := decodeLog(encoded, &decoded); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !sameLog(&decoded, &c.log) {
				t.Fatalf("decoded %+v, want %+v", decoded, c.log)
			}
			if c.log.AppendedAt.IsZero() != decoded.AppendedAt.IsZero() {
				t.Fatal("a zero AppendedAt must decode as zero")
			}
			// Decoded slices must not alias the stored bytes, nor each other.
			clear(encoded)
			if !sameLog(&decoded, &c.log) {
				t.Fatal("decoded entry changed when the stored bytes did")
			}
			if len(decoded.Data) > 0 {
				decoded.Data = append(decoded.Data, 0xee)
				if !bytes.Equal(decoded.Extensions, c.log.Extensions) {
					t.Fatal("appending to Data overwrote Extensions")
				}
			}
		})
	}
}

func TestLogDecodingRejectsDamage(t *testing.T) {
	valid := appendLog(nil, &raft.Log{Index: 5, Term: 2, Data: []byte("data"), Extensions: []byte("e"),
		AppendedAt: time.Unix(1_700_000_000, 5)})
	cases := map[string][]byte{
		"empty":               {},
		"unknown version":     append([]byte{3}, valid[1:]...),
		"truncated":           valid[:len(valid)-1],
		"trailing bytes":      append(append([]byte(nil), valid...), 0),
		"data length too big": {1, 5, 2, 0, 0xff, 0x01, 'x'},
		"bad time flag":       {1, 5, 2, 0, 0, 0, 7},
		"nanoseconds ≥ 1s":    {1, 5, 2, 0, 0, 0, 1, 0, 0x80, 0x94, 0xeb, 0xdc, 0x03},
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			var log raft.Log
			if err := decodeLog(value, &log); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decodeLog(%x) = %v, want ErrCorrupt", value, err)
			}
		})
	}
}

// FuzzDecodeLog: no input panics the decoder, and whatever it accepts
// survives a second round trip unchanged.
func FuzzDecodeLog(f *testing.F) {
	f.Add(appendLog(nil, &raft.Log{}))
	f.Add(appendLog(nil, &raft.Log{Index: 1, Term: 2, Type: raft.LogCommand, Data: []byte("d"),
		Extensions: []byte("e"), AppendedAt: time.Unix(1, 2)}))
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, value []byte) {
		var log raft.Log
		if err := decodeLog(value, &log); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decode error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		var again raft.Log
		if err := decodeLog(appendLog(nil, &log), &again); err != nil {
			t.Fatalf("re-decoding an accepted value: %v", err)
		}
		if !sameLog(&again, &log) {
			t.Fatalf("round trip changed %+v into %+v", log, again)
		}
	})
}
