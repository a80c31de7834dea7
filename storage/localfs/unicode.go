package localfs

import (
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Canonical returns the spelling of the slash path p that exists on disk.
// macOS clients send names in NFD, most others in NFC, and the file
// system keeps whatever bytes created each name: segment by segment, a
// name that does not exist as sent is looked up in the other
// normalisation form, so a folder made by Windows (NFC) holds files Finder
// names in NFD. Policy: every name is reachable in NFC and NFD and stored
// as first created; a new final name keeps the client's spelling. ASCII
// paths are returned at once.
func (f *FS) Canonical(p string) string {
	if isASCII(p) {
		return p
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	dir := f.root
	for i, seg := range segs {
		found := existing(dir, seg)
		if found == "" {
			break // the rest does not exist: keep the client's spelling
		}
		segs[i] = found
		dir = filepath.Join(dir, found)
	}
	return "/" + strings.Join(segs, "/")
}

// existing is the spelling of name present in dir (as given, NFC or NFD),
// or "" when none is.
func existing(dir, name string) string {
	for _, alt := range []string{name, norm.NFC.String(name), norm.NFD.String(name)} {
		if _, err := os.Lstat(filepath.Join(dir, alt)); err == nil {
			return alt
		}
	}
	return ""
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
