package storagetest

import (
	"context"
	"encoding/xml"
	"errors"
	"slices"
	"testing"
)

// testWalk checks that WalkResources calls fn once for each resource with
// properties and for no other, stops at fn's first error and returns it,
// and lets fn use the store.
func testWalk(t *testing.T, open Opener) {
	ctx := context.Background()
	t.Run("lists each resource once", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, open)
		seed(t, s, fixtureTree...)
		seed(t, s, "/e/f", "/ünï 𝄞/日本", "/not\xffutf-8")
		mustPatch(t, s, "/a", props{{Space: "urn:w", Local: "more"}: []byte("<more/>")}, nil)
		want := append(slices.Clone(fixtureTree), "/e/f", "/ünï 𝄞/日本", "/not\xffutf-8")
		got := walkAll(t, s)
		checkWalk(t, got, want)
		if again := walkAll(t, s); !slices.Equal(again, got) {
			t.Errorf("second walk = %q, want the same order as the first, %q", again, got)
		}
	})
	t.Run("root without properties", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, open)
		seed(t, s, "/a", "/a/b")
		checkWalk(t, walkAll(t, s), []string{"/a", "/a/b"})
	})
	t.Run("empty store", func(t *testing.T) {
		t.Parallel()
		checkWalk(t, walkAll(t, newStore(t, open)), nil)
	})
	t.Run("resources emptied are gone", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, open)
		seed(t, s, "/a", "/b", "/b/c", "/d")
		mustPatch(t, s, "/a", nil, []xml.Name{originName, nullName})
		if err := s.DeleteTree(ctx, "/b"); err != nil {
			t.Fatal(err)
		}
		checkWalk(t, walkAll(t, s), []string{"/d"})
	})
	t.Run("stops on error", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, open)
		seed(t, s, fixtureTree...)
		stop := errors.New("stop")
		n := 0
		err := s.WalkResources(ctx, func(string) error {
			if n++; n == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) {
			t.Errorf("WalkResources = %v, want fn's error", err)
		}
		if n != 3 {
			t.Errorf("fn called %d times, want 3", n)
		}
	})
	t.Run("fn may write to the store", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, open)
		seed(t, s, fixtureTree...)
		// As a check removing orphaned properties does (DESIGN §6).
		err := s.WalkResources(ctx, func(p string) error {
			if _, err := s.Props(ctx, p); err != nil {
				return err
			}
			return s.DeleteTree(ctx, p)
		})
		if err != nil {
			t.Fatalf("WalkResources: %v", err)
		}
		checkWalk(t, walkAll(t, s), nil)
	})
}

// walkAll returns the paths WalkResources gives, in its order.
func walkAll(t *testing.T, s store) []string {
	t.Helper()
	var got []string
	err := s.WalkResources(context.Background(), func(p string) error {
		got = append(got, p)
		return nil
	})
	if err != nil {
		t.Fatalf("WalkResources: %v", err)
	}
	return got
}

// checkWalk checks that got holds each path of want once, in any order.
func checkWalk(t *testing.T, got, want []string) {
	t.Helper()
	g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(g, w) {
		t.Errorf("WalkResources gave %q, want %q in any order", g, w)
	}
}
