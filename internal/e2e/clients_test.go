package e2e

import (
	"github.com/atomdav/atomdav/internal/testbin"

	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// runTool runs a client program in dir with a private HOME and returns its
// combined output and error. It never waits more than 60s.
func runTool(t *testing.T, dir, stdin string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_CACHE_HOME="+home)
	cmd.Env = append(cmd.Env, env...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: still running after 60s\n%s", name, strings.Join(args, " "), out)
	}
	return string(out), err
}

var litmusSummary = regexp.MustCompile("<- summary for `([a-z]+)': of ([0-9]+) tests run: ([0-9]+) passed, ([0-9]+) failed")

// TestLitmus runs every litmus WebDAV conformance suite (DESIGN §8) and
// wants no failure and no warning in any.
func TestLitmus(t *testing.T) {
	t.Parallel()
	litmus := testbin.NeedTool(t, "litmus", "litmus")
	s := startServer(t, t.TempDir())
	runLitmus(t, litmus, s.URL+"/")
}

// runLitmus runs every litmus suite against url and fails t on any
// failure or warning, or a suite that printed no summary.
func runLitmus(t *testing.T, litmus, url string) {
	t.Helper()
	suites := []string{"basic", "copymove", "props", "locks", "http"}
	out, err := runTool(t, t.TempDir(), "", []string{"TESTS=" + strings.Join(suites, " ")}, litmus, url)
	seen := map[string]bool{}
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\n")
		if strings.Contains(line, "FAIL") || strings.Contains(line, "WARNING") {
			t.Errorf("litmus: %s", line)
		}
		m := litmusSummary.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		t.Log(line)
		seen[m[1]] = true
		if m[4] != "0" {
			t.Errorf("litmus suite %s: %s of %s tests failed", m[1], m[4], m[2])
		}
	}
	for _, suite := range suites {
		if !seen[suite] {
			t.Errorf("litmus printed no summary for %q (it stops after a failing suite)", suite)
		}
	}
	if err != nil {
		t.Errorf("litmus: %v", err)
	}
	if t.Failed() {
		t.Logf("litmus output:\n%s", out)
	}
}

