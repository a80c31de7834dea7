package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Write locks, end to end (RFC 4918 §6, §7, §9.10, §9.11, §10.4, §10.5,
// §10.7, §15.8): what a client sees when it LOCKs, writes with and without
// its token, refreshes, UNLOCKs, and when the server restarts.

// maxLockSeconds is the default --max-lock-timeout (24h).
const maxLockSeconds = 24 * 60 * 60

// ownerXML is the DAV:owner every LOCK of these tests sends.
const ownerXML = `<D:owner><D:href>mailto:a@example.com</D:href></D:owner>`

// lockinfo is a LOCK body asking for a write lock of scope ("exclusive" or
// "shared") with owner (a DAV:owner element).
func lockinfo(scope, owner string) string {
	return `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:` + scope + `/></D:lockscope>` +
		`<D:locktype><D:write/></D:locktype>` + owner + `</D:lockinfo>`
}

// lockHeaders puts the LOCK body's Content-Type before hdr.
func lockHeaders(hdr []string) []string {
	return append([]string{"Content-Type", "application/xml; charset=utf-8"}, hdr...)
}

// lock sends a LOCK for a write lock of scope on path.
func (s *server) lock(t testing.TB, path, scope string, hdr ...string) reply {
	t.Helper()
	return s.do(t, "LOCK", path, lockinfo(scope, ownerXML), lockHeaders(hdr)...)
}

// mustLock locks path (200 or 201) and returns the lock token, without
// its angle brackets.
func (s *server) mustLock(t testing.TB, path, scope string, hdr ...string) string {
	t.Helper()
	r := s.lock(t, path, scope, hdr...)
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		t.Fatalf("LOCK %s (%s): %s", path, scope, r)
	}
	tok := lockToken(r)
	if tok == "" {
		t.Fatalf("LOCK %s: %d without a Lock-Token header", path, r.Status)
	}
	return tok
}

// lockToken is the Lock-Token header of r without its angle brackets.
func lockToken(r reply) string {
	v := strings.TrimSpace(r.Header.Get("Lock-Token"))
	return strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
}

// ifToken is an untagged If header submitting tok (RFC 4918 §10.4.2).
func ifToken(tok string) string { return "(<" + tok + ">)" }

// ifTagged is an If header submitting tok for the resource at path.
func (s *server) ifTagged(path, tok string) string {
	return "<" + s.URL + path + "> (<" + tok + ">)"
}

// ok2xx fails the test unless r succeeded.
func ok2xx(t testing.TB, r reply, what string) {
	t.Helper()
	if r.Status < 200 || r.Status > 299 {
		t.Fatalf("%s: %s, want 2xx", what, r)
	}
}

// wantConflict fails the test unless a LOCK was refused for a conflicting
// lock: 423, or a 207 naming 423 for the conflicting member (RFC 4918
// §9.10.9 shows a depth-infinity LOCK refused that way).
func wantConflict(t testing.TB, r reply, what string) {
	t.Helper()
	if r.Status == http.StatusLocked {
		return
	}
	if r.Status == http.StatusMultiStatus && strings.Contains(string(r.Body), " 423 ") {
		return
	}
	t.Fatalf("%s: %s, want 423 (or a 207 with a 423)", what, r)
}

// activeLock is one DAV:activelock (RFC 4918 §14.1).
type activeLock struct {
	Type    string // local name in DAV: of the locktype's child
	Scope   string // "exclusive" or "shared"
	Depth   string
	Owner   *node // the DAV:owner element, nil when absent
	Timeout string
	Token   string // locktoken/href
	Root    string // lockroot/href
}

// activeLocks reads the activelocks of a DAV:lockdiscovery element.
func activeLocks(ld *node) []activeLock {
	var out []activeLock
	for _, al := range ld.children(davName("activelock")) {
		out = append(out, activeLock{
			Type:    firstChild(al.child(davName("locktype"))),
			Scope:   firstChild(al.child(davName("lockscope"))),
			Depth:   trimmedText(al.child(davName("depth"))),
			Owner:   al.child(davName("owner")),
			Timeout: trimmedText(al.child(davName("timeout"))),
			Token:   hrefIn(al.child(davName("locktoken"))),
			Root:    hrefIn(al.child(davName("lockroot"))),
		})
	}
	return out
}

// firstChild is the local name of n's first element child in DAV:.
func firstChild(n *node) string {
	if n == nil {
		return ""
	}
	for _, k := range n.elems() {
		if k.Name.Space == nsDAV {
			return k.Name.Local
		}
	}
	return ""
}

func trimmedText(n *node) string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(n.text())
}

func hrefIn(n *node) string {
	if n == nil {
		return ""
	}
	return trimmedText(n.child(davName("href")))
}

// lockReply checks r is the body of a successful LOCK (RFC 4918 §9.10.1:
// a DAV:prop with DAV:lockdiscovery) and returns the activelock of tok.
func lockReply(t testing.TB, r reply, tok string) activeLock {
	t.Helper()
	root, err := parseXML(r.Body)
	if err != nil {
		t.Fatalf("LOCK body is not well-formed XML: %v\nbody: %s", err, r.Body)
	}
	var ld *node
	if root.Name == davName("prop") {
		ld = root.child(davName("lockdiscovery"))
	}
	if ld == nil {
		t.Fatalf("LOCK body is not a DAV:prop with DAV:lockdiscovery:\n%s", r.Body)
	}
	for _, al := range activeLocks(ld) {
		if al.Token == tok {
			return al
		}
	}
	t.Fatalf("LOCK body has no activelock with token %q:\n%s", tok, r.Body)
	return activeLock{}
}

