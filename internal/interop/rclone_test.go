package interop

import (
	"github.com/atomdav/atomdav/internal/testbin"

	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// rclone drives the rclone binary against one server with a throw-away
// configuration and an on-the-fly remote of the given vendor.
type rclone struct {
	*tool
	remote string // ":webdav,url='…',vendor=…:"
	base   []string
}

// newRclone finds rclone (or skips) and writes its empty configuration.
func newRclone(t *testing.T, s *server, vendor string) *rclone {
	t.Helper()
	bin := testbin.NeedTool(t, "rclone", "rclone")
	r := &rclone{tool: newTool(t, bin)}
	conf := filepath.Join(r.dir, "rclone.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r.remote = fmt.Sprintf(":webdav,url='%s/',vendor=%s:", s.URL, vendor)
	r.base = []string{"--config", conf, "--transfers", "8", "--checkers", "8",
		"--retries", "1", "--low-level-retries", "1", "--log-level", "NOTICE"}
	return r
}

// rc runs rclone with the common flags and wants it to succeed.
func (r *rclone) rc(args ...string) string {
	r.t.Helper()
	return r.must("", append(append([]string{}, r.base...), args...)...)
}

// lsEntry is one line of `rclone lsjson`.
type lsEntry struct {
	Path    string
	Size    int64
	ModTime time.Time
	IsDir   bool
	Hashes  map[string]string
}

// ls lists a remote path recursively, files only, by path.
func (r *rclone) ls(path string, extra ...string) map[string]lsEntry {
	r.t.Helper()
	out := r.rc(append([]string{"lsjson", "-R", "--files-only", r.remote + path}, extra...)...)
	var entries []lsEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		r.t.Fatalf("rclone lsjson: %v\n%s", err, out)
	}
	m := make(map[string]lsEntry, len(entries))
	for _, e := range entries {
		m[e.Path] = e
	}
	return m
}

// localFile is what a test wrote on the local side.
type localFile struct {
	data  []byte
	mtime time.Time // whole seconds: the remote keeps seconds
}

// tree is a local folder of files the test generated, by slash path.
type tree struct {
	dir   string
	files map[string]localFile
}

// newTree writes n small files spread over a few folders, names with
// spaces and non-ASCII letters included, each with its own past mtime.
func newTree(t *testing.T, n int) *tree {
	t.Helper()
	tr := &tree{dir: t.TempDir(), files: map[string]localFile{}}
	folders := []string{"docs", "docs/2024 reports", "photos", "music/ünïcödé", "misc"}
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2023, 3, 1, 10, 0, 0, 0, time.UTC)
	for i := range n {
		name := fmt.Sprintf("%s/file %04d.txt", folders[i%len(folders)], i)
		if i%7 == 0 {
			name = fmt.Sprintf("%s/café-%04d.dat", folders[i%len(folders)], i)
		}
		tr.write(t, name, randomBytes(rng, 20+rng.IntN(400)), base.Add(time.Duration(i)*97*time.Second))
	}
	return tr
}

// randomBytes returns n bytes from rng.
func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

// write creates or replaces a file with its mtime and records it.
func (tr *tree) write(t *testing.T, name string, data []byte, mtime time.Time) {
	t.Helper()
	p := filepath.Join(tr.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	tr.files[name] = localFile{data: data, mtime: mtime}
}

// remove deletes a file and forgets it.
func (tr *tree) remove(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(tr.dir, filepath.FromSlash(name))); err != nil {
		t.Fatal(err)
	}
	delete(tr.files, name)
}

