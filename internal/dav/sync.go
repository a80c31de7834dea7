package dav

import (
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/atomdav/atomdav/storage"
)

// handleReport serves the DAV:sync-collection REPORT (RFC 6578) on any
// folder, from the store's change journal: with an empty sync-token, every
// member (streamed, a folder at a time); with a token, the members created,
// changed (their current properties) or removed (404) since. Each answer
// ends with the token to send next time. Depth must be 0 (RFC 6578 §3.2;
// absent means 0, RFC 3253 §3.6). Other reports are 403 with
// DAV:supported-report (RFC 3253 §3.6).
func (h *Handler) handleReport(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	if d := r.Header.Get("Depth"); d != "" && d != "0" {
		return http.StatusBadRequest, errors.New("sync-collection takes Depth: 0 (RFC 6578 §3.2)")
	}
	if r.ContentLength > h.cfg.MaxXMLBytes {
		return http.StatusRequestEntityTooLarge, errors.New("REPORT body too large")
	}
	req, err := parseSyncCollection(http.MaxBytesReader(w, r.Body, h.cfg.MaxXMLBytes))
	switch {
	case errors.Is(err, errNotSyncReport) || err == nil && h.journal == nil:
		return http.StatusForbidden, &Error{Status: http.StatusForbidden, Condition: "supported-report", Err: errNotSyncReport}
	case err != nil && statusOf(err) == http.StatusRequestEntityTooLarge:
		return http.StatusRequestEntityTooLarge, err
	case err != nil:
		return http.StatusBadRequest, err
	}
	if n := len(req.props.names); n > h.cfg.MaxPropfindProps {
		return http.StatusForbidden, tooManyProps(n, h.cfg.MaxPropfindProps)
	}
	fi, err := h.fs.Stat(r.Context(), p)
	if err != nil {
		return statusOf(err), err
	}
	if !fi.IsDir() {
		return http.StatusForbidden, &Error{Status: http.StatusForbidden, Condition: "supported-report",
			Err: errors.New("sync-collection is a report of collections")}
	}
	if slices.Contains(req.props.names, nameOCID) {
		if h, err = h.withInstance(r.Context()); err != nil {
			return statusOf(err), err
		}
	}
	s, err := h.newSyncer(r.Context(), req, p)
	if err != nil {
		return statusOf(err), err
	}
	mw := newMultistatus(w)
	mw.decls, mw.ns = req.props.decls, req.props.prefixes
	if err := s.run(r, mw); err != nil {
		if !mw.started {
			mw.release()
			return statusOf(err), err
		}
		return 0, mw.abort(err)
	}
	return 0, mw.close()
}

// syncer answers one sync-collection REPORT.
type syncer struct {
	h        *Handler
	req      *syncRequest
	dir      string
	id       string    // the journal's
	since    syncToken // the client's; zero for an initial sync
	initial  bool
	point    uint64 // the sync point answered up to
	max      int    // members one answer holds
	n        int    // members answered so far
	tokenTag string // DAV:sync-token's value for members asked for it
}

// errFull stops a walk or a read of the journal that reached s.max.
var errFull = errors.New("sync: answer full")

func (h *Handler) newSyncer(ctx context.Context, req *syncRequest, dir string) (*syncer, error) {
	id, err := h.journal.JournalID(ctx)
	if err != nil {
		return nil, err
	}
	s := &syncer{h: h, req: req, dir: dir, id: id, max: h.cfg.MaxSyncResults, initial: req.token == ""}
	if req.limit > 0 {
		s.max = min(s.max, req.limit)
	}
	if !s.initial {
		if s.since, err = parseToken(req.token, id, dir); err != nil {
			return nil, err
		}
		s.initial = s.since.resume != "" && s.since.tree == "" // a later page of an initial sync
	}
	if s.initial && s.since.resume != "" {
		s.point = s.since.seq // the pages of one initial sync share its point
	} else if s.point, err = h.syncPoint(ctx); err != nil {
		return nil, err
	}
	if !s.initial && s.since.seq > s.point {
		// A token past the point held back for writes under way: answer
		// nothing new, and keep it, unless the journal never gave it.
		sp, err := h.journal.SyncPoint(ctx)
		if err != nil {
			return nil, err
		}
		if s.since.seq > sp {
			return nil, errInvalidToken(errors.New("sync-token from the future"))
		}
		s.point = s.since.seq
	}
	if slices.Contains(req.props.names, nameSyncToken) {
		s.tokenTag = formatToken(id, syncToken{seq: s.point})
	}
	return s, nil
}

