package holdid

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name      string
		event     string
		request   string
		shards    []uint32
		wantShard string // the part after the base
	}{
		{"one shard", "ev", "req-1", []uint32{3}, ".3"},
		{"sorted", "ev", "req-1", []uint32{7, 0, 3}, ".0.3.7"},
		{"deduplicated", "ev", "req-1", []uint32{5, 5, 1, 5}, ".1.5"},
		{"max uint32", "ev", "req-1", []uint32{4294967295}, ".4294967295"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := slices.Clone(tt.shards)
			id := New(tt.event, tt.request, tt.shards)
			if !slices.Equal(input, tt.shards) {
				t.Errorf("New modified its shards argument: %v, was %v", tt.shards, input)
			}
			if len(id) != baseLength+len(tt.wantShard) || !strings.HasSuffix(id, tt.wantShard) {
				t.Errorf("New = %q, want <16 hex>%s", id, tt.wantShard)
			}
			if again := New(tt.event, tt.request, tt.shards); again != id {
				t.Errorf("New is not deterministic: %q then %q", id, again)
			}
		})
	}
}

func TestNewBase(t *testing.T) {
	// A retried request (same event, same request id) gets the same hold id;
	// another request or another event gets another base.
	a := New("ev1", "r1", []uint32{1})
	if got := New("ev1", "r1", []uint32{1}); got != a {
		t.Errorf("retry: got %q, want %q", got, a)
	}
	for _, other := range []string{
		New("ev1", "r2", []uint32{1}),
		New("ev2", "r1", []uint32{1}),
		// The separator keeps ("ev1r", "1") apart from ("ev1", "r1").
		New("ev1r", "1", []uint32{1}),
	} {
		if other[:baseLength] == a[:baseLength] {
			t.Errorf("%q and %q share a base", a, other)
		}
	}
	// printf 'ev1\0r1' | sha256sum | cut -c1-16
	if want := "161a2ec7df02f3d3.1"; a != want {
		t.Errorf("New(ev1, r1, [1]) = %q, want %q", a, want)
	}
}

func TestCheckShards(t *testing.T) {
	tests := []struct {
		name   string
		shards []uint32
		ok     bool
	}{
		{"one", []uint32{0}, true},
		{"64 small shards", manyShards(ShardsMax), true},
		{"64 after dedup", append(manyShards(ShardsMax), 0, 1, 2), true},
		{"none", nil, false},
		{"65 shards", manyShards(ShardsMax + 1), false},
		{"too long an id", []uint32{1e9, 1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4, 1e9 + 5, 1e9 + 6, 1e9 + 7, 1e9 + 8, 1e9 + 9,
			1e9 + 10, 1e9 + 11, 1e9 + 12, 1e9 + 13, 1e9 + 14, 1e9 + 15, 1e9 + 16, 1e9 + 17, 1e9 + 18, 1e9 + 19, 1e9 + 20, 1e9 + 21}, false},
	}
	for _, tt := range tests {
		err := CheckShards(tt.shards)
		if (err == nil) != tt.ok {
			t.Errorf("%s: CheckShards = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error %v does not wrap ErrInvalid", tt.name, err)
		}
	}
}

func TestNewPanicsOnRefusedShards(t *testing.T) {
	for _, shards := range [][]uint32{nil, make([]uint32, 0), manyShards(ShardsMax + 1)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New with %d shards did not panic", len(shards))
				}
			}()
			New("ev", "r", shards)
		}()
	}
}

