package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/atomdav/atomdav/internal/testbin"
)

// pageTree makes the share of the web page tests: files to rename and
// delete, a folder, a dated file, OS junk (hidden with --hide-os-junk), a
// symlink out of the share, and bob's read-only folder.
func pageTree(t *testing.T) string {
	t.Helper()
	dir, outside := t.TempDir(), t.TempDir()
	files := map[string]string{"old name.txt": "rename me", "doomed.txt": "bye", "keep/inner.txt": "inner",
		".DS_Store": "junk", "dated.txt": "dated", "bob/b.txt": "bob's"}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	when := time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "dated.txt"), when, when); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o644)
	if err := os.Symlink(outside, filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startPageServer serves pageTree's share under /dav with alice
// (read-write, the whole share) and bob (read-only, /bob).
func startPageServer(t *testing.T) *server {
	t.Helper()
	cfg := usersConfig(t, []testUser{{"alice", alicePassword, "/", false}, {"bob", bobPassword, "/bob", true}})
	return startAuthServer(t, pageTree(t), "--config", cfg, "--prefix", "/dav", "--hide-os-junk")
}

// newPageBrowser is newBrowser with a minute to live, logged in as user:
// every request of the tab carries its Authorization.
func newPageBrowser(t *testing.T, chromium, user, password string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1000, 720),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "en-US"),
	)
	bound, cancelBound := context.WithTimeout(context.Background(), 90*time.Second)
	alloc, cancelAlloc := chromedp.NewExecAllocator(bound, opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelBound()
	})
	creds := basicCreds(user, password)
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{creds[0]: creds[1]}}); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return ctx
}

