package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestPut(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.mkcol(t, "/col")

	t.Run("RFC4918_9.7.1/new-201-replace-204", func(t *testing.T) {
		r := s.do(t, "PUT", "/p.txt", "one")
		want(t, r, http.StatusCreated, "PUT new")
		etag1 := r.Header.Get("ETag")
		if g := s.do(t, "GET", "/p.txt", ""); string(g.Body) != "one" || g.Header.Get("ETag") != etag1 || etag1 == "" {
			t.Errorf("GET after PUT: %q ETag %q, want \"one\" ETag %q", g.Body, g.Header.Get("ETag"), etag1)
		}
		r = s.do(t, "PUT", "/p.txt", "two, longer")
		want(t, r, http.StatusNoContent, "PUT replace")
		etag2 := r.Header.Get("ETag")
		if etag2 == "" || etag2 == etag1 {
			t.Errorf("ETag after replace %q, before %q: want a new one", etag2, etag1)
		}
		if g := s.do(t, "GET", "/p.txt", ""); string(g.Body) != "two, longer" || g.Header.Get("ETag") != etag2 {
			t.Errorf("GET after replace: %q ETag %q", g.Body, g.Header.Get("ETag"))
		}
	})
	t.Run("RFC4918_9.7.1/missing-parent-409", func(t *testing.T) {
		want(t, s.do(t, "PUT", "/no/such/parent.txt", "x"), http.StatusConflict, "PUT under a missing parent")
	})
	t.Run("RFC4918_9.7.2/on-collection-405", func(t *testing.T) {
		want(t, s.do(t, "PUT", "/col", "x"), http.StatusMethodNotAllowed, "PUT on a collection")
		want(t, s.do(t, "PUT", "/col/", "x"), http.StatusMethodNotAllowed, "PUT on a collection/")
	})
	t.Run("RFC9110_13.1.2/If-None-Match-star-on-existing-412", func(t *testing.T) {
		s.put(t, "/inm.txt", "old")
		want(t, s.do(t, "PUT", "/inm.txt", "new", "If-None-Match", "*"), http.StatusPreconditionFailed, "PUT If-None-Match: *")
		if b := s.do(t, "GET", "/inm.txt", "").Body; string(b) != "old" {
			t.Errorf("content %q after a refused PUT, want old", b)
		}
		want(t, s.do(t, "PUT", "/inm-new.txt", "new", "If-None-Match", "*"), http.StatusCreated, "PUT If-None-Match: * on a new file")
	})
	t.Run("RFC9110_13.1.1/If-Match", func(t *testing.T) {
		etag := s.do(t, "PUT", "/im.txt", "old").Header.Get("ETag")
		want(t, s.do(t, "PUT", "/im.txt", "new", "If-Match", `"not-the-etag"`), http.StatusPreconditionFailed, "PUT If-Match mismatch")
		want(t, s.do(t, "PUT", "/im-missing.txt", "new", "If-Match", "*"), http.StatusPreconditionFailed, "PUT If-Match: * on a missing file")
		if b := s.do(t, "GET", "/im.txt", "").Body; string(b) != "old" {
			t.Errorf("content %q after refused PUTs, want old", b)
		}
		want(t, s.do(t, "PUT", "/im.txt", "new", "If-Match", etag), http.StatusNoContent, "PUT If-Match with the current ETag")
	})
}

// TestPutInterrupted checks that an upload whose client goes away mid-body
// leaves the old content byte for byte and no temp file (DESIGN §6).
func TestPutInterrupted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	old := bytes.Repeat([]byte("old content\x00\xff\n"), 100)
	s.put(t, "/victim.bin", string(old))

	for _, target := range []string{"/victim.bin", "/fresh.bin"} {
		conn, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000000\r\n\r\n", target, s.Addr)
		conn.Write(bytes.Repeat([]byte("N"), 1000))
		time.Sleep(50 * time.Millisecond) // let the server start the upload
		conn.Close()
	}

	deadline := time.Now().Add(3 * time.Second)
	var leftovers []string
	for {
		leftovers = leftovers[:0]
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".atomdav-tmp-") {
				leftovers = append(leftovers, e.Name())
			}
		}
		if len(leftovers) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(leftovers) > 0 {
		t.Errorf("DESIGN6: temp files left behind by interrupted uploads: %v", leftovers)
	}
	if got, err := os.ReadFile(dir + "/victim.bin"); err != nil || !bytes.Equal(got, old) {
		t.Errorf("DESIGN6: victim.bin on disk changed by an interrupted upload (%d bytes, %v)", len(got), err)
	}
	if r := s.do(t, "GET", "/victim.bin", ""); !bytes.Equal(r.Body, old) {
		t.Errorf("DESIGN6: GET /victim.bin returns %d bytes, want the old %d", len(r.Body), len(old))
	}
	want(t, s.do(t, "GET", "/fresh.bin", ""), http.StatusNotFound, "GET /fresh.bin after an interrupted upload")
}
