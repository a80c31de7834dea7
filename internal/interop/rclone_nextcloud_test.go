package interop

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/atomdav/atomdav/internal/testbin"
)

// The user the Nextcloud-layout tests log in as, and the folder of the
// served directory that is their root: /remote.php/dav/files/alice/x is
// DIR/alice-home/x on the server's disk.
const (
	ncUser     = "alice"
	ncPassword = "wonder land"
	ncRoot     = "alice-home"
)

// chunkSize is rclone's default nextcloud_chunk_size (10 MiB): vendor
// nextcloud uploads a larger file in chunks under /remote.php/dav/uploads.
const chunkSize = 10 << 20

// startUserServer starts atomdav with one user whose root is DIR/ncRoot,
// and no anonymous access; extraYAML lines go into the configuration file.
func startUserServer(t *testing.T, user, password string, extraYAML ...string) *server {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ncRoot), 0o755); err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "atomdav.yaml")
	yaml := fmt.Sprintf("users:\n  - name: %s\n    hash: %q\n    root: /%s\n    read-only: false\n%s\n",
		user, hash, ncRoot, strings.Join(extraYAML, "\n"))
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := testbin.Start(binary, dir, testbin.StartOptions{Args: []string{"--config", conf}})
	if err != nil {
		t.Fatalf("starting atomdav: %v", err)
	}
	s := &server{Dir: dir, Addr: p.Addr(), URL: p.URL(), proc: p, client: &http.Client{
		Transport:     http.DefaultTransport.(*http.Transport).Clone(),
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// needCurrentRclone returns the current rclone `make rclone-current`
// builds (ATOMDAV_TEST_RCLONE_CURRENT, else bin/rclone-current of this
// checkout), or skips naming what is missing; with CI=true it fails.
func needCurrentRclone(t *testing.T) string {
	t.Helper()
	p := os.Getenv("ATOMDAV_TEST_RCLONE_CURRENT")
	if p == "" {
		p = filepath.Join("..", "..", "bin", "rclone-current")
	}
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	const how = "a current rclone (1.63 or later, for Nextcloud chunked uploads) is missing: run `make rclone-current` (it builds bin/rclone-current) or set ATOMDAV_TEST_RCLONE_CURRENT"
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (not found: %s) and CI=true", how, p)
	}
	t.Skipf("%s (not found: %s)", how, p)
	return ""
}

// newRcloneUser prepares rclone at bin for the remote url (ending in "/")
// with vendor, logged in as ncUser.
func newRcloneUser(t *testing.T, bin, url, vendor string) *rclone {
	t.Helper()
	r := &rclone{tool: newTool(t, bin)}
	conf := filepath.Join(r.dir, "rclone.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pass := strings.TrimSpace(r.must("", "--config", conf, "obscure", ncPassword))
	r.remote = fmt.Sprintf(":webdav,url='%s',vendor=%s,user=%s,pass=%s:", url, vendor, ncUser, pass)
	r.base = []string{"--config", conf, "--transfers", "4", "--checkers", "8",
		"--retries", "1", "--low-level-retries", "1", "--log-level", "NOTICE"}
	return r
}

// check runs `rclone check src dst` and wants every file to match by hash
// (or, with --download in extra, by content): zero differences, zero
// "hashes could not be checked", want matching files.
func (r *rclone) check(src, dst string, want int, extra ...string) {
	r.t.Helper()
	args := append(append(append([]string{}, r.base...), "check", src, dst), extra...)
	out, errOut, err := r.run("", args...)
	log := out + errOut
	if err != nil {
		r.t.Fatalf("rclone check: %v\n%s", err, log)
	}
	if !strings.Contains(log, " 0 differences found") {
		r.t.Errorf("rclone check does not report 0 differences:\n%s", log)
	}
	if m := regexp.MustCompile(`(\d+) hashes could not be checked`).FindStringSubmatch(log); m != nil {
		r.t.Errorf("rclone check: %s hashes could not be checked (oc:checksums lacks the hash rclone asks for):\n%s", m[1], log)
	}
	if !strings.Contains(log, fmt.Sprintf(" %d matching files", want)) {
		r.t.Errorf("rclone check does not report %d matching files:\n%s", want, log)
	}
}

// hashedEntry is a line of `rclone lsjson --hash`.
type hashedEntry struct {
	Path   string
	Size   int64
	Hashes map[string]string
}

// wantHashes lists the remote with `lsjson --hash` and wants each of tr's
// files to carry the named hashes (lower-case rclone names: "md5",
// "sha1") of its local content.
func (r *rclone) wantHashes(tr *tree, remote string, names ...string) {
	r.t.Helper()
	out := r.rc("lsjson", "-R", "--files-only", "--hash", remote)
	var entries []hashedEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		r.t.Fatalf("rclone lsjson: %v\n%s", err, out)
	}
	got := map[string]hashedEntry{}
	for _, e := range entries {
		got[e.Path] = e
	}
	if len(got) != len(tr.files) {
		r.t.Errorf("lsjson lists %d files, want %d", len(got), len(tr.files))
	}
	for name, f := range tr.files {
		sums := map[string]string{"md5": md5Hex(f.data), "sha1": sha1Hex(f.data)}
		for _, h := range names {
			if g := got[name].Hashes[h]; g != sums[h] {
				r.t.Errorf("lsjson --hash %s: %s %q, want %s", name, h, g, sums[h])
			}
		}
	}
}

// md5Hex is the hex MD5 of b.
func md5Hex(b []byte) string {
	h := md5.Sum(b)
	return hex.EncodeToString(h[:])
}

// bigTree is a tree of small files plus big ones: 25 MiB (three chunks of
// rclone's default size), one byte over a chunk (a 1-byte last chunk) and
// exactly one chunk (a single PUT).
func bigTree(t *testing.T, small int) *tree {
	t.Helper()
	tr := newTree(t, small)
	rng := rand.NewChaCha8([32]byte{14})
	mtime := time.Date(2022, 11, 5, 8, 30, 0, 0, time.UTC)
	for name, size := range map[string]int{
		"big/25 MiB.bin":          25 << 20,
		"big/chunk plus one.bin":  chunkSize + 1,
		"big/exactly a chunk.bin": chunkSize,
	} {
		b := make([]byte, size)
		rng.Read(b)
		tr.write(t, name, b, mtime)
	}
	return tr
}

// wantServerFiles wants the server's disk, under the user's root and
// folder, to hold exactly the bytes of tr's files.
func wantServerFiles(t *testing.T, s *server, folder string, tr *tree) {
	t.Helper()
	for _, name := range tr.names() {
		b, err := os.ReadFile(filepath.Join(s.Dir, ncRoot, folder, filepath.FromSlash(name)))
		switch {
		case err != nil:
			t.Errorf("on the server's disk: %v", err)
		case sha1Hex(b) != sha1Hex(tr.files[name].data):
			t.Errorf("%s on the server's disk: %d bytes, SHA-1 %s; want %d bytes, %s",
				name, len(b), sha1Hex(b), len(tr.files[name].data), sha1Hex(tr.files[name].data))
		}
	}
}

// wantOCChecksums asks the server itself (PROPFIND through the Nextcloud
// files URL) for a file's oc:checksums and wants its SHA1 and MD5.
func wantOCChecksums(t *testing.T, s *server, path string, data []byte) {
	t.Helper()
	rep := s.do(t, "PROPFIND", "/remote.php/dav/files/"+ncUser+"/"+escapePath(path),
		`<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><oc:checksums/></d:prop></d:propfind>`,
		append(basicAuth(ncUser, ncPassword), "Depth", "0")...)
	if rep.Status != http.StatusMultiStatus {
		t.Fatalf("PROPFIND %s: %s", path, rep)
	}
	for _, want := range []string{"SHA1:" + sha1Hex(data), "MD5:" + md5Hex(data)} {
		if !regexp.MustCompile(`(?i)\b` + want + `\b`).Match(rep.Body) {
			t.Errorf("oc:checksums of %s lacks %s:\n%s", path, want, rep.Body)
		}
	}
}

// basicAuth is the Authorization header pair for a user.
func basicAuth(user, password string) []string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, password)
	return []string{"Authorization", req.Header.Get("Authorization")}
}

