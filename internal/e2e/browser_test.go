package e2e

import (
	"github.com/atomdav/atomdav/internal/testbin"

	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// TestBrowserListing drives the collection listing in a real headless
// Chromium: the page lists a folder (state folder hidden, odd names
// escaped, under --prefix), a click on a folder link navigates into it, a
// click on the Size header sorts the rows, and the server sorts without
// script for ?sort=&order=. It saves a screenshot as a test artifact, in
// $ATOMDAV_ARTIFACTS when set.
func TestBrowserListing(t *testing.T) {
	t.Parallel()
	chromium := testbin.NeedTool(t, "chromium", "chromium")
	dir := t.TempDir()
	files := map[string]int{ // name → size
		"hello world.txt":   1200,
		"naïve ünïcode.txt": 42,
		"report #1?%.txt":   35_000,
		"zeta.bin":          5,
	}
	for name, size := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Repeat("x", size)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"sub folder/inner.txt", "Archive/old.txt"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("in"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := startServer(t, dir, "--prefix", "/dav")
	s.put(t, "/dav/created.txt", strings.Repeat("c", 100)) // also makes the state folder
	ctx := newBrowser(t, chromium)

	// rowNames lists the Name column as the page shows it.
	const rowNames = `Array.from(document.querySelectorAll("#listing tbody tr td:first-child")).map(td => td.textContent.trim())`

	step(t, ctx, "open the listing", chromedp.Navigate(s.URL+"/dav/"), chromedp.WaitVisible(chromedp.CSS("#listing")))
	got := eval[[]string](t, ctx, rowNames)
	want := []string{"Archive/", "sub folder/", "created.txt", "hello world.txt", "naïve ünïcode.txt", "report #1?%.txt", "zeta.bin"}
	if !slices.Equal(got, want) {
		t.Fatalf("listing of /dav/ shows %q, want %q (folders first, by name, no state folder)", got, want)
	}
	if h1 := eval[string](t, ctx, `document.querySelector("h1").textContent`); !strings.Contains(h1, "/dav/") {
		t.Errorf("h1 %q lacks the path /dav/", h1)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#listing thead th[scope=col] button.sort").length`); n != 3 {
		t.Errorf("%d sort buttons in the header, want 3 (listing.js did not run?)", n)
	}

	step(t, ctx, "sort by size", chromedp.Click(chromedp.CSS(`th[data-key="size"] button`)))
	wantSorted := []string{"Archive/", "sub folder/", "zeta.bin", "naïve ünïcode.txt", "created.txt", "hello world.txt", "report #1?%.txt"}
	if got := eval[[]string](t, ctx, rowNames); !slices.Equal(got, wantSorted) {
		t.Errorf("after a click on Size: %q, want %q", got, wantSorted)
	}
	if sort := eval[string](t, ctx, `document.querySelector('th[data-key="size"]').getAttribute("aria-sort")`); sort != "ascending" {
		t.Errorf("Size header aria-sort %q after one click, want ascending", sort)
	}
	step(t, ctx, "move the mouse away", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 0, 0))
	saveScreenshot(t, ctx, "browser-listing.png")
	step(t, ctx, "emulate a phone", chromedp.EmulateViewport(390, 700, chromedp.EmulateMobile))
	saveScreenshot(t, ctx, "browser-listing-mobile.png")
	step(t, ctx, "leave the phone", chromedp.EmulateReset())

	step(t, ctx, "sort by size again", chromedp.Click(chromedp.CSS(`th[data-key="size"] button`)))
	wantDesc := []string{"sub folder/", "Archive/", "report #1?%.txt", "hello world.txt", "created.txt", "naïve ünïcode.txt", "zeta.bin"}
	if got := eval[[]string](t, ctx, rowNames); !slices.Equal(got, wantDesc) {
		t.Errorf("after a second click on Size: %q, want %q", got, wantDesc)
	}
	if sort := eval[string](t, ctx, `document.querySelector('th[data-key="size"]').getAttribute("aria-sort")`); sort != "descending" {
		t.Errorf("Size header aria-sort %q after two clicks, want descending", sort)
	}

	step(t, ctx, "back to the listing", chromedp.Navigate(s.URL+"/dav/"), chromedp.WaitVisible(chromedp.CSS("#listing")))
	follow(t, ctx, `tr[data-name="report #1?%.txt"] a`, "/dav/report%20%231%3F%25.txt")
	if n := eval[int](t, ctx, `document.body.textContent.length`); n != files["report #1?%.txt"] {
		t.Errorf("the file's link shows %d bytes, want %d", n, files["report #1?%.txt"])
	}

	step(t, ctx, "back to the listing", chromedp.Navigate(s.URL+"/dav/"), chromedp.WaitVisible(chromedp.CSS("#listing")))
	follow(t, ctx, `tr[data-name="sub folder"] a`, "/dav/sub%20folder/")
	if got := eval[[]string](t, ctx, rowNames); !slices.Equal(got, []string{"inner.txt"}) {
		t.Errorf("listing of /dav/sub folder/ shows %q, want [inner.txt]", got)
	}
	crumbs := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("nav ol a")).map(a => a.getAttribute("href"))`)
	if !slices.Equal(crumbs, []string{"/dav/", "/dav/sub%20folder/"}) {
		t.Errorf("breadcrumb links %q, want [/dav/ /dav/sub%%20folder/]", crumbs)
	}

	step(t, ctx, "sort on the server", chromedp.Navigate(s.URL+"/dav/?sort=size&order=desc"), chromedp.WaitVisible(chromedp.CSS("#listing")))
	if got := eval[[]string](t, ctx, rowNames); !slices.Equal(got, wantDesc) {
		t.Errorf("?sort=size&order=desc shows %q, want %q, as the script sorts", got, wantDesc)
	}
}

// newBrowser starts a headless Chromium for t, stopped at cleanup, and
// returns the context of its tab. The browser lives at most 20s, and each
// step has its own 5s bound (see step).
func newBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 640),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
	)
	bound, cancelBound := context.WithTimeout(context.Background(), 20*time.Second)
	alloc, cancelAlloc := chromedp.NewExecAllocator(bound, opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelBound()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return ctx
}

// step runs actions in the tab, within 5 seconds, and fails the test on
// error.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// follow clicks the link that selector finds, waits for the page it
// loads, within 5 seconds, and checks it answered 200 at wantPath.
func follow(t *testing.T, ctx context.Context, selector, wantPath string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("following %s: %v", selector, err)
	}
	u, err := url.Parse(resp.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK || u.EscapedPath() != wantPath {
		t.Fatalf("following %s: %d at %s, want 200 at %s", selector, resp.Status, u.EscapedPath(), wantPath)
	}
}

// eval evaluates a JavaScript expression in the tab, within 5 seconds.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// saveScreenshot writes a PNG of the page to $ATOMDAV_ARTIFACTS, or to a
// temporary folder, and logs its path.
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("ATOMDAV_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}
