package dav

import (
	"encoding/xml"

	"github.com/atomdav/atomdav/internal/access"
)

// nameOCPermissions is ownCloud's and Nextcloud's oc:permissions: what the
// logged-in user may do with a resource. The Nextcloud desktop client
// skips every entry of a listing without it ("Server reported no
// permission"), so a sync never starts.
var nameOCPermissions = xml.Name{Space: ocNS, Local: "permissions"}

// ocPermissions spells what this view's user may do with p (a path of the
// share, the view's root included) in Nextcloud's
// letters: D delete, N rename, V move, W write (a file), C and K create
// files and folders (in a folder). A read-only view may do none of them:
// the empty string, which clients read as "read only" (a missing property
// reads as unknown); so may none where the view's rules allow reading
// only. The view's root is never deleted, renamed or moved, nor a folder
// with a path below it the rules keep from being changed. The sharing
// letters (S, R, M) never apply.
func (h *Handler) ocPermissions(p string, isDir bool) string {
	if !h.mayWrite(p) {
		return ""
	}
	fixed := p == h.root || p == "/" || isDir && h.rules.Restricted(p, access.Write)
	switch { // constants: no string built per member listed
	case fixed && isDir:
		return "CK"
	case fixed:
		return "W"
	case isDir:
		return "DNVCK"
	}
	return "DNVW"
}
