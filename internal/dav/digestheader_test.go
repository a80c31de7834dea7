package dav

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

var sha256Empty = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

// TestParseDigestField checks RFC 9530 dictionaries: known algorithms
// read, unknown ones ignored, malformed fields and wrong lengths refused.
func TestParseDigestField(t *testing.T) {
	t.Parallel()
	d, err := parseDigestField("sha-256=:" + sha256Empty + ":;p=1, unixsum=:AAA=:, foo=?1, bar, baz=(1 2);x, qux=\"s\\\"\", n=-1.5")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := base64.StdEncoding.DecodeString(sha256Empty)
	if !bytes.Equal(d[algoSHA256], want) || d[algoMD5] != nil {
		t.Errorf("digests %x", d)
	}
	for _, bad := range []string{
		"sha-256", "sha-256=1", "sha-256=:AAAA:", "sha-256=:" + sha256Empty, "Sha-256=:" + sha256Empty + ":",
		"sha-256=:" + sha256Empty + ":,", ",", "a=1,,b=2", "a=\"unterminated", "a=(1", "a=1 b=2",
		"a=:@@@@:", "a=" + strings.Repeat("9", 16), "a=1.2345", "a=?2",
		strings.Repeat("a=1, ", maxDictMembers) + "b=1",
	} {
		if _, err := parseDigestField(bad); err == nil {
			t.Errorf("parseDigestField(%q) accepted", bad)
		}
	}
	if d, err := parseDigestField(""); err != nil || d.count() != 0 {
		t.Errorf("empty field: %v %v", d, err)
	}
}

// TestWantDigest checks Want-Repr-Digest preferences (RFC 9530 §4).
func TestWantDigest(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]string{
		"sha-256=1":                       "sha-256",
		"sha-512=3, sha-256=10":           "sha-256",
		"sha-512=10, sha-256=3":           "sha-512",
		"sha-512=5, sha-256=5":            "sha-256",
		"sha=10, md5=10":                  "",
		"sha-256=0":                       "",
		"sha-256=11":                      "",
		"sha-256=-1, sha-512=1":           "sha-512",
		"sha-256=?1":                      "",
		"sha-256=1,":                      "",
		"unixsum=3, sha-512=1;q=2":        "sha-512",
		"":                                "",
		"sha-256=:AAAA:":                  "",
		"sha-512=1, sha-256=1, sha-512=2": "sha-512",
	} {
		a, ok := wantDigest(v)
		got := ""
		if ok {
			got = algos[a].rfc
		}
		if got != want {
			t.Errorf("wantDigest(%q) = %q, want %q", v, got, want)
		}
	}
}

// FuzzDigestField checks the Content-Digest / Repr-Digest parser: no
// panic, and every digest it accepts has its algorithm's length.
func FuzzDigestField(f *testing.F) {
	for _, s := range []string{"sha-256=:" + sha256Empty + ":", "sha=:AAAA:, md5=(1 2);a", "a=\"x\\\\\", b=?0;c=1.5", "*x=tok/en:1", "", ",", "a=" + strings.Repeat("(", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, err := parseDigestField(v)
		if err != nil {
			return
		}
		for a, s := range d {
			if s != nil && len(s) != algos[a].new().Size() {
				t.Fatalf("%q: %s digest of %d bytes", v, algos[a].rfc, len(s))
			}
		}
	})
}

// FuzzWantDigest checks the Want-Repr-Digest parser: no panic, and only
// sha-256 or sha-512 is chosen.
func FuzzWantDigest(f *testing.F) {
	for _, s := range []string{"sha-256=10, sha-512=3", "sha-512=1;q=\"x\"", "sha=1", "sha-256=99999999999999999", "a=(1 2 3), sha-256=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if a, ok := wantDigest(v); ok && a != algoSHA256 && a != algoSHA512 {
			t.Fatalf("%q chose %s", v, algos[a].rfc)
		}
	})
}

func (d digests) count() int {
	n := 0
	for _, s := range d {
		if s != nil {
			n++
		}
	}
	return n
}
