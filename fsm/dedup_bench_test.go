package fsm

import (
	"runtime"
	"testing"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// BenchmarkDedupMemory reports the heap each remembered request costs: the
// busy million-seat shard of TestMemoryPerSeat (350,000 holds and 250,000
// sells, the busy phase of `boxoffice bench memory`) built twice, once
// with the default Options (every request remembered) and once with a
// dedup table capped at one entry; the difference divided by the 600,001
// requests is bytes per dedup entry (table, index and encoded results).
// ns/op is the time of both builds (CPU-sensitive; the heap metric is
// not).
func BenchmarkDedupMemory(b *testing.B) {
	const requests = 600_001 // the venue's create, 350,000 holds, 250,000 sells
	var perEntry float64
	for b.Loop() {
		before := heapBytes()
		capped := millionSeatsWith(b, true, Options{DedupEntriesMax: 1})
		without := float64(heapBytes()) - float64(before)
		runtime.KeepAlive(capped)
		capped = nil
		before = heapBytes()
		full := millionSeatsWith(b, true, Options{})
		with := float64(heapBytes()) - float64(before)
		runtime.KeepAlive(full)
		perEntry = (with - without) / requests
	}
	b.ReportMetric(perEntry, "B/entry")
}

// BenchmarkRequestFingerprint is the per-command cost of the request
// fingerprint (marshal the body, SHA-256) on a best-available hold.
func BenchmarkRequestFingerprint(b *testing.B) {
	d := newDedupTable()
	c := withRequest(holdBestCmd("9f1c2d3e4b5a4c6d.0", "fan-000123", &fsmpb.BestAvailable{Quantity: 2, SectionId: "S1"}), "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f/0")
	b.ReportAllocs()
	for b.Loop() {
		d.fingerprint(c)
	}
}
