//go:build !linux

package bench

import "time"

// processCPU is only known on Linux.
func processCPU(int) (time.Duration, bool) { return 0, false }
