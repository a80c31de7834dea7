package e2e

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/atomdav/atomdav/internal/testbin"
)

// htpasswd runs Debian's htpasswd (apache2-utils) to set name's password
// in file with the scheme flag (-B, -m, -s, -2, -5, -p), creating the file
// if need be, as an administrator coming from Apache would.
func htpasswd(t *testing.T, file, flag, name, password string) {
	t.Helper()
	bin := testbin.NeedTool(t, "htpasswd", "apache2-utils")
	args := []string{"-b" + strings.TrimPrefix(flag, "-")}
	if _, err := os.Stat(file); os.IsNotExist(err) {
		args[0] += "c"
	}
	if out, err := exec.Command(bin, append(args, file, name, password)...).CombinedOutput(); err != nil {
		t.Fatalf("htpasswd %v: %v\n%s", args, err, out)
	}
}

// userCmd runs "atomdav user ARGS..." with stdin, failing the test on an
// error.
func userCmd(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"user"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("atomdav user %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// startUsers starts atomdav serving dir with args and env (no anonymous
// access), stopped at cleanup.
func startUsers(t *testing.T, dir string, env []string, args ...string) *server {
	t.Helper()
	p, err := testbin.Start(binary, dir, testbin.StartOptions{Args: args, Env: env})
	if err != nil {
		t.Fatalf("starting atomdav: %v", err)
	}
	s := &server{t: t, Dir: dir, Addr: p.Addr(), URL: p.URL(), proc: p, client: newClient()}
	t.Cleanup(func() { s.Stop() })
	return s
}

// eventually polls cond until it holds, failing the test after 20s: a
// reload from a file change comes a short while after the change.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// status is the status of a GET of path as user with password.
func (s *server) status(t *testing.T, path, user, password string) int {
	t.Helper()
	return s.do(t, "GET", path, "", basicCreds(user, password)...).Status
}

// TestUsersFileHtpasswd: a file made by Apache's htpasswd with every
// scheme it writes logs its users in, wrong passwords get 401, the weak
// schemes are named once at start, and a plain-text line stops the server
// naming the file and line.
func TestUsersFileHtpasswd(t *testing.T) {
	t.Parallel()
	dir := authTree(t)
	file := filepath.Join(t.TempDir(), "users")
	schemes := map[string]string{"bcrypt": "-B", "apr1": "-m", "sha1": "-s", "sha256": "-2", "sha512": "-5"}
	for name, flag := range schemes {
		htpasswd(t, file, flag, name, "pw of "+name+":ü")
	}
	s := startUsers(t, dir, nil, "--users-file", file)
	for name := range schemes {
		if got := s.status(t, "/top.txt", name, "pw of "+name+":ü"); got != http.StatusOK {
			t.Errorf("%s (htpasswd %s) with the right password: %d, want 200", name, schemes[name], got)
		}
		wantChallenge(t, s.do(t, "GET", "/top.txt", "", basicCreds(name, "pw of "+name+":u")...), name+" with a wrong password")
	}
	wantChallenge(t, s.do(t, "GET", "/top.txt", ""), "no credentials")
	if n := strings.Count(s.proc.Log(), "weak password hashes"); n != 1 || !strings.Contains(s.proc.Log(), "users=") {
		t.Errorf("the weak hashes are reported %d times, want once:\n%s", n, s.Output())
	}

	plain := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(plain, []byte("# Apache's -p\n"), 0o600)
	htpasswd(t, plain, "-p", "eve", "secret")
	out, err := exec.Command(binary, "serve", dir, "--addr", "127.0.0.1:0", "--users-file", plain).CombinedOutput()
	if err == nil || !strings.Contains(string(out), plain+":2:") || !strings.Contains(string(out), "plain text") {
		t.Fatalf("serve with a plain-text line: %v\n%s", err, out)
	}
}

// slowTransfers starts a GET of a large file and a PUT whose body is sent
// in two halves; the first half of each goes through before it returns.
// finish sends and reads the rest and checks both arrived intact.
func slowTransfers(t *testing.T, s *server, user, password string) (finish func()) {
	t.Helper()
	big := make([]byte, 16<<20)
	rand.Read(big)
	if err := os.WriteFile(filepath.Join(s.Dir, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	req, _ := s.request("GET", "/big.bin", nil, basicCreds(user, password)...)
	get, err := s.client.Do(req)
	if err != nil || get.StatusCode != http.StatusOK {
		t.Fatalf("GET /big.bin: %v %v", err, get)
	}
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(get.Body, head); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	req, _ = s.request("PUT", "/up.bin", pr, basicCreds(user, password)...)
	req.ContentLength = int64(len(big))
	put := make(chan *http.Response, 1)
	go func() {
		resp, err := s.client.Do(req)
		if err != nil {
			pr.CloseWithError(err)
			resp = &http.Response{StatusCode: 0, Body: http.NoBody}
		}
		put <- resp
	}()
	if _, err := pw.Write(big[:len(big)/2]); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		rest, err := io.ReadAll(get.Body)
		get.Body.Close()
		if err != nil || !bytes.Equal(append(head, rest...), big) {
			t.Errorf("the GET begun before the reload: %v, %d bytes, intact=%v", err, len(head)+len(rest), bytes.Equal(append(head, rest...), big))
		}
		go func() { pw.Write(big[len(big)/2:]); pw.Close() }()
		resp := <-put
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("the PUT begun before the reload: %d, want 201", resp.StatusCode)
		}
		if got, _ := os.ReadFile(filepath.Join(s.Dir, "up.bin")); !bytes.Equal(got, big) {
			t.Errorf("the PUT begun before the reload stored %d bytes, not the body", len(got))
		}
	}
}

// TestUsersFileReloadSIGHUP: atomdav user add, then SIGHUP, lets the new
// user in while a GET and a PUT begun before go on to their end intact;
// user remove, then SIGHUP, shuts them out (401) although their login
// was cached.
func TestUsersFileReloadSIGHUP(t *testing.T) {
	t.Parallel()
	dir := authTree(t)
	file := filepath.Join(t.TempDir(), "users")
	htpasswd(t, file, "-B", "alice", alicePassword)
	s := startUsers(t, dir, nil, "--users-file", file)
	if got := s.status(t, "/top.txt", "frank", "fr4nk"); got != http.StatusUnauthorized {
		t.Fatalf("frank before he is added: %d, want 401", got)
	}
	finish := slowTransfers(t, s, "alice", alicePassword)

	userCmd(t, "fr4nk\n", "add", "frank", "--users-file", file, "--cost", "4")
	if err := s.proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// The file watcher may reload too; the SIGHUP's reload says so itself.
	eventually(t, "the SIGHUP's reload with 2 users", func() bool {
		return strings.Contains(s.proc.Log(), `msg="users reloaded" cause=SIGHUP users=2`)
	})
	if got := s.status(t, "/top.txt", "frank", "fr4nk"); got != http.StatusOK {
		t.Fatalf("frank after user add and SIGHUP: %d, want 200", got)
	}
	finish()

	userCmd(t, "", "remove", "frank", "--users-file", file)
	s.proc.Signal(syscall.SIGHUP)
	eventually(t, "the SIGHUP's reload with 1 user", func() bool {
		return strings.Contains(s.proc.Log(), `msg="users reloaded" cause=SIGHUP users=1`)
	})
	if got := s.status(t, "/top.txt", "frank", "fr4nk"); got != http.StatusUnauthorized {
		t.Errorf("frank after user remove and SIGHUP (his login was cached): %d, want 401", got)
	}
	if got := s.status(t, "/top.txt", "alice", alicePassword); got != http.StatusOK {
		t.Errorf("alice after the reloads: %d, want 200", got)
	}
}

// TestUsersFileReloadOnChange: editing the file is enough, no signal: a
// user htpasswd adds gets in (while transfers begun before go on), one
// user remove takes out gets 401, and a broken file keeps the users
// served and logs one line naming the problem.
func TestUsersFileReloadOnChange(t *testing.T) {
	t.Parallel()
	dir := authTree(t)
	file := filepath.Join(t.TempDir(), "users")
	htpasswd(t, file, "-B", "alice", alicePassword)
	// The polls below fail logins until the reload: more than the default
	// limit allows one address.
	s := startUsers(t, dir, nil, "--users-file", file, "--max-failed-logins", "10000")
	finish := slowTransfers(t, s, "alice", alicePassword)

	htpasswd(t, file, "-m", "grace", "gr4ce")
	eventually(t, "grace let in after htpasswd added her", func() bool {
		return s.status(t, "/top.txt", "grace", "gr4ce") == http.StatusOK
	})
	finish()

	userCmd(t, "", "remove", "grace", "--users-file", file)
	eventually(t, "grace refused after user remove", func() bool {
		return s.status(t, "/top.txt", "grace", "gr4ce") == http.StatusUnauthorized
	})

	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "mallory:letmein\n")
	f.Close()
	eventually(t, "the broken file reported", func() bool {
		return strings.Contains(s.proc.Log(), "users not reloaded")
	})
	if got := s.status(t, "/top.txt", "alice", alicePassword); got != http.StatusOK {
		t.Errorf("alice after a broken file: %d, want 200 (the old users stay)", got)
	}
	if got := s.status(t, "/top.txt", "mallory", "letmein"); got != http.StatusUnauthorized {
		t.Errorf("the plain-text line's user: %d, want 401", got)
	}
	log := s.proc.Log()
	if n := strings.Count(log, "users not reloaded"); n != 1 || !strings.Contains(log, file+":2:") {
		t.Errorf("the broken file is reported in %d lines (want 1, naming %s:2):\n%s", n, file, s.Output())
	}
}

// TestUserFlagAndEnv: --user NAME:HASH and ATOMDAV_USER serve one user
// each, as a container would be started.
func TestUserFlagAndEnv(t *testing.T) {
	t.Parallel()
	hash, _ := bcrypt.GenerateFromPassword([]byte("h1dden"), bcrypt.MinCost)
	flag := startUsers(t, authTree(t), nil, "--user", "henry:"+string(hash))
	env := startUsers(t, authTree(t), []string{"ATOMDAV_USER=ivy:" + string(hash)})
	for _, tc := range []struct {
		s    *server
		name string
	}{{flag, "henry"}, {env, "ivy"}} {
		if got := tc.s.status(t, "/top.txt", tc.name, "h1dden"); got != http.StatusOK {
			t.Errorf("%s: %d, want 200", tc.name, got)
		}
		wantChallenge(t, tc.s.do(t, "GET", "/top.txt", "", basicCreds(tc.name, "hidden")...), tc.name+" with a wrong password")
	}
}

// TestUsersFileSettings: root and read-only from the file's options
// (atomdav user add --root --read-only) and from a YAML entry without a
// hash for a name of the file.
func TestUsersFileSettings(t *testing.T) {
	t.Parallel()
	dir := authTree(t)
	file := filepath.Join(t.TempDir(), "users")
	htpasswd(t, file, "-B", "alice", alicePassword)
	userCmd(t, bobPassword+"\n", "add", "bob", "--users-file", file, "--root", "/bob", "--read-only", "--cost", "4")
	conf := filepath.Join(t.TempDir(), "atomdav.yaml")
	os.WriteFile(conf, []byte("users-file: "+file+"\nusers:\n  - name: alice\n    root: /bob\n    read-only: true\n"), 0o600)
	s := startUsers(t, dir, nil, "--config", conf)
	for _, u := range [][2]string{{"alice", alicePassword}, {"bob", bobPassword}} {
		if r := s.do(t, "GET", "/b.txt", "", basicCreds(u[0], u[1])...); r.Status != http.StatusOK || string(r.Body) != "bob's" {
			t.Errorf("%s GET /b.txt (in their root /bob): %s", u[0], r)
		}
		if r := s.do(t, "PUT", "/new.txt", "x", basicCreds(u[0], u[1])...); r.Status != http.StatusForbidden {
			t.Errorf("%s PUT (read-only): %d, want 403", u[0], r.Status)
		}
	}
}

// TestConfigFileReload: a change of the configuration file reloads its
// users, names the changed keys a reload does not apply, and does not
// turn anonymous access on where the DNS-rebinding guard was left off at
// start (a loopback server without allowed-hosts).
func TestConfigFileReload(t *testing.T) {
	t.Parallel()
	conf := filepath.Join(t.TempDir(), "atomdav.yaml")
	copyFile := func(from string) {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		tmp := conf + ".new"
		os.WriteFile(tmp, data, 0o600)
		if err := os.Rename(tmp, conf); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(usersConfig(t, []testUser{{"alice", alicePassword, "/", false}}))
	s := startUsers(t, authTree(t), nil, "--config", conf)
	wantChallenge(t, s.do(t, "GET", "/top.txt", "", basicCreds("bob", bobPassword)...), "bob before the edit")

	copyFile(usersConfig(t, []testUser{{"alice", alicePassword, "/", false}, {"bob", bobPassword, "/bob", true}},
		"max-uploads: 3", "anonymous: true"))
	eventually(t, "the reload of the edited config file", func() bool {
		return strings.Contains(s.proc.Log(), `msg="users reloaded" cause="file changed" users=2`)
	})
	if r := s.do(t, "GET", "/b.txt", "", basicCreds("bob", bobPassword)...); r.Status != http.StatusOK || string(r.Body) != "bob's" {
		t.Errorf("bob after the reload: %s", r)
	}
	wantChallenge(t, s.do(t, "GET", "/top.txt", ""), "anonymous turned on by a reload, on loopback without allowed-hosts")
	if !strings.Contains(s.proc.Log(), `need a restart: not applied" keys="max-uploads, anonymous"`) {
		t.Errorf("the keys needing a restart are not named:\n%s", s.Output())
	}
}

// TestRulesReloadSIGHUP: per-path rules reload with the users. A folder a
// top-level rule hides is absent (404) for alice until the rule is taken
// out of the file and SIGHUP sent; putting it back hides it again.
func TestRulesReloadSIGHUP(t *testing.T) {
	t.Parallel()
	conf := filepath.Join(t.TempDir(), "atomdav.yaml")
	write := func(extra ...string) {
		data, err := os.ReadFile(usersConfig(t, []testUser{{"alice", alicePassword, "/", false}}, extra...))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(conf, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	hidden := []string{"rules:", "  - {path: /bob, access: none}"}
	write(hidden...)
	s := startUsers(t, authTree(t), nil, "--config", conf)
	if got := s.status(t, "/bob/b.txt", "alice", alicePassword); got != http.StatusNotFound {
		t.Fatalf("alice GET /bob/b.txt under a none rule: %d, want 404", got)
	}
	reload := func(n int) {
		t.Helper()
		if err := s.proc.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		eventually(t, "a SIGHUP reload", func() bool {
			return strings.Count(s.proc.Log(), `msg="users reloaded" cause=SIGHUP`) >= n
		})
	}
	write()
	reload(1)
	if got := s.status(t, "/bob/b.txt", "alice", alicePassword); got != http.StatusOK {
		t.Errorf("alice GET /bob/b.txt after the rule was removed and SIGHUP: %d, want 200", got)
	}
	write(hidden...)
	reload(2)
	if got := s.status(t, "/bob/b.txt", "alice", alicePassword); got != http.StatusNotFound {
		t.Errorf("alice GET /bob/b.txt after the rule came back and SIGHUP: %d, want 404", got)
	}
}
