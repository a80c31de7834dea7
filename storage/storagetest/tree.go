package storagetest

import (
	"context"
	"testing"

	"github.com/atomdav/atomdav/storage"
)

// treeOp is one subtree operation under test.
type treeOp func(ctx context.Context, s storage.Store) error

// copyTree and moveTree change the properties of a subtree the one way a
// store offers: an intent, begun and completed.
func copyTree(src, dst string) treeOp {
	return func(ctx context.Context, s storage.Store) error {
		return completeIntent(ctx, s, storage.Intent{Op: storage.OpCopy, Src: src, Dst: dst})
	}
}

func moveTree(src, dst string) treeOp {
	return func(ctx context.Context, s storage.Store) error {
		return completeIntent(ctx, s, storage.Intent{Op: storage.OpMove, Src: src, Dst: dst})
	}
}

// completeIntent begins in and completes it.
func completeIntent(ctx context.Context, s storage.Store, in storage.Intent) error {
	in, err := s.BeginIntent(ctx, in)
	if err != nil {
		return err
	}
	return s.CompleteIntent(ctx, in.ID)
}

func deleteTree(p string) treeOp {
	return func(ctx context.Context, s storage.Store) error { return s.DeleteTree(ctx, p) }
}

// testTrees checks COPY, MOVE and DELETE of files and subtrees (RFC 4918
// §9.8, §9.9, §9.6) on fixtureTree: want maps each path to the path whose
// properties it holds afterwards ("" for none); paths not named keep their
// own.
func testTrees(t *testing.T, open Opener) {
	all := gone(fixtureTree...)
	tests := []struct {
		name string
		op   treeOp
		want map[string]string
	}{
		{"DeleteTree file", deleteTree("/a/z"), gone("/a/z")},
		{"DeleteTree subtree keeps prefix siblings", deleteTree("/a"), gone("/a", "/a/x", "/a/x/y", "/a/z")},
		{"DeleteTree leaf of subtree", deleteTree("/a/x/y"), gone("/a/x/y")},
		{"DeleteTree root", deleteTree("/"), all},
		{"DeleteTree absent", deleteTree("/nobody"), nil},
		{"CopyTree file", copyTree("/a/z", "/n"), with(nil, "/n", "/a/z")},
		{"CopyTree file onto file", copyTree("/a/z", "/cd"), map[string]string{"/cd": "/a/z"}},
		{"CopyTree subtree replaces destination subtree", copyTree("/a", "/c"),
			with(gone("/c/old", "/c/old/deep"), "/c", "/a", "/c/x", "/a/x", "/c/x/y", "/a/x/y", "/c/z", "/a/z")},
		{"CopyTree to new deep path", copyTree("/a", "/n/m"),
			with(gone("/n"), "/n/m", "/a", "/n/m/x", "/a/x", "/n/m/x/y", "/a/x/y", "/n/m/z", "/a/z")},
		{"CopyTree to prefix sibling", copyTree("/a", "/ab"),
			with(nil, "/ab", "/a", "/ab/x", "/a/x", "/ab/x/y", "/a/x/y", "/ab/z", "/a/z")},
		{"CopyTree absent source clears destination", copyTree("/nobody", "/c"), gone("/c", "/c/old", "/c/old/deep")},
		{"CopyTree onto root", copyTree("/ab", "/"), with(gone(fixtureTree...), "/", "/ab", "/x", "/ab/x")},
		{"MoveTree file", moveTree("/a/z", "/n"), with(gone("/a/z"), "/n", "/a/z")},
		{"MoveTree subtree replaces destination subtree", moveTree("/a", "/c"),
			with(gone("/a", "/a/x", "/a/x/y", "/a/z", "/c/old", "/c/old/deep"), "/c", "/a", "/c/x", "/a/x", "/c/x/y", "/a/x/y", "/c/z", "/a/z")},
		{"MoveTree to prefix sibling", moveTree("/a", "/ab"),
			with(gone("/a", "/a/x", "/a/x/y", "/a/z"), "/ab", "/a", "/ab/x", "/a/x", "/ab/x/y", "/a/x/y", "/ab/z", "/a/z")},
		{"MoveTree from prefix sibling", moveTree("/ab", "/a"),
			with(gone("/ab", "/ab/x", "/a/x/y", "/a/z"), "/a", "/ab", "/a/x", "/ab/x")},
		{"MoveTree to deeper path", moveTree("/c", "/a b/c"),
			with(gone("/c", "/c/old", "/c/old/deep"), "/a b/c", "/c", "/a b/c/old", "/c/old", "/a b/c/old/deep", "/c/old/deep")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, open)
			seed(t, s, fixtureTree...)
			if err := tt.op(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			checkTree(t, s, identity(tt.want))
		})
	}
}

// testOverlappingTrees checks operations whose source and destination
// overlap. Refusing them is the caller's job (RFC 4918 §9.8.5, §9.9.4), so a
// store may succeed or fail, but must not corrupt anything: on error nothing
// changes; on success a copy or move onto itself changes nothing, and paths
// outside both subtrees are untouched either way.
func testOverlappingTrees(t *testing.T, open Opener) {
	tests := []struct {
		name     string
		op       treeOp
		src, dst string
	}{
		{"CopyTree onto itself", copyTree("/a", "/a"), "/a", "/a"},
		{"MoveTree onto itself", moveTree("/a", "/a"), "/a", "/a"},
		{"CopyTree root onto itself", copyTree("/", "/"), "/", "/"},
		{"MoveTree root onto itself", moveTree("/", "/"), "/", "/"},
		{"CopyTree into own descendant", copyTree("/a", "/a/x"), "/a", "/a/x"},
		{"MoveTree into own descendant", moveTree("/a", "/a/x/new"), "/a", "/a/x/new"},
		{"CopyTree root into descendant", copyTree("/", "/c/old"), "/", "/c/old"},
		{"MoveTree onto own ancestor", moveTree("/a/x", "/a"), "/a/x", "/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, open)
			seed(t, s, fixtureTree...)
			err := tt.op(context.Background(), s)
			want := identity(nil)
			if err == nil && tt.src != tt.dst {
				for p := range want {
					if within(p, tt.src) || within(p, tt.dst) {
						delete(want, p) // left to the store
					}
				}
			}
			checkTree(t, s, want)
			mustPatch(t, s, "/after", origin("/after"), nil) // still usable
			checkTree(t, s, map[string]string{"/after": "/after"})
		})
	}
}

// gone maps each path to "": it holds no properties.
func gone(paths ...string) map[string]string {
	m := make(map[string]string)
	for _, p := range paths {
		m[p] = ""
	}
	return m
}

// with adds to m (nil for a new map) the pairs path, origin of kv.
func with(m map[string]string, kv ...string) map[string]string {
	if m == nil {
		m = make(map[string]string)
	}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// within reports whether p is root or one of its descendants.
func within(p, root string) bool {
	return p == root || storage.IsBelow(p, root)
}
