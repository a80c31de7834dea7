package dav

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestScopedView: a view rooted at /c serves it as "/", hides the rest of
// the share, and a read-only view refuses every write method.
func TestScopedView(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	view := h.Scoped("", "/c", true)

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("PROPFIND", "/", nil)
	req.Header.Set("Depth", "1")
	view.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != http.StatusMultiStatus || !strings.Contains(body, "<D:href>/</D:href>") || !strings.Contains(body, "<D:href>/m</D:href>") {
		t.Fatalf("PROPFIND / through the view = %d\n%s", rec.Code, body)
	}
	rec = httptest.NewRecorder()
	view.ServeHTTP(rec, httptest.NewRequest("GET", "/../f", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("GET /../f through the view = %d, want 404 (outside the view)", rec.Code)
	}
	for _, m := range []string{"PUT", "DELETE", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"} {
		rec = httptest.NewRecorder()
		view.ServeHTTP(rec, httptest.NewRequest(m, "/m", strings.NewReader("")))
		if rec.Code != http.StatusForbidden {
			t.Errorf("%s through a read-only view = %d, want 403", m, rec.Code)
		}
	}
	rec = httptest.NewRecorder()
	view.ServeHTTP(rec, httptest.NewRequest("GET", "/m", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "y" {
		t.Fatalf("GET /m through the view = %d %q", rec.Code, rec.Body.String())
	}
}

// TestRootIsKept: whoever asks, the view's root is never deleted, moved,
// overwritten by a COPY or MOVE, or replaced by a PUT; PROPPATCH and LOCK
// of it stay allowed.
func TestRootIsKept(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	views := map[string]*Handler{"share": h, "share-scoped-slash": h.Scoped("", "/", false), "user": h.Scoped("c", "/c", false)}
	const prop = `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:a>1</Z:a></D:prop></D:set></D:propertyupdate>`
	const lock = `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`
	tests := []struct {
		name, method, path, dest, body string
		want                           int
	}{
		{"RFC4918_9.6/DELETE-root", "DELETE", "/", "", "", http.StatusForbidden},
		{"RFC4918_9.9/MOVE-root", "MOVE", "/", "/moved", "", http.StatusForbidden},
		{"RFC4918_9.8/COPY-root", "COPY", "/", "/copied", "", http.StatusForbidden},
		{"RFC4918_9.9/MOVE-onto-root", "MOVE", "/x", "/", "", http.StatusForbidden},
		{"RFC4918_9.8/COPY-onto-root", "COPY", "/x", "/", "", http.StatusForbidden},
		{"RFC4918_9.7/PUT-root", "PUT", "/", "", "file", http.StatusMethodNotAllowed},
		{"RFC4918_9.2/PROPPATCH-root", "PROPPATCH", "/", "", prop, http.StatusMultiStatus},
		{"RFC4918_9.10/LOCK-root", "LOCK", "/", "", lock, http.StatusOK},
	}
	for name, view := range views {
		t.Run(name, func(t *testing.T) {
			put := httptest.NewRecorder()
			view.ServeHTTP(put, httptest.NewRequest("PUT", "/x", strings.NewReader("x")))
			if put.Code != http.StatusCreated && put.Code != http.StatusNoContent {
				t.Fatalf("PUT /x = %d", put.Code)
			}
			for _, tt := range tests {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
				if tt.dest != "" {
					req.Header.Set("Destination", tt.dest)
					req.Header.Set("Overwrite", "T")
				}
				view.ServeHTTP(rec, req)
				if rec.Code != tt.want {
					t.Errorf("%s: %s %s = %d, want %d\n%s", tt.name, tt.method, tt.path, rec.Code, tt.want, rec.Body)
				}
				if tt.method == "LOCK" && rec.Code == http.StatusOK {
					unlock := httptest.NewRequest("UNLOCK", "/", nil)
					unlock.Header.Set("Lock-Token", rec.Header().Get("Lock-Token"))
					view.ServeHTTP(httptest.NewRecorder(), unlock)
				}
			}
			rec := httptest.NewRecorder()
			view.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
			if rec.Code != http.StatusOK || rec.Body.String() != "x" {
				t.Errorf("GET /x after the refusals = %d %q", rec.Code, rec.Body)
			}
		})
	}
}
