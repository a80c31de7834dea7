package e2e

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Hostile requests of a second round (issue 12): what a user, a read-only
// user or an anonymous client sent that they should not get away with.

// TestStateFolderCaseVariants: on a case-insensitive file system (macOS,
// Windows, a casefold folder) "/.ATOMDAV" is the state folder, so every
// case variant of its name, and of the temp files' prefix, is reserved
// like the name itself. Here, on a case-sensitive disk, a folder
// ".ATOMDAV" planted in the root stands for the state folder seen through
// such a file system.
func TestStateFolderCaseVariants(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".ATOMDAV"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".ATOMDAV", "state.db"), []byte("tokens"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".Atomdav-Tmp-1"), []byte("half an upload"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dir)
	s.put(t, "/f.txt", "content")

	for _, rd := range []string{"/.ATOMDAV/state.db", "/.ATOMDAV", "/.AtomDav/state.db", "/.Atomdav-Tmp-1", "/.ATOMDAV-TMP-1"} {
		t.Run("RFC4918_9.4/GET"+rd+"-404", func(t *testing.T) {
			want(t, s.do(t, "GET", rd, ""), http.StatusNotFound, "GET "+rd)
		})
	}
	t.Run("RFC4918_9.1/not-listed", func(t *testing.T) {
		for h := range s.propfind(t, "/", "1") {
			if h == "/.ATOMDAV/" || h == "/.Atomdav-Tmp-1" {
				t.Errorf("PROPFIND Depth 1 / lists %s", h)
			}
		}
		if r := s.do(t, "GET", "/", ""); r.Status != http.StatusOK || bytes.Contains(bytes.ToLower(r.Body), []byte(".atomdav")) {
			t.Errorf("GET / listing: status %d, mentions the state folder or a temp file:\n%s", r.Status, r.Body)
		}
	})
	writes := []struct {
		method, path string
		hdr          []string
	}{
		{"MKCOL", "/.Atomdav", nil},
		{"PUT", "/.ATOMDAV/state.db", nil},
		{"PUT", "/.atomdav-TMP-x", nil},
		{"PUT", "/sub/.ATOMDAV-tmp-x", nil},
		{"DELETE", "/.ATOMDAV", nil},
		{"COPY", "/f.txt", []string{"Destination", "/.ATOMDAV/state.db"}},
		{"MOVE", "/f.txt", []string{"Destination", "/.AtomDav"}},
		{"COPY", "/.ATOMDAV", []string{"Destination", "/stolen"}},
	}
	for _, w := range writes {
		t.Run("RFC4918_9.7/"+w.method+w.path+"-403", func(t *testing.T) {
			body := ""
			if w.method == "PUT" {
				body = "overwritten"
			}
			want(t, s.do(t, w.method, w.path, body, w.hdr...), http.StatusForbidden, w.method+" "+w.path)
		})
	}
	if b, err := os.ReadFile(filepath.Join(dir, ".ATOMDAV", "state.db")); err != nil || string(b) != "tokens" {
		t.Errorf(".ATOMDAV/state.db after the writes: %q, %v", b, err)
	}
	for _, name := range []string{".Atomdav", "stolen", ".atomdav-TMP-x"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s exists: a write reached a reserved name", name)
		}
	}
}

// waitLog waits until the server's output holds marker (a line it writes
// after those the test looks at) and returns the output.
func waitLog(t *testing.T, s *server, marker string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if out := s.proc.Log(); strings.Contains(out, marker) {
			return out
		}
	}
	t.Fatalf("the server never logged %q:\n%s", marker, s.Output())
	return ""
}

// TestClientErrorsNotLogged: a 5xx a client asks for, an unknown method
// (501) or a Destination on another server or outside the share (502), is
// the client's doing, not a failure of the server: it must not become an
// error line in the log, which anyone could fill with them. A Destination
// with a NUL is malformed (400), not elsewhere.
func TestClientErrorsNotLogged(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), "--prefix", "/dav")
	s.put(t, "/dav/f.txt", "content")
	for _, c := range []struct {
		method string
		hdr    []string
		status int
	}{
		{"BREW", nil, http.StatusNotImplemented},
		{"PATCH", nil, http.StatusNotImplemented},
		{"COPY", []string{"Destination", "http://elsewhere.example/dav/x"}, http.StatusBadGateway},
		{"MOVE", []string{"Destination", "/other/x"}, http.StatusBadGateway},
		{"COPY", []string{"Destination", "/dav/%00x"}, http.StatusBadRequest},
		{"COPY", []string{"Destination", "/dav/a%0Ab"}, http.StatusBadRequest},
	} {
		if r := s.do(t, c.method, "/dav/f.txt", "", c.hdr...); r.Status != c.status {
			t.Errorf("%s %s: status %d, want %d\nbody: %s", c.method, strings.Join(c.hdr, ": "), r.Status, c.status, r.Body)
		}
	}
	want(t, s.do(t, "GET", "/dav/f.txt", ""), http.StatusOK, "GET")
	// The access log line of the GET follows any line the requests before
	// it made.
	if out := waitLog(t, s, "method=GET path=/dav/f.txt"); strings.Contains(out, "level=ERROR") {
		t.Errorf("client errors were logged as server failures:\n%s", out)
	}
}

