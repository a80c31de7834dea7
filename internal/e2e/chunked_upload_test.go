package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Nextcloud's chunked uploads (chunking v2, and the byte-range chunk
// names rclone sends) through the real binary, at the Nextcloud layout's
// URLs: MKCOL /remote.php/dav/uploads/<user>/<id>, PUT …/<id>/<n>, MOVE
// …/<id>/.file onto /remote.php/dav/files/<user>/<path>, DELETE …/<id>.

const chunkPassword = "chunky bacon"

// chunkUser is one user's session: their credentials and URLs.
type chunkUser struct {
	s            *server
	name         string
	creds        []string
	uploads, dav string // URL paths of their uploads and files
}

func newChunkUser(s *server, name string) *chunkUser {
	return &chunkUser{s: s, name: name, creds: basicCreds(name, chunkPassword),
		uploads: "/remote.php/dav/uploads/" + name, dav: "/remote.php/dav/files/" + name}
}

// do sends a request as the user; hdr are more header pairs.
func (u *chunkUser) do(t testing.TB, method, path, body string, hdr ...string) reply {
	t.Helper()
	return u.s.do(t, method, path, body, withHeaders(u.creds, hdr...)...)
}

func (u *chunkUser) must(t testing.TB, status int, method, path, body string, hdr ...string) reply {
	t.Helper()
	r := u.do(t, method, path, body, hdr...)
	want(t, r, status, fmt.Sprintf("%s %s as %s", method, path, u.name))
	return r
}

// dest is the Destination header value naming the user's file p.
func (u *chunkUser) dest(p string) string { return u.s.URL + u.dav + p }

