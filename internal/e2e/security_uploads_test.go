package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// holdUpload sends the headers of a PUT of path announcing 10 bytes, hdr
// as name, value pairs, and its first 3 bytes, then waits until the
// served folder dir holds n upload temp files: the server is receiving
// it. finish sends the other 7.
func holdUpload(t *testing.T, s *server, path, dir string, n int, hdr ...string) *trickle {
	t.Helper()
	tr := openPut(t, s, path, 10, "abc", hdr...)
	waitTempFiles(t, dir, n, "PUT "+path)
	return tr
}

// wantNoSlot checks a PUT refused for want of an upload slot: 503, a
// Retry-After and a body that says why.
func wantNoSlot(t *testing.T, r reply, what string) {
	t.Helper()
	want(t, r, http.StatusServiceUnavailable, what)
	if r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "too many uploads in progress") {
		t.Fatalf("%s: Retry-After %q, body %q", what, r.Header.Get("Retry-After"), r.Body)
	}
}

// headersOnly sends a PUT announcing a large body, sends none of it, and
// reads the answer: a refusal must not wait for the body.
func headersOnly(t *testing.T, s *server, path string, hdr ...string) reply {
	t.Helper()
	return openPut(t, s, path, 100000, "", hdr...).answer(t)
}

// pacedBody sends chunks of size bytes, one every pause.
type pacedBody struct {
	chunks, size int
	pause        time.Duration
	sent         int
}

func (p *pacedBody) Read(b []byte) (int, error) {
	if p.sent == p.chunks {
		return 0, io.EOF
	}
	if p.sent > 0 {
		time.Sleep(p.pause)
	}
	p.sent++
	return copy(b, strings.Repeat("x", min(p.size, len(b)))), nil
}

// TestUploadMinRate (DESIGN §7, upload body rate): a PUT body that keeps
// sending, but 10 bytes a second against --upload-min-rate 1000, ends
// with 408 once its first window (--upload-idle-timeout) is over, leaving
// no file and no temp file; a body paced well above the rate, for longer
// than a window, is received whole.
func TestUploadMinRate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir, "--upload-min-rate", "1000", "--upload-idle-timeout", "2s")
	s.mkcol(t, "/d")
	tr := startTrickle(t, s, "/d/f", dir, 100000, "0123456789")
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := io.WriteString(tr.conn, "0123456789"); err != nil {
					return
				}
			}
		}
	}()
	r := tr.answer(t)
	close(stop)
	want(t, r, http.StatusRequestTimeout, "a PUT trickling 10 bytes a second")
	if !strings.Contains(string(r.Body), "under 1000 bytes a second") {
		t.Errorf("the 408 does not say why: %q", r.Body)
	}
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Fatalf("temp files left after the 408: %v", left)
	}
	want(t, s.do(t, "GET", "/d/f", ""), http.StatusNotFound, "GET of the cut upload")

	// 10 kB a second for 3 s: ten times the minimum, over more than a window.
	body := &pacedBody{chunks: 60, size: 500, pause: 50 * time.Millisecond}
	req, err := s.request("PUT", "/d/g", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 60 * 500
	r, err = s.sendRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	want(t, r, http.StatusCreated, "a PUT paced above the minimum rate")
	if r := s.do(t, "GET", "/d/g", ""); r.Status != http.StatusOK || string(r.Body) != strings.Repeat("x", 60*500) {
		t.Fatalf("GET /d/g: %d, %d bytes", r.Status, len(r.Body))
	}
}

// TestMaxUploadsPerUser (DESIGN §7, every user may work against the
// others): with --max-uploads-per-user 2, a user with two PUT bodies under
// way gets 503 with Retry-After for a third, at once and with no temp
// file made, while another user's PUT succeeds; when one of the two
// finishes the user may upload again.
func TestMaxUploadsPerUser(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := start(t, dir, nil, []string{"--config", raceConfig(t), "--max-uploads-per-user", "2"})
	ann, ben := basicCreds("ann", "ann"), basicCreds("ben", "ben")
	first := holdUpload(t, s, "/a1", dir, 1, ann...)
	holdUpload(t, s, "/a2", dir, 2, ann...)

	wantNoSlot(t, s.do(t, "PUT", "/a3", "third", ann...), "ann's third PUT at once")
	wantNoSlot(t, headersOnly(t, s, "/a3", ann...), "ann's third PUT, its body not sent")
	if n := len(tempFiles(t, dir)); n != 2 {
		t.Fatalf("%d temp files, want ann's 2: a refused PUT made one", n)
	}
	want(t, s.do(t, "PUT", "/b1", "ben's", ben...), http.StatusCreated, "ben's PUT while ann holds her two")

	want(t, first.finish(t, "defghij"), http.StatusCreated, "ann's first slow PUT")
	want(t, s.do(t, "PUT", "/a3", "third", ann...), http.StatusCreated, "ann's PUT once one of hers finished")
}

// TestMaxUploads (DESIGN §7): with --max-uploads 2, two PUT bodies under
// way make a third 503 with Retry-After; once they finish, uploads work
// again.
func TestMaxUploads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir, "--max-uploads", "2")
	one := holdUpload(t, s, "/f1", dir, 1)
	two := holdUpload(t, s, "/f2", dir, 2)
	wantNoSlot(t, s.do(t, "PUT", "/f3", "third"), "a third PUT at once")
	wantNoSlot(t, headersOnly(t, s, "/f3"), "a third PUT, its body not sent")

	want(t, one.finish(t, "defghij"), http.StatusCreated, "the first slow PUT")
	want(t, two.finish(t, "defghij"), http.StatusCreated, "the second slow PUT")
	want(t, s.do(t, "PUT", "/f3", "third"), http.StatusCreated, "a PUT once the slow ones finished")
	if r := s.do(t, "GET", "/f1", ""); string(r.Body) != "abcdefghij" {
		t.Fatalf("GET /f1: %s", r)
	}
}
