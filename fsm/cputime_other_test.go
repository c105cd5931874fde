//go:build !unix

package fsm

import "time"

var processStart = time.Now()

// processCPUTime falls back to wall-clock time where rusage is missing.
func processCPUTime() time.Duration { return time.Since(processStart) }
