package node

import (
	"testing"
	"time"
)

// counterSum is the sum over every series of the counter family name in
// h's registry (0 if it has none yet).
func counterSum(t testing.TB, h *Host, name string) float64 {
	t.Helper()
	families, err := h.metrics.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// clusterCounterSum is counterSum over every running host of tc, waiting
// up to wait for it to reach at least want.
func clusterCounterSum(t testing.TB, tc *TestCluster, name string, want float64, wait time.Duration) float64 {
	t.Helper()
	sum := 0.0
	waitUntil(wait, func() bool {
		sum = 0
		for _, h := range tc.hosts {
			if h != nil {
				sum += counterSum(t, h, name)
			}
		}
		return sum >= want
	})
	return sum
}