// discovery returns the activelocks PROPFIND reports on path (Depth 0),
// failing unless DAV:lockdiscovery has status 200.
func (s *server) discovery(t testing.TB, path string) []activeLock {
	t.Helper()
	p := s.props(t, path, davName("lockdiscovery"))[davName("lockdiscovery")]
	if p.Status != http.StatusOK || p.Node == nil {
		t.Fatalf("RFC4918_15.8 PROPFIND %s: DAV:lockdiscovery status %d, want 200", path, p.Status)
	}
	return activeLocks(p.Node)
}

// timeoutSeconds reads a granted timeout, which must be Second-N with
// 1 ≤ N ≤ max (RFC 4918 §10.7).
func timeoutSeconds(v string, max int) (int, error) {
	n, ok := strings.CutPrefix(strings.TrimSpace(v), "Second-")
	if !ok {
		return 0, fmt.Errorf("timeout %q, want Second-N", v)
	}
	sec, err := strconv.Atoi(n)
	if err != nil || sec < 1 || sec > max {
		return 0, fmt.Errorf("timeout %q, want Second-N with 1 ≤ N ≤ %d", v, max)
	}
	return sec, nil
}

// checkGranted checks the timeout of a LOCK reply: in the activelock and,
// when the server sends one, in a Timeout response header.
func checkGranted(t testing.TB, r reply, al activeLock, max int) {
	t.Helper()
	if _, err := timeoutSeconds(al.Timeout, max); err != nil {
		t.Errorf("activelock: %v", err)
	}
	if h := r.Header.Get("Timeout"); h != "" {
		if _, err := timeoutSeconds(h, max); err != nil {
			t.Errorf("Timeout response header: %v", err)
		}
	}
}

// urlPath is the path of an href, which may be an absolute URL.
func urlPath(href string) string {
	u, err := url.Parse(href)
	if err != nil {
		return href
	}
	return u.Path
}

var uuidToken = regexp.MustCompile(`^<urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}>$`)

// TestLock covers creating a lock and the LOCK response.
func TestLock(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/a.txt", "content")
	s.mkcol(t, "/col")

	t.Run("RFC4918_9.10.1/existing-resource-200-with-activelock", func(t *testing.T) {
		r := s.lock(t, "/a.txt", "exclusive")
		want(t, r, http.StatusOK, "LOCK /a.txt")
		h := r.Header.Get("Lock-Token")
		if !uuidToken.MatchString(h) {
			t.Errorf("RFC4918_10.5 Lock-Token %q, want <urn:uuid:…>", h)
		}
		tok := lockToken(r)
		al := lockReply(t, r, tok)
		if al.Type != "write" || al.Scope != "exclusive" {
			t.Errorf("locktype %q lockscope %q, want write exclusive", al.Type, al.Scope)
		}
		if al.Depth != "infinity" {
			t.Errorf("RFC4918_10.2 depth %q, want infinity (the default)", al.Depth)
		}
		if al.Owner == nil || hrefIn(al.Owner) != "mailto:a@example.com" {
			t.Errorf("RFC4918_14.17 owner not kept:\n%s", r.Body)
		}
		if _, err := timeoutSeconds(al.Timeout, maxLockSeconds); err != nil {
			t.Errorf("RFC4918_10.7 %v", err)
		}
		if p := urlPath(al.Root); p != "/a.txt" {
			t.Errorf("RFC4918_14.12 lockroot %q, want /a.txt", al.Root)
		}
	})
	t.Run("RFC4918_14.17/owner-XML-kept-with-its-namespaces", func(t *testing.T) {
		s.put(t, "/owner.txt", "content")
		owner := `<D:owner><Z:who xmlns:Z="` + nsZ + `" Z:role="dev">Ann <Z:em>B</Z:em></Z:who></D:owner>`
		r := s.do(t, "LOCK", "/owner.txt", lockinfo("exclusive", owner), lockHeaders(nil)...)
		want(t, r, http.StatusOK, "LOCK /owner.txt")
		al := lockReply(t, r, lockToken(r))
		sent, err := parseXML([]byte(`<D:x xmlns:D="DAV:">` + owner + `</D:x>`))
		if err != nil {
			t.Fatal(err)
		}
		wantOwner := sent.child(davName("owner"))
		if al.Owner == nil || canon(al.Owner) != canon(wantOwner) {
			t.Errorf("owner\n got %s\nwant %s\nbody: %s", canonOrNil(al.Owner), canon(wantOwner), r.Body)
		}
	})
	t.Run("RFC4918_9.10.4/unmapped-URL-201-creates-empty-file", func(t *testing.T) {
		r := s.lock(t, "/new.txt", "exclusive")
		want(t, r, http.StatusCreated, "LOCK /new.txt")
		lockReply(t, r, lockToken(r))
		g := s.do(t, "GET", "/new.txt", "")
		if g.Status != http.StatusOK || len(g.Body) != 0 {
			t.Errorf("GET of the locked empty resource: %d %q, want 200 and no content", g.Status, g.Body)
		}
		want(t, s.do(t, "PUT", "/new.txt", "x"), http.StatusLocked, "PUT of the new locked resource without its token")
	})
	t.Run("RFC4918_9.10.4/missing-parent-409", func(t *testing.T) {
		want(t, s.lock(t, "/nope/x.txt", "exclusive"), http.StatusConflict, "LOCK /nope/x.txt")
	})
	t.Run("RFC4918_10.2/Depth-0", func(t *testing.T) {
		s.mkcol(t, "/d0")
		r := s.lock(t, "/d0/", "exclusive", "Depth", "0")
		want(t, r, http.StatusOK, "LOCK Depth 0")
		if al := lockReply(t, r, lockToken(r)); al.Depth != "0" {
			t.Errorf("depth %q, want 0", al.Depth)
		}
	})
	t.Run("RFC4918_9.10.3/Depth-1-400", func(t *testing.T) {
		want(t, s.lock(t, "/col/", "exclusive", "Depth", "1"), http.StatusBadRequest, "LOCK Depth 1")
	})
	for _, c := range []struct{ name, timeout string }{
		{"Infinite-capped", "Infinite"},
		{"list-Infinite-first", "Infinite, Second-4100000000"},
		{"Second-N-beyond-the-max-capped", "Second-4100000000"},
		{"no-Timeout", ""},
	} {
		t.Run("RFC4918_10.7/Timeout-"+c.name, func(t *testing.T) {
			p := "/t-" + c.name + ".txt"
			s.put(t, p, "content")
			var hdr []string
			if c.timeout != "" {
				hdr = []string{"Timeout", c.timeout}
			}
			r := s.lock(t, p, "exclusive", hdr...)
			want(t, r, http.StatusOK, "LOCK "+p)
			checkGranted(t, r, lockReply(t, r, lockToken(r)), maxLockSeconds)
		})
	}
	t.Run("RFC4918_10.7/Timeout-Second-N-not-exceeded", func(t *testing.T) {
		s.put(t, "/t-100.txt", "content")
		r := s.lock(t, "/t-100.txt", "exclusive", "Timeout", "Second-100, Infinite")
		want(t, r, http.StatusOK, "LOCK")
		checkGranted(t, r, lockReply(t, r, lockToken(r)), 100)
	})
}

