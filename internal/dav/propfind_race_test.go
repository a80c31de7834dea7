package dav

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/bolt"
)

// movingStore is a bolt store that runs change when the properties of
// the folder at is read: a MOVE or DELETE landing between a PROPFIND's
// stat of the folder and its listing, deterministically.
type movingStore struct {
	*bolt.Store
	at     string
	change func()
}

func (s movingStore) FolderProps(ctx context.Context, dir string) (map[string]map[xml.Name][]byte, error) {
	if dir == s.at {
		s.change()
	}
	return s.Store.FolderProps(ctx, dir)
}

func (s movingStore) FolderPropsExcept(ctx context.Context, dir, space string) (map[string]map[xml.Name][]byte, error) {
	if dir == s.at {
		s.change()
	}
	return s.Store.FolderPropsExcept(ctx, dir, space)
}

// TestPropfindFolderMovedMeanwhile: a folder moved away, removed or
// replaced by a file while a PROPFIND lists it answers a 404 (Depth 1), or
// a complete 207 without it (deeper in Depth: infinity): never a body cut
// short, and nothing is reported as a server failure.
func TestPropfindFolderMovedMeanwhile(t *testing.T) {
	t.Parallel()
	changes := map[string]func(root string){
		"moved":   func(root string) { os.Rename(filepath.Join(root, "c"), filepath.Join(root, "moved")) },
		"removed": func(root string) { os.RemoveAll(filepath.Join(root, "c")) },
		"replaced": func(root string) {
			os.RemoveAll(filepath.Join(root, "c"))
			os.WriteFile(filepath.Join(root, "c"), nil, 0o644)
		},
	}
	for name, change := range changes {
		for _, tt := range []struct {
			target, depth string
			status        int
		}{
			{"/c", "1", http.StatusNotFound},
			{"/", "infinity", http.StatusMultiStatus},
		} {
			t.Run(name+" Depth "+tt.depth, func(t *testing.T) {
				t.Parallel()
				root := t.TempDir()
				os.MkdirAll(filepath.Join(root, "c", "sub"), 0o755)
				os.WriteFile(filepath.Join(root, "c", "m"), []byte("y"), 0o644)
				var reported []error
				h := newHandlerWrapped(t, root, bolt.Options{}, func(s *bolt.Store) storage.Store {
					return movingStore{Store: s, at: "/c", change: func() { change(root) }}
				},
					Config{AllowInfiniteDepth: true, OnError: func(_ *http.Request, err error) { reported = append(reported, err) }})
				req := httptest.NewRequest("PROPFIND", tt.target, strings.NewReader(`<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`))
				req.Header.Set("Depth", tt.depth)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != tt.status {
					t.Errorf("status %d, want %d\n%s", rec.Code, tt.status, rec.Body)
				}
				if body := strings.TrimSpace(rec.Body.String()); tt.status == http.StatusMultiStatus && !strings.HasSuffix(body, "</D:multistatus>") {
					t.Errorf("207 cut short:\n%s", body)
				}
				if len(reported) != 0 {
					t.Errorf("reported as server failures: %v", reported)
				}
			})
		}
	}
}
