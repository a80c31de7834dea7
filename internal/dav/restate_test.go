package dav

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/bolt"
)

// racingJournal is a store whose first RecordChanges is followed by
// make, as if a user made the path on disk just after atomdav journaled
// its own change of it and before it made that change.
type racingJournal struct {
	*bolt.Store
	once sync.Once
	make func()
}

func (s *racingJournal) RecordChanges(ctx context.Context, changes []storage.Change) (uint64, error) {
	seq, err := s.Store.RecordChanges(ctx, changes)
	s.once.Do(s.make)
	return seq, err
}

// TestJournalRestatedAfterFailedChange: a MKCOL or a LOCK of a new name
// journals its change before making it; when the disk then refuses it
// (the name was made on disk in between), the journal's index is told
// what the disk holds, not left claiming the change never made (no event
// of the watcher would follow to correct it).
func TestJournalRestatedAfterFailedChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method, body string
		made         func(local string) error // what appears on disk
		wantDir      bool
	}{
		{"MKCOL", "", func(l string) error { return os.WriteFile(l, []byte("file"), 0o644) }, false},
		{"LOCK", `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`,
			func(l string) error { return os.Mkdir(l, 0o755) }, true},
	} {
		t.Run(tc.method, func(t *testing.T) {
			root := t.TempDir()
			local := filepath.Join(root, "n")
			var j *racingJournal
			h := newHandlerWrapped(t, root, bolt.Options{}, func(b *bolt.Store) storage.Store {
				j = &racingJournal{Store: b, make: func() {
					if err := tc.made(local); err != nil {
						t.Error(err)
					}
				}}
				return j
			}, Config{})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, "/n", strings.NewReader(tc.body)))
			if rec.Code < 400 {
				t.Fatalf("%s over a name made meanwhile: %d", tc.method, rec.Code)
			}
			c, ok, err := j.IndexEntry(context.Background(), "/n")
			fi, serr := os.Stat(local)
			if err != nil || serr != nil || !ok || c.Dir != tc.wantDir || c.Inode == 0 || c.MtimeNs != fi.ModTime().UnixNano() {
				t.Errorf("after a failed %s the index holds %+v (%v, %v), the disk %v", tc.method, c, ok, err, fi)
			}
			if rec.Code == http.StatusInternalServerError && strings.Contains(rec.Body.String(), root) {
				t.Errorf("the error names the server's folder: %s", rec.Body)
			}
		})
	}
}