// TestLockMaxTimeout checks --max-lock-timeout caps every granted timeout.
func TestLockMaxTimeout(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), "--max-lock-timeout", "90s")
	for i, timeout := range []string{"Infinite", "Second-3600", "Second-4100000000"} {
		t.Run("RFC4918_10.7/"+timeout, func(t *testing.T) {
			p := fmt.Sprintf("/f%d.txt", i)
			s.put(t, p, "content")
			r := s.lock(t, p, "exclusive", "Timeout", timeout)
			want(t, r, http.StatusOK, "LOCK "+p)
			checkGranted(t, r, lockReply(t, r, lockToken(r)), 90)
		})
	}
}

// TestLockPrefix checks lockroot and tagged If headers under --prefix.
func TestLockPrefix(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), "--prefix", "/dav")
	s.put(t, "/dav/p.txt", "content")
	r := s.lock(t, "/dav/p.txt", "exclusive")
	want(t, r, http.StatusOK, "LOCK /dav/p.txt")
	tok := lockToken(r)
	if al := lockReply(t, r, tok); urlPath(al.Root) != "/dav/p.txt" {
		t.Errorf("RFC4918_14.12 lockroot %q, want /dav/p.txt", al.Root)
	}
	if ls := s.discovery(t, "/dav/p.txt"); len(ls) != 1 || urlPath(ls[0].Root) != "/dav/p.txt" {
		t.Errorf("RFC4918_15.8 lockdiscovery of /dav/p.txt: %+v, want one lock rooted at /dav/p.txt", ls)
	}
	want(t, s.do(t, "PUT", "/dav/p.txt", "x"), http.StatusLocked, "PUT without the token")
	ok2xx(t, s.do(t, "PUT", "/dav/p.txt", "x", "If", s.ifTagged("/dav/p.txt", tok)), "RFC4918_10.4 PUT with a tagged If")
	want(t, s.do(t, "UNLOCK", "/dav/p.txt", "", "Lock-Token", "<"+tok+">"), http.StatusNoContent, "UNLOCK")
}