// TestMtimeOutOfRange: a Win32LastModifiedTime a client sets by
// PROPPATCH that the kernel cannot be given as it is, after 2262 or before
// 1678, is refused (409 for the property) and the file keeps its time:
// os.Chtimes used to turn it into 1901. TestHeaderParsersRefuse checks the
// same times in X-OC-Mtime on PUT and COPY.
func TestMtimeOutOfRange(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	s.put(t, "/f.txt", "content")
	local := filepath.Join(dir, "f.txt")
	before, err := os.Stat(local)
	if err != nil {
		t.Fatal(err)
	}
	const ms = "urn:schemas-microsoft-com:"
	for _, v := range []string{"Fri, 31 Dec 9999 23:59:59 GMT", "Sat, 12 Apr 2262 00:00:00 GMT", "Sat, 01 Jan 1601 00:00:00 GMT"} {
		body := `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:W="` + ms + `"><D:set><D:prop>` +
			`<W:Win32LastModifiedTime>` + v + `</W:Win32LastModifiedTime></D:prop></D:set></D:propertyupdate>`
		got := s.proppatch(t, "/f.txt", body)[xml.Name{Space: ms, Local: "Win32LastModifiedTime"}]
		if got.Status != http.StatusConflict {
			t.Errorf("PROPPATCH Win32LastModifiedTime %q: status %d, want 409", v, got.Status)
		}
	}
	if after, err := os.Stat(local); err != nil || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("f.txt's mtime went from %v to %v (%v)", before.ModTime(), after.ModTime(), err)
	}
}

// TestPutContentRange: a PUT with Content-Range sends a part of the file,
// which must not replace the whole of it (RFC 9110 §14.5: 400).
func TestPutContentRange(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	s.put(t, "/f.txt", "0123456789")
	for _, v := range []string{"bytes 2-3/10", "bytes */10", "garbage"} {
		want(t, s.do(t, "PUT", "/f.txt", "ab", "Content-Range", v), http.StatusBadRequest, "PUT with Content-Range "+v)
		want(t, s.do(t, "PUT", "/new.txt", "ab", "Content-Range", v), http.StatusBadRequest, "PUT of a new file with Content-Range "+v)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "f.txt")); err != nil || string(b) != "0123456789" {
		t.Errorf("f.txt after partial PUTs: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.txt")); err == nil {
		t.Error("a partial PUT created new.txt")
	}
}

