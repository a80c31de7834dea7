package uploads

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParseChunk: chunk names and upload ids come from URLs. Whatever a
// client sends, the checks never panic, and a name they accept is one
// path element of digits (and one dash) that reads back as its numbers;
// an id they accept holds no separator and does not start with a dot.
func FuzzParseChunk(f *testing.F) {
	for _, s := range []string{"1", "00001", "10000", "10001", "0", "000000000000000-000000010485759", "5-4", "-", "1-2-3",
		".file", "..", "rclone-chunked-upload-d41d8cd98f00b204e9800998ecf8427e", "a/b", "99999999999999999999", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := ParseChunk(s); err == nil {
			if strings.Trim(s, "0123456789-") != "" || strings.Count(s, "-") > 1 || c.Start < 0 || c.End < -1 || c.End >= 0 && c.End < c.Start {
				t.Fatalf("ParseChunk(%q) accepted %+v", s, c)
			}
			a, _, _ := strings.Cut(s, "-")
			if n, err := strconv.ParseInt(a, 10, 64); err != nil || n != c.Start {
				t.Fatalf("ParseChunk(%q).Start = %d", s, c.Start)
			}
		}
		if CheckID(s) == nil && (strings.ContainsAny(s, "/\\\x00") || strings.HasPrefix(s, ".") || len(s) > 200) {
			t.Fatalf("CheckID accepted %q", s)
		}
	})
}
