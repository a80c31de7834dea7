package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Per-path rules (issue 16 item 2) and hide patterns through the real
// binary: none behaves as absent, read refuses writes, and operations on
// whole folders are refused when a rule below them forbids what they do.

const rulesPassword = "rule of law"

// rulesYAML is the configuration of the rules tests: top-level rules for
// everyone; alice (whole share, read-write) with her own rules, one of
// which beats a top-level rule on the same path; bob (root /home/bob,
// read-only) with a folder he may write and one hidden from him.
const rulesYAML = `anonymous: true
allow-infinite-depth: true
hide: ["*.tmp"]
rules:
  - {path: /private, access: none}
  - {path: /pub, access: read}
  - {path: /pub/inner/secret, access: none}
users:
  - name: alice
    hash: %[1]q
    root: /
    rules:
      - {path: /shared, access: read}
      - {path: /mixed/ro, access: read}
      - {path: /mixed/hid, access: none}
      - {path: /pub/inner/secret, access: read}
  - name: bob
    hash: %[1]q
    root: /home/bob
    read-only: true
    rules:
      - {path: /mine, access: write}
      - {path: /hidden, access: none}
`

// rulesServer makes the served tree and starts the server with rulesYAML.
func rulesServer(t *testing.T) (*server, string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"private/s.txt": "secret", "private/deep/d.txt": "deep secret",
		"pub/p.txt": "public", "pub/inner/secret/q.txt": "hidden below pub", "pub/a.tmp": "temp",
		"shared/x.txt": "shared", "rw/w.txt": "writable",
		"mixed/ok.txt": "ok", "mixed/ro/r.txt": "read only", "mixed/hid/h.txt": "hidden from alice",
		"home/bob/f.txt": "bob's", "home/bob/mine/m.txt": "bob may write", "home/bob/hidden/h.txt": "not for bob",
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../private", filepath.Join(dir, "rw", "link")); err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(rulesPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "atomdav.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(rulesYAML, hash)), 0o600); err != nil {
		t.Fatal(err)
	}
	return start(t, dir, nil, []string{"--config", cfg}), dir
}

// as sends a request with hdr (name, value pairs) as user ("" for
// anonymous) and checks its status.
func as(t *testing.T, s *server, user string, status int, method, path, body string, hdr ...string) reply {
	t.Helper()
	if user != "" {
		hdr = withHeaders(basicCreds(user, rulesPassword), hdr...)
	}
	r := s.do(t, method, path, body, hdr...)
	if r.Status != status {
		t.Errorf("%s %s as %q: %d, want %d\nbody: %s", method, path, user, r.Status, status, r.Body)
	}
	return r
}

func exists(dir, p string) bool {
	_, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p)))
	return err == nil
}

const rulesLockBody = `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`

const rulesPropBody = `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-atomdav:rules"><D:set><D:prop><Z:c>1</Z:c></D:prop></D:set></D:propertyupdate>`

