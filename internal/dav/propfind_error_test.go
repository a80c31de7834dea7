package dav

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/bolt"
)

// downStore is a bolt store whose property reads of the paths in down fail
// as a store that cannot be reached does.
type downStore struct {
	*bolt.Store
	down map[string]bool
}

func (s downStore) Props(ctx context.Context, p string) (map[xml.Name][]byte, error) {
	if s.down[p] {
		return nil, storage.ErrUnavailable
	}
	return s.Store.Props(ctx, p)
}

func (s downStore) FolderProps(ctx context.Context, dir string) (map[string]map[xml.Name][]byte, error) {
	if s.down[dir] {
		return nil, storage.ErrUnavailable
	}
	return s.Store.FolderProps(ctx, dir)
}

func (s downStore) FolderPropsExcept(ctx context.Context, dir, space string) (map[string]map[xml.Name][]byte, error) {
	if s.down[dir] {
		return nil, storage.ErrUnavailable
	}
	return s.Store.FolderPropsExcept(ctx, dir, space)
}

// TestPropfindStoreDown: a store that fails before the 207 has started
// gives the request the error's status (503) rather than an empty 200; one
// that fails mid-stream cuts the body short (the client sees malformed XML,
// not a complete-looking partial answer). Both reach OnError.
func TestPropfindStoreDown(t *testing.T) {
	tests := []struct {
		name, target, depth string
		down                string
		status              int
		complete            bool // the body ends its multistatus
	}{
		{"Depth 0 on a file", "/f", "0", "/f", http.StatusServiceUnavailable, false},
		{"Depth 1 on a folder", "/c", "1", "/c", http.StatusServiceUnavailable, false},
		{"a subfolder mid-stream", "/", "infinity", "/c", http.StatusMultiStatus, false},
		{"nothing down", "/", "infinity", "", http.StatusMultiStatus, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o644)
			os.MkdirAll(filepath.Join(root, "c"), 0o755)
			os.WriteFile(filepath.Join(root, "c", "m"), []byte("y"), 0o644)
			var reported []error
			h := newHandlerWrapped(t, root, bolt.Options{}, func(s *bolt.Store) storage.Store { return downStore{s, map[string]bool{tt.down: true}} },
				Config{AllowInfiniteDepth: true, OnError: func(_ *http.Request, err error) { reported = append(reported, err) }})
			req := httptest.NewRequest("PROPFIND", tt.target, strings.NewReader(`<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`))
			req.Header.Set("Depth", tt.depth)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d\n%s", rec.Code, tt.status, rec.Body)
			}
			if got := strings.HasSuffix(strings.TrimSpace(rec.Body.String()), "</D:multistatus>"); got != tt.complete {
				t.Errorf("body complete = %v, want %v:\n%s", got, tt.complete, rec.Body)
			}
			if wantReport := tt.down != ""; (len(reported) == 1 && errors.Is(reported[0], storage.ErrUnavailable)) != wantReport {
				t.Errorf("OnError got %v, want one ErrUnavailable: %v", reported, wantReport)
			}
		})
	}
}