// waitPage polls a JavaScript predicate until it holds, within d.
func waitPage(t *testing.T, ctx context.Context, what, expr string, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		alert, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.getElementById("alert").textContent + " | " + (document.getElementById("uploads")||{}).textContent`))
		t.Fatalf("%s: %v (page says %q)", what, err, alert)
	}
}

// shareHolds checks a file of the share holds want.
func shareHolds(t *testing.T, dir, name string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes (%v), want %d", name, len(got), err, len(want))
	}
}

const pageRowsJS = `Array.from(document.querySelectorAll("#listing tbody tr")).filter(tr => !tr.hidden).map(tr => tr.dataset.name)`

// TestBrowserWrite works in the folder page as alice, in headless
// Chromium, under --prefix: uploads two files through the file input
// (each with its progress bar finished), one dropped on the page, and one
// larger than the chunk size through the chunked upload with its second
// chunk failing once (retried); makes a folder, renames a file (a name
// taken is refused in the dialog), deletes one after its confirmation
// (Cancel keeps it), filters, shows times in the viewer's zone, downloads
// the folder as a zip (members, bytes, and no hidden member or one behind
// a symlink out of the share), and without script shows no write
// controls and labels times UTC.
func TestBrowserWrite(t *testing.T) {
	t.Parallel()
	chromium := testbin.NeedTool(t, "chromium", "chromium")
	s := startPageServer(t)
	ctx := newPageBrowser(t, chromium, "alice", alicePassword)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Kolkata"}); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "open the page", chromedp.Navigate(s.URL+"/dav/"), chromedp.WaitVisible(chromedp.CSS("#write")))
	for _, sel := range []string{"#upload-button", "#mkdir-button", `tr[data-name="doomed.txt"] button.delete`, `tr[data-name="doomed.txt"] button.rename`, "#filter"} {
		if !eval[bool](t, ctx, `!!document.querySelector(`+jsQuote(sel)+`)`) {
			t.Fatalf("the page lacks %s", sel)
		}
	}

	// Local times: 12:34 UTC is 18:04 in Kolkata.
	if got := eval[string](t, ctx, `document.querySelector('tr[data-name="dated.txt"] time').textContent`); got != "2024-05-01 18:04" {
		t.Errorf("dated.txt shows %q, want 2024-05-01 18:04 (Asia/Kolkata)", got)
	}

	// Two files through the picker.
	local := t.TempDir()
	one, two := bytes.Repeat([]byte("1"), 1000), make([]byte, 3000)
	rand.Read(two)
	os.WriteFile(filepath.Join(local, "one.txt"), one, 0o644)
	os.WriteFile(filepath.Join(local, "two words.bin"), two, 0o644)
	step(t, ctx, "choose two files", chromedp.SetUploadFiles(chromedp.ID("upload-input"),
		[]string{filepath.Join(local, "one.txt"), filepath.Join(local, "two words.bin")}))
	waitPage(t, ctx, "two uploads done", `document.querySelectorAll("#uploads li.ok").length === 2`, 10*time.Second)
	if !eval[bool](t, ctx, `Array.from(document.querySelectorAll("#uploads progress")).every(p => p.value === p.max && p.max > 1)`) {
		t.Errorf("a progress bar is not full after its upload")
	}
	waitPage(t, ctx, "the table lists them", `document.querySelector('tr[data-name="two words.bin"]') !== null`, 5*time.Second)
	shareHolds(t, s.Dir, "one.txt", one)
	shareHolds(t, s.Dir, "two words.bin", two)

	// One file dropped on the page.
	step(t, ctx, "drop a file", chromedp.Evaluate[chromedp.Void](`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["dropped!"], "dropped.txt", {type: "text/plain"}));
		document.getElementById("content").dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt}));
	})()`))
	waitPage(t, ctx, "the dropped file listed", `document.querySelector('tr[data-name="dropped.txt"]') !== null`, 10*time.Second)
	shareHolds(t, s.Dir, "dropped.txt", []byte("dropped!"))

	// A file of the same name: the page asks first. With the keyboard:
	// Enter on "Don't replace" (focused first) keeps the file; then
	// Replace replaces it.
	newer := []byte("one, newer")
	os.WriteFile(filepath.Join(local, "one.txt"), newer, 0o644)
	step(t, ctx, "upload one.txt again", chromedp.SetUploadFiles(chromedp.ID("upload-input"), []string{filepath.Join(local, "one.txt")}),
		chromedp.WaitVisible(chromedp.ID("dialog-cancel")))
	if got := eval[string](t, ctx, `document.activeElement.id + " " + document.activeElement.textContent`); got != "dialog-cancel Don’t replace" {
		t.Errorf("the replace dialog's focus is on %q, want the Don't replace button", got)
	}
	step(t, ctx, "Enter: don't replace", chromedp.KeyEvent("\r"))
	waitPage(t, ctx, "the dialog closed", `!document.getElementById("dialog").open`, 5*time.Second)
	shareHolds(t, s.Dir, "one.txt", one)
	step(t, ctx, "upload one.txt again", chromedp.SetUploadFiles(chromedp.ID("upload-input"), []string{filepath.Join(local, "one.txt")}),
		chromedp.WaitVisible(chromedp.ID("dialog-ok")), chromedp.Click(chromedp.ID("dialog-ok")))
	waitPage(t, ctx, "the replacing upload done", `document.querySelectorAll("#uploads li.ok").length === 4`, 10*time.Second)
	shareHolds(t, s.Dir, "one.txt", newer)

	savePageScreenshot(t, ctx, "browser-write.png")
	t.Run("chunked", func(t *testing.T) { pageChunkedUpload(t, ctx, s, local) })

	// New folder; a name taken is refused in the dialog.
	step(t, ctx, "new folder", chromedp.Click(chromedp.ID("mkdir-button")), chromedp.WaitVisible(chromedp.ID("dialog-input")),
		chromedp.SendKeys(chromedp.ID("dialog-input"), "keep"), chromedp.Click(chromedp.ID("dialog-ok")))
	waitPage(t, ctx, "a taken folder name refused", `document.getElementById("dialog-error").textContent.includes("already exists")`, 5*time.Second)
	step(t, ctx, "another name", chromedp.Evaluate[chromedp.Void](`document.getElementById("dialog-input").value = "New Stuff"`),
		chromedp.Click(chromedp.ID("dialog-ok")))
	waitPage(t, ctx, "the folder listed", `document.querySelector('tr[data-name="New Stuff"][data-dir="1"]') !== null && !document.getElementById("dialog").open`, 5*time.Second)
	if fi, err := os.Stat(filepath.Join(s.Dir, "New Stuff")); err != nil || !fi.IsDir() {
		t.Errorf("New Stuff is not a folder: %v", err)
	}

	// Rename: a name taken is a conflict shown in the dialog (MOVE with
	// Overwrite: F), nothing replaced.
	step(t, ctx, "rename", chromedp.Click(chromedp.CSS(`tr[data-name="old name.txt"] button.rename`)), chromedp.WaitVisible(chromedp.ID("dialog-input")))
	if v := eval[string](t, ctx, `document.getElementById("dialog-input").value`); v != "old name.txt" {
		t.Errorf("the rename dialog holds %q", v)
	}
	step(t, ctx, "rename onto a taken name", chromedp.Evaluate[chromedp.Void](`document.getElementById("dialog-input").value = "doomed.txt"`),
		chromedp.Click(chromedp.ID("dialog-ok")))
	waitPage(t, ctx, "the conflict shown", `document.getElementById("dialog-error").textContent.includes("already exists")`, 5*time.Second)
	shareHolds(t, s.Dir, "doomed.txt", []byte("bye"))
	step(t, ctx, "rename to a new name", chromedp.Evaluate[chromedp.Void](`document.getElementById("dialog-input").value = "new näme.txt"`),
		chromedp.Click(chromedp.ID("dialog-ok")))
	waitPage(t, ctx, "the renamed file listed", `document.querySelector('tr[data-name="new näme.txt"]') !== null && !document.querySelector('tr[data-name="old name.txt"]')`, 5*time.Second)
	shareHolds(t, s.Dir, "new näme.txt", []byte("rename me"))
	if got := eval[string](t, ctx, `document.activeElement.closest("tr") ? document.activeElement.closest("tr").dataset.name : document.activeElement.tagName`); got != "new näme.txt" {
		t.Errorf("after the rename the focus is on %q, want the renamed row", got)
	}

	// Delete: Cancel keeps the file, Delete removes it.
	step(t, ctx, "delete, cancel", chromedp.Click(chromedp.CSS(`tr[data-name="doomed.txt"] button.delete`)),
		chromedp.WaitVisible(chromedp.ID("dialog-cancel")))
	if text := eval[string](t, ctx, `document.getElementById("dialog-text").textContent`); !strings.Contains(text, "doomed.txt") || !strings.Contains(text, "cannot be undone") {
		t.Errorf("the confirmation says %q", text)
	}
	step(t, ctx, "cancel", chromedp.Click(chromedp.ID("dialog-cancel")))
	shareHolds(t, s.Dir, "doomed.txt", []byte("bye"))
	step(t, ctx, "delete, confirm", chromedp.Click(chromedp.CSS(`tr[data-name="doomed.txt"] button.delete`)),
		chromedp.WaitVisible(chromedp.ID("dialog-ok")), chromedp.Click(chromedp.ID("dialog-ok")))
	waitPage(t, ctx, "the deleted file unlisted", `!document.querySelector('tr[data-name="doomed.txt"]')`, 5*time.Second)
	if _, err := os.Stat(filepath.Join(s.Dir, "doomed.txt")); !os.IsNotExist(err) {
		t.Errorf("doomed.txt still there: %v", err)
	}

	// Filter.
	step(t, ctx, "filter", chromedp.SendKeys(chromedp.ID("filter"), "NÄME"))
	if got := eval[[]string](t, ctx, pageRowsJS); !slices.Equal(got, []string{"new näme.txt"}) {
		t.Errorf("filtered on NÄME: %q", got)
	}
	if got := eval[string](t, ctx, `document.getElementById("filter-count").textContent`); !strings.HasPrefix(got, "1 of ") {
		t.Errorf("filter count %q", got)
	}
	step(t, ctx, "clear the filter", chromedp.Evaluate[chromedp.Void](`(f => { f.value = ""; f.dispatchEvent(new Event("input")); })(document.getElementById("filter"))`))

	pageZipDownload(t, ctx, s)

	// Without script: no write controls, no filter, times labelled UTC.
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "reload without script", chromedp.Navigate(s.URL+"/dav/"), chromedp.WaitVisible(chromedp.CSS("#listing")))
	if eval[bool](t, ctx, `!!document.querySelector("#write:not([hidden]), #filter-box:not([hidden]), button.rename")`) {
		t.Errorf("write controls or the filter show without script")
	}
	if got := eval[string](t, ctx, `document.querySelector('th[data-key="modified"]').textContent`); !strings.Contains(got, "UTC") {
		t.Errorf("without script the Modified header says %q, want it labelled UTC", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('tr[data-name="dated.txt"] time').textContent`); got != "2024-05-01 12:34" {
		t.Errorf("without script dated.txt shows %q, want 2024-05-01 12:34 (UTC)", got)
	}
}

