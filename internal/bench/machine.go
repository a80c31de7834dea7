package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// Machine describes where a comparison ran.
type Machine struct {
	CPU        string // model name
	CPUs       int    // logical CPUs
	Memory     string // total memory
	Kernel     string
	Filesystem string // type of the filesystem both shares are on
	Atomdav    string // `atomdav version`
	Apache     string // `apache2 -v`, first line
}

func (m Machine) String() string {
	return fmt.Sprintf("%s × %d, %s RAM, Linux %s, shares on %s; %s; %s",
		m.CPU, m.CPUs, m.Memory, m.Kernel, m.Filesystem, m.Atomdav, m.Apache)
}

// describeMachine collects what it can; a part it cannot find is "?".
func describeMachine(dir, atomdav, apache string) Machine {
	m := Machine{CPU: "?", CPUs: runtime.NumCPU(), Memory: "?", Kernel: "?", Filesystem: fsType(dir)}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		m.CPU = v
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		var kb int64
		fmt.Sscanf(v, "%d", &kb)
		m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.Atomdav = firstLine(exec.Command(atomdav, "version"))
	m.Apache = strings.TrimPrefix(firstLine(exec.Command(apache, "-v")), "Server version: ")
	return m
}

// procField returns the value of the first "name: value" line of a /proc file.
func procField(file, name string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func firstLine(cmd *exec.Cmd) string {
	out, err := cmd.Output()
	if err != nil {
		return "?"
	}
	line, _, _ := bytes.Cut(bytes.TrimSpace(out), []byte("\n"))
	return string(line)
}

// fsType names the filesystem dir is on, from the longest mount point
// /proc/self/mounts lists above it.
func fsType(dir string) string {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return "?"
	}
	best, typ := "", "?"
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		mp := f[1]
		if (dir == mp || strings.HasPrefix(dir, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best, typ = mp, f[2]+" ("+f[0]+")"
		}
	}
	return typ
}
