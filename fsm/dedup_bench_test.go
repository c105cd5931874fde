package fsm

import (
	"runtime"
	"testing"
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
