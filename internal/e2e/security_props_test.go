package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestPropLimitOptions: max-prop-value-bytes and max-props-per-resource
// reach the PROPPATCH engine. Over either, the instruction at fault is 507,
// every other one 424, and nothing is stored.
func TestPropLimitOptions(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), "--max-prop-value-bytes", "200", "--max-props-per-resource", "2")
	s.put(t, "/f", "x")
	set := func(props ...string) string {
		return `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop>` + strings.Join(props, "") + `</D:prop></D:set></D:propertyupdate>`
	}
	for _, tt := range []struct {
		name, body string
	}{
		{"value over max-prop-value-bytes", set(`<Z:a>small</Z:a>`, `<Z:big>`+strings.Repeat("v", 300)+`</Z:big>`)},
		{"third property over max-props-per-resource", set(`<Z:a>1</Z:a>`, `<Z:b>2</Z:b>`, `<Z:c>3</Z:c>`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(t, "PROPPATCH", "/f", tt.body)
			want(t, r, http.StatusMultiStatus, "PROPPATCH")
			body := string(r.Body)
			if !strings.Contains(body, "HTTP/1.1 507") || !strings.Contains(body, "HTTP/1.1 424") {
				t.Errorf("want one 507 and 424 for the rest:\n%s", body)
			}
			got := s.do(t, "PROPFIND", "/f", `<D:propfind xmlns:D="DAV:"><D:prop><Z:a xmlns:Z="urn:z"/></D:prop></D:propfind>`, "Depth", "0")
			if strings.Contains(string(got.Body), ">small<") || strings.Contains(string(got.Body), ">1<") {
				t.Errorf("a refused PROPPATCH stored a property:\n%s", got.Body)
			}
		})
	}
	r := s.do(t, "PROPPATCH", "/f", set(`<Z:a>1</Z:a>`, `<Z:b>`+strings.Repeat("v", 100)+`</Z:b>`))
	want(t, r, http.StatusMultiStatus, "PROPPATCH within the limits")
	if strings.Contains(string(r.Body), "HTTP/1.1 507") || strings.Contains(string(r.Body), "HTTP/1.1 424") {
		t.Errorf("PROPPATCH within both limits refused:\n%s", r.Body)
	}
}