// TestRulesMethods: every method on a path under none is 404 with the
// body a missing path gets; under read the writes are 403 and OPTIONS
// and oc:permissions say so; under write they succeed.
func TestRulesMethods(t *testing.T) {
	t.Parallel()
	s, dir := rulesServer(t)
	missingGet := as(t, s, "alice", 404, "GET", "/nothing.txt", "")
	missingFind := as(t, s, "alice", 404, "PROPFIND", "/nothing.txt", "", "Depth", "0")
	t.Run("none", func(t *testing.T) {
		for _, p := range []string{"/private/s.txt", "/private", "/private/deep/", "/PRIVATE/s.txt", "/mixed/hid/h.txt", "/pub/./inner/../../private/s.txt"} {
			if r := as(t, s, "alice", 404, "GET", p, ""); string(r.Body) != string(missingGet.Body) {
				t.Errorf("GET %s: body %q, a missing file's is %q", p, r.Body, missingGet.Body)
			}
			if r := as(t, s, "alice", 404, "PROPFIND", p, "", "Depth", "0"); string(r.Body) != string(missingFind.Body) {
				t.Errorf("PROPFIND %s: body %q, a missing file's is %q", p, r.Body, missingFind.Body)
			}
			as(t, s, "alice", 404, "HEAD", p, "")
			as(t, s, "alice", 404, "OPTIONS", p, "")
		}
		p := "/private/s.txt"
		as(t, s, "alice", 404, "PUT", p, "overwritten")
		as(t, s, "alice", 404, "PUT", "/private/new.txt", "new")
		as(t, s, "alice", 404, "DELETE", p, "")
		as(t, s, "alice", 404, "MKCOL", "/private/newdir", "")
		as(t, s, "alice", 404, "PROPPATCH", p, rulesPropBody)
		as(t, s, "alice", 404, "LOCK", p, rulesLockBody)
		as(t, s, "alice", 404, "COPY", p, "", "Destination", s.URL+"/rw/stolen.txt")
		as(t, s, "alice", 404, "MOVE", p, "", "Destination", s.URL+"/rw/stolen.txt")
		fileIs(t, dir, "private/s.txt", "secret")
		if exists(dir, "private/new.txt") || exists(dir, "private/newdir") || exists(dir, "rw/stolen.txt") {
			t.Error("a request under a none rule changed the tree")
		}
		// A symlink from a writable folder does not lead in.
		as(t, s, "alice", 404, "GET", "/rw/link/s.txt", "")
		as(t, s, "alice", 404, "PROPFIND", "/rw/link/", "", "Depth", "1")
	})
	t.Run("read", func(t *testing.T) {
		p := "/shared/x.txt"
		as(t, s, "alice", 200, "GET", p, "")
		as(t, s, "alice", 403, "PUT", p, "overwritten")
		as(t, s, "alice", 403, "PUT", "/shared/new.txt", "new")
		as(t, s, "alice", 403, "DELETE", p, "")
		as(t, s, "alice", 403, "MKCOL", "/shared/d", "")
		as(t, s, "alice", 403, "PROPPATCH", p, rulesPropBody)
		as(t, s, "alice", 403, "LOCK", p, rulesLockBody)
		fileIs(t, dir, "shared/x.txt", "shared")
		if r := as(t, s, "alice", 200, "OPTIONS", p, ""); r.Header.Get("Allow") != "OPTIONS, GET, HEAD, PROPFIND" {
			t.Errorf("OPTIONS %s: Allow %q", p, r.Header.Get("Allow"))
		}
		if r := as(t, s, "alice", 200, "OPTIONS", "/rw/w.txt", ""); !strings.Contains(r.Header.Get("Allow"), "PUT") {
			t.Errorf("OPTIONS /rw/w.txt: Allow %q", r.Header.Get("Allow"))
		}
		perms := ocPerms(t, s, "alice", "/")
		for href, want := range map[string]string{"/shared/": "", "/rw/": "DNVCK", "/mixed/": "CK", "/pub/": ""} {
			if got, ok := perms[href]; !ok || got != want {
				t.Errorf("oc:permissions of %s = %q (listed %t), want %q", href, got, ok, want)
			}
		}
	})
	t.Run("write", func(t *testing.T) {
		as(t, s, "alice", 204, "PUT", "/rw/w.txt", "changed")
		as(t, s, "alice", 201, "MKCOL", "/rw/d", "")
		as(t, s, "alice", 207, "PROPPATCH", "/rw/w.txt", rulesPropBody)
		as(t, s, "alice", 204, "DELETE", "/rw/d", "")
		// alice's own rule (read) beats the top-level none on the same path.
		as(t, s, "alice", 200, "GET", "/pub/inner/secret/q.txt", "")
		as(t, s, "alice", 403, "PUT", "/pub/inner/secret/q.txt", "x")
	})
}

// ocPerms lists the members of folder p by href with their
// oc:permissions, from a PROPFIND Depth 1 as user.
func ocPerms(t *testing.T, s *server, user, p string) map[string]string {
	t.Helper()
	body := `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><oc:permissions/></d:prop></d:propfind>`
	r := as(t, s, user, 207, "PROPFIND", p, body, "Depth", "1")
	out := map[string]string{}
	for _, resp := range strings.Split(string(r.Body), "response>") {
		hrefs := authHrefs([]byte(resp))
		if len(hrefs) == 0 {
			continue
		}
		v := ""
		if _, rest, ok := strings.Cut(resp, "permissions>"); ok {
			v, _, _ = strings.Cut(rest, "<")
		}
		out[hrefs[0]] = v
	}
	return out
}

