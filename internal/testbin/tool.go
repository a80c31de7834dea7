package testbin

import (
	"os"
	"os/exec"
	"testing"
)

// NeedTool returns the path of the client program name, or skips tb naming
// the Debian package that provides it; with CI=true a missing client fails
// tb instead, so CI runs every client test.
func NeedTool(tb testing.TB, name, debianPackage string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is not on PATH and CI=true: install the Debian package %q", name, debianPackage)
	}
	tb.Skipf("%s is not on PATH: install the Debian package %q to run this test", name, debianPackage)
	return ""
}
