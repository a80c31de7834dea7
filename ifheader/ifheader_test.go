package ifheader

import (
	"errors"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []List
	}{
		{"RFC4918 10.4.6 untagged token", `(<urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2>)`,
			[]List{{Conditions: []Condition{{Token: "urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2"}}}}},
		{"RFC4918 10.4.7 token and etag", `(<urn:uuid:a> ["I am an ETag"]) (["I am another ETag"])`,
			[]List{
				{Conditions: []Condition{{Token: "urn:uuid:a"}, {ETag: `"I am an ETag"`}}},
				{Conditions: []Condition{{ETag: `"I am another ETag"`}}},
			}},
		{"RFC4918 10.4.8 Not", `(Not <urn:uuid:a> <urn:uuid:b>)`,
			[]List{{Conditions: []Condition{{Not: true, Token: "urn:uuid:a"}, {Token: "urn:uuid:b"}}}}},
		{"RFC4918 10.4.9 tagged", `<http://example.com/resource1> (<urn:uuid:a> [W/"A weak ETag"]) (["strong ETag"])`,
			[]List{
				{Resource: "http://example.com/resource1", Conditions: []Condition{{Token: "urn:uuid:a"}, {ETag: `W/"A weak ETag"`}}},
				{Resource: "http://example.com/resource1", Conditions: []Condition{{ETag: `"strong ETag"`}}},
			}},
		{"RFC4918 10.4.9 two tags", `</a> (<urn:x>) </b> (Not <DAV:no-lock>)`,
			[]List{
				{Resource: "/a", Conditions: []Condition{{Token: "urn:x"}}},
				{Resource: "/b", Conditions: []Condition{{Not: true, Token: "DAV:no-lock"}}},
			}},
		{"lowercase not, no spaces", `(not<urn:x>)`, []List{{Conditions: []Condition{{Not: true, Token: "urn:x"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		``, `   `, `()`, `(`, `(<urn:x>`, `<urn:x>`, `</a>`, `(urn:x)`, `([no-quotes])`,
		`(<urn:x>) </a> (<urn:y>)`, `(<>)`, `(Not)`, `([""x"])`, `junk (<urn:x>)`,
	} {
		t.Run(in, func(t *testing.T) {
			if _, err := Parse(in); !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q) err = %v, want ErrSyntax", in, err)
			}
		})
	}
}

// TestParseLimit checks that a header of more conditions than the limit is
// refused with ErrTooMany, counted over all lists and tagged resources,
// and that one at the limit parses.
func TestParseLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		max  int
		err  error
	}{
		{"one list at the limit", `(<urn:a> <urn:b> ["x"])`, 3, nil},
		{"one list over", `(<urn:a> <urn:b> ["x"] <urn:c>)`, 3, ErrTooMany},
		{"lists over", `(<urn:a>) (<urn:b>) (<urn:c>) (<urn:d>)`, 3, ErrTooMany},
		{"tagged resources over", `</a> (<urn:a>) </b> (<urn:a>) </c> (<urn:a>) </d> (<urn:a>)`, 3, ErrTooMany},
		{"no limit", `(<urn:a>) (<urn:b>) (<urn:c>) (<urn:d>)`, 0, nil},
		{"syntax first", `(<urn:a>) (`, 3, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLimit(tt.in, tt.max)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("ParseLimit(%q, %d): %v, want %v", tt.in, tt.max, err, tt.err)
			}
		})
	}
}
