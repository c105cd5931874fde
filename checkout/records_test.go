package checkout

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzOpenRecord: whatever bytes the store holds, open never panics, and it
// accepts a value only if it is exactly what seal made of that body for
// that key.
func FuzzOpenRecord(f *testing.F) {
	ring := NewKeyRing([]byte("fuzz-record-key-0123456789abcdef-01"))
	s := &sealer{ring: ring}
	f.Add("ticket/a", []byte(`{"ticket_id":"a"}`), []byte(`{"ticket_id":"a"}`))
	f.Add("order/b", []byte(`{}`), []byte(ring.Current+".xx."))
	f.Add("fanticket/c/d", []byte("c"), []byte("..."))
	f.Fuzz(func(t *testing.T, key string, body, stored []byte) {
		sealed := s.seal(key, body)
		got, err := s.open(key, sealed)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("a sealed value does not open: %v", err)
		}
		if _, err := s.open(key+"x", sealed); !errors.Is(err, ErrRecordUntrusted) {
			t.Fatalf("a sealed value opens under another key: %v", err)
		}
		if got, err := s.open(key, stored); err == nil && !bytes.Equal(stored, s.seal(key, got)) {
			t.Fatalf("%q opened as %q without being its seal", stored, got)
		}
	})
}
