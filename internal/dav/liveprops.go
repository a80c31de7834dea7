package dav

import (
	"encoding/xml"
	"io/fs"
	"strconv"

	"github.com/atomdav/atomdav/proppatch"
)

// liveProp is one row of the live-property table: a property the server
// computes from the resource rather than stores (RFC 4918 §15). The table
// is the one list of them: PROPFIND reads and lists them from it, allprop
// returns the rows marked so, and PROPPATCH refuses (403) every row that
// has no setter, in any namespace, so no dead copy can shadow one. A
// live name is always answered live, never from a dead copy an older
// version may have stored.
type liveProp struct {
	name xml.Name
	// read renders the property of m as the inner XML of its element,
	// or reports false when m has none (a collection's getcontentlength).
	read func(m member) (string, bool)
	// appendTo, where set, is read appending to b: the rows every
	// member of a listing has, written without a string each. They read
	// the FileInfo only, so the member itself is not passed (through a
	// func value it would move to the heap, once per member).
	appendTo func(b []byte, fi fs.FileInfo) ([]byte, bool)
	// allprop: returned by allprop and propname, in table order (RFC 4918
	// §9.1: the live properties defined there; others only by name).
	allprop bool
	// settable: PROPPATCH changes it through the setter liveSetters
	// gives for its name (proppatch.LiveProperty); otherwise it is
	// protected.
	settable bool
}

// liveProps is the table, allprop's rows first in the order allprop
// writes them.
var liveProps = []liveProp{
	{name: nameResourceType, read: readResourceType, allprop: true},
	{name: nameContentLength, read: readVia(appendContentLength), appendTo: appendContentLength, allprop: true},
	{name: nameLastModified, read: readVia(appendLastModified), appendTo: appendLastModified, allprop: true},
	{name: nameETag, read: readVia(appendETagProp), appendTo: appendETagProp, allprop: true},
	{name: nameContentType, read: readContentType, allprop: true},
	{name: nameCreationDate, read: readVia(appendCreationDate), appendTo: appendCreationDate, allprop: true},
	{name: nameSupportedLock, read: func(member) (string, bool) { return supportedLock, true }, allprop: true},
	{name: nameLockDiscovery, read: func(m member) (string, bool) { return m.discovery, true }, allprop: true},
	// Windows' Mini-Redirector sets it after every upload (Explorer).
	{name: nameWin32Modified, read: readVia(appendLastModified), appendTo: appendLastModified, settable: true},
	// Apache's executable, which davfs2's chmod +x sets, and the DAV:
	// spelling KIO (Dolphin) asks for.
	{name: nameExecutable, read: readExecutable, settable: true},
	{name: nameDAVExecutable, read: readExecutable},
	// RFC 4331, so Windows Explorer shows the share's size; only by name
	// (§3), and costly (a statfs).
	{name: nameQuotaAvail, read: func(m member) (string, bool) { return readQuota(m, nameQuotaAvail) }},
	{name: nameQuotaUsed, read: func(m member) (string, bool) { return readQuota(m, nameQuotaUsed) }},
	// ownCloud's and Nextcloud's, only by name as they answer them:
	// the checksums the server computed of a file's current content
	// (none when the file changed behind its back), and the resource's
	// stable id (content.go). A dead copy an older version stored from
	// OC-Checksum is no longer reported.
	{name: nameOCChecksums, read: readOCChecksums},
	{name: nameOCFileID, read: func(m member) (string, bool) { return strconv.FormatUint(reportedID(m.dead, m.fi), 10), true }},
	{name: nameOCID, read: func(m member) (string, bool) { return ocID(reportedID(m.dead, m.fi), m.instance), m.instance != "" }},
	// What the user may do with it, which Nextcloud's desktop client
	// requires of every entry (ocpermissions.go).
	{name: nameOCPermissions, read: func(m member) (string, bool) { return m.perms, true }},
	// RFC 6578 §4: a folder's sync-token, only by name (never in
	// allprop); and CalendarServer's getctag, which some sync clients ask
	// of every folder: its ETag's value, which moves with its contents.
	{name: nameSyncToken, read: func(m member) (string, bool) { return escape(m.syncToken), m.fi.IsDir() && m.syncToken != "" }},
	{name: nameGetCtag, read: readCtag},
	// RFC 3253 §3.1.5: the reports a folder answers (sync.go).
	{name: nameSupportedReports, read: func(m member) (string, bool) {
		return "<D:supported-report><D:report><D:sync-collection/></D:report></D:supported-report>", m.fi.IsDir()
	}},
}