// run writes the answer: the members, the 507 of a truncated one, the
// token.
func (s *syncer) run(r *http.Request, mw *multistatus) error {
	next := syncToken{seq: s.point}
	var err error
	if s.initial {
		var last string
		last, err = s.walk(r, mw, s.dir, s.since.resume)
		if errors.Is(err, errFull) {
			next.resume = last
		}
	} else {
		var upto syncToken
		upto, err = s.changes(r, mw)
		if errors.Is(err, errFull) {
			next = upto
		}
	}
	if err != nil && !errors.Is(err, errFull) {
		return err
	}
	mw.begin()
	if err != nil { // truncated (RFC 6578 §3.6)
		mw.bw.WriteString("<D:response><D:href>" + escape(s.h.href(s.dir, true)) +
			"</D:href><D:status>HTTP/1.1 507 Insufficient Storage</D:status>" +
			"<D:error><D:number-of-matches-within-limits/></D:error></D:response>")
	}
	mw.bw.WriteString("<D:sync-token>" + escape(formatToken(s.id, next)) + "</D:sync-token>")
	return nil
}

// walk answers every member below dir that is both on disk and in the
// journal's index, in name order, a folder's properties read at once; for
// a later page of an initial sync, only those after resume (depth-first
// order). It returns the last member answered.
func (s *syncer) walk(r *http.Request, mw *multistatus, dir, resume string) (string, error) {
	h, ctx := s.h, r.Context()
	entries, err := h.fs.ReadDir(dir)
	if err != nil {
		if vanished(err) && dir != s.dir {
			return "", nil
		}
		return "", err
	}
	folder, err := h.folderProps(ctx, dir, s.req.props)
	if err != nil {
		return "", err
	}
	d := discovery{syncToken: s.tokenTag, tags: map[string]uint64{}}
	if err := h.journal.FolderTags(ctx, dir, func(q string, t uint64) { d.tags[q] = t }); err != nil {
		return "", err
	}
	// Only the members the journal's index holds are answered: one made
	// on disk that the watcher has not recorded yet comes with a later
	// token, as its removal would. Answered now, it could vanish before
	// the watcher saw it, and no later sync would ever say so.
	indexed := map[string]bool{}
	if err := h.journal.IndexChildren(ctx, dir, func(c storage.Change) error {
		indexed[path.Base(c.Path)] = true
		return nil
	}); err != nil {
		return "", err
	}
	if slices.Contains(s.req.props.names, nameLockDiscovery) {
		if d.locks, err = h.locks.Locks(ctx, dir); err != nil {
			return "", err
		}
	}
	var last string
	for _, e := range entries {
		child := path.Join(dir, e.Name())
		if !indexed[e.Name()] || !h.listed(child) {
			continue
		}
		descendOnly, skip := resumeAt(child, resume)
		if skip {
			continue
		}
		fi, real, err := h.memberInfo(ctx, child, e)
		if err != nil {
			continue // vanished, or a symlink leading out
		}
		if !descendOnly {
			if s.n >= s.max {
				return last, errFull
			}
			if err := s.answer(r, mw, child, real, fi, folder[child], &d); err != nil {
				return last, err
			}
			last = child
		}
		if s.req.infinite && fi.IsDir() && real == child {
			sub := ""
			if descendOnly {
				sub = resume
			}
			l, err := s.walk(r, mw, child, sub)
			if l != "" {
				last = l
			}
			if err != nil {
				return last, err
			}
		}
		if err := ctx.Err(); err != nil {
			return last, err
		}
	}
	return last, nil
}

// resumeAt places child against resume, the last member a previous page
// answered (depth-first, name order): skip when child and its subtree came
// before; descendOnly when child was answered but members below it may
// not have been.
func resumeAt(child, resume string) (descendOnly, skip bool) {
	if resume == "" {
		return false, false
	}
	if child == resume || within(resume, child) {
		return true, false
	}
	// Siblings under the same parent compare by name: the first segment
	// where child and resume differ decides.
	c, r := strings.Split(child, "/"), strings.Split(resume, "/")
	for i := range min(len(c), len(r)) {
		if c[i] != r[i] {
			return false, c[i] < r[i]
		}
	}
	return false, false
}

// answer writes one member present in the tree.
func (s *syncer) answer(r *http.Request, mw *multistatus, p, real string, fi fs.FileInfo, dead map[xml.Name][]byte, d *discovery) error {
	m := s.h.member(p, fi, dead, d)
	if real != p {
		var err error
		if m, err = s.h.linkMember(r, s.req.props, p, real, fi); err != nil {
			return err
		}
	}
	s.n++
	return mw.response(s.req.props, m)
}