// names returns the file names in a stable order.
func (tr *tree) names() []string {
	names := make([]string, 0, len(tr.files))
	for n := range tr.files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// sha1Hex is the hex SHA-1 of b, as rclone and OC-Checksum spell it.
func sha1Hex(b []byte) string {
	h := sha1.Sum(b)
	return hex.EncodeToString(h[:])
}

// compareListing wants the remote listing to hold exactly tr's files with
// their sizes, mtimes to the second and, if withHash, their SHA-1s.
func compareListing(t *testing.T, tr *tree, got map[string]lsEntry, withHash bool) {
	t.Helper()
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 10 {
			t.Errorf(format, args...)
		}
	}
	for _, name := range tr.names() {
		want := tr.files[name]
		e, ok := got[name]
		switch {
		case !ok:
			report("remote lacks %s", name)
			continue
		case e.Size != int64(len(want.data)):
			report("%s: remote size %d, want %d", name, e.Size, len(want.data))
		case !e.ModTime.Truncate(time.Second).Equal(want.mtime):
			report("%s: remote mtime %s, want %s (X-OC-Mtime)", name, e.ModTime.UTC(), want.mtime)
		case withHash && e.Hashes["sha1"] != sha1Hex(want.data):
			report("%s: remote sha1 %q, want %s (OC-Checksum / oc:checksums)", name, e.Hashes["sha1"], sha1Hex(want.data))
		}
	}
	for name := range got {
		if _, ok := tr.files[name]; !ok {
			report("remote has %s, which is not in the source", name)
		}
	}
	if bad > 10 {
		t.Errorf("… %d differences in all", bad)
	}
}