// TestLockShared covers shared and exclusive locks and how they conflict,
// also through depth (RFC 4918 §6.1, §6.2, §9.10).
func TestLockShared(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())

	t.Run("RFC4918_6.2/two-shared-then-exclusive-423", func(t *testing.T) {
		t.Parallel()
		s.put(t, "/sh.txt", "content")
		r1 := s.lock(t, "/sh.txt", "shared")
		want(t, r1, http.StatusOK, "first shared LOCK")
		r2 := s.lock(t, "/sh.txt", "shared")
		want(t, r2, http.StatusOK, "second shared LOCK")
		t1, t2 := lockToken(r1), lockToken(r2)
		if t1 == t2 {
			t.Errorf("RFC4918_6.5 both shared locks have token %q", t1)
		}
		if al := lockReply(t, r2, t2); al.Scope != "shared" {
			t.Errorf("lockscope %q, want shared", al.Scope)
		}
		want(t, s.lock(t, "/sh.txt", "exclusive"), http.StatusLocked, "exclusive LOCK over shared locks")
		want(t, s.do(t, "PUT", "/sh.txt", "x"), http.StatusLocked, "PUT without a token")
		ok2xx(t, s.do(t, "PUT", "/sh.txt", "x", "If", ifToken(t2)), "RFC4918_7 PUT with one of the shared tokens")
	})
	t.Run("RFC4918_6.2/exclusive-then-shared-423", func(t *testing.T) {
		t.Parallel()
		s.put(t, "/ex.txt", "content")
		s.mustLock(t, "/ex.txt", "exclusive")
		want(t, s.lock(t, "/ex.txt", "shared"), http.StatusLocked, "shared LOCK over an exclusive lock")
		want(t, s.lock(t, "/ex.txt", "exclusive"), http.StatusLocked, "exclusive LOCK over an exclusive lock")
	})
	t.Run("RFC4918_9.10.3/depth-infinity-collection-then-member-423", func(t *testing.T) {
		t.Parallel()
		s.mkcol(t, "/c1")
		s.put(t, "/c1/m.txt", "content")
		s.mustLock(t, "/c1/", "exclusive")
		want(t, s.lock(t, "/c1/m.txt", "exclusive"), http.StatusLocked, "LOCK of a member of a depth-infinity-locked collection")
		want(t, s.lock(t, "/c1/m.txt", "shared"), http.StatusLocked, "shared LOCK of a member of an exclusively locked collection")
	})
	t.Run("RFC4918_9.10.3/member-then-depth-infinity-collection-423", func(t *testing.T) {
		t.Parallel()
		s.mkcol(t, "/c2")
		s.mkcol(t, "/c2/sub")
		s.put(t, "/c2/sub/m.txt", "content")
		s.mustLock(t, "/c2/sub/m.txt", "exclusive")
		wantConflict(t, s.lock(t, "/c2/", "exclusive"), "depth-infinity LOCK of a collection with a locked member")
		// The refused LOCK left no lock behind: the collection takes new members.
		ok2xx(t, s.do(t, "PUT", "/c2/other.txt", "x"), "PUT into the collection after the refused LOCK")
	})
	t.Run("RFC4918_9.10.3/depth-0-collection-and-member-no-conflict", func(t *testing.T) {
		t.Parallel()
		s.mkcol(t, "/c3")
		s.put(t, "/c3/m.txt", "content")
		s.put(t, "/c3/n.txt", "content")
		s.mkcol(t, "/c4")
		s.put(t, "/c4/m.txt", "content")
		s.mustLock(t, "/c3/", "exclusive", "Depth", "0")
		want(t, s.lock(t, "/c3/m.txt", "exclusive"), http.StatusOK, "LOCK of a member of a depth-0-locked collection")
		ok2xx(t, s.do(t, "PUT", "/c3/n.txt", "x"), "PUT of an existing member of a depth-0-locked collection")
		s.mustLock(t, "/c4/m.txt", "exclusive")
		want(t, s.lock(t, "/c4/", "exclusive", "Depth", "0"), http.StatusOK, "depth-0 LOCK of a collection with a locked member")
	})
}