// changes answers the members changed since the client's token, each once
// with its current state; when the answer filled up (errFull), it returns
// the token to go on from: the client's point moved past every entry read
// before, or, when it stopped inside a tree moved or copied in, the point
// before the tree's first entry and the last member its walk answered.
func (s *syncer) changes(r *http.Request, mw *multistatus) (syncToken, error) {
	g := &gathered{seen: map[string]*pendingMember{}}
	full, err := s.gather(r.Context(), g)
	if err != nil {
		return syncToken{}, err
	}
	// A folder is walked when it came with its members (a move or copy
	// in), or when the journal took it for a file (see answerPath).
	var trees []string
	for _, p := range g.order {
		if pm := g.seen[p]; pm.subtree || !pm.dir {
			trees = append(trees, p)
		}
	}
	order, resume := g.order, ""
	if t := s.since.tree; t != "" {
		// The page before stopped in t's walk: the journal is read again
		// from t's first entry, so order is t's folders above it (answered
		// then), t, and what came after.
		if i := slices.Index(order, t); i >= 0 {
			order, resume = order[i:], s.since.resume
		}
	}
	for _, p := range order {
		// A member of a tree walked is answered by the walk, if it is
		// there; if gone, by its 404 here.
		pm := g.seen[p]
		inTree := slices.ContainsFunc(trees, func(t string) bool { return within(p, t) })
		err := s.answerPath(r, mw, p, pm.dir, pm.subtree, inTree, resume)
		var stop *treeFull
		if errors.As(err, &stop) {
			return syncToken{seq: pm.first - 1, resume: stop.last, tree: p}, errFull
		}
		if err != nil {
			return syncToken{}, err
		}
		resume = ""
	}
	if full {
		return syncToken{seq: g.upto}, errFull
	}
	return syncToken{seq: s.point}, nil
}

// treeFull says the answer filled up inside the walk of a tree moved or
// copied in, after last (the tree itself when none of its members fit).
type treeFull struct{ last string }

func (e *treeFull) Error() string { return "sync: answer full inside a tree, after " + e.last }

// gathered are the members an incremental sync answers, in the order
// first seen, and the sync point read up to.
type gathered struct {
	order []string
	seen  map[string]*pendingMember
	upto  uint64
}

// pendingMember is a member to answer: a folder, one moved or copied in
// with its members, and the sequence number of its first entry read.
type pendingMember struct {
	dir, subtree bool
	first        uint64
}

// gather reads the journal from the client's token up to s.point into g,
// until s.max members; full reports that it stopped there.
func (s *syncer) gather(ctx context.Context, g *gathered) (full bool, err error) {
	g.upto = s.since.seq
	_, err = s.h.journal.ChangesSince(ctx, s.since.seq, func(c storage.Change) error {
		if c.Seq > s.point {
			return errStopRead
		}
		if replaced(c, s.dir) {
			return errInvalidToken(fmt.Errorf("%s was removed, or moved or copied in, since the sync-token", c.Path))
		}
		if m, ok := s.memberOf(c); ok {
			if !g.add(s, m) {
				return errFull
			}
		}
		g.upto = c.Seq
		return nil
	})
	switch {
	case errors.Is(err, errFull) && len(g.order) == 0:
		// Not even the first change fits, with the folders above it: no
		// page could go on (RFC 5323 §5.17, which RFC 6578 §3.7 follows).
		return false, &Error{Status: http.StatusInsufficientStorage, Condition: "number-of-matches-within-limits",
			Err: fmt.Errorf("sync: DAV:limit %d is below the depth of a change", s.max)}
	case errors.Is(err, errFull):
		return true, nil
	case err == nil || errors.Is(err, errStopRead):
		return false, nil
	case errors.Is(err, storage.ErrSyncTooOld):
		return false, errInvalidToken(err)
	}
	return false, err
}

// add notes member m and, at sync-level infinite, the folders between
// s.dir and it (their ETags moved with it); false when they do not fit.
func (g *gathered) add(s *syncer, m storage.Change) bool {
	var members []storage.Change
	if s.req.infinite {
		for q := path.Dir(m.Path); q != s.dir && within(q, s.dir); q = path.Dir(q) {
			if g.seen[q] == nil {
				members = append(members, storage.Change{Path: q, Kind: storage.ChangeUpsert, Dir: true, Seq: m.Seq})
			}
		}
		slices.Reverse(members)
	}
	if g.seen[m.Path] == nil {
		members = append(members, m)
	}
	if len(g.order)+len(members) > s.max {
		return false
	}
	for _, n := range members {
		g.seen[n.Path] = &pendingMember{dir: n.Dir, first: n.Seq}
		g.order = append(g.order, n.Path)
	}
	pm := g.seen[m.Path]
	pm.dir = pm.dir || m.Dir
	pm.subtree = pm.subtree || m.Subtree && m.Kind == storage.ChangeUpsert
	return true
}

