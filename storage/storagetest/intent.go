package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/atomdav/atomdav/storage"
)

// testIntents checks the intent log (DESIGN §6): IDs, order, persistence,
// the property change CompleteIntent applies and AbortIntent does not, and
// storage.ErrNoIntent for IDs the log does not hold.
func testIntents(t *testing.T, open Opener) {
	inParallel(t, open, map[string]func(*testing.T, Opener){
		"log":                 testIntentLog,
		"complete":            testComplete,
		"abort":               testAbort,
		"unknown ID":          testUnknownIntent,
		"malformed":           testMalformedIntent,
		"concurrent complete": testConcurrentComplete,
	})
}

// testIntentLog checks that BeginIntent returns increasing IDs and the
// intent as given, and that Intents lists the unfinished ones oldest first,
// also after a reopen, with IDs still increasing.
func testIntentLog(t *testing.T, open Opener) {
	dir := t.TempDir()
	s := openIn(t, open, dir)
	ins := []storage.Intent{
		{Op: storage.OpMove, Src: "/a", Dst: "/b"},
		{Op: storage.OpCopy, Src: "/a", Dst: "/c", Depth0: true},
		{Op: storage.OpDelete, Src: "/"},
		{Op: storage.OpCopy, Src: "/ünï 𝄞/日本", Dst: "/not\xffutf-8 x"},
	}
	for i, in := range ins {
		got := mustBegin(t, s, in)
		in.ID = got.ID
		if got != in {
			t.Errorf("BeginIntent(%+v) = %+v, want it with its ID set", ins[i], got)
		}
		if i > 0 && got.ID <= ins[i-1].ID {
			t.Errorf("BeginIntent #%d ID = %d, want above the previous %d", i, got.ID, ins[i-1].ID)
		}
		ins[i] = got
	}
	checkIntents(t, s, ins)

	reopen := func() {
		t.Helper()
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		s = openIn(t, open, dir)
	}
	reopen()
	checkIntents(t, s, ins)
	last := mustBegin(t, s, storage.Intent{Op: storage.OpDelete, Src: "/z"})
	if last.ID <= ins[len(ins)-1].ID {
		t.Errorf("BeginIntent after reopen ID = %d, want above %d", last.ID, ins[len(ins)-1].ID)
	}
	if err := s.CompleteIntent(context.Background(), ins[1].ID); err != nil {
		t.Fatalf("CompleteIntent: %v", err)
	}
	if err := s.AbortIntent(context.Background(), ins[2].ID); err != nil {
		t.Fatalf("AbortIntent: %v", err)
	}
	reopen()
	checkIntents(t, s, []storage.Intent{ins[0], ins[3], last})
}

