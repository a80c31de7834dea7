package dav

import (
	"encoding/xml"
	"strconv"

	"golang.org/x/sys/unix"
)

// quotaValue reports RFC 4331's quota properties of a collection from the
// file system holding the share: what is free to its user and what is in
// use, so Windows Explorer can show the share's size. It is computed only
// when asked for by name (RFC 4331 §3: not part of allprop).
func quotaValue(n xml.Name, root string) (string, bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		return "", false
	}
	bsize := uint64(st.Bsize)
	if n == nameQuotaAvail {
		return strconv.FormatUint(st.Bavail*bsize, 10), true
	}
	return strconv.FormatUint((st.Blocks-st.Bfree)*bsize, 10), true
}
