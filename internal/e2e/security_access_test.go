package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomdav/atomdav/internal/testbin"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"
)

// The users of the access tests: root reads and writes the whole share,
// carol reads and writes only her folder /carol.
const (
	rootPassword  = "root pass"
	carolPassword = "carol pass"
)

// accessConfig writes a config file (outside the served folder) with the
// users root (root /) and carol (root /carol), both read-write, plus extra
// YAML lines, and returns its path.
func accessConfig(t *testing.T, extra ...string) string {
	t.Helper()
	return accessConfigCost(t, bcrypt.MinCost, extra...)
}

// accessConfigCost is accessConfig with the hashes made at bcrypt cost.
func accessConfigCost(t *testing.T, cost int, extra ...string) string {
	t.Helper()
	return usersConfigCost(t, cost, []testUser{{"root", rootPassword, "/", false}, {"carol", carolPassword, "/carol", false}}, extra...)
}

// accessTree makes the served folder: /carol/c.txt and /carol/sub/s.txt.
func accessTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "carol", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"carol/c.txt": "carol's", "carol/sub/s.txt": "deep"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestUserRootIsKept: a user cannot delete, move, overwrite or replace
// with a file the folder they see as "/", nor can a user rooted at / the
// share's root; PROPPATCH and LOCK of it still work.
func TestUserRootIsKept(t *testing.T) {
	t.Parallel()
	dir := accessTree(t)
	s := startAuthServer(t, dir, "--config", accessConfig(t))
	carol, root := basicCreds("carol", carolPassword), basicCreds("root", rootPassword)
	want(t, s.do(t, "PUT", "/x.txt", "x", carol...), http.StatusCreated, "carol PUT /x.txt")

	tests := []struct {
		name, method, path string
		hdr                []string
		want               int
	}{
		{"DELETE-root", "DELETE", "/", nil, http.StatusForbidden},
		{"MOVE-root", "MOVE", "/", []string{"Destination", s.URL + "/moved"}, http.StatusForbidden},
		{"COPY-onto-root-overwrite", "COPY", "/x.txt", []string{"Destination", s.URL + "/", "Overwrite", "T"}, http.StatusForbidden},
		{"MOVE-onto-root-overwrite", "MOVE", "/x.txt", []string{"Destination", s.URL + "/", "Overwrite", "T"}, http.StatusForbidden},
		{"COPY-sub-onto-root", "COPY", "/sub/", []string{"Destination", s.URL + "/", "Overwrite", "T"}, http.StatusForbidden},
		{"PUT-root", "PUT", "/", nil, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run("carol/"+tt.name, func(t *testing.T) {
			want(t, s.do(t, tt.method, tt.path, "replaced", withHeaders(carol, tt.hdr...)...), tt.want, "carol "+tt.method+" "+tt.path)
		})
	}
	t.Run("carol/PROPPATCH-and-LOCK-root-allowed", func(t *testing.T) {
		want(t, s.do(t, "PROPPATCH", "/", authColorProp, carol...), http.StatusMultiStatus, "carol PROPPATCH /")
		r := s.do(t, "LOCK", "/", `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`, carol...)
		want(t, r, http.StatusOK, "carol LOCK /")
		want(t, s.do(t, "UNLOCK", "/", "", withHeaders(carol, "Lock-Token", r.Header.Get("Lock-Token"))...), http.StatusNoContent, "carol UNLOCK /")
	})
	t.Run("root/DELETE-share-root", func(t *testing.T) {
		want(t, s.do(t, "DELETE", "/", "", root...), http.StatusForbidden, "root DELETE /")
		want(t, s.do(t, "MOVE", "/", "", withHeaders(root, "Destination", s.URL+"/elsewhere")...), http.StatusForbidden, "root MOVE /")
		want(t, s.do(t, "PUT", "/", "file", root...), http.StatusMethodNotAllowed, "root PUT /")
	})

	for name, content := range map[string]string{"c.txt": "carol's", "sub/s.txt": "deep", "x.txt": "x"} {
		if b, err := os.ReadFile(filepath.Join(dir, "carol", filepath.FromSlash(name))); err != nil || string(b) != content {
			t.Errorf("/carol/%s after the refusals: %q, %v; want %q", name, b, err, content)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "carol")); err != nil || !fi.IsDir() {
		t.Errorf("carol's folder after the refusals: %v, %v", fi, err)
	}
}

// xssName is a file name that would be markup if the listing did not
// escape it.
const xssName = `<img src=x onerror=alert(1)>.txt`

// ranScript marks the document when it runs: it must not, in a sandbox.
const ranScript = `<script>document.documentElement.setAttribute("data-ran", "1")</script>`

// TestUploadedContentSandboxed: a file one user uploads is served with
// Content-Security-Policy: sandbox and nosniff (GET, HEAD, a query, a
// range, an error), so an .html or .svg never runs script in the share's
// origin with another user's credentials; the listing keeps its own CSP,
// which allows its own script and style, and escapes names.
func TestUploadedContentSandboxed(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/x.html", "<!doctype html><title>page</title>"+ranScript)
	s.put(t, "/x.svg", `<svg xmlns="http://www.w3.org/2000/svg">`+ranScript+`</svg>`)
	s.put(t, "/x.xhtml", `<html xmlns="http://www.w3.org/1999/xhtml"><body>`+ranScript+`</body></html>`)
	s.put(t, "/"+url.PathEscape(xssName), "x")

	for _, tt := range []struct {
		name, method, path string
		hdr                []string
		status             int
	}{
		{"GET-html", "GET", "/x.html", nil, http.StatusOK},
		{"GET-svg", "GET", "/x.svg", nil, http.StatusOK},
		{"GET-xhtml", "GET", "/x.xhtml", nil, http.StatusOK},
		{"GET-with-query", "GET", "/x.html?a=1&b=%3Cscript%3E", nil, http.StatusOK},
		{"HEAD", "HEAD", "/x.html", nil, http.StatusOK},
		{"RFC9110_14.2/range-206", "GET", "/x.html", []string{"Range", "bytes=0-4"}, http.StatusPartialContent},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(t, tt.method, tt.path, "", tt.hdr...)
			want(t, r, tt.status, tt.method+" "+tt.path)
			if csp := r.Header.Get("Content-Security-Policy"); csp != "sandbox" {
				t.Errorf("Content-Security-Policy %q, want sandbox", csp)
			}
			if r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", r.Header.Get("X-Content-Type-Options"))
			}
		})
	}
	t.Run("error-nosniff", func(t *testing.T) {
		r := s.do(t, "GET", "/missing.html", "")
		want(t, r, http.StatusNotFound, "GET /missing.html")
		if r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("404: X-Content-Type-Options %q, want nosniff", r.Header.Get("X-Content-Type-Options"))
		}
	})
	t.Run("listing-own-CSP-escaped-names", func(t *testing.T) {
		r := s.do(t, "GET", "/", "", "Accept", "text/html")
		want(t, r, http.StatusOK, "GET / as a browser")
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'sha256-") || !strings.Contains(csp, "style-src 'sha256-") || strings.Contains(csp, "sandbox") {
			t.Errorf("the listing's CSP %q does not allow its own script and style by hash", csp)
		}
		body := string(r.Body)
		if strings.Contains(body, "<img") || !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;.txt") {
			t.Errorf("the listing does not escape %q:\n%s", xssName, body)
		}
	})

	chromium := testbin.NeedTool(t, "chromium", "chromium")
	ctx := newBrowser(t, chromium)
	for _, p := range []string{"/x.html", "/x.svg", "/x.xhtml"} {
		step(t, ctx, "open "+p, chromedp.Navigate(s.URL+p))
		if ran := eval[bool](t, ctx, `document.documentElement.hasAttribute("data-ran")`); ran {
			t.Errorf("the script in the uploaded %s ran in the browser", p)
		}
	}
	step(t, ctx, "open the listing", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#listing")))
	if n := eval[int](t, ctx, `document.querySelectorAll("#listing thead th[scope=col] button.sort").length`); n != 3 {
		t.Errorf("%d sort buttons in the listing, want 3 (listing.js did not run?)", n)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#listing img").length`); n != 0 {
		t.Errorf("the listing holds %d img elements: a file name became markup", n)
	}
	if !slices.Contains(eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#listing tbody tr")).map(tr => tr.dataset.name)`), xssName) {
		t.Errorf("the listing does not show %q as text", xssName)
	}
}

