package xnetdav_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/webdav"

	"github.com/atomdav/atomdav/internal/testbin"
	"github.com/atomdav/atomdav/proppatch/xnetdav"
	"github.com/atomdav/atomdav/storage/bolt"
)

var litmusSummary = regexp.MustCompile("<- summary for `props': of ([0-9]+) tests run: ([0-9]+) passed, ([0-9]+) failed")

// TestLitmusProps runs litmus's props suite against a plain x/net
// webdav.Handler wrapped by xnetdav and wants no failure (issue 13 item 5).
// The bare handler runs too and must fail some, so that the claim that the
// adapter is what fixes them is checked here rather than asserted.
func TestLitmusProps(t *testing.T) {
	litmus := testbin.NeedTool(t, "litmus", "litmus")
	t.Run("wrapped", func(t *testing.T) {
		t.Parallel()
		store, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), bolt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		failed, out := runProps(t, litmus, xnetdav.Wrap(plainHandler(t), store))
		if failed != 0 || strings.Contains(out, "FAIL") || strings.Contains(out, "WARNING") {
			t.Errorf("litmus props against the wrapped handler: %d failed\n%s", failed, out)
		}
	})
	t.Run("bare", func(t *testing.T) {
		t.Parallel()
		failed, out := runProps(t, litmus, plainHandler(t))
		if failed == 0 {
			t.Errorf("litmus props passes against the bare x/net handler: the adapter is not what fixes it\n%s", out)
		}
		t.Logf("the bare x/net handler fails %d litmus props tests", failed)
	})
}

// plainHandler returns the x/net handler as its documentation sets it up.
func plainHandler(t *testing.T) *webdav.Handler {
	return &webdav.Handler{FileSystem: webdav.Dir(t.TempDir()), LockSystem: webdav.NewMemLS()}
}

// runProps serves h on loopback, runs TESTS=props litmus against it and
// returns the number of failed tests and litmus's output.
func runProps(t *testing.T, litmus string, h http.Handler) (int, string) {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, litmus, srv.URL+"/")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "TESTS=props", "HOME="+cmd.Dir)
	out, _ := cmd.CombinedOutput()
	m := litmusSummary.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("litmus printed no props summary:\n%s", out)
	}
	failed, _ := strconv.Atoi(m[3])
	t.Log(strings.TrimSpace(m[0]))
	return failed, string(out)
}