// testComplete checks that CompleteIntent applies exactly the property
// change of its intent (RFC 4918 §9.9 MOVE, §9.8 COPY with Depth infinity
// or 0, §9.6 DELETE) and forgets it, and that BeginIntent changes nothing.
func testComplete(t *testing.T, open Opener) {
	tests := []struct {
		name string
		in   storage.Intent
		want map[string]string // as in testTrees
	}{
		{"move file §9.9", storage.Intent{Op: storage.OpMove, Src: "/a/z", Dst: "/n"},
			with(gone("/a/z"), "/n", "/a/z")},
		{"move subtree onto subtree §9.9.3", storage.Intent{Op: storage.OpMove, Src: "/a", Dst: "/c"},
			with(gone("/a", "/a/x", "/a/x/y", "/a/z", "/c/old", "/c/old/deep"), "/c", "/a", "/c/x", "/a/x", "/c/x/y", "/a/x/y", "/c/z", "/a/z")},
		{"move to prefix sibling §9.9", storage.Intent{Op: storage.OpMove, Src: "/a", Dst: "/ab"},
			with(gone("/a", "/a/x", "/a/x/y", "/a/z"), "/ab", "/a", "/ab/x", "/a/x", "/ab/x/y", "/a/x/y", "/ab/z", "/a/z")},
		{"copy Depth infinity §9.8.3", storage.Intent{Op: storage.OpCopy, Src: "/a", Dst: "/c"},
			with(gone("/c/old", "/c/old/deep"), "/c", "/a", "/c/x", "/a/x", "/c/x/y", "/a/x/y", "/c/z", "/a/z")},
		{"copy Depth infinity to new path §9.8.3", storage.Intent{Op: storage.OpCopy, Src: "/a", Dst: "/n/m"},
			with(gone("/n"), "/n/m", "/a", "/n/m/x", "/a/x", "/n/m/x/y", "/a/x/y", "/n/m/z", "/a/z")},
		{"copy Depth 0 replaces destination subtree §9.8.3", storage.Intent{Op: storage.OpCopy, Src: "/a", Dst: "/c", Depth0: true},
			with(gone("/c/old", "/c/old/deep", "/c/x", "/c/x/y", "/c/z"), "/c", "/a")},
		{"copy Depth 0 to new path §9.8.3", storage.Intent{Op: storage.OpCopy, Src: "/a", Dst: "/n", Depth0: true},
			with(gone("/n/x", "/n/x/y", "/n/z"), "/n", "/a")},
		{"copy Depth 0 to prefix sibling §9.8.3", storage.Intent{Op: storage.OpCopy, Src: "/a", Dst: "/ab", Depth0: true},
			with(gone("/ab/x", "/ab/x/y", "/ab/z"), "/ab", "/a")},
		{"copy Depth 0 of root §9.8.3", storage.Intent{Op: storage.OpCopy, Src: "/", Dst: "/n", Depth0: true},
			with(gone("/n/a", "/n/c"), "/n", "/")},
		{"copy Depth 0 of absent source clears destination §9.8.3", storage.Intent{Op: storage.OpCopy, Src: "/nobody", Dst: "/c", Depth0: true},
			gone("/c", "/c/old", "/c/old/deep")},
		{"delete file §9.6", storage.Intent{Op: storage.OpDelete, Src: "/a/z"}, gone("/a/z")},
		{"delete subtree keeps prefix siblings §9.6.1", storage.Intent{Op: storage.OpDelete, Src: "/a"},
			gone("/a", "/a/x", "/a/x/y", "/a/z")},
		{"delete root §9.6.1", storage.Intent{Op: storage.OpDelete, Src: "/"}, gone(fixtureTree...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, open)
			seed(t, s, fixtureTree...)
			other := mustBegin(t, s, storage.Intent{Op: storage.OpDelete, Src: "/"})
			in := mustBegin(t, s, tt.in)
			checkTree(t, s, identity(nil)) // beginning changes no property
			if err := s.CompleteIntent(context.Background(), in.ID); err != nil {
				t.Fatalf("CompleteIntent(%+v): %v", in, err)
			}
			checkTree(t, s, identity(tt.want))
			checkIntents(t, s, []storage.Intent{other})
		})
	}
}

// testAbort checks that AbortIntent forgets only its intent and changes no
// property.
func testAbort(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open)
	seed(t, s, fixtureTree...)
	a := mustBegin(t, s, storage.Intent{Op: storage.OpMove, Src: "/a", Dst: "/n"})
	b := mustBegin(t, s, storage.Intent{Op: storage.OpDelete, Src: "/"})
	c := mustBegin(t, s, storage.Intent{Op: storage.OpCopy, Src: "/c", Dst: "/a", Depth0: true})
	if err := s.AbortIntent(ctx, b.ID); err != nil {
		t.Fatalf("AbortIntent: %v", err)
	}
	checkIntents(t, s, []storage.Intent{a, c})
	if err := s.AbortIntent(ctx, a.ID); err != nil {
		t.Fatalf("AbortIntent: %v", err)
	}
	checkIntents(t, s, []storage.Intent{c})
	checkTree(t, s, identity(nil))
	if err := s.CompleteIntent(ctx, a.ID); !errors.Is(err, storage.ErrNoIntent) {
		t.Errorf("CompleteIntent after AbortIntent = %v, want storage.ErrNoIntent", err)
	}
	checkTree(t, s, identity(nil))
}

