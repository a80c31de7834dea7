package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Lock ownership and lock limits, end to end (issue 12 items 1 and 8; RFC
// 4918 §6.4: a lock token is usable only by the principal that created
// it). alice sees all of the share, bob only /bob, and reader all of it
// read-only.

const lockUsersPassword = "secret pass"

// lockUsersConfig writes a config file with alice (root /), bob (root
// /bob) and reader (root /, read-only), all with lockUsersPassword, plus
// extra YAML lines; it returns its path.
func lockUsersConfig(t *testing.T, extra ...string) string {
	t.Helper()
	return usersConfig(t, []testUser{
		{"alice", lockUsersPassword, "/", false},
		{"bob", lockUsersPassword, "/bob", false},
		{"reader", lockUsersPassword, "/", true},
	}, extra...)
}

// lockUsersTree makes the served folder: /top.txt and /bob/b.txt.
func lockUsersTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bob"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"top.txt": "top", "bob/b.txt": "bob's"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// client is a server seen by one user.
type client struct {
	s    *server
	name string
}

func (s *server) as(name string) client { return client{s: s, name: name} }

// do sends a request with the user's Basic credentials.
func (c client) do(t testing.TB, method, path, body string, hdr ...string) reply {
	t.Helper()
	return c.s.do(t, method, path, body, append(basicCreds(c.name, lockUsersPassword), hdr...)...)
}

// lock asks for a write lock of scope on path (Depth: infinity).
func (c client) lock(t testing.TB, path, scope string) reply {
	t.Helper()
	return c.do(t, "LOCK", path, lockinfo(scope, ownerXML), lockHeaders(nil)...)
}

// discovery returns the raw PROPFIND answer for path's DAV:lockdiscovery
// and the activelocks in it.
func (c client) discovery(t testing.TB, path string) (string, []activeLock) {
	t.Helper()
	body := `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>`
	r := c.do(t, "PROPFIND", path, body, "Depth", "0", "Content-Type", "application/xml")
	for _, resp := range parseMultistatus(t, r) {
		p := resp.Props[davName("lockdiscovery")]
		if p.Status != http.StatusOK || p.Node == nil {
			t.Fatalf("%s's PROPFIND %s: DAV:lockdiscovery status %d, want 200", c.name, path, p.Status)
		}
		return string(r.Body), activeLocks(p.Node)
	}
	t.Fatalf("%s's PROPFIND %s: no response", c.name, path)
	return "", nil
}

// TestLockTokenOwnership: alice locks / with depth infinity. bob (whose
// root /bob the lock covers) and reader see the lock, its owner and scope,
// never its token; bob cannot refresh it, UNLOCK it or write with it even
// when he knows it, so the lock keeps protecting his folder; alice can do
// all of it.
func TestLockTokenOwnership(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t, lockUsersTree(t), "--config", lockUsersConfig(t))
	alice, bob, reader := s.as("alice"), s.as("bob"), s.as("reader")
	r := alice.do(t, "LOCK", "/", lockinfo("exclusive", ownerXML), lockHeaders([]string{"Depth", "infinity"})...)
	want(t, r, http.StatusOK, "alice's LOCK /")
	tok := lockToken(r)
	if got := lockReply(t, r, tok); got.Token != tok {
		t.Fatalf("alice's LOCK answer lacks her token: %s", r.Body)
	}

	for _, c := range []struct {
		who  client
		path string
		root string // the lockroot the view shows
	}{{bob, "/b.txt", "/"}, {reader, "/bob/b.txt", "/"}} {
		body, locks := c.who.discovery(t, c.path)
		if strings.Contains(body, tok) {
			t.Errorf("%s's PROPFIND shows alice's token:\n%s", c.who.name, body)
		}
		if len(locks) != 1 || locks[0].Token != "" || locks[0].Scope != "exclusive" || locks[0].Owner == nil || locks[0].Root != c.root {
			t.Errorf("%s's lockdiscovery = %+v, want alice's exclusive lock with its owner, root %s and no token", c.who.name, locks, c.root)
		}
	}

	ifTok := ifToken(tok)
	want(t, bob.do(t, "LOCK", "/", "", "If", ifTok), http.StatusForbidden, "bob's refresh of alice's lock")
	want(t, bob.do(t, "LOCK", "/b.txt", "", "If", ifTok), http.StatusForbidden, "bob's refresh of alice's lock on a member")
	want(t, bob.do(t, "UNLOCK", "/b.txt", "", "Lock-Token", "<"+tok+">"), http.StatusForbidden, "bob's UNLOCK of alice's lock")
	want(t, bob.do(t, "UNLOCK", "/", "", "Lock-Token", "<"+tok+">"), http.StatusForbidden, "bob's UNLOCK of alice's lock at his root")
	want(t, bob.do(t, "PUT", "/b.txt", "bob was here", "If", ifTok), http.StatusLocked, "bob's PUT with alice's token")
	want(t, bob.do(t, "PUT", "/new.txt", "x", "If", s.ifTagged("/b.txt", tok)), http.StatusLocked, "bob's PUT with alice's token tagged")
	want(t, bob.do(t, "DELETE", "/b.txt", "", "If", ifTok), http.StatusLocked, "bob's DELETE with alice's token")
	want(t, reader.do(t, "UNLOCK", "/", "", "Lock-Token", "<"+tok+">"), http.StatusForbidden, "reader's UNLOCK")
	if b, err := os.ReadFile(filepath.Join(s.Dir, "bob", "b.txt")); err != nil || string(b) != "bob's" {
		t.Fatalf("bob/b.txt = %q, %v; want it untouched", b, err)
	}

	// The lock is still there, and still alice's to use.
	body, locks := alice.discovery(t, "/bob/b.txt")
	if len(locks) != 1 || locks[0].Token != tok {
		t.Fatalf("alice's lockdiscovery after bob's attempts = %+v, want her lock with its token\n%s", locks, body)
	}
	ok2xx(t, alice.do(t, "PUT", "/bob/b.txt", "alice's", "If", ifTok), "alice's PUT with her token")
	want(t, alice.do(t, "LOCK", "/", "", "If", ifTok), http.StatusOK, "alice's refresh")
	want(t, alice.do(t, "UNLOCK", "/bob/b.txt", "", "Lock-Token", "<"+tok+">"), http.StatusNoContent, "alice's UNLOCK")
	ok2xx(t, bob.do(t, "PUT", "/b.txt", "bob's again"), "bob's PUT once alice unlocked")
}

