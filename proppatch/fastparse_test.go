package proppatch

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// fastTaken are bodies parseFast must parse itself: davbench's, Windows'
// Mini-Redirector's, Nextcloud's favourite, Cyberduck's, a remove, empty
// and whitespace values, references, several updates.
var fastTaken = []string{
	`<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:b="urn:x-davbench:"><D:set><D:prop><b:p0>value 0 of client 3 op 1234</b:p0><b:p1>value 1</b:p1></D:prop></D:set></D:propertyupdate>`,
	`<?xml version="1.0" encoding="utf-8" ?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32CreationTime>Wed, 20 Jan 2021 10:00:00 GMT</Z:Win32CreationTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`,
	`<?xml version="1.0"?>
<d:propertyupdate xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">
  <d:set>
    <d:prop>
      <oc:favorite>1</oc:favorite>
    </d:prop>
  </d:set>
</d:propertyupdate>
`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><D:remove><D:prop><x:a/><x:b /></D:prop></D:remove><D:set><D:prop><x:c></x:c><x:d> </x:d><D:displayname>caf` + "\u00e9 \U00010348" + ` "q" 'a'</D:displayname></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:x.y-z_1>v</D:x.y-z_1></D:prop></D:set></D:propertyupdate >`,
	`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><D:propertyupdate xmlns:D="DAV:" xmlns:S="SAR:"><D:set><D:prop><S:Author>Ada &amp; Grace &lt;lab&gt; — Zürich, 東京</S:Author><S:Reviewed>yes</S:Reviewed></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><D:set><D:prop><x:a>v > w &quot;q&quot; &apos;a&apos; ]] > &amp;amp;</x:a><x:b>&amp;</x:b></D:prop></D:set></D:propertyupdate>`,
}

// fastDeclined are bodies parseFast must leave to the general path, which
// accepts or refuses them on its own.
var fastDeclined = []string{
	`<propertyupdate xmlns="DAV:"><set><prop><a xmlns="urn:x">v</a></prop></set></propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><D:set><D:prop><x:a x:y="1">v</x:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><D:set><D:prop><x:a>&#38;</x:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><D:set><D:prop><x:a>a ]]> b</x:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><D:set><D:prop><x:a>&nbsp;</x:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><D:set><D:prop><x:a>&amp</x:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><D:set><D:prop><x:a><x:b/></x:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><D:set><D:prop><x:a><![CDATA[v]]></x:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><!-- c --><D:set><D:prop><x:a>v</x:a></D:prop></D:set></D:propertyupdate>`,
	"\xEF\xBB\xBF" + `<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><D:set><D:prop><x:a>v</x:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D='DAV:' xmlns:x="urn:x"><D:set><D:prop><x:a>v</x:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xml:lang="en" xmlns:x="urn:x"><D:set><D:prop><x:a>v</x:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><D:set><D:prop><y:a>v</y:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x"><D:set><D:prop><x:a>v</x:b></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:D="urn:x"><D:set><D:prop><D:a>v</D:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x=""><D:set><D:prop><D:a>v</D:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:a>v</D:a></D:prop></D:set></D:propertyupdate>x`,
	`<D:propertyupdate xmlns:D="urn:not-dav"><D:set><D:prop><D:a>v</D:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:a>v` + "\r\n" + `</D:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:a>v` + "\x01" + `</D:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:a>v` + "\xff" + `</D:a></D:prop></D:set></D:propertyupdate>`,
	`<?xml version="1.0" encoding="ISO-8859-1"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:a>v</D:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:a>v</D:a></D:prop></D:set>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x&amp;y"><D:set><D:prop><x:a>v</x:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:xml="http://www.w3.org/XML/1998/namespace"><D:set><D:prop><D:a>v</D:a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:a>v</D:a></D:prop><D:prop><D:b>w</D:b></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:1a>v</D:1a></D:prop></D:set></D:propertyupdate>`,
}

// general parses body on the general path alone.
func general(body []byte, maxDepth int) (*Update, error) {
	return parseTree(bytes.NewReader(body), new(Namespaces), maxDepth)
}

