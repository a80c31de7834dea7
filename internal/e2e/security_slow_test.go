package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// guard bounds each request that must not wait behind a slow client: a
// failure guard, far above what the request takes, not a measure.
const guard = 15 * time.Second

// trickle is a PUT whose body arrives when the test says, on its own
// connection: the slow client of DESIGN §7.
type trickle struct {
	conn net.Conn
	br   *bufio.Reader
}

// startTrickle sends a PUT of path announcing size bytes and the first
// bytes of its body, then waits until the server holds the upload's temp
// file in the folder dir (a local path), so what the test does next
// happens while the body streams.
func startTrickle(t *testing.T, s *server, path, dir string, size int, first string) *trickle {
	t.Helper()
	tr := openPut(t, s, path, size, first)
	waitTempFiles(t, dir, 1, "PUT "+path)
	return tr
}

// openPut dials the server and sends the headers of a PUT of path
// announcing size bytes, hdr as name, value pairs, then the first bytes
// of its body. The connection is closed when the test ends.
func openPut(t *testing.T, s *server, path string, size int, first string, hdr ...string) *trickle {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var b strings.Builder
	fmt.Fprintf(&b, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", path, s.Addr, size)
	for i := 0; i+1 < len(hdr); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", hdr[i], hdr[i+1])
	}
	b.WriteString("\r\n" + first)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatalf("PUT %s: %v", path, err)
	}
	return &trickle{conn: conn, br: bufio.NewReader(conn)}
}

// waitTempFiles waits until the local folder dir holds at least n upload
// temp files: the server is receiving that many bodies.
func waitTempFiles(t *testing.T, dir string, n int, what string) {
	t.Helper()
	for deadline := time.Now().Add(guard); len(tempFiles(t, dir)) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d temp files in %s, want %d: the upload did not start", what, len(tempFiles(t, dir)), dir, n)
		}
	}
}

// finish sends the rest of the body and reads the answer.
func (tr *trickle) finish(t *testing.T, rest string) reply {
	t.Helper()
	io.WriteString(tr.conn, rest)
	return tr.answer(t)
}

// answer reads the server's answer to the PUT.
func (tr *trickle) answer(t *testing.T) reply {
	t.Helper()
	tr.conn.SetReadDeadline(time.Now().Add(guard))
	resp, err := http.ReadResponse(tr.br, nil)
	if err != nil {
		t.Fatalf("reading the answer to the trickled PUT: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// tempFiles lists the upload temp files anywhere under the local folder
// dir, the state folder aside.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && d.Name() == ".atomdav" {
			return filepath.SkipDir
		}
		if strings.HasPrefix(d.Name(), ".atomdav-tmp-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// guarded is s.do with a deadline, so a request stuck behind another
// fails the test instead of hanging it.
func guarded(t *testing.T, s *server, method, path, body string, hdr ...string) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := s.request(method, path, rd, hdr...)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.sendRequest(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s (a slow upload is under way): %v", method, path, err)
	}
	return r
}

const slowProp = `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-atomdav:slow"><D:set><D:prop><Z:color>red</Z:color></D:prop></D:set></D:propertyupdate>`

// TestSlowUploadHoldsUpNobody (issue 12 item 5): while a PUT trickles its
// body into /d, a PROPPATCH of /d (which takes /d exclusively), a PUT, a
// PROPPATCH and a DELETE beside it complete; the slow upload then
// finishes and its content is whole.
func TestSlowUploadHoldsUpNobody(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	s.mkcol(t, "/d")
	s.put(t, "/d/old", "old")
	tr := startTrickle(t, s, "/d/f", filepath.Join(dir, "d"), 10, "abc")

	want(t, guarded(t, s, "PROPPATCH", "/d", slowProp), http.StatusMultiStatus, "PROPPATCH of the upload's folder")
	want(t, guarded(t, s, "PUT", "/d/g", "sibling"), http.StatusCreated, "PUT beside the upload")
	want(t, guarded(t, s, "PROPPATCH", "/d/g", slowProp), http.StatusMultiStatus, "PROPPATCH beside the upload")
	want(t, guarded(t, s, "DELETE", "/d/old", ""), http.StatusNoContent, "DELETE beside the upload")

	want(t, tr.finish(t, "defghij"), http.StatusCreated, "the slow PUT")
	if r := s.do(t, "GET", "/d/f", ""); r.Status != http.StatusOK || string(r.Body) != "abcdefghij" {
		t.Fatalf("GET /d/f after the slow PUT: %s", r)
	}
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

// TestUploadIdleTimeout (issue 12 item 5): a PUT body that sends nothing
// for --upload-idle-timeout ends with 408, leaving neither the file nor
// its temp file; one that pauses for less, however long it takes, is
// received.
func TestUploadIdleTimeout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir, "--upload-idle-timeout", "3s")
	s.mkcol(t, "/d")
	tr := startTrickle(t, s, "/d/f", filepath.Join(dir, "d"), 10, "abc")
	want(t, tr.answer(t), http.StatusRequestTimeout, "a PUT whose body went silent")
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Fatalf("temp files left after the 408: %v", left)
	}
	want(t, s.do(t, "GET", "/d/f", ""), http.StatusNotFound, "GET of the timed-out upload")
	// A body that keeps sending is not cut, though it takes longer in all
	// than the timeout: the timeout is of silence, not of the upload.
	// (600 bytes every 200 ms keeps it above the default minimum rate,
	// and a pause 15 times shorter than the timeout leaves a busy machine
	// room.)
	part := strings.Repeat("x", 600)
	const parts = 17 // 3.4 s in all
	tr = startTrickle(t, s, "/d/g", filepath.Join(dir, "d"), 3+parts*len(part), "abc")
	for range parts {
		time.Sleep(200 * time.Millisecond)
		io.WriteString(tr.conn, part)
	}
	want(t, tr.answer(t), http.StatusCreated, "a PUT that pauses under the timeout")
}

