package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// refused fails the test unless the command exited non-zero with one line
// on stderr holding every want.
func refused(t *testing.T, code int, stdout, stderr string, want ...string) {
	t.Helper()
	if code == 0 {
		t.Fatalf("exit status 0, want non-zero\nstdout: %s\nstderr: %s", stdout, stderr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || lines[0] == "" {
		t.Fatalf("stderr has %d lines, want one clear line:\n%s", len(lines), stderr)
	}
	for _, w := range want {
		if !strings.Contains(lines[0], w) {
			t.Errorf("stderr %q does not mention %q", lines[0], w)
		}
	}
}

// writeConfigFile writes text as a config file outside any served folder.
func writeConfigFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "atomdav.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// configUser is one user, alice (password secret), ending in her mapping.
const configUser = `users:
  - name: alice
    hash: "$2a$04$CLKsIhYerLv4q70yE1cjWOu291tgx.c7gN1usJm63QQJBu6D7ne4S"
`

// TestConfigTypoStopsServe: a typo in the file (issue 12 item 13) stops
// serve at start with one line naming the key and its line, instead of
// serving with the setting dropped (a read-only user left writable) or
// misread (5 as 5ns).
func TestConfigTypoStopsServe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"readonly for read-only", configUser + "    readonly: true\n", []string{"atomdav.yaml:4", "users[0].readonly", `did you mean "read-only"`}},
		{"max-upload-byte", configUser + "max-upload-byte: 10\n", []string{"atomdav.yaml:4", "max-upload-byte", `"max-upload-bytes"`}},
		{"bare number duration", configUser + "idle-timeout: 5\n", []string{"atomdav.yaml:4", "idle-timeout", "not a duration"}},
		{"fraction for an integer", configUser + "max-conns: 10.5\n", []string{"atomdav.yaml:4", "max-conns", "whole number"}},
		{"yes for a boolean", configUser + "    read-only: yes\n", []string{"atomdav.yaml:4", "users[0].read-only", "true or false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := writeConfigFile(t, tt.yaml)
			code, out, errs := runCLI(t, "serve", t.TempDir(), "--config", file, "--addr", "127.0.0.1:0")
			refused(t, code, out, errs, tt.want...)
		})
	}
}

// TestConfigEnvTypoStopsServe: an ATOMDAV_ variable that names no option
// is a typo as much as an unknown key.
func TestConfigEnvTypoStopsServe(t *testing.T) {
	t.Parallel()
	code, out, errs := runCLIEnv(t, []string{"ATOMDAV_MAX_UPLOAD_BYTE=10"}, "serve", t.TempDir(), "--anonymous", "--addr", "127.0.0.1:0")
	refused(t, code, out, errs, "environment", "ATOMDAV_MAX_UPLOAD_BYTE", "ATOMDAV_MAX_UPLOAD_BYTES")
}

