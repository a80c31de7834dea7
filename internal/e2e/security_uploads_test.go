package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

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
