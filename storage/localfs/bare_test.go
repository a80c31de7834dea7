package localfs

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/bolt"
)

// intentCounter counts the intents begun through it.
type intentCounter struct {
	*bolt.Store
	begun atomic.Int32
}

func (c *intentCounter) BeginIntent(ctx context.Context, in storage.Intent) (storage.Intent, error) {
	c.begun.Add(1)
	return c.Store.BeginIntent(ctx, in)
}

// sharedStore hides Exclusive, as a store several instances share would.
type sharedStore struct{ storage.Store }

func (s sharedStore) BeginIntent(ctx context.Context, in storage.Intent) (storage.Intent, error) {
	return s.Store.(storage.IntentLog).BeginIntent(ctx, in)
}

// TestBareChangesSkipIntents: DELETE and MOVE of plain files with no dead
// properties in a store the process owns alone need no intent; anything
// with properties, a collection, or a shared store still records one, and
// the properties follow (RFC 4918 §9.6.1, §9.9.1).
func TestBareChangesSkipIntents(t *testing.T) {
	t.Parallel()
	prop := xml.Name{Space: "urn:x", Local: "p"}
	tests := []struct {
		name    string
		setup   func(t *testing.T, f *FS)
		do      func(ctx context.Context, f *FS) error
		intents int32
		check   func(t *testing.T, f *FS)
	}{
		{"delete a bare file", nil,
			func(ctx context.Context, f *FS) error { return f.RemoveAll(ctx, "/a") }, 0,
			func(t *testing.T, f *FS) { wantAbsent(t, f, "/a") }},
		{"delete a file with properties", withProp("/a", prop),
			func(ctx context.Context, f *FS) error { return f.RemoveAll(ctx, "/a") }, 1,
			func(t *testing.T, f *FS) { wantAbsent(t, f, "/a"); wantProps(t, f, "/a", 0) }},
		{"delete a folder", nil,
			func(ctx context.Context, f *FS) error { return f.RemoveAll(ctx, "/dir") }, 1,
			func(t *testing.T, f *FS) { wantAbsent(t, f, "/dir") }},
		{"move a bare file", nil,
			func(ctx context.Context, f *FS) error { return f.Rename(ctx, "/a", "/c") }, 0,
			func(t *testing.T, f *FS) { wantAbsent(t, f, "/a"); wantProps(t, f, "/c", 0) }},
		{"move a bare file over a bare file", nil,
			func(ctx context.Context, f *FS) error { return f.Rename(ctx, "/a", "/b") }, 0,
			func(t *testing.T, f *FS) { wantAbsent(t, f, "/a") }},
		{"move a file with properties", withProp("/a", prop),
			func(ctx context.Context, f *FS) error { return f.Rename(ctx, "/a", "/c") }, 1,
			func(t *testing.T, f *FS) { wantProps(t, f, "/a", 0); wantProps(t, f, "/c", 1) }},
		{"move a bare file over one with properties", withProp("/b", prop),
			func(ctx context.Context, f *FS) error { return f.Rename(ctx, "/a", "/b") }, 1,
			func(t *testing.T, f *FS) { wantProps(t, f, "/b", 0) }},
		{"move onto orphaned properties", withProp("/c", prop),
			func(ctx context.Context, f *FS) error { return f.Rename(ctx, "/a", "/c") }, 1,
			func(t *testing.T, f *FS) { wantProps(t, f, "/c", 0) }},
		{"move a folder", nil,
			func(ctx context.Context, f *FS) error { return f.Rename(ctx, "/dir", "/dir2") }, 1,
			func(t *testing.T, f *FS) { wantAbsent(t, f, "/dir") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, counter := countingFS(t)
			if tt.setup != nil {
				tt.setup(t, f)
			}
			if err := tt.do(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			if got := counter.begun.Load(); got != tt.intents {
				t.Errorf("%d intents begun, want %d", got, tt.intents)
			}
			tt.check(t, f)
		})
	}
	t.Run("a shared store always records intents", func(t *testing.T) {
		t.Parallel()
		f, counter := countingFS(t)
		f.store = sharedStore{counter}
		if err := f.RemoveAll(context.Background(), "/a"); err != nil {
			t.Fatal(err)
		}
		if err := f.Rename(context.Background(), "/b", "/c"); err != nil {
			t.Fatal(err)
		}
		if got := counter.begun.Load(); got != 2 {
			t.Errorf("%d intents begun, want 2", got)
		}
	})
}

// countingFS is an FS over files a and b and a folder dir holding x.
func countingFS(t *testing.T) (*FS, *intentCounter) {
	t.Helper()
	f := newTestFS(t)
	counter := &intentCounter{Store: f.store.(*bolt.Store)}
	f.store = counter
	root := f.Root()
	for _, name := range []string{"a", "b", "dir/x"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f, counter
}

func withProp(p string, name xml.Name) func(t *testing.T, f *FS) {
	return func(t *testing.T, f *FS) {
		t.Helper()
		v := []byte(`<p xmlns="urn:x">v</p>`)
		if err := f.store.PatchProps(context.Background(), p, map[xml.Name][]byte{name: v}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func wantAbsent(t *testing.T, f *FS, name string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(f.Root(), name)); !os.IsNotExist(err) {
		t.Errorf("%s still there (%v)", name, err)
	}
}

func wantProps(t *testing.T, f *FS, name string, n int) {
	t.Helper()
	props, err := f.store.Props(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if len(props) != n {
		t.Errorf("%s has %d properties, want %d", name, len(props), n)
	}
}