// TestHostileRequestsRefused pins what a user confined to /bob and a
// read-only user get for requests that try to reach further: never a
// 5xx the client did not ask for, never a local path in the answer,
// nothing outside /bob changed by bob and nothing at all by reader.
func TestHostileRequestsRefused(t *testing.T) {
	t.Parallel()
	dir := lockUsersTree(t)
	s := startAuthServer(t, dir, "--config", lockUsersConfig(t))
	lockBody := lockinfo("exclusive", ownerXML)
	cases := []struct {
		who, method, path string
		hdr               []string
		status            int
	}{
		// bob's paths and Destinations stay in /bob, however spelt.
		{"bob", "GET", "/%2e%2e/top.txt", nil, http.StatusNotFound},
		{"bob", "GET", "/..%2ftop.txt", nil, http.StatusNotFound},
		{"bob", "GET", "/..%5ctop.txt", nil, http.StatusNotFound},
		{"bob", "GET", "/%c0%ae%c0%ae/top.txt", nil, http.StatusNotFound},
		{"bob", "GET", "/b.txt%00.jpg", nil, http.StatusBadRequest},
		{"bob", "PROPFIND", "/..", []string{"Depth", "0"}, http.StatusMultiStatus},
		{"bob", "DELETE", "/..", nil, http.StatusForbidden},
		{"bob", "MOVE", "/b.txt", []string{"Destination", "/../top.txt", "Overwrite", "F"}, http.StatusCreated},
		{"bob", "COPY", "/top.txt", []string{"Destination", "/%2e%2e/%2e%2e/top.txt", "Overwrite", "T"}, http.StatusForbidden},
		{"bob", "COPY", "/top.txt", []string{"Destination", "/x%2f..%2f..%2fy.txt"}, http.StatusCreated},
		{"bob", "COPY", "/top.txt", []string{"Destination", "/%00"}, http.StatusBadRequest},
		{"bob", "COPY", "/top.txt", []string{"Destination", "http://elsewhere.example/top.txt"}, http.StatusBadGateway},
		{"bob", "COPY", "/top.txt", []string{"Destination", "//elsewhere.example/top.txt"}, http.StatusBadGateway},
		{"bob", "COPY", "/top.txt", []string{"Destination", "z.txt"}, http.StatusBadRequest},
		{"bob", "COPY", "/top.txt", []string{"Destination", "/z.txt", "Overwrite", "maybe"}, http.StatusBadRequest},
		{"bob", "PROPPATCH", "/..", []string{"Content-Type", "application/xml"}, http.StatusMultiStatus},
		{"bob", "LOCK", "/%2e%2e/", []string{"Content-Type", "application/xml"}, http.StatusOK},
		// reader writes nothing, whatever the method or its spelling.
		{"reader", "PUT", "/top.txt", nil, http.StatusForbidden},
		{"reader", "put", "/top.txt", nil, http.StatusForbidden},
		{"reader", "Put", "/top.txt", nil, http.StatusForbidden},
		{"reader", "PATCH", "/top.txt", nil, http.StatusForbidden},
		{"reader", "POST", "/top.txt", nil, http.StatusForbidden},
		{"reader", "BREW", "/top.txt", nil, http.StatusForbidden},
		{"reader", "MKCOL", "/new", nil, http.StatusForbidden},
		{"reader", "DELETE", "/top.txt", nil, http.StatusForbidden},
		{"reader", "PROPPATCH", "/top.txt", nil, http.StatusForbidden},
		{"reader", "LOCK", "/top.txt", nil, http.StatusForbidden},
		{"reader", "UNLOCK", "/top.txt", []string{"Lock-Token", "<urn:uuid:0>"}, http.StatusForbidden},
		{"reader", "COPY", "/top.txt", []string{"Destination", "/copy.txt"}, http.StatusForbidden},
		{"reader", "MOVE", "/top.txt", []string{"Destination", "/moved.txt"}, http.StatusForbidden},
		{"reader", "GET", "/top.txt", []string{"Range", "bytes=0-99999999999999999999999"}, http.StatusRequestedRangeNotSatisfiable},
		{"reader", "PROPFIND", "/", []string{"Depth", "1"}, http.StatusMultiStatus},
	}
	for _, c := range cases {
		body := ""
		switch c.method {
		case "PUT", "put", "Put", "PATCH", "POST":
			body = "overwritten"
		case "PROPPATCH":
			body = update(`<Z:a>x</Z:a>`)
		case "LOCK":
			body = lockBody
		}
		r := s.as(c.who).do(t, c.method, c.path, body, c.hdr...)
		what := fmt.Sprintf("%s's %s %s %q", c.who, c.method, c.path, c.hdr)
		if r.Status != c.status {
			t.Errorf("%s: status %d, want %d\nbody: %s", what, r.Status, c.status, r.Body)
		}
		if bytes.Contains(r.Body, []byte(dir)) {
			t.Errorf("%s: the answer discloses the local path %s:\n%s", what, dir, r.Body)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "top.txt")); err != nil || string(b) != "top" {
		t.Errorf("top.txt after the requests: %q, %v", b, err)
	}
	for _, name := range []string{"y.txt", "copy.txt", "moved.txt", "new", "z.txt"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s was written outside /bob or by reader", name)
		}
	}
	if out := waitLog(t, s, "path=/ user=reader"); strings.Contains(out, "level=ERROR") || strings.Contains(out, "panic") {
		t.Errorf("hostile requests logged a server failure:\n%s", out)
	}
}

// TestLockDoesNotMakeRootAFile: a user whose folder does not exist yet (or
// was removed by a user who sees more) sees nothing; a LOCK of their "/"
// must not create an empty file in its place (RFC 4918 §7.3 makes one for
// an unmapped URL), which would keep the folder from ever being made.
func TestLockDoesNotMakeRootAFile(t *testing.T) {
	t.Parallel()
	dir := lockUsersTree(t)
	if err := os.RemoveAll(filepath.Join(dir, "bob")); err != nil {
		t.Fatal(err)
	}
	s := startAuthServer(t, dir, "--config", lockUsersConfig(t))
	for _, p := range []string{"/", "/%2e", "/.."} {
		r := s.as("bob").do(t, "LOCK", p, lockinfo("exclusive", ownerXML), "Content-Type", "application/xml")
		want(t, r, http.StatusForbidden, "bob's LOCK "+p+" of his missing folder")
	}
	if _, err := os.Lstat(filepath.Join(dir, "bob")); err == nil {
		t.Fatal("bob's LOCK of / made a file where his folder belongs")
	}
	want(t, s.as("bob").do(t, "MKCOL", "/", ""), http.StatusCreated, "bob's MKCOL /")
	want(t, s.as("bob").do(t, "LOCK", "/", lockinfo("exclusive", ownerXML), "Content-Type", "application/xml"), http.StatusOK, "bob's LOCK / of his folder")
}