// sameSizeSameMtime changes a few bytes of each named file and puts its
// mtime back: only a comparison by checksum sees the change.
func sameSizeSameMtime(t *testing.T, tr *tree, names ...string) {
	t.Helper()
	for _, name := range names {
		f := tr.files[name]
		b := append([]byte(nil), f.data...)
		for i := 0; i < len(b); i += 1 + len(b)/5 {
			b[i] ^= 0x5a
		}
		tr.write(t, name, b, f.mtime)
	}
}

// rcloneRound is what every hash-checking vendor must get right: copy a
// tree with big files up, see the bytes and checksums on the server,
// `rclone check` by hash, `lsjson --hash`, then a same-size same-mtime
// change that only `sync --checksum` catches. With chunked, the files
// over rclone's chunk size must have come as chunked uploads (the
// server's log shows their assembly), else none.
func rcloneRound(t *testing.T, s *server, r *rclone, tr *tree, chunked bool, hashes ...string) {
	t.Helper()
	const folder = "up"
	remote := r.remote + folder
	r.rc("copy", tr.dir, remote)
	wantServerFiles(t, s, folder, tr)
	wantAssemblies(t, s, chunked, tr, "")
	names := tr.names()
	small := names[len(names)-1]
	for _, name := range []string{small, "big/25 MiB.bin"} {
		if _, ok := tr.files[name]; ok {
			wantOCChecksums(t, s, folder+"/"+name, tr.files[name].data)
		}
	}
	r.check(tr.dir, remote, len(tr.files))
	r.wantHashes(tr, remote, hashes...)

	changed := []string{small}
	if _, ok := tr.files["big/25 MiB.bin"]; ok {
		changed = append(changed, "big/25 MiB.bin")
	}
	before := map[string]localFile{}
	for _, name := range changed {
		before[name] = tr.files[name]
	}
	sameSizeSameMtime(t, tr, changed...)
	// A sync by size and mtime sees no change: the server kept both.
	r.rc("sync", tr.dir, remote)
	for name, f := range before {
		b, err := os.ReadFile(filepath.Join(s.Dir, ncRoot, folder, filepath.FromSlash(name)))
		if err != nil || sha1Hex(b) != sha1Hex(f.data) {
			t.Errorf("%s: a sync by size and mtime changed it on the server (%v): the change is not same-size same-mtime", name, err)
		}
	}
	r.rc("sync", "--checksum", tr.dir, remote)
	wantServerFiles(t, s, folder, tr)
	wantAssemblies(t, s, chunked, tr, "big/25 MiB.bin")
	r.check(tr.dir, remote, len(tr.files))
	for _, name := range changed {
		wantOCChecksums(t, s, folder+"/"+name, tr.files[name].data)
	}
}

