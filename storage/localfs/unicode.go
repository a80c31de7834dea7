package localfs

import (
	"os"
	"path/filepath"

	"golang.org/x/text/unicode/norm"
)

// Canonical returns the form of the slash path p that exists on disk.
// macOS clients send names in NFD, most others in NFC, and the file
// system stores whatever bytes created the file: when p does not exist
// as sent but does in the other normalisation form, that form is the
// resource (policy: a name is reachable in NFC and NFD; it is stored as
// first created). ASCII paths are returned at once.
func (f *FS) Canonical(p string) string {
	if isASCII(p) {
		return p
	}
	if _, err := os.Lstat(filepath.Join(f.root, filepath.FromSlash(p))); err == nil {
		return p
	}
	for _, form := range []norm.Form{norm.NFC, norm.NFD} {
		alt := form.String(p)
		if alt == p {
			continue
		}
		if _, err := os.Lstat(filepath.Join(f.root, filepath.FromSlash(alt))); err == nil {
			return alt
		}
	}
	return p
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
