package storagetest

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/storage"
)

// Names of settable live properties the live-log checks record.
var (
	liveMtime = xml.Name{Space: "urn:schemas-microsoft-com:", Local: "Win32LastModifiedTime"}
	liveExec  = xml.Name{Space: "http://apache.org/dav/props/", Local: "executable"}
)

// testLive checks the live log (DESIGN §4): records committed with the dead
// properties, all or none, kept across a reopen, replaced per name, cleared
// only while unchanged.
func testLive(t *testing.T, open Opener) {
	inParallel(t, open, map[string]func(*testing.T, Opener){
		"commit and reopen":   testLiveCommit,
		"replace and clear":   testLiveClear,
		"all or none":         testLiveAllOrNone,
		"not a dead property": testLiveNotDead,
	})
}

// liveRecords returns the store's records as "path {ns}local=record" lines.
func liveRecords(t *testing.T, s storage.Store) []string {
	t.Helper()
	recs, err := s.LiveRecords(context.Background())
	if err != nil {
		t.Fatalf("LiveRecords: %v", err)
	}
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, fmt.Sprintf("%s {%s}%s=%s", r.Path, r.Name.Space, r.Name.Local, r.Record))
	}
	slices.Sort(out)
	return out
}

func checkLive(t *testing.T, s storage.Store, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := liveRecords(t, s); !slices.Equal(got, want) {
		t.Errorf("LiveRecords =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// testLiveCommit checks that PatchPropsLive commits the dead properties and
// the records together, and that both survive a reopen.
func testLiveCommit(t *testing.T, open Opener) {
	dir := t.TempDir()
	s := openIn(t, open, dir)
	ctx := context.Background()
	seed(t, s, "/a")
	live := props{liveMtime: []byte("mtime\x00\xff 1"), liveExec: []byte("exec T")}
	if err := s.PatchPropsLive(ctx, "/a", props{nullName: []byte("<x/>")}, []xml.Name{originName}, live); err != nil {
		t.Fatalf("PatchPropsLive: %v", err)
	}
	if err := s.PatchPropsLive(ctx, "/ünï/b", nil, nil, props{liveMtime: []byte("b")}); err != nil {
		t.Fatalf("PatchPropsLive without dead properties: %v", err)
	}
	want := []string{
		"/a {urn:schemas-microsoft-com:}Win32LastModifiedTime=mtime\x00\xff 1",
		"/a {http://apache.org/dav/props/}executable=exec T",
		"/ünï/b {urn:schemas-microsoft-com:}Win32LastModifiedTime=b",
	}
	checkLive(t, s, want...)
	checkProps(t, s, "/a", props{nullName: []byte("<x/>")})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = openIn(t, open, dir)
	checkLive(t, s, want...)
	checkProps(t, s, "/a", props{nullName: []byte("<x/>")})
}

// testLiveClear checks that a record is replaced per name, and that
// ClearLive forgets only the records that still hold the bytes it names.
func testLiveClear(t *testing.T, open Opener) {
	s := newStore(t, open)
	ctx := context.Background()
	mustLive := func(p string, live props) {
		t.Helper()
		if err := s.PatchPropsLive(ctx, p, nil, nil, live); err != nil {
			t.Fatalf("PatchPropsLive(%q): %v", p, err)
		}
	}
	mustLive("/a", props{liveMtime: []byte("1"), liveExec: []byte("T")})
	mustLive("/a", props{liveMtime: []byte("2")}) // replaces mtime, keeps exec
	mustLive("/b", props{liveMtime: []byte("1")})
	clear := func(p string, live props) {
		t.Helper()
		if err := s.ClearLive(ctx, p, live); err != nil {
			t.Fatalf("ClearLive(%q): %v", p, err)
		}
	}
	clear("/a", props{liveMtime: []byte("1")}) // stale: record now 2
	clear("/a", props{liveExec: []byte("T")})
	clear("/b", props{liveMtime: []byte("1")})
	clear("/c", props{liveMtime: []byte("1")})                  // none: not an error
	mustPatch(t, s, "/z", props{nullName: []byte("<x/>")}, nil) // a write after the clears
	checkLive(t, s, "/a {urn:schemas-microsoft-com:}Win32LastModifiedTime=2")
}

// testLiveAllOrNone checks that a PatchPropsLive the store refuses records
// nothing and changes no property.
func testLiveAllOrNone(t *testing.T, open Opener) {
	s := newStore(t, open)
	ctx := context.Background()
	seed(t, s, "/ok")
	bad := xml.Name{Space: "urn:a"}
	for _, c := range []struct {
		name      string
		path      string
		set, live props
		wantErr   error
	}{
		{"bad dead name", "/ok", props{bad: []byte("<a/>")}, props{liveMtime: []byte("1")}, storage.ErrInvalidName},
		{"bad live name", "/ok", props{nullName: []byte("<x/>")}, props{bad: []byte("1")}, storage.ErrInvalidName},
		{"bad path", "/ok/../x", props{nullName: []byte("<x/>")}, props{liveMtime: []byte("1")}, storage.ErrInvalidPath},
	} {
		err := s.PatchPropsLive(ctx, c.path, c.set, nil, c.live)
		if !errors.Is(err, c.wantErr) {
			t.Errorf("%s: PatchPropsLive = %v, want %v", c.name, err, c.wantErr)
		}
	}
	checkTree(t, s, map[string]string{"/ok": "/ok"})
	checkLive(t, s)
}

// testLiveNotDead checks that a record is not a property of its resource
// and does not follow the resource's properties through a tree change.
func testLiveNotDead(t *testing.T, open Opener) {
	s := newStore(t, open)
	ctx := context.Background()
	if err := s.PatchPropsLive(ctx, "/d/f", props{nullName: []byte("<x/>")}, nil, props{liveMtime: []byte("1")}); err != nil {
		t.Fatalf("PatchPropsLive: %v", err)
	}
	got, err := s.FolderProps(ctx, "/d")
	if err != nil {
		t.Fatalf("FolderProps: %v", err)
	}
	if f := got["/d/f"]; len(f) != 1 || !bytes.Equal(f[nullName], []byte("<x/>")) {
		t.Errorf("FolderProps(/d)[/d/f] = %q, want only the dead property", f)
	}
	if err := moveTree("/d", "/e")(ctx, s); err != nil {
		t.Fatalf("moving /d to /e: %v", err)
	}
	checkLive(t, s, "/d/f {urn:schemas-microsoft-com:}Win32LastModifiedTime=1")
}
