package storagetest

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/storage"
)

// call is one Store method applied to one path, for tests that try every
// method the same way.
type call struct {
	name string
	fn   func(ctx context.Context, s store, p string) error
}

// calls uses p in every path argument of every method but Close.
var calls = []call{
	{"Props", func(ctx context.Context, s store, p string) error {
		_, err := s.Props(ctx, p)
		return err
	}},
	{"FolderProps", func(ctx context.Context, s store, p string) error {
		_, err := s.FolderProps(ctx, p)
		return err
	}},
	{"PatchProps", func(ctx context.Context, s store, p string) error {
		return s.PatchProps(ctx, p, origin("/new"), []xml.Name{originName})
	}},
	{"DeleteTree", func(ctx context.Context, s store, p string) error { return s.DeleteTree(ctx, p) }},
	{"BeginIntent src", func(ctx context.Context, s store, p string) error {
		_, err := s.BeginIntent(ctx, storage.Intent{Op: storage.OpMove, Src: p, Dst: "/ok"})
		return err
	}},
	{"BeginIntent dst", func(ctx context.Context, s store, p string) error {
		_, err := s.BeginIntent(ctx, storage.Intent{Op: storage.OpCopy, Src: "/ok", Dst: p})
		return err
	}},
	{"BeginIntent delete", func(ctx context.Context, s store, p string) error {
		_, err := s.BeginIntent(ctx, storage.Intent{Op: storage.OpDelete, Src: p})
		return err
	}},
}

// logCall is one method without a path argument, given an intent ID.
type logCall struct {
	name string
	fn   func(ctx context.Context, s store, id uint64) error
}

// logCalls are the methods calls leaves out, but Close.
var logCalls = []logCall{
	{"CompleteIntent", func(ctx context.Context, s store, id uint64) error { return s.CompleteIntent(ctx, id) }},
	{"AbortIntent", func(ctx context.Context, s store, id uint64) error { return s.AbortIntent(ctx, id) }},
	{"Intents", func(ctx context.Context, s store, _ uint64) error {
		_, err := s.Intents(ctx)
		return err
	}},
	{"WalkResources", func(ctx context.Context, s store, _ uint64) error {
		return s.WalkResources(ctx, func(string) error { return nil })
	}},
}

// invalidPaths are not canonical store paths: every method must refuse
// them with storage.ErrInvalidPath.
var invalidPaths = []string{
	"", "a", "a/b", "./a", "/a/", "//a", "/a//b", "/a/./b", "/a/../b", "/..", "/.",
	"/a\x00b", "/a\x01", "/a\nb", "/a\tb", "/\x1f", "/a\x00\x01b",
}

// testInvalidPath checks that every method refuses paths that are not
// canonical with storage.ErrInvalidPath, and changes nothing: no property,
// no intent.
func testInvalidPath(t *testing.T, open Opener) {
	s := newStore(t, open)
	seed(t, s, "/ok", "/ok/child")
	for _, c := range calls {
		for _, p := range invalidPaths {
			t.Run(fmt.Sprintf("%s %q", c.name, p), func(t *testing.T) {
				err := c.fn(context.Background(), s, p)
				if !errors.Is(err, storage.ErrInvalidPath) {
					t.Errorf("%s(%q) = %v, want storage.ErrInvalidPath", c.name, p, err)
				}
			})
		}
	}
	checkTree(t, s, map[string]string{"/ok": "/ok", "/ok/child": "/ok/child"})
	checkIntents(t, s, nil)
}

// testInvalidName checks that a property name no store can key (empty,
// or of 1 MB) is refused, set or removed, with an error wrapping
// storage.ErrInvalidName, so that servers answer it as the client's doing,
// and changes nothing.
func testInvalidName(t *testing.T, open Opener) {
	s := newStore(t, open)
	seed(t, s, "/ok")
	for _, n := range []xml.Name{{Space: "urn:a"}, {Space: "urn:" + strings.Repeat("n", 1<<20), Local: "a"}} {
		set := s.PatchProps(context.Background(), "/ok", props{n: []byte("<a/>")}, nil)
		remove := s.PatchProps(context.Background(), "/ok", nil, []xml.Name{n})
		if !errors.Is(set, storage.ErrInvalidName) || !errors.Is(remove, storage.ErrInvalidName) {
			t.Errorf("name of %d bytes: set %v, remove %v; want storage.ErrInvalidName", len(n.Space)+len(n.Local), set, remove)
		}
	}
	checkTree(t, s, map[string]string{"/ok": "/ok"})
}

// testClosed checks that every method, Close included, returns
// storage.ErrClosed after Close.
func testClosed(t *testing.T, open Opener) {
	s := newStore(t, open)
	seed(t, s, "/ok")
	in := mustBegin(t, s, storage.Intent{Op: storage.OpDelete, Src: "/ok"})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.fn(context.Background(), s, "/ok"); !errors.Is(err, storage.ErrClosed) {
				t.Errorf("%s after Close = %v, want storage.ErrClosed", c.name, err)
			}
		})
	}
	for _, c := range logCalls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.fn(context.Background(), s, in.ID); !errors.Is(err, storage.ErrClosed) {
				t.Errorf("%s after Close = %v, want storage.ErrClosed", c.name, err)
			}
		})
	}
	t.Run("Close", func(t *testing.T) {
		if err := s.Close(); !errors.Is(err, storage.ErrClosed) {
			t.Errorf("second Close = %v, want storage.ErrClosed", err)
		}
	})
}

// testCanceled checks that a method called with a canceled context returns
// its error and changes nothing.
func testCanceled(t *testing.T, open Opener) {
	s := newStore(t, open)
	seed(t, s, "/ok", "/ok/child")
	in := mustBegin(t, s, storage.Intent{Op: storage.OpDelete, Src: "/ok"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.fn(ctx, s, "/ok"); !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a canceled context = %v, want context.Canceled", c.name, err)
			}
		})
	}
	for _, c := range logCalls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.fn(ctx, s, in.ID); !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a canceled context = %v, want context.Canceled", c.name, err)
			}
		})
	}
	checkTree(t, s, map[string]string{"/ok": "/ok", "/ok/child": "/ok/child"})
	checkIntents(t, s, []storage.Intent{in})
}

// testPersistence checks that what was committed is there after Close and
// a reopen, twice.
func testPersistence(t *testing.T, open Opener) {
	dir := t.TempDir()
	s := openIn(t, open, dir)
	ctx := context.Background()
	seed(t, s, fixtureTree...)
	mustPatch(t, s, "/a/z", props{nullName: []byte(`<x xmlns="">patched</x>`)}, []xml.Name{originName})
	if err := moveTree("/a", "/c")(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTree(ctx, "/ab"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	want := identity(map[string]string{
		"/a": "", "/a/x": "", "/a/x/y": "", "/a/z": "", "/c/old": "", "/c/old/deep": "",
		"/c": "/a", "/c/x": "/a/x", "/c/x/y": "/a/x/y", "/ab": "", "/ab/x": "",
	})
	s = openIn(t, open, dir)
	checkTree(t, s, want)
	checkProps(t, s, "/c/z", props{nullName: []byte(`<x xmlns="">patched</x>`)})

	if err := copyTree("/c", "/a")(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = openIn(t, open, dir)
	want["/a"], want["/a/x"], want["/a/x/y"] = "/a", "/a/x", "/a/x/y"
	delete(want, "/a/z") // checked below
	checkTree(t, s, want)
	checkProps(t, s, "/a/z", props{nullName: []byte(`<x xmlns="">patched</x>`)})
}
