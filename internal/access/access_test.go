package access

import (
	"errors"
	"path"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestParseLevel(t *testing.T) {
	for s, want := range map[string]Level{"none": None, "read": Read, "write": Write} {
		if l, err := ParseLevel(s); err != nil || l != want || l.String() != s {
			t.Errorf("ParseLevel(%q) = %v, %v", s, l, err)
		}
	}
	for _, s := range []string{"", "Read", "rw", "ro"} {
		if _, err := ParseLevel(s); !errors.Is(err, ErrBadLevel) {
			t.Errorf("ParseLevel(%q) = %v, want ErrBadLevel", s, err)
		}
	}
}

func TestCheckPath(t *testing.T) {
	for _, p := range []string{"/", "/a", "/a b/c", "/été"} {
		if err := CheckPath(p); err != nil {
			t.Errorf("CheckPath(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"", "a", "/a/", "//a", "/a/../b", "/./a", "/a\x00", "/a\nb"} {
		if err := CheckPath(p); !errors.Is(err, ErrBadPath) {
			t.Errorf("CheckPath(%q) = %v, want ErrBadPath", p, err)
		}
	}
}

func TestLevel(t *testing.T) {
	top := []Rule{{"/", Read}, {"/shared", Write}, {"/alice/private", Read}, {"/secret", None}}
	own := []Rule{{"/private", None}, {"/inbox", Write}, {"/shared/ro", Read}}
	tb := Compile(top, "/alice", own)
	cases := []struct {
		p    string
		want Level
	}{
		{"/", Read},              // top-level /
		{"/shared/x", Write},     // top-level, longer than /
		{"/secret", None},        // top-level none
		{"/secretary", Read},     // segment-wise: not under /secret
		{"/SECRET/x", None},      // case does not matter
		{"/alice/private", None}, // own rule beats top-level at the same path
		{"/alice/private/deep/file", None},
		{"/alice/Private/x", None},
		{"/alice/privateer", Read},
		{"/alice/inbox/f", Write},
		{"/alice/x", Read},                      // no own rule: top /
		{"/private", Read},                      // own rules live under the root
		{"/alice/./private/../private/x", None}, // dots
		{"/alice//private", None},
	}
	for _, c := range cases {
		if got := tb.Level(c.p, Write); got != c.want {
			t.Errorf("Level(%q) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := (*Table)(nil).Level("/x", Read); got != Read {
		t.Errorf("nil table: %v", got)
	}
	if !tb.Grants() || Compile([]Rule{{"/", Read}}, "/", nil).Grants() {
		t.Error("Grants is wrong")
	}
	if !tb.Hides() || Compile([]Rule{{"/", Read}}, "/", nil).Hides() || (*Table)(nil).Hides() {
		t.Error("Hides is wrong")
	}
}

func TestLevelUnicode(t *testing.T) {
	nfcName, nfdName := norm.NFC.String("/privé"), norm.NFD.String("/privé")
	for _, rulePath := range []string{nfcName, nfdName} {
		tb := Compile([]Rule{{rulePath, None}}, "/", nil)
		for _, p := range []string{nfcName + "/x", nfdName + "/x", strings.ToUpper(nfdName)} {
			if got := tb.Level(p, Write); got != None {
				t.Errorf("rule %q: Level(%q) = %v, want none", rulePath, p, got)
			}
		}
	}
}

func TestRestricted(t *testing.T) {
	tb := Compile([]Rule{{"/a/b/secret", None}, {"/a/docs", Read}, {"/c", Read}, {"/c/inbox", Write}}, "/", nil)
	cases := []struct {
		p    string
		need Level
		want bool
	}{
		{"/", Write, true},
		{"/a", Write, true},
		{"/a", Read, true},        // none below
		{"/a/docs", Write, false}, // the rule at p itself is not below it
		{"/a/b", Read, true},
		{"/a/bb", Read, false},
		{"/A/B", Read, true},
		{"/c", Write, false}, // write below read is no restriction
		{"/x", Write, false},
	}
	for _, c := range cases {
		if got := tb.Restricted(c.p, c.need); got != c.want {
			t.Errorf("Restricted(%q, %v) = %v, want %v", c.p, c.need, got, c.want)
		}
	}
}

func TestSame(t *testing.T) {
	if !Same("/A/b", "/a/B") || Same("/a", "/a/b") || Same("/a/b", "/a") || !Same("/", "/") {
		t.Error("Same is wrong")
	}
}

func TestLevelAllocs(t *testing.T) {
	tb := Compile([]Rule{{"/a/b/secret", None}, {"/a/docs", Read}, {"/c", Read}}, "/", nil)
	n := testing.AllocsPerRun(100, func() {
		tb.Level("/a/b/secret/deep/file.txt", Write)
		tb.Level("/été/x", Write)
		tb.Restricted("/a", Write)
	})
	if n != 0 {
		t.Errorf("%v allocations per check, want 0", n)
	}
}

// FuzzLevel checks that no spelling of a path under a none rule (case,
// NFD, dots, doubled slashes) is allowed, and that a path outside it is
// not caught by a prefix that is not a whole segment.
func FuzzLevel(f *testing.F) {
	for _, s := range []string{"x", "../x", "a/../../b", "./", "//x", "é/x", "..", "X/..", "%2e%2e/x"} {
		f.Add(s)
	}
	rule := "/privé"
	tb := Compile([]Rule{{rule, None}, {"/privé/pub", None}}, "/", nil)
	f.Fuzz(func(t *testing.T, s string) {
		for _, base := range []string{rule, norm.NFD.String(rule), strings.ToUpper(rule), "/PRIVÉ"} {
			p := path.Clean(base + "/" + s)
			inside := p == path.Clean(base) || strings.HasPrefix(p, path.Clean(base)+"/")
			if inside && tb.Level(p, Write) != None {
				t.Fatalf("%q (under %q) is allowed", p, base)
			}
			if inside && tb.Level(base+"/"+s, Write) != None {
				t.Fatalf("%q uncleaned (under %q) is allowed", base+"/"+s, base)
			}
		}
		p := path.Clean("/" + s)
		seg, _ := first(p)
		if !strings.EqualFold(norm.NFC.String(seg), norm.NFC.String("privé")) && tb.Level(p, Write) != Write {
			t.Fatalf("%q is not under the rule but is restricted", p)
		}
	})
}
