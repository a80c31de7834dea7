package watch

import (
	"os"
	"strconv"
	"strings"
)

// limits are the kernel's inotify limits, -1 when unknown.
type limits struct {
	watches, instances int
}

// limitsOf is readLimits; tests set a limit of their own.
var limitsOf = readLimits

// readLimits reads the inotify limits of /proc (Linux).
func readLimits() limits {
	return limits{
		watches:   readInt("/proc/sys/fs/inotify/max_user_watches"),
		instances: readInt("/proc/sys/fs/inotify/max_user_instances"),
	}
}

func readInt(name string) int {
	b, err := os.ReadFile(name)
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return n
}
