// Package testbin builds the real atomdav binary for tests that run it as
// a user would (internal/e2e, internal/crashtest). When the test binary
// itself runs under the race detector, the server is built with -race too,
// so a data race in the server fails the test that provoked it.
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