// TestRulesCopyMove: COPY needs read on its source, MOVE write, both
// write on the destination; a folder whose subtree holds a rule the
// operation may not cross is refused whole, before anything changes.
func TestRulesCopyMove(t *testing.T) {
	t.Parallel()
	s, dir := rulesServer(t)
	d := func(p string) []string { return []string{"Destination", s.URL + p} }
	as(t, s, "alice", 201, "COPY", "/shared/x.txt", "", d("/rw/x.txt")...)
	as(t, s, "alice", 403, "MOVE", "/shared/x.txt", "", d("/rw/y.txt")...)
	as(t, s, "alice", 403, "COPY", "/rw/x.txt", "", d("/shared/y.txt")...)
	as(t, s, "alice", 403, "MOVE", "/rw/x.txt", "", d("/shared/y.txt")...)
	as(t, s, "alice", 403, "COPY", "/rw/x.txt", "", d("/private/y.txt")...)
	as(t, s, "alice", 403, "MOVE", "/rw/x.txt", "", d("/mixed/hid/y.txt")...)
	as(t, s, "alice", 201, "MOVE", "/rw/x.txt", "", d("/rw/z.txt")...)
	fileIs(t, dir, "shared/x.txt", "shared")
	if exists(dir, "shared/y.txt") || exists(dir, "private/y.txt") || exists(dir, "mixed/hid/y.txt") || exists(dir, "rw/y.txt") {
		t.Error("a refused COPY or MOVE changed the tree")
	}

	// /mixed holds /mixed/hid (none) and /mixed/ro (read).
	as(t, s, "alice", 403, "COPY", "/mixed", "", d("/rw/mixed")...)  // would copy a secret
	as(t, s, "alice", 403, "MOVE", "/mixed", "", d("/rw/mixed2")...) // would move what alice may not change
	as(t, s, "alice", 403, "DELETE", "/mixed", "")
	as(t, s, "alice", 403, "LOCK", "/mixed", rulesLockBody, "Depth", "infinity")
	as(t, s, "alice", 403, "COPY", "/rw", "", d("/mixed")...) // an overwrite would delete /mixed/ro
	as(t, s, "alice", 403, "MOVE", "/rw", "", d("/mixed")...)
	for _, p := range []string{"mixed/ok.txt", "mixed/ro/r.txt", "mixed/hid/h.txt"} {
		if !exists(dir, p) {
			t.Errorf("%s is gone after refused operations on /mixed", p)
		}
	}
	if exists(dir, "rw/mixed") || exists(dir, "rw/mixed2") {
		t.Error("a refused COPY or MOVE of /mixed made its destination")
	}
	// Read below a COPY source is no obstacle; a whole folder under write is.
	as(t, s, "alice", 201, "COPY", "/shared", "", d("/rw/shared-copy")...)
	fileIs(t, dir, "rw/shared-copy/x.txt", "shared")
	as(t, s, "alice", 201, "COPY", "/mixed/ro", "", d("/rw/ro-copy")...)
	as(t, s, "alice", 200, "LOCK", "/mixed", rulesLockBody, "Depth", "0")
	as(t, s, "alice", 201, "MOVE", "/rw/ro-copy", "", d("/rw/ro-moved")...)
	as(t, s, "alice", 204, "DELETE", "/rw/ro-moved", "")

	// The copy of a folder follows its symlinks: /rw/link leads to
	// /private, which must not be copied where alice could read it.
	as(t, s, "alice", 403, "COPY", "/rw", "", d("/rw-copy")...)
	if exists(dir, "rw-copy") {
		t.Error("a refused COPY of a folder with a symlink to a none path made its destination")
	}
	as(t, s, "alice", 204, "DELETE", "/rw/link", "") // the link, not /private
	fileIs(t, dir, "private/s.txt", "secret")
	as(t, s, "alice", 201, "COPY", "/rw", "", d("/rw-copy")...)
}

// TestRulesListings: what a principal may not read is left out of
// PROPFIND (Depth 1 and infinity) and the HTML listing; hide patterns
// leave names out that stay reachable by name.
func TestRulesListings(t *testing.T) {
	t.Parallel()
	s, _ := rulesServer(t)
	hrefs := func(user, p, depth string) []string {
		return authHrefs(as(t, s, user, 207, "PROPFIND", p, "", "Depth", depth).Body)
	}
	absentFrom := func(what string, got []string, gone ...string) {
		t.Helper()
		for _, h := range got {
			for _, g := range gone {
				if h == g || strings.HasPrefix(h, g) {
					t.Errorf("%s lists %s", what, h)
				}
			}
		}
	}
	present := func(what string, got []string, here ...string) {
		t.Helper()
		for _, h := range here {
			if !slices.Contains(got, h) {
				t.Errorf("%s does not list %s: %v", what, h, got)
			}
		}
	}
	d1 := hrefs("alice", "/", "1")
	absentFrom("alice's PROPFIND / Depth 1", d1, "/private")
	present("alice's PROPFIND / Depth 1", d1, "/shared/", "/pub/", "/mixed/", "/rw/")
	inf := hrefs("alice", "/", "infinity")
	absentFrom("alice's PROPFIND / Depth infinity", inf, "/private", "/mixed/hid", "/rw/link", "/pub/a.tmp")
	present("alice's PROPFIND / Depth infinity", inf, "/mixed/ro/r.txt", "/pub/inner/secret/q.txt", "/pub/p.txt")
	anon := hrefs("", "/", "infinity")
	absentFrom("anonymous PROPFIND / Depth infinity", anon, "/private", "/pub/inner/secret/")
	present("anonymous PROPFIND / Depth infinity", anon, "/mixed/hid/h.txt", "/pub/inner/")

	html := string(as(t, s, "alice", 200, "GET", "/mixed/", "", "Accept", "text/html").Body)
	if strings.Contains(html, "/mixed/hid/") || !strings.Contains(html, "/mixed/ok.txt") {
		t.Errorf("alice's HTML listing of /mixed/:\n%s", html)
	}
	html = string(as(t, s, "alice", 200, "GET", "/", "", "Accept", "text/html").Body)
	if strings.Contains(html, `"/private/"`) || !strings.Contains(html, `"/shared/"`) {
		t.Errorf("alice's HTML listing of /:\n%s", html)
	}
	text := string(as(t, s, "alice", 200, "GET", "/pub/", "").Body)
	if strings.Contains(text, "a.tmp") || !strings.Contains(text, "p.txt") {
		t.Errorf("the listing of /pub/ shows a hidden name, or not p.txt:\n%s", text)
	}
	if r := as(t, s, "alice", 200, "GET", "/pub/a.tmp", ""); string(r.Body) != "temp" {
		t.Errorf("GET of a hidden name: %s", r)
	}
}

