package dav

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/atomdav/atomdav/proppatch"
	"github.com/atomdav/atomdav/storage/localfs"
)

// msNS is the namespace of the Win32 properties Windows' Mini-Redirector
// sets with PROPPATCH.
const msNS = "urn:schemas-microsoft-com:"

var (
	nameResourceType  = xml.Name{Space: "DAV:", Local: "resourcetype"}
	nameContentLength = xml.Name{Space: "DAV:", Local: "getcontentlength"}
	nameLastModified  = xml.Name{Space: "DAV:", Local: "getlastmodified"}
	nameETag          = xml.Name{Space: "DAV:", Local: "getetag"}
	nameContentType   = xml.Name{Space: "DAV:", Local: "getcontenttype"}
	nameCreationDate  = xml.Name{Space: "DAV:", Local: "creationdate"}
	nameSupportedLock = xml.Name{Space: "DAV:", Local: "supportedlock"}
	nameLockDiscovery = xml.Name{Space: "DAV:", Local: "lockdiscovery"}
	nameWin32Modified = xml.Name{Space: msNS, Local: "Win32LastModifiedTime"}
	nameExecutable    = xml.Name{Space: "http://apache.org/dav/props/", Local: "executable"}
	nameDAVExecutable = xml.Name{Space: "DAV:", Local: "executable"} // what KIO asks for
	nameQuotaAvail    = xml.Name{Space: "DAV:", Local: "quota-available-bytes"}
	nameQuotaUsed     = xml.Name{Space: "DAV:", Local: "quota-used-bytes"}
)

const supportedLock = `<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>` +
	`<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>`

// etag is the strong entity tag of a file or collection. It is the formula
// x/net/webdav uses for GET, so PROPFIND's getetag and GET's ETag agree.
func etag(fi fs.FileInfo) string {
	var buf [40]byte
	return string(appendETag(buf[:0], fi))
}

// appendETag appends etag(fi). A folder with a ctag (taggedDir) has an
// ETag made of its inode and its ctag, as Nextcloud's come from its file
// cache: it changes whenever anything below the folder changes, and only
// then, not with the folder's modification time, which the temp files of
// uploads under way (and their removal after a crash) move too.
func appendETag(b []byte, fi fs.FileInfo) []byte {
	b = append(b, '"')
	if t, ok := fi.(taggedDir); ok {
		if st, ok := localfs.StampOf(t.FileInfo); ok {
			b = append(b, 'd')
			b = strconv.AppendUint(b, st.Ino, 16)
			b = append(b, '-')
			b = strconv.AppendUint(b, t.tag, 16)
			return append(b, '"')
		}
	}
	b = strconv.AppendInt(b, fi.ModTime().UnixNano(), 16)
	b = strconv.AppendInt(b, fi.Size(), 16)
	if t, ok := fi.(taggedDir); ok {
		b = append(b, '-')
		b = strconv.AppendUint(b, t.tag, 16)
	}
	return append(b, '"')
}

