package e2e

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Symlinks inside the share, end to end (DESIGN §7: a user sees only their
// root). A symlink an admin or a local user left in one user's folder may
// lead into another's: the view's root is a jail as the share's root is.
// And a symlink inside one view makes two names for one resource: locks
// and properties hold whatever name is used.

// symlinkUsersConfig writes a config file with users (name, root pairs),
// all with lockUsersPassword and read-write, and returns its path.
func symlinkUsersConfig(t *testing.T, users ...string) string {
	t.Helper()
	var us []testUser
	for i := 0; i+1 < len(users); i += 2 {
		us = append(us, testUser{users[i], lockUsersPassword, users[i+1], false})
	}
	return usersConfig(t, us)
}

// makeTree creates folders (names ending in "/"), files (name: content)
// and symlinks (name: "->target") under dir.
func makeTree(t *testing.T, dir string, entries [][2]string) {
	t.Helper()
	for _, e := range entries {
		p := filepath.Join(dir, filepath.FromSlash(e[0]))
		var err error
		switch target, link := strings.CutPrefix(e[1], "->"); {
		case strings.HasSuffix(e[0], "/"):
			err = os.MkdirAll(p, 0o755)
		case link:
			err = os.Symlink(target, p)
		default:
			err = os.WriteFile(p, []byte(e[1]), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

const aliceSecret = "ALICE-ONLY-CONTENT"

// TestViewRootIsAJail: bob's root /bob holds symlinks into alice's
// folder (relative, absolute, to a file, dangling, and one inside a member
// folder). Nothing bob sends through them reads, lists, writes, locks,
// copies or moves anything of alice's (403, as for a symlink leading out
// of the share); listings leave them out. A symlink that stays inside
// /bob keeps working.
func TestViewRootIsAJail(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	makeTree(t, dir, [][2]string{
		{"alice/", ""}, {"alice/sub/", ""}, {"alice/secret.txt", aliceSecret}, {"alice/sub/deep.txt", aliceSecret},
		{"bob/", ""}, {"bob/b.txt", "bob's"}, {"bob/real/", ""}, {"bob/real/r.txt", "bob's real"}, {"bob/dir/", ""},
		{"bob/link", "->../alice"},
		{"bob/abslink", "->" + filepath.Join(dir, "alice")},
		{"bob/filelink", "->../alice/secret.txt"},
		{"bob/dangling", "->../alice/new.txt"},
		{"bob/up", "->.."},
		{"bob/dir/m", "->../../alice"},
		{"bob/inner", "->real"},
	})
	s := startAuthServer(t, dir, "--config", symlinkUsersConfig(t, "alice", "/alice", "bob", "/bob"))
	alice, bob := s.as("alice"), s.as("bob")

	leaked := func(r reply) bool { return bytes.Contains(r.Body, []byte(aliceSecret)) }
	requests := []struct {
		method, path, body string
		hdr                []string
	}{
		{"GET", "/link/secret.txt", "", nil},
		{"GET", "/abslink/secret.txt", "", nil},
		{"GET", "/filelink", "", nil},
		{"GET", "/link/", "", nil},
		{"GET", "/up/alice/secret.txt", "", nil},
		{"HEAD", "/link/secret.txt", "", nil},
		{"PROPFIND", "/link/", propfindBody(), []string{"Depth", "1"}},
		{"PROPFIND", "/abslink/sub/deep.txt", propfindBody(), []string{"Depth", "0"}},
		{"PROPFIND", "/filelink", propfindBody(), []string{"Depth", "0"}},
		{"PUT", "/link/planted.txt", "planted", nil},
		{"PUT", "/filelink", "overwritten", nil},
		{"PUT", "/dangling", "planted", nil},
		{"PUT", "/up/alice/planted.txt", "planted", nil},
		{"MKCOL", "/link/newdir", "", nil},
		{"PROPPATCH", "/filelink", update(`<Z:a>x</Z:a>`), nil},
		{"PROPPATCH", "/link/sub", update(`<Z:a>x</Z:a>`), nil},
		{"LOCK", "/link/secret.txt", lockinfo("exclusive", ownerXML), lockHeaders(nil)},
		{"LOCK", "/link/unmapped.txt", lockinfo("exclusive", ownerXML), lockHeaders(nil)},
		{"DELETE", "/link/secret.txt", "", nil},
		{"DELETE", "/abslink/sub", "", nil},
		{"COPY", "/link/secret.txt", "", []string{"Destination", "/stolen.txt"}},
		{"COPY", "/link", "", []string{"Destination", "/stolen"}},
		{"COPY", "/b.txt", "", []string{"Destination", "/link/planted.txt"}},
		{"MOVE", "/link/secret.txt", "", []string{"Destination", "/moved.txt"}},
		{"MOVE", "/b.txt", "", []string{"Destination", "/abslink/b.txt"}},
		// The symlinks themselves, as the share's jail refuses those
		// leading out of the share: what they lead to stays unprobed.
		{"COPY", "/b.txt", "", []string{"Destination", "/filelink", "Overwrite", "F"}},
		{"MOVE", "/filelink", "", []string{"Destination", "/renamed"}},
		{"DELETE", "/dangling", "", nil},
		{"DELETE", "/link", "", nil},
	}
	for _, rq := range requests {
		t.Run("DESIGN7/"+rq.method+rq.path, func(t *testing.T) {
			r := bob.do(t, rq.method, rq.path, rq.body, rq.hdr...)
			if r.Status != http.StatusForbidden || leaked(r) {
				t.Errorf("bob's %s %s: %s\nwant 403 without alice's content", rq.method, rq.path, r)
			}
		})
	}

	// A tree copy follows symlinks inside the share, never out of the view.
	r := bob.do(t, "COPY", "/dir", "", "Destination", "/dir2")
	if r.Status != http.StatusMultiStatus || !strings.Contains(string(r.Body), "/dir/m") {
		t.Errorf("bob's COPY /dir (holding m -> alice) = %s\nwant 207 naming /dir/m", r)
	}
	if _, err := os.Lstat(filepath.Join(dir, "bob", "dir2", "m")); err == nil {
		t.Errorf("bob's COPY /dir copied alice's folder into /bob/dir2/m")
	}

	// Listings leave out what leads out of the view, as they leave out
	// symlinks leading out of the share.
	r = bob.do(t, "PROPFIND", "/", propfindBody(), "Depth", "1")
	want(t, r, http.StatusMultiStatus, "bob's PROPFIND /")
	for _, h := range authHrefs(r.Body) {
		switch strings.TrimSuffix(h, "/") {
		case "/link", "/abslink", "/filelink", "/dangling", "/up":
			t.Errorf("bob's PROPFIND / lists %s, which leads out of his folder", h)
		}
	}
	if !strings.Contains(string(r.Body), "<D:href>/inner/</D:href>") {
		t.Errorf("bob's PROPFIND / does not list /inner/, a symlink inside his folder:\n%s", r.Body)
	}
	r = bob.do(t, "GET", "/", "")
	want(t, r, http.StatusOK, "bob's GET /")
	for _, name := range []string{"link", "abslink", "filelink", "dangling", "up"} {
		if strings.Contains("\n"+string(r.Body), "\n"+name+"\n") || strings.Contains("\n"+string(r.Body), "\n"+name+"/\n") {
			t.Errorf("bob's listing of / shows %s:\n%s", name, r.Body)
		}
	}
	r = bob.do(t, "GET", "/?sort=name", "", "Accept", "text/html")
	if strings.Contains(string(r.Body), `href="/link/"`) {
		t.Errorf("bob's HTML listing links to /link/")
	}

	// Inside his folder, symlinks keep working, and alice keeps her files.
	if r := bob.do(t, "GET", "/inner/r.txt", ""); r.Status != http.StatusOK || string(r.Body) != "bob's real" {
		t.Errorf("bob's GET /inner/r.txt = %s, want 200 with his file", r)
	}
	want(t, bob.do(t, "PUT", "/inner/new.txt", "new"), http.StatusCreated, "bob's PUT /inner/new.txt")
	if r := alice.do(t, "GET", "/secret.txt", ""); r.Status != http.StatusOK || string(r.Body) != aliceSecret {
		t.Errorf("alice's GET /secret.txt = %s", r)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("alice's folder holds %d entries, want 2 (secret.txt, sub): bob planted something", len(entries))
	}
	for _, name := range []string{"link", "filelink", "dangling"} {
		if _, err := os.Lstat(filepath.Join(dir, "bob", name)); err != nil {
			t.Errorf("/bob/%s is gone: %v", name, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "alice", "secret.txt")); err != nil || string(b) != aliceSecret {
		t.Errorf("alice/secret.txt changed: %q, %v", b, err)
	}
	for _, name := range []string{"stolen.txt", "stolen", "moved.txt"} {
		if _, err := os.Lstat(filepath.Join(dir, "bob", name)); err == nil {
			t.Errorf("/bob/%s was made from alice's content", name)
		}
	}
}

// TestAliasLocksAndProps: with alink -> a in a share alice and bob both
// see, /alink/x.txt and /a/x.txt are one file. alice's lock of /a holds
// against bob's writes through /alink, bob's lock taken through /alink
// holds against alice's writes to /a, and a property set through one name
// is seen through the other. A listing of /alink still names its members
// /alink/...; DELETE and MOVE of /alink act on the symlink, not on /a.
func TestAliasLocksAndProps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	makeTree(t, dir, [][2]string{{"a/", ""}, {"a/x.txt", "x"}, {"a/up", "->.."}, {"alink", "->a"}, {"xlink", "->a/x.txt"}})
	s := startAuthServer(t, dir, "--config", symlinkUsersConfig(t, "alice", "/", "bob", "/"), "--allow-infinite-depth")
	alice, bob := s.as("alice"), s.as("bob")

	r := alice.do(t, "LOCK", "/a", lockinfo("exclusive", ownerXML), lockHeaders([]string{"Depth", "infinity"})...)
	want(t, r, http.StatusOK, "alice's LOCK /a")
	tok := lockToken(r)
	for _, w := range []struct {
		method, path, body string
		hdr                []string
	}{
		{"PUT", "/alink/x.txt", "bob's", nil},
		{"PUT", "/xlink", "bob's", nil},
		{"PUT", "/alink/new.txt", "bob's", nil},
		{"DELETE", "/alink/x.txt", "", nil},
		{"MOVE", "/alink/x.txt", "", []string{"Destination", "/moved.txt"}},
		{"COPY", "/xlink", "", []string{"Destination", "/alink/copy.txt"}},
		{"PROPPATCH", "/alink/x.txt", update(`<Z:a>bob</Z:a>`), nil},
		{"MKCOL", "/alink/newdir", "", nil},
		{"LOCK", "/alink", lockinfo("exclusive", ownerXML), lockHeaders(nil)},
		{"LOCK", "/xlink", lockinfo("shared", ownerXML), lockHeaders(nil)},
	} {
		if r := bob.do(t, w.method, w.path, w.body, w.hdr...); r.Status != http.StatusLocked {
			t.Errorf("bob's %s %s while alice locks /a: %s\nwant 423", w.method, w.path, r)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a", "x.txt")); err != nil || string(b) != "x" {
		t.Errorf("a/x.txt changed under alice's lock: %q, %v", b, err)
	}
	_, locks := bob.discovery(t, "/alink/x.txt")
	if len(locks) != 1 {
		t.Errorf("bob's lockdiscovery of /alink/x.txt = %+v, want alice's lock", locks)
	}
	want(t, alice.do(t, "PUT", "/alink/x.txt", "alice's", "If", ifToken(tok)), http.StatusNoContent, "alice's PUT /alink/x.txt with her token")
	want(t, alice.do(t, "UNLOCK", "/alink", "", "Lock-Token", "<"+tok+">"), http.StatusNoContent, "alice's UNLOCK through /alink")

	// The other way round: bob's lock through the alias protects /a.
	r = bob.do(t, "LOCK", "/alink", lockinfo("exclusive", ownerXML), lockHeaders([]string{"Depth", "infinity"})...)
	want(t, r, http.StatusOK, "bob's LOCK /alink")
	tok = lockToken(r)
	want(t, alice.do(t, "PUT", "/a/x.txt", "alice's"), http.StatusLocked, "alice's PUT /a/x.txt under bob's lock of /alink")
	want(t, alice.do(t, "DELETE", "/a", ""), http.StatusLocked, "alice's DELETE /a under bob's lock of /alink")
	want(t, bob.do(t, "UNLOCK", "/a", "", "Lock-Token", "<"+tok+">"), http.StatusNoContent, "bob's UNLOCK through /a")

	// One resource, one set of properties, whatever the name.
	for path, prop := range map[string]string{"/alink/x.txt": `<Z:p>through-alink</Z:p>`, "/xlink": `<Z:q>through-xlink</Z:q>`} {
		want(t, bob.do(t, "PROPPATCH", path, update(prop)), http.StatusMultiStatus, "bob's PROPPATCH "+path)
	}
	s.wantPropsAs(t, alice, "/a/x.txt", map[string]string{"p": "through-alink", "q": "through-xlink"}, "p", "q")

	// A listing shows a symlink's target's properties under the link's
	// name; Depth: infinity walks into a symlinked folder the same way,
	// and lists a symlink back into the walk without walking it again.
	ms := parseMultistatus(t, bob.do(t, "PROPFIND", "/", propfindBody(zName("p")), "Depth", "infinity"))
	for _, href := range []string{"/a/x.txt", "/alink/x.txt", "/xlink"} {
		if got := textOf(ms[href].Props[zName("p")]); got != "through-alink" {
			t.Errorf("PROPFIND / Depth: infinity: %s has Z:p %q, want through-alink", href, got)
		}
	}
	for href := range ms {
		if strings.Contains(href, "/up/") && !strings.HasSuffix(href, "/up/") {
			t.Errorf("PROPFIND / Depth: infinity walked the loop up -> ..: %s", href)
		}
	}
	if _, ok := ms["/alink/up/"]; !ok {
		t.Errorf("PROPFIND / Depth: infinity does not list /alink/up/")
	}

	// Hrefs are the names the client used.
	r = bob.do(t, "PROPFIND", "/alink/", propfindBody(), "Depth", "1")
	want(t, r, http.StatusMultiStatus, "bob's PROPFIND /alink/")
	hrefs := strings.Join(authHrefs(r.Body), " ")
	if !strings.Contains(hrefs, "/alink/x.txt") || strings.Contains(hrefs, "/a/x.txt") {
		t.Errorf("PROPFIND /alink/ hrefs = %s, want /alink/x.txt", hrefs)
	}

	// PUT writes what the symlink leads to.
	want(t, bob.do(t, "PUT", "/xlink", "through xlink"), http.StatusNoContent, "PUT /xlink")
	if b, err := os.ReadFile(filepath.Join(dir, "a", "x.txt")); err != nil || string(b) != "through xlink" {
		t.Errorf("PUT /xlink: a/x.txt = %q, %v", b, err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "xlink")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("PUT /xlink replaced the symlink: %v", err)
	}

	// DELETE and MOVE act on the symlink itself.
	want(t, bob.do(t, "MOVE", "/alink", "", "Destination", "/blink"), http.StatusCreated, "MOVE /alink /blink")
	if fi, err := os.Lstat(filepath.Join(dir, "blink")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("MOVE /alink did not move the symlink: %v", err)
	}
	want(t, bob.do(t, "DELETE", "/blink", ""), http.StatusNoContent, "DELETE /blink")
	if _, err := os.Stat(filepath.Join(dir, "a", "x.txt")); err != nil {
		t.Errorf("DELETE of the symlink /blink removed its target: %v", err)
	}
}

// wantPropsAs is wantProps with c's credentials.
func (s *server) wantPropsAs(t *testing.T, c client, path string, want map[string]string, names ...string) {
	t.Helper()
	var b strings.Builder
	for _, n := range names {
		b.WriteString(propElem(zName(n)))
	}
	body := `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>` + b.String() + `</D:prop></D:propfind>`
	for _, resp := range parseMultistatus(t, c.do(t, "PROPFIND", path, body, "Depth", "0")) {
		for _, n := range names {
			p := resp.Props[zName(n)]
			if p.Status != http.StatusOK || textOf(p) != want[n] {
				t.Errorf("%s's PROPFIND %s: Z:%s = %d %q, want %q", c.name, path, n, p.Status, textOf(p), want[n])
			}
		}
	}
}
