package ifheader

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, refuses only with ErrSyntax,
// and that what it accepts is RFC 4918 §10.4's grammar: at least one list,
// each with at least one condition, tokens without white space or angle
// brackets, entity tags quoted; formatted back, the lists parse again to
// the same lists; ParseLimit accepts it at its count of conditions and
// refuses it below (ErrTooMany). Seeds are also in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`(<urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2>)`,
		`(<urn:uuid:a> ["I am an ETag"]) (["I am another ETag"])`,
		`<http://example.com/resource1> (<urn:uuid:a> [W/"A weak ETag"]) (["strong ETag"])`,
		`</a> (<urn:x>) </b> (Not <DAV:no-lock>)`,
		`(not<urn:x>)`, `()`, `(<>)`, `<a>`, `(["x])`, `(<a b>)`, "(\u00a0<urn:x>)", `(Not)`, `<a> (<b>) (<c>)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lists, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q): %v is not ErrSyntax", s, err)
			}
			return
		}
		if len(lists) == 0 {
			t.Fatalf("Parse(%q) accepted no list", s)
		}
		for _, l := range lists {
			if len(l.Conditions) == 0 || strings.ContainsAny(l.Resource, " <>") {
				t.Fatalf("Parse(%q): list %+v", s, l)
			}
			for _, c := range l.Conditions {
				if (c.Token == "") == (c.ETag == "") || strings.ContainsAny(c.Token, " <>") || (c.ETag != "" && !validETag(c.ETag)) {
					t.Fatalf("Parse(%q): condition %+v", s, c)
				}
			}
		}
		n := 0
		for _, l := range lists {
			n += len(l.Conditions)
		}
		if _, err := ParseLimit(s, n); err != nil {
			t.Fatalf("ParseLimit(%q, %d) of its own count: %v", s, n, err)
		}
		if _, err := ParseLimit(s, n-1); n > 1 && !errors.Is(err, ErrTooMany) {
			t.Fatalf("ParseLimit(%q, %d) = %v, want ErrTooMany", s, n-1, err)
		}
		again, err := Parse(format(lists))
		if err != nil || !reflect.DeepEqual(again, lists) {
			t.Fatalf("Parse(%q) = %+v; formatted %q parses as %+v, %v", s, lists, format(lists), again, err)
		}
	})
}

// format writes lists back as an If header.
func format(lists []List) string {
	var b strings.Builder
	for i, l := range lists {
		if l.Resource != "" && (i == 0 || lists[i-1].Resource != l.Resource) {
			b.WriteString("<" + l.Resource + "> ")
		}
		b.WriteString("(")
		for j, c := range l.Conditions {
			if j > 0 {
				b.WriteString(" ")
			}
			if c.Not {
				b.WriteString("Not ")
			}
			if c.Token != "" {
				b.WriteString("<" + c.Token + ">")
			} else {
				b.WriteString("[" + c.ETag + "]")
			}
		}
		b.WriteString(") ")
	}
	return b.String()
}
