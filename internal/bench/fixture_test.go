package bench

import (
	"bytes"
	"io"
	"regexp"
	"testing"
	"time"
)

func TestRunFolder(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	got := RunFolder(start, 0xbeef)
	if want := "davbench-20260102T020405Z-0000beef"; got != want {
		t.Errorf("RunFolder = %q, want %q (UTC, tag in hex)", got, want)
	}
	if RunFolder(start, 1) == RunFolder(start, 2) {
		t.Error("two tags give the same folder")
	}
}

func TestNames(t *testing.T) {
	safe := regexp.MustCompile(`^[a-z0-9.-]+$`) // nothing to escape in a URL
	seen := map[string]bool{}
	for _, n := range []string{FileName(0), FileName(9999), FileName(123456), ClientFolder(0), ClientFolder(31),
		NewFileName(0, 0), NewFileName(15, 2_000_001), NewFileName(1, 0)} {
		if !safe.MatchString(n) {
			t.Errorf("name %q needs escaping", n)
		}
		if seen[n] {
			t.Errorf("name %q made twice", n)
		}
		seen[n] = true
	}
	if FileName(2) >= FileName(10) {
		t.Error("file names do not sort in creation order")
	}
}

func TestJoinPath(t *testing.T) {
	for _, tt := range []struct{ dir, want string }{{"/run", "/run/a/b"}, {"/run/", "/run/a/b"}, {"", "/a/b"}} {
		if got := joinPath(tt.dir, "a", "b"); got != tt.want {
			t.Errorf("joinPath(%q, a, b) = %q, want %q", tt.dir, got, tt.want)
		}
	}
}

func TestPayload(t *testing.T) {
	read := func(n, off int64) []byte {
		b, err := io.ReadAll(payload(n, off))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if got := read(3<<20+5, 0); len(got) != 3<<20+5 {
		t.Fatalf("payload(3 MiB+5) gave %d bytes", len(got))
	}
	if !bytes.Equal(read(4096, 7), read(4096, 7)) {
		t.Error("the same payload differs between reads")
	}
	if bytes.Equal(read(4096, 0), read(4096, 4096)) {
		t.Error("payloads at different offsets are equal")
	}
	if !bytes.Equal(read(10, 1<<20-5), append(read(5, 1<<20-5), read(5, 0)...)) {
		t.Error("payload does not wrap around the block")
	}
	if len(read(0, 0)) != 0 {
		t.Error("empty payload is not empty")
	}
}
