//go:build unix

package fsm

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system CPU time of the process: benchmarks
// report ops per CPU-second (per core), which a busy machine disturbs far
// less than wall-clock rates.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