// TestLockTokenOwnershipShared: bob's own shared lock on his file does not
// let him use alice's shared lock there, nor the reverse; each sees only
// their own token.
func TestLockTokenOwnershipShared(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t, lockUsersTree(t), "--config", lockUsersConfig(t))
	alice, bob := s.as("alice"), s.as("bob")
	r := alice.lock(t, "/bob/b.txt", "shared")
	want(t, r, http.StatusOK, "alice's shared LOCK")
	aTok := lockToken(r)
	r = bob.lock(t, "/b.txt", "shared")
	want(t, r, http.StatusOK, "bob's shared LOCK")
	bTok := lockToken(r)
	for _, c := range []struct {
		who       client
		path      string
		mine, not string
	}{{alice, "/bob/b.txt", aTok, bTok}, {bob, "/b.txt", bTok, aTok}} {
		body, locks := c.who.discovery(t, c.path)
		if len(locks) != 2 || strings.Contains(body, c.not) || !strings.Contains(body, c.mine) {
			t.Errorf("%s's lockdiscovery should show both locks, only their own token:\n%s", c.who.name, body)
		}
	}
	want(t, bob.do(t, "UNLOCK", "/b.txt", "", "Lock-Token", "<"+aTok+">"), http.StatusForbidden, "bob's UNLOCK of alice's shared lock")
	want(t, alice.do(t, "UNLOCK", "/bob/b.txt", "", "Lock-Token", "<"+bTok+">"), http.StatusForbidden, "alice's UNLOCK of bob's shared lock")
	want(t, bob.do(t, "UNLOCK", "/b.txt", "", "Lock-Token", "<"+bTok+">"), http.StatusNoContent, "bob's UNLOCK of his lock")
	want(t, bob.do(t, "PUT", "/b.txt", "x", "If", ifToken(aTok)), http.StatusLocked, "bob's PUT with alice's shared token")
}