// uploadSpy intercepts the page's requests to the chunked uploads: it
// records them ("METHOD last-segment") and fails those its fail func
// picks, as a dropped connection (status 0) or as a 400.
type uploadSpy struct {
	mu   sync.Mutex
	seen []string
	// fail decides for each request: "" lets it through, "drop" fails
	// the connection, "400" answers 400.
	fail func(method, seg string) string
}

func (u *uploadSpy) take() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	seen := u.seen
	u.seen = nil
	return seen
}

// watch starts intercepting in the tab of ctx until it ends.
func (u *uploadSpy) watch(t *testing.T, ctx context.Context) {
	paused := make(chan *fetch.EventRequestPaused, 64)
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			paused <- e
		}
	}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-paused:
				seg := e.Request.URL[strings.LastIndex(e.Request.URL, "/")+1:]
				u.mu.Lock()
				u.seen = append(u.seen, e.Request.Method+" "+seg)
				how := ""
				if u.fail != nil {
					how = u.fail(e.Request.Method, seg)
				}
				u.mu.Unlock()
				switch how {
				case "drop":
					chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonConnectionReset})
				case "400":
					chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: e.RequestID, ResponseCode: 400, Body: []byte("Bad Request: injected by the test")})
				default:
					chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
				}
			}
		}
	}()
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/remote.php/dav/uploads/*"}}}); err != nil {
		t.Fatal(err)
	}
}

// pageChunkedUpload uploads files larger than the chunk size (set small
// through the page's data-chunk-size) through the chunked upload: one
// whose second chunk fails once on the way (retried), and one whose third
// chunk is refused, so that the upload fails, and which, chosen again
// after a reload of the page, resumes: only the chunks the server lacks
// are sent.
func pageChunkedUpload(t *testing.T, ctx context.Context, s *server, local string) {
	big, again := make([]byte, 200_000), make([]byte, 200_000)
	rand.Read(big)
	rand.Read(again)
	os.WriteFile(filepath.Join(local, "big.bin"), big, 0o644)
	os.WriteFile(filepath.Join(local, "again.bin"), again, 0o644)
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	spy := &uploadSpy{}
	spy.watch(t, lctx)
	defer chromedp.Call(ctx, fetch.Disable, cdp.Empty{})
	if got := eval[string](t, ctx, `document.getElementById("write").dataset.chunkUploads`); got != "/dav/remote.php/dav/uploads/alice/" {
		t.Errorf("data-chunk-uploads %q", got)
	}
	const smallChunks = `document.getElementById("write").dataset.chunkSize = "65536"`

	dropped := false
	spy.fail = func(method, seg string) string {
		if method == "PUT" && seg == "2" && !dropped {
			dropped = true
			return "drop"
		}
		return ""
	}
	step(t, ctx, "small chunks", chromedp.Evaluate[chromedp.Void](smallChunks),
		chromedp.SetUploadFiles(chromedp.ID("upload-input"), []string{filepath.Join(local, "big.bin")}))
	waitPage(t, ctx, "the chunked upload done", `Array.from(document.querySelectorAll("#uploads li.ok .up-name")).some(e => e.textContent === "big.bin")`, 20*time.Second)
	shareHolds(t, s.Dir, "big.bin", big)
	want := []string{"MKCOL " /* id */, "PUT 1", "PUT 2", "PUT 2", "PUT 3", "PUT 4", "MOVE .file"}
	if seen := spy.take(); !sameRequests(seen, want) || !dropped {
		t.Errorf("upload requests %q, want %q (the dropped chunk 2 retried)", seen, want)
	}
	if n := eval[int](t, ctx, `Object.keys(localStorage).length`); n != 0 {
		t.Errorf("%d uploads left in localStorage after completion", n)
	}

	spy.mu.Lock()
	spy.fail = func(method, seg string) string {
		if method == "PUT" && seg == "3" {
			return "400"
		}
		return ""
	}
	spy.mu.Unlock()
	step(t, ctx, "an upload that fails", chromedp.SetUploadFiles(chromedp.ID("upload-input"), []string{filepath.Join(local, "again.bin")}))
	waitPage(t, ctx, "the upload failed", `!!document.querySelector("#uploads li.failed")`, 10*time.Second)
	if seen := spy.take(); !sameRequests(seen, []string{"MKCOL ", "PUT 1", "PUT 2", "PUT 3"}) {
		t.Errorf("failing upload's requests %q", seen)
	}
	if alert := eval[string](t, ctx, `document.getElementById("alert").textContent`); !strings.Contains(alert, "again.bin") {
		t.Errorf("the failure is not announced: alert %q", alert)
	}
	spy.mu.Lock()
	spy.fail = nil
	spy.mu.Unlock()
	step(t, ctx, "reload", chromedp.Navigate(s.URL+"/dav/"), chromedp.WaitVisible(chromedp.CSS("#write")),
		chromedp.Evaluate[chromedp.Void](smallChunks),
		chromedp.SetUploadFiles(chromedp.ID("upload-input"), []string{filepath.Join(local, "again.bin")}))
	waitPage(t, ctx, "the resumed upload done", `Array.from(document.querySelectorAll("#uploads li.ok .up-name")).some(e => e.textContent === "again.bin")`, 20*time.Second)
	shareHolds(t, s.Dir, "again.bin", again)
	if seen := spy.take(); !sameRequests(seen, []string{"PROPFIND ", "PUT 3", "PUT 4", "MOVE .file"}) {
		t.Errorf("resumed upload's requests %q, want PROPFIND of the upload, the two chunks it lacked, MOVE", seen)
	}
}