// TestConfigCheck: config check and serve --print-config validate as serve
// does: 0 for a good file, non-zero with the fault for a bad one.
func TestConfigCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := writeConfigFile(t, configUser+"    read-only: true\nidle-timeout: 5s\n")
	bad := writeConfigFile(t, configUser+"    readonly: true\n")
	unusable := writeConfigFile(t, "anonymous: false\n") // no users: serve refuses it

	code, out, errs := runCLI(t, "config", "check", dir, "--config", good)
	if code != 0 || !strings.HasPrefix(out, "ok") {
		t.Fatalf("config check of a good file: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "serve", dir, "--config", good, "--print-config")
	if code != 0 || !strings.Contains(out, "read-only: true") || !strings.Contains(out, "idle-timeout: 5s") {
		t.Fatalf("print-config of a good file: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	for _, args := range [][]string{{"config", "check", dir}, {"serve", dir, "--print-config"}} {
		code, out, errs = runCLI(t, append(args, "--config", bad)...)
		refused(t, code, out, errs, "atomdav.yaml:4", "users[0].readonly")
		code, out, errs = runCLI(t, append(args, "--config", unusable)...)
		refused(t, code, out, errs, "users:", "no users")
	}
}

// TestConfigExampleCreatesNoAccount: the example, copied as printed, does
// not start a server with accounts sharing one published hash; it stops
// naming each user's hash.
func TestConfigExampleCreatesNoAccount(t *testing.T) {
	t.Parallel()
	code, example, errs := runCLI(t, "config", "example")
	if code != 0 {
		t.Fatalf("config example: exit %d: %s", code, errs)
	}
	dir := t.TempDir()
	file := writeConfigFile(t, strings.Replace(example, "root: /srv/webdav", "root: "+dir, 1))
	code, out, errs := runCLI(t, "serve", "--config", file, "--addr", "127.0.0.1:0")
	refused(t, code, out, errs, "users[0].hash", "users[1].hash", "atomdav user hash")
	if _, err := os.Stat(filepath.Join(dir, ".atomdav")); err == nil {
		t.Errorf("the refused example still created the state folder")
	}
}

// TestStateFolderNeverServed: a state folder the share would serve (issue
// 12 item 6) stops serve at start with one line, under every alias of the
// root and for any other folder inside it; before, state.db was listed,
// downloadable and deletable.
func TestStateFolderNeverServed(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	if err := os.MkdirAll(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	rootLink := filepath.Join(base, "rootlink")
	if err := os.Symlink(root, rootLink); err != nil {
		t.Fatal(err)
	}
	subLink := filepath.Join(base, "sublink")
	if err := os.Symlink(filepath.Join(root, "sub"), subLink); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   []string
		state string
		want  string
	}{
		{"the root", nil, root, "is the served folder"},
		{"a symlink to the root", nil, rootLink, "is the served folder"},
		{"root/sub/..", nil, root + "/sub/..", "is the served folder"},
		{"a folder in the root", nil, filepath.Join(root, "sub"), "is inside the served folder"},
		{"a new folder in the root", nil, filepath.Join(root, "state"), "is inside the served folder"},
		{"a symlink to a folder in the root", nil, subLink, "is inside the served folder"},
		{"the root, from the environment", []string{"ATOMDAV_STATE=" + rootLink}, "", "is the served folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"serve", root, "--anonymous", "--addr", "127.0.0.1:0"}
			if tt.state != "" {
				args = append(args, "--state", tt.state)
			}
			code, out, errs := runCLIEnv(t, tt.env, args...)
			refused(t, code, out, errs, "state:", tt.want)
		})
	}
	for _, name := range []string{"state.db", "sub/state.db", "state/state.db"} {
		if _, err := os.Stat(filepath.Join(root, name)); err == nil {
			t.Errorf("%s was created although the server refused to start", name)
		}
	}
}

// TestStateFolderDefaultAndOutside: the default state folder and one
// outside the tree still work, and neither is reachable over HTTP.
func TestStateFolderDefaultAndOutside(t *testing.T) {
	t.Parallel()
	outside := filepath.Join(t.TempDir(), "state")
	for _, tt := range []struct {
		name string
		args []string
		db   func(dir string) string
	}{
		{"default", nil, func(dir string) string { return filepath.Join(dir, ".atomdav", "state.db") }},
		{"outside", []string{"--state", outside}, func(string) string { return filepath.Join(outside, "state.db") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := startServer(t, dir, tt.args...)
			s.put(t, "/a.txt", "a")
			if _, err := os.Stat(tt.db(dir)); err != nil {
				t.Fatalf("state.db not where expected: %v", err)
			}
			r := s.do(t, "PROPFIND", "/", "", "Depth", "1")
			want(t, r, 207, "PROPFIND /")
			if strings.Contains(string(r.Body), "state.db") || strings.Contains(string(r.Body), ".atomdav") {
				t.Errorf("the listing shows the state folder:\n%s", r.Body)
			}
			want(t, s.do(t, "GET", "/.atomdav/state.db", ""), 404, "GET /.atomdav/state.db")
			want(t, s.do(t, "GET", "/state.db", ""), 404, "GET /state.db")
		})
	}
}
