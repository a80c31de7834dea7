package proppatch

import (
	"bytes"
	"testing"

	"github.com/beevik/etree"
)

// These tests pin the etree v1.8 behaviours the package relies on or works
// around, so that an upgrade that changes one of them fails here first.

func readDoc(t *testing.T, s string) *etree.Document {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestEtreeSpaceIsThePrefix(t *testing.T) {
	t.Parallel()
	doc := readDoc(t, `<D:a xmlns:D="DAV:"><D:b/><X:c/></D:a>`)
	b := doc.Root().ChildElements()[0]
	if b.Space != "D" || b.NamespaceURI() != "DAV:" {
		t.Errorf("Space=%q NamespaceURI=%q; want the prefix and the URI", b.Space, b.NamespaceURI())
	}
	// An undeclared prefix resolves to "", like no namespace: checkTree
	// keeps its own scope to tell them apart.
	if c := doc.Root().ChildElements()[1]; c.NamespaceURI() != "" {
		t.Errorf("undeclared prefix resolved to %q", c.NamespaceURI())
	}
	// SelectElement matches a tag in any namespace: isDAV never uses it.
	if doc.Root().SelectElement("c") == nil {
		t.Error("SelectElement no longer ignores namespaces")
	}
}

func TestEtreeXMLPrefixUnknown(t *testing.T) {
	t.Parallel()
	doc := readDoc(t, `<a xml:lang="en"/>`)
	if ns := doc.Root().Attr[0].NamespaceURI(); ns != "" {
		t.Errorf("xml:lang resolved to %q; scope.lookup knows the xml prefix itself", ns)
	}
}

func TestEtreeAcceptsWhatXMLDoesNot(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`<a x="1" x="2"/>`,         // duplicate attribute (kept once unless PreserveDuplicateAttrs)
		`<a/><b/>`,                 // two roots
		`<a/>text`,                 // text after the root
		`<a xmlns:p=""><p:b/></a>`, // prefix bound to ""
		`<p:a/>`,                   // undeclared prefix
		`<:a/>`,                    // empty prefix, kept in Tag
		`<a><!DOCTYPE a></a>`,      // DOCTYPE inside an element
	} {
		if err := etree.NewDocument().ReadFromString(s); err != nil {
			t.Errorf("etree now refuses %s: %v", s, err)
		}
	}
	doc := readDoc(t, `<a x="1" x="2"/>`)
	if n := len(doc.Root().Attr); n != 1 {
		t.Errorf("duplicate attributes kept as %d", n)
	}
}

func TestEtreeWriterEscaping(t *testing.T) {
	t.Parallel()
	el := etree.NewElement("a")
	el.CreateAttr("v", "\"<&>' \t\n\r")
	el.CreateText("<&>\"' \r\n")
	write := func(s *etree.WriteSettings) string {
		var b bytes.Buffer
		el.WriteTo(&b, s)
		return b.String()
	}
	// Defaults: tab, newline and carriage return written raw in the
	// attribute and carriage return raw in text, which a re-parse
	// normalises away.
	if got, want := write(&etree.WriteSettings{}), "<a v=\"&quot;&lt;&amp;&gt;&apos; \t\n\r\">&lt;&amp;&gt;&quot;&apos; \r\n</a>"; got != want {
		t.Errorf("default writer\n got %q\nwant %q", got, want)
	}
	// The settings standalone uses escape all of them.
	if got, want := write(&writeSettings), "<a v=\"&quot;&lt;&amp;>' &#x9;&#xA;&#xD;\">&lt;&amp;&gt;\"' &#xD;\n</a>"; got != want {
		t.Errorf("canonical writer\n got %q\nwant %q", got, want)
	}
}
