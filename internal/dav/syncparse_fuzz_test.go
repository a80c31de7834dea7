package dav

import (
	"bytes"
	"errors"
	"path"
	"strings"
	"testing"
)

// syncSeeds are sync-collection bodies (RFC 6578 §6.1, as clients send
// them) and malformed ones; testdata/fuzz/FuzzParseSyncCollection holds
// them too.
var syncSeeds = []string{
	`<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`,
	`<sync-collection xmlns="DAV:"><sync-token>urn:x-atomdav:sync:0123456789abcdef:42</sync-token><sync-level>infinite</sync-level><limit><nresults>100</nresults></limit><prop><getetag/><x:a xmlns:x="urn:x"/></prop></sync-collection>`,
	`<D:sync-collection xmlns:D="DAV:"><D:sync-token>a</D:sync-token><D:sync-token>b</D:sync-token><D:sync-level>1</D:sync-level><D:prop/></D:sync-collection>`,
	`<D:sync-collection xmlns:D="DAV:"><D:sync-token><D:x/></D:sync-token></D:sync-collection>`,
	`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>2</D:sync-level><D:prop/></D:sync-collection>`,
	`<D:sync-collection xmlns:D="DAV:"><D:limit><D:nresults>-1</D:nresults></D:limit></D:sync-collection>`,
	`<D:expand-property xmlns:D="DAV:"/>`,
	``,
}

// FuzzParseSyncCollection checks that parseSyncCollection never panics,
// refuses only with errBadXML or errNotSyncReport, and that what it accepts
// has a token of bounded size, a positive limit or none, and property
// names whose namespaces have prefixes declared once for the 207's root.
func FuzzParseSyncCollection(f *testing.F) {
	for _, s := range syncSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseSyncCollection(bytes.NewReader(body))
		if err != nil {
			if !errors.Is(err, errBadXML) && !errors.Is(err, errNotSyncReport) {
				t.Fatalf("error %v is neither errBadXML nor errNotSyncReport", err)
			}
			return
		}
		switch {
		case len(req.token) > maxTokenBytes:
			t.Fatalf("token of %d bytes", len(req.token))
		case req.limit < 0:
			t.Fatalf("limit %d", req.limit)
		case req.props == nil || req.props.kind != namedProps:
			t.Fatalf("props %+v", req.props)
		}
		for _, n := range req.props.names {
			if n.Local == "" || strings.Contains(n.Local, ":") {
				t.Fatalf("property name %v", n)
			}
			if p, ok := req.props.prefixes[n.Space]; ok && strings.Count(req.props.decls, " xmlns:"+p+`="`) != 1 {
				t.Fatalf("namespace %q declared %d times", n.Space, strings.Count(req.props.decls, " xmlns:"+p+`="`))
			}
		}
		// A token the parser accepts is parsed safely too.
		if _, err := parseToken(req.token, "0123456789abcdef", "/"); err != nil {
			var de *Error
			if !errors.As(err, &de) || de.Condition != "valid-sync-token" {
				t.Fatalf("parseToken: %v", err)
			}
		}
	})
}

// tokenSeeds are sync-tokens: a point, a page of an initial sync, a page
// that stopped inside a tree moved in, and malformed ones;
// testdata/fuzz/FuzzParseSyncToken holds them too.
var tokenSeeds = []string{
	"urn:x-atomdav:sync:0123456789abcdef:42",
	"urn:x-atomdav:sync:0123456789abcdef:0:2f612f62",
	"urn:x-atomdav:sync:0123456789abcdef:7:2f612f622f63:2f612f62",
	"urn:x-atomdav:sync:0123456789abcdef:7:2f78:2f612f62",
	"urn:x-atomdav:sync:0123456789abcdef:007",
	"urn:x-atomdav:sync:0123456789abcdef:1:2f:2f",
	"urn:x-atomdav:sync:0123456789abcdef:1:zz",
	"urn:x-atomdav:sync:fedcba9876543210:1",
}

// FuzzParseSyncToken checks that parseToken never panics, refuses only
// with valid-sync-token, and that a token it accepts is one formatToken
// gives (nothing else reaches the syncer) whose paths lie below the
// folder synced: a resume point at or below its tree.
func FuzzParseSyncToken(f *testing.F) {
	for _, s := range tokenSeeds {
		f.Add(s, "/")
		f.Add(s, "/a")
	}
	f.Fuzz(func(t *testing.T, tok, dir string) {
		if !strings.HasPrefix(dir, "/") || path.Clean(dir) != dir {
			return
		}
		st, err := parseToken(tok, "0123456789abcdef", dir)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) || de.Condition != "valid-sync-token" {
				t.Fatalf("parseToken: %v", err)
			}
			return
		}
		if got := formatToken("0123456789abcdef", st); got != tok {
			t.Fatalf("accepted %q, which formats as %q", tok, got)
		}
		for _, p := range []string{st.resume, st.tree} {
			if p != "" && (p == dir || !within(p, dir)) {
				t.Fatalf("path %q of %q not below %q", p, tok, dir)
			}
		}
		if st.tree != "" && st.resume != st.tree && !within(st.resume, st.tree) {
			t.Fatalf("resume %q not at or below the tree %q", st.resume, st.tree)
		}
	})
}
