package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// The users of the auth tests: alice reads and writes the whole share, bob
// only reads the folder /bob.
const (
	alicePassword = "wonder land"
	bobPassword   = "büilder:1" // UTF-8 and a colon: RFC 7617 allows both
)

// authConfig writes a config file (outside the served folder) with alice
// and bob, plus extra YAML lines, and returns its path.
func authConfig(t *testing.T, extra ...string) string {
	t.Helper()
	return usersConfig(t, []testUser{{"alice", alicePassword, "/", false}, {"bob", bobPassword, "/bob", true}}, extra...)
}

// authTree makes the served folder: /top.txt, and bob's /bob/b.txt.
func authTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bob"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"top.txt": "top secret", "bob/b.txt": "bob's"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startAuthServer is startServer without --anonymous: clients must log in
// unless args turn anonymous access on.
func startAuthServer(t *testing.T, dir string, args ...string) *server {
	t.Helper()
	return start(t, dir, nil, args)
}

// basicCreds is the Authorization header pair for user and password.
func basicCreds(user, password string) []string {
	return []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))}
}

// withHeaders returns hdr followed by more, leaving hdr as it was.
func withHeaders(hdr []string, more ...string) []string {
	return append(append([]string{}, hdr...), more...)
}

var authHrefRE = regexp.MustCompile(`<(?:[A-Za-z0-9_]+:)?href>([^<]*)</(?:[A-Za-z0-9_]+:)?href>`)

