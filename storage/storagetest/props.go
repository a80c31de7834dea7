package storagetest

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// testValues checks that names and values come back exactly as stored.
func testValues(t *testing.T, open Opener) {
	s := newStore(t, open)
	big := `<b:big xmlns:b="urn:big">` + strings.Repeat("0123456789abcdef", 4096) + `</b:big>`
	tests := []struct {
		name  string
		path  string
		prop  xml.Name
		value string
	}{
		{"DAV namespace", "/v/dav", xml.Name{Space: "DAV:", Local: "displayname"}, `<D:displayname xmlns:D="DAV:">Report</D:displayname>`},
		{"null namespace", "/v/null", xml.Name{Local: "x"}, `<x xmlns="">plain</x>`},
		{"empty element", "/v/empty", xml.Name{Space: "urn:e", Local: "empty"}, `<empty xmlns="urn:e"/>`},
		{"empty element null namespace", "/v/empty-null", xml.Name{Local: "e"}, `<e/>`},
		{"high Unicode value", "/v/unicode", xml.Name{Space: "urn:u", Local: "u"}, `<u xmlns="urn:u" xml:lang="ja">日本語 Ünïcödé 𝄞 😀 &#x10FFFF;</u>`},
		{"high Unicode name", "/v/unicode-name", xml.Name{Space: "urn:ü:𝄞", Local: "ñame𝄞"}, `<ñame𝄞 xmlns="urn:ü:𝄞">𐍈</ñame𝄞>`},
		{"namespace with slashes", "/v/slashes", xml.Name{Space: "http://example.com/ns/a/", Local: "b"}, `<b xmlns="http://example.com/ns/a/"><c xmlns=""/></b>`},
		{"whitespace and CDATA kept", "/v/ws", xml.Name{Space: "urn:w", Local: "w"}, "<w xmlns=\"urn:w\">\n\t a  <![CDATA[<&>]]> \r\n</w>"},
		{"64 KiB value", "/v/big", xml.Name{Space: "urn:big", Local: "big"}, big},
		{"Unicode path", "/v/ünï 𝄞/日本", xml.Name{Space: "urn:p", Local: "p"}, `<p xmlns="urn:p">p</p>`},
		{"root", "/", xml.Name{Space: "urn:r", Local: "r"}, `<r xmlns="urn:r">root</r>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := props{tt.prop: []byte(tt.value)}
			mustPatch(t, s, tt.path, want, nil)
			checkProps(t, s, tt.path, want)
		})
	}
	t.Run("values are copies", func(t *testing.T) {
		in := []byte(`<c xmlns="urn:c">copy</c>`)
		name := xml.Name{Space: "urn:c", Local: "c"}
		mustPatch(t, s, "/v/copy", props{name: in}, nil)
		in[1] = 'X'
		got, err := s.Props(context.Background(), "/v/copy")
		if err != nil {
			t.Fatal(err)
		}
		got[name][1] = 'Y'
		checkProps(t, s, "/v/copy", props{name: []byte(`<c xmlns="urn:c">copy</c>`)})
	})
	t.Run("unknown path", func(t *testing.T) {
		checkProps(t, s, "/v/nobody", props{})
	})
}

// testPatchProps checks PROPPATCH semantics (RFC 4918 §9.2): set,
// overwrite, remove, remove of an absent name, set-then-remove.
func testPatchProps(t *testing.T, open Opener) {
	s := newStore(t, open)
	a := xml.Name{Space: "urn:a", Local: "a"}
	b := xml.Name{Space: "urn:a", Local: "b"}
	bNull := xml.Name{Local: "b"} // same local name, no namespace
	v := func(s string) []byte { return []byte(s) }
	tests := []struct {
		name   string
		before props
		set    props
		remove []xml.Name
		want   props
	}{
		{"set new", nil, props{a: v("<a/>")}, nil, props{a: v("<a/>")}},
		{"set keeps others", props{a: v("1")}, props{b: v("2")}, nil, props{a: v("1"), b: v("2")}},
		{"overwrite", props{a: v("old")}, props{a: v("new")}, nil, props{a: v("new")}},
		{"remove", props{a: v("1"), b: v("2")}, nil, []xml.Name{a}, props{b: v("2")}},
		{"remove absent is fine", props{a: v("1")}, nil, []xml.Name{b}, props{a: v("1")}},
		{"remove from empty resource", nil, nil, []xml.Name{a}, props{}},
		{"set and remove same name ends removed", nil, props{a: v("1"), b: v("2")}, []xml.Name{a}, props{b: v("2")}},
		{"set and remove existing name ends removed", props{a: v("old")}, props{a: v("new")}, []xml.Name{a}, props{}},
		{"namespace tells names apart", props{b: v("ns"), bNull: v("null")}, nil, []xml.Name{bNull}, props{b: v("ns")}},
		{"empty patch", props{a: v("1")}, nil, nil, props{a: v("1")}},
		{"remove all", props{a: v("1"), b: v("2")}, nil, []xml.Name{a, b}, props{}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fmt.Sprintf("/p/%02d", i)
			// Neighbours that no patch of p may touch (the prefix trap).
			seed(t, s, p+"z", p+" x", p+"/child")
			if tt.before != nil {
				mustPatch(t, s, p, tt.before, nil)
			}
			mustPatch(t, s, p, tt.set, tt.remove)
			checkProps(t, s, p, tt.want)
			checkTree(t, s, map[string]string{p + "z": p + "z", p + " x": p + " x", p + "/child": p + "/child"})
		})
	}
}

// testFolderProps checks that a folder read returns the folder and its
// direct children only.
func testFolderProps(t *testing.T, open Opener) {
	s := newStore(t, open)
	seed(t, s, fixtureTree...)
	seed(t, s, "/e/f", "/e/g/h")
	tests := []struct {
		dir  string
		want []string
	}{
		{"/", []string{"/", "/a", "/a b", "/a!", "/a-", "/a.b", "/a0", "/ab", "/c", "/c d", "/c-", "/cd"}},
		{"/a", []string{"/a", "/a/x", "/a/z"}},
		{"/a/x", []string{"/a/x", "/a/x/y"}},
		{"/a/x/y", []string{"/a/x/y"}},
		{"/ab", []string{"/ab", "/ab/x"}},
		{"/a b", []string{"/a b", "/a b/x"}},
		{"/c", []string{"/c", "/c/old"}},
		{"/e", []string{"/e/f"}}, // a folder without properties of its own
		{"/nobody", nil},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			got, err := s.FolderProps(context.Background(), tt.dir)
			if err != nil {
				t.Fatalf("FolderProps(%q): %v", tt.dir, err)
			}
			if got == nil {
				t.Errorf("FolderProps(%q) = nil map, want an empty map", tt.dir)
			}
			want := make(map[string]props)
			for _, p := range tt.want {
				want[p] = origin(p)
			}
			if !maps.EqualFunc(got, want, func(a, b props) bool { return maps.EqualFunc(a, b, bytes.Equal) }) {
				t.Errorf("FolderProps(%q) returned %v, want %v", tt.dir, slices.Sorted(maps.Keys(got)), tt.want)
			}
		})
	}
}

// fixtureTree has subtrees next to siblings whose names share their prefix
// and sort just around "/" (0x2F): ' ' 0x20, '!' 0x21, '-' 0x2D, '.' 0x2E,
// '0' 0x30.
var fixtureTree = []string{
	"/",
	"/a", "/a/x", "/a/x/y", "/a/z",
	"/ab", "/ab/x", "/a b", "/a b/x", "/a!", "/a-", "/a.b", "/a0",
	"/c", "/c/old", "/c/old/deep", "/cd", "/c d", "/c-",
}

// identity maps each path of fixtureTree to itself, plus the overrides.
func identity(overrides map[string]string) map[string]string {
	m := make(map[string]string)
	for _, p := range fixtureTree {
		m[p] = p
	}
	maps.Copy(m, overrides)
	return m
}