// TestLockedWrites checks that every write a lock protects is refused with
// 423 without its token and goes through with it, untagged or tagged
// (RFC 4918 §7, §7.4, §10.4).
func TestLockedWrites(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	cases := []struct {
		name   string
		files  []string // created first, relative to the case's folder; "x/" is a collection
		locked string   // the resource LOCKed
		depth  string   // of the lock
		method string
		path   string // the request URL, relative
		dest   string // the Destination, relative; "" for none
		body   string
		ok     int  // status with the token
		gone   bool // after a 423, path must still not exist
		// untagged says an untagged list applies: the request URL is
		// covered by the lock. Otherwise only a tagged list names it.
		untagged bool
	}{
		{name: "RFC4918_9.7/PUT-of-locked-file", files: []string{"f.txt"}, locked: "f.txt", depth: "0",
			method: "PUT", path: "f.txt", body: "new", ok: http.StatusNoContent, untagged: true},
		{name: "RFC4918_9.2/PROPPATCH-of-locked-file", files: []string{"f.txt"}, locked: "f.txt", depth: "0",
			method: "PROPPATCH", path: "f.txt", body: update(`<Z:a>1</Z:a>`), ok: http.StatusMultiStatus, untagged: true},
		{name: "RFC4918_9.6/DELETE-of-locked-file", files: []string{"f.txt"}, locked: "f.txt", depth: "0",
			method: "DELETE", path: "f.txt", ok: http.StatusNoContent, untagged: true},
		{name: "RFC4918_9.6.1/DELETE-of-collection-with-locked-member", files: []string{"d/", "d/m.txt"}, locked: "d/m.txt", depth: "0",
			method: "DELETE", path: "d/", ok: http.StatusNoContent},
		{name: "RFC4918_9.9/MOVE-of-locked-file", files: []string{"f.txt"}, locked: "f.txt", depth: "0",
			method: "MOVE", path: "f.txt", dest: "g.txt", ok: http.StatusCreated, untagged: true},
		{name: "RFC4918_9.9/MOVE-onto-locked-file", files: []string{"f.txt", "g.txt"}, locked: "g.txt", depth: "0",
			method: "MOVE", path: "f.txt", dest: "g.txt", ok: http.StatusNoContent},
		{name: "RFC4918_9.8/COPY-onto-locked-file", files: []string{"f.txt", "g.txt"}, locked: "g.txt", depth: "0",
			method: "COPY", path: "f.txt", dest: "g.txt", ok: http.StatusNoContent},
		{name: "RFC4918_9.3/MKCOL-in-depth-infinity-locked-collection", files: []string{"c/"}, locked: "c/", depth: "infinity",
			method: "MKCOL", path: "c/new", ok: http.StatusCreated, gone: true, untagged: true},
		{name: "RFC4918_9.7/PUT-new-member-of-depth-infinity-locked-collection", files: []string{"c/"}, locked: "c/", depth: "infinity",
			method: "PUT", path: "c/new.txt", body: "new", ok: http.StatusCreated, gone: true, untagged: true},
		{name: "RFC4918_7.4/PUT-new-member-of-depth-0-locked-collection", files: []string{"c/"}, locked: "c/", depth: "0",
			method: "PUT", path: "c/new.txt", body: "new", ok: http.StatusCreated, gone: true},
	}
	for i, c := range cases {
		for _, variant := range []string{"no-token-423", "untagged-If", "tagged-If"} {
			if variant == "untagged-If" && !c.untagged {
				continue
			}
			t.Run(c.name+"/"+variant, func(t *testing.T) {
				t.Parallel()
				base := fmt.Sprintf("/w%d-%s/", i, variant)
				s.mkcol(t, base)
				for _, f := range c.files {
					if strings.HasSuffix(f, "/") {
						s.mkcol(t, base+f)
					} else {
						s.put(t, base+f, "old")
					}
				}
				tok := s.mustLock(t, base+c.locked, "exclusive", "Depth", c.depth)
				var hdr []string
				if c.dest != "" {
					hdr = append(hdr, "Destination", s.URL+base+c.dest)
				}
				switch variant {
				case "untagged-If":
					hdr = append(hdr, "If", ifToken(tok))
				case "tagged-If":
					hdr = append(hdr, "If", s.ifTagged(base+c.locked, tok))
				}
				r := s.do(t, c.method, base+c.path, c.body, hdr...)
				if variant == "no-token-423" {
					if c.method == "DELETE" && c.path != c.locked {
						wantConflict(t, r, c.method+" without the token")
					} else {
						want(t, r, http.StatusLocked, c.method+" without the token")
					}
					want(t, s.do(t, "PROPFIND", base+c.locked, "", "Depth", "0"), http.StatusMultiStatus, "the locked resource after the refused "+c.method)
					if c.gone {
						want(t, s.do(t, "GET", base+c.path, ""), http.StatusNotFound, "GET of what the refused "+c.method+" would have made")
					}
					return
				}
				want(t, r, c.ok, c.method+" with the token ("+variant+")")
				if c.method == "PROPPATCH" {
					if err := allOK(parseMultistatus(t, r)[base+c.path].Props); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
}

// TestIfHeader covers the conditions of the If header on writes: wrong
// tokens, entity tags, Not, lists (RFC 4918 §10.4).
func TestIfHeader(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/free.txt", "content")
	s.put(t, "/locked.txt", "content")
	s.put(t, "/other.txt", "content")
	tok := s.mustLock(t, "/locked.txt", "exclusive")
	otherTok := s.mustLock(t, "/other.txt", "exclusive")
	const bogus = "urn:uuid:00000000-0000-4000-8000-000000000000"
	etagOf := func(t *testing.T, p string) string {
		t.Helper()
		r := s.do(t, "HEAD", p, "")
		e := r.Header.Get("ETag")
		if r.Status != http.StatusOK || e == "" {
			t.Fatalf("HEAD %s: %d, ETag %q", p, r.Status, e)
		}
		return e
	}

	tests := []struct {
		name, path string
		ifHdr      func(t *testing.T) string
		status     int // 0: any 2xx
	}{
		{"RFC4918_10.4.1/unknown-token-on-locked-412", "/locked.txt",
			func(*testing.T) string { return ifToken(bogus) }, http.StatusPreconditionFailed},
		{"RFC4918_10.4.1/token-of-another-resource-412", "/locked.txt",
			func(*testing.T) string { return ifToken(otherTok) }, http.StatusPreconditionFailed},
		{"RFC4918_10.4.1/unknown-token-on-unlocked-412", "/free.txt",
			func(*testing.T) string { return ifToken(bogus) }, http.StatusPreconditionFailed},
		{"RFC4918_10.4.4/current-etag", "/free.txt",
			func(t *testing.T) string { return "([" + etagOf(t, "/free.txt") + "])" }, 0},
		{"RFC4918_10.4.4/wrong-etag-412", "/free.txt",
			func(*testing.T) string { return `(["wrong"])` }, http.StatusPreconditionFailed},
		{"RFC4918_10.4.5/Not-wrong-etag", "/free.txt",
			func(*testing.T) string { return `(Not ["wrong"])` }, 0},
		{"RFC4918_10.4.5/Not-current-etag-412", "/free.txt",
			func(t *testing.T) string { return "(Not [" + etagOf(t, "/free.txt") + "])" }, http.StatusPreconditionFailed},
		{"RFC4918_10.4.2/token-and-wrong-etag-412", "/locked.txt",
			func(*testing.T) string { return "(<" + tok + `> ["wrong-etag"])` }, http.StatusPreconditionFailed},
		{"RFC4918_10.4.2/token-and-current-etag", "/locked.txt",
			func(t *testing.T) string { return "(<" + tok + "> [" + etagOf(t, "/locked.txt") + "])" }, 0},
		{"RFC4918_10.4.2/lists-are-ORed", "/locked.txt",
			func(*testing.T) string { return ifToken(bogus) + " " + ifToken(tok) }, 0},
		{"RFC4918_10.4.3/tagged-list-for-another-resource-false-412", "/locked.txt",
			func(*testing.T) string { return s.ifTagged("/other.txt", tok) }, http.StatusPreconditionFailed},
		{"RFC4918_10.4/malformed-unclosed-400", "/free.txt",
			func(*testing.T) string { return "(<urn:x>" }, http.StatusBadRequest},
		{"RFC4918_10.4/malformed-junk-400", "/free.txt",
			func(*testing.T) string { return "junk" }, http.StatusBadRequest},
	}
	// Sequential: the etag cases read the ETag another case's PUT changes.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(t, "PUT", tt.path, "body of "+tt.name, "If", tt.ifHdr(t))
			if tt.status == 0 {
				ok2xx(t, r, "PUT "+tt.path)
				return
			}
			want(t, r, tt.status, "PUT "+tt.path)
		})
	}
}

// TestLockRefresh covers refreshing a lock (RFC 4918 §9.10.2).
func TestLockRefresh(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/r.txt", "content")

	t.Run("RFC4918_9.10.2/unknown-token-412", func(t *testing.T) {
		r := s.do(t, "LOCK", "/r.txt", "", "If", ifToken("urn:uuid:00000000-0000-4000-8000-000000000001"))
		want(t, r, http.StatusPreconditionFailed, "refresh with an unknown token")
	})
	t.Run("RFC4918_9.10.2/refresh-restarts-the-timeout", func(t *testing.T) {
		// The lock expires between t0+3s and t1+3s; refreshed at t2 for
		// 3s, it expires at t2+3s at the earliest. The PUT goes in between.
		const ttl = 3 * time.Second
		t0 := time.Now()
		tok := s.mustLock(t, "/r.txt", "exclusive", "Timeout", "Second-3")
		t1 := time.Now()
		time.Sleep(time.Until(t0.Add(2 * time.Second)))
		t2 := time.Now()
		if t2.After(t0.Add(ttl - 300*time.Millisecond)) {
			t.Skipf("too slow to tell: the refresh would go %v after the LOCK", t2.Sub(t0))
		}
		r := s.do(t, "LOCK", "/r.txt", "", "If", ifToken(tok), "Timeout", "Second-3")
		want(t, r, http.StatusOK, "refresh")
		checkGranted(t, r, lockReply(t, r, tok), maxLockSeconds)
		time.Sleep(time.Until(t1.Add(ttl + 500*time.Millisecond)))
		if time.Now().After(t2.Add(ttl - 300*time.Millisecond)) {
			t.Skipf("too slow to tell: the check would go %v after the refresh", time.Since(t2))
		}
		want(t, s.do(t, "PUT", "/r.txt", "x"), http.StatusLocked, "PUT after the first timeout, within the refreshed one")
	})
}

// TestUnlock covers UNLOCK (RFC 4918 §9.11).
func TestUnlock(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())

	t.Run("RFC4918_9.11/204-then-writes-need-no-token", func(t *testing.T) {
		t.Parallel()
		s.put(t, "/u1.txt", "content")
		tok := s.mustLock(t, "/u1.txt", "exclusive")
		want(t, s.do(t, "UNLOCK", "/u1.txt", "", "Lock-Token", "<"+tok+">"), http.StatusNoContent, "UNLOCK")
		ok2xx(t, s.do(t, "PUT", "/u1.txt", "x"), "PUT after UNLOCK")
		if ls := s.discovery(t, "/u1.txt"); len(ls) != 0 {
			t.Errorf("lockdiscovery after UNLOCK: %+v, want none", ls)
		}
	})
	t.Run("RFC4918_9.11.1/token-of-another-resource-409", func(t *testing.T) {
		t.Parallel()
		s.put(t, "/u2.txt", "content")
		s.put(t, "/u3.txt", "content")
		s.mustLock(t, "/u2.txt", "exclusive")
		other := s.mustLock(t, "/u3.txt", "exclusive")
		r := s.do(t, "UNLOCK", "/u2.txt", "", "Lock-Token", "<"+other+">")
		want(t, r, http.StatusConflict, "UNLOCK with the token of another resource's lock")
		if !strings.Contains(string(r.Body), "lock-token-matches-request-uri") {
			t.Errorf("409 body lacks DAV:lock-token-matches-request-uri: %s", r.Body)
		}
		want(t, s.do(t, "PUT", "/u2.txt", "x"), http.StatusLocked, "PUT after the refused UNLOCK")
		want(t, s.do(t, "PUT", "/u3.txt", "x"), http.StatusLocked, "PUT of the other resource after the refused UNLOCK")
	})
	t.Run("RFC4918_9.11.1/unknown-token-409", func(t *testing.T) {
		t.Parallel()
		s.put(t, "/u4.txt", "content")
		s.mustLock(t, "/u4.txt", "exclusive")
		r := s.do(t, "UNLOCK", "/u4.txt", "", "Lock-Token", "<urn:uuid:00000000-0000-4000-8000-000000000002>")
		want(t, r, http.StatusConflict, "UNLOCK with an unknown token")
		if !strings.Contains(string(r.Body), "lock-token-matches-request-uri") {
			t.Errorf("409 body lacks DAV:lock-token-matches-request-uri: %s", r.Body)
		}
	})
	t.Run("RFC4918_10.5/token-without-angle-brackets-204", func(t *testing.T) {
		t.Parallel()
		s.put(t, "/u5.txt", "content")
		tok := s.mustLock(t, "/u5.txt", "exclusive")
		want(t, s.do(t, "UNLOCK", "/u5.txt", "", "Lock-Token", tok), http.StatusNoContent, "UNLOCK with a bare token (Windows)")
		ok2xx(t, s.do(t, "PUT", "/u5.txt", "x"), "PUT after UNLOCK")
	})
	t.Run("RFC4918_9.11/member-of-depth-infinity-lock-204", func(t *testing.T) {
		t.Parallel()
		s.mkcol(t, "/uc")
		s.put(t, "/uc/m.txt", "content")
		tok := s.mustLock(t, "/uc/", "exclusive")
		want(t, s.do(t, "UNLOCK", "/uc/m.txt", "", "Lock-Token", "<"+tok+">"), http.StatusNoContent, "UNLOCK of a member with the collection's token")
		ok2xx(t, s.do(t, "PUT", "/uc/m.txt", "x"), "PUT of the member after UNLOCK")
		ok2xx(t, s.do(t, "PUT", "/uc/new.txt", "x"), "PUT into the collection after UNLOCK (the whole lock is gone)")
	})
}

// TestDeleteLocked checks DELETE with the token removes the lock with the
// resource (RFC 4918 §9.6, §7.5).
func TestDeleteLocked(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/d.txt", "content")
	tok := s.mustLock(t, "/d.txt", "exclusive")
	want(t, s.do(t, "DELETE", "/d.txt", "", "If", ifToken(tok)), http.StatusNoContent, "RFC4918_9.6 DELETE with the token")
	r := s.lock(t, "/d.txt", "exclusive")
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		t.Errorf("RFC4918_9.6 LOCK by someone else after the DELETE: %s, want 200 or 201 (the lock went with the resource)", r)
	}
}

