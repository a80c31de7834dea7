package dav

import (
	"path"
	"strings"
)

// listed reports whether a folder member appears in PROPFIND and HTML
// listings: never the state folder or temp files, nor a path the view's
// rules keep its principal from reading (permissions.go), and not the
// files operating systems scatter on shares when Config.HideOSJunk is
// set, nor names matching Config.Hide. Junk and hidden files stay
// ordinary resources: a client that names one reaches it. A member that
// is a symlink is judged by its Real name too (see visible).
func (h *Handler) listed(p string) bool {
	if h.fs.IsHidden(p) || !h.mayRead(p) || h.hiddenName(p) {
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
