package proppatch

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// hostileBodies build PROPPATCH bodies of about n bytes that cost quadratic
// time to a parser that scans the bindings (or attributes) in scope for
// every name it resolves: half the body declares namespaces (or plain
// attributes) on the root, the other half is small instructions whose
// names all need the root's default namespace, declared last.
var hostileBodies = map[string]func(n int) []byte{
	"declarations": func(n int) []byte {
		return hostileBody(n, `xmlns:p%d="urn:x"`, `<remove><prop><a/></prop></remove>`)
	},
	"attributes": func(n int) []byte {
		return hostileBody(n, `a%d=""`, `<set><prop><a/></prop></set>`)
	},
}

func hostileBody(n int, attr, child string) []byte {
	var b bytes.Buffer
	b.WriteString("<propertyupdate")
	for i := 0; b.Len() < n/2; i++ {
		b.WriteString(" " + fmt.Sprintf(attr, i))
	}
	b.WriteString(` xmlns="DAV:">`)
	for b.Len() < n-len(child)-len("</propertyupdate>") {
		b.WriteString(child)
	}
	b.WriteString("</propertyupdate>")
	return b.Bytes()
}

// BenchmarkParseHostile shows that Parse costs linear time in hostile
// bodies: ns/byte stays flat from 64 KiB to 1 MiB (it grew 16-fold with
// the size when names were resolved by scanning the bindings in scope).
func BenchmarkParseHostile(b *testing.B) {
	for _, name := range []string{"declarations", "attributes"} {
		for _, size := range []int{64 << 10, 256 << 10, 1 << 20} {
			body := hostileBodies[name](size)
			b.Run(fmt.Sprintf("%s/%dKiB", name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					if _, err := Parse(bytes.NewReader(body)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(body)), "ns/byte")
			})
		}
	}
}

// TestParseWorkIsLinear counts the resolver's operations (map reads and
// writes) while Parse reads hostile bodies of 64 KiB and 1 MiB: they must
// stay within a few per byte. A resolver that scans the bindings in scope
// on each lookup makes about bindings × names comparisons, over 10 000 per
// byte for the 1 MiB bodies.
func TestParseWorkIsLinear(t *testing.T) {
	t.Parallel()
	for name, build := range hostileBodies {
		for _, size := range []int{64 << 10, 1 << 20} {
			body := build(size)
			var ns Namespaces
			if _, err := parse(bytes.NewReader(body), &ns, ParseOptions{}); err != nil {
				t.Fatalf("%s/%d: %v", name, size, err)
			}
			if perByte := float64(ns.steps) / float64(len(body)); perByte > 1 {
				t.Errorf("%s/%d: %d resolver steps, %.1f per byte", name, size, ns.steps, perByte)
			}
		}
	}
}

// TestNamespacesScope checks Namespaces on nested declarations (Namespaces
// in XML 1.0 §6): the innermost declaration wins and closing an element
// restores what its parent saw, the default namespace is bound to "" until
// declared, xml is always bound, InScope lists each prefix once, and
// Declare refuses what §3 forbids.
func TestNamespacesScope(t *testing.T) {
	t.Parallel()
	var ns Namespaces
	want := func(prefix, uri string, ok bool) {
		t.Helper()
		if got, gotOK := ns.Lookup(prefix); got != uri || gotOK != ok {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", prefix, got, gotOK, uri, ok)
		}
	}
	want("", "", true)
	want("a", "", false)
	want("xml", nsXML, true)
	ns.Open()
	must(t, ns.Declare("a", "urn:1"))
	must(t, ns.Declare("", "urn:d"))
	ns.Open()
	must(t, ns.Declare("a", "urn:2"))
	must(t, ns.Declare("a", "urn:3")) // the later of two on one element wins
	must(t, ns.Declare("", ""))
	want("a", "urn:3", true)
	want("", "", true)
	if got := fmt.Sprint(ns.InScope()); got != "[{a urn:3} { }]" {
		t.Errorf("InScope = %s", got)
	}
	ns.Close()
	want("a", "urn:1", true)
	want("", "urn:d", true)
	ns.Close()
	want("a", "", false)
	ns.Close() // more closes than opens are harmless
	for _, d := range [][2]string{{"xmlns", "urn:x"}, {"xml", "urn:x"}, {"p", ""}, {"p", nsXML}, {"", nsXMLNS}} {
		ns.Open()
		if err := ns.Declare(d[0], d[1]); !errors.Is(err, ErrNamespace) {
			t.Errorf("Declare(%q, %q) = %v, want ErrNamespace", d[0], d[1], err)
		}
		ns.Close()
	}
	if err := ns.Declare("xml", nsXML); err != nil {
		t.Errorf("redundant xml declaration: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