// TestLockDiscovery covers DAV:lockdiscovery and DAV:supportedlock
// (RFC 4918 §15.8, §15.10).
func TestLockDiscovery(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/ld.txt", "content")
	s.put(t, "/free.txt", "content")
	s.mkcol(t, "/ldc")
	s.put(t, "/ldc/m.txt", "content")
	tok := s.mustLock(t, "/ld.txt", "exclusive")
	ctok := s.mustLock(t, "/ldc/", "exclusive")

	t.Run("RFC4918_15.8/locked-resource", func(t *testing.T) {
		ls := s.discovery(t, "/ld.txt")
		if len(ls) != 1 || ls[0].Token != tok || urlPath(ls[0].Root) != "/ld.txt" || ls[0].Scope != "exclusive" || ls[0].Type != "write" {
			t.Errorf("lockdiscovery %+v, want one exclusive write lock %s rooted at /ld.txt", ls, tok)
		}
		if len(ls) == 1 && hrefIn(ls[0].Owner) != "mailto:a@example.com" {
			t.Errorf("lockdiscovery owner not kept")
		}
	})
	t.Run("RFC4918_15.8/member-of-depth-infinity-lock", func(t *testing.T) {
		ms := s.propfind(t, "/ldc/", "1", davName("lockdiscovery"))
		for _, href := range []string{"/ldc/", "/ldc/m.txt"} {
			p := ms[href].Props[davName("lockdiscovery")]
			if p.Status != http.StatusOK || p.Node == nil {
				t.Errorf("%s: lockdiscovery status %d, want 200", href, p.Status)
				continue
			}
			ls := activeLocks(p.Node)
			if len(ls) != 1 || ls[0].Token != ctok || strings.TrimSuffix(urlPath(ls[0].Root), "/") != "/ldc" {
				t.Errorf("%s: lockdiscovery %+v, want the collection's lock %s rooted at /ldc/", href, ls, ctok)
			}
		}
	})
	t.Run("RFC4918_15.8/unlocked-empty", func(t *testing.T) {
		p := s.props(t, "/free.txt", davName("lockdiscovery"))[davName("lockdiscovery")]
		if p.Status != http.StatusOK || p.Node == nil || len(p.Node.elems()) != 0 {
			t.Errorf("lockdiscovery of an unlocked resource: status %d %s, want 200 and empty", p.Status, canonOrNil(p.Node))
		}
	})
	t.Run("RFC4918_15.10/supportedlock-exclusive-and-shared-write", func(t *testing.T) {
		p := s.props(t, "/free.txt", davName("supportedlock"))[davName("supportedlock")]
		if p.Status != http.StatusOK || p.Node == nil {
			t.Fatalf("supportedlock status %d, want 200", p.Status)
		}
		got := map[string]bool{}
		for _, e := range p.Node.children(davName("lockentry")) {
			got[firstChild(e.child(davName("lockscope")))+" "+firstChild(e.child(davName("locktype")))] = true
		}
		for _, w := range []string{"exclusive write", "shared write"} {
			if !got[w] {
				t.Errorf("supportedlock lacks %s: %s", w, canon(p.Node))
			}
		}
	})
}

