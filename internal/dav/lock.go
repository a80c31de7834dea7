package dav

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/atomdav/atomdav/internal/access"
	"github.com/atomdav/atomdav/storage"
)

// handleLock serves LOCK (RFC 4918 §9.10) with durable locks in the store,
// shared and exclusive, where x/net/webdav keeps exclusive locks in memory
// and reports no lockdiscovery. A body creates a lock; no body refreshes
// the lock named in the If header.
func (h *Handler) handleLock(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	if r.ContentLength > h.cfg.MaxXMLBytes {
		return http.StatusRequestEntityTooLarge, errors.New("LOCK body too large")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxXMLBytes))
	if err != nil {
		return statusOf(err), err
	}
	timeout := h.lockTimeout(r.Header.Get("Timeout"))
	unlock, err := h.paths.LockContext(r.Context(), p)
	if err != nil {
		return http.StatusServiceUnavailable, err
	}
	defer unlock()
	if len(bytes.TrimSpace(body)) == 0 {
		return h.refreshLock(w, r, p, timeout)
	}
	info, err := lockBodies.parse(body, h.cfg.MaxLockOwnerBytes)
	if err != nil {
		return statusOf(err), err
	}
	l := storage.Lock{Token: newToken(), Root: p, Shared: info.shared, Owner: info.owner, OwnerNS: info.ownerNS,
		Timeout: timeout, Principal: h.principal}
	switch d, err := parseDepth(r.Header.Get("Depth")); {
	case err != nil || d == "1":
		return http.StatusBadRequest, errors.New("LOCK takes Depth: 0 or infinity")
	case d == "0":
		l.Depth0 = true
	default: // a lock of the whole subtree: writes to all of it
		if st, err := h.checkTree(h.named(p), p, access.Write); st != 0 {
			return st, err
		}
	}
	if st, err := h.checkWrite(r, p, scope{}); st != 0 {
		return st, err
	}
	return h.createLock(w, r, l)
}

// createLock stores a new lock and, on an unmapped URL, creates the empty
// resource it locks (RFC 4918 §7.3), except in place of the view's root.
func (h *Handler) createLock(w http.ResponseWriter, r *http.Request, l storage.Lock) (int, error) {
	_, statErr := h.fs.Stat(r.Context(), l.Root)
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return statusOf(statErr), statErr
	}
	created := statErr != nil
	if created && h.isRoot(l.Root) { // a user's root not made yet, or removed
		return http.StatusForbidden, errors.New("the root is a collection: a LOCK cannot create it as an empty file")
	}
	if created {
		if st, err := h.checkWrite(r, l.Root, scope{touched: withParent(l.Root)[1:]}); st != 0 {
			return st, err
		}
	}
	l, err := h.locks.CreateLock(r.Context(), l, h.cfg.LockLimits)
	if errors.Is(err, storage.ErrLocked) {
		return http.StatusLocked, &Error{Status: http.StatusLocked, Condition: "no-conflicting-lock", Err: err}
	}
	if errors.Is(err, storage.ErrTooManyLocks) {
		return http.StatusInsufficientStorage, h.tooManyLocks(err)
	}
	if err != nil {
		return statusOf(err), err
	}
	h.owners.passed(l.Token) // parseLockInfo checked the owner
	status := http.StatusOK
	if created {
		defer h.enter(r.Context())()
		err := h.record(r.Context(), upsertOf(l.Root, nil, false))
		if err == nil {
			if err = h.createEmpty(l.Root); err != nil {
				h.restate(r.Context(), l.Root, false)
			}
		}
		if err != nil {
			_ = h.locks.DeleteLock(r.Context(), l.Token)
			return putStatus(err), err
		}
		status = http.StatusCreated
	}
	w.Header().Set("Lock-Token", "<"+l.Token+">")
	return h.writeLockDiscovery(w, status, l)
}

// createEmpty makes the empty file a LOCK of an unmapped URL creates.
func (h *Handler) createEmpty(p string) error {
	up, err := h.fs.NewUpload(p)
	if err != nil {
		return err
	}
	_, err = up.Commit()
	return err
}

// refreshLock restarts the timeout of the lock the If header names (RFC
// 4918 §9.10.2): 403 when the named lock is another principal's or rooted
// above this view, 412 when it names none.
func (h *Handler) refreshLock(w http.ResponseWriter, r *http.Request, p string, timeout time.Duration) (int, error) {
	if r.Header.Get("If") == "" {
		return http.StatusBadRequest, errors.New("a LOCK without a body refreshes a lock and needs an If header")
	}
	if st, err := h.checkWrite(r, p, scope{}); st != 0 {
		return st, err
	}
	locks, err := h.locks.Locks(r.Context(), p)
	if err != nil {
		return statusOf(err), err
	}
	tokens := submittedTokensOf(r)
	var refusal int // set, with refused, by a named lock this view may not refresh
	var refused error
	for _, l := range locks {
		if !l.Covers(p) || !tokens[l.Token] {
			continue
		}
		if st, err := h.mayChange(l); st != 0 {
			refusal, refused = st, err
			continue
		}
		l, err = h.locks.RefreshLock(r.Context(), l.Token, timeout)
		if err != nil {
			return http.StatusPreconditionFailed, err
		}
		return h.writeLockDiscovery(w, http.StatusOK, l)
	}
	if refusal != 0 {
		return refusal, refused
	}
	return http.StatusPreconditionFailed, errors.New("the If header names no lock of this resource")
}