// TestLockLimitPerResource: with the default limit (100), the 101st shared
// lock on one resource is 507 with a body that says why, and is not kept.
func TestLockLimitPerResource(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/f.txt", "x")
	const limit = 100
	for i := range limit {
		if r := s.lock(t, "/f.txt", "shared"); r.Status != http.StatusOK {
			t.Fatalf("shared LOCK #%d: %s", i+1, r)
		}
	}
	r := s.lock(t, "/f.txt", "shared")
	want(t, r, http.StatusInsufficientStorage, "shared LOCK #101")
	if !strings.Contains(string(r.Body), "too many locks (at most 100 on one resource") {
		t.Errorf("the 507 body does not say which limit holds: %q", r.Body)
	}
	if n := len(s.discovery(t, "/f.txt")); n != limit {
		t.Errorf("lockdiscovery holds %d locks, want %d", n, limit)
	}
}

// TestLockLimitPerPrincipal: with --max-locks-per-principal 3, alice's
// 4th lock is 507 wherever it is, and bob still gets his.
func TestLockLimitPerPrincipal(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t, lockUsersTree(t), "--config", lockUsersConfig(t), "--max-locks-per-principal", "3")
	alice, bob := s.as("alice"), s.as("bob")
	for i := range 3 {
		ok2xx(t, alice.lock(t, fmt.Sprintf("/a%d.txt", i), "exclusive"), fmt.Sprintf("alice's LOCK #%d", i+1))
	}
	r := alice.lock(t, "/bob/b.txt", "exclusive")
	want(t, r, http.StatusInsufficientStorage, "alice's 4th LOCK")
	if !strings.Contains(string(r.Body), "3 per user") {
		t.Errorf("the 507 body does not say which limit holds: %q", r.Body)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "a3.txt")); err == nil {
		t.Error("a refused LOCK of an unmapped URL created the file")
	}
	ok2xx(t, bob.lock(t, "/b.txt", "exclusive"), "bob's LOCK while alice is at her limit")
}

// TestClusterLockOwnership: alice's lock taken through instance A is
// bob's to see but not to use through instance B; both instances share
// the per-resource limit.
func TestClusterLockOwnership(t *testing.T) {
	t.Parallel()
	db, dir := clusterDB(t), lockUsersTree(t)
	cfg := lockUsersConfig(t, "max-locks-per-resource: 2")
	a := start(t, dir, nil, []string{"--store", db, "--config", cfg})
	b := start(t, dir, nil, []string{"--store", db, "--config", cfg})
	r := a.as("alice").lock(t, "/bob", "exclusive")
	want(t, r, http.StatusOK, "alice's LOCK /bob through A")
	tok := lockToken(r)
	bob := b.as("bob")
	if body, locks := bob.discovery(t, "/b.txt"); len(locks) != 1 || strings.Contains(body, tok) {
		t.Errorf("bob's lockdiscovery through B should show alice's lock without its token:\n%s", body)
	}
	want(t, bob.do(t, "UNLOCK", "/b.txt", "", "Lock-Token", "<"+tok+">"), http.StatusForbidden, "bob's UNLOCK through B")
	want(t, bob.do(t, "LOCK", "/", "", "If", ifToken(tok)), http.StatusForbidden, "bob's refresh through B")
	want(t, bob.do(t, "PUT", "/b.txt", "x", "If", ifToken(tok)), http.StatusLocked, "bob's PUT with alice's token through B")
	want(t, b.as("alice").do(t, "UNLOCK", "/bob", "", "Lock-Token", "<"+tok+">"), http.StatusNoContent, "alice's UNLOCK through B")

	ok2xx(t, a.as("alice").lock(t, "/top.txt", "shared"), "shared LOCK through A")
	ok2xx(t, b.as("reader").do(t, "PROPFIND", "/top.txt", "", "Depth", "0"), "reader's PROPFIND through B")
	ok2xx(t, b.as("alice").lock(t, "/top.txt", "shared"), "shared LOCK through B")
	want(t, a.as("alice").lock(t, "/top.txt", "shared"), http.StatusInsufficientStorage, "3rd shared LOCK through A")
}
