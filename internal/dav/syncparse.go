package dav

import (
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// syncRequest is a DAV:sync-collection REPORT body (RFC 6578 §6.1).
type syncRequest struct {
	token    string // as sent; "" asks for an initial sync
	infinite bool   // DAV:sync-level infinite; else 1
	limit    int    // DAV:limit's nresults; 0 when absent
	props    *propfindBody
}

var (
	nameSyncCollection = xml.Name{Space: "DAV:", Local: "sync-collection"}
	errNotSyncReport   = errors.New("REPORT: only DAV:sync-collection is supported")
)

// maxTokenBytes bounds a sync-token a client sends; ours are far shorter.
const maxTokenBytes = 8 << 10

// parseSyncCollection reads a REPORT body. A report other than
// sync-collection is errNotSyncReport; a malformed one wraps errBadXML.
// Like PROPFIND's, the parser reads tokens without recursion, so a body
// costs time linear in its size.
func parseSyncCollection(r io.Reader) (*syncRequest, error) {
	n := newNSDecoder(r)
	tok, err := n.next()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: empty REPORT body", errBadXML)
	}
	if err != nil {
		return nil, err
	}
	if tok.(xml.StartElement).Name != nameSyncCollection {
		return nil, errNotSyncReport
	}
	req := &syncRequest{}
	seen := map[string]bool{}
	for {
		tok, err := n.next()
		if err != nil {
			return nil, err
		}
		if _, ok := tok.(xml.EndElement); ok {
			break
		}
		el := tok.(xml.StartElement)
		if el.Name.Space == "DAV:" && seen[el.Name.Local] {
			return nil, fmt.Errorf("%w: more than one DAV:%s", errBadXML, el.Name.Local)
		}
		if el.Name.Space == "DAV:" {
			seen[el.Name.Local] = true
		}
		if err := req.child(n, el); err != nil {
			return nil, err
		}
	}
	if _, err := n.next(); err == nil {
		return nil, fmt.Errorf("%w: content after the root element", errBadXML)
	} else if err != io.EOF {
		return nil, err
	}
	switch {
	case !seen["sync-token"]:
		return nil, fmt.Errorf("%w: sync-collection needs a DAV:sync-token (empty for an initial sync)", errBadXML)
	case !seen["sync-level"]:
		return nil, fmt.Errorf("%w: sync-collection needs a DAV:sync-level", errBadXML)
	case req.props == nil:
		return nil, fmt.Errorf("%w: sync-collection needs a DAV:prop", errBadXML)
	}
	return req, nil
}

// child handles one child of DAV:sync-collection.
func (req *syncRequest) child(n *nsDecoder, el xml.StartElement) error {
	if el.Name.Space != "DAV:" {
		return n.skip() // RFC 4918 §17: ignore unknown elements
	}
	switch el.Name.Local {
	case "sync-token":
		t, err := n.text(maxTokenBytes)
		req.token = strings.TrimSpace(t)
		return err
	case "sync-level":
		t, err := n.text(16)
		switch strings.TrimSpace(t) {
		case "1":
		case "infinite", "infinity":
			req.infinite = true
		default:
			if err == nil {
				err = fmt.Errorf("%w: sync-level must be 1 or infinite", errBadXML)
			}
		}
		return err
	case "limit":
		return req.parseLimit(n)
	case "prop":
		names, err := childNames(n)
		req.props = &propfindBody{kind: namedProps, names: names}
		req.props.declare()
		return err
	}
	return n.skip()
}

// parseLimit reads DAV:limit's DAV:nresults (RFC 5323 §5.17).
func (req *syncRequest) parseLimit(n *nsDecoder) error {
	for {
		tok, err := n.next()
		if err != nil {
			return err
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			return nil
		}
		if el.Name != (xml.Name{Space: "DAV:", Local: "nresults"}) {
			if err := n.skip(); err != nil {
				return err
			}
			continue
		}
		t, err := n.text(20)
		if err != nil {
			return err
		}
		v, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil || v < 1 {
			return fmt.Errorf("%w: nresults must be a positive integer", errBadXML)
		}
		req.limit = v
	}
}