// TestRcloneNextcloud drives a current rclone (1.63 or later: Nextcloud
// chunked uploads) and Debian's with the Nextcloud and ownCloud vendors
// against the Nextcloud URL layout, logged in as a user, and with vendor
// other against the plain layout.
func TestRcloneNextcloud(t *testing.T) {
	t.Parallel()
	files := "/remote.php/dav/files/" + ncUser + "/"
	t.Run("current vendor=nextcloud files URL, chunked above 10 MiB", func(t *testing.T) {
		t.Parallel()
		s := startUserServer(t, ncUser, ncPassword)
		r := newRcloneUser(t, needCurrentRclone(t), s.URL+files, "nextcloud")
		rcloneRound(t, s, r, bigTree(t, 12), true, "sha1")
		wantNoUploadsLeft(t, s)
	})
	t.Run("current vendor=owncloud webdav URL", func(t *testing.T) {
		t.Parallel()
		s := startUserServer(t, ncUser, ncPassword)
		r := newRcloneUser(t, needCurrentRclone(t), s.URL+"/remote.php/webdav/", "owncloud")
		rcloneRound(t, s, r, bigTree(t, 12), false, "md5", "sha1")
	})
	t.Run("current vendor=owncloud files URL", func(t *testing.T) {
		t.Parallel()
		s := startUserServer(t, ncUser, ncPassword)
		r := newRcloneUser(t, needCurrentRclone(t), s.URL+files, "owncloud")
		rcloneRound(t, s, r, newTree(t, 12), false, "md5", "sha1")
	})
	t.Run("current vendor=other plain URL", func(t *testing.T) {
		t.Parallel()
		s := startUserServer(t, ncUser, ncPassword)
		r := newRcloneUser(t, needCurrentRclone(t), s.URL+"/", "other")
		tr := bigTree(t, 12)
		r.rc("copy", tr.dir, r.remote+"up")
		wantServerFiles(t, s, "up", tr)
		r.check(tr.dir, r.remote+"up", len(tr.files), "--download")
	})
	t.Run("debian vendor=nextcloud files URL", func(t *testing.T) {
		t.Parallel()
		s := startUserServer(t, ncUser, ncPassword)
		r := newRcloneUser(t, testbin.NeedTool(t, "rclone", "rclone"), s.URL+files, "nextcloud")
		rcloneRound(t, s, r, newTree(t, 12), false, "sha1")
	})
	t.Run("debian vendor=owncloud webdav URL", func(t *testing.T) {
		t.Parallel()
		s := startUserServer(t, ncUser, ncPassword)
		r := newRcloneUser(t, testbin.NeedTool(t, "rclone", "rclone"), s.URL+"/remote.php/webdav/", "owncloud")
		rcloneRound(t, s, r, newTree(t, 12), false, "md5", "sha1")
	})
}