// startChunkServer serves a folder with alice (/alice) and bob (/bob),
// with args added.
func startChunkServer(t *testing.T, dir string, args ...string) *server {
	t.Helper()
	for _, d := range []string{"alice", "bob"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	cfg := usersConfig(t, []testUser{{"alice", chunkPassword, "/alice", false}, {"bob", chunkPassword, "/bob", false}})
	return start(t, dir, nil, append([]string{"--config", cfg}, args...))
}

func fileIs(t *testing.T, dir, p, content string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
	if err != nil || string(b) != content {
		t.Fatalf("%s holds %q (%v), want %q", p, b, err, content)
	}
}

// TestChunkedUpload: chunks out of order and one retried assemble in
// order; a wrong OC-Total-Length or a missing chunk is 400 and replaces
// nothing; onto a locked file without the token, 423; the upload folder
// is gone after a MOVE that succeeded; DELETE aborts.
func TestChunkedUpload(t *testing.T) {
	dir := t.TempDir()
	s := startChunkServer(t, dir)
	alice := newChunkUser(s, "alice")
	os.WriteFile(filepath.Join(dir, "alice", "big.bin"), []byte("old content"), 0o644)
	id := alice.uploads + "/web-file-upload-0123456789abcdef"
	dest := alice.dest("/big.bin")
	alice.must(t, http.StatusCreated, "MKCOL", id, "", "Destination", dest, "OC-Total-Length", "15")
	alice.must(t, http.StatusMethodNotAllowed, "MKCOL", id, "", "Destination", dest)
	for _, c := range [][2]string{{"3", "33333"}, {"1", "XXXXX"}, {"2", "22222"}} {
		alice.must(t, http.StatusCreated, "PUT", id+"/"+c[0], c[1], "Destination", dest, "OC-Total-Length", "15")
	}
	alice.must(t, http.StatusNoContent, "PUT", id+"/1", "11111", "Destination", dest, "OC-Total-Length", "15")
	alice.must(t, http.StatusBadRequest, "PUT", id+"/4", "4", "Destination", dest, "OC-Total-Length", "16")
	alice.must(t, http.StatusBadRequest, "MOVE", id+"/.file", "", "Destination", dest, "OC-Total-Length", "16")
	fileIs(t, dir, "alice/big.bin", "old content")

	tok := alice.s.mustLock(t, "/big.bin", "exclusive", alice.creds...) // another client of alice's
	alice.must(t, http.StatusLocked, "MOVE", id+"/.file", "", "Destination", dest, "OC-Total-Length", "15")
	fileIs(t, dir, "alice/big.bin", "old content")
	r := alice.must(t, http.StatusNoContent, "MOVE", id+"/.file", "", "Destination", dest, "OC-Total-Length", "15",
		"If", ifToken(tok), "X-OC-Mtime", "1600000000")
	fileIs(t, dir, "alice/big.bin", "111112222233333")
	if r.Header.Get("ETag") == "" || r.Header.Get("X-OC-Mtime") != "accepted" {
		t.Errorf("MOVE .file answered %v", r.Header)
	}
	if fi, err := os.Stat(filepath.Join(dir, "alice", "big.bin")); err != nil || fi.ModTime().Unix() != 1600000000 {
		t.Errorf("X-OC-Mtime not applied: %v %v", fi.ModTime(), err)
	}
	alice.must(t, http.StatusNotFound, "PROPFIND", id, "", "Depth", "1") // the folder is gone

	gap := alice.uploads + "/gap"
	alice.must(t, http.StatusCreated, "MKCOL", gap, "")
	alice.must(t, http.StatusCreated, "PUT", gap+"/1", "a")
	alice.must(t, http.StatusCreated, "PUT", gap+"/3", "c")
	alice.must(t, http.StatusBadRequest, "MOVE", gap+"/.file", "", "Destination", alice.dest("/gap.bin"))
	alice.must(t, http.StatusNoContent, "DELETE", gap, "")
	alice.must(t, http.StatusNotFound, "PUT", gap+"/2", "b")
	alice.must(t, http.StatusNotFound, "MOVE", gap+"/.file", "", "Destination", alice.dest("/gap.bin"))
	if _, err := os.Stat(filepath.Join(dir, "alice", "gap.bin")); !os.IsNotExist(err) {
		t.Errorf("an aborted upload made a file: %v", err)
	}
}

// TestChunkedUploadRcloneNames: rclone's sequence (DELETE to purge, MKCOL
// with no Destination, chunks named by byte range, MOVE) in 10 MiB-like
// chunks, here small.
func TestChunkedUploadRcloneNames(t *testing.T) {
	dir := t.TempDir()
	s := startChunkServer(t, dir)
	alice := newChunkUser(s, "alice")
	data := bytes.Repeat([]byte("0123456789"), 2500) // 25000 bytes
	const chunk = 10000
	id := alice.uploads + "/rclone-chunked-upload-9e107d9d372bb6826bd81d3542a419d6"
	alice.must(t, http.StatusNotFound, "DELETE", id+"/", "")
	alice.must(t, http.StatusCreated, "MKCOL", id+"/", "")
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		name := fmt.Sprintf("%015d-%015d", off, end-1)
		alice.must(t, http.StatusCreated, "PUT", id+"/"+name, string(data[off:end]), "Content-Type", "application/x-www-form-urlencoded")
	}
	alice.must(t, http.StatusCreated, "MOVE", id+"/.file", "", "Destination", alice.dest("/r.bin"))
	fileIs(t, dir, "alice/r.bin", string(data))
}