// TestProxyAuthHeaderOnce: from a trusted proxy the auth header must name
// one user, once; sent twice, or as a comma-separated list, it is refused
// with 400 rather than the first name taken.
func TestProxyAuthHeaderOnce(t *testing.T) {
	t.Parallel()
	dir := accessTree(t)
	s := startAuthServer(t, dir, "--config", accessConfig(t), "--trusted-proxies", "127.0.0.1", "--auth-header", "X-Forwarded-User")
	send := func(t *testing.T, method, path string, users ...string) reply {
		t.Helper()
		req, err := s.request(method, path, strings.NewReader("from "+strings.Join(users, "+")))
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			req.Header.Add("X-Forwarded-User", u)
		}
		r, err := s.sendRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name, method, path string
		users              []string
		status             int
	}{
		{"once/carol-in-her-root", "PUT", "/p.txt", []string{"carol"}, http.StatusCreated},
		{"once/root", "GET", "/carol/p.txt", []string{"root"}, http.StatusOK},
		{"twice/carol-then-root", "PUT", "/carol/twice.txt", []string{"carol", "root"}, http.StatusBadRequest},
		{"twice/root-then-carol", "GET", "/carol/c.txt", []string{"root", "carol"}, http.StatusBadRequest},
		{"twice/same-name", "GET", "/c.txt", []string{"carol", "carol"}, http.StatusBadRequest},
		{"twice/one-empty", "GET", "/c.txt", []string{"carol", ""}, http.StatusBadRequest},
		{"comma-list", "PUT", "/carol/list.txt", []string{"root, carol"}, http.StatusBadRequest},
		{"comma-list-of-one-known", "GET", "/c.txt", []string{"carol,"}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, tt.method, tt.path, tt.users...)
			want(t, r, tt.status, fmt.Sprintf("%s %s with X-Forwarded-User %q", tt.method, tt.path, tt.users))
		})
	}
	for _, name := range []string{"twice.txt", "list.txt"} {
		if _, err := os.Stat(filepath.Join(dir, "carol", name)); !os.IsNotExist(err) {
			t.Errorf("/carol/%s exists after a refused PUT: %v", name, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "carol", "p.txt")); string(b) != "from carol" {
		t.Errorf("/carol/p.txt = %q after carol's PUT through the proxy", b)
	}
}

