package dav

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzUploadHeaders checks the headers of a chunked upload's MKCOL, chunk
// PUT and MOVE: Destination (resolved in the files view, as a PUT's URL)
// and OC-Total-Length. Refusals are 4xx (502 for another host), never a
// panic; an accepted Destination is a file of the view, below its root,
// not the state folder; an accepted length is not negative.
func FuzzUploadHeaders(f *testing.F) {
	for _, s := range [][2]string{
		{"http://example.com" + filA + "/big.bin", "12"},
		{filA + "/c/n", "0"},
		{filA + "/", "-1"},
		{filA + "/../bob/x", "1e3"},
		{"/remote.php/dav/files/bob/x", " 5"},
		{filA + "/%2e%2e/x", "99999999999999999999"},
		{"http://other.example" + filA + "/x", ""},
		{filA + "/a\x01b", "+7"},
	} {
		f.Add(s[0], s[1])
	}
	s := newChunkServer(f, Config{})
	files := s.h.Scoped("alice", "/alice", false).Mounted(filA)
	f.Fuzz(func(t *testing.T, dest, total string) {
		r := httptest.NewRequest("MKCOL", upA+"/x", nil)
		setHeaders(r, "Destination", dest, "OC-Total-Length", total)
		if n, err := totalLength(r); err != nil && statusOf(err) != http.StatusBadRequest || err == nil && n < -1 {
			t.Fatalf("OC-Total-Length %q: %d, %v", total, n, err)
		}
		if dest == "" {
			return
		}
		p, _, err := files.uploadDestination(r)
		if err != nil {
			if st := statusOf(err); st < 400 || st >= 500 && st != http.StatusBadGateway {
				t.Fatalf("Destination %q: status %d (%v)", dest, st, err)
			}
			return
		}
		if !strings.HasPrefix(p, "/alice/") || p == "/alice/" || files.fs.IsHidden(p) {
			t.Fatalf("Destination %q accepted as %q", dest, p)
		}
	})
}