// TestLockNoSpurious423 runs writers without If headers on unlocked
// resources next to a locked one: none may see 423 (RFC 4918 §7: only a
// client's lock makes a resource locked).
func TestLockNoSpurious423(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.mkcol(t, "/n")
	s.put(t, "/n/locked.txt", "content")
	s.mustLock(t, "/n/locked.txt", "exclusive", "Depth", "0")
	const clients, rounds, files = 16, 8, 4
	for f := range files {
		s.put(t, fmt.Sprintf("/n/f%d.txt", f), "content")
	}
	var (
		wg   sync.WaitGroup
		errs [clients]error
	)
	for c := range clients {
		wg.Go(func() {
			p := fmt.Sprintf("/n/f%d.txt", c%files)
			for r := range rounds {
				method, body := "PUT", fmt.Sprintf("client %d round %d", c, r)
				if r%2 == 1 {
					method, body = "PROPPATCH", update(fmt.Sprintf(`<Z:c%d>%d</Z:c%d>`, c, r, c))
				}
				got, err := s.send(method, p, body)
				if err == nil && (got.Status < 200 || got.Status > 299) {
					err = fmt.Errorf("status %d\nbody: %s", got.Status, got.Body)
				}
				if err != nil {
					errs[c] = fmt.Errorf("client %d round %d: %s %s: %w", c, r, method, p, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error("RFC4918_7 " + err.Error())
		}
	}
}

// TestLockRace has 32 clients LOCK one resource at once: exactly one wins
// (RFC 4918 §6.1: at most one exclusive lock).
func TestLockRace(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/race.txt", "content")
	for _, c := range []struct{ name, path string }{
		{"RFC4918_6.1/existing-resource-one-200", "/race.txt"},
		{"RFC4918_6.1/unmapped-URL-one-201", "/race-new.txt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			const clients = 32
			var (
				wg       sync.WaitGroup
				statuses [clients]int
				errs     [clients]error
			)
			start := make(chan struct{})
			for i := range clients {
				wg.Go(func() {
					<-start
					r, err := s.send("LOCK", c.path, lockinfo("exclusive", ownerXML), lockHeaders(nil)...)
					statuses[i], errs[i] = r.Status, err
				})
			}
			close(start)
			wg.Wait()
			count := map[int]int{}
			for i := range clients {
				if errs[i] != nil {
					t.Fatalf("client %d: %v", i, errs[i])
				}
				count[statuses[i]]++
			}
			if won := count[http.StatusOK] + count[http.StatusCreated]; won != 1 || count[http.StatusLocked] != clients-1 {
				t.Errorf("statuses %v, want exactly one 200/201 and %d × 423", count, clients-1)
			}
		})
	}
}

// TestLockRestart checks locks outlive the server: atomdav keeps them on
// disk, though RFC 4918 §6.6 would let it lose them. An expired lock no
// longer blocks anything.
func TestLockRestart(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		stop func(*server)
	}{
		{"RFC4918_6.6/survives-SIGTERM", (*server).Stop},
		{"RFC4918_6.6/survives-kill-9", (*server).Kill9},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := startServer(t, dir)
			s.put(t, "/f.txt", "content")
			tok := s.mustLock(t, "/f.txt", "exclusive")
			c.stop(s)
			if t.Failed() {
				t.FailNow()
			}
			s = startServer(t, dir)
			want(t, s.do(t, "PUT", "/f.txt", "x"), http.StatusLocked, "PUT without the token after the restart")
			want(t, s.do(t, "PUT", "/f.txt", "x", "If", ifToken(tok)), http.StatusNoContent, "PUT with the token after the restart")
		})
	}
	t.Run("RFC4918_6.6/expired-lock-no-longer-blocks", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, t.TempDir())
		s.put(t, "/e.txt", "content")
		s.mustLock(t, "/e.txt", "exclusive", "Timeout", "Second-1")
		time.Sleep(2 * time.Second) // after the LOCK's answer: the lock is 1s past its timeout
		ok2xx(t, s.do(t, "PUT", "/e.txt", "x"), "PUT after the lock expired")
		r := s.lock(t, "/e.txt", "exclusive")
		want(t, r, http.StatusOK, "LOCK after the lock expired")
	})
}

