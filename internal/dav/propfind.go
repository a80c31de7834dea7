package dav

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/atomdav/atomdav/storage"
)

// handlePropfind serves PROPFIND (RFC 4918 §9.1) itself rather than through
// x/net/webdav, which accepts bodies with invalid namespace declarations,
// defaults to Depth: infinity, reads dead properties one file at a time and
// sniffs file content for getcontenttype. Here a folder's properties come
// from one range read of the store, nothing opens a file, and the 207 is
// streamed. fi is p's Stat when ServeHTTP had it from resolving p, else
// nil.
func (h *Handler) handlePropfind(w http.ResponseWriter, r *http.Request, p string, fi fs.FileInfo) (int, error) {
	depth, err := parseDepth(r.Header.Get("Depth"))
	if err != nil {
		return http.StatusBadRequest, err
	}
	if depth == "infinity" && !h.cfg.AllowInfiniteDepth {
		return http.StatusForbidden, &Error{Status: http.StatusForbidden, Condition: "propfind-finite-depth",
			Err: errors.New("Depth: infinity is not allowed")}
	}
	if r.ContentLength > h.cfg.MaxXMLBytes {
		return http.StatusRequestEntityTooLarge, errors.New("PROPFIND body too large")
	}
	body, err := propfindBodies.parse(http.MaxBytesReader(w, r.Body, h.cfg.MaxXMLBytes))
	if err != nil {
		if st := statusOf(err); st == http.StatusRequestEntityTooLarge {
			return st, err
		}
		return http.StatusBadRequest, err
	}
	if n := len(body.names); n > h.cfg.MaxPropfindProps {
		return http.StatusForbidden, tooManyProps(n, h.cfg.MaxPropfindProps)
	}
	if fi == nil {
		if fi, err = h.fs.Stat(r.Context(), p); err != nil {
			return statusOf(err), err
		}
	}
	if body.kind != propName && slices.Contains(body.names, nameOCID) {
		if h, err = h.withInstance(r.Context()); err != nil {
			return statusOf(err), err
		}
	}
	mw := newMultistatus(w)
	mw.decls, mw.ns = body.decls, body.prefixes
	if err := h.propfindTree(r, mw, body, p, fi, depth); err != nil {
		if !mw.started { // nothing sent yet: answer with the error's status (503 for a store that is down)
			mw.release()
			return statusOf(err), err
		}
		// The status line is out; all we can do is cut the body short.
		return 0, mw.abort(err)
	}
	return 0, mw.close()
}

// tooManyProps refuses a PROPFIND that names more than max properties.
// Every name is answered for every member listed, so the answer grows as
// their product: the limit keeps it proportional to the members. It is 403,
// like Depth: infinity, because the body is well-formed and the server
// declines to answer that much; a client may ask for fewer (real clients
// ask for under 50) or use allprop.
func tooManyProps(n, max int) error {
	msg := fmt.Sprintf("PROPFIND names %d properties, more than the %d this server answers (max-propfind-props)", n, max)
	return &Error{Status: http.StatusForbidden, Err: errors.New(msg), Public: msg}
}