// text reads the character data of the current element up to its end tag,
// at most max bytes; a child element is malformed here.
func (n *nsDecoder) text(max int) (string, error) {
	var b strings.Builder
	for {
		tok, err := n.d.RawToken()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return "", fmt.Errorf("%w: %w", errBadXML, err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if b.Len()+len(t) > max {
				return "", fmt.Errorf("%w: element text longer than %d bytes", errBadXML, max)
			}
			b.Write(t)
		case xml.StartElement:
			return "", fmt.Errorf("%w: unexpected element <%s> in text", errBadXML, t.Name.Local)
		case xml.EndElement:
			_, err := n.end(t)
			return b.String(), err
		}
	}
}

// Sync tokens (RFC 6578 §3.2: opaque URIs) name the journal and a point
// in it; for the pages of an initial sync, the last member answered; for
// the pages of an incremental sync that stopped inside a tree moved or
// copied in, also that tree:
//
//	urn:x-atomdav:sync:<journal id>:<seq>[:<hex of the last path>[:<hex of the tree>]]
const tokenPrefix = "urn:x-atomdav:sync:"

// syncToken is a parsed token.
type syncToken struct {
	seq uint64
	// resume is the last member answered by the page before: of an
	// initial sync, or (tree set) of the walk of tree; "" otherwise.
	resume string
	// tree is the folder moved or copied in whose walk the page before
	// stopped in; seq is then the point before its first entry.
	tree string
}

// formatToken renders a token of the journal id.
func formatToken(id string, t syncToken) string {
	s := tokenPrefix + id + ":" + strconv.FormatUint(t.seq, 10)
	if t.resume != "" {
		s += ":" + hex.EncodeToString([]byte(t.resume))
	}
	if t.tree != "" {
		s += ":" + hex.EncodeToString([]byte(t.tree))
	}
	return s
}

// errInvalidToken is the valid-sync-token precondition (RFC 6578 §3.2):
// a token of another journal, malformed or tampered with, or too old.
func errInvalidToken(err error) error {
	return &Error{Status: http.StatusForbidden, Condition: "valid-sync-token", Err: err}
}

// parseToken reads a token of the journal id whose resume path, if any,
// lies below dir.
func parseToken(s, id, dir string) (syncToken, error) {
	rest, ok := strings.CutPrefix(s, tokenPrefix+id+":")
	if !ok || id == "" {
		return syncToken{}, errInvalidToken(errors.New("sync-token of another store, or malformed"))
	}
	parts := strings.Split(rest, ":")
	malformed := errInvalidToken(errors.New("malformed sync-token"))
	seq, err := strconv.ParseUint(parts[0], 10, 64)
	if err != nil || strconv.FormatUint(seq, 10) != parts[0] || len(parts) > 3 {
		return syncToken{}, malformed
	}
	t := syncToken{seq: seq}
	if len(parts) > 1 {
		if t.resume, err = tokenPath(parts[1], dir); err != nil {
			return syncToken{}, malformed
		}
	}
	if len(parts) > 2 {
		// A tree's walk resumes at or below the tree (at it: the walk
		// had answered none of its members).
		t.tree, err = tokenPath(parts[2], dir)
		if err != nil || t.resume != t.tree && !within(t.resume, t.tree) {
			return syncToken{}, malformed
		}
	}
	return t, nil
}

// tokenPath decodes a path of a token, which must lie strictly below dir.
func tokenPath(part, dir string) (string, error) {
	b, err := hex.DecodeString(part)
	if err != nil || len(b) == 0 || !within(string(b), dir) || string(b) == dir {
		return "", errors.New("malformed")
	}
	return string(b), nil
}

// FormatSyncToken is the sync-token of point seq of the journal id, as
// the sync-collection REPORT gives it (for tools such as atomdav changes).
func FormatSyncToken(id string, seq uint64) string {
	return formatToken(id, syncToken{seq: seq})
}

// ParseSyncToken reads the point of a sync-token of the journal id; a
// token of another journal, of a page of an initial sync, or malformed is
// an error.
func ParseSyncToken(tok, id string) (uint64, error) {
	t, err := parseToken(tok, id, "/")
	if err == nil && t.resume != "" {
		err = errors.New("the sync-token of a page of a sync names no point to read changes from")
	}
	return t.seq, err
}
