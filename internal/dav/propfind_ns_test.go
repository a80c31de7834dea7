package dav

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestPropfindNamespaceDeclaredOnce: the namespaces of the names a
// PROPFIND asks for are declared once, on the multistatus root, so that
// a long namespace URI costs its length once, not once per name and member
// (RFC 4918 §14.16 leaves the prefixes to the server).
func TestPropfindNamespaceDeclaredOnce(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	ns := "urn:" + strings.Repeat("n", 10000)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:x="` + ns + `" xmlns:y="urn:y"><D:prop>`)
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "<x:p%d/>", i)
	}
	b.WriteString(`<y:q/><D:getetag/></D:prop></D:propfind>`)
	rec := call(h, "PROPFIND", "/c", b.String(), "Depth", "1")
	body := rec.Body.String()
	if rec.Code != http.StatusMultiStatus {
		t.Fatalf("PROPFIND = %d: %s", rec.Code, body)
	}
	wellFormed(t, body)
	if n := strings.Count(body, ns); n != 1 || len(body) > 2*b.Len() {
		t.Fatalf("the namespace is written %d times, the answer is %d bytes for a request of %d", n, len(body), b.Len())
	}
	root := body[:strings.Index(body, "<D:response>")]
	if !strings.Contains(root, `xmlns:ns1="`+ns+`"`) || !strings.Contains(root, `xmlns:ns2="urn:y"`) ||
		strings.Count(body, "<ns1:p199/>") != 2 || strings.Count(body, "<ns2:q/>") != 2 {
		t.Fatalf("want ns1 and ns2 declared on the root and each name once per member:\n%.400s", body)
	}
}