// propfindTree writes p's response and, by depth, its members', reading the
// store once per folder.
func (h *Handler) propfindTree(r *http.Request, mw *multistatus, body *propfindBody, p string, fi fs.FileInfo, depth string) error {
	var locks discovery
	if body.wants(nameLockDiscovery) {
		var err error
		if locks.locks, err = h.locks.Locks(r.Context(), p); err != nil {
			return err
		}
	}
	if err := h.journalProps(r.Context(), body, p, fi, depth, &locks); err != nil {
		return err
	}
	if !fi.IsDir() || depth == "0" {
		props, err := h.props.Props(r.Context(), p)
		if err != nil {
			return err
		}
		return mw.response(body, h.member(p, fi, props, &locks))
	}
	folder, err := h.folderProps(r.Context(), p, body)
	if err != nil {
		return err
	}
	// The members are read before the folder's response is written: a
	// folder moved or removed since its stat is then a 404, or, below the
	// top of a Depth: infinity walk, left out, never a body cut short.
	entries, err := h.fs.ReadDir(p)
	if err != nil {
		switch {
		case !vanished(err):
			return err
		case mw.started:
			return nil
		}
		return &Error{Status: http.StatusNotFound, Err: fmt.Errorf("%s vanished while being listed: %w", p, err)}
	}
	if err := mw.response(body, h.member(p, fi, folder[p], &locks)); err != nil {
		return err
	}
	for _, e := range entries {
		child := path.Join(p, e.Name())
		if !h.listed(child) {
			continue
		}
		if err := h.propfindMember(r, mw, body, p, child, e, folder[child], &locks, depth); err != nil {
			return err
		}
		if err := r.Context().Err(); err != nil {
			return err
		}
	}
	return nil
}

// folderPropsExcept is the store's FolderProps leaving out a namespace,
// where the store has it (storage/bolt).
type folderPropsExcept interface {
	FolderPropsExcept(ctx context.Context, dir, space string) (map[string]map[xml.Name][]byte, error)
}

// folderProps reads the dead properties of the folder p and its members
// for body: without the server's reserved records (contentNS) unless
// body asks for a property read from them, so a listing that reports
// none (allprop, most clients' lists) does not copy one per file.
func (h *Handler) folderProps(ctx context.Context, p string, body *propfindBody) (map[string]map[xml.Name][]byte, error) {
	if s, ok := h.props.(folderPropsExcept); ok && !body.readsContent() {
		return s.FolderPropsExcept(ctx, p, contentNS)
	}
	return h.props.FolderProps(ctx, p)
}

// readsContent reports whether the answer to b includes a property read
// from a file's content record: oc:checksums, oc:fileid, oc:id. propname
// lists no reserved name, and allprop none of these unless included.
func (b *propfindBody) readsContent() bool {
	if b.kind == propName {
		return false
	}
	return slices.Contains(b.names, nameOCChecksums) || slices.Contains(b.names, nameOCFileID) ||
		slices.Contains(b.names, nameOCID)
}

// propfindMember writes the answer for child, a member of the folder p
// that propfindTree lists (dead its properties, locks the folder's), and,
// for Depth: infinity, walks it. A symlinked folder is walked by its Real
// name, unless it leads to a folder the walk is in: then it is listed, not
// walked again.
func (h *Handler) propfindMember(r *http.Request, mw *multistatus, body *propfindBody, p, child string, e fs.DirEntry,
	dead map[xml.Name][]byte, locks *discovery, depth string) error {
	fi, real, err := h.memberInfo(r.Context(), child, e)
	if err != nil {
		return nil // vanished, or a symlink leading out: not listed
	}
	if depth == "infinity" && fi.IsDir() && !(real != child && h.walking(real, p)) {
		sub := h
		if real != child { // walked by its Real name, answered by child's
			sub = h.nested(child, real)
		}
		return sub.propfindTree(r, mw, body, real, fi, depth)
	}
	m := h.member(child, fi, dead, locks)
	if real != child {
		if m, err = h.linkMember(r, body, child, real, fi); err != nil {
			return err
		}
	}
	return mw.response(body, m)
}

// vanished reports whether err says a resource is no longer there: gone,
// or its folder replaced by a file.
func vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// memberInfo stats a folder member and gives its Real name. Symlinks are
// followed only inside the view's root and where the rules let the
// principal read: one leading out, or to a path hidden from them, is an
// error, and the member is left out as if it were not there.
func (h *Handler) memberInfo(ctx context.Context, child string, e fs.DirEntry) (fs.FileInfo, string, error) {
	if e.Type()&fs.ModeSymlink == 0 {
		fi, err := e.Info()
		return fi, child, err
	}
	real, err := h.realPath(child, true)
	if err != nil {
		return nil, "", err
	}
	if !h.visible(child, real) {
		return nil, "", absent("PROPFIND", child)
	}
	fi, err := h.fs.Stat(ctx, real)
	return fi, real, err
}

