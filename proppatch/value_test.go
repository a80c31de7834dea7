package proppatch_test

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/proppatch"
)

// TestValueFidelity checks the exact bytes stored for the first property of
// each body (RFC 4918 §4.3: a value keeps its children, attributes,
// namespaces and xml:lang, and stands alone).
func TestValueFidelity(t *testing.T) {
	t.Parallel()
	const open = `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z">`
	const decls = `xmlns:D="DAV:" xmlns:Z="urn:z"`
	tests := []struct {
		name  string
		body  string
		want  string
		space string // namespace of the property; "urn:z" when empty
	}{
		{
			name: "RFC4918_4.3/plain_text_gets_inherited_declarations",
			body: open + `<D:set><D:prop><Z:foo>hi</Z:foo></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo ` + decls + `>hi</Z:foo>`,
		},
		{
			name: "RFC4918_4.3/prefixed_name_in_text_stays_resolvable",
			body: open + `<D:set><D:prop><Z:type>D:collection</Z:type></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:type ` + decls + `>D:collection</Z:type>`,
		},
		{
			name: "RFC4918_4.3/prefixed_name_in_attribute_value_stays_resolvable",
			body: open + `<D:set xmlns:Q="urn:q"><D:prop><Z:ref to="Q:thing"/></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:ref ` + decls + ` xmlns:Q="urn:q" to="Q:thing"/>`,
		},
		{
			name: "RFC4918_4.3/default_namespace_inherited_from_propertyupdate",
			body: `<propertyupdate xmlns="DAV:"><set><prop><foo xmlns="urn:f"><bar/></foo><displayname>x</displayname></prop></set></propertyupdate>`,
			want: `<foo xmlns="urn:f"><bar/></foo>`, space: "urn:f",
		},
		{
			name: "RFC4918_4.3/default_namespace_declared_for_qname_content",
			body: `<propertyupdate xmlns="DAV:"><set><prop><Z:foo xmlns:Z="urn:z">href</Z:foo></prop></set></propertyupdate>`,
			want: `<Z:foo xmlns="DAV:" xmlns:Z="urn:z">href</Z:foo>`,
		},
		{
			name: "RFC4918_4.3/unprefixed_property_takes_inherited_default",
			body: `<D:propertyupdate xmlns:D="DAV:" xmlns="urn:d"><D:set><D:prop><foo>1</foo></D:prop></D:set></D:propertyupdate>`,
			want: `<foo xmlns:D="DAV:" xmlns="urn:d">1</foo>`, space: "urn:d",
		},
		{
			name: "RFC4918_4.3/xmlns_empty_child_stays_in_no_namespace",
			body: `<D:propertyupdate xmlns:D="DAV:" xmlns="urn:d"><D:set><D:prop><foo><bar xmlns="">x</bar></foo></D:prop></D:set></D:propertyupdate>`,
			want: `<foo xmlns:D="DAV:" xmlns="urn:d"><bar xmlns="">x</bar></foo>`, space: "urn:d",
		},
		{
			name: "RFC4918_4.3/attributes_with_prefixes_kept",
			body: open + `<D:set><D:prop xmlns:A="urn:a"><Z:foo A:one="1" two="2" Z:three="3"/></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo ` + decls + ` xmlns:A="urn:a" A:one="1" two="2" Z:three="3"/>`,
		},
		{
			name: "RFC4918_4.3/own_declaration_wins_over_inherited",
			body: open + `<D:set><D:prop><Z:foo xmlns:Z="urn:other"/></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo xmlns:D="DAV:" xmlns:Z="urn:other"/>`, space: "urn:other",
		},
		{
			name: "RFC4918_4.3/nearest_ancestor_declaration_wins",
			body: open + `<D:set xmlns:Z="urn:z2"><D:prop><Z:foo/></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo ` + `xmlns:D="DAV:" xmlns:Z="urn:z2"/>`, space: "urn:z2",
		},
		{
			name: "RFC4918_4.3/null_namespace_property_declared",
			body: open + `<D:set><D:prop><foo xmlns="">v</foo></D:prop></D:set></D:propertyupdate>`,
			want: `<foo ` + decls + ` xmlns="">v</foo>`, space: "-",
		},
		{
			name: "RFC4918_4.3/null_namespace_without_any_default_gets_xmlns_empty",
			body: open + `<D:set><D:prop><foo><bar/></foo></D:prop></D:set></D:propertyupdate>`,
			want: `<foo ` + decls + ` xmlns=""><bar/></foo>`, space: "-",
		},
		{
			name: "RFC4918_4.3/unprefixed_child_of_prefixed_property_pinned_to_no_namespace",
			body: open + `<D:set><D:prop><Z:foo><bar/></Z:foo></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo ` + decls + ` xmlns=""><bar/></Z:foo>`,
		},
		{
			name: "RFC4918_4.3/default_undeclared_by_ancestor_is_not_copied",
			body: `<D:propertyupdate xmlns:D="DAV:" xmlns="urn:d"><D:set><D:prop xmlns=""><Z:foo xmlns:Z="urn:z">t</Z:foo></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo xmlns:D="DAV:" xmlns:Z="urn:z">t</Z:foo>`,
		},
		{
			name: "RFC4918_14.26/xml_lang_from_propertyupdate",
			body: `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z" xml:lang="en"><D:set><D:prop><Z:foo>hi</Z:foo></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo ` + decls + ` xml:lang="en">hi</Z:foo>`,
		},
		{
			name: "RFC4918_14.26/xml_lang_from_set_overrides_propertyupdate",
			body: `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z" xml:lang="en"><D:set xml:lang="fr"><D:prop><Z:foo>salut</Z:foo></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo ` + decls + ` xml:lang="fr">salut</Z:foo>`,
		},
		{
			name: "RFC4918_14.26/xml_lang_from_prop",
			body: open + `<D:set><D:prop xml:lang="de"><Z:foo>hallo</Z:foo></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo ` + decls + ` xml:lang="de">hallo</Z:foo>`,
		},
		{
			name: "RFC4918_14.26/own_xml_lang_kept",
			body: `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z" xml:lang="en"><D:set><D:prop><Z:foo xml:lang="ja">こんにちは</Z:foo></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo ` + decls + ` xml:lang="ja">こんにちは</Z:foo>`,
		},
		{
			name: "RFC4918_4.3/high_unicode_in_text_and_attribute",
			body: open + `<D:set><D:prop><Z:foo a="&#x1F600;">` + "\U00010348 &#x10348; \U0001F600" + `</Z:foo></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo ` + decls + ` a="` + "\U0001F600" + `">` + "\U00010348 \U00010348 \U0001F600" + `</Z:foo>`,
		},
		{
			name: "XML_2.4/text_escapes_amp_lt_gt",
			body: open + `<D:set><D:prop><Z:foo>a &amp; b &lt; c &gt; d ]]&gt; "q" 'a'</Z:foo></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo ` + decls + `>a &amp; b &lt; c &gt; d ]]&gt; "q" 'a'</Z:foo>`,
		},
		{
			name: "XML_3.3.3/attribute_escapes_quote_lt_amp_and_whitespace",
			body: open + `<D:set><D:prop><Z:foo a="&quot;x&quot; &lt;&amp;&gt; 'y'" b="1&#9;2&#10;3&#13;4"/></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo ` + decls + ` a="&quot;x&quot; &lt;&amp;> 'y'" b="1&#x9;2&#xA;3&#xD;4"/>`,
		},
		{
			name: "XML_2.11/carriage_return_reference_kept",
			body: open + "<D:set><D:prop><Z:foo>a&#13;b\r\nc</Z:foo></D:prop></D:set></D:propertyupdate>",
			want: `<Z:foo ` + decls + ">a&#xD;b\nc</Z:foo>",
		},
		{
			name: "XML_2.7/cdata_becomes_escaped_text",
			body: open + `<D:set><D:prop><Z:foo><![CDATA[<b>&</b>]]></Z:foo></D:prop></D:set></D:propertyupdate>`,
			want: `<Z:foo ` + decls + `>&lt;b&gt;&amp;&lt;/b&gt;</Z:foo>`,
		},
		{
			name: "RFC4918_4.3/mixed_content_whitespace_and_comments_kept",
			body: open + "<D:set><D:prop><Z:foo>\n  <Z:b attr=\"1\"/> tail <!-- note -->\n</Z:foo></D:prop></D:set></D:propertyupdate>",
			want: `<Z:foo ` + decls + ">\n  <Z:b attr=\"1\"/> tail <!-- note -->\n</Z:foo>",
		},
		{
			name: "XML_4.3.3/latin1_body_stored_as_utf8",
			body: `<?xml version="1.0" encoding="ISO-8859-1"?>` + open + "<D:set><D:prop><Z:foo>caf\xe9</Z:foo></D:prop></D:set></D:propertyupdate>",
			want: `<Z:foo ` + decls + `>café</Z:foo>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := proppatch.Parse(strings.NewReader(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			in := u.Instructions[0]
			if got := string(in.Value); got != tt.want {
				t.Errorf("value\n got: %s\nwant: %s", got, tt.want)
			}
			space := tt.space
			switch space {
			case "":
				space = "urn:z"
			case "-":
				space = ""
			}
			if in.Name.Space != space {
				t.Errorf("name %v, want namespace %q", in.Name, space)
			}
			if err := checkValue(in.Value, in.Name); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestValueReparsesToSameTree checks that a stored value, pasted inside a
// PROPFIND response under other declarations, resolves to the same names as
// in the request (RFC 4918 §4.3: PROPFIND returns what PROPPATCH stored).
func TestValueReparsesToSameTree(t *testing.T) {
	t.Parallel()
	body := `<propertyupdate xmlns="DAV:" xmlns:Z="urn:z" xml:lang="en"><set><prop>` +
		`<Z:foo Z:a="1"><Z:b/><c/><d xmlns=""><e/></d></Z:foo>` +
		`</prop></set></propertyupdate>`
	u, err := proppatch.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	// A hostile context: Z bound elsewhere and a foreign default namespace.
	doc := `<D:multistatus xmlns:D="DAV:" xmlns:Z="urn:wrong" xmlns="urn:wrong-default"><D:prop>` +
		string(u.Instructions[0].Value) + `</D:prop></D:multistatus>`
	var got []xml.Name
	dec := xml.NewDecoder(strings.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok {
			got = append(got, se.Name)
			for _, a := range se.Attr {
				if a.Name.Local == "a" && a.Name.Space != "urn:z" {
					t.Errorf("attribute a resolved to %q", a.Name.Space)
				}
			}
		}
	}
	want := []xml.Name{{Space: "DAV:", Local: "multistatus"}, {Space: "DAV:", Local: "prop"}, {Space: "urn:z", Local: "foo"}, {Space: "urn:z", Local: "b"}, {Space: "DAV:", Local: "c"}, {Space: "", Local: "d"}, {Space: "", Local: "e"}}
	if len(got) != len(want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("element %d is %v, want %v", i, got[i], want[i])
		}
	}
}
