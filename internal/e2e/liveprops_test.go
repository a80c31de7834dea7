package e2e

import (
	"context"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage/bolt"
	"github.com/atomdav/atomdav/storage/localfs"
	"github.com/atomdav/atomdav/storage/postgres"
)

// livePatch sets Win32LastModifiedTime to t and urn:e2e:mt to the same date.
func livePatch(t time.Time) string {
	d := t.UTC().Format(http.TimeFormat)
	return `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:W="urn:schemas-microsoft-com:" xmlns:e="urn:e2e"><D:set><D:prop>` +
		`<W:Win32LastModifiedTime>` + d + `</W:Win32LastModifiedTime><e:mt>` + d + `</e:mt></D:prop></D:set></D:propertyupdate>`
}

func mtimeOf(t *testing.T, p string) time.Time {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.ModTime().UTC()
}

// TestLivePropsRecoveredAtStartup (DESIGN §4): a PROPPATCH setting
// Win32LastModifiedTime and a dead property is one durable unit. The test
// leaves the state a kill -9 leaves between the store commit and the file
// change (the record and the dead property committed, the mtime untouched),
// for /f, and for /g whose file a later PUT replaced; atomdav check reports
// both, and the next start re-applies /f's change and drops /g's.
func TestLivePropsRecoveredAtStartup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t1 := time.Date(2011, 3, 4, 5, 6, 7, 0, time.UTC)
	t2 := time.Date(2022, 8, 9, 10, 11, 12, 0, time.UTC)
	s := startServer(t, dir)
	s.put(t, "/f", "f")
	s.put(t, "/g", "g")
	r := s.do(t, "PROPPATCH", "/f", livePatch(t1))
	if r.Status != http.StatusMultiStatus || strings.Count(string(r.Body), "200 OK") != 1 || strings.Contains(string(r.Body), "424") {
		t.Fatalf("PROPPATCH Win32LastModifiedTime + dead: %s", r)
	}
	if got := mtimeOf(t, filepath.Join(dir, "f")); !got.Equal(t1) {
		t.Fatalf("mtime after PROPPATCH = %v, want %v", got, t1)
	}
	s.Stop()

	// What the engine commits before it changes the file, then the crash.
	store, err := bolt.Open(filepath.Join(dir, ".atomdav", "state.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := localfs.New(dir, store, localfs.Options{Hidden: ".atomdav"})
	if err != nil {
		t.Fatal(err)
	}
	win := xml.Name{Space: "urn:schemas-microsoft-com:", Local: "Win32LastModifiedTime"}
	mt := xml.Name{Space: "urn:e2e", Local: "mt"}
	for _, p := range []string{"/f", "/g"} {
		rec, err := fsys.PrepareMtime(p, t2)
		if err != nil {
			t.Fatal(err)
		}
		dead := map[xml.Name][]byte{mt: []byte(`<e:mt xmlns:e="urn:e2e">` + t2.Format(http.TimeFormat) + `</e:mt>`)}
		if err := store.PatchPropsLive(context.Background(), p, dead, nil, map[xml.Name][]byte{win: rec}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	// /g replaced since (as a later PUT does: a new file renamed over it).
	if err := os.WriteFile(filepath.Join(dir, "g.new"), []byte("new g"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "g.new"), filepath.Join(dir, "g")); err != nil {
		t.Fatal(err)
	}
	gBefore := mtimeOf(t, filepath.Join(dir, "g"))

	if code, out, errs := runCLI(t, "check", dir); code == 0 || !strings.Contains(out, "unapplied live properties: 2") {
		t.Errorf("atomdav check with two records: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}

	s = startServer(t, dir)
	if got := mtimeOf(t, filepath.Join(dir, "f")); !got.Equal(t2) {
		t.Errorf("/f mtime after restart = %v, want the recorded %v", got, t2)
	}
	if got := mtimeOf(t, filepath.Join(dir, "g")); !got.Equal(gBefore) {
		t.Errorf("/g, replaced since its record, got mtime %v, want %v kept", got, gBefore)
	}
	r = s.do(t, "PROPFIND", "/f", `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getlastmodified/></D:prop></D:propfind>`, "Depth", "0")
	if !strings.Contains(string(r.Body), t2.Format(http.TimeFormat)) {
		t.Errorf("PROPFIND getlastmodified of /f after recovery: %s", r)
	}
	s.Stop()
	if code, out, errs := runCLI(t, "check", dir); code != 0 || !strings.Contains(out, "unapplied live properties: 0") {
		t.Errorf("atomdav check after recovery: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

// TestClusterLiveRecordsWaitForPeers: on a shared store, an instance that
// starts while another serves leaves the live property records alone (one
// may belong to the peer, applied already and overtaken by a later
// request); the next start with no peer re-applies them.
func TestClusterLiveRecordsWaitForPeers(t *testing.T) {
	t.Parallel()
	db, dir := clusterDB(t), t.TempDir()
	t1 := time.Date(2011, 3, 4, 5, 6, 7, 0, time.UTC)
	t2 := time.Date(2022, 8, 9, 10, 11, 12, 0, time.UTC)
	a := startServer(t, dir, "--store", db)
	a.put(t, "/f", "f")
	if r := a.do(t, "PROPPATCH", "/f", livePatch(t1)); r.Status != http.StatusMultiStatus || strings.Contains(string(r.Body), "424") {
		t.Fatalf("PROPPATCH: %s", r)
	}

	// A record as a crash between commit and file change leaves it.
	ctx := context.Background()
	store, err := postgres.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := localfs.New(dir, store, localfs.Options{Hidden: ".atomdav"})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := fsys.PrepareMtime("/f", t2)
	if err != nil {
		t.Fatal(err)
	}
	win := xml.Name{Space: "urn:schemas-microsoft-com:", Local: "Win32LastModifiedTime"}
	if err := store.PatchPropsLive(ctx, "/f", nil, nil, map[xml.Name][]byte{win: rec}); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	b := startServer(t, dir, "--store", db) // a serves meanwhile
	if got := mtimeOf(t, filepath.Join(dir, "f")); !got.Equal(t1) {
		t.Fatalf("an instance starting beside a peer re-applied a live record: mtime %v, want %v", got, t1)
	}
	b.Stop()
	a.Stop()
	c := startServer(t, dir, "--store", db)
	if got := mtimeOf(t, filepath.Join(dir, "f")); !got.Equal(t2) {
		t.Errorf("a start with no peer left the live record: mtime %v, want %v\n%s", got, t2, c.Output())
	}
}