// linkMember is the answer for child, a symlink to the resource real:
// real's properties and locks under child's name.
func (h *Handler) linkMember(r *http.Request, body *propfindBody, child, real string, fi fs.FileInfo) (member, error) {
	props, err := h.props.Props(r.Context(), real)
	if err != nil {
		return member{}, err
	}
	var locks discovery
	if body.wants(nameLockDiscovery) {
		if locks.locks, err = h.locks.Locks(r.Context(), real); err != nil {
			return member{}, err
		}
	}
	m := h.member(real, fi, props, &locks)
	m.href = h.href(child, fi.IsDir())
	return m, nil
}

// wants reports whether the answer includes property n, so work for
// properties nobody asked for (the lock table, for lockdiscovery) is
// skipped.
func (b *propfindBody) wants(n xml.Name) bool {
	return b.kind == allProp || slices.Contains(b.names, n)
}

// member is one resource of a PROPFIND answer with what its properties
// are read from.
type member struct {
	href      string
	fi        fs.FileInfo
	dead      map[xml.Name][]byte
	discovery string     // DAV:lockdiscovery's inner XML
	fs        FileSystem // the share, for quota
	instance  string     // the share's instance id, for oc:id ("" unless asked)
	perms     string     // oc:permissions (ocpermissions.go)
	syncToken string     // DAV:sync-token of a folder ("" unless asked)
}

// discovery is the live locks related to a folder, each rendered as a
// DAV:activelock once, when a member it covers is first answered: a lock
// on the folder covers every member, and rendering it for each (its owner
// XML re-declared, its token and root escaped) made a Depth 1 PROPFIND
// cost members × locks renders.
type discovery struct {
	locks []storage.Lock
	xml   []string // xml[i] renders locks[i]; "" until needed
	// tags are the ctags of the folder and its member folders (journal.go),
	// read in one go when the answer includes an ETag; nil otherwise.
	tags map[string]uint64
	// syncToken is DAV:sync-token's value, when asked for.
	syncToken string
}

// member gathers p's answer; d holds the live locks related to p's
// folder, of which those covering p are reported.
func (h *Handler) member(p string, fi fs.FileInfo, dead map[xml.Name][]byte, d *discovery) member {
	var b strings.Builder
	for i, l := range d.locks {
		if !l.Covers(p) {
			continue
		}
		if d.xml == nil {
			d.xml = make([]string, len(d.locks))
		}
		if d.xml[i] == "" {
			var lb strings.Builder
			h.writeActiveLock(&lb, l)
			d.xml[i] = lb.String()
		}
		b.WriteString(d.xml[i])
	}
	if t := d.tags[p]; t != 0 && fi.IsDir() {
		fi = taggedDir{fi, t}
	}
	return member{href: h.href(p, fi.IsDir()), fi: fi, dead: dead, discovery: b.String(), fs: h.fs, instance: h.instance,
		perms: h.ocPermissions(p, fi.IsDir()), syncToken: d.syncToken}
}

// live renders a live property of m (a row of liveProps), or reports
// false when m has none.
func (m member) live(n xml.Name) (string, bool) {
	if p, ok := liveIndex[n]; ok {
		return p.read(m)
	}
	return "", false
}

// writeLive writes the live property p of mem, if it has one, through
// p.appendTo into m's scratch buffer where the row has one (no string
// per property per member), else through p.read.
func (m *multistatus) writeLive(p *liveProp, mem member) {
	if p.appendTo == nil {
		if v, ok := p.read(mem); ok {
			writeValue(m.bw, p.name, v, m.ns)
		}
		return
	}
	b, ok := p.appendTo(m.scratch[:0], mem.fi)
	m.scratch = b
	if ok {
		writeStart(m.bw, p.name, m.ns, ">")
		m.bw.Write(b)
		writeEnd(m.bw, p.name, m.ns)
	}
}