// authHrefs lists the hrefs of a multistatus body.
func authHrefs(body []byte) []string {
	var out []string
	for _, m := range authHrefRE.FindAllSubmatch(body, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

func wantChallenge(t *testing.T, r reply, what string) {
	t.Helper()
	want(t, r, http.StatusUnauthorized, what)
	if got := r.Header.Get("WWW-Authenticate"); got != `Basic realm="atomdav", charset="UTF-8"` {
		t.Errorf("%s: WWW-Authenticate = %q", what, got)
	}
}

const authColorProp = `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-atomdav:auth"><D:set><D:prop><Z:color>blue</Z:color></D:prop></D:set></D:propertyupdate>`

// TestAuthUsers: RFC 7617 Basic against users with their own root and
// permissions, through the real binary.
func TestAuthUsers(t *testing.T) {
	t.Parallel()
	dir := authTree(t)
	s := startAuthServer(t, dir, "--config", authConfig(t))
	alice, bob := basicCreds("alice", alicePassword), basicCreds("bob", bobPassword)

	t.Run("RFC7617_2/no-credentials-401", func(t *testing.T) {
		for _, m := range []string{"GET", "PROPFIND", "PUT"} {
			wantChallenge(t, s.do(t, m, "/top.txt", ""), m+" without credentials")
		}
		wantChallenge(t, s.do(t, "OPTIONS", "/bob/", ""), "OPTIONS of a folder other than the root")
	})
	t.Run("RFC7617_2/wrong-credentials-401", func(t *testing.T) {
		wantChallenge(t, s.do(t, "GET", "/top.txt", "", basicCreds("alice", "Wonder land")...), "wrong password")
		wantChallenge(t, s.do(t, "GET", "/top.txt", "", basicCreds("mallory", alicePassword)...), "unknown user")
		wantChallenge(t, s.do(t, "GET", "/top.txt", "", "Authorization", "Bearer abc"), "not Basic")
		log := s.proc.Log()
		if !strings.Contains(log, "login failed") || !strings.Contains(log, "user=mallory") {
			t.Errorf("failed logins are not logged with the user name:\n%s", s.Output())
		}
		if strings.Contains(log, "Wonder land") || strings.Contains(log, alicePassword) {
			t.Errorf("the log shows a password:\n%s", s.Output())
		}
	})
	t.Run("Windows/unauthenticated-OPTIONS-root", func(t *testing.T) {
		r := s.do(t, "OPTIONS", "/", "")
		want(t, r, http.StatusOK, "OPTIONS / without credentials")
		if r.Header.Get("DAV") != "1, 2, 3" || r.Header.Get("MS-Author-Via") != "DAV" || r.Header.Get("Allow") == "" {
			t.Errorf("OPTIONS / headers: %v", r.Header)
		}
		if len(r.Body) != 0 {
			t.Errorf("OPTIONS / has a body: %q", r.Body)
		}
	})
	t.Run("alice-writes", func(t *testing.T) {
		want(t, s.do(t, "PUT", "/a.txt", "from alice", alice...), http.StatusCreated, "alice PUT")
		r := s.do(t, "PROPPATCH", "/a.txt", authColorProp, alice...)
		want(t, r, http.StatusMultiStatus, "alice PROPPATCH")
		if !strings.Contains(string(r.Body), "200 OK") {
			t.Errorf("alice PROPPATCH: %s", r)
		}
		if r := s.do(t, "GET", "/bob/b.txt", "", alice...); r.Status != http.StatusOK || string(r.Body) != "bob's" {
			t.Errorf("alice GET /bob/b.txt: %s", r)
		}
		want(t, s.do(t, "DELETE", "/a.txt", "", alice...), http.StatusNoContent, "alice DELETE")
		if _, err := os.Stat(filepath.Join(dir, "a.txt")); !os.IsNotExist(err) {
			t.Errorf("a.txt still on disk after DELETE: %v", err)
		}
	})
	t.Run("bob-reads-his-folder", func(t *testing.T) {
		if r := s.do(t, "GET", "/b.txt", "", bob...); r.Status != http.StatusOK || string(r.Body) != "bob's" {
			t.Errorf("bob GET /b.txt: %s", r)
		}
		r := s.do(t, "PROPFIND", "/", "", withHeaders(bob, "Depth", "1")...)
		want(t, r, http.StatusMultiStatus, "bob PROPFIND /")
		got := strings.Join(authHrefs(r.Body), " ")
		if got != "/ /b.txt" {
			t.Errorf("bob PROPFIND / hrefs = %q, want \"/ /b.txt\" (relative to his root)", got)
		}
	})
	t.Run("bob-read-only-403", func(t *testing.T) {
		tests := []struct {
			method, path, body string
			hdr                []string
		}{
			{"PUT", "/b.txt", "overwritten", nil},
			{"PUT", "/new.txt", "new", nil},
			{"DELETE", "/b.txt", "", nil},
			{"PROPPATCH", "/b.txt", authColorProp, nil},
			{"MOVE", "/b.txt", "", []string{"Destination", s.URL + "/c.txt"}},
			{"COPY", "/b.txt", "", []string{"Destination", s.URL + "/c.txt"}},
			{"MKCOL", "/sub", "", nil},
			{"LOCK", "/b.txt", `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`, nil},
		}
		for _, tt := range tests {
			t.Run(tt.method+tt.path, func(t *testing.T) {
				want(t, s.do(t, tt.method, tt.path, tt.body, withHeaders(bob, tt.hdr...)...), http.StatusForbidden, "bob "+tt.method)
			})
		}
		entries, _ := os.ReadDir(filepath.Join(dir, "bob"))
		if b, _ := os.ReadFile(filepath.Join(dir, "bob", "b.txt")); string(b) != "bob's" || len(entries) != 1 {
			t.Errorf("bob's folder changed: b.txt = %q, %d entries", b, len(entries))
		}
	})
	t.Run("bob-jailed-in-his-folder", func(t *testing.T) {
		want(t, s.do(t, "GET", "/top.txt", "", bob...), http.StatusNotFound, "bob GET /top.txt")
		want(t, s.do(t, "GET", "/bob/b.txt", "", bob...), http.StatusNotFound, "bob GET /bob/b.txt (his root is /)")
		auth := bob[0] + ": " + bob[1]
		for _, p := range []string{"/../top.txt", "/%2e%2e/top.txt", "/..%2ftop.txt"} {
			r := s.rawRequest(t, "GET "+p+" HTTP/1.1\r\nHost: "+s.Addr+"\r\n"+auth+"\r\nConnection: close\r\n\r\n")
			if r.Status == http.StatusOK || strings.Contains(string(r.Body), "top secret") {
				t.Errorf("bob GET %s: %s", p, r)
			}
		}
	})
}

// TestAuthRateLimit: after five failed logins in a minute an address gets
// 429 with Retry-After, without its password being checked; a client that
// logged in lately keeps working.
func TestAuthRateLimit(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t, authTree(t), "--config", authConfig(t))
	want(t, s.do(t, "GET", "/b.txt", "", basicCreds("bob", bobPassword)...), http.StatusOK, "bob before the attack")
	for i := range 5 {
		wantChallenge(t, s.do(t, "GET", "/top.txt", "", basicCreds("alice", "guess"+strconv.Itoa(i))...), "failure "+strconv.Itoa(i+1))
	}
	for _, who := range [][]string{basicCreds("alice", "guess5"), basicCreds("alice", alicePassword)} {
		r := s.do(t, "GET", "/top.txt", "", who...)
		want(t, r, http.StatusTooManyRequests, "after five failures")
		if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 || n > 12 {
			t.Errorf("Retry-After = %q, want 1 to 12 seconds", r.Header.Get("Retry-After"))
		}
	}
	want(t, s.do(t, "GET", "/b.txt", "", basicCreds("bob", bobPassword)...), http.StatusOK, "bob, verified lately, during the block")
	want(t, s.do(t, "OPTIONS", "/", ""), http.StatusOK, "unauthenticated OPTIONS / during the block")
}

// TestAuthProxyHeader: the auth header names the user only when the
// immediate peer is a trusted proxy, and only a configured user.
func TestAuthProxyHeader(t *testing.T) {
	t.Parallel()
	dir := authTree(t)
	trusted := startAuthServer(t, dir, "--config", authConfig(t, "auth-header: X-Forwarded-User", "trusted-proxies: [127.0.0.1]"))
	untrusted := startAuthServer(t, authTree(t), "--config", authConfig(t, "auth-header: X-Forwarded-User", "trusted-proxies: [192.0.2.0/24, '2001:db8::/32']"))

	tests := []struct {
		name   string
		s      *server
		method string
		path   string
		hdr    []string
		status int
	}{
		{"trusted/alice-writes", trusted, "PUT", "/p.txt", []string{"X-Forwarded-User", "alice"}, http.StatusCreated},
		{"trusted/with-X-Forwarded-For-as-nginx-sends", trusted, "GET", "/top.txt", []string{"X-Forwarded-User", "alice", "X-Forwarded-For", "198.51.100.7"}, http.StatusOK},
		{"trusted/bob-reads-his-root", trusted, "GET", "/b.txt", []string{"X-Forwarded-User", "bob"}, http.StatusOK},
		{"trusted/bob-read-only", trusted, "PUT", "/b.txt", []string{"X-Forwarded-User", "bob"}, http.StatusForbidden},
		{"trusted/unknown-user-refused", trusted, "GET", "/top.txt", []string{"X-Forwarded-User", "mallory"}, http.StatusForbidden},
		{"trusted/header-wins-over-basic", trusted, "PUT", "/b.txt", withHeaders(basicCreds("alice", alicePassword), "X-Forwarded-User", "bob"), http.StatusForbidden},
		{"trusted/no-header-basic-applies", trusted, "GET", "/top.txt", basicCreds("alice", alicePassword), http.StatusOK},
		{"trusted/no-header-no-credentials", trusted, "GET", "/top.txt", nil, http.StatusUnauthorized},
		{"untrusted/header-ignored", untrusted, "GET", "/top.txt", []string{"X-Forwarded-User", "alice"}, http.StatusUnauthorized},
		{"untrusted/basic-applies", untrusted, "GET", "/top.txt", withHeaders(basicCreds("alice", alicePassword), "X-Forwarded-User", "bob"), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want(t, tt.s.do(t, tt.method, tt.path, "x", tt.hdr...), tt.status, tt.method+" "+tt.path)
		})
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "p.txt")); string(b) != "x" {
		t.Errorf("p.txt = %q after alice's PUT through the proxy", b)
	}
}

