package storagetest

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/storage"
)

// Opener opens a store kept in dir.
type Opener = func(t *testing.T, dir string) storage.Store

// Run runs the conformance suite against the stores open returns.
//
// open is called with an empty folder owned by the test (t.TempDir) and
// must return a fresh store kept there; called again with the same folder
// after Close, it must return a store with the same content. It should fail
// the test itself (t.Fatal) if the store cannot be opened. Subtests run in
// parallel, so open must be safe for concurrent use.
func Run(t *testing.T, open Opener) {
	groups := []struct {
		name string
		run  func(*testing.T, Opener)
	}{
		{"Values", testValues},
		{"PatchProps", testPatchProps},
		{"FolderProps", testFolderProps},
		{"Trees", testTrees},
		{"OverlappingTrees", testOverlappingTrees},
		{"InvalidPath", testInvalidPath},
		{"InvalidName", testInvalidName},
		{"Closed", testClosed},
		{"CanceledContext", testCanceled},
		{"Persistence", testPersistence},
		{"Concurrency", testConcurrency},
		{"Intents", testIntents},
		{"LiveLog", testLive},
		{"WalkResources", testWalk},
		{"Locks", testLocks},
		{"Journal", testJournal},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, open)
		})
	}
}

// inParallel runs each named check as a parallel subtest of t.
func inParallel(t *testing.T, open Opener, checks map[string]func(*testing.T, Opener)) {
	for name, check := range checks {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			check(t, open)
		})
	}
}

// store is the interface under test.
type store = storage.Store

// newStore opens a store in a fresh folder and closes it when t ends.
func newStore(t *testing.T, open Opener) store {
	t.Helper()
	return openIn(t, open, t.TempDir())
}

// openIn opens the store in dir and closes it when t ends, unless the test
// closed it already.
func openIn(t *testing.T, open Opener, dir string) store {
	t.Helper()
	s := open(t, dir)
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, storage.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// props is a property set, as the Store returns it.
type props = map[xml.Name][]byte

// originName is the property that seed and checkTree use to tell where a
// resource's properties came from.
var originName = xml.Name{Space: "urn:atomdav:storagetest", Local: "origin"}

// nullName is in no namespace: a trap for stores that confuse "" with a
// default namespace.
var nullName = xml.Name{Space: "", Local: "x"}

// origin is the property set that seed gives to p.
func origin(p string) props {
	return props{
		originName: []byte(`<t:origin xmlns:t="urn:atomdav:storagetest">` + p + `</t:origin>`),
		nullName:   []byte(`<x xmlns="">` + strings.ToUpper(p) + `</x>`),
	}
}

// seed gives each path its origin properties.
func seed(t *testing.T, s storage.Store, paths ...string) {
	t.Helper()
	for _, p := range paths {
		mustPatch(t, s, p, origin(p), nil)
	}
}

// checkTree checks that each path holds the origin properties of the path
// it maps to, or none if it maps to "".
func checkTree(t *testing.T, s storage.Store, want map[string]string) {
	t.Helper()
	for p, from := range want {
		w := props{}
		if from != "" {
			w = origin(from)
		}
		checkProps(t, s, p, w)
	}
}

func mustPatch(t *testing.T, s storage.Store, p string, set props, remove []xml.Name) {
	t.Helper()
	if err := s.PatchProps(context.Background(), p, set, remove); err != nil {
		t.Fatalf("PatchProps(%q): %v", p, err)
	}
}

// checkProps checks that p holds exactly want.
func checkProps(t *testing.T, s storage.Store, p string, want props) {
	t.Helper()
	got, err := s.Props(context.Background(), p)
	if err != nil {
		t.Errorf("Props(%q): %v", p, err)
		return
	}
	if got == nil {
		t.Errorf("Props(%q) = nil map, want an empty map", p)
	}
	if !equalProps(got, want) {
		t.Errorf("Props(%q) =\n%s\nwant\n%s", p, format(got), format(want))
	}
}

func equalProps(a, b props) bool {
	return maps.EqualFunc(a, b, bytes.Equal)
}

// format renders a property set for failure messages.
func format(m props) string {
	var b strings.Builder
	for n, v := range m {
		fmt.Fprintf(&b, "\t{%q}%q = %q\n", n.Space, n.Local, v)
	}
	return b.String()
}