func TestParse(t *testing.T) {
	const base = "0123456789abcdef"
	tests := []struct {
		id         string
		wantShards []uint32 // nil: must be refused
	}{
		{base + ".0", []uint32{0}},
		{base + ".1.2.30", []uint32{1, 2, 30}},
		{base + ".4294967295", []uint32{4294967295}},
		{New("e", "r", manyShards(ShardsMax)), manyShards(ShardsMax)},

		{"", nil},
		{base, nil},                                  // no shard
		{base + ".", nil},                            // empty shard
		{base + "..1", nil},                          // empty shard
		{base + ".1.", nil},                          // trailing dot
		{"0123456789ABCDEF.1", nil},                  // uppercase base
		{"0123456789abcde.1", nil},                   // short base
		{"0123456789abcdef0.1", nil},                 // long base
		{"0123456789abcdeg.1", nil},                  // not hex
		{base + ".01", nil},                          // leading zero
		{base + ".+1", nil},                          // sign
		{base + ".-1", nil},                          // sign
		{base + ".4294967296", nil},                  // overflows uint32
		{base + ".2.1", nil},                         // descending
		{base + ".1.1", nil},                         // duplicate
		{base + ". 1", nil},                          // space
		{base + ".1x", nil},                          // junk
		{base + ".1-2", nil},                         // junk
		{base + "." + strings.Repeat("1", 300), nil}, // too long
		{New("e", "r", manyShards(ShardsMax)) + ".99", nil}, // too many shards
	}
	for _, tt := range tests {
		base, shards, err := Parse(tt.id)
		if tt.wantShards == nil {
			if err == nil {
				t.Errorf("Parse(%q) = %q, %v; want an error", tt.id, base, shards)
			} else if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) error %v does not wrap ErrInvalid", tt.id, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.id, err)
			continue
		}
		if base != tt.id[:baseLength] || !slices.Equal(shards, tt.wantShards) {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tt.id, base, shards, tt.id[:baseLength], tt.wantShards)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("ev", "req", []byte{0, 0, 0, 1})
	f.Add("", "", []byte{255, 255, 255, 255, 0, 0, 0, 0})
	f.Add("concert.2026", "6f1c6a1e-3b5c-4c5e-9a7b-1d2e3f4a5b6c", []byte{9, 0, 0, 0, 9, 0, 0, 0, 2, 0, 0, 0})
	f.Fuzz(func(t *testing.T, event, request string, raw []byte) {
		var shards []uint32
		for i := 0; i+4 <= len(raw); i += 4 {
			shards = append(shards, uint32(raw[i])|uint32(raw[i+1])<<8|uint32(raw[i+2])<<16|uint32(raw[i+3])<<24)
		}
		if CheckShards(shards) != nil {
			return // New would panic, as TestNewPanicsOnRefusedShards shows
		}
		id := New(event, request, shards)
		if len(id) > LengthMax {
			t.Fatalf("New produced %d bytes, more than LengthMax", len(id))
		}
		base, parsed, err := Parse(id)
		if err != nil {
			t.Fatalf("Parse(New(...) = %q): %v", id, err)
		}
		want := slices.Clone(shards)
		slices.Sort(want)
		want = slices.Compact(want)
		if base != id[:baseLength] || !slices.Equal(parsed, want) {
			t.Fatalf("round trip of %v: got %q, %v from %q", shards, base, parsed, id)
		}
	})
}

// FuzzParse checks that whatever Parse accepts is canonical:
// minting an id from the parsed shards gives back the same text.
func FuzzParse(f *testing.F) {
	f.Add("0123456789abcdef.1.2")
	f.Add("0123456789abcdef.01")
	f.Add("")
	f.Fuzz(func(t *testing.T, id string) {
		base, shards, err := Parse(id)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		var b strings.Builder
		b.WriteString(base)
		for _, s := range shards {
			b.WriteString("." + uitoa(s))
		}
		if b.String() != id {
			t.Fatalf("Parse accepted non-canonical %q (canonical %q)", id, b.String())
		}
	})
}

func manyShards(n int) []uint32 {
	shards := make([]uint32, n)
	for i := range shards {
		shards[i] = uint32(i)
	}
	return shards
}

func uitoa(v uint32) string {
	if v == 0 {
		return "0"
	}
	var buf [10]byte
	i := len(buf)
	for v > 0 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return string(buf[i:])
}
