package dav

import (
	"encoding/xml"
	"strconv"
)

// quotaValue reports RFC 4331's quota properties of a collection from the
// file system holding the share: what is free to its user and what is in
// use, so Windows Explorer can show the share's size. It is computed only
// when asked for by name (RFC 4331 §3: not part of allprop).
func quotaValue(n xml.Name, fsys FileSystem) (string, bool) {
	avail, used, err := fsys.Usage()
	if err != nil {
		return "", false
	}
	if n == nameQuotaAvail {
		return strconv.FormatUint(avail, 10), true
	}
	return strconv.FormatUint(used, 10), true
}
