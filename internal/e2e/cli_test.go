package e2e

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// runCLI runs atomdav with args and returns its exit code, stdout and
// stderr. A command still running after 20s is killed and fails the test.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLIEnv(t, nil, args...)
}

// runCLIEnv is runCLI with extra environment variables.
func runCLIEnv(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("atomdav %s: still running after 20s\nstderr: %s", strings.Join(args, " "), errb.String())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("atomdav %s: %v", strings.Join(args, " "), err)
	}
	return code, out.String(), errb.String()
}

func TestCLIErrors(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	okDir := t.TempDir()

	tests := []struct {
		name string
		args []string
		want []string // substrings of the one stderr line
	}{
		{"missing DIR", []string{"serve", filepath.Join(tmp, "nope"), "--addr", "127.0.0.1:0"}, []string{"nope", "does not exist"}},
		{"DIR is a file", []string{"serve", file, "--addr", "127.0.0.1:0"}, []string{"file.txt", "not a directory"}},
		{"busy port", []string{"serve", okDir, "--anonymous", "--addr", busy.Addr().String()}, []string{busy.Addr().String(), "address already in use"}},
		{"unknown flag", []string{"serve", okDir, "--bogus"}, []string{"--bogus"}},
		{"bad log level", []string{"serve", okDir, "--log-level", "loud"}, []string{"log-level", "loud"}},
		{"bad max-xml-bytes", []string{"serve", okDir, "--max-xml-bytes", "0"}, []string{"max-xml-bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code == 0 {
				t.Fatalf("exit status 0, want non-zero\nstdout: %s\nstderr: %s", stdout, stderr)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 || lines[0] == "" {
				t.Fatalf("stderr has %d lines, want one clear line:\n%s", len(lines), stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("stderr %q does not mention %q", lines[0], w)
				}
			}
		})
	}
}

func TestCLIVersion(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, "version")
	if code != 0 {
		t.Fatalf("atomdav version: exit status %d\nstderr: %s", code, stderr)
	}
	if !regexp.MustCompile(`^atomdav \S+ \((\S+, )?go1\.\S+\)\n$`).MatchString(stdout) {
		t.Errorf("atomdav version printed %q, want \"atomdav <version> ([<commit>, ]<go release>)\\n\"", stdout)
	}
}

// TestMakeBuildVersion: the binary `make build` makes reports the
// checkout it was built from, as git describes it, and its commit, not
// "devel" (which only a plain go build outside make prints).
func TestMakeBuildVersion(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"make", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s (Debian package %s)", tool, tool)
		}
	}
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", "../.."}, args...)...).Output()
		if err != nil {
			t.Skipf("not a git checkout: git %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	describe, head := git("describe", "--tags", "--always", "--dirty"), git("rev-parse", "--short=12", "HEAD")
	bin := filepath.Join(t.TempDir(), "atomdav")
	if out, err := exec.Command("make", "-s", "-C", "../..", "build", "BIN="+bin).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "atomdav " + describe + " (" + head + ", "; !strings.HasPrefix(string(out), want) {
		t.Errorf("the make-built binary says %q, want it to begin %q", out, want)
	}
}

// TestServeSaysWhoMayUse: the line atomdav logs on start names the URL
// it serves and who may use it, so that a share left open to anyone is
// plain to see.
func TestServeSaysWhoMayUse(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	want := []string{"msg=serving", "addr=" + s.URL + "/", `access="anonymous read-write, no login"`}
	for range 100 {
		log := s.proc.Log()
		missing := ""
		for _, w := range want {
			if !strings.Contains(log, w) {
				missing = w
			}
		}
		if missing == "" {
			return
		}
		time.Sleep(50 * time.Millisecond) // the line may follow the first connection
	}
	t.Errorf("the start-up log does not say %q:\n%s", want, s.proc.Log())
}