// TestChunkedUploadOtherUser: bob neither sees alice's upload nor can
// fill, finish or abort it; his own upload cannot land in her files.
func TestChunkedUploadOtherUser(t *testing.T) {
	dir := t.TempDir()
	s := startChunkServer(t, dir)
	alice, bob := newChunkUser(s, "alice"), newChunkUser(s, "bob")
	id := "/private-upload-1"
	alice.must(t, http.StatusCreated, "MKCOL", alice.uploads+id, "")
	alice.must(t, http.StatusCreated, "PUT", alice.uploads+id+"/1", "alice's secret")
	for _, m := range [][2]string{{"PROPFIND", ""}, {"PUT", "/2"}, {"MOVE", "/.file"}, {"DELETE", ""}} {
		if r := bob.do(t, m[0], alice.uploads+id+m[1], "x", "Destination", bob.dest("/stolen"), "Depth", "1"); r.Status < 400 {
			t.Errorf("bob's %s of alice's upload URL: %s", m[0], r)
		}
		if r := bob.do(t, m[0], bob.uploads+id+m[1], "x", "Destination", bob.dest("/stolen"), "Depth", "1"); r.Status != http.StatusNotFound {
			t.Errorf("bob's %s of the same id in his uploads: %s", m[0], r)
		}
	}
	r := bob.must(t, http.StatusMultiStatus, "PROPFIND", bob.uploads+"/", "", "Depth", "1")
	if strings.Contains(string(r.Body), "private-upload") {
		t.Errorf("bob lists alice's upload:\n%s", r.Body)
	}
	bob.must(t, http.StatusCreated, "MKCOL", bob.uploads+"/b", "")
	bob.must(t, http.StatusCreated, "PUT", bob.uploads+"/b/1", "bob's")
	if r := bob.do(t, "MOVE", bob.uploads+"/b/.file", "", "Destination", alice.dest("/planted")); r.Status < 400 {
		t.Errorf("bob assembled into alice's files: %s", r)
	}
	alice.must(t, http.StatusCreated, "MOVE", alice.uploads+id+"/.file", "", "Destination", alice.dest("/mine"))
	fileIs(t, dir, "alice/mine", "alice's secret")
	if _, err := os.Stat(filepath.Join(dir, "alice", "planted")); !os.IsNotExist(err) {
		t.Errorf("bob's chunks landed in alice's folder: %v", err)
	}
}

// TestChunkedUploadRestart: chunks survive a graceful restart and a kill
// -9 between them and the MOVE, which then assembles them.
func TestChunkedUploadRestart(t *testing.T) {
	dir := t.TempDir()
	s := startChunkServer(t, dir)
	alice := newChunkUser(s, "alice")
	id := alice.uploads + "/survivor"
	alice.must(t, http.StatusCreated, "MKCOL", id, "", "Destination", alice.dest("/s.bin"), "OC-Total-Length", "9")
	alice.must(t, http.StatusCreated, "PUT", id+"/1", "aaa")
	s.Stop()
	s = startChunkServer(t, dir)
	alice = newChunkUser(s, "alice")
	alice.must(t, http.StatusCreated, "PUT", id+"/2", "bbb")
	s.Kill9()
	s = startChunkServer(t, dir)
	alice = newChunkUser(s, "alice")
	alice.must(t, http.StatusCreated, "PUT", id+"/3", "ccc")
	r := alice.must(t, http.StatusMultiStatus, "PROPFIND", id, "", "Depth", "1")
	if n := strings.Count(string(r.Body), "<D:getcontentlength>3<"); n != 3 {
		t.Errorf("after restarts PROPFIND lists %d chunks:\n%s", n, r.Body)
	}
	alice.must(t, http.StatusBadRequest, "MOVE", id+"/.file", "", "Destination", alice.dest("/other.bin"))
	alice.must(t, http.StatusCreated, "MOVE", id+"/.file", "", "Destination", alice.dest("/s.bin"), "OC-Total-Length", "9")
	fileIs(t, dir, "alice/s.bin", "aaabbbccc")
}

// TestChunkedUploadExpiry: an upload left untouched longer than
// chunked-upload-expiry is swept, while serving and at start-up.
func TestChunkedUploadExpiry(t *testing.T) {
	dir := t.TempDir()
	s := startChunkServer(t, dir, "--chunked-upload-expiry", "2s")
	alice := newChunkUser(s, "alice")
	alice.must(t, http.StatusCreated, "MKCOL", alice.uploads+"/left", "")
	alice.must(t, http.StatusCreated, "PUT", alice.uploads+"/left/1", "x")
	deadline := time.Now().Add(30 * time.Second)
	for alice.do(t, "PROPFIND", alice.uploads+"/left", "", "Depth", "0").Status != http.StatusNotFound {
		if time.Now().After(deadline) {
			t.Fatal("the upload was not swept within 30s of a 2s expiry")
		}
		time.Sleep(200 * time.Millisecond)
	}
	alice.must(t, http.StatusNotFound, "MOVE", alice.uploads+"/left/.file", "", "Destination", alice.dest("/left.bin"))

	alice.must(t, http.StatusCreated, "MKCOL", alice.uploads+"/while-down", "")
	s.Stop()
	past := time.Now().Add(-time.Hour)
	folders, _ := filepath.Glob(filepath.Join(dir, ".atomdav", "uploads", "*", "while-down"))
	if len(folders) != 1 {
		t.Fatalf("upload folder on disk: %v", folders)
	}
	os.Chtimes(folders[0], past, past)
	s = startChunkServer(t, dir, "--chunked-upload-expiry", "1h")
	alice = newChunkUser(s, "alice")
	alice.must(t, http.StatusNotFound, "PROPFIND", alice.uploads+"/while-down", "", "Depth", "0")
}

