package bench

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc's CPU times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// processCPU returns the CPU time, user and system, that process pid and
// its children (Apache's workers) have used so far, from /proc.
func processCPU(pid int) (time.Duration, bool) {
	own, _, ok := statCPU(strconv.Itoa(pid))
	if !ok {
		return 0, false
	}
	total := own
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return total, true
	}
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		if cpu, ppid, ok := statCPU(e.Name()); ok && ppid == pid {
			total += cpu
		}
	}
	return total, true
}

// statCPU reads utime+stime and the parent of /proc/<pid>/stat.
func statCPU(pid string) (cpu time.Duration, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return time.Duration(ut+st) * clockTick, ppid, true
}