// contentType guesses by extension only: PROPFIND never opens a file.
func contentType(name string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// textEscaper escapes character data. Unlike xml.EscapeText it leaves
// quotes alone, so ETags read "…" rather than &#34;…&#34;.
var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")

// attrEscaper escapes attribute values written in double quotes.
var attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;", "\r", "&#xD;", "\n", "&#xA;", "\t", "&#x9;")

func escape(s string) string { return textEscaper.Replace(s) }

// liveSetters are the live properties a client may set with PROPPATCH.
// Each is a proppatch.RecordedLive: the engine commits the record of its
// change with the dead properties, storage/localfs makes it and fsyncs it,
// and recovery re-applies a record a crash left (DESIGN §4).
func liveSetters(fsys FileSystem) map[xml.Name]proppatch.LiveProperty {
	return map[xml.Name]proppatch.LiveProperty{
		nameWin32Modified: mtimeProperty{fsys},
		nameExecutable:    execProperty{fsys},
	}
}

var (
	_ proppatch.RecordedLive = mtimeProperty{}
	_ proppatch.RecordedLive = execProperty{}
)

// execProperty is Apache's executable property: "T" or "F" sets or clears
// the file's execute bits (davfs2's chmod +x sends it); it is never stored.
type execProperty struct{ fs FileSystem }

func (e execProperty) parse(value []byte) (bool, error) {
	var v struct {
		Text string `xml:",chardata"`
	}
	if err := xml.Unmarshal(value, &v); err != nil {
		return false, err
	}
	switch strings.TrimSpace(v.Text) {
	case "T":
		return true, nil
	case "F":
		return false, nil
	}
	return false, fmt.Errorf("executable must be T or F, not %q", strings.TrimSpace(v.Text))
}

// Check refuses anything but T and F.
func (e execProperty) Check(value []byte) error {
	_, err := e.parse(value)
	return err
}

// Prepare records setting the execute bits where the read bits are (like
// chmod +x under a 022 umask) or clearing them; a folder is 409.
func (e execProperty) Prepare(_ context.Context, p string, value []byte, _ bool) ([]byte, error) {
	on, err := e.parse(value)
	if err != nil {
		return nil, err
	}
	rec, err := e.fs.PrepareExec(p, on)
	if errors.Is(err, localfs.ErrNotFile) {
		return nil, &proppatch.Error{Status: http.StatusConflict, Err: errors.New("executable applies to files only")}
	}
	return rec, err
}

// ApplyRecord changes the mode and fsyncs the file.
func (e execProperty) ApplyRecord(_ context.Context, p string, record []byte) error {
	return e.fs.ApplyLive(p, record)
}

// Apply is Prepare then ApplyRecord, with an undo: for a store that
// records nothing.
func (e execProperty) Apply(ctx context.Context, p string, value []byte) (func() error, error) {
	return applyUndoable(ctx, e, e.fs, p, value)
}

// mtimeProperty is Windows' Win32LastModifiedTime: an RFC 1123 date that
// becomes the file's modification time.
type mtimeProperty struct{ fs FileSystem }

func (m mtimeProperty) parse(value []byte) (time.Time, error) {
	var v struct {
		Text string `xml:",chardata"`
	}
	if err := xml.Unmarshal(value, &v); err != nil {
		return time.Time{}, err
	}
	t, err := http.ParseTime(strings.TrimSpace(v.Text))
	if err != nil {
		return time.Time{}, fmt.Errorf("Win32LastModifiedTime %q is not an HTTP date", strings.TrimSpace(v.Text))
	}
	if !settableTime(t) {
		return time.Time{}, fmt.Errorf("Win32LastModifiedTime %q is not between 1678 and 2262", strings.TrimSpace(v.Text))
	}
	return t, nil
}

// Check refuses a value that is not an HTTP date, or one the file system
// cannot be given as it is.
func (m mtimeProperty) Check(value []byte) error {
	_, err := m.parse(value)
	return err
}

// Prepare records setting the modification time.
func (m mtimeProperty) Prepare(_ context.Context, p string, value []byte, _ bool) ([]byte, error) {
	t, err := m.parse(value)
	if err != nil {
		return nil, err
	}
	return m.fs.PrepareMtime(p, t)
}

// ApplyRecord sets the modification time and fsyncs the file.
func (m mtimeProperty) ApplyRecord(_ context.Context, p string, record []byte) error {
	return m.fs.ApplyLive(p, record)
}

// Apply is Prepare then ApplyRecord, with an undo: for a store that
// records nothing.
func (m mtimeProperty) Apply(ctx context.Context, p string, value []byte) (func() error, error) {
	return applyUndoable(ctx, m, m.fs, p, value)
}

// applyUndoable applies lp's change at once and returns how to revert it.
func applyUndoable(ctx context.Context, lp proppatch.RecordedLive, fsys FileSystem, p string, value []byte) (func() error, error) {
	rec, err := lp.Prepare(ctx, p, value, false)
	if err != nil {
		return nil, err
	}
	back, err := localfs.RevertLive(rec)
	if err != nil {
		return nil, err
	}
	if err := fsys.ApplyLive(p, rec); err != nil {
		return nil, err
	}
	return func() error { return fsys.ApplyLive(p, back) }, nil
}
