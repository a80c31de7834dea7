package bench

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestProcessCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	before, ok := processCPU(os.Getpid())
	if !ok {
		t.Fatal("no CPU time for this process")
	}
	// Spin until the reading grows: on a busy machine 100 ms of wall time
	// may be only a few ms of this process's CPU, so no figure is asserted,
	// only that work shows up (the deadline is a guard against a reading
	// that never moves).
	var after time.Duration
	for end := time.Now().Add(time.Minute); time.Now().Before(end); {
		if after, _ = processCPU(os.Getpid()); after-before >= 20*time.Millisecond {
			break
		}
	}
	if after-before < 20*time.Millisecond {
		t.Errorf("a minute of spinning measured as %v of CPU", after-before)
	}
	if _, ok := processCPU(1 << 30); ok {
		t.Error("CPU time for a process that does not exist")
	}
}