// TestUploadParentChangedMidBody (issue 12 item 11): the folder of a PUT
// whose body is still arriving is replaced by a file, moved or removed.
// The PUT answers 409 (its parent collection is gone, RFC 4918 §9.7.1),
// not 500; its file lands nowhere and no temp file is left, wherever the
// folder went.
func TestUploadParentChangedMidBody(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		change func(t *testing.T, s *server)
	}{
		{"replaced by a file", func(t *testing.T, s *server) {
			want(t, guarded(t, s, "DELETE", "/d", ""), http.StatusNoContent, "DELETE /d")
			want(t, guarded(t, s, "PUT", "/d", "now a file"), http.StatusCreated, "PUT /d")
		}},
		{"moved", func(t *testing.T, s *server) {
			want(t, guarded(t, s, "MOVE", "/d", "", "Destination", s.URL+"/e"), http.StatusCreated, "MOVE /d /e")
		}},
		{"replaced by a folder", func(t *testing.T, s *server) {
			want(t, guarded(t, s, "MOVE", "/d", "", "Destination", s.URL+"/e"), http.StatusCreated, "MOVE /d /e")
			s.mkcol(t, "/d")
		}},
		{"removed", func(t *testing.T, s *server) {
			want(t, guarded(t, s, "DELETE", "/d", ""), http.StatusNoContent, "DELETE /d")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := startServer(t, dir)
			s.mkcol(t, "/d")
			tr := startTrickle(t, s, "/d/f", filepath.Join(dir, "d"), 10, "abc")
			tt.change(t, s)
			want(t, tr.finish(t, "defghij"), http.StatusConflict, "the PUT whose folder changed")
			for _, p := range []string{"/d/f", "/e/f"} {
				if r := s.do(t, "GET", p, ""); r.Status != http.StatusNotFound {
					t.Errorf("GET %s: %s", p, r)
				}
			}
			if left := tempFiles(t, dir); len(left) > 0 {
				t.Errorf("temp files left: %v", left)
			}
			if out := s.Output(); strings.Contains(out, "level=ERROR") {
				t.Errorf("server logged an error:\n%s", out)
			}
		})
	}
}