// TestChunkedUploadBounds: max-chunked-uploads-per-user and
// max-chunked-upload-bytes-per-user refuse with 507, max-upload-bytes
// bounds an upload's chunks together with 413.
func TestChunkedUploadBounds(t *testing.T) {
	dir := t.TempDir()
	s := startChunkServer(t, dir, "--max-chunked-uploads-per-user", "2", "--max-chunked-upload-bytes-per-user", "10", "--max-upload-bytes", "8")
	alice, bob := newChunkUser(s, "alice"), newChunkUser(s, "bob")
	alice.must(t, http.StatusCreated, "MKCOL", alice.uploads+"/a", "")
	alice.must(t, http.StatusCreated, "MKCOL", alice.uploads+"/b", "")
	alice.must(t, http.StatusInsufficientStorage, "MKCOL", alice.uploads+"/c", "")
	bob.must(t, http.StatusCreated, "MKCOL", bob.uploads+"/c", "") // bob has his own count
	alice.must(t, http.StatusCreated, "PUT", alice.uploads+"/a/1", "123456")
	alice.must(t, http.StatusRequestEntityTooLarge, "PUT", alice.uploads+"/a/2", "123")
	alice.must(t, http.StatusInsufficientStorage, "PUT", alice.uploads+"/b/1", "12345")
	alice.must(t, http.StatusNoContent, "DELETE", alice.uploads+"/a", "")
	alice.must(t, http.StatusCreated, "PUT", alice.uploads+"/b/1", "12345")
}

// TestChunkedUploadDiskFull: with the disk of the state folder full, a
// chunk and a new upload are 507, nothing half-written stays, and once
// space is freed the upload goes on.
func TestChunkedUploadDiskFull(t *testing.T) {
	dir := mountSmallFS(t)
	s := startChunkServer(t, dir)
	alice := newChunkUser(s, "alice")
	id := alice.uploads + "/full"
	alice.must(t, http.StatusCreated, "MKCOL", id, "")
	alice.must(t, http.StatusCreated, "PUT", id+"/1", "abc")
	filler := fill(t, dir)
	alice.must(t, http.StatusInsufficientStorage, "PUT", id+"/2", strings.Repeat("d", 256<<10))
	alice.must(t, http.StatusInsufficientStorage, "MKCOL", alice.uploads+"/another", "")
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	r := alice.must(t, http.StatusMultiStatus, "PROPFIND", alice.uploads+"/", "", "Depth", "1")
	if strings.Contains(string(r.Body), "another") {
		t.Errorf("a refused MKCOL left an upload:\n%s", r.Body)
	}
	temps, _ := filepath.Glob(filepath.Join(dir, ".atomdav", "uploads", "*", "*", ".tmp-*"))
	more, _ := filepath.Glob(filepath.Join(dir, ".atomdav", "uploads", "*", ".tmp-*"))
	temps = append(temps, more...)
	if len(temps) > 0 {
		t.Errorf("temp files left: %v", temps)
	}
	alice.must(t, http.StatusCreated, "PUT", id+"/2", "def")
	alice.must(t, http.StatusCreated, "MOVE", id+"/.file", "", "Destination", alice.dest("/full.bin"))
	fileIs(t, dir, "alice/full.bin", "abcdef")
}
