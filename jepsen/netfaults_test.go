package jepsen

import (
	"slices"
	"testing"
	"time"
)

// TestScheduleDealsEveryKindBeforeRepeating: the CI profile's schedule
// deals each kind once before any repeats, never combines two kinds that
// would overwrite each other, and on the seeds the README reports has a
// stale-read window among its first three.
func TestScheduleDealsEveryKindBeforeRepeating(t *testing.T) {
	for _, seed := range []int64{7, 11, 4242, 1, 2024} {
		cfg := Profiles["ci"]
		cfg.Seed = seed
		steps := buildSchedule(&cfg)
		var dealt []string
		at := time.Duration(0)
		staleAt := time.Duration(-1)
		for i, s := range steps {
			at += s.quiet
			if len(s.kinds) == 2 && !combinable(s.kinds[0], s.kinds[1]) {
				t.Errorf("seed %d step %d combines %v", seed, i, s.kinds)
			}
			for _, k := range s.kinds {
				if k == FaultStaleRead && staleAt < 0 {
					staleAt = at
					if i >= staleReadFirstWindows {
						t.Errorf("seed %d: first stale-read in window %d", seed, i)
					}
				}
				deck := len(dealt) / len(cfg.Faults)
				if slices.Contains(dealt[deck*len(cfg.Faults):], k) {
					t.Errorf("seed %d step %d: %s dealt twice in one deck (%v)", seed, i, k, dealt)
				}
				dealt = append(dealt, k)
			}
			at += s.duration
		}
		if staleAt < 0 {
			t.Errorf("seed %d: no stale-read window in %v", seed, dealt)
		}
		t.Logf("seed %d: %d windows, stale-read at %s: %v", seed, len(steps), staleAt, dealt)
	}
}
