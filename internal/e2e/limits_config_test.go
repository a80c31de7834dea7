package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// nestedValue is a PROPPATCH setting Z:deep to a value n elements deep:
// with propertyupdate, set, prop and Z:deep the body nests n+4 deep.
func nestedValue(n int) string {
	return update(`<Z:deep>` + strings.Repeat("<Z:x>", n) + strings.Repeat("</Z:x>", n) + `</Z:deep>`)
}

// TestMaxXMLDepthOption: the nesting bound of PROPPATCH bodies (DESIGN §7,
// "XML depth") is the option max-xml-depth, as flag, variable and key,
// both ways: a raised bound stores a value the default refuses, a lowered
// one refuses what the default stores. Before, 256 was fixed in proppatch.
func TestMaxXMLDepthOption(t *testing.T) {
	t.Parallel()
	def := startServer(t, t.TempDir())
	def.put(t, "/f", "x")
	want(t, def.do(t, "PROPPATCH", "/f", nestedValue(300)), http.StatusBadRequest, "PROPPATCH 304 deep, default bound")
	if err := allOK(def.proppatch(t, "/f", nestedValue(200))); err != nil {
		t.Errorf("PROPPATCH 204 deep, default bound: %v", err)
	}

	raised := startServer(t, t.TempDir(), "--max-xml-depth", "400")
	raised.put(t, "/f", "x")
	if err := allOK(raised.proppatch(t, "/f", nestedValue(300))); err != nil {
		t.Errorf("PROPPATCH 304 deep under --max-xml-depth 400: %v", err)
	}

	file := writeConfigFile(t, "max-xml-depth: 16\n")
	lowered := startServer(t, t.TempDir(), "--config", file)
	lowered.put(t, "/f", "x")
	want(t, lowered.do(t, "PROPPATCH", "/f", nestedValue(20)), http.StatusBadRequest, "PROPPATCH 24 deep under max-xml-depth: 16")

	code, out, errs := runCLIEnv(t, []string{"ATOMDAV_MAX_XML_DEPTH=0"}, "serve", t.TempDir(), "--anonymous", "--addr", "127.0.0.1:0")
	refused(t, code, out, errs, "max-xml-depth")
}

// TestFailedLoginOptions: the failed-login limit, fixed at five a minute
// before, is the options max-failed-logins and failed-login-window: with
// two, the third wrong password gets 429 where the default still checks it.
func TestFailedLoginOptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		extra []string
		third int
	}{
		{"default", nil, http.StatusUnauthorized},
		{"two a minute", []string{"max-failed-logins: 2", "failed-login-window: 1m"}, http.StatusTooManyRequests},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startAuthServer(t, authTree(t), "--config", authConfig(t, tt.extra...))
			for i := range 2 {
				wantChallenge(t, s.do(t, "GET", "/top.txt", "", basicCreds("alice", "guess"+strconv.Itoa(i))...), "failure "+strconv.Itoa(i+1))
			}
			want(t, s.do(t, "GET", "/top.txt", "", basicCreds("alice", "guess2")...), tt.third, "third failure")
		})
	}
}
