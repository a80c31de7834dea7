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
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
	}
	after, _ := processCPU(os.Getpid())
	if d := after - before; d < 50*time.Millisecond || d > 5*time.Second {
		t.Errorf("100 ms of spinning measured as %v", d)
	}
	if _, ok := processCPU(1 << 30); ok {
		t.Error("CPU time for a process that does not exist")
	}
}
