package checkout

import (
	"fmt"
	"testing"
	"time"
)

// TestRateLimiterSplitChanges: a bucket takes a new split dated from the
// renewal that made it: a full bucket shrinks to the smaller burst at once
// (no tokens carried over the new share), and an emptied one refills at
// the old rate until the renewal and at the new one since.
func TestRateLimiterSplitChanges(t *testing.T) {
	share := newRateShare()
	l := newRateLimiter(10, share)
	t0 := time.Unix(1_000_000, 0)
	take := func(at time.Time, n int) int {
		ok := 0
		for range n {
			if _, allowed := l.allow("k", 10, at); allowed {
				ok++
			}
		}
		return ok
	}
	if got := take(t0, 1); got != 1 { // the bucket exists, full (10)
		t.Fatalf("first request refused")
	}
	share.set(2, t0.Add(time.Second))
	if got := take(t0.Add(2*time.Second), 20); got != 5 {
		t.Fatalf("after the split into 2: %d at once, want the burst of 5", got)
	}
	// Empty at t0+2s. Split back into 1 at t0+3s: 1 s at 5/s, then 0.25 s
	// at 10/s, 7.5 tokens (not 5 all at the old rate, nor 10 all at the new).
	share.set(1, t0.Add(3*time.Second))
	if got := take(t0.Add(3250*time.Millisecond), 20); got != 7 {
		t.Fatalf("after the split into 1: %d at once, want 5 + 2.5", got)
	}
}

// BenchmarkRateLimiterAllow is the cost of a request's limit check across
// a population of keys, with a renewal changing the split now and then.
func BenchmarkRateLimiterAllow(b *testing.B) {
	share := newRateShare()
	l := newRateLimiter(RateLimiterKeysMax, share)
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("sub:fan-%d", i)
	}
	now := time.Unix(1_000_000, 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%100_000 == 0 {
			share.set(1+i/100_000%3, now)
		}
		l.allow(keys[i%len(keys)], 20, now)
		now = now.Add(time.Microsecond)
		i++
	}
}