// TestAuthorizationOnce: two Authorization headers are refused with 400,
// whichever comes first, rather than the first one believed.
func TestAuthorizationOnce(t *testing.T) {
	t.Parallel()
	dir := accessTree(t)
	s := startAuthServer(t, dir, "--config", accessConfig(t))
	basic := func(user, pass string) string { return basicCreds(user, pass)[1] }
	for _, tt := range []struct {
		name   string
		auth   []string
		status int
	}{
		{"once", []string{basic("carol", carolPassword)}, http.StatusCreated},
		{"carol-then-root", []string{basic("carol", carolPassword), basic("root", rootPassword)}, http.StatusBadRequest},
		{"wrong-then-right", []string{basic("carol", "guess"), basic("carol", carolPassword)}, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := s.request("PUT", "/"+tt.name+".txt", strings.NewReader(tt.name))
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tt.auth {
				req.Header.Add("Authorization", a)
			}
			r, err := s.sendRequest(req)
			if err != nil {
				t.Fatal(err)
			}
			want(t, r, tt.status, "PUT with "+strconv.Itoa(len(tt.auth))+" Authorization headers")
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "carol", "carol-then-root.txt")); !os.IsNotExist(err) {
		t.Errorf("a PUT with two Authorization headers wrote the file: %v", err)
	}
}