// multistatus streams a 207 body.
type multistatus struct {
	w       http.ResponseWriter
	bw      *bufio.Writer
	scratch []byte // for writeLive
	started bool
	// decls declares on the root the prefixes of ns, the namespaces of
	// the names a PROPFIND asked for (see propfindBody.declare).
	decls string
	ns    map[string]string
}

// xmlContentType is the Content-Type of a 207, shared by every answer
// (net/http only reads header values).
var xmlContentType = []string{"application/xml; charset=utf-8"}

// multistatusBuffers pools the multistatus write buffers: a fresh 32 KiB
// buffer per request was a tenth of the CPU of a small PROPFIND (allocating
// and zeroing it, then collecting it).
var multistatusBuffers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}

func newMultistatus(w http.ResponseWriter) *multistatus {
	bw := multistatusBuffers.Get().(*bufio.Writer)
	bw.Reset(w)
	return &multistatus{w: w, bw: bw}
}

// release returns the buffer to the pool; m must not be used after.
func (m *multistatus) release() {
	m.bw.Reset(nil)
	multistatusBuffers.Put(m.bw)
	m.bw = nil
}

func (m *multistatus) begin() {
	if m.started {
		return
	}
	m.started = true
	m.w.Header()["Content-Type"] = xmlContentType // by canonical key: no canonicalisation
	m.w.WriteHeader(http.StatusMultiStatus)
	m.bw.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\"")
	m.bw.WriteString(m.decls)
	m.bw.WriteString(">")
}

// response writes one D:response for a resource.
func (m *multistatus) response(body *propfindBody, mem member) error {
	m.begin()
	m.bw.WriteString("<D:response><D:href>")
	m.bw.WriteString(escape(mem.href))
	m.bw.WriteString("</D:href>")
	switch body.kind {
	case propName:
		m.propnames(mem)
	case allProp:
		m.allprop(body, mem)
	default:
		m.named(body.names, mem)
	}
	m.bw.WriteString("</D:response>")
	return nil
}

func (m *multistatus) propnames(mem member) {
	dead := mem.dead
	m.bw.WriteString("<D:propstat><D:prop>")
	for _, p := range liveProps {
		if !p.allprop {
			break // the allprop rows come first; the rest (quota: a statfs) only by name
		}
		if _, ok := p.read(mem); ok {
			writeEmpty(m.bw, p.name, m.ns)
		}
	}
	for _, n := range deadNames(dead) {
		writeEmpty(m.bw, n, m.ns)
	}
	m.bw.WriteString("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>")
}

func (m *multistatus) allprop(body *propfindBody, mem member) {
	dead := mem.dead
	m.bw.WriteString("<D:propstat><D:prop>")
	for i := range liveProps {
		if !liveProps[i].allprop {
			break // the allprop rows come first
		}
		m.writeLive(&liveProps[i], mem)
	}
	for _, n := range deadNames(dead) {
		m.bw.Write(dead[n])
	}
	var missing []xml.Name
	for _, n := range body.names { // DAV:include
		if _, ok := dead[n]; ok && !isLive(n) && !reserved(n) || isAllpropLive(n) {
			continue // written above
		}
		if v, ok := mem.live(n); ok {
			writeValue(m.bw, n, v, m.ns)
		} else {
			missing = append(missing, n)
		}
	}
	m.bw.WriteString("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>")
	m.notFound(missing)
}

func (m *multistatus) named(names []xml.Name, mem member) {
	dead := mem.dead
	var missing []xml.Name
	found := false
	for _, n := range names {
		live, hasLive := mem.live(n)
		v, isDead := dead[n]
		isDead = isDead && !isLive(n) && !reserved(n) // a live name is never answered from a dead copy
		if !isDead && !hasLive {
			missing = append(missing, n)
			continue
		}
		if !found {
			m.bw.WriteString("<D:propstat><D:prop>")
			found = true
		}
		if isDead {
			m.bw.Write(v)
		} else {
			writeValue(m.bw, n, live, m.ns)
		}
	}
	if found {
		m.bw.WriteString("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>")
	}
	m.notFound(missing)
}

