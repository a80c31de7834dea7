package bench

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/webdav"
)

// tiny shrinks every fixture so a scenario runs in a fraction of a second.
func tiny(url string) Config {
	return Config{URL: url, Duration: 150 * time.Millisecond, LargeSize: 256 << 10, PutLargeSize: 128 << 10,
		Files: 40, SmallFiles: 20, Clients: 3, Timeout: 10 * time.Second}
}

// davServer serves an in-memory share with golang.org/x/net/webdav.
func davServer(t *testing.T, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	var h http.Handler = &webdav.Handler{FileSystem: webdav.NewMemFS(), LockSystem: webdav.NewMemLS()}
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestScenarios runs every scenario against x/net/webdav, then against
// the stub Compare measures: the instrument itself must see no errors
// from a server that does what it asks, and the stub must answer every
// scenario as a real WebDAV server does.
func TestScenarios(t *testing.T) {
	stub := httptest.NewServer(NewStub())
	t.Cleanup(stub.Close)
	for _, srv := range []*httptest.Server{davServer(t, nil), stub} {
		runScenarios(t, srv.URL)
	}
}

func runScenarios(t *testing.T, url string) {
	b, err := New(tiny(url + "/"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range Scenarios() {
		t.Run(name, func(t *testing.T) {
			r, err := b.RunScenario(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if r.Errors != 0 || r.Ops == 0 {
				t.Errorf("%s: want operations and no errors: %s", name, r)
			}
			if r.Clients != 3 {
				t.Errorf("%s ran %d clients, want -c 3", name, r.Clients)
			}
		})
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PROPFIND", url+"/", nil)
	req.Header.Set("Depth", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusMultiStatus || strings.Contains(string(body), "davbench-") {
		t.Errorf("%s: PROPFIND / after Close: %d, want 207 without the run folder:\n%s", url, resp.StatusCode, body)
	}
}

// TestErrorsCounted checks that a failing PROPPATCH is an error, not an
// operation, and that the first error is kept.
func TestErrorsCounted(t *testing.T) {
	var n atomic.Int64
	srv := davServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "PROPPATCH" && n.Add(1)%2 == 0 {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusMultiStatus)
				w.Write([]byte(`<D:multistatus xmlns:D="DAV:"><D:response><D:href>/x</D:href><D:propstat><D:prop/><D:status>HTTP/1.1 424 Failed Dependency</D:status></D:propstat></D:response></D:multistatus>`))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	b, err := New(tiny(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	r, err := b.RunScenario(context.Background(), "proppatch")
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors == 0 || r.Ops == 0 {
		t.Errorf("want both operations and errors: %s", r)
	}
	if !strings.Contains(r.FirstError, "424") {
		t.Errorf("first error %q does not name the 424", r.FirstError)
	}
}

func TestBounds(t *testing.T) {
	srv := davServer(t, nil)
	cfg := tiny(srv.URL)
	cfg.Duration = time.Minute
	cfg.MaxOps = 25
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	// Without the count bound the scenario would run its minute and
	// count far more than 25 operations.
	r, err := b.RunScenario(context.Background(), "get-small")
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops+r.Errors != 25 {
		t.Errorf("ran %d operations, want the -n bound of 25", r.Ops+r.Errors)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{URL: "http://x/"},
		{URL: "http://x/", Duration: time.Second, Clients: -1},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
	if _, err := New(Config{URL: "ftp://x/", Duration: time.Second}); err == nil {
		t.Error("New accepted an ftp URL")
	}
	b, err := New(Config{URL: "http://127.0.0.1:1/", Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Prepare(context.Background(), "nope"); !errors.Is(err, ErrUnknownScenario) {
		t.Errorf("Prepare(nope) = %v, want ErrUnknownScenario", err)
	}
}
