package e2e

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/adler32"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const ocPropfind = `<D:propfind xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns"><D:prop><oc:checksums/><oc:fileid/><oc:id/></D:prop></D:propfind>`

// ocChecksumsOf is the oc:checksum line atomdav's default set (MD5,
// SHA1) gives for b.
func ocChecksumsOf(b string) string {
	return fmt.Sprintf("SHA1:%x MD5:%x", sha1.Sum([]byte(b)), md5.Sum([]byte(b)))
}

// ocChecksumsAll is the line of every algorithm (--checksums with all).
func ocChecksumsAll(b string) string {
	return fmt.Sprintf("%s ADLER32:%08x SHA256:%x SHA512:%x", ocChecksumsOf(b), adler32.Checksum([]byte(b)), sha256.Sum256([]byte(b)), sha512.Sum512([]byte(b)))
}

var (
	checksumRE = regexp.MustCompile(`<oc:checksum[^>]*>([^<]*)</oc:checksum>`)
	fileidRE   = regexp.MustCompile(`fileid>([0-9]+)<`)
)

// ocProps returns the oc:checksum line ("" when not reported) and the
// oc:fileid of path.
func (s *server) ocProps(t *testing.T, path string) (sums, id string) {
	t.Helper()
	r := s.do(t, "PROPFIND", path, ocPropfind, "Depth", "0")
	want(t, r, http.StatusMultiStatus, "PROPFIND "+path)
	if m := checksumRE.FindSubmatch(r.Body); m != nil {
		sums = string(m[1])
	}
	m := fileidRE.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("PROPFIND %s: no oc:fileid\n%s", path, r.Body)
	}
	return sums, string(m[1])
}

// TestChecksumsComputedOnPut checks issue 14's first item: a PUT without
// any checksum header gets MD5 and SHA1 (with --checksums, ADLER32,
// SHA256, SHA512 too; with an empty list none) of exactly its bytes in
// oc:checksums, in ownCloud's form, and answers ETag, OC-ETag and
// OC-FileId (Nextcloud's oc:id).
func TestChecksumsComputedOnPut(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	body := strings.Repeat("checksum me\n", 100000) // 1.2 MB: hashed beside the write
	r := s.do(t, "PUT", "/big.bin", body)
	want(t, r, http.StatusCreated, "PUT")
	if r.Header.Get("ETag") == "" || r.Header.Get("OC-ETag") != r.Header.Get("ETag") {
		t.Errorf("ETag %q, OC-ETag %q", r.Header.Get("ETag"), r.Header.Get("OC-ETag"))
	}
	s.put(t, "/small.txt", "hi")
	for name, content := range map[string]string{"/big.bin": body, "/small.txt": "hi"} {
		sums, id := s.ocProps(t, name)
		if sums != ocChecksumsOf(content) {
			t.Errorf("%s: oc:checksums %q, want %q", name, sums, ocChecksumsOf(content))
		}
		if name == "/big.bin" && !strings.HasPrefix(r.Header.Get("OC-FileId"), fmt.Sprintf("%08s", id)+"oc") {
			t.Errorf("OC-FileId %q does not name oc:fileid %s", r.Header.Get("OC-FileId"), id)
		}
	}
	// allprop does not list them (Nextcloud answers them only by name) nor
	// the server's record.
	all := s.do(t, "PROPFIND", "/small.txt", `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`, "Depth", "0")
	if strings.Contains(string(all.Body), "checksum") || strings.Contains(string(all.Body), "x-atomdav") {
		t.Errorf("allprop shows checksums or the record:\n%s", all.Body)
	}

	every := startServer(t, t.TempDir(), "--checksums", "md5,sha1,adler32,sha256,sha512")
	every.put(t, "/big.bin", body)
	if sums, _ := every.ocProps(t, "/big.bin"); sums != ocChecksumsAll(body) {
		t.Errorf("--checksums with all: %q, want %q", sums, ocChecksumsAll(body))
	}
	none := startServer(t, t.TempDir(), "--checksums", "")
	none.put(t, "/f", "x")
	if sums, _ := none.ocProps(t, "/f"); sums != "" {
		t.Errorf("--checksums '': %q", sums)
	}
	if r := none.do(t, "PUT", "/f", "y", "OC-Checksum", "SHA1:"+strings.Repeat("0", 40)); r.Status != http.StatusBadRequest {
		t.Errorf("--checksums '': a wrong OC-Checksum is still refused: %s", r)
	}
}

// TestChecksumsVerified checks that OC-Checksum, Content-Digest and
// Repr-Digest that do not match the body are 400 and replace nothing:
// the old bytes, checksums and id stay.
func TestChecksumsVerified(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/f.txt", "old bytes")
	sums0, id0 := s.ocProps(t, "/f.txt")
	zero := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	for _, hdr := range [][2]string{
		{"OC-Checksum", "SHA1:" + strings.Repeat("0", 40)},
		{"OC-Checksum", "MD5:" + strings.Repeat("0", 32)},
		{"Content-Digest", "sha-256=:" + zero(32) + ":"},
		{"Repr-Digest", "sha-512=:" + zero(64) + ":"},
		{"Content-Digest", "sha-256=:tooshort:"}, // malformed: 400 as well
	} {
		want(t, s.do(t, "PUT", "/f.txt", "new bytes", hdr[0], hdr[1]), http.StatusBadRequest, "PUT with a wrong "+hdr[0])
		if b, _ := os.ReadFile(filepath.Join(s.Dir, "f.txt")); string(b) != "old bytes" {
			t.Fatalf("a refused PUT (%s) left %q", hdr[0], b)
		}
		if sums, id := s.ocProps(t, "/f.txt"); sums != sums0 || id != id0 {
			t.Fatalf("a refused PUT (%s) changed checksums/id: %q %s, was %q %s", hdr[0], sums, id, sums0, id0)
		}
	}
	// A body longer than a hashing buffer is hashed behind its write and
	// checked only beside the fsync: still 400, nothing replaced, no temp
	// file left.
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	for _, hdr := range [][2]string{
		{"OC-Checksum", "MD5:" + strings.Repeat("0", 32)},
		{"Content-Digest", "sha-256=:" + zero(32) + ":"},
	} {
		want(t, s.do(t, "PUT", "/f.txt", big, hdr[0], hdr[1]), http.StatusBadRequest, "PUT of 1 MiB with a wrong "+hdr[0])
		if b, _ := os.ReadFile(filepath.Join(s.Dir, "f.txt")); string(b) != "old bytes" {
			t.Fatalf("a refused 1 MiB PUT (%s) left %d bytes", hdr[0], len(b))
		}
		if left := tempFiles(t, s.Dir); len(left) > 0 {
			t.Fatalf("a refused 1 MiB PUT (%s) left temp files %v", hdr[0], left)
		}
		if sums, id := s.ocProps(t, "/f.txt"); sums != sums0 || id != id0 {
			t.Fatalf("a refused 1 MiB PUT (%s) changed checksums/id: %q %s", hdr[0], sums, id)
		}
	}
	bigMD5 := md5.Sum([]byte(big))
	want(t, s.do(t, "PUT", "/big.txt", big, "OC-Checksum", "MD5:"+hex.EncodeToString(bigMD5[:])), http.StatusCreated, "PUT of 1 MiB with its MD5")
	if sums, _ := s.ocProps(t, "/big.txt"); sums != ocChecksumsOf(big) {
		t.Errorf("checksums of the 1 MiB PUT: %q", sums)
	}
	good := sha256.Sum256([]byte("new bytes"))
	want(t, s.do(t, "PUT", "/f.txt", "new bytes", "Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(good[:])+":"), http.StatusNoContent, "PUT with a matching Repr-Digest")
	if sums, _ := s.ocProps(t, "/f.txt"); sums != ocChecksumsOf("new bytes") {
		t.Errorf("after a good PUT: %q", sums)
	}
}

// TestChecksumsChangedBehindBack checks that a file changed in the served
// folder directly never reports the old checksums: rewritten in place
// with the same size, or replaced by a file of the same size whose mtime
// is set back to the old one. GET with Want-Repr-Digest then gives the
// digest of the new bytes, and records it again.
func TestChecksumsChangedBehindBack(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/inplace.txt", "aaaa")
	s.put(t, "/replaced.txt", "bbbb")
	local := func(n string) string { return filepath.Join(s.Dir, n) }
	// In place, same size (the mtime moves, as any write moves it).
	fi, _ := os.Stat(local("inplace.txt"))
	if err := os.WriteFile(local("inplace.txt"), []byte("AAAA"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(local("inplace.txt"), time.Time{}, fi.ModTime().Add(time.Second))
	// Replaced by another file, same size, the old mtime restored.
	fi, _ = os.Stat(local("replaced.txt"))
	if err := os.WriteFile(local("tmp"), []byte("BBBB"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(local("tmp"), time.Time{}, fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(local("tmp"), local("replaced.txt")); err != nil {
		t.Fatal(err)
	}
	for name, now := range map[string]string{"inplace.txt": "AAAA", "replaced.txt": "BBBB"} {
		if sums, _ := s.ocProps(t, "/"+name); sums != "" {
			t.Errorf("%s changed behind the server's back reports %q", name, sums)
		}
		r := s.do(t, "GET", "/"+name, "", "Want-Repr-Digest", "sha-256=1")
		want(t, r, http.StatusOK, "GET "+name)
		d := sha256.Sum256([]byte(now))
		if got, w := r.Header.Get("Repr-Digest"), "sha-256=:"+base64.StdEncoding.EncodeToString(d[:])+":"; got != w || string(r.Body) != now {
			t.Errorf("GET %s with Want-Repr-Digest: Repr-Digest %q, want %q (body %q)", name, got, w, r.Body)
		}
		w := fmt.Sprintf("%s SHA256:%x", ocChecksumsOf(now), d)
		if sums, _ := s.ocProps(t, "/"+name); sums != w {
			t.Errorf("%s after it was read with Want-Repr-Digest: %q, want %q", name, sums, w)
		}
	}
	h := s.do(t, "HEAD", "/inplace.txt", "", "Want-Repr-Digest", "sha-512=3, sha-256=1")
	d := sha512.Sum512([]byte("AAAA"))
	if got, w := h.Header.Get("Repr-Digest"), "sha-512=:"+base64.StdEncoding.EncodeToString(d[:])+":"; got != w {
		t.Errorf("HEAD preferring sha-512: Repr-Digest %q, want %q", got, w)
	}
	// Kept, so the next HEAD reads nothing.
	if sums, _ := s.ocProps(t, "/inplace.txt"); !strings.Contains(sums, fmt.Sprintf("SHA512:%x", d)) {
		t.Errorf("sha-512 computed for HEAD is not kept: %q", sums)
	}
}

// TestFileIDs checks issue 14's fourth item: MOVE keeps a file's id and
// checksums, COPY gives the copy (and each file of a copied folder) a new
// id and the same checksums, PUT over a file keeps its id, and ids
// survive a restart.
func TestFileIDs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	s.put(t, "/a.txt", "alpha")
	s.mkcol(t, "/d")
	s.put(t, "/d/m.txt", "member")
	sumsA, idA := s.ocProps(t, "/a.txt")
	_, idM := s.ocProps(t, "/d/m.txt")
	_, idD := s.ocProps(t, "/d")

	want(t, s.do(t, "MOVE", "/a.txt", "", "Destination", s.URL+"/b.txt"), http.StatusCreated, "MOVE")
	if sums, id := s.ocProps(t, "/b.txt"); sums != sumsA || id != idA {
		t.Errorf("after MOVE: %q %s, want %q %s", sums, id, sumsA, idA)
	}
	want(t, s.do(t, "MOVE", "/b.txt", "", "Destination", s.URL+"/a.txt", "X-OC-Mtime", "1645568542"), http.StatusCreated, "MOVE with X-OC-Mtime")
	if sums, id := s.ocProps(t, "/a.txt"); sums != sumsA || id != idA {
		t.Errorf("after MOVE with X-OC-Mtime: %q %s, want %q %s", sums, id, sumsA, idA)
	}
	want(t, s.do(t, "COPY", "/a.txt", "", "Destination", s.URL+"/c.txt"), http.StatusCreated, "COPY")
	if sums, id := s.ocProps(t, "/c.txt"); sums != sumsA || id == idA {
		t.Errorf("after COPY: %q %s, want %q and an id other than %s", sums, id, sumsA, idA)
	}
	want(t, s.do(t, "COPY", "/d", "", "Destination", s.URL+"/e"), http.StatusCreated, "COPY of a folder")
	if sums, id := s.ocProps(t, "/e/m.txt"); sums != ocChecksumsOf("member") || id == idM {
		t.Errorf("copied member: %q %s, want %q and an id other than %s", sums, id, ocChecksumsOf("member"), idM)
	}
	if _, id := s.ocProps(t, "/e"); id == idD {
		t.Errorf("copied folder has the source's id %s", id)
	}
	// A copy of a file changed behind the server's back: no checksums on
	// either, and the copy's id is its own.
	if err := os.WriteFile(filepath.Join(dir, "d", "m.txt"), []byte("MEMBER!"), 0o644); err != nil {
		t.Fatal(err)
	}
	want(t, s.do(t, "COPY", "/d/m.txt", "", "Destination", s.URL+"/stale.txt"), http.StatusCreated, "COPY of a changed file")
	if sums, id := s.ocProps(t, "/stale.txt"); sums != "" || id == idM {
		t.Errorf("copy of a file changed behind the server's back: %q %s (source id %s)", sums, id, idM)
	}
	want(t, s.do(t, "MOVE", "/d", "", "Destination", s.URL+"/d2"), http.StatusCreated, "MOVE of a folder")
	if _, id := s.ocProps(t, "/d2"); id != idD {
		t.Errorf("moved folder: id %s, want %s", id, idD)
	}
	if _, id := s.ocProps(t, "/d2/m.txt"); id != idM {
		t.Errorf("member of a moved folder: id %s, want %s", id, idM)
	}
	s.put(t, "/a.txt", "alpha, rewritten")
	if sums, id := s.ocProps(t, "/a.txt"); id != idA || sums != ocChecksumsOf("alpha, rewritten") {
		t.Errorf("after PUT over the file: %q %s, want id %s", sums, id, idA)
	}
	r := s.do(t, "PROPFIND", "/a.txt", ocPropfind, "Depth", "0")
	oc := regexp.MustCompile(`:id>([^<]+)<`).FindSubmatch(r.Body)
	s.Stop()
	s2 := startServer(t, dir)
	if sums, id := s2.ocProps(t, "/a.txt"); id != idA || sums != ocChecksumsOf("alpha, rewritten") {
		t.Errorf("after a restart: %q %s, want id %s", sums, id, idA)
	}
	r2 := s2.do(t, "PROPFIND", "/a.txt", ocPropfind, "Depth", "0")
	oc2 := regexp.MustCompile(`:id>([^<]+)<`).FindSubmatch(r2.Body)
	if oc == nil || oc2 == nil || string(oc[1]) != string(oc2[1]) {
		t.Errorf("oc:id before and after a restart: %q, %q", oc, oc2)
	}
}

// TestChecksumsProtected checks that no client can set or remove
// oc:checksums or anything in the server's reserved namespace (403
// cannot-modify-protected-property), nor read the record.
func TestChecksumsProtected(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/f.txt", "x")
	sums0, _ := s.ocProps(t, "/f.txt")
	for _, update := range []string{
		`<D:set><D:prop><oc:checksums><oc:checksum>SHA1:` + hex.EncodeToString(make([]byte, 20)) + `</oc:checksum></oc:checksums></D:prop></D:set>`,
		`<D:remove><D:prop><oc:checksums/></D:prop></D:remove>`,
		`<D:set><D:prop><oc:fileid>1</oc:fileid></D:prop></D:set>`,
		`<D:remove><D:prop><a:content/></D:prop></D:remove>`,
		`<D:set><D:prop><a:content id="1"/></D:prop></D:set>`,
		`<D:set><D:prop><a:anything>1</a:anything></D:prop></D:set>`,
	} {
		body := `<D:propertyupdate xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:a="urn:x-atomdav:">` + update + `</D:propertyupdate>`
		r := s.do(t, "PROPPATCH", "/f.txt", body)
		if r.Status != http.StatusMultiStatus || !strings.Contains(string(r.Body), "403") || !strings.Contains(string(r.Body), "cannot-modify-protected-property") {
			t.Errorf("PROPPATCH %s: %s", update, r)
		}
	}
	if sums, _ := s.ocProps(t, "/f.txt"); sums != sums0 {
		t.Errorf("checksums changed by refused PROPPATCHes: %q, was %q", sums, sums0)
	}
	r := s.do(t, "PROPFIND", "/f.txt", `<D:propfind xmlns:D="DAV:" xmlns:a="urn:x-atomdav:"><D:prop><a:content/></D:prop></D:propfind>`, "Depth", "0")
	if !strings.Contains(string(r.Body), "404") || strings.Contains(string(r.Body), "ino=") {
		t.Errorf("PROPFIND of the record: %s", r)
	}
	r = s.do(t, "PROPFIND", "/", `<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`, "Depth", "1")
	if strings.Contains(string(r.Body), "x-atomdav") {
		t.Errorf("propname lists the reserved namespace: %s", r)
	}
}

// TestCopyTreeRestamped checks a Depth-infinity COPY of a folder of many
// files (records rewritten concurrently): every copy reports its source's
// checksums and an id no source has.
func TestCopyTreeRestamped(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.mkcol(t, "/src")
	s.mkcol(t, "/src/sub")
	const n = 40
	ids := map[string]bool{}
	for i := range n {
		p := fmt.Sprintf("/src/f%02d", i)
		if i%4 == 0 {
			p = fmt.Sprintf("/src/sub/f%02d", i)
		}
		s.put(t, p, fmt.Sprintf("content %d", i))
		_, id := s.ocProps(t, p)
		ids[id] = true
	}
	want(t, s.do(t, "COPY", "/src", "", "Destination", s.URL+"/dst"), http.StatusCreated, "COPY of the tree")
	for i := range n {
		p := fmt.Sprintf("/dst/f%02d", i)
		if i%4 == 0 {
			p = fmt.Sprintf("/dst/sub/f%02d", i)
		}
		sums, id := s.ocProps(t, p)
		if sums != ocChecksumsOf(fmt.Sprintf("content %d", i)) || ids[id] {
			t.Errorf("%s: %q, id %s (a source's: %v)", p, sums, id, ids[id])
		}
		ids[id] = true
	}
}

// TestFileIDsAcrossInstances: two instances on one PostgreSQL store give
// the same file a single identity. The file id, oc:id (its instance part
// included) and the checksums one instance wrote are what the other
// reports, and the OC-FileId of a PUT through one names what a PROPFIND
// through the other shows.
func TestFileIDsAcrossInstances(t *testing.T) {
	t.Parallel()
	db, dir := clusterDB(t), t.TempDir()
	a, b := startServer(t, dir, "--store", db), startServer(t, dir, "--store", db)
	r := a.do(t, "PUT", "/f.txt", "shared bytes")
	want(t, r, http.StatusCreated, "PUT through the first instance")
	fileID := r.Header.Get("OC-FileId")
	sumsA, idA := a.ocProps(t, "/f.txt")
	sumsB, idB := b.ocProps(t, "/f.txt")
	if idA == "" || idA != idB || sumsA != ocChecksumsOf("shared bytes") || sumsB != sumsA {
		t.Fatalf("instances disagree: ids %q %q, checksums %q %q", idA, idB, sumsA, sumsB)
	}
	ocID := regexp.MustCompile(`:id>([^<]+)<`)
	for _, s := range []*server{a, b} {
		m := ocID.FindSubmatch(s.do(t, "PROPFIND", "/f.txt", ocPropfind, "Depth", "0").Body)
		if m == nil || string(m[1]) != fileID {
			t.Errorf("oc:id %q, want the OC-FileId of the PUT %q", m, fileID)
		}
	}
	want(t, b.do(t, "MOVE", "/f.txt", "", "Destination", b.URL+"/g.txt"), http.StatusCreated, "MOVE through the second instance")
	if _, id := a.ocProps(t, "/g.txt"); id != idA {
		t.Errorf("after a MOVE through the other instance: id %s, want %s", id, idA)
	}
}

// TestReprDigestBounded: hashing a file for Want-Repr-Digest reads all of
// it for a request of a few bytes, so it takes an upload slot: with the
// only one held by a slow PUT, a HEAD asking a digest of a file the server
// has none for is answered without Repr-Digest (RFC 9530 allows it), not
// hashed; once the PUT ends, the same HEAD gets it.
func TestReprDigestBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir, "--max-uploads", "1")
	if err := os.WriteFile(filepath.Join(dir, "local.bin"), []byte("written behind the server's back"), 0o644); err != nil {
		t.Fatal(err)
	}
	slow := holdUpload(t, s, "/slow", dir, 1)
	r := s.do(t, "HEAD", "/local.bin", "", "Want-Repr-Digest", "sha-256=1")
	want(t, r, http.StatusOK, "HEAD with Want-Repr-Digest while the only slot is held")
	if d := r.Header.Get("Repr-Digest"); d != "" {
		t.Errorf("hashed the file without a slot: Repr-Digest %q", d)
	}
	want(t, slow.finish(t, "defghij"), http.StatusCreated, "the slow PUT")
	sum := sha256.Sum256([]byte("written behind the server's back"))
	r = s.do(t, "HEAD", "/local.bin", "", "Want-Repr-Digest", "sha-256=1")
	if d, w := r.Header.Get("Repr-Digest"), "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":"; d != w {
		t.Errorf("HEAD once the slot is free: Repr-Digest %q, want %q", d, w)
	}
}