// testUnknownIntent checks that CompleteIntent and AbortIntent of an ID the
// log does not hold, never did or no longer does, fail with
// storage.ErrNoIntent and change nothing.
func testUnknownIntent(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open)
	seed(t, s, fixtureTree...)
	done := mustBegin(t, s, storage.Intent{Op: storage.OpCopy, Src: "/a", Dst: "/n"})
	if err := s.CompleteIntent(ctx, done.ID); err != nil {
		t.Fatalf("CompleteIntent: %v", err)
	}
	want := identity(with(nil, "/n", "/a", "/n/x", "/a/x", "/n/x/y", "/a/x/y", "/n/z", "/a/z"))
	kept := mustBegin(t, s, storage.Intent{Op: storage.OpDelete, Src: "/"})
	ids := []struct {
		name string
		id   uint64
	}{
		{"completed", done.ID},
		{"never begun", kept.ID + 1000},
		{"zero", 0},
	}
	for _, tt := range ids {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.CompleteIntent(ctx, tt.id); !errors.Is(err, storage.ErrNoIntent) {
				t.Errorf("CompleteIntent(%d) = %v, want storage.ErrNoIntent", tt.id, err)
			}
			if err := s.AbortIntent(ctx, tt.id); !errors.Is(err, storage.ErrNoIntent) {
				t.Errorf("AbortIntent(%d) = %v, want storage.ErrNoIntent", tt.id, err)
			}
		})
	}
	checkTree(t, s, want)
	checkIntents(t, s, []storage.Intent{kept})
}

// testMalformedIntent checks that BeginIntent refuses an intent that is not
// one of the three tree changes, with storage.ErrInvalidIntent (or
// storage.ErrInvalidPath for a missing path), and records nothing.
func testMalformedIntent(t *testing.T, open Opener) {
	s := newStore(t, open)
	tests := []struct {
		name string
		in   storage.Intent
		is   error
	}{
		{"unknown op", storage.Intent{Op: "rename", Src: "/a", Dst: "/b"}, storage.ErrInvalidIntent},
		{"no op", storage.Intent{Src: "/a", Dst: "/b"}, storage.ErrInvalidIntent},
		{"move without destination", storage.Intent{Op: storage.OpMove, Src: "/a"}, storage.ErrInvalidPath},
		{"copy without source", storage.Intent{Op: storage.OpCopy, Dst: "/b"}, storage.ErrInvalidPath},
		{"delete with destination", storage.Intent{Op: storage.OpDelete, Src: "/a", Dst: "/b"}, storage.ErrInvalidIntent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := s.BeginIntent(context.Background(), tt.in); !errors.Is(err, tt.is) {
				t.Errorf("BeginIntent(%+v) = %+v, %v; want an error wrapping %v", tt.in, got, err, tt.is)
			}
		})
	}
	checkIntents(t, s, nil)
}

// testConcurrentComplete checks that an intent completed by several callers
// at once is applied once: one succeeds, the others get
// storage.ErrNoIntent.
func testConcurrentComplete(t *testing.T, open Opener) {
	s := newStore(t, open)
	seed(t, s, fixtureTree...)
	// A second application would move the then empty /a over /n.
	in := mustBegin(t, s, storage.Intent{Op: storage.OpMove, Src: "/a", Dst: "/n"})
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = s.CompleteIntent(context.Background(), in.ID) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, storage.ErrNoIntent):
			t.Errorf("concurrent CompleteIntent = %v, want nil or storage.ErrNoIntent", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent CompleteIntent calls succeeded, want 1", ok)
	}
	checkTree(t, s, identity(with(gone("/a", "/a/x", "/a/x/y", "/a/z"),
		"/n", "/a", "/n/x", "/a/x", "/n/x/y", "/a/x/y", "/n/z", "/a/z")))
	checkIntents(t, s, nil)
}

func mustBegin(t *testing.T, s store, in storage.Intent) storage.Intent {
	t.Helper()
	got, err := s.BeginIntent(context.Background(), in)
	if err != nil {
		t.Fatalf("BeginIntent(%+v): %v", in, err)
	}
	return got
}

// checkIntents checks that Intents lists exactly want, in order.
func checkIntents(t *testing.T, s store, want []storage.Intent) {
	t.Helper()
	got, err := s.Intents(context.Background())
	if err != nil {
		t.Errorf("Intents: %v", err)
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("Intents =\n%s\nwant\n%s", formatIntents(got), formatIntents(want))
	}
}

func formatIntents(ins []storage.Intent) string {
	var b strings.Builder
	for _, in := range ins {
		fmt.Fprintf(&b, "\t{ID:%d Op:%q Src:%q Dst:%q Depth0:%t}\n", in.ID, in.Op, in.Src, in.Dst, in.Depth0)
	}
	return b.String()
}