var (
	nameSyncToken = xml.Name{Space: "DAV:", Local: "sync-token"}
	nameGetCtag   = xml.Name{Space: "http://calendarserver.org/ns/", Local: "getctag"}

	nameSupportedReports = xml.Name{Space: "DAV:", Local: "supported-report-set"}
)

// readCtag is a folder's getctag: its ETag without the quotes.
func readCtag(m member) (string, bool) {
	if !m.fi.IsDir() {
		return "", false
	}
	t := etag(m.fi)
	return t[1 : len(t)-1], true
}

func readOCChecksums(m member) (string, bool) {
	sums, ok := validSums(m.dead, m.fi)
	if !ok {
		return "", false
	}
	return ocChecksums(sums)
}

// liveIndex finds a row of liveProps by name.
var liveIndex = func() map[xml.Name]*liveProp {
	idx := make(map[xml.Name]*liveProp, len(liveProps))
	for i := range liveProps {
		idx[liveProps[i].name] = &liveProps[i]
	}
	return idx
}()

// isLive reports whether n is a live property (a row of liveProps).
func isLive(n xml.Name) bool {
	_, ok := liveIndex[n]
	return ok
}

// protectedProp is the engine's protected set (proppatch.Engine.Protected):
// every live property without a setter, whatever its namespace, every
// name in the server's reserved namespace (contentNS), and every other
// DAV: name proppatch protects.
func protectedProp(n xml.Name) bool { return protectedIn(liveIndex, n) }

// protectedIn is protectedProp for the table indexed by idx.
func protectedIn(idx map[xml.Name]*liveProp, n xml.Name) bool {
	if reserved(n) {
		return true
	}
	if p, ok := idx[n]; ok {
		return !p.settable
	}
	return proppatch.DefaultProtected(n)
}

func readResourceType(m member) (string, bool) {
	if m.fi.IsDir() {
		return "<D:collection/>", true
	}
	return "", true
}

// readVia is the read of a row from its appendTo.
func readVia(f func([]byte, fs.FileInfo) ([]byte, bool)) func(member) (string, bool) {
	return func(m member) (string, bool) {
		b, ok := f(nil, m.fi)
		return string(b), ok
	}
}

func appendContentLength(b []byte, fi fs.FileInfo) ([]byte, bool) {
	return strconv.AppendInt(b, fi.Size(), 10), !fi.IsDir()
}

func appendLastModified(b []byte, fi fs.FileInfo) ([]byte, bool) {
	return appendHTTPDate(b, fi.ModTime()), true
}

// appendETagProp is getetag's value: the ETag, which holds nothing to
// escape (quotes and hex digits).
func appendETagProp(b []byte, fi fs.FileInfo) ([]byte, bool) {
	return appendETag(b, fi), true
}

func readContentType(m member) (string, bool) {
	return escape(contentType(m.fi.Name())), !m.fi.IsDir()
}

func appendCreationDate(b []byte, fi fs.FileInfo) ([]byte, bool) {
	return appendRFC3339(b, fi.ModTime()), true
}

func readExecutable(m member) (string, bool) {
	if m.fi.Mode()&0o111 != 0 {
		return "T", !m.fi.IsDir()
	}
	return "F", !m.fi.IsDir()
}

// readQuota is a collection's quota property n (files have none).
func readQuota(m member, n xml.Name) (string, bool) {
	if !m.fi.IsDir() {
		return "", false
	}
	return quotaValue(n, m.fs)
}
