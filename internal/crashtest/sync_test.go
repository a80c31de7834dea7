package crashtest

import (
	"context"
	"encoding/xml"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// The sync mode (issue 17): a client that knows the tree only through
// sync-collection REPORTs (RFC 6578), each from the token the last one
// gave, must hold after every restart what a full PROPFIND walk sees:
// the same paths, each with the same ETag (a folder's moves with its
// members) and properties. A crash may leave a journal entry for a change
// never made (it is answered with the path as it is), never a change
// without one: a new file whose PUT was cut by the kill after its rename
// and before its entry's commit is journaled by the reconciling scan the
// server runs at start-up, before it serves (internal/watch), so nothing
// is forgiven.
var flagSync = flag.Bool("sync", true, "also keep a client that syncs by sync-collection tokens only, checked after every restart against a full walk")

// syncClient is the sync mode's client: its token and the tree it knows,
// path → signature (see sig).
type syncClient struct {
	token  string
	view   map[string]string
	synced int // members answered, for the log
}

const syncBody = `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:" xmlns:c="` + ns + `">` +
	`<D:sync-token>%s</D:sync-token><D:sync-level>infinite</D:sync-level>` +
	`<D:prop><D:resourcetype/><D:getetag/><c:P1/><c:P2/><c:P3/><c:P4/><c:P5/><c:id/><c:mt/><c:x/></D:prop></D:sync-collection>`

// sig is what the client compares of a resource.
func sig(r *resource) string {
	var b strings.Builder
	fmt.Fprintf(&b, "coll=%v etag=%s", r.coll, r.etag)
	for _, k := range sortedKeys(r.props) {
		fmt.Fprintf(&b, " %s=%s", k, r.props[k])
	}
	return b.String()
}

// checkSync brings the client up to date from its token and compares its
// tree with res, the walk of a quiet server just restarted.
func (h *harness) checkSync(l *life, res map[string]*resource) {
	if !*flagSync {
		return
	}
	if h.sync.view == nil {
		h.sync.view = map[string]string{}
		h.t.Cleanup(func() { h.t.Logf("sync mode: %d members answered by sync-collection", h.sync.synced) })
	}
	members, removed, tok, err := h.syncPages(l, h.sync.token)
	if err != nil {
		h.violLocked(l, "sync-failed", err.Error())
		h.sync = syncClient{view: map[string]string{}}
		return
	}
	for _, p := range removed {
		for q := range h.sync.view {
			if q == p || within(q, p) {
				delete(h.sync.view, q)
			}
		}
	}
	for _, r := range members {
		h.sync.view[r.path] = sig(r)
	}
	h.sync.token = tok
	if len(res) >= maxListed {
		return // the walk stopped short
	}
	for _, p := range sortedKeys(res) {
		if p == "/" || strings.Count(p, "/") > 4 {
			continue
		}
		if got, want := h.sync.view[p], sig(res[p]); got != want {
			h.violLocked(l, "sync-missed", fmt.Sprintf("%s: the token-syncing client holds %q, the walk sees %q", p, got, want), p)
		}
		h.sync.view[p] = sig(res[p])
	}
	for _, p := range sortedKeys(h.sync.view) {
		if res[p] == nil && strings.Count(p, "/") <= 4 {
			h.violLocked(l, "sync-stale", p+": the token-syncing client holds it, the walk does not see it", p)
			delete(h.sync.view, p)
		}
	}
}

// syncPages sends sync-collection REPORTs of / from token, following the
// continuation tokens, and returns the members answered, the paths
// removed and the token to send next time.
func (h *harness) syncPages(l *life, token string) (members []*resource, removed []string, next string, err error) {
	for range 1000 {
		x := h.do(context.Background(), l, "REPORT", "/", []byte(fmt.Sprintf(syncBody, token)), "Depth", "0", "Content-Type", "application/xml")
		if x.err != nil || x.status != http.StatusMultiStatus {
			return nil, nil, "", fmt.Errorf("REPORT sync-collection from %q: %d %v\n%s", token, x.status, x.err, clip(string(x.body), 500))
		}
		var ms struct {
			msBody
			Token string `xml:"DAV: sync-token"`
		}
		if err := xml.Unmarshal(x.body, &ms); err != nil {
			return nil, nil, "", fmt.Errorf("REPORT sync-collection: %w", err)
		}
		truncated := false
		for _, resp := range ms.Responses {
			r, status, err := syncMember(resp)
			switch {
			case err != nil:
				return nil, nil, "", err
			case status == http.StatusInsufficientStorage:
				truncated = true
			case status == http.StatusNotFound:
				removed = append(removed, r.path)
			default:
				members = append(members, r)
			}
		}
		h.sync.synced += len(ms.Responses)
		token = ms.Token
		if !truncated {
			return members, removed, token, nil
		}
	}
	return nil, nil, "", fmt.Errorf("REPORT sync-collection: the continuation tokens never end")
}

// syncMember reads one response of a sync-collection answer: its status
// (a response without propstat carries one of its own: 404, 507) and, for
// a member present, the resource.
func syncMember(resp msResponse) (*resource, int, error) {
	u, err := url.Parse(resp.Href)
	if err != nil {
		return nil, 0, fmt.Errorf("REPORT: href %q: %w", resp.Href, err)
	}
	r := &resource{path: path.Clean("/" + u.Path), props: map[string]string{}}
	if resp.Status != "" {
		return r, statusCode(resp.Status), nil
	}
	r.read(resp)
	return r, http.StatusOK, nil
}
