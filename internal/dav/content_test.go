package dav

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"hash/adler32"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage/localfs"
)

// TestContentRecordRoundTrip checks that a record reads back as written
// and that damaged ones are no record.
func TestContentRecordRoundTrip(t *testing.T) {
	t.Parallel()
	rec := contentRecord{id: 1<<52 + 7, st: localfs.Stamp{Ino: 42, Size: 5, Mtime: -3}, was: 9}
	rec.sums[algoMD5] = bytes.Repeat([]byte{1}, 16)
	rec.sums[algoAdler32] = []byte{1, 2, 3, 4}
	got, ok := parseContent(rec.encode())
	if !ok || !reflect.DeepEqual(got, rec) {
		t.Fatalf("round trip: %+v, %v; want %+v", got, ok, rec)
	}
	if err := xml.Unmarshal(rec.encode(), new(struct{})); err != nil {
		t.Fatalf("record is not XML: %v", err)
	}
	for _, bad := range []string{"", "<x/>", string(rec.encode()[:40]),
		strings.Replace(string(rec.encode()), `md5="01`, `md5="zz`, 1),
		strings.Replace(string(rec.encode()), `adler32="01020304"`, `adler32="01"`, 1),
		strings.Replace(string(rec.encode()), `/>`, `>`, 1),
		`<a:content xmlns:a="urn:x-atomdav:" id="1"/>`} {
		if _, ok := parseContent([]byte(bad)); ok {
			t.Errorf("parseContent(%q) accepted", bad)
		}
	}
}

// fileAt writes content to a file in dir and returns its FileInfo.
func fileAt(t *testing.T, dir, name, content string) os.FileInfo {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// TestValidSumsStamp checks that a record's digests are reported only
// while the file's inode, size and mtime are the recorded ones, and that
// the id survives a content change but follows the inode.
func TestValidSumsStamp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fi := fileAt(t, dir, "f", "abc")
	st, ok := localfs.StampOf(fi)
	if !ok {
		t.Skip("no inodes here")
	}
	rec := contentRecord{id: 1<<52 + 1, st: st}
	rec.sums[algoSHA1] = bytes.Repeat([]byte{2}, 20)
	dead := map[xml.Name][]byte{nameContent: rec.encode()}
	if sums, ok := validSums(dead, fi); !ok || sums[algoSHA1] == nil {
		t.Fatalf("a fitting record is not valid")
	}
	if id := reportedID(dead, fi); id != rec.id {
		t.Fatalf("id %d, want the record's %d", id, rec.id)
	}
	// Changed behind the server's back: same inode, size changes.
	later := fileAt(t, dir, "f", "abcd")
	if _, ok := validSums(dead, later); ok {
		t.Errorf("checksums reported after the size changed")
	}
	// Same size, mtime moves.
	os.WriteFile(filepath.Join(dir, "f"), []byte("xyz"), 0o644)
	os.Chtimes(filepath.Join(dir, "f"), time.Time{}, fi.ModTime().Add(time.Second))
	later, _ = os.Stat(filepath.Join(dir, "f"))
	if _, ok := validSums(dead, later); ok {
		t.Errorf("checksums reported after the mtime changed")
	}
	if id := reportedID(dead, later); id != rec.id {
		t.Errorf("same inode: id %d, want %d", id, rec.id)
	}
	// A new inode with size and mtime restored (written beside, renamed over).
	fileAt(t, dir, "g", "xyz")
	os.Chtimes(filepath.Join(dir, "g"), time.Time{}, fi.ModTime())
	os.Rename(filepath.Join(dir, "g"), filepath.Join(dir, "f"))
	other, _ := os.Stat(filepath.Join(dir, "f"))
	if _, ok := validSums(dead, other); ok {
		t.Errorf("checksums reported for another inode of the same size and mtime")
	}
	ost, _ := localfs.StampOf(other)
	if id := reportedID(dead, other); id != derivedID(ost.Ino) {
		t.Errorf("another inode: id %d, want the derived %d", id, derivedID(ost.Ino))
	}
	// The file a crashed upload would have replaced keeps its id.
	rec.was = ost.Ino
	rec.st.Ino++
	if id := reportedID(map[xml.Name][]byte{nameContent: rec.encode()}, other); id != rec.id {
		t.Errorf("the replaced file: id %d, want %d", id, rec.id)
	}
	if _, ok := validSums(nil, other); ok {
		t.Errorf("checksums without a record")
	}
}

// TestIDRanges checks that derived and random ids are disjoint and exact
// in JavaScript (≤ 2^53).
func TestIDRanges(t *testing.T) {
	t.Parallel()
	for range 1000 {
		if id := randomID(); id < randomIDs || id >= 1<<53 {
			t.Fatalf("random id %d out of range", id)
		}
	}
	for _, ino := range []uint64{1, 2, 1<<52 - 1, 1 << 52, 1<<64 - 1} {
		if id := derivedID(ino); id == 0 || id >= derivedIDs {
			t.Fatalf("derived id %d of inode %d out of range", id, ino)
		}
	}
	if got := ocID(42, "ocabc"); got != "00000042ocabc" {
		t.Errorf("ocID: %q", got)
	}
}

