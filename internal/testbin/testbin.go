// Package testbin builds the real atomdav binary for tests that run it as
// a user would (internal/e2e, internal/interop, internal/crashtest), and
// starts and stops it: Start serves a folder on a free loopback port and
// returns once the server answers; Terminate wants a graceful exit 0;
// Kill9 crashes it. When the test binary itself runs under the race
// detector, the server is built with -race too, so a data race in the
// server fails the test that provoked it.
//
// It returns errors, and each test package turns them into failures; only
// NeedTool, which decides between skipping and failing for a missing client
// program (CI=true), takes a testing.TB.
package testbin

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// Race reports whether the running test binary was built with -race.
func Race() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" && s.Value == "true" {
			return true
		}
	}
	return false
}

// Build compiles ./cmd/atomdav, from the module root `go env GOMOD` names,
// into dir and returns the executable's path.
func Build(dir string) (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(gomod))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside a module")
	}
	out := filepath.Join(dir, "atomdav")
	args := []string{"build", "-o", out}
	if Race() {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/atomdav")...)
	cmd.Dir = filepath.Dir(mod)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/atomdav: %w\n%s", err, b)
	}
	return out, nil
}

// Main is the body of a TestMain that runs the real binary: it builds it
// into a temporary folder, stores its path in *binary, runs the tests with
// m (a *testing.M) and removes the folder. It returns the exit code for
// os.Exit; a failed build is reported on stderr and returns 1.
func Main(m interface{ Run() int }, binary *string) int {
	tmp, err := os.MkdirTemp("", "atomdav-testbin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testbin:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if *binary, err = Build(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "testbin:", err)
		return 1
	}
	return m.Run()
}
