package proppatch_test

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/proppatch"
)

// TestCheckFragment checks that CheckFragment accepts the owner XML real
// clients send (RFC 4918 §14.17) and refuses what would break the document
// it is pasted into, as Parse refuses in a property value.
func TestCheckFragment(t *testing.T) {
	t.Parallel()
	d := map[string]string{"D": "DAV:"}
	tests := []struct {
		name    string
		content string
		ns      map[string]string
		want    error // nil: accepted
	}{
		{"RFC4918_14.17/href", `<D:href>http://example.org/~ejw/contact.html</D:href>`, d, nil},
		{"RFC4918_14.17/text", `Jane Doe &amp; co`, nil, nil},
		{"RFC4918_14.17/empty", ``, nil, nil},
		{"Namespaces/own_declaration", `<x:a xmlns:x="urn:x" x:b="1"/>`, nil, nil},
		{"Namespaces/default_from_scope", `<a/>`, map[string]string{"": "urn:d"}, nil},
		{"Namespaces/default_undeclared", `<a/>`, map[string]string{"": ""}, nil},
		{"XML_2.5/comment_and_pi", `<!-- who --><?app data?>text`, nil, nil},
		{"XML_2.8/xml_declaration", `<?xml version="1.0"?><D:href>x</D:href>`, d, proppatch.ErrMalformed},
		{"XML_2.8/xml_declaration_uppercase", `<?XML version="1.0"?>`, nil, proppatch.ErrMalformed},
		{"XML_2.8/doctype", `<!DOCTYPE x [<!ENTITY e "boom">]>`, nil, proppatch.ErrMalformed},
		{"XML_2.8/doctype_nested", `<D:href><!DOCTYPE x></D:href>`, d, proppatch.ErrMalformed},
		{"XML_2.1/closes_the_wrapper", `</fragment><fragment>`, nil, proppatch.ErrMalformed},
		{"XML_2.1/unbalanced", `<a>`, nil, proppatch.ErrMalformed},
		{"XML_2.2/control_in_comment", "<!-- \x01 -->", nil, proppatch.ErrMalformed},
		{"XML_2.2/invalid_utf8", "caf\xe9", nil, proppatch.ErrMalformed},
		{"XML_4.1/undefined_entity", `&e;`, nil, proppatch.ErrMalformed},
		{"XML_3.1/duplicate_attribute", `<a b="1" b="2"/>`, nil, proppatch.ErrMalformed},
		{"Namespaces/undeclared_prefix", `<y:a/>`, d, proppatch.ErrNamespace},
		{"Namespaces/empty_prefix_binding", `<a xmlns:p=""/>`, nil, proppatch.ErrNamespace},
		{"Namespaces/bad_prefix_in_scope", `text`, map[string]string{`a="x"><b`: "urn:x"}, proppatch.ErrNamespace},
		{"Namespaces/reserved_uri_in_scope", `text`, map[string]string{"p": "http://www.w3.org/2000/xmlns/"}, proppatch.ErrNamespace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := proppatch.CheckFragment([]byte(tt.content), tt.ns)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var pe *proppatch.Error
			if !errors.As(err, &pe) || pe.Status != 400 || !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want a 400 *Error wrapping %v", err, tt.want)
			}
		})
	}
}

// FuzzCheckFragment checks that CheckFragment never panics, that it
// refuses with a 400 *Error, and that what it accepts pastes into a
// document encoding/xml reads to the end, with no XML declaration or
// DOCTYPE inside.
func FuzzCheckFragment(f *testing.F) {
	f.Add(`<D:href>mailto:jane@example.org</D:href>`, "D", "DAV:")
	f.Add(`<?xml version="1.0"?>x`, "", "")
	f.Add(`<!DOCTYPE a><a/>`, "p", "urn:p")
	f.Add("<!-- \x01 -->", "", "urn:d")
	f.Add(`<a xmlns="urn:a"><b xml:lang="en" a:c="1" xmlns:a="urn:c"/></a>`, "a", "urn:x")
	f.Fuzz(func(t *testing.T, content, prefix, uri string) {
		ns := map[string]string{prefix: uri}
		err := proppatch.CheckFragment([]byte(content), ns)
		if err != nil {
			if pe := (*proppatch.Error)(nil); !errors.As(err, &pe) || pe.Status != 400 {
				t.Fatalf("error %v (%T) is not a 400 *Error", err, err)
			}
			return
		}
		decl := ` xmlns="` + escapeAttr(uri) + `"`
		if prefix != "" {
			decl = ` xmlns:` + prefix + `="` + escapeAttr(uri) + `"`
		}
		doc := `<?xml version="1.0"?><D:owner xmlns:D="DAV:"` + decl + `>` + content + `</D:owner>`
		if prefix == "D" {
			doc = `<?xml version="1.0"?><W:owner xmlns:W="DAV:"` + decl + `>` + content + `</W:owner>`
		}
		dec := xml.NewDecoder(strings.NewReader(doc))
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("accepted %q with %v, pasted it does not parse: %v", content, ns, err)
			}
			switch tok := tok.(type) {
			case xml.ProcInst:
				if strings.EqualFold(tok.Target, "xml") && dec.InputOffset() > int64(len(`<?xml version="1.0"?>`)) {
					t.Fatalf("accepted %q: an XML declaration inside", content)
				}
			case xml.Directive:
				t.Fatalf("accepted %q: a directive inside", content)
			}
		}
	})
}

func escapeAttr(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