// TestCopyHashing checks the digests of bodies around the buffer sizes
// against the reference functions, and that a body cut short is an error.
func TestCopyHashing(t *testing.T) {
	t.Parallel()
	var all algoSet
	for a := range nAlgos {
		all.add(a)
	}
	for _, n := range []int{0, 1, hashBufSize - 1, hashBufSize, hashBufSize + 1, 5*hashBufSize + 17} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rand.Uint32())
		}
		var out bytes.Buffer
		got, sums, err := copyHashing(&out, iotestHalf(bytes.NewReader(data)), all)
		if err != nil || got != int64(n) || !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("%d bytes: copied %d, err %v, same %v", n, got, err, bytes.Equal(out.Bytes(), data))
		}
		m, s1, s2 := md5.Sum(data), sha1.Sum(data), sha256.Sum256(data)
		ad := adler32.Checksum(data)
		want := map[algo][]byte{algoMD5: m[:], algoSHA1: s1[:], algoSHA256: s2[:], algoAdler32: {byte(ad >> 24), byte(ad >> 16), byte(ad >> 8), byte(ad)}}
		for a, w := range want {
			if !bytes.Equal(sums[a], w) {
				t.Errorf("%d bytes: %s %x, want %x", n, algos[a].conf, sums[a], w)
			}
		}
	}
	_, _, err := copyHashing(io.Discard, io.MultiReader(bytes.NewReader(make([]byte, 3*hashBufSize)), errReader{io.ErrUnexpectedEOF}), all)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a body cut short: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// iotestHalf reads at most half of what is asked, as a network body does.
func iotestHalf(r io.Reader) io.Reader { return halfReader{r} }

type halfReader struct{ r io.Reader }

func (h halfReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:(len(p)+1)/2]
	}
	return h.r.Read(p)
}

// TestPutVerifyMismatch checks that a PUT whose body does not match an
// OC-Checksum, Content-Digest or Repr-Digest is 400 and changes nothing:
// the old content, its checksums and its id stay.
func TestPutVerifyMismatch(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	if rec := call(h, "PUT", "/f", "old content"); rec.Code != http.StatusNoContent {
		t.Fatalf("PUT: %d", rec.Code)
	}
	before := call(h, "PROPFIND", "/f", checksumsPropfind, "Depth", "0").Body.String()
	if !strings.Contains(before, "SHA1:") {
		t.Fatalf("no checksums after PUT: %s", before)
	}
	sha := sha256.Sum256([]byte("new"))
	goodB64 := base64.StdEncoding.EncodeToString(sha[:])
	for _, hdr := range [][]string{
		{"OC-Checksum", "SHA1:" + strings.Repeat("0", 40)},
		{"OC-Checksum", "MD5:" + strings.Repeat("0", 32)},
		{"OC-Checksum", "ADLER32:00000000"},
		{"Content-Digest", "sha-256=:" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + ":"},
		{"Repr-Digest", "sha-512=:" + base64.StdEncoding.EncodeToString(make([]byte, 64)) + ":"},
		{"Repr-Digest", "sha-256=:" + goodB64 + ":, md5=:" + base64.StdEncoding.EncodeToString(make([]byte, 16)) + ":"},
		{"Content-Digest", "sha-256=:" + goodB64 + ":"}, // with the next: two digests of one algorithm
	} {
		extra := []string{}
		if hdr[0] == "Content-Digest" && strings.Contains(hdr[1], goodB64) {
			extra = []string{"Repr-Digest", "sha-256=:" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + ":"}
		}
		rec := call(h, "PUT", "/f", "new", append(hdr, extra...)...)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("PUT with %s: %s: %d, want 400", hdr[0], hdr[1], rec.Code)
		}
		if b, _ := os.ReadFile(filepath.Join(localRoot(h), "f")); string(b) != "old content" {
			t.Fatalf("after a refused PUT the file holds %q", b)
		}
		if after := call(h, "PROPFIND", "/f", checksumsPropfind, "Depth", "0").Body.String(); after != before {
			t.Fatalf("a refused PUT changed the properties:\n%s\n%s", before, after)
		}
	}
	for _, bad := range []string{"sha-256=:AAAA:", "sha-256=x", "sha-256=:" + goodB64, "SHA-256=:" + goodB64 + ":", "sha-256=(1 2)"} {
		if rec := call(h, "PUT", "/f", "new", "Content-Digest", bad); rec.Code != http.StatusBadRequest {
			t.Errorf("PUT with Content-Digest %q: %d, want 400", bad, rec.Code)
		}
	}
	// Matching digests, one of an algorithm not configured, and an
	// unknown algorithm (ignored).
	m := md5.Sum([]byte("new"))
	rec := call(h, "PUT", "/f", "new", "OC-Checksum", "MD5:"+hex.EncodeToString(m[:]),
		"Content-Digest", "sha-256=:"+goodB64+":, unixsum=:AAAA:, sha-512=:"+base64.StdEncoding.EncodeToString(sha512Of("new"))+":")
	if rec.Code != http.StatusNoContent {
		t.Fatalf("PUT with matching digests: %d %s", rec.Code, rec.Body)
	}
	after := call(h, "PROPFIND", "/f", checksumsPropfind, "Depth", "0").Body.String()
	if !strings.Contains(after, "MD5:"+hex.EncodeToString(m[:])) || strings.Contains(after, "SHA512") {
		t.Errorf("checksums after a good PUT: %s", after)
	}
	if idOf(before) != idOf(after) || idOf(before) == "" {
		t.Errorf("PUT over the file changed its id: %q then %q", idOf(before), idOf(after))
	}
}

const checksumsPropfind = `<D:propfind xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns"><D:prop><oc:checksums/><oc:fileid/></D:prop></D:propfind>`

// idOf finds the oc:fileid in a multistatus.
func idOf(body string) string {
	_, rest, ok := strings.Cut(body, "fileid>")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "<")
	return id
}

func sha512Of(s string) []byte {
	h := algos[algoSHA512].new()
	h.Write([]byte(s))
	return h.Sum(nil)
}
