package dav

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/bolt"
	"github.com/atomdav/atomdav/storage/uploads"
)

// chunkServer routes as the Nextcloud layout does: each of alice and bob
// (Basic auth's user name, no password checked) gets their view of
// /<name>, its files under /remote.php/dav/files/<name> and its uploads
// under /remote.php/dav/uploads/<name>.
type chunkServer struct {
	h    *Handler
	root string
}

func newChunkServer(t testing.TB, cfg Config) *chunkServer {
	t.Helper()
	root := t.TempDir()
	for _, u := range []string{"alice", "bob"} {
		os.MkdirAll(filepath.Join(root, u), 0o755)
	}
	ups, err := uploads.Open(filepath.Join(t.TempDir(), "uploads"), uploads.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Uploads = ups
	return &chunkServer{h: newHandlerAt(t, root, bolt.Options{}, cfg), root: root}
}

func (s *chunkServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, _, _ := r.BasicAuth()
	if user != "alice" && user != "bob" {
		http.Error(w, "who?", http.StatusUnauthorized)
		return
	}
	view := s.h.Scoped(user, "/"+user, false)
	uploadsPrefix, filesPrefix := "/remote.php/dav/uploads/"+user, "/remote.php/dav/files/"+user
	switch {
	case strings.HasPrefix(r.URL.Path, uploadsPrefix):
		view.ServeUploads(w, r, uploadsPrefix, filesPrefix)
	case strings.HasPrefix(r.URL.Path, filesPrefix):
		view.Mounted(filesPrefix).ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

// req sends one request as user; hdr are name, value pairs.
func (s *chunkServer) req(t testing.TB, user, method, p, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, p, strings.NewReader(body))
	r.SetBasicAuth(user, "x")
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func (s *chunkServer) must(t testing.TB, want int, user, method, p, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	w := s.req(t, user, method, p, body, hdr...)
	if w.Code != want {
		t.Fatalf("%s %s as %s: %d, want %d: %s", method, p, user, w.Code, want, w.Body)
	}
	return w
}

func (s *chunkServer) file(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	upA   = "/remote.php/dav/uploads/alice"
	filA  = "/remote.php/dav/files/alice"
	destA = "http://example.com" + filA + "/big.bin"
)

// TestChunkedUploadV2: chunks sent out of order, one retried, assemble in
// numeric order into the Destination (201, ETag); the upload folder is
// gone after, so a second MOVE is 404; a new upload replacing the file is
// 204.
func TestChunkedUploadV2(t *testing.T) {
	t.Parallel()
	s := newChunkServer(t, Config{})
	s.must(t, 201, "alice", "MKCOL", upA+"/web-file-upload-1", "", "Destination", destA, "OC-Total-Length", "12")
	for _, c := range [][2]string{{"3", "ccc"}, {"1", "XXX"}, {"4", "ddd"}, {"2", "bbb"}} {
		s.must(t, 201, "alice", "PUT", upA+"/web-file-upload-1/"+c[0], c[1], "Destination", destA, "OC-Total-Length", "12")
	}
	s.must(t, 204, "alice", "PUT", upA+"/web-file-upload-1/1", "aaa", "Destination", destA) // a retry replaces
	w := s.must(t, 201, "alice", "MOVE", upA+"/web-file-upload-1/.file", "", "Destination", destA, "OC-Total-Length", "12", "X-OC-Mtime", "1700000000")
	if got := s.file(t, "alice/big.bin"); got != "aaabbbcccddd" {
		t.Errorf("assembled %q", got)
	}
	if w.Header().Get("ETag") == "" || w.Header().Get("X-OC-Mtime") != "accepted" {
		t.Errorf("MOVE answer headers: %v", w.Header())
	}
	if fi, _ := os.Stat(filepath.Join(s.root, "alice", "big.bin")); fi.ModTime().Unix() != 1700000000 {
		t.Errorf("mtime %v", fi.ModTime())
	}
	s.must(t, 404, "alice", "MOVE", upA+"/web-file-upload-1/.file", "", "Destination", destA)
	s.must(t, 201, "alice", "MKCOL", upA+"/web-file-upload-2", "", "Destination", destA)
	s.must(t, 201, "alice", "PUT", upA+"/web-file-upload-2/00001", "new", "Destination", destA)
	s.must(t, 204, "alice", "MOVE", upA+"/web-file-upload-2/.file", "", "Destination", destA)
	if got := s.file(t, "alice/big.bin"); got != "new" {
		t.Errorf("replaced by %q", got)
	}
}

// TestChunkedUploadRclone: rclone's way: MKCOL without Destination,
// chunks named by byte range, MOVE with OC-Checksum and X-OC-Mtime.
func TestChunkedUploadRclone(t *testing.T) {
	t.Parallel()
	s := newChunkServer(t, Config{})
	id := upA + "/rclone-chunked-upload-d41d8cd98f00b204e9800998ecf8427e"
	s.must(t, 404, "alice", "DELETE", id+"/", "") // rclone purges first
	s.must(t, 201, "alice", "MKCOL", id+"/", "")
	s.must(t, 201, "alice", "PUT", id+"/000000000000005-000000000000009", "fghij", "Content-Type", "application/x-www-form-urlencoded")
	s.must(t, 400, "alice", "PUT", id+"/000000000000000-000000000000004", "abcd") // shorter than its name says
	s.must(t, 201, "alice", "PUT", id+"/000000000000000-000000000000004", "abcde")
	sum := sha1.Sum([]byte("abcdefghij"))
	s.must(t, 400, "alice", "MOVE", id+"/.file", "", "Destination", destA, "OC-Checksum", "SHA1:"+strings.Repeat("0", 40))
	if _, err := os.Stat(filepath.Join(s.root, "alice", "big.bin")); !os.IsNotExist(err) {
		t.Fatalf("a refused assembly left a file: %v", err)
	}
	s.must(t, 201, "alice", "MOVE", id+"/.file", "", "Destination", destA, "OC-Checksum", "SHA1:"+hex.EncodeToString(sum[:]))
	if got := s.file(t, "alice/big.bin"); got != "abcdefghij" {
		t.Errorf("assembled %q", got)
	}
}

// TestChunkedUploadDesktopNames: the Nextcloud desktop client's chunk
// names: v2 numbers padded to 5 digits (1 to 10000 only); older clients
// (chunking v1, no Destination at MKCOL) chunk indexes padded to 8
// digits, or byte offsets padded to 16.
func TestChunkedUploadDesktopNames(t *testing.T) {
	t.Parallel()
	s := newChunkServer(t, Config{})
	s.must(t, 201, "alice", "MKCOL", upA+"/1234", "", "Destination", destA)
	s.must(t, 400, "alice", "PUT", upA+"/1234/00000", "x", "Destination", destA)
	s.must(t, 400, "alice", "PUT", upA+"/1234/10001", "x", "Destination", destA)
	s.must(t, 201, "alice", "PUT", upA+"/1234/00002", "bb", "Destination", destA)
	s.must(t, 201, "alice", "PUT", upA+"/1234/00001", "a", "Destination", destA)
	s.must(t, 201, "alice", "MOVE", upA+"/1234/.file", "", "Destination", destA, "OC-Total-Length", "3")
	if got := s.file(t, "alice/big.bin"); got != "abb" {
		t.Errorf("v2: %q", got)
	}
	s.must(t, 201, "alice", "MKCOL", upA+"/5678", "")
	for _, c := range [][2]string{{"0000000000000004", "efgh"}, {"0000000000000000", "abcd"}, {"0000000000000008", "ij"}} {
		s.must(t, 201, "alice", "PUT", upA+"/5678/"+c[0], c[1])
	}
	s.must(t, 204, "alice", "MOVE", upA+"/5678/.file", "", "Destination", destA, "OC-Total-Length", "10")
	if got := s.file(t, "alice/big.bin"); got != "abcdefghij" {
		t.Errorf("v1 by offset: %q", got)
	}
	s.must(t, 201, "alice", "MKCOL", upA+"/9", "")
	s.must(t, 201, "alice", "PUT", upA+"/9/00000001", "yz")
	s.must(t, 201, "alice", "PUT", upA+"/9/00000000", "wx")
	// The desktop client names the destination's ETag in a tagged If
	// list ("If-Match applies to the source").
	etag := s.must(t, 200, "alice", "HEAD", filA+"/big.bin", "").Header().Get("ETag")
	s.must(t, 412, "alice", "MOVE", upA+"/9/.file", "", "Destination", destA, "If", "<"+filA+"/big.bin> ([\"stale\"])")
	s.must(t, 204, "alice", "MOVE", upA+"/9/.file", "", "Destination", destA, "If", "<"+filA+"/big.bin> (["+etag+"])")
	if got := s.file(t, "alice/big.bin"); got != "wxyz" {
		t.Errorf("v1 by index: %q", got)
	}
}

// TestChunkedUploadRefusals: what does not add up is 400 and replaces
// nothing; the upload stays for a retry.
func TestChunkedUploadRefusals(t *testing.T) {
	t.Parallel()
	s := newChunkServer(t, Config{MaxUploadBytes: 10})
	os.WriteFile(filepath.Join(s.root, "alice", "big.bin"), []byte("old"), 0o644)
	id := upA + "/u1"
	s.must(t, 201, "alice", "MKCOL", id, "", "Destination", destA, "OC-Total-Length", "6")
	s.must(t, 405, "alice", "MKCOL", id, "")
	s.must(t, 201, "alice", "PUT", id+"/1", "abc")
	s.must(t, 400, "alice", "PUT", id+"/2", "def", "OC-Total-Length", "7")
	s.must(t, 400, "alice", "PUT", id+"/2", "def", "Destination", filA+"/other")
	s.must(t, 400, "alice", "PUT", id+"/x", "def")      // not a chunk name
	s.must(t, 413, "alice", "PUT", id+"/2", "defghijk") // 3+8 > max-upload-bytes
	s.must(t, 400, "alice", "PUT", id+"/3", "ghi", "OC-Checksum", "SHA1:"+strings.Repeat("0", 40))
	s.must(t, 400, "alice", "PUT", id+"/3", "ghi", "OC-Checksum", "MD5:xyz")
	ghi := sha1.Sum([]byte("ghi"))
	s.must(t, 201, "alice", "PUT", id+"/3", "ghi", "OC-Checksum", "SHA1:"+hex.EncodeToString(ghi[:]))
	s.must(t, 400, "alice", "MOVE", id+"/.file", "", "Destination", destA) // chunk 2 missing
	s.must(t, 201, "alice", "PUT", id+"/2", "def")
	s.must(t, 400, "alice", "MOVE", id+"/.file", "", "Destination", destA) // 9 bytes, OC-Total-Length 6 at MKCOL
	s.must(t, 400, "alice", "MOVE", id+"/.file", "", "Destination", filA+"/elsewhere")
	if got := s.file(t, "alice/big.bin"); got != "old" {
		t.Fatalf("a refused assembly replaced the file: %q", got)
	}
	s.must(t, 405, "alice", "DELETE", id+"/3", "")
	s.must(t, 405, "alice", "GET", id+"/3", "") // chunks cannot be downloaded (v2)
	s.must(t, 404, "alice", "GET", id+"/3/x", "")
	s.must(t, 400, "alice", "MKCOL", upA+"/.hidden", "")
	s.must(t, 400, "alice", "MKCOL", upA+"/a%20b", "")
	s.must(t, 403, "alice", "MKCOL", id+"2", "", "Destination", "/remote.php/dav/files/bob/x")
	s.must(t, 403, "alice", "MKCOL", id+"2", "", "Destination", filA+"/")
	s.must(t, 502, "alice", "MKCOL", id+"2", "", "Destination", "http://elsewhere.example"+filA+"/x")
}

// TestChunkedUploadLocked: assembling onto a file locked by another
// client, without the token, is 423 and changes nothing; with the token
// in If, it assembles.
func TestChunkedUploadLocked(t *testing.T) {
	t.Parallel()
	s := newChunkServer(t, Config{})
	os.WriteFile(filepath.Join(s.root, "alice", "big.bin"), []byte("old"), 0o644)
	l, err := s.h.locks.CreateLock(context.Background(), storage.Lock{Token: newToken(), Root: "/alice/big.bin", Depth0: true, Principal: "alice", Timeout: time.Minute}, storage.LockLimits{})
	if err != nil {
		t.Fatal(err)
	}
	s.must(t, 201, "alice", "MKCOL", upA+"/u", "")
	s.must(t, 201, "alice", "PUT", upA+"/u/1", "new")
	s.must(t, 423, "alice", "MOVE", upA+"/u/.file", "", "Destination", destA)
	if got := s.file(t, "alice/big.bin"); got != "old" {
		t.Fatalf("locked file replaced: %q", got)
	}
	s.must(t, 204, "alice", "MOVE", upA+"/u/.file", "", "Destination", destA, "If", "(<"+l.Token+">)")
	if got := s.file(t, "alice/big.bin"); got != "new" {
		t.Fatalf("assembled %q", got)
	}
}

// TestChunkedUploadPerUser: bob's uploads home is his own: alice's upload
// is not there for him to list, fill, assemble or abort, and he cannot
// assemble his own into her files.
func TestChunkedUploadPerUser(t *testing.T) {
	t.Parallel()
	s := newChunkServer(t, Config{})
	s.must(t, 201, "alice", "MKCOL", upA+"/secret-upload", "")
	s.must(t, 201, "alice", "PUT", upA+"/secret-upload/1", "alice's")
	upB := "/remote.php/dav/uploads/bob"
	w := s.must(t, 207, "bob", "PROPFIND", upB+"/", "", "Depth", "1")
	if strings.Contains(w.Body.String(), "secret-upload") {
		t.Errorf("bob sees alice's upload:\n%s", w.Body)
	}
	s.must(t, 404, "bob", "PROPFIND", upB+"/secret-upload", "", "Depth", "1")
	s.must(t, 404, "bob", "PUT", upB+"/secret-upload/2", "bob's")
	s.must(t, 404, "bob", "MOVE", upB+"/secret-upload/.file", "", "Destination", "/remote.php/dav/files/bob/stolen")
	s.must(t, 404, "bob", "DELETE", upB+"/secret-upload", "")
	s.must(t, 201, "bob", "MKCOL", upB+"/secret-upload", "") // the same id is his own upload
	s.must(t, 201, "bob", "PUT", upB+"/secret-upload/1", "bob's")
	s.must(t, 403, "bob", "MOVE", upB+"/secret-upload/.file", "", "Destination", destA)
	s.must(t, 201, "alice", "MOVE", upA+"/secret-upload/.file", "", "Destination", destA)
	if got := s.file(t, "alice/big.bin"); got != "alice's" {
		t.Errorf("alice's file holds %q", got)
	}
}

// TestChunkedUploadPropfindDelete: PROPFIND lists the chunks received
// (to resume), DELETE aborts the upload.
func TestChunkedUploadPropfindDelete(t *testing.T) {
	t.Parallel()
	s := newChunkServer(t, Config{})
	s.must(t, 201, "alice", "MKCOL", upA+"/u", "")
	s.must(t, 201, "alice", "PUT", upA+"/u/2", "12345")
	w := s.must(t, 207, "alice", "PROPFIND", upA+"/u/", `<?xml version="1.0"?><propfind xmlns="DAV:"><allprop/></propfind>`, "Depth", "1")
	body := w.Body.String()
	for _, want := range []string{"<D:href>" + upA + "/u/</D:href>", "<D:href>" + upA + "/u/2</D:href>", "<D:getcontentlength>5</D:getcontentlength>", "<D:collection/>"} {
		if !strings.Contains(body, want) {
			t.Errorf("PROPFIND lacks %s:\n%s", want, body)
		}
	}
	w = s.must(t, 207, "alice", "PROPFIND", upA+"/u/", "", "Depth", "0")
	if strings.Contains(w.Body.String(), "/u/2<") {
		t.Errorf("Depth 0 lists a chunk:\n%s", w.Body)
	}
	s.must(t, 204, "alice", "DELETE", upA+"/u/", "")
	s.must(t, 404, "alice", "PUT", upA+"/u/3", "x")
	s.must(t, 404, "alice", "PROPFIND", upA+"/u/", "", "Depth", "1")
}

// TestChunkedUploadReadOnly: a read-only view may list its uploads but
// neither begin, fill, assemble nor abort one (403).
func TestChunkedUploadReadOnly(t *testing.T) {
	t.Parallel()
	s := newChunkServer(t, Config{})
	s.must(t, 201, "alice", "MKCOL", upA+"/u", "")
	s.must(t, 201, "alice", "PUT", upA+"/u/1", "x")
	ro := s.h.Scoped("alice", "/alice", true)
	for _, m := range [][2]string{{"MKCOL", "/v"}, {"PUT", "/u/2"}, {"MOVE", "/u/.file"}, {"DELETE", "/u"}, {"PROPFIND", "/u"}} {
		r := httptest.NewRequest(m[0], upA+m[1], strings.NewReader("y"))
		r.Header.Set("Destination", destA)
		w := httptest.NewRecorder()
		ro.ServeUploads(w, r, upA, filA)
		want := http.StatusForbidden
		if m[0] == "PROPFIND" {
			want = http.StatusMultiStatus
		}
		if w.Code != want {
			t.Errorf("read-only %s %s: %d, want %d", m[0], m[1], w.Code, want)
		}
	}
	if got := s.must(t, 207, "alice", "PROPFIND", upA+"/u", "", "Depth", "1").Body.String(); !strings.Contains(got, "/u/1<") {
		t.Errorf("the read-only view changed the upload:\n%s", got)
	}
}

// TestChunkedUploadOff: without an upload store every request is 501.
func TestChunkedUploadOff(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	w := httptest.NewRecorder()
	h.ServeUploads(w, httptest.NewRequest("MKCOL", upA+"/x", nil), upA, filA)
	if w.Code != http.StatusNotImplemented {
		t.Errorf("MKCOL without an upload store: %d", w.Code)
	}
}

// BenchmarkChunkedAssembly compares assembling an upload of n chunks
// (the chunk PUTs and the MOVE) against one PUT of the same bytes.
func BenchmarkChunkedAssembly(b *testing.B) {
	const size, chunk = 64 << 20, 8 << 20
	data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	s := newChunkServer(b, Config{})
	b.Run("put", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			w := s.req(b, "alice", "PUT", filA+"/one.bin", string(data))
			if w.Code >= 300 {
				b.Fatal(w.Code)
			}
		}
	})
	b.Run(fmt.Sprintf("chunked-%d", size/chunk), func(b *testing.B) {
		b.SetBytes(size)
		i := 0
		for b.Loop() {
			i++
			id := fmt.Sprintf("%s/b%d", upA, i)
			s.must(b, 201, "alice", "MKCOL", id, "")
			for n := 0; n < size/chunk; n++ {
				s.must(b, 201, "alice", "PUT", fmt.Sprintf("%s/%d", id, n+1), string(data[n*chunk:(n+1)*chunk]))
			}
			if w := s.req(b, "alice", "MOVE", id+"/.file", "", "Destination", destA); w.Code >= 300 {
				b.Fatal(w.Code)
			}
		}
	})
}