// compareServerDir wants the served folder itself to hold tr's files with
// their mtimes: X-OC-Mtime set the real mtime, not a property.
func compareServerDir(t *testing.T, s *server, root string, tr *tree) {
	t.Helper()
	bad := 0
	for _, name := range tr.names() {
		fi, err := os.Stat(filepath.Join(s.Dir, root, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("on the server's disk: %v", err)
			bad++
		} else if !fi.ModTime().Truncate(time.Second).Equal(tr.files[name].mtime) {
			t.Errorf("%s: mtime on the server's disk %s, want %s", name, fi.ModTime().UTC(), tr.files[name].mtime)
			bad++
		}
		if bad >= 5 {
			t.Fatal("stopping after 5 differences")
		}
	}
}

// TestRclone drives rclone's WebDAV backend with the vendors it offers.
func TestRclone(t *testing.T) {
	t.Parallel()
	t.Run("vendor=nextcloud sync of 1000 files, X-OC-Mtime and OC-Checksum", testRcloneSync)
	t.Run("vendor=nextcloud bisync round trip", testRcloneBisync)
	t.Run("vendor=owncloud copy and check", func(t *testing.T) { testRcloneCopy(t, "owncloud", true) })
	t.Run("vendor=other copy and check", func(t *testing.T) { testRcloneCopy(t, "other", false) })
}

// testRcloneSync syncs 1,000 files up, changes and deletes some, syncs
// again, and wants `rclone check` clean (SHA-1 on both sides), mtimes
// preserved to the second, on the listing and on the server's disk.
//
// It is the package's longest test: rclone 1.60's WebDAV backend spaces
// its calls at least 10 ms apart (a pacer with no flag to change it) and
// sends MKCOL, PUT and PROPFIND for every file, so the first sync takes
// about 30 s whatever the server does.
func testRcloneSync(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	r := newRclone(t, s, "nextcloud")
	tr := newTree(t, 1000)

	r.rc("sync", tr.dir, r.remote+"tree")
	r.rc("check", tr.dir, r.remote+"tree")
	compareListing(t, tr, r.ls("tree", "--hash"), true)
	compareServerDir(t, s, "tree", tr)

	// Change 50 files (content and mtime), delete 50, add 10 in a new folder.
	rng := rand.New(rand.NewPCG(3, 4))
	names := tr.names()
	later := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 100; i += 2 {
		tr.write(t, names[i], randomBytes(rng, 10+rng.IntN(300)), later.Add(time.Duration(i)*time.Second))
		tr.remove(t, names[i+1])
	}
	for i := range 10 {
		tr.write(t, fmt.Sprintf("new folder/added %d.txt", i), randomBytes(rng, 64), later.Add(-time.Duration(i)*time.Hour))
	}
	r.rc("sync", tr.dir, r.remote+"tree")
	r.rc("check", tr.dir, r.remote+"tree")
	compareListing(t, tr, r.ls("tree", "--hash"), true)
	compareServerDir(t, s, "tree", tr)
	for i := 1; i < 100; i += 2 {
		if _, err := os.Stat(filepath.Join(s.Dir, "tree", filepath.FromSlash(names[i]))); err == nil {
			t.Errorf("%s was deleted locally but is still on the server", names[i])
		}
	}
	// What rclone hashes on the server side agrees with local content.
	sums := r.rc("hashsum", "sha1", r.remote+"tree/new folder")
	for i := range 10 {
		name := fmt.Sprintf("added %d.txt", i)
		want := sha1Hex(tr.files["new folder/"+name].data) + "  " + name
		if !strings.Contains(sums, want) {
			t.Errorf("rclone hashsum sha1 lacks %q:\n%s", want, sums)
		}
	}
}

// testRcloneBisync resyncs a folder with the remote, changes both sides
// (rclone on the local one, another WebDAV client on the server) and
// wants one bisync run to bring both to the same state.
func testRcloneBisync(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	r := newRclone(t, s, "nextcloud")
	local := newTree(t, 20)
	work := filepath.Join(r.dir, "bisync")
	names := local.names()

	// bisync wants both sides to exist before the first run.
	if rep := s.do(t, "MKCOL", "/bi", ""); rep.Status != http.StatusCreated {
		t.Fatalf("MKCOL /bi: %s", rep)
	}
	r.rc("bisync", local.dir, r.remote+"bi", "--workdir", work, "--resync")
	compareListing(t, local, r.ls("bi"), false)

	// Local side: change one file, add one.
	now := time.Now().Truncate(time.Second)
	local.write(t, names[0], []byte("changed locally\n"), now)
	local.write(t, "local-new.txt", []byte("added locally\n"), now)
	// Server side, as another client would: change one, add one, delete one.
	for _, req := range []struct{ method, path, body string }{
		{"PUT", "/bi/" + escapePath(names[1]), "changed on the server\n"},
		{"PUT", "/bi/server-new.txt", "added on the server\n"},
		{"DELETE", "/bi/" + escapePath(names[2]), ""},
	} {
		if rep := s.do(t, req.method, req.path, req.body); rep.Status != http.StatusNoContent && rep.Status != http.StatusCreated {
			t.Fatalf("%s %s: %s", req.method, req.path, rep)
		}
	}

	r.rc("bisync", local.dir, r.remote+"bi", "--workdir", work)

	for name, want := range map[string]string{
		names[0]:         "changed locally\n",
		"local-new.txt":  "added locally\n",
		names[1]:         "changed on the server\n",
		"server-new.txt": "added on the server\n",
	} {
		if b, err := os.ReadFile(filepath.Join(local.dir, filepath.FromSlash(name))); err != nil || string(b) != want {
			t.Errorf("local %s after bisync: %q, %v; want %q", name, b, err, want)
		}
		if rep := s.do(t, "GET", "/bi/"+escapePath(name), ""); rep.Status != http.StatusOK || string(rep.Body) != want {
			t.Errorf("GET /bi/%s after bisync: %d %q; want %q", name, rep.Status, rep.Body, want)
		}
	}
	if _, err := os.Stat(filepath.Join(local.dir, filepath.FromSlash(names[2]))); err == nil {
		t.Errorf("%s was deleted on the server but bisync kept it locally", names[2])
	}
	r.rc("check", local.dir, r.remote+"bi")
}

// testRcloneCopy copies a small tree with a vendor and checks it: by
// SHA-1 where the vendor has checksums, by content otherwise.
func testRcloneCopy(t *testing.T, vendor string, hashes bool) {
	t.Parallel()
	s := startServer(t)
	r := newRclone(t, s, vendor)
	tr := newTree(t, 30)
	r.rc("copy", tr.dir, r.remote+"plain")
	if hashes {
		r.rc("check", tr.dir, r.remote+"plain")
		compareListing(t, tr, r.ls("plain", "--hash"), true)
		return
	}
	r.rc("check", "--download", tr.dir, r.remote+"plain")
	got := r.ls("plain")
	if len(got) != len(tr.files) {
		t.Errorf("remote lists %d files, want %d", len(got), len(tr.files))
	}
	for name, f := range tr.files {
		if got[name].Size != int64(len(f.data)) {
			t.Errorf("%s: remote size %d, want %d", name, got[name].Size, len(f.data))
		}
	}
}

// escapePath percent-escapes each segment of a slash path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
