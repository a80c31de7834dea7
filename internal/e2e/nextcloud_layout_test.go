package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/internal/testbin"
)

// The users of the Nextcloud layout tests: each writes in a folder of
// their own.
const (
	ncAlicePW = "alice's secret"
	ncBobPW   = "bob's secret"
	ncLockXML = `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>nc</D:owner></D:lockinfo>`
)

// ncTree makes the served folder: alice's /alice/a.txt and bob's
// /bob/b.txt.
func ncTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{"alice/a.txt": "alice's", "bob/b.txt": "bob's"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startNextcloud serves ncTree to alice (root /alice) and bob (root /bob),
// read-write, with args added.
func startNextcloud(t *testing.T, dir string, args ...string) *server {
	t.Helper()
	cfg := usersConfig(t, []testUser{{"alice", ncAlicePW, "/alice", false}, {"bob", ncBobPW, "/bob", false}})
	return startAuthServer(t, dir, append([]string{"--config", cfg}, args...)...)
}

var ncETagRE = regexp.MustCompile(`<D:getetag>([^<]*)</D:getetag>`)

// TestNextcloudLayoutFiles: alice works under /remote.php/dav/files/alice/
// with every method, the answers naming that layout's URLs, and sees the
// same files, ETags and locks through the plain layout and ownCloud's
// /remote.php/webdav/.
func TestNextcloudLayoutFiles(t *testing.T) {
	t.Parallel()
	dir := ncTree(t)
	s := startNextcloud(t, dir)
	alice := basicCreds("alice", ncAlicePW)
	const base = "/remote.php/dav/files/alice"

	t.Run("PROPFIND-hrefs", func(t *testing.T) {
		r := s.do(t, "PROPFIND", base+"/", "", withHeaders(alice, "Depth", "1")...)
		want(t, r, http.StatusMultiStatus, "PROPFIND "+base+"/")
		if got := strings.Join(authHrefs(r.Body), " "); got != base+"/ "+base+"/a.txt" {
			t.Errorf("hrefs = %q, want alice's root and a.txt under %s", got, base)
		}
		r = s.do(t, "PROPFIND", base, "", withHeaders(alice, "Depth", "0")...)
		want(t, r, http.StatusMultiStatus, "PROPFIND "+base+" without a slash")
	})
	t.Run("PUT-GET-COPY-MOVE-DELETE", func(t *testing.T) {
		want(t, s.do(t, "PUT", base+"/n.txt", "new", alice...), http.StatusCreated, "PUT")
		if b, _ := os.ReadFile(filepath.Join(dir, "alice", "n.txt")); string(b) != "new" {
			t.Fatalf("alice/n.txt on disk = %q", b)
		}
		if r := s.do(t, "GET", base+"/n.txt", "", alice...); r.Status != http.StatusOK || string(r.Body) != "new" {
			t.Fatalf("GET: %s", r)
		}
		want(t, s.do(t, "COPY", base+"/n.txt", "", withHeaders(alice, "Destination", s.URL+base+"/c.txt")...), http.StatusCreated, "COPY")
		want(t, s.do(t, "MOVE", base+"/c.txt", "", withHeaders(alice, "Destination", base+"/m.txt")...), http.StatusCreated, "MOVE, Destination as a path")
		want(t, s.do(t, "MKCOL", base+"/d", "", alice...), http.StatusCreated, "MKCOL")
		want(t, s.do(t, "DELETE", base+"/n.txt", "", alice...), http.StatusNoContent, "DELETE")
		got := ls(t, filepath.Join(dir, "alice"))
		if got != "a.txt d m.txt" {
			t.Errorf("alice's folder = %q, want a.txt d m.txt", got)
		}
		// A Destination in the plain layout is outside this mount: refused,
		// nothing made.
		want(t, s.do(t, "COPY", base+"/m.txt", "", withHeaders(alice, "Destination", s.URL+"/x.txt")...), http.StatusBadGateway, "COPY to another layout")
	})
	t.Run("same-resource-in-every-layout", func(t *testing.T) {
		want(t, s.do(t, "PUT", base+"/e.txt", "etag", alice...), http.StatusCreated, "PUT e.txt")
		etags := map[string]string{}
		for _, p := range []string{base + "/e.txt", "/remote.php/webdav/e.txt", "/e.txt"} {
			r := s.do(t, "PROPFIND", p, "", withHeaders(alice, "Depth", "0")...)
			want(t, r, http.StatusMultiStatus, "PROPFIND "+p)
			m := ncETagRE.FindSubmatch(r.Body)
			if m == nil {
				t.Fatalf("PROPFIND %s: no getetag: %s", p, r)
			}
			etags[p] = string(m[1])
			if got := authHrefs(r.Body); len(got) != 1 || got[0] != p {
				t.Errorf("PROPFIND %s: hrefs %q", p, got)
			}
		}
		if etags["/e.txt"] != etags[base+"/e.txt"] || etags["/e.txt"] != etags["/remote.php/webdav/e.txt"] {
			t.Errorf("ETags differ between layouts: %v", etags)
		}
	})
	t.Run("RFC4918_7/lock-in-one-layout-holds-in-others", func(t *testing.T) {
		r := s.do(t, "LOCK", "/remote.php/webdav/l.txt", ncLockXML, alice...)
		want(t, r, http.StatusCreated, "LOCK via /remote.php/webdav")
		token := r.Header.Get("Lock-Token")
		if !strings.Contains(string(r.Body), "<D:href>/remote.php/webdav/l.txt</D:href>") {
			t.Errorf("lockroot is not the URL locked: %s", r.Body)
		}
		want(t, s.do(t, "PUT", "/l.txt", "x", alice...), http.StatusLocked, "PUT via / without the token")
		want(t, s.do(t, "PUT", base+"/l.txt", "x", alice...), http.StatusLocked, "PUT via files/alice without the token")
		want(t, s.do(t, "PUT", "/l.txt", "x", withHeaders(alice, "If", "("+token+")")...), http.StatusNoContent, "PUT via / with the token")
		want(t, s.do(t, "PUT", base+"/l.txt", "y", withHeaders(alice, "If", "<"+s.URL+base+"/l.txt> ("+token+")")...), http.StatusNoContent, "PUT via files/alice, If tagged with its URL there")
		r = s.do(t, "PROPFIND", base+"/l.txt", "", withHeaders(alice, "Depth", "0")...)
		if !strings.Contains(string(r.Body), "<D:lockroot><D:href>"+base+"/l.txt</D:href>") {
			t.Errorf("lock discovery via files/alice: %s", r)
		}
		want(t, s.do(t, "UNLOCK", base+"/l.txt", "", withHeaders(alice, "Lock-Token", token)...), http.StatusNoContent, "UNLOCK via files/alice")
		want(t, s.do(t, "PUT", "/l.txt", "z", alice...), http.StatusNoContent, "PUT after UNLOCK")
	})
}

// ls lists a folder's names, sorted, space-separated.
func ls(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

// TestNextcloudLayoutOtherUser: bob naming alice in the URL gets 403 for
// every method, and nothing of alice's is read, listed or changed; a
// client without credentials is asked for them; bob's own URLs serve his
// folder.
func TestNextcloudLayoutOtherUser(t *testing.T) {
	t.Parallel()
	dir := ncTree(t)
	s := startNextcloud(t, dir)
	bob := basicCreds("bob", ncBobPW)
	for _, m := range []struct{ method, path, body string }{
		{"GET", "/remote.php/dav/files/alice/a.txt", ""},
		{"PROPFIND", "/remote.php/dav/files/alice/", ""},
		{"PUT", "/remote.php/dav/files/alice/a.txt", "bob was here"},
		{"PUT", "/remote.php/dav/files/alice/new.txt", "bob was here"},
		{"DELETE", "/remote.php/dav/files/alice/a.txt", ""},
		{"MOVE", "/remote.php/dav/files/alice/a.txt", ""},
		{"LOCK", "/remote.php/dav/files/alice/a.txt", ncLockXML},
		{"MKCOL", "/remote.php/dav/uploads/alice/u1", ""},
		{"PROPFIND", "/remote.php/dav/files/Alice/", ""},
		{"PROPFIND", "/remote.php/dav/files/alice%2F/", ""},
		{"GET", "/remote.php/dav/files/bob/../alice/a.txt", ""},
	} {
		t.Run(m.method+m.path, func(t *testing.T) {
			var r reply
			if strings.Contains(m.path, "..") { // net/http would clean it
				r = s.rawRequest(t, m.method+" "+m.path+" HTTP/1.1\r\nHost: "+s.Addr+"\r\n"+bob[0]+": "+bob[1]+"\r\nConnection: close\r\n\r\n")
			} else {
				r = s.do(t, m.method, m.path, m.body, withHeaders(bob, "Destination", s.URL+"/remote.php/dav/files/bob/stolen.txt")...)
			}
			want(t, r, http.StatusForbidden, "bob "+m.method+" "+m.path)
			if strings.Contains(string(r.Body), "alice's") || !strings.Contains(string(r.Body), "/remote.php/dav/files/bob/") {
				t.Errorf("the 403 should point bob to his own URL and show nothing of alice's: %s", r.Body)
			}
		})
	}
	t.Run("bob-cannot-COPY-into-alice", func(t *testing.T) {
		r := s.do(t, "COPY", "/remote.php/dav/files/bob/b.txt", "", withHeaders(bob, "Destination", s.URL+"/remote.php/dav/files/alice/b.txt")...)
		if r.Status < 400 {
			t.Errorf("COPY into alice's URL: %s", r)
		}
	})
	t.Run("bob-sees-only-himself", func(t *testing.T) {
		r := s.do(t, "PROPFIND", "/remote.php/dav/files/", "", withHeaders(bob, "Depth", "1")...)
		want(t, r, http.StatusMultiStatus, "PROPFIND /remote.php/dav/files/")
		if got := strings.Join(authHrefs(r.Body), " "); got != "/remote.php/dav/files/ /remote.php/dav/files/bob/" {
			t.Errorf("hrefs = %q, want the files root and bob's folder only", got)
		}
		r = s.do(t, "PROPFIND", "/remote.php/dav/", "", withHeaders(bob, "Depth", "1")...)
		want(t, r, http.StatusMultiStatus, "PROPFIND /remote.php/dav/")
		if strings.Contains(string(r.Body), "alice") {
			t.Errorf("the DAV root names alice: %s", r.Body)
		}
		want(t, s.do(t, "PROPFIND", "/remote.php/dav/files/", "", withHeaders(bob, "Depth", "infinity")...), http.StatusForbidden, "Depth: infinity")
		want(t, s.do(t, "PUT", "/remote.php/dav/files/", "x", bob...), http.StatusMethodNotAllowed, "PUT on the files root")
	})
	t.Run("bob-own-urls", func(t *testing.T) {
		for _, p := range []string{"/remote.php/dav/files/bob/b.txt", "/remote.php/webdav/b.txt"} {
			if r := s.do(t, "GET", p, "", bob...); r.Status != http.StatusOK || string(r.Body) != "bob's" {
				t.Errorf("bob GET %s: %s", p, r)
			}
		}
		if r := s.do(t, "GET", "/remote.php/webdav/a.txt", "", basicCreds("alice", ncAlicePW)...); r.Status != http.StatusOK || string(r.Body) != "alice's" {
			t.Errorf("alice GET /remote.php/webdav/a.txt: %s", r)
		}
	})
	t.Run("RFC7617_2/no-credentials-401", func(t *testing.T) {
		for _, p := range []string{"/remote.php/dav/files/alice/", "/remote.php/dav/files/nobody/", "/remote.php/webdav/", "/remote.php/dav/"} {
			wantChallenge(t, s.do(t, "PROPFIND", p, ""), "PROPFIND "+p+" without credentials")
		}
		wantChallenge(t, s.do(t, "PUT", "/remote.php/dav/files/alice/anon.txt", "x"), "PUT without credentials")
		wantChallenge(t, s.do(t, "GET", "/ocs/v1.php/cloud/user", ""), "OCS user without credentials")
	})
	if got := ls(t, filepath.Join(dir, "alice")); got != "a.txt" {
		t.Errorf("alice's folder = %q after bob's attempts", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "alice", "a.txt")); string(b) != "alice's" {
		t.Errorf("alice/a.txt = %q after bob's attempts", b)
	}
	if got := ls(t, filepath.Join(dir, "bob")); got != "b.txt" {
		t.Errorf("bob's folder = %q: something of alice's reached it", got)
	}
	if !strings.Contains(s.proc.Log(), "named another user's folder") {
		t.Errorf("the attempts are not logged:\n%s", s.Output())
	}
}

// TestNextcloudLayoutLimiter: failed logins on the layout's URLs count
// as on the plain ones.
func TestNextcloudLayoutLimiter(t *testing.T) {
	t.Parallel()
	s := startNextcloud(t, ncTree(t))
	for i := range 5 {
		wantChallenge(t, s.do(t, "PROPFIND", "/remote.php/dav/files/alice/", "", basicCreds("alice", "guess"+string(rune('a'+i)))...), "failed login")
	}
	want(t, s.do(t, "PROPFIND", "/remote.php/dav/files/alice/", "", basicCreds("alice", ncAlicePW)...), http.StatusTooManyRequests, "after five failures")
	want(t, s.do(t, "GET", "/ocs/v1.php/cloud/user", "", basicCreds("alice", ncAlicePW)...), http.StatusTooManyRequests, "OCS user after five failures")
}

// TestNextcloudStatusAndOCS: status.php and the OCS endpoints Nextcloud's
// clients probe, with no authentication where Nextcloud asks for none.
func TestNextcloudStatusAndOCS(t *testing.T) {
	t.Parallel()
	s := startNextcloud(t, ncTree(t))
	alice := basicCreds("alice", ncAlicePW)

	r := s.do(t, "GET", "/status.php", "")
	want(t, r, http.StatusOK, "status.php")
	var st map[string]any
	if err := json.Unmarshal(r.Body, &st); err != nil {
		t.Fatalf("status.php is not JSON: %v: %s", err, r.Body)
	}
	if st["installed"] != true || st["maintenance"] != false || st["needsDbUpgrade"] != false ||
		st["productname"] != "atomdav" || !strings.HasPrefix(st["version"].(string), "28.") || len(st) != 8 {
		t.Errorf("status.php = %s", r.Body)
	}

	r = s.do(t, "GET", "/ocs/v1.php/cloud/capabilities?format=json", "")
	want(t, r, http.StatusOK, "v1 capabilities")
	var caps struct {
		OCS struct {
			Meta struct{ StatusCode int }
			Data struct {
				Version      struct{ Major int }
				Capabilities map[string]json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(r.Body, &caps); err != nil {
		t.Fatalf("capabilities: %v: %s", err, r.Body)
	}
	c := caps.OCS
	if c.Meta.StatusCode != 100 || c.Data.Version.Major != 28 || c.Data.Capabilities["core"] == nil ||
		!strings.Contains(string(c.Data.Capabilities["checksums"]), `"SHA1"`) {
		t.Errorf("v1 capabilities: %s", r.Body)
	}
	// /remote.php/dav/uploads/ serves chunked uploads: the Nextcloud
	// desktop client uses them only when dav.chunking is "1.0" or more.
	if d := string(c.Data.Capabilities["dav"]); !strings.Contains(d, `"chunking":"1.0"`) {
		t.Errorf("chunking v2 not advertised: %s", r.Body)
	}
	r = s.do(t, "GET", "/ocs/v2.php/cloud/capabilities", "")
	want(t, r, http.StatusOK, "v2 capabilities, XML")
	if b := string(r.Body); !strings.HasPrefix(r.Header.Get("Content-Type"), "application/xml") ||
		!strings.Contains(b, "<statuscode>200</statuscode>") || !strings.Contains(b, "<webdav-root>remote.php/webdav</webdav-root>") {
		t.Errorf("v2 capabilities: %s", r)
	}

	r = s.do(t, "GET", "/ocs/v2.php/cloud/user", "", withHeaders(alice, "Accept", "application/json")...)
	want(t, r, http.StatusOK, "v2 user")
	if !strings.Contains(string(r.Body), `"id":"alice"`) || !strings.Contains(string(r.Body), `"statuscode":200`) {
		t.Errorf("v2 user: %s", r.Body)
	}
	r = s.do(t, "GET", "/ocs/v2.php/apps/files_sharing/api/v1/shares?format=json", "", alice...)
	want(t, r, http.StatusNotFound, "an OCS endpoint atomdav lacks")
	if !strings.Contains(string(r.Body), `"status":"failure"`) {
		t.Errorf("the 404 is not in OCS form: %s", r.Body)
	}
}

// TestNextcloudLayoutOff: with nextcloud-urls off, its names are ordinary
// paths of the share; with it on, the layout wins over a real folder named
// remote.php.
func TestNextcloudLayoutOff(t *testing.T) {
	t.Parallel()
	tree := func() string {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "remote.php", "webdav"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "remote.php", "webdav", "f.txt"), []byte("real folder"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte("root"), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	off := startServer(t, tree(), "--nextcloud-urls=false")
	want(t, off.do(t, "GET", "/status.php", ""), http.StatusNotFound, "status.php with the layout off")
	want(t, off.do(t, "GET", "/ocs/v1.php/cloud/capabilities", ""), http.StatusNotFound, "capabilities with the layout off")
	if r := off.do(t, "GET", "/remote.php/webdav/f.txt", ""); string(r.Body) != "real folder" {
		t.Errorf("off: GET /remote.php/webdav/f.txt: %s", r)
	}
	on := startServer(t, tree())
	if r := on.do(t, "GET", "/remote.php/webdav/f.txt", ""); string(r.Body) != "root" {
		t.Errorf("on: GET /remote.php/webdav/f.txt = %s, want the share's /f.txt", r)
	}
	r := on.rawRequest(t, "GET /x/../remote.php/webdav/f.txt HTTP/1.1\r\nHost: "+on.Addr+"\r\nConnection: close\r\n\r\n")
	if string(r.Body) != "root" {
		t.Errorf("on: dot segments lead around the layout to the folder it hides: %s", r)
	}
	want(t, on.do(t, "GET", "/status.php", ""), http.StatusOK, "status.php with the layout on")
}

// TestNextcloudLayoutAnonymous: a server without users serves its
// anonymous view under any user name, below the prefix; with users, an
// anonymous request naming any user is asked to log in, so no name is
// confirmed, and /remote.php/webdav/ is the anonymous view.
func TestNextcloudLayoutAnonymous(t *testing.T) {
	t.Parallel()
	dir := ncTree(t)
	s := startServer(t, dir, "--prefix", "/dav")
	r := s.do(t, "PROPFIND", "/dav/remote.php/dav/files/anyone/alice/", "", "Depth", "1")
	want(t, r, http.StatusMultiStatus, "anonymous PROPFIND under a prefix")
	if got := strings.Join(authHrefs(r.Body), " "); got != "/dav/remote.php/dav/files/anyone/alice/ /dav/remote.php/dav/files/anyone/alice/a.txt" {
		t.Errorf("hrefs = %q", got)
	}
	want(t, s.do(t, "GET", "/remote.php/webdav/alice/a.txt", ""), http.StatusNotFound, "the layout outside the prefix")
	want(t, s.do(t, "GET", "/dav/status.php", ""), http.StatusOK, "status.php below the prefix")
	if r := s.do(t, "GET", "/dav/remote.php/webdav/bob/b.txt", ""); string(r.Body) != "bob's" {
		t.Errorf("anonymous GET via webdav under a prefix: %s", r)
	}

	cfg := usersConfig(t, []testUser{{"alice", ncAlicePW, "/alice", false}})
	mixed := startAuthServer(t, ncTree(t), "--config", cfg, "--anonymous", "--anonymous-read-only")
	for _, p := range []string{"/remote.php/dav/files/alice/", "/remote.php/dav/files/nobody/"} {
		wantChallenge(t, mixed.do(t, "PROPFIND", p, "", "Depth", "0"), "anonymous PROPFIND "+p)
	}
	if r := mixed.do(t, "GET", "/remote.php/webdav/bob/b.txt", ""); string(r.Body) != "bob's" {
		t.Errorf("anonymous GET via webdav: %s", r)
	}
	want(t, mixed.do(t, "GET", "/ocs/v1.php/cloud/user", ""), http.StatusUnauthorized, "anonymous OCS user")
	want(t, mixed.do(t, "GET", "/remote.php/dav/files/alice/a.txt", "", basicCreds("alice", ncAlicePW)...), http.StatusOK, "alice logs in")
}

// TestNextcloudLayoutProxy: a user a trusted proxy names is held to their
// own URLs as one logged in with Basic is.
func TestNextcloudLayoutProxy(t *testing.T) {
	t.Parallel()
	dir := ncTree(t)
	cfg := usersConfig(t, []testUser{{"alice", ncAlicePW, "/alice", false}, {"bob", ncBobPW, "/bob", false}},
		"auth-header: X-Forwarded-User", "trusted-proxies: [127.0.0.1]")
	s := startAuthServer(t, dir, "--config", cfg)
	want(t, s.do(t, "GET", "/remote.php/dav/files/alice/a.txt", "", "X-Forwarded-User", "bob"), http.StatusForbidden, "bob via the proxy naming alice")
	want(t, s.do(t, "PUT", "/remote.php/dav/files/alice/a.txt", "x", "X-Forwarded-User", "bob"), http.StatusForbidden, "bob via the proxy writing alice's")
	if r := s.do(t, "GET", "/remote.php/dav/files/bob/b.txt", "", "X-Forwarded-User", "bob"); string(r.Body) != "bob's" {
		t.Errorf("bob via the proxy: %s", r)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "alice", "a.txt")); string(b) != "alice's" {
		t.Errorf("alice/a.txt = %q", b)
	}
}

// TestNextcloudLayoutLitmus: every litmus suite passes through both URLs
// of the layout (anonymous-only, so litmus needs no credentials).
func TestNextcloudLayoutLitmus(t *testing.T) {
	t.Parallel()
	litmus := testbin.NeedTool(t, "litmus", "litmus")
	s := startServer(t, t.TempDir())
	for _, p := range []string{"/remote.php/dav/files/litmus/", "/remote.php/webdav/"} {
		t.Run(p, func(t *testing.T) { runLitmus(t, litmus, s.URL+p) })
	}
}