func (m *multistatus) notFound(names []xml.Name) {
	if len(names) == 0 {
		return
	}
	m.bw.WriteString("<D:propstat><D:prop>")
	for _, n := range names {
		writeEmpty(m.bw, n, m.ns)
	}
	m.bw.WriteString("</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>")
}

// close ends the body. An empty multistatus still gets its root element.
func (m *multistatus) close() error {
	m.begin()
	m.bw.WriteString("</D:multistatus>\n")
	err := m.bw.Flush()
	m.release()
	return err
}

// abort flushes what was written and leaves the body unterminated, so a
// client sees malformed XML rather than a complete-looking partial answer.
func (m *multistatus) abort(err error) error {
	m.bw.Flush()
	m.release()
	return err
}

// deadNames orders dead properties by namespace then local name, so
// responses are stable, leaving out a dead copy of a live property (see
// liveProp), which the live value answers for.
func deadNames(dead map[xml.Name][]byte) []xml.Name {
	if len(dead) == 0 {
		return nil
	}
	var names []xml.Name // nil, no allocation, for a file with only its content record
	for n := range dead {
		if !isLive(n) && !reserved(n) {
			names = append(names, n)
		}
	}
	slices.SortFunc(names, func(a, b xml.Name) int {
		if c := strings.Compare(a.Space, b.Space); c != 0 {
			return c
		}
		return strings.Compare(a.Local, b.Local)
	})
	return names
}

// isAllpropLive reports whether allprop returns the live property n.
func isAllpropLive(n xml.Name) bool {
	p, ok := liveIndex[n]
	return ok && p.allprop
}

// writeEmpty writes <name/> with its namespace declared.
func writeEmpty(w io.StringWriter, n xml.Name, ns map[string]string) {
	writeStart(w, n, ns, "/>")
}

// writeValue writes a live property; inner is already escaped XML.
func writeValue(w io.StringWriter, n xml.Name, inner string, ns map[string]string) {
	writeStart(w, n, ns, ">")
	w.WriteString(inner)
	writeEnd(w, n, ns)
}

// writeStart writes the start tag of a property name, ended by closing
// (">", or "/>" for an empty element): with the prefix ns gives its
// namespace (declared on the root), else declaring it. It writes the
// pieces one by one rather than concatenated, which was two allocations
// for every property of every member listed.
func writeStart(w io.StringWriter, n xml.Name, ns map[string]string, closing string) {
	local := escape(n.Local)
	switch n.Space {
	case "DAV:":
		w.WriteString("<D:")
		w.WriteString(local)
	case "":
		w.WriteString("<")
		w.WriteString(local)
		w.WriteString(" xmlns=\"\"")
	case nsXML:
		w.WriteString("<xml:")
		w.WriteString(local)
	default:
		if p, ok := ns[n.Space]; ok {
			w.WriteString("<")
			w.WriteString(p)
			w.WriteString(":")
			w.WriteString(local)
		} else {
			w.WriteString("<ns0:")
			w.WriteString(local)
			w.WriteString(" xmlns:ns0=\"")
			w.WriteString(attrEscaper.Replace(n.Space))
			w.WriteString("\"")
		}
	}
	w.WriteString(closing)
}

// writeEnd writes the end tag matching writeStart's.
func writeEnd(w io.StringWriter, n xml.Name, ns map[string]string) {
	local := escape(n.Local)
	switch n.Space {
	case "DAV:":
		w.WriteString("</D:")
	case "":
		w.WriteString("</")
	case nsXML:
		w.WriteString("</xml:")
	default:
		if p, ok := ns[n.Space]; ok {
			w.WriteString("</")
			w.WriteString(p)
			w.WriteString(":")
		} else {
			w.WriteString("</ns0:")
		}
	}
	w.WriteString(local)
	w.WriteString(">")
}
