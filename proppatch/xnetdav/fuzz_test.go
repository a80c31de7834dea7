package xnetdav

import (
	"testing"
)

// FuzzPropfindBody feeds PROPFIND bodies, client input, to the two readers
// the Handler runs on them before x/net does: neither may panic, and a
// body checkNamespaces accepts must leave every element name readPropfind
// returns in a namespace a declaration (or none) gave it.
func FuzzPropfindBody(f *testing.F) {
	for _, s := range []string{
		``,
		`<propfind xmlns="DAV:"><allprop/></propfind>`,
		`<propfind xmlns="DAV:"><propname/></propfind>`,
		`<D:propfind xmlns:D="DAV:"><D:prop><Z:a xmlns:Z="urn:z"/><b xmlns=""/></D:prop></D:propfind>`,
		`<propfind xmlns="DAV:"><prop><bar:foo xmlns:bar=""/></prop></propfind>`,
		`<propfind xmlns="DAV:"><prop><bar:foo/></prop></propfind>`,
		`<propfind xmlns="DAV:" xmlns:xml="urn:wrong"><prop/></propfind>`,
		`<?xml version="1.0"?><propfind xmlns="DAV:"><prop><x xml:lang="en" q:a="1" xmlns:q="urn:q"/></prop></propfind>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ok := checkNamespaces(body) == nil
		want, read := readPropfind(body)
		if !ok || !read {
			return
		}
		for name := range want.props {
			if name.Space == "xmlns" {
				t.Fatalf("accepted a property named in the xmlns namespace: %v", name)
			}
		}
	})
}
