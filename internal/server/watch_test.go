package server

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/internal/config"
	"github.com/atomdav/atomdav/storage/bolt"
	"github.com/atomdav/atomdav/storage/localfs"
)

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
	store, err := bolt.Open(filepath.Join(root, config.StateFolder, "state.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var logs bytes.Buffer
	cfg := config.Default()
	s := &Server{cfg: cfg, log: slog.New(slog.NewTextHandler(&logs, nil)), store: store, fsys: fsys}
	stop := s.startWatch(context.Background())
	if _, ok, err := store.IndexEntry(context.Background(), "/d/e/c.txt"); err != nil || !ok {
		t.Error("the scan did not index /d/e/c.txt before startWatch returned")
	}
	stop() // the watcher's goroutines end: the log is ours to read, the store to close
	if !strings.Contains(logs.String(), `msg="scanned the share" folders=3 files=3 changes=5`) {
		t.Errorf("log %q does not report the scan", logs.String())
	}
}