// sameRequests compares intercepted requests with want, where a want
// ending in a space matches any last segment (an upload id).
func sameRequests(seen, want []string) bool {
	if len(seen) != len(want) {
		return false
	}
	for i := range want {
		if seen[i] != want[i] && !(strings.HasSuffix(want[i], " ") && strings.HasPrefix(seen[i], want[i])) {
			return false
		}
	}
	return true
}

// pageZipDownload fetches the page's "Download folder as zip" link and reads
// the archive: the files the listing shows, with their bytes; not the OS
// junk (hidden), the state folder, or what the symlink out of the share
// leads to.
func pageZipDownload(t *testing.T, ctx context.Context, s *server) {
	t.Helper()
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx2, chromedp.Evaluate[[]string](`fetch(document.getElementById("zip").href).then(async r => {
		const b = new Uint8Array(await r.arrayBuffer());
		let s = ""; for (const c of b) s += String.fromCharCode(c);
		return [String(r.status), r.headers.get("Content-Disposition"), btoa(s)];
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != "200" || got[1] != `attachment; filename="files.zip"; filename*=UTF-8''files.zip` {
		t.Fatalf("zip: %s, Content-Disposition %q", got[0], got[1])
	}
	body, _ := base64.StdEncoding.DecodeString(got[2])
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		shareHolds(t, s.Dir, f.Name, b.Bytes())
	}
	slices.Sort(names)
	want := []string{"New Stuff/", "again.bin", "big.bin", "bob/", "bob/b.txt", "dated.txt", "dropped.txt", "keep/", "keep/inner.txt", "new näme.txt", "one.txt", "two words.bin"}
	if !slices.Equal(names, want) {
		t.Errorf("zip members %q, want %q", names, want)
	}
}

// TestBrowserReadOnly: bob, read-only, sees his folder with the filter and
// the zip link but no write control, and a write sent anyway is refused.
func TestBrowserReadOnly(t *testing.T) {
	t.Parallel()
	chromium := testbin.NeedTool(t, "chromium", "chromium")
	s := startPageServer(t)
	ctx := newPageBrowser(t, chromium, "bob", bobPassword)
	step(t, ctx, "open the page", chromedp.Navigate(s.URL+"/dav/"), chromedp.WaitVisible(chromedp.CSS("#listing")), chromedp.WaitVisible(chromedp.ID("filter")))
	if got := eval[[]string](t, ctx, pageRowsJS); !slices.Equal(got, []string{"b.txt"}) {
		t.Errorf("bob's page lists %q", got)
	}
	for _, sel := range []string{"#write", "#upload-input", "#mkdir-button", "button.rename", "button.delete", "dialog", "th.actions"} {
		if eval[bool](t, ctx, `!!document.querySelector(`+jsQuote(sel)+`)`) {
			t.Errorf("a read-only user's page holds %s", sel)
		}
	}
	if !eval[bool](t, ctx, `!!document.getElementById("zip")`) {
		t.Errorf("no zip link for a read-only user")
	}
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch("/dav/b.txt", {method: "DELETE"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if status != 403 {
		t.Errorf("DELETE as bob: %d, want 403", status)
	}
	shareHolds(t, s.Dir, "bob/b.txt", []byte("bob's"))
}

// jsQuote quotes s for JavaScript.
func jsQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

// savePageScreenshot is saveScreenshot, and with UPDATE_SCREENSHOTS
// set also writes the README's testdata/screenshots/listing.png.
func savePageScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	saveScreenshot(t, ctx, name)
	if os.Getenv("UPDATE_SCREENSHOTS") == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "testdata", "screenshots", "listing.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestErrorBodies provokes refusals of many kinds through the real binary
// (404, 403 through a symlink out of the share, 409, 413 for a PUT and a
// zip, 405, 400, 415, 507 for chunked uploads) and checks that no body
// holds a server path or a Go error string, and that a browser's
// navigation gets an HTML page.
func TestErrorBodies(t *testing.T) {
	t.Parallel()
	dir := pageTree(t)
	s := startServer(t, dir, "--prefix", "/dav", "--hide-os-junk", "--max-upload-bytes", "100",
		"--max-zip-bytes", "20", "--max-chunked-uploads-per-user", "1")
	outside, _ := os.Readlink(filepath.Join(dir, "escape"))
	html := []string{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}
	cases := []struct {
		method, path, body string
		hdr                []string
		status             int
	}{
		{"GET", "/dav/nope.txt", "", html, 404},
		{"GET", "/dav/nope.txt", "", nil, 404},
		{"GET", "/dav/dated.txt/x", "", html, 404},
		{"GET", "/dav/escape/secret.txt", "", html, 403},
		{"GET", "/dav/escape/secret.txt", "", nil, 403},
		{"PUT", "/dav/missing/x.txt", "x", nil, 409},
		{"MKCOL", "/dav/missing/sub/", "", nil, 409},
		{"PUT", "/dav/big.txt", strings.Repeat("b", 200), nil, 413},
		{"GET", "/dav/?zip", "", html, 413},
		{"GET", "/dav/?zip", "", nil, 413},
		{"MKCOL", "/dav/keep/", "", nil, 405},
		{"MKCOL", "/dav/withbody/", "body", nil, 415},
		{"PROPFIND", "/dav/", "<not xml", []string{"Depth", "1"}, 400},
		{"MKCOL", "/dav/remote.php/dav/uploads/anonymous/first", "", nil, 201},
		{"MKCOL", "/dav/remote.php/dav/uploads/anonymous/second", "", nil, 507},
		{"PUT", "/dav/dated.txt/x", "x", nil, 409},
	}
	leaks := []string{dir, outside, "/tmp/", ".go:", "open:", "lstat", "stat ", "errno", "no such file or directory",
		"not a directory", "localfs", "dav: ", "goroutine", "runtime error", "%!"}
	for _, c := range cases {
		r := s.do(t, c.method, c.path, c.body, c.hdr...)
		what := c.method + " " + c.path
		if c.hdr != nil && c.hdr[0] == "Accept" {
			what += " (browser)"
			if ct := r.Header.Get("Content-Type"); r.Status >= 400 && !strings.HasPrefix(ct, "text/html") {
				t.Errorf("%s: %d as %s, want an HTML page", what, r.Status, ct)
			}
		}
		if r.Status != c.status {
			t.Errorf("%s: %d, want %d\n%s", what, r.Status, c.status, r.Body)
		}
		for _, leak := range leaks {
			if strings.Contains(string(r.Body), leak) {
				t.Errorf("%s: %d body holds %q:\n%s", what, r.Status, leak, r.Body)
			}
		}
	}
}