// mayChange answers 0 when this view may refresh or remove l, else 403
// (RFC 4918 §9.11.1: the principal may not remove the lock): only the
// principal that took it may (§6.4), and only through a view the lock is
// rooted in.
func (h *Handler) mayChange(l storage.Lock) (int, error) {
	switch {
	case !h.mine(l):
		return http.StatusForbidden, errors.New("the lock belongs to another user")
	case !h.inView(l):
		return http.StatusForbidden, errors.New("the lock is rooted above this user's folder")
	}
	return 0, nil
}

// tooManyLocks is the 507 of a LOCK over a lock limit, with a body that
// says which limits hold.
func (h *Handler) tooManyLocks(err error) error {
	var limits []string
	if n := h.cfg.LockLimits.PerResource; n > 0 {
		limits = append(limits, fmt.Sprintf("%d on one resource", n))
	}
	if n := h.cfg.LockLimits.PerPrincipal; n > 0 {
		limits = append(limits, fmt.Sprintf("%d per user", n))
	}
	return &Error{Status: http.StatusInsufficientStorage, Err: err,
		Public: "too many locks (at most " + strings.Join(limits, ", ") + "): unlock some or wait for them to expire"}
}

// handleUnlock serves UNLOCK (RFC 4918 §9.11): only the lock's principal
// may remove it, through a view the lock is rooted in (else 403).
func (h *Handler) handleUnlock(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	// Windows sends the token without angle brackets: tolerate it.
	token := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(r.Header.Get("Lock-Token")), "<"), ">")
	if token == "" {
		return http.StatusBadRequest, errors.New("UNLOCK needs a Lock-Token header")
	}
	unlock, err := h.paths.LockContext(r.Context(), p)
	if err != nil {
		return http.StatusServiceUnavailable, err
	}
	defer unlock()
	locks, err := h.locks.Locks(r.Context(), p)
	if err != nil {
		return statusOf(err), err
	}
	for _, l := range locks {
		if l.Token == token && l.Covers(p) {
			if st, err := h.mayChange(l); st != 0 {
				return st, err
			}
			if err := h.locks.DeleteLock(r.Context(), token); err != nil && !errors.Is(err, storage.ErrNoLock) {
				return statusOf(err), err
			}
			w.WriteHeader(http.StatusNoContent)
			return 0, nil
		}
	}
	return http.StatusConflict, &Error{Status: http.StatusConflict, Condition: "lock-token-matches-request-uri",
		Err: errors.New("no lock with this token covers the resource")}
}

// lockTimeout picks the first acceptable value of a Timeout header (RFC
// 4918 §10.7), capped to the server's maximum; none means the default.
func (h *Handler) lockTimeout(hdr string) time.Duration {
	limit := h.cfg.MaxLockTimeout
	for _, v := range strings.Split(hdr, ",") {
		v = strings.TrimSpace(v)
		if strings.EqualFold(v, "Infinite") {
			return limit
		}
		if n, ok := strings.CutPrefix(v, "Second-"); ok {
			if secs, err := strconv.ParseUint(n, 10, 32); err == nil {
				return min(max(time.Duration(secs)*time.Second, time.Second), limit)
			}
		}
	}
	return min(time.Hour, limit)
}

// lockInfo is a parsed DAV:lockinfo body.
type lockInfo struct {
	shared  bool
	owner   []byte
	ownerNS map[string]string
}

