package server

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/atomdav/atomdav/internal/config"
	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/localfs"
)

// journalStore is a server store with an in-memory change index, as the
// stores keeping a storage.Journal have: the scan's two methods are its
// own, the rest of the journal is not used by startWatch (nil).
type journalStore struct {
	serverStore
	storage.Journal
	mu   sync.Mutex
	kids map[string]map[string]storage.Change // guarded by mu
}

func (j *journalStore) RecordChanges(ctx context.Context, changes []storage.Change) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range changes {
		dir := path.Dir(c.Path)
		if c.Kind == storage.ChangeRemoved {
			delete(j.kids[dir], path.Base(c.Path))
			continue
		}
		if j.kids[dir] == nil {
			j.kids[dir] = map[string]storage.Change{}
		}
		j.kids[dir][path.Base(c.Path)] = c
	}
	return 0, nil
}

func (j *journalStore) IndexChildren(ctx context.Context, dir string, fn func(storage.Change) error) error {
	j.mu.Lock()
	var kids []storage.Change
	for _, c := range j.kids[dir] {
		kids = append(kids, c)
	}
	j.mu.Unlock()
	slices.SortFunc(kids, func(a, b storage.Change) int { return strings.Compare(a.Path, b.Path) })
	for _, c := range kids {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// TestStartWatchScansFirst: where the store keeps a journal, the server
// scans the share before serving and logs what it found, and stop ends
// the watcher.
func TestStartWatchScansFirst(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"a.txt", "d/b.txt", "d/e/c.txt"} {
		local := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(local, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fsys, err := localfs.New(root, nil, localfs.Options{Hidden: config.StateFolder})
	if err != nil {
		t.Fatal(err)
	}
	store := &journalStore{kids: map[string]map[string]storage.Change{}}
	var logs bytes.Buffer
	cfg := config.Default()
	s := &Server{cfg: cfg, log: slog.New(slog.NewTextHandler(&logs, nil)), store: store, fsys: fsys}
	stop := s.startWatch(context.Background())
	store.mu.Lock()
	_, ok := store.kids["/d/e"]["c.txt"]
	store.mu.Unlock()
	if !ok {
		t.Error("the scan did not index /d/e/c.txt before startWatch returned")
	}
	stop() // the watcher's goroutines end: the log is ours to read
	if !strings.Contains(logs.String(), `msg="scanned the share" folders=3 files=3 changes=5`) {
		t.Errorf("log %q does not report the scan", logs.String())
	}
}