// TestAuthAnonymous: with users and --anonymous --anonymous-read-only,
// clients without credentials read the whole share; users log in as usual.
func TestAuthAnonymous(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t, authTree(t), "--config", authConfig(t), "--anonymous", "--anonymous-read-only")
	want(t, s.do(t, "GET", "/top.txt", ""), http.StatusOK, "anonymous GET")
	want(t, s.do(t, "PUT", "/anon.txt", "x"), http.StatusForbidden, "anonymous PUT")
	want(t, s.do(t, "PUT", "/alice.txt", "x", basicCreds("alice", alicePassword)...), http.StatusCreated, "alice PUT")
	wantChallenge(t, s.do(t, "GET", "/top.txt", "", basicCreds("alice", "wrong")...), "a wrong password is not anonymous")
}

// TestAuthPrefixOptions: under --prefix the unauthenticated OPTIONS is
// answered on the prefix's root only.
func TestAuthPrefixOptions(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t, authTree(t), "--config", authConfig(t), "--prefix", "/dav")
	for path, status := range map[string]int{"/dav/": 200, "/dav": 200, "/": 401, "/dav/bob/": 401} {
		r := s.do(t, "OPTIONS", path, "")
		want(t, r, status, "OPTIONS "+path+" without credentials")
		if status == 200 && r.Header.Get("DAV") != "1, 2, 3" {
			t.Errorf("OPTIONS %s: DAV = %q", path, r.Header.Get("DAV"))
		}
	}
	want(t, s.do(t, "GET", "/dav/b.txt", "", basicCreds("bob", bobPassword)...), http.StatusOK, "bob GET /dav/b.txt")
}