// parseLockInfo reads a LOCK body (RFC 4918 §14.11): a write lock, its
// scope, and the owner's XML kept as sent, at most maxOwner bytes with its
// namespaces and valid as a PROPPATCH value is (see checkOwner).
func parseLockInfo(body []byte, maxOwner int64) (*lockInfo, error) {
	n := newNSDecoder(bytes.NewReader(body))
	tok, err := n.next()
	if err != nil {
		return nil, badXML(err)
	}
	if tok.(xml.StartElement).Name != (xml.Name{Space: "DAV:", Local: "lockinfo"}) {
		return nil, errorf(http.StatusBadRequest, "root element is not DAV:lockinfo")
	}
	info := &lockInfo{}
	scoped, typed := false, false
	for {
		tok, err := n.next()
		if err != nil {
			return nil, badXML(err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			break
		}
		switch {
		case el.Name.Space == "DAV:" && el.Name.Local == "lockscope":
			names, err := childNames(n)
			if err != nil || len(names) != 1 || names[0].Space != "DAV:" || (names[0].Local != "exclusive" && names[0].Local != "shared") {
				return nil, errorf(http.StatusBadRequest, "lockscope must be exclusive or shared")
			}
			info.shared, scoped = names[0].Local == "shared", true
		case el.Name.Space == "DAV:" && el.Name.Local == "locktype":
			names, err := childNames(n)
			if err != nil || len(names) != 1 || names[0] != (xml.Name{Space: "DAV:", Local: "write"}) {
				return nil, errorf(http.StatusBadRequest, "only write locks exist")
			}
			typed = true
		case el.Name.Space == "DAV:" && el.Name.Local == "owner":
			if info.ownerNS != nil {
				// RFC 4918 §14.11: owner?. Each is checked, so a body of
				// many owners would cost the check many times over.
				return nil, errorf(http.StatusBadRequest, "more than one DAV:owner")
			}
			if info.owner, info.ownerNS, err = n.rawInner(body); err != nil {
				return nil, badXML(err)
			}
			if err := checkOwner(info.owner, info.ownerNS, maxOwner); err != nil {
				return nil, err
			}
		default:
			if err := n.skip(); err != nil {
				return nil, badXML(err)
			}
		}
	}
	if !scoped || !typed {
		return nil, errorf(http.StatusBadRequest, "lockinfo needs lockscope and locktype")
	}
	return info, nil
}

func badXML(err error) error {
	if statusOf(err) == http.StatusRequestEntityTooLarge {
		return err
	}
	return &Error{Status: http.StatusBadRequest, Err: err}
}

// writeLockDiscovery answers a LOCK with the lock (RFC 4918 §9.10.1).
func (h *Handler) writeLockDiscovery(w http.ResponseWriter, status int, l storage.Lock) (int, error) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Timeout", timeoutValue(l))
	w.WriteHeader(status)
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:prop xmlns:D=\"DAV:\"><D:lockdiscovery>")
	h.writeActiveLock(&b, l)
	b.WriteString("</D:lockdiscovery></D:prop>\n")
	_, err := io.WriteString(w, b.String())
	return 0, err
}

// writeActiveLock renders one DAV:activelock (RFC 4918 §14.1). The token
// of another principal's lock is left out (it is optional there): a lock
// token is usable only by the principal that created it (§6.4), and knowing
// it would be enough to use it elsewhere. Its owner and scope stay visible,
// except an owner stored before owners were checked that fails the checks
// of a new LOCK's (see ownerChecks): that one is left out, as the optional
// element it is, rather than break the document.
func (h *Handler) writeActiveLock(w io.StringWriter, l storage.Lock) {
	scope, depth := "exclusive", "infinity"
	if l.Shared {
		scope = "shared"
	}
	if l.Depth0 {
		depth = "0"
	}
	w.WriteString("<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:" + scope + "/></D:lockscope><D:depth>" + depth + "</D:depth>")
	if len(l.Owner) > 0 && h.owners.echoable(l, h.cfg.MaxLockOwnerBytes) {
		writeOwner(w, l)
	}
	w.WriteString("<D:timeout>" + timeoutValue(l) + "</D:timeout>")
	if h.mine(l) {
		w.WriteString("<D:locktoken><D:href>" + escape(l.Token) + "</D:href></D:locktoken>")
	}
	w.WriteString("<D:lockroot><D:href>" + escape(h.href(l.Root, false)) + "</D:href></D:lockroot></D:activelock>")
}

// writeOwner writes the owner XML as the client sent it, re-declaring the
// namespaces it relied on. The element's own prefix is one the owner XML
// does not use for something else.
func writeOwner(w io.StringWriter, l storage.Lock) {
	prefix := "D"
	for i := 1; l.OwnerNS[prefix] != "" && l.OwnerNS[prefix] != "DAV:"; i++ {
		prefix = fmt.Sprintf("D%d", i)
	}
	w.WriteString("<" + prefix + ":owner")
	if prefix != "D" {
		w.WriteString(` xmlns:` + prefix + `="DAV:"`)
	}
	keys := make([]string, 0, len(l.OwnerNS))
	for k := range l.OwnerNS {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "D" && l.OwnerNS[k] == "DAV:" {
			continue
		}
		attr := "xmlns"
		if k != "" {
			attr += ":" + k
		}
		w.WriteString(" " + attr + `="` + attrEscaper.Replace(l.OwnerNS[k]) + `"`)
	}
	w.WriteString(">")
	w.WriteString(string(l.Owner))
	w.WriteString("</" + prefix + ":owner>")
}

// timeoutValue is the lock's remaining time as a Timeout value.
func timeoutValue(l storage.Lock) string {
	left := time.Until(l.Expires)
	secs := int64((left + time.Second - 1) / time.Second)
	return "Second-" + strconv.FormatInt(max(secs, 0), 10)
}

// newToken makes a lock token: a random (version 4) UUID URN.
func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