// TestParallelGuessesLimited: of 30 wrong logins sent at once from one
// address, at most 5 (the burst of the failed-login limit) have their
// password checked (401); the others get 429. The hashes are of cost 10,
// so that without the reservation every guess would be inside bcrypt
// before the first failed. Once the block ends, the right password works;
// within the budget, it always does.
func TestParallelGuessesLimited(t *testing.T) {
	t.Parallel()
	const guesses, burst = 30, 5
	s := startAuthServer(t, accessTree(t), "--config", accessConfigCost(t, 10))

	statuses := make([]int, guesses)
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Go(func() {
			r, err := s.send("GET", "/c.txt", "", basicCreds("carol", "guess"+strconv.Itoa(i))...)
			if err != nil {
				t.Errorf("guess %d: %v", i, err)
				return
			}
			statuses[i] = r.Status
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, st := range statuses {
		count[st]++
	}
	if count[http.StatusUnauthorized] > burst || count[http.StatusUnauthorized]+count[http.StatusTooManyRequests] != guesses {
		t.Fatalf("%d wrong logins at once: %v by status; want at most %d checked (401), the rest 429", guesses, count, burst)
	}

	r := s.do(t, "GET", "/c.txt", "", basicCreds("carol", carolPassword)...)
	want(t, r, http.StatusTooManyRequests, "the right password during the block")
	wait, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || wait < 1 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	time.Sleep(time.Duration(wait) * time.Second)
	if r := s.do(t, "GET", "/c.txt", "", basicCreds("carol", carolPassword)...); r.Status != http.StatusOK || string(r.Body) != "carol's" {
		t.Errorf("the right password after Retry-After: %s", r)
	}

	t.Run("within-the-budget", func(t *testing.T) {
		s := startAuthServer(t, accessTree(t), "--config", accessConfigCost(t, 10))
		for i := range burst - 1 {
			wantChallenge(t, s.do(t, "GET", "/c.txt", "", basicCreds("carol", "guess"+strconv.Itoa(i))...), "wrong guess "+strconv.Itoa(i+1))
		}
		var wg sync.WaitGroup
		for range 10 { // a client opening connections at once, nothing cached yet
			wg.Go(func() {
				r, err := s.send("GET", "/c.txt", "", basicCreds("carol", carolPassword)...)
				if err != nil || r.Status != http.StatusOK {
					t.Errorf("the right password after %d failures, sent 10 times at once: %v %v", burst-1, r, err)
				}
			})
		}
		wg.Wait()
	})
}

// TestReadOnlyOptions: a read-only user's OPTIONS allows only the methods
// that read (every other is 403 for them), for a folder, a file and an
// unmapped URL, while a user who may write sees them all.
func TestReadOnlyOptions(t *testing.T) {
	t.Parallel()
	dir := accessTree(t)
	cfg := usersConfig(t, []testUser{{"root", rootPassword, "/", false}, {"viewer", "viewer pass", "/", true}})
	s := startAuthServer(t, dir, "--config", cfg)
	for _, tt := range []struct {
		user, pass, path, allow string
	}{
		{"viewer", "viewer pass", "/carol/", "OPTIONS, GET, HEAD, PROPFIND"},
		{"viewer", "viewer pass", "/carol/c.txt", "OPTIONS, GET, HEAD, PROPFIND"},
		{"viewer", "viewer pass", "/carol/new.txt", "OPTIONS"},
		{"root", rootPassword, "/carol/c.txt", "OPTIONS, GET, HEAD, PUT, PROPFIND, PROPPATCH, COPY, MOVE, DELETE, LOCK, UNLOCK"},
	} {
		r := s.do(t, "OPTIONS", tt.path, "", basicCreds(tt.user, tt.pass)...)
		want(t, r, http.StatusOK, "OPTIONS "+tt.path+" as "+tt.user)
		if got := r.Header.Get("Allow"); got != tt.allow {
			t.Errorf("OPTIONS %s as %s: Allow %q, want %q", tt.path, tt.user, got, tt.allow)
		}
		if got := r.Header.Get("DAV"); got != "1, 2, 3" {
			t.Errorf("OPTIONS %s as %s: DAV %q", tt.path, tt.user, got)
		}
	}
}