// replaced reports whether c removed or replaced the collection dir (or
// a folder above it) as a whole: its members' changes are not in the
// journal one by one, so a token from before it cannot be answered from
// it, and the client syncs afresh (403 valid-sync-token).
func replaced(c storage.Change, dir string) bool {
	if c.Path != dir && !within(dir, c.Path) {
		return false
	}
	return c.Kind == storage.ChangeRemoved || c.Subtree
}

// errStopRead ends a read of the journal at the sync point answered.
var errStopRead = errors.New("sync: past the sync point")

// memberOf maps a journal entry to the member of s.dir it changes, if any:
// itself at sync-level infinite; at level 1, the direct member it lies in
// (a folder whose ETag moved with it). Members the listing hides are left
// out, as from PROPFIND.
func (s *syncer) memberOf(c storage.Change) (storage.Change, bool) {
	if !within(c.Path, s.dir) {
		return c, false
	}
	if !s.req.infinite {
		rest := strings.TrimPrefix(c.Path[len(s.dir):], "/")
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			top := path.Join(s.dir, rest[:i])
			c = storage.Change{Path: top, Kind: storage.ChangeUpsert, Dir: true}
		}
		c.Subtree = false
	}
	for q := c.Path; q != s.dir; q = path.Dir(q) {
		if !s.h.listed(q) {
			return c, false
		}
	}
	return c, true
}

// answerPath writes the member p as it is now, or its 404 when it is gone
// from the disk or the journal's index (only that when goneOnly); a tree
// moved or copied in is walked at sync-level infinite, after resume when
// a page before stopped in it (p itself, present, was answered then). A
// walk that fills the answer returns a *treeFull.
func (s *syncer) answerPath(r *http.Request, mw *multistatus, p string, dir, subtree, goneOnly bool, resume string) error {
	h, ctx := s.h, r.Context()
	fi, err := h.fs.Stat(ctx, p)
	if err == nil {
		// On disk but not in the journal's index (made on disk again
		// since its removal was journaled, and the watcher has not seen it
		// yet): gone for the client, as for walk.
		_, indexed, ierr := h.journal.IndexEntry(ctx, p)
		if ierr != nil {
			return ierr
		}
		if !indexed {
			err = fs.ErrNotExist
		}
	}
	if err == nil && goneOnly {
		return nil
	}
	if err != nil {
		if !vanished(err) {
			return err
		}
		mw.begin()
		mw.bw.WriteString("<D:response><D:href>" + escape(h.href(p, dir)) +
			"</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response>")
		s.n++
		return nil
	}
	if resume == "" {
		if err := s.answerPresent(r, mw, p, fi); err != nil {
			return err
		}
	}
	// A folder the journal took for a file was not made by MKCOL: one
	// the server had not seen, moved or copied in with its members.
	subtree = subtree || !dir
	if subtree && fi.IsDir() && s.req.infinite {
		if resume == p {
			resume = "" // none of its members answered yet
		}
		last, err := s.walk(r, mw, p, resume)
		if errors.Is(err, errFull) {
			return &treeFull{last: cmp.Or(last, resume, p)}
		}
		if err != nil {
			return fmt.Errorf("sync: walk %s: %w", p, err)
		}
	}
	return nil
}

// answerPresent writes the member p, present on disk as fi.
func (s *syncer) answerPresent(r *http.Request, mw *multistatus, p string, fi fs.FileInfo) error {
	h, ctx := s.h, r.Context()
	props, err := h.props.Props(ctx, p)
	if err != nil {
		return err
	}
	d := discovery{syncToken: s.tokenTag}
	if fi.IsDir() {
		t, err := h.journal.FolderTag(ctx, p)
		if err != nil {
			return err
		}
		d.tags = map[string]uint64{p: t}
	}
	if slices.Contains(s.req.props.names, nameLockDiscovery) {
		if d.locks, err = h.locks.Locks(ctx, p); err != nil {
			return err
		}
	}
	s.n++
	return mw.response(s.req.props, h.member(p, fi, props, &d))
}