// TestRulesPrincipals: anonymous under the top-level rules; a read-only
// user whose own rules (relative to their root) let them write one folder
// and hide another; the Nextcloud layout and its chunked uploads.
func TestRulesPrincipals(t *testing.T) {
	t.Parallel()
	s, dir := rulesServer(t)
	t.Run("anonymous", func(t *testing.T) {
		as(t, s, "", 404, "GET", "/private/s.txt", "")
		as(t, s, "", 404, "GET", "/pub/inner/secret/q.txt", "")
		as(t, s, "", 200, "GET", "/pub/p.txt", "")
		as(t, s, "", 403, "PUT", "/pub/n.txt", "x")
		as(t, s, "", 201, "PUT", "/anon.txt", "x")
		as(t, s, "", 200, "GET", "/mixed/hid/h.txt", "") // alice's rules are hers
	})
	t.Run("bob", func(t *testing.T) {
		as(t, s, "bob", 201, "PUT", "/mine/n.txt", "new")
		as(t, s, "bob", 201, "MKCOL", "/mine/sub", "")
		as(t, s, "bob", 403, "PUT", "/n.txt", "x")
		as(t, s, "bob", 200, "GET", "/f.txt", "")
		as(t, s, "bob", 404, "GET", "/hidden/h.txt", "")
		as(t, s, "bob", 201, "COPY", "/f.txt", "", "Destination", s.URL+"/mine/f.txt")
		absentFrom := authHrefs(as(t, s, "bob", 207, "PROPFIND", "/", "", "Depth", "1").Body)
		if slices.Contains(absentFrom, "/hidden/") || !slices.Contains(absentFrom, "/mine/") {
			t.Errorf("bob's PROPFIND /: %v", absentFrom)
		}
		fileIs(t, dir, "home/bob/mine/n.txt", "new")
	})
	t.Run("nextcloud", func(t *testing.T) {
		nc := "/remote.php/dav/files/alice"
		as(t, s, "alice", 404, "GET", nc+"/private/s.txt", "")
		as(t, s, "alice", 403, "PUT", nc+"/shared/z.txt", "x")
		as(t, s, "alice", 201, "PUT", nc+"/rw/z.txt", "x")
		hrefs := authHrefs(as(t, s, "alice", 207, "PROPFIND", nc+"/", "", "Depth", "1").Body)
		if slices.Contains(hrefs, nc+"/private/") || !slices.Contains(hrefs, nc+"/shared/") {
			t.Errorf("PROPFIND %s/: %v", nc, hrefs)
		}
		up := "/remote.php/dav/uploads/alice/rules-upload"
		as(t, s, "alice", 201, "MKCOL", up, "")
		as(t, s, "alice", 201, "PUT", up+"/1", "chunk")
		for _, p := range []string{"/shared/big.bin", "/private/big.bin", "/mixed/hid/big.bin"} {
			as(t, s, "alice", 403, "MOVE", up+"/.file", "", "Destination", s.URL+nc+p)
		}
		as(t, s, "alice", 201, "MOVE", up+"/.file", "", "Destination", s.URL+nc+"/rw/big.bin")
		fileIs(t, dir, "rw/big.bin", "chunk")
		// bob is read-only but for /mine: chunked uploads land there only.
		bup := "/remote.php/dav/uploads/bob/rules-upload"
		as(t, s, "bob", 201, "MKCOL", bup, "")
		as(t, s, "bob", 201, "PUT", bup+"/1", "bob chunk")
		as(t, s, "bob", 403, "MOVE", bup+"/.file", "", "Destination", s.URL+"/remote.php/dav/files/bob/big.bin")
		as(t, s, "bob", 201, "MOVE", bup+"/.file", "", "Destination", s.URL+"/remote.php/dav/files/bob/mine/big.bin")
		fileIs(t, dir, "home/bob/mine/big.bin", "bob chunk")
	})
}