// TestOptionsLocking checks OPTIONS advertises locking (RFC 4918 §10.1,
// §18.2) and MS-Author-Via for Windows.
func TestOptionsLocking(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/o.txt", "content")
	for _, p := range []string{"/", "/o.txt"} {
		t.Run("RFC4918_10.1/DAV-1-2-3"+p, func(t *testing.T) {
			r := s.do(t, "OPTIONS", p, "")
			want(t, r, http.StatusOK, "OPTIONS "+p)
			classes := map[string]bool{}
			for _, v := range r.Header.Values("DAV") {
				for _, f := range strings.Split(v, ",") {
					classes[strings.TrimSpace(f)] = true
				}
			}
			for _, c := range []string{"1", "2", "3"} {
				if !classes[c] {
					t.Errorf("DAV header %q lacks class %s", r.Header.Values("DAV"), c)
				}
			}
			if v := r.Header.Get("MS-Author-Via"); v != "DAV" {
				t.Errorf("MS-Author-Via %q, want DAV", v)
			}
			for _, m := range []string{"LOCK", "UNLOCK"} {
				if !strings.Contains(r.Header.Get("Allow"), m) {
					t.Errorf("Allow %q lacks %s", r.Header.Get("Allow"), m)
				}
			}
		})
	}
}

// canonOrNil is canon, or "<nil>" for a missing element.
func canonOrNil(n *node) string {
	if n == nil {
		return "<nil>"
	}
	return canon(n)
}