// hostGET sends GET /f.txt with Host: host on a new connection and
// returns the status.
func hostGET(t *testing.T, s *server, host string, hdr ...string) int {
	t.Helper()
	return s.rawRequest(t, "GET /f.txt HTTP/1.1\r\nHost: "+host+"\r\n"+strings.Join(hdr, "")+"Connection: close\r\n\r\n").Status
}

// TestDNSRebindingRefused: a web page whose name the attacker re-points at
// 127.0.0.1 is same-origin with an anonymous share on the visitor's own
// machine, and could read and write all of it; its requests say
// Host: evil.example. On a loopback address with anonymous access, only
// localhost, IP addresses and the names of allowed-hosts are answered.
func TestDNSRebindingRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/f.txt", "private")
	_, port, _ := strings.Cut(s.Addr, ":")
	for host, status := range map[string]int{
		"evil.example:" + port:           http.StatusMisdirectedRequest,
		"evil.example":                   http.StatusMisdirectedRequest,
		"localhost.evil.example:" + port: http.StatusMisdirectedRequest,
		"localhost:" + port:              http.StatusOK,
		"127.0.0.1:" + port:              http.StatusOK,
	} {
		if got := hostGET(t, s, host); got != status {
			t.Errorf("anonymous GET with Host: %s: status %d, want %d", host, got, status)
		}
	}
	if got := hostGET(t, s, "evil.example", "Origin: http://evil.example\r\n", "Access-Control-Request-Method: PUT\r\n"); got != http.StatusMisdirectedRequest {
		t.Errorf("GET with Host: evil.example and an Origin: status %d, want 421", got)
	}

	listed := startServer(t, t.TempDir(), "--allowed-hosts", "files.example")
	listed.put(t, "/f.txt", "x")
	if got := hostGET(t, listed, "Files.Example"); got != http.StatusOK {
		t.Errorf("allowed-hosts files.example, Host: Files.Example: status %d, want 200", got)
	}
	if got := hostGET(t, listed, "evil.example"); got != http.StatusMisdirectedRequest {
		t.Errorf("allowed-hosts files.example, Host: evil.example: status %d, want 421", got)
	}
	anyHost := startServer(t, t.TempDir(), "--allowed-hosts", "*")
	anyHost.put(t, "/f.txt", "x")
	if got := hostGET(t, anyHost, "evil.example"); got != http.StatusOK {
		t.Errorf("allowed-hosts *, Host: evil.example: status %d, want 200", got)
	}
	// With credentials required the page cannot log in (the browser asks
	// the user, for evil.example): any Host is answered, as before.
	users := startAuthServer(t, lockUsersTree(t), "--config", lockUsersConfig(t))
	if got := hostGET(t, users, "evil.example"); got != http.StatusUnauthorized {
		t.Errorf("users only, Host: evil.example: status %d, want 401", got)
	}
}

// TestOpsListenerRebindingRefused: the operations listener has no
// authentication and, with --pprof, serves the command line (which may
// hold a postgres:// password) and memory profiles. On loopback it must
// not answer a page reaching it through DNS rebinding either.
func TestOpsListenerRebindingRefused(t *testing.T) {
	t.Parallel()
	_, ops := startOpsServer(t, t.TempDir(), "--pprof")
	addr := strings.TrimPrefix(ops, "http://")
	get := func(host, path string) int {
		t.Helper()
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{"/debug/pprof/cmdline", "/metrics"} {
		if got := get("evil.example", path); got != http.StatusMisdirectedRequest {
			t.Errorf("GET %s with Host: evil.example: status %d, want 421", path, got)
		}
		if got := get(addr, path); got != http.StatusOK {
			t.Errorf("GET %s with Host: %s: status %d, want 200", path, addr, got)
		}
	}
}

// TestPutTrailingSlash: a PUT to a URL ending in / names a collection: 405
// for one that exists (RFC 4918 §9.7.2), else 409, and no file is made (it
// used to create a file of that name).
func TestPutTrailingSlash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	s.mkcol(t, "/d")
	for _, path := range []string{"/new/", "/d/sub/"} {
		want(t, s.do(t, "PUT", path, "x"), http.StatusConflict, "PUT "+path)
	}
	want(t, s.do(t, "PUT", "/d/", "x"), http.StatusMethodNotAllowed, "PUT of the collection /d/")
	if _, err := os.Stat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Errorf("PUT /new/ made %s/new: %v", dir, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "d")); err != nil || !fi.IsDir() {
		t.Errorf("/d after PUT /d/: %v, %v", fi, err)
	}
	s.put(t, "/d/f", "file") // without the slash, as before
}
