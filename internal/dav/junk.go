package dav

import (
	"path"
	"strings"
)

// listed reports whether a folder member appears in PROPFIND and HTML
// listings: never the state folder or temp files, and not the files
// operating systems scatter on shares when Config.HideOSJunk is set. Junk
// files stay ordinary resources: a client that names one reaches it.
func (h *Handler) listed(p string) bool {
	if h.fs.IsHidden(p) {
		return false
	}
	return !h.cfg.HideOSJunk || !isOSJunk(path.Base(p))
}

// isOSJunk matches macOS's .DS_Store and AppleDouble "._" files and
// Windows' Thumbs.db and desktop.ini.
func isOSJunk(name string) bool {
	switch strings.ToLower(name) {
	case ".ds_store", "thumbs.db", "desktop.ini":
		return true
	}
	return strings.HasPrefix(name, "._")
}