// TestUserHash: atomdav user hash reads the first line of a piped stdin
// and prints a hash bcrypt accepts; it refuses an empty password.
func TestUserHash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		stdin    string
		password string // "" when the command must fail
		cost     int
	}{
		{"piped-password", []string{"--cost", "4"}, "correct horse: battery\nignored\n", "correct horse: battery", 4},
		{"crlf", []string{"--cost", "5"}, "pässwörd\r\n", "pässwörd", 5},
		{"default-cost-12", nil, "s3cret", "s3cret", 12},
		{"empty-refused", []string{"--cost", "4"}, "\n", "", 0},
		{"no-input-refused", []string{"--cost", "4"}, "", "", 0},
		{"cost-too-low", []string{"--cost", "3"}, "x\n", "", 0},
		{"over-72-bytes-refused", []string{"--cost", "4"}, strings.Repeat("x", 73), "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, append([]string{"user", "hash"}, tt.args...)...)
			var out, errb bytes.Buffer
			cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(tt.stdin), &out, &errb
			err := cmd.Run()
			if tt.password == "" {
				if err == nil || out.Len() != 0 || errb.Len() == 0 {
					t.Fatalf("want a failure with a message: err %v, stdout %q, stderr %q", err, out.String(), errb.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("atomdav user hash: %v\n%s", err, errb.String())
			}
			hash := strings.TrimSuffix(out.String(), "\n")
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(tt.password)); err != nil {
				t.Fatalf("hash %q does not accept %q: %v", hash, tt.password, err)
			}
			if c, _ := bcrypt.Cost([]byte(hash)); c != tt.cost {
				t.Errorf("cost %d, want %d", c, tt.cost)
			}
		})
	}
}