// checkSame fails unless parseFast's result for body, when it takes it,
// is the general path's.
func checkSame(t *testing.T, body []byte) (taken bool) {
	t.Helper()
	ins, ok := parseFast(body, expansionBudget(int64(len(body))))
	if !ok {
		return false
	}
	want, err := general(body, DefaultMaxDepth)
	if err != nil {
		t.Fatalf("parseFast took %q, which the general path refuses: %v", body, err)
	}
	if !reflect.DeepEqual(ins, want.Instructions) {
		t.Fatalf("parseFast(%q):\n%+v\ngeneral path:\n%+v", body, ins, want.Instructions)
	}
	return true
}

func TestParseFastTakes(t *testing.T) {
	for _, b := range fastTaken {
		if !checkSame(t, []byte(b)) {
			t.Errorf("parseFast declined %q", b)
		}
	}
}

func TestParseFastDeclines(t *testing.T) {
	for _, b := range fastDeclined {
		if checkSame(t, []byte(b)) {
			t.Errorf("parseFast took %q", b)
		}
		// Parse gives the general path's answer.
		got, gerr := Parse(strings.NewReader(b))
		want, werr := general([]byte(b), DefaultMaxDepth)
		if !reflect.DeepEqual(got, want) || (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
			t.Errorf("Parse(%q) = %+v, %v; general path %+v, %v", b, got, gerr, want, werr)
		}
	}
}

// TestParseFastBudget: a body whose values would go over the expansion
// budget is left to the general path, which answers 413.
func TestParseFastBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<D:propertyupdate xmlns:D="DAV:"`)
	for i := range 40 {
		b.WriteString(` xmlns:p` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `="urn:` + strings.Repeat("u", 60) + `"`)
	}
	b.WriteString(`><D:set><D:prop>`)
	body := b.String() + strings.Repeat(`<D:a/>`, 1) + `</D:prop></D:set></D:propertyupdate>`
	if !checkSame(t, []byte(body)) {
		t.Fatal("parseFast declined a body within its budget")
	}
	if _, ok := parseFast([]byte(body), 100); ok {
		t.Fatal("parseFast took a body over its budget")
	}
}

// TestParseFastDepth: with MaxDepth below the fast path's 4 levels, Parse
// refuses as the general path does.
func TestParseFastDepth(t *testing.T) {
	body := fastTaken[0]
	_, err := ParseWith(strings.NewReader(body), ParseOptions{MaxDepth: 3})
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("MaxDepth 3: %v, want ErrMalformed", err)
	}
	if _, err := ParseWith(strings.NewReader(body), ParseOptions{MaxDepth: 4}); err != nil {
		t.Fatalf("MaxDepth 4: %v", err)
	}
}

// TestParseReadSmall: a body read in pieces, one larger than the fast
// path's buffer, and a read error are parsed as before.
func TestParseReadSmall(t *testing.T) {
	u, err := Parse(iotest.OneByteReader(strings.NewReader(fastTaken[0])))
	if err != nil || len(u.Instructions) != 2 {
		t.Fatalf("one byte at a time: %+v, %v", u, err)
	}
	long := strings.Replace(fastTaken[0], "value 1", strings.Repeat("v", fastMax), 1)
	u, err = Parse(strings.NewReader(long))
	if err != nil || len(u.Instructions) != 2 || len(u.Instructions[1].Value) < fastMax {
		t.Fatalf("body over fastMax: %v", err)
	}
	cut := errors.New("connection reset")
	_, err = Parse(io.MultiReader(strings.NewReader(fastTaken[0][:50]), iotest.ErrReader(cut)))
	if !errors.Is(err, cut) {
		t.Fatalf("read error: %v, want %v", err, cut)
	}
}

// FuzzParseFast checks that whatever parseFast takes, the general path
// takes too and turns into the same instructions.
func FuzzParseFast(f *testing.F) {
	for _, b := range append(append([]string(nil), fastTaken...), fastDeclined...) {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkSame(t, body)
	})
}
