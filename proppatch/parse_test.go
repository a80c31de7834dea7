package proppatch_test

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/atomdav/atomdav/proppatch"
)

// pu wraps instructions in a propertyupdate declaring D: and Z:.
func pu(inner string) string {
	return `<?xml version="1.0" encoding="utf-8"?>` +
		`<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z">` + inner + `</D:propertyupdate>`
}

func TestParseInstructions(t *testing.T) {
	t.Parallel()
	z := func(local string) xml.Name { return xml.Name{Space: "urn:z", Local: local} }
	type ins struct {
		remove bool
		name   xml.Name
	}
	tests := []struct {
		name string
		body string
		want []ins
	}{
		{
			name: "RFC4918_9.2/document_order_across_set_and_remove",
			body: pu(`<D:set><D:prop><Z:a/></D:prop></D:set>` +
				`<D:remove><D:prop><Z:b/></D:prop></D:remove>` +
				`<D:set><D:prop><Z:c/></D:prop></D:set>` +
				`<D:remove><D:prop><Z:a/></D:prop></D:remove>`),
			want: []ins{{false, z("a")}, {true, z("b")}, {false, z("c")}, {true, z("a")}},
		},
		{
			name: "RFC4918_14.26/several_properties_in_one_prop",
			body: pu(`<D:set><D:prop><Z:a>1</Z:a><Z:b>2</Z:b><D:displayname>3</D:displayname></D:prop></D:set>`),
			want: []ins{{false, z("a")}, {false, z("b")}, {false, xml.Name{Space: "DAV:", Local: "displayname"}}},
		},
		{
			name: "RFC4918_14.23/several_properties_in_one_remove",
			body: pu(`<D:remove><D:prop><Z:a/><Z:b/></D:prop></D:remove>`),
			want: []ins{{true, z("a")}, {true, z("b")}},
		},
		{
			name: "RFC4918_17/unknown_elements_and_text_ignored",
			body: pu(`text<Z:extension><D:set/></Z:extension><D:set><Z:x/>more<D:prop><Z:a/></D:prop></D:set>`),
			want: []ins{{false, z("a")}},
		},
		{
			name: "RFC4918_14.19/default_namespace_DAV",
			body: `<propertyupdate xmlns="DAV:"><set><prop><a xmlns="urn:z"/></prop></set></propertyupdate>`,
			want: []ins{{false, z("a")}},
		},
		{
			name: "RFC4918_14.19/any_prefix_for_DAV",
			body: `<dav:propertyupdate xmlns:dav="DAV:"><dav:remove><dav:prop><x:a xmlns:x="urn:z"/></dav:prop></dav:remove></dav:propertyupdate>`,
			want: []ins{{true, z("a")}},
		},
		{
			name: "RFC4918_4.3/null_namespace_property",
			body: pu(`<D:set><D:prop><foo xmlns="">v</foo></D:prop></D:set>`),
			want: []ins{{false, xml.Name{Local: "foo"}}},
		},
		{
			name: "XML_2.8/byte_order_mark_and_doctype_prolog",
			body: "\uFEFF" + `<?xml version="1.0"?><!DOCTYPE propertyupdate><D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><Z:a xmlns:Z="urn:z"/></D:prop></D:remove></D:propertyupdate>`,
			want: []ins{{true, z("a")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := proppatch.Parse(strings.NewReader(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var got []ins
			for _, in := range u.Instructions {
				got = append(got, ins{in.Remove, in.Name})
				if in.Remove && in.Value != nil {
					t.Errorf("remove of %v has value %q", in.Name, in.Value)
				}
				if !in.Remove {
					if err := checkValue(in.Value, in.Name); err != nil {
						t.Error(err)
					}
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("instructions = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	deep := pu(`<D:set><D:prop><Z:a>` + strings.Repeat("<x>", 300) + strings.Repeat("</x>", 300) + `</Z:a></D:prop></D:set>`)
	tests := []struct {
		name   string
		body   string
		status int
		is     error
	}{
		{"XML_2.1/empty_body", "", 400, proppatch.ErrMalformed},
		{"XML_2.1/unclosed_root", `<D:propertyupdate xmlns:D="DAV:">`, 400, proppatch.ErrMalformed},
		{"XML_2.1/mismatched_end_tag", pu(`<D:set><D:prop><Z:a></Z:b></D:prop></D:set>`), 400, proppatch.ErrMalformed},
		{"XML_2.1/two_roots", pu(`<D:set><D:prop><Z:a/></D:prop></D:set>`) + `<x/>`, 400, proppatch.ErrMalformed},
		{"XML_2.1/text_after_root", pu(`<D:set><D:prop><Z:a/></D:prop></D:set>`) + `junk`, 400, proppatch.ErrMalformed},
		{"XML_2.8/declaration_not_first", `<!-- c --><?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"/>`, 400, proppatch.ErrMalformed},
		{"XML_3.1/duplicate_attribute", pu(`<D:set><D:prop><Z:a x="1" x="2"/></D:prop></D:set>`), 400, proppatch.ErrMalformed},
		{"XML_2.8/doctype_inside_element", pu(`<D:set><D:prop><Z:a><!DOCTYPE x></Z:a></D:prop></D:set>`), 400, proppatch.ErrMalformed},
		{"XML_4.1/undefined_entity", pu(`<D:set><D:prop><Z:a>&bomb;</Z:a></D:prop></D:set>`), 400, proppatch.ErrMalformed},
		{"XML_2.2/illegal_character", pu(`<D:set><D:prop><Z:a>&#0;</Z:a></D:prop></D:set>`), 400, proppatch.ErrMalformed},
		{"XML_2.2/invalid_utf8", pu("<D:set><D:prop><Z:a>\xff</Z:a></D:prop></D:set>"), 400, proppatch.ErrMalformed},
		{"XML_2.2/illegal_character_in_comment", pu("<D:set><D:prop><Z:a><!-- \x01 --></Z:a></D:prop></D:set>"), 400, proppatch.ErrMalformed},
		{"XML_2.2/invalid_utf8_in_processing_instruction", pu("<D:set><D:prop><Z:a><?pi \xff?></Z:a></D:prop></D:set>"), 400, proppatch.ErrMalformed},
		{"Security/nesting_too_deep", deep, 400, proppatch.ErrMalformed},
		{"NS_3/prefix_bound_to_empty", pu(`<D:set><D:prop><Z:a xmlns:p=""/></D:prop></D:set>`), 400, proppatch.ErrNamespace},
		{"NS_5/undeclared_element_prefix", pu(`<D:set><D:prop><Q:a/></D:prop></D:set>`), 400, proppatch.ErrNamespace},
		{"NS_5/undeclared_prefix_deep_in_value", pu(`<D:set><D:prop><Z:a><b><Q:c/></b></Z:a></D:prop></D:set>`), 400, proppatch.ErrNamespace},
		{"NS_5/undeclared_attribute_prefix", pu(`<D:set><D:prop><Z:a Q:x="1"/></D:prop></D:set>`), 400, proppatch.ErrNamespace},
		{"NS_5/undeclared_root_prefix", `<D:propertyupdate><D:set><D:prop><a/></D:prop></D:set></D:propertyupdate>`, 400, proppatch.ErrNamespace},
		{"NS_3/xml_prefix_rebound", pu(`<D:set><D:prop><Z:a xmlns:xml="urn:x"/></D:prop></D:set>`), 400, proppatch.ErrNamespace},
		{"NS_3/xmlns_prefix_declared", pu(`<D:set><D:prop><Z:a xmlns:xmlns="urn:x"/></D:prop></D:set>`), 400, proppatch.ErrNamespace},
		{"NS_3/xml_namespace_as_default", pu(`<D:set><D:prop><a xmlns="http://www.w3.org/XML/1998/namespace"/></D:prop></D:set>`), 400, proppatch.ErrNamespace},
		{"NS_3/element_with_xml_prefix", pu(`<D:set><D:prop><xml:a/></D:prop></D:set>`), 400, proppatch.ErrNamespace},
		{"NS_6.3/same_expanded_attribute", pu(`<D:set><D:prop><Z:a Z:x="1" Y:x="2" xmlns:Y="urn:z"/></D:prop></D:set>`), 400, proppatch.ErrNamespace},
		{"NS_7/empty_prefix", pu(`<D:set><D:prop><:a/></D:prop></D:set>`), 400, proppatch.ErrNamespace},
		{"RFC4918_14.19/root_is_propfind", `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`, 400, proppatch.ErrNotPropertyUpdate},
		{"RFC4918_14.19/root_in_other_namespace", `<propertyupdate xmlns="urn:notdav"><set><prop><a/></prop></set></propertyupdate>`, 400, proppatch.ErrNotPropertyUpdate},
		{"RFC4918_14.19/prefix_D_is_not_DAV", `<D:propertyupdate xmlns:D="urn:notdav"><D:set><D:prop><D:a/></D:prop></D:set></D:propertyupdate>`, 400, proppatch.ErrNotPropertyUpdate},
		{"RFC4918_14.19/no_instruction", `<D:propertyupdate xmlns:D="DAV:"/>`, 400, proppatch.ErrEmptyUpdate},
		{"RFC4918_14.19/empty_prop", pu(`<D:set><D:prop/></D:set><D:remove><D:prop> </D:prop></D:remove>`), 400, proppatch.ErrEmptyUpdate},
		{"RFC4918_14.26/set_without_prop", pu(`<D:set><Z:a/></D:set>`), 400, proppatch.ErrMissingProp},
		{"RFC4918_14.23/remove_without_prop", pu(`<D:set><D:prop><Z:a/></D:prop></D:set><D:remove/>`), 400, proppatch.ErrMissingProp},
		{"RFC4918_14.26/prop_in_wrong_namespace", pu(`<D:set><prop xmlns="urn:z"><Z:a/></prop></D:set>`), 400, proppatch.ErrMissingProp},
		{"XML_4.3.3/utf16_declared", `<?xml version="1.0" encoding="UTF-16"?><D:propertyupdate xmlns:D="DAV:"/>`, 415, proppatch.ErrCharset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := proppatch.Parse(strings.NewReader(tt.body))
			assertParseError(t, u, err, tt.status, tt.is)
		})
	}
}

func assertParseError(t *testing.T, u *proppatch.Update, err error, status int, is error) {
	t.Helper()
	if err == nil {
		t.Fatalf("Parse succeeded with %d instructions, want %v", len(u.Instructions), is)
	}
	var pe *proppatch.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *proppatch.Error", err, err)
	}
	if pe.Status != status {
		t.Errorf("status = %d, want %d (%v)", pe.Status, status, err)
	}
	if !errors.Is(err, is) {
		t.Errorf("error %v is not %v", err, is)
	}
}

func TestParseReadErrors(t *testing.T) {
	t.Parallel()
	t.Run("RFC9110_15.5.14/body_over_MaxBytesReader_is_413", func(t *testing.T) {
		t.Parallel()
		body := pu(`<D:set><D:prop><Z:a>` + strings.Repeat("x", 4096) + `</Z:a></D:prop></D:set>`)
		r := http.MaxBytesReader(httptest.NewRecorder(), ioNopCloser{strings.NewReader(body)}, 1024)
		u, err := proppatch.Parse(r)
		assertParseError(t, u, err, http.StatusRequestEntityTooLarge, err)
		if mbe := (*http.MaxBytesError)(nil); !errors.As(err, &mbe) {
			t.Errorf("error %v does not wrap *http.MaxBytesError", err)
		}
	})
	t.Run("RFC4918_9.2/other_read_error_is_400", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("connection reset")
		u, err := proppatch.Parse(iotest.ErrReader(boom))
		assertParseError(t, u, err, http.StatusBadRequest, boom)
	})
	t.Run("RFC4918_9.2/read_error_mid_body_is_400", func(t *testing.T) {
		t.Parallel()
		r := iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader(pu(""))))
		u, err := proppatch.Parse(r)
		assertParseError(t, u, err, http.StatusBadRequest, iotest.ErrTimeout)
	})
}

type ioNopCloser struct{ *strings.Reader }

func (ioNopCloser) Close() error { return nil }

func TestParseExpansion(t *testing.T) {
	t.Parallel()
	// 2,000 namespace declarations re-declared on 2,000 empty properties
	// would build about 100 MB of values from a body of about 80 kB.
	var b strings.Builder
	b.WriteString(`<D:propertyupdate xmlns:D="DAV:"`)
	for i := range 2000 {
		fmt.Fprintf(&b, ` xmlns:p%d="urn:example:namespace:%d"`, i, i)
	}
	b.WriteString(`><D:set><D:prop>`)
	for range 2000 {
		b.WriteString(`<p1:a/>`)
	}
	b.WriteString(`</D:prop></D:set></D:propertyupdate>`)
	u, err := proppatch.Parse(strings.NewReader(b.String()))
	assertParseError(t, u, err, http.StatusRequestEntityTooLarge, proppatch.ErrExpansion)
}

// TestParseWithMaxDepth: ParseOptions.MaxDepth moves the nesting bound both
// ways: a body Parse refuses passes under a higher bound, and one it
// accepts is refused under a lower one (DESIGN §7: XML depth has an option).
func TestParseWithMaxDepth(t *testing.T) {
	t.Parallel()
	nested := func(n int) string {
		return pu(`<D:set><D:prop><Z:a>` + strings.Repeat("<x>", n) + strings.Repeat("</x>", n) + `</Z:a></D:prop></D:set>`)
	}
	// propertyupdate, set, prop and Z:a hold the n x elements: depth n+4.
	tests := []struct {
		name     string
		body     string
		maxDepth int
		ok       bool
	}{
		{"default_accepts_256", nested(252), 0, true},
		{"default_refuses_257", nested(253), 0, false},
		{"raised_accepts_300", nested(296), 300, true},
		{"raised_refuses_301", nested(297), 300, false},
		{"lowered_accepts_8", nested(4), 8, true},
		{"lowered_refuses_9", nested(5), 8, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := proppatch.ParseWith(strings.NewReader(tt.body), proppatch.ParseOptions{MaxDepth: tt.maxDepth})
			if tt.ok && err != nil {
				t.Fatalf("ParseWith = %v, want it accepted", err)
			}
			var pe *proppatch.Error
			if !tt.ok && (!errors.As(err, &pe) || pe.Status != 400 || !errors.Is(err, proppatch.ErrMalformed)) {
				t.Fatalf("ParseWith = %v, want a 400 wrapping ErrMalformed", err)
			}
		})
	}
}
