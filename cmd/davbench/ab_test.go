package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/internal/testbin"
)

// TestAB runs `davbench ab` with one binary on both sides for a moment and
// wants a table row of CPU figures per scenario and no error.
func TestAB(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs atomdav")
	}
	bin, err := testbin.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"ab", "-base", bin, "-new", bin, "-scenario", "get-small,proppatch",
		"-rounds", "2", "-d", "300ms", "-small-files", "20", "-dir", t.TempDir(), "-no-sync"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("davbench ab exited %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	for _, s := range []string{"| get-small | ", "| proppatch | "} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("no row %q in:\n%s", s, &stdout)
		}
	}
}

// TestABUsage: without both binaries ab says so and exits 2.
func TestABUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"ab", "-base", "x"}, &stdout, &stderr); code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr.String(), "-new") {
		t.Errorf("stderr does not name -new: %s", &stderr)
	}
}