// TestCadaver drives cadaver, the command-line WebDAV client, with a script
// on stdin.
func TestCadaver(t *testing.T) {
	t.Parallel()
	cadaver := testbin.NeedTool(t, "cadaver", "cadaver")
	s := startServer(t, t.TempDir())
	work := t.TempDir()
	content := "cadaver content\n"
	if err := os.WriteFile(filepath.Join(work, "local.txt"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	script := strings.Join([]string{
		"mkcol dir",
		"put local.txt dir/file.txt",
		"propset dir/file.txt myprop myvalue",
		"propget dir/file.txt myprop",
		"get dir/file.txt fetched.txt",
		"copy dir/file.txt dir/copy.txt",
		"move dir/copy.txt dir/moved.txt",
		"propget dir/moved.txt myprop",
		"rm dir/file.txt",
		"ls dir",
		"quit",
	}, "\n") + "\n"
	out, err := runTool(t, work, script, nil, cadaver, s.URL+"/")
	if err != nil {
		t.Errorf("cadaver: %v", err)
	}
	for line := range strings.Lines(out) {
		if strings.Contains(strings.ToLower(line), "failed") {
			t.Errorf("cadaver: %s", strings.TrimRight(line, "\n"))
		}
	}
	if n := strings.Count(out, "Value of myprop is: myvalue"); n != 2 {
		t.Errorf("cadaver printed the property %d times, want 2 (after propset and after copy+move)", n)
	}
	if !strings.Contains(out, "moved.txt") {
		t.Errorf("cadaver ls does not list moved.txt")
	}
	if t.Failed() {
		t.Logf("cadaver output:\n%s", out)
	}
	if b, err := os.ReadFile(filepath.Join(work, "fetched.txt")); err != nil || string(b) != content {
		t.Errorf("cadaver get: %q, %v", b, err)
	}

	myprop := xml.Name{Space: "http://webdav.org/cadaver/custom-properties/", Local: "myprop"}
	if p := s.props(t, "/dir/moved.txt", myprop)[myprop]; p.Status != http.StatusOK || p.Node.text() != "myvalue" {
		t.Errorf("PROPFIND /dir/moved.txt myprop: %d %q, want 200 myvalue", p.Status, textOf(p))
	}
	want(t, s.do(t, "GET", "/dir/file.txt", ""), http.StatusNotFound, "GET /dir/file.txt after cadaver rm")
	want(t, s.do(t, "GET", "/dir/copy.txt", ""), http.StatusNotFound, "GET /dir/copy.txt after cadaver move")
}

// TestRclone syncs a small tree with rclone's WebDAV backend.
func TestRclone(t *testing.T) {
	t.Parallel()
	rclone := testbin.NeedTool(t, "rclone", "rclone")
	s := startServer(t, t.TempDir())
	src := t.TempDir()
	files := map[string][]byte{
		"a.txt":              []byte("alpha\n"),
		"space name.txt":     []byte("spaces\n"),
		"ünïcödé.txt":        []byte("unicode\n"),
		"sub/b.txt":          []byte("beta\n"),
		"sub/deeper/c.bin":   bytes.Repeat([]byte{0, 1, 2, 0xff}, 4096),
		"sub/deeper/empty.x": {},
	}
	writeTree(t, src, files)
	remote := ":webdav,url='" + s.URL + "/':"
	rc := func(args ...string) string {
		t.Helper()
		args = append([]string{"--config", os.DevNull, "--webdav-vendor", "other", "--low-level-retries", "1", "--retries", "1"}, args...)
		out, err := runTool(t, src, "", nil, rclone, args...)
		if err != nil {
			t.Fatalf("rclone %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}

	rc("copy", src, remote+"up")
	rc("check", "--download", src, remote+"up")

	checkListing(t, rc("lsjson", "-R", remote+"up"), files)

	rc("moveto", remote+"up/a.txt", remote+"up/moved.txt")
	want(t, s.do(t, "GET", "/up/a.txt", ""), http.StatusNotFound, "GET /up/a.txt after rclone moveto")
	if r := s.do(t, "GET", "/up/moved.txt", ""); string(r.Body) != "alpha\n" {
		t.Errorf("GET /up/moved.txt after rclone moveto: %s", r)
	}
	rc("moveto", remote+"up/sub", remote+"up/sub2")
	if r := s.do(t, "GET", "/up/sub2/deeper/c.bin", ""); !bytes.Equal(r.Body, files["sub/deeper/c.bin"]) {
		t.Errorf("GET /up/sub2/deeper/c.bin after moving the folder: status %d, %d bytes", r.Status, len(r.Body))
	}
	rc("delete", remote+"up/sub2")
	want(t, s.do(t, "GET", "/up/sub2/b.txt", ""), http.StatusNotFound, "GET after rclone delete")
	rc("purge", remote+"up")
	want(t, s.do(t, "PROPFIND", "/up/", propfindBody(), "Depth", "0"), http.StatusNotFound, "PROPFIND /up/ after rclone purge")
}

// writeTree writes files (slash paths relative to dir) with their folders.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkListing compares rclone lsjson output with the files uploaded.
func checkListing(t *testing.T, lsjson string, files map[string][]byte) {
	t.Helper()
	var listed []struct {
		Path  string
		Size  int64
		IsDir bool
	}
	if err := json.Unmarshal([]byte(lsjson), &listed); err != nil {
		t.Fatalf("rclone lsjson: %v", err)
	}
	var got, wantPaths []string
	for _, e := range listed {
		if e.IsDir {
			continue
		}
		got = append(got, e.Path)
		if int64(len(files[e.Path])) != e.Size {
			t.Errorf("rclone lsjson: %s has size %d, want %d", e.Path, e.Size, len(files[e.Path]))
		}
	}
	for name := range files {
		wantPaths = append(wantPaths, name)
	}
	slices.Sort(got)
	slices.Sort(wantPaths)
	if !slices.Equal(got, wantPaths) {
		t.Errorf("rclone lsjson lists %q, want %q", got, wantPaths)
	}
}
