package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/internal/config"
)

func TestCORSPolicyAllow(t *testing.T) {
	t.Parallel()
	listed := newCORSPolicy([]string{"https://app.example", "HTTPS://Other.Example/", " "})
	star := newCORSPolicy([]string{"*", "https://app.example"})
	for _, tc := range []struct {
		name        string
		p           corsPolicy
		origin      string
		want        string
		credentials bool
	}{
		{"listed", listed, "https://app.example", "https://app.example", true},
		{"listed-case-and-slash-normalised", listed, "https://other.example", "https://other.example", true},
		{"not-listed", listed, "https://evil.example", "", false},
		{"other-port-not-listed", listed, "https://app.example:8443", "", false},
		{"other-scheme-not-listed", listed, "http://app.example", "", false},
		{"no-origin", listed, "", "", false},
		{"star-any-origin-without-credentials", star, "https://evil.example", "*", false},
		{"star-listed-origin-keeps-credentials", star, "https://app.example", "https://app.example", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, cred := tc.p.allow(tc.origin)
			if got != tc.want || cred != tc.credentials {
				t.Errorf("allow(%q) = %q, %v; want %q, %v", tc.origin, got, cred, tc.want, tc.credentials)
			}
		})
	}
}

func TestAllowHeaders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		requested []string
		extra     string // what must follow corsHeaders
	}{
		{"nothing-asked", nil, ""},
		{"known-names-not-repeated", []string{"depth, content-type", "AUTHORIZATION"}, ""},
		{"asked-names-added-once", []string{"x-custom, X-Other", "x-custom"}, ", x-custom, X-Other"},
		{"malformed-names-dropped", []string{"x-ok, bad name, x\r\ninjected: 1, , (x)"}, ", x-ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := allowHeaders(tc.requested), corsHeaders+tc.extra; got != want {
				t.Errorf("allowHeaders(%q) = %q, want %q", tc.requested, got, want)
			}
		})
	}
}

func TestWithCORS(t *testing.T) {
	t.Parallel()
	const app = "https://app.example"
	for _, tc := range []struct {
		name    string
		origins []string
		method  string
		hdr     []string
		status  int    // the status the client gets
		next    bool   // whether the wrapped handler ran
		allow   string // Access-Control-Allow-Origin
		cred    bool   // Access-Control-Allow-Credentials: true
		vary    bool   // Vary: Origin
	}{
		{
			name: "preflight-allowed-origin-answered-204", origins: []string{app}, method: "OPTIONS",
			hdr:    []string{"Origin", app, "Access-Control-Request-Method", "PROPFIND", "Access-Control-Request-Headers", "depth, x-custom"},
			status: http.StatusNoContent, allow: app, cred: true, vary: true,
		},
		{
			name: "preflight-other-origin-passed-on-without-CORS", origins: []string{app}, method: "OPTIONS",
			hdr:    []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "PROPFIND"},
			status: http.StatusUnauthorized, next: true, vary: true,
		},
		{
			name: "request-allowed-origin", origins: []string{app}, method: "PROPFIND",
			hdr:    []string{"Origin", app},
			status: http.StatusUnauthorized, next: true, allow: app, cred: true, vary: true,
		},
		{
			name: "plain-OPTIONS-allowed-origin-passed-on", origins: []string{app}, method: "OPTIONS",
			hdr:    []string{"Origin", app},
			status: http.StatusUnauthorized, next: true, allow: app, cred: true, vary: true,
		},
		{
			name: "no-origin", origins: []string{app}, method: "PROPFIND",
			status: http.StatusUnauthorized, next: true, vary: true,
		},
		{
			name: "star-any-origin", origins: []string{"*"}, method: "OPTIONS",
			hdr:    []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "PUT"},
			status: http.StatusNoContent, allow: "*",
		},
		{
			name: "cors-off", method: "OPTIONS",
			hdr:    []string{"Origin", app, "Access-Control-Request-Method", "PUT"},
			status: http.StatusUnauthorized, next: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{cfg: config.Config{CORSOrigins: tc.origins}}
			next := false
			h := s.withCORS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next = true // stands for authentication refusing the request
				w.WriteHeader(http.StatusUnauthorized)
			}))
			r := httptest.NewRequest(tc.method, "/f", nil)
			for i := 0; i+1 < len(tc.hdr); i += 2 {
				r.Header.Set(tc.hdr[i], tc.hdr[i+1])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got := w.Result().Header
			if w.Code != tc.status || next != tc.next {
				t.Errorf("status %d, handler ran %v; want %d, %v", w.Code, next, tc.status, tc.next)
			}
			if a := got.Get("Access-Control-Allow-Origin"); a != tc.allow {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", a, tc.allow)
			}
			if c := got.Get("Access-Control-Allow-Credentials") == "true"; c != tc.cred {
				t.Errorf("Access-Control-Allow-Credentials: true present %v, want %v", c, tc.cred)
			}
			if v := strings.Contains(strings.Join(got.Values("Vary"), ","), "Origin"); v != tc.vary {
				t.Errorf("Vary: Origin present %v, want %v", v, tc.vary)
			}
			preflight := w.Code == http.StatusNoContent
			if m := got.Get("Access-Control-Allow-Methods"); preflight != (m == corsMethods) {
				t.Errorf("Access-Control-Allow-Methods %q on a %d", m, w.Code)
			}
			if preflight {
				if ah := got.Get("Access-Control-Allow-Headers"); !strings.HasPrefix(ah, corsHeaders) {
					t.Errorf("Access-Control-Allow-Headers %q lacks the WebDAV headers", ah)
				}
				if got.Get("Access-Control-Max-Age") == "" {
					t.Error("no Access-Control-Max-Age on a preflight answer")
				}
			}
			if e := got.Get("Access-Control-Expose-Headers"); (tc.allow != "" && !preflight) != (e == corsExpose) {
				t.Errorf("Access-Control-Expose-Headers %q (allowed origin %q, status %d)", e, tc.allow, w.Code)
			}
		})
	}
}

// TestCORSAllowHeadersEchoes checks a preflight asking for a header outside
// the WebDAV set gets it allowed.
func TestCORSAllowHeadersEchoes(t *testing.T) {
	t.Parallel()
	s := &Server{cfg: config.Config{CORSOrigins: []string{"https://app.example"}}}
	h := s.withCORS(http.NotFoundHandler())
	r := httptest.NewRequest("OPTIONS", "/", nil)
	r.Header.Set("Origin", "https://app.example")
	r.Header.Set("Access-Control-Request-Method", "LOCK")
	r.Header.Set("Access-Control-Request-Headers", "x-requested-with")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if ah := w.Header().Get("Access-Control-Allow-Headers"); !strings.HasSuffix(ah, ", x-requested-with") {
		t.Errorf("Access-Control-Allow-Headers %q does not allow the asked x-requested-with", ah)
	}
	for _, m := range []string{"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT"} {
		if !strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), m) {
			t.Errorf("Access-Control-Allow-Methods lacks %s", m)
		}
	}
}