// assemblyRE matches the server's log line of a chunked upload's
// successful assembly.
var assemblyRE = regexp.MustCompile(`method=MOVE path=/remote\.php/dav/uploads/` + ncUser + `/\S+/\.file .*status=20[14]`)

// wantAssemblies wants as many chunked uploads assembled so far as tr has
// files over the chunk size (once more for again, a name changed and
// synced since), or none when !chunked.
func wantAssemblies(t *testing.T, s *server, chunked bool, tr *tree, again string) {
	t.Helper()
	want := 0
	if chunked {
		for _, f := range tr.files {
			if len(f.data) > chunkSize {
				want++
			}
		}
		if _, ok := tr.files[again]; ok {
			want++
		}
	}
	if got := len(assemblyRE.FindAllString(s.proc.Log(), -1)); got != want {
		t.Errorf("the server assembled %d chunked uploads, want %d", got, want)
	}
}

// wantNoUploadsLeft wants the user's chunk upload area to be empty once
// rclone is done: every MOVE …/.file consumed its upload folder.
func wantNoUploadsLeft(t *testing.T, s *server) {
	t.Helper()
	rep := s.do(t, "PROPFIND", "/remote.php/dav/uploads/"+ncUser+"/", "",
		append(basicAuth(ncUser, ncPassword), "Depth", "1")...)
	if rep.Status != http.StatusMultiStatus {
		t.Fatalf("PROPFIND of the upload area: %s", rep)
	}
	resps, err := parseMultistatus(rep.Body)
	if err != nil {
		t.Fatalf("PROPFIND of the upload area: %v\n%s", err, rep.Body)
	}
	if len(resps) != 1 {
		t.Errorf("upload folders left after rclone finished:\n%s", rep.Body)
	}
}
