package localfs

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage"
)

var propA = xml.Name{Space: "urn:t", Local: "a"}

// TestRecover sets a prop on /f, records an intent, does on disk what a
// crash let happen of the tree change, and checks what Recover leaves.
func TestRecover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name      string
		intent    storage.Intent
		treeStep  func(root string) // what the crash let happen on disk
		completed bool
		propAt    string // where the prop must be after recovery ("" for nowhere)
		exists    []string
		gone      []string
	}{
		{"DESIGN6 move renamed before crash completes", storage.Intent{Op: storage.OpMove, Src: "/f", Dst: "/g"},
			func(root string) { os.Rename(filepath.Join(root, "f"), filepath.Join(root, "g")) },
			true, "/g", []string{"g"}, []string{"f"}},
		{"DESIGN6 move not renamed is undone", storage.Intent{Op: storage.OpMove, Src: "/f", Dst: "/g"},
			func(string) {}, false, "/f", []string{"f"}, []string{"g"}},
		{"DESIGN6 delete is rolled forward", storage.Intent{Op: storage.OpDelete, Src: "/f"},
			func(string) {}, true, "", nil, []string{"f"}},
		{"DESIGN6 half copy is undone", storage.Intent{Op: storage.OpCopy, Src: "/f", Dst: "/g"},
			func(root string) { os.WriteFile(filepath.Join(root, "g"), []byte("par"), 0o644) },
			false, "/f", []string{"f"}, []string{"g"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFS(t)
			os.WriteFile(filepath.Join(f.Root(), "f"), []byte("full"), 0o644)
			if err := f.store.PatchProps(ctx, "/f", map[xml.Name][]byte{propA: []byte(`<a xmlns="urn:t">1</a>`)}, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := f.store.BeginIntent(ctx, tt.intent); err != nil {
				t.Fatal(err)
			}
			tt.treeStep(f.Root())
			done, err := f.Recover(ctx, nil)
			if err != nil || len(done) != 1 || done[0].Completed != tt.completed {
				t.Fatalf("Recover = %+v, %v; want one, completed=%v", done, err, tt.completed)
			}
			for _, p := range []string{"/f", "/g"} {
				props, _ := f.store.Props(ctx, p)
				if has := len(props) > 0; has != (p == tt.propAt) {
					t.Errorf("props at %s: %v, want only at %q", p, props, tt.propAt)
				}
			}
			for _, n := range tt.exists {
				if _, err := os.Stat(filepath.Join(f.Root(), n)); err != nil {
					t.Errorf("%s missing after recovery", n)
				}
			}
			for _, n := range tt.gone {
				if _, err := os.Stat(filepath.Join(f.Root(), n)); err == nil {
					t.Errorf("%s still there after recovery", n)
				}
			}
			if r, err := f.Check(ctx, nil); err != nil || !r.Consistent() {
				t.Fatalf("Check after recovery = %+v, %v", r, err)
			}
		})
	}
}

func TestSweepTempKeepsYoungFiles(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	old := filepath.Join(f.Root(), TempPrefix+"old")
	young := filepath.Join(f.Root(), TempPrefix+"young")
	os.WriteFile(old, nil, 0o600)
	os.Chtimes(old, time.Now(), time.Now().Add(-time.Hour))
	os.WriteFile(young, nil, 0o600)
	removed, err := f.SweepTemp(context.Background(), time.Now().Add(-time.Minute))
	if err != nil || len(removed) != 1 || removed[0] != old {
		t.Fatalf("SweepTemp = %v, %v; want only the old file", removed, err)
	}
	if _, err := os.Stat(young); err != nil {
		t.Fatal("young temp file swept")
	}
}

// A delete intent whose parent folder is already gone (an outer DELETE
// finished it) must not stop the server from starting.
func TestRecoverDeleteUnderMissingParent(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	ctx := context.Background()
	if _, err := f.store.BeginIntent(ctx, storage.Intent{Op: storage.OpDelete, Src: "/gone/f"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Recover(ctx, nil); err != nil {
		t.Fatalf("Recover with a missing parent: %v", err)
	}
	if in, _ := f.store.Intents(ctx); len(in) != 0 {
		t.Fatalf("intents left: %v", in)
	}
}

// TestRecoverShared: while serving, a MOVE a dead peer left half done
// (renamed, props not moved) is completed under the path locks of its
// source and destination; an intent its own request finishes while
// Recover waits for those locks is left alone.
func TestRecoverShared(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	ctx := context.Background()
	os.WriteFile(filepath.Join(f.Root(), "f"), []byte("x"), 0o644)
	if err := f.store.PatchProps(ctx, "/f", map[xml.Name][]byte{propA: []byte(`<a xmlns="urn:t">1</a>`)}, nil); err != nil {
		t.Fatal(err)
	}
	in, err := f.store.BeginIntent(ctx, storage.Intent{Op: storage.OpMove, Src: "/f", Dst: "/g"})
	if err != nil {
		t.Fatal(err)
	}
	os.Rename(filepath.Join(f.Root(), "f"), filepath.Join(f.Root(), "g"))
	var locked [][]string
	held := 0
	lock := func(ctx context.Context, paths ...string) (func(), error) {
		locked = append(locked, paths)
		held++
		return func() { held-- }, nil
	}
	done, err := f.Recover(ctx, lock)
	if err != nil || len(done) != 1 || done[0].Intent.ID != in.ID || !done[0].Completed {
		t.Fatalf("Recover = %v, %v; want the move completed", done, err)
	}
	if len(locked) != 1 || !slices.Equal(locked[0], []string{"/f", "/g"}) || held != 0 {
		t.Fatalf("locks taken %v, %d still held; want /f and /g, released", locked, held)
	}
	if props, _ := f.store.Props(ctx, "/g"); len(props) != 1 {
		t.Fatalf("props at /g after recovery: %v", props)
	}
	if done, err := f.Recover(ctx, lock); err != nil || len(done) != 0 {
		t.Fatalf("second Recover = %v, %v; want nothing", done, err)
	}

	in, err = f.store.BeginIntent(ctx, storage.Intent{Op: storage.OpDelete, Src: "/g"})
	if err != nil {
		t.Fatal(err)
	}
	finishing := func(ctx context.Context, paths ...string) (func(), error) {
		// The request holding the locks completes its own intent first.
		if err := f.store.AbortIntent(ctx, in.ID); err != nil {
			t.Error(err)
		}
		return func() {}, nil
	}
	if done, err := f.Recover(ctx, finishing); err != nil || len(done) != 0 {
		t.Fatalf("Recover of an intent finished meanwhile = %v, %v; want nothing", done, err)
	}
	if _, err := os.Stat(filepath.Join(f.Root(), "g")); err != nil {
		t.Fatalf("/g removed by the recovery of a finished delete: %v", err)
	}
}
