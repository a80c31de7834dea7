package proppatch

import (
	"bytes"
	"encoding/xml"
	"io"
	"sync"
)

// fastMax is the largest body parseFast is tried on; larger ones, and
// every body it declines, take the general path (read).
const fastMax = 8 << 10

// fastBufs pools the buffers a body is read into for parseFast.
var fastBufs = sync.Pool{New: func() any { b := make([]byte, fastMax); return &b }}

// parseFast parses the common shape of a propertyupdate without building
// a tree: a root declaring prefixes (and nothing else), DAV:set and
// DAV:remove each holding one DAV:prop, whose properties are prefixed,
// carry no attribute and hold only text (no markup, no reference but the
// five predefined ones),
// with whitespace between the elements and an optional UTF-8 XML
// declaration first. It returns ok false, having decided nothing, for any
// other body, which the general path then parses: so that it need not
// repeat the general path's checks and errors, it accepts a strict subset
// of what that path accepts, and gives the same Update (the tests compare
// the two on every seed and in a fuzz target). budget bounds the values
// as in instructions; a body over it is declined, so the general path
// answers 413; parseFast stops as soon as its values go over it.
func parseFast(body []byte, budget int64) (ins []Instruction, ok bool) {
	p := fastParser{in: body, budget: budget}
	p.xmlDecl()
	p.space()
	root, ok := p.root()
	if !ok {
		return nil, false
	}
	for {
		p.space()
		if p.closing(root) {
			break
		}
		if !p.update() {
			return nil, false
		}
	}
	p.space()
	if p.pos != len(p.in) || len(p.out) == 0 {
		return nil, false
	}
	return p.out, true
}

// fastParser is parseFast's state: the body and the position in it, the
// root's declarations, and the instructions and values made so far.
type fastParser struct {
	in   []byte
	pos  int
	decl []xml.Attr // the root's declarations: Name.Local the prefix, Value the URI
	// uris indexes decl by prefix once it holds more than a few, so that
	// every lookup costs constant time and a body of many declarations
	// and names still parses in linear time.
	uris   map[string]string
	out    []Instruction
	buf    []byte // the values, one after another
	budget int64  // the most bytes buf may hold
}

// xmlDecls are the XML declarations parseFast accepts: of UTF-8 bodies.
var xmlDecls = [][]byte{
	[]byte(`<?xml version="1.0" encoding="utf-8"?>`),
	[]byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`),
	[]byte(`<?xml version="1.0" encoding="UTF-8"?>`),
	[]byte(`<?xml version="1.0" encoding="utf-8" ?>`),
	[]byte(`<?xml version="1.0"?>`),
}

func (p *fastParser) xmlDecl() {
	for _, d := range xmlDecls {
		if bytes.HasPrefix(p.in, d) {
			p.pos = len(d)
			return
		}
	}
}

func (p *fastParser) space() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n':
			p.pos++
		default:
			return
		}
	}
}

// name reads a prefixed name of ASCII letters, digits, '_', '-' and '.'
// (a letter or '_' first in each part).
func (p *fastParser) name() (prefix, local string, ok bool) {
	if prefix, ok = p.ncname(); !ok || p.pos >= len(p.in) || p.in[p.pos] != ':' {
		return "", "", false
	}
	p.pos++
	local, ok = p.ncname()
	return prefix, local, ok
}

func (p *fastParser) ncname() (string, bool) {
	start := p.pos
	for p.pos < len(p.in) {
		c := p.in[p.pos]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (p.pos == start || !(c >= '0' && c <= '9' || c == '-' || c == '.')) {
			break
		}
		p.pos++
	}
	return string(p.in[start:p.pos]), p.pos > start
}

// lookup resolves a prefix among the root's declarations.
func (p *fastParser) lookup(prefix string) (string, bool) {
	if p.uris != nil {
		uri, ok := p.uris[prefix]
		return uri, ok
	}
	for _, d := range p.decl {
		if d.Name.Local == prefix {
			return d.Value, true
		}
	}
	return "", false
}

// indexAfter is how many declarations lookup scans before they are
// indexed in a map.
const indexAfter = 8

// root reads the propertyupdate's start tag and its declarations.
func (p *fastParser) root() (string, bool) {
	if !p.byte('<') {
		return "", false
	}
	prefix, local, ok := p.name()
	if !ok || local != "propertyupdate" {
		return "", false
	}
	for {
		n := p.pos
		p.space()
		if p.byte('>') {
			break
		}
		if p.pos == n || !p.declaration() {
			return "", false
		}
	}
	if uri, ok := p.lookup(prefix); !ok || uri != nsDAV {
		return "", false
	}
	return prefix + ":" + local, true
}

// declaration reads one xmlns:prefix="uri" whose URI needs no escaping.
func (p *fastParser) declaration() bool {
	if !bytes.HasPrefix(p.in[p.pos:], []byte("xmlns:")) {
		return false
	}
	p.pos += len("xmlns:")
	prefix, ok := p.ncname()
	if !ok || prefix == "xml" || prefix == "xmlns" || !p.byte('=') || !p.byte('"') {
		return false
	}
	end := bytes.IndexByte(p.in[p.pos:], '"')
	if end <= 0 {
		return false
	}
	uri := p.in[p.pos : p.pos+end]
	p.pos += end + 1
	if !plainAttr(uri) || string(uri) == nsXML || string(uri) == nsXMLNS {
		return false
	}
	if _, dup := p.lookup(prefix); dup {
		return false
	}
	p.decl = append(p.decl, xml.Attr{Name: xml.Name{Local: prefix}, Value: string(uri)})
	switch {
	case p.uris != nil:
		p.uris[prefix] = string(uri)
	case len(p.decl) > indexAfter:
		p.uris = make(map[string]string, 2*len(p.decl))
		for _, d := range p.decl {
			p.uris[d.Name.Local] = d.Value
		}
	}
	return true
}

// plainAttr reports whether s is an attribute value that needs no
// escaping and that a parser takes as it is: valid XML characters other
// than '&', '<', '>', quotes, tab, newline and carriage return.
func plainAttr(s []byte) bool {
	return validText(string(s)) && !bytes.ContainsAny(s, "&<>\"'\t\n\r")
}

// refs are the references parseFast reads in text (the five XML
// predefines) and what standalone writes for each (encoding/xml gives the
// character; etree escapes only '&', '<' and '>' in text).
var refs = map[string]string{"&amp;": "&amp;", "&lt;": "&lt;", "&gt;": "&gt;", "&quot;": `"`, "&apos;": "'"}

// plainText reports whether s is element text parseFast reads: valid XML
// characters, no markup, no carriage return (a parser turns it into a
// newline), no ]]> and no reference but those of refs.
func plainText(s []byte) bool {
	if !validText(string(s)) || bytes.Contains(s, []byte("]]>")) { // ]]> only ends a CDATA section
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '\r':
			return false
		case '&':
			end := bytes.IndexByte(s[i:], ';')
			if end < 0 {
				return false
			}
			if _, ok := refs[string(s[i:i+end+1])]; !ok {
				return false
			}
			i += end
		}
	}
	return true
}

// appendText appends text, which plainText accepted, as standalone writes
// it: references resolved, then '&', '<' and '>' escaped.
func appendText(b, text []byte) []byte {
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '&':
			end := bytes.IndexByte(text[i:], ';')
			b = append(b, refs[string(text[i:i+end+1])]...)
			i += end
		case '>':
			b = append(b, "&gt;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

func (p *fastParser) byte(c byte) bool {
	if p.pos < len(p.in) && p.in[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// closing reads the end tag of full (prefix:local) if it comes next.
func (p *fastParser) closing(full string) bool {
	rest := p.in[p.pos:]
	if len(rest) < len(full)+3 || rest[0] != '<' || rest[1] != '/' || string(rest[2:2+len(full)]) != full {
		return false
	}
	p.pos += 2 + len(full)
	p.space()
	return p.byte('>')
}

// start reads a start tag without attributes: its prefix and local name,
// and whether it is empty (/>).
func (p *fastParser) start() (prefix, local string, empty, ok bool) {
	if !p.byte('<') {
		return "", "", false, false
	}
	if prefix, local, ok = p.name(); !ok {
		return "", "", false, false
	}
	p.space()
	if p.byte('/') {
		return prefix, local, true, p.byte('>')
	}
	return prefix, local, false, p.byte('>')
}

// dav reports whether prefix:local is DAV:local.
func (p *fastParser) dav(prefix, local, want string) bool {
	uri, ok := p.lookup(prefix)
	return ok && uri == nsDAV && local == want
}

// update reads a DAV:set or DAV:remove holding exactly one DAV:prop.
func (p *fastParser) update() bool {
	prefix, local, empty, ok := p.start()
	remove := p.dav(prefix, local, "remove")
	if !ok || empty || !remove && !p.dav(prefix, local, "set") {
		return false
	}
	p.space()
	pp, pl, pempty, ok := p.start()
	if !ok || pempty || !p.dav(pp, pl, "prop") {
		return false
	}
	props := 0
	for {
		p.space()
		if p.closing(pp + ":" + pl) {
			break
		}
		if !p.property(remove) {
			return false
		}
		props++
	}
	p.space()
	return props > 0 && p.closing(prefix+":"+local)
}

// property reads one property of a DAV:prop: empty, or holding plain text.
func (p *fastParser) property(remove bool) bool {
	prefix, local, empty, ok := p.start()
	if !ok {
		return false
	}
	uri, ok := p.lookup(prefix)
	if !ok {
		return false
	}
	var text []byte
	if !empty {
		end := bytes.IndexByte(p.in[p.pos:], '<')
		if end < 0 {
			return false
		}
		text = p.in[p.pos : p.pos+end]
		p.pos += end
		if !plainText(text) || !p.closing(prefix+":"+local) {
			return false
		}
	}
	in := Instruction{Remove: remove, Name: xml.Name{Space: uri, Local: local}}
	if !remove {
		in.Value = p.value(prefix+":"+local, text)
		if int64(len(p.buf)) > p.budget {
			return false // stopped at once: the values grow no further
		}
	}
	p.out = append(p.out, in)
	return true
}

// value renders a property as standalone does: the element with every
// declaration of the root, and its text if any.
func (p *fastParser) value(full string, text []byte) []byte {
	start := len(p.buf)
	p.buf = append(p.buf, '<')
	p.buf = append(p.buf, full...)
	for _, d := range p.decl {
		p.buf = append(p.buf, " xmlns:"...)
		p.buf = append(p.buf, d.Name.Local...)
		p.buf = append(p.buf, `="`...)
		p.buf = append(p.buf, d.Value...)
		p.buf = append(p.buf, '"')
	}
	if len(text) == 0 {
		p.buf = append(p.buf, "/>"...)
	} else {
		p.buf = append(p.buf, '>')
		p.buf = appendText(p.buf, text)
		p.buf = append(p.buf, "</"...)
		p.buf = append(p.buf, full...)
		p.buf = append(p.buf, '>')
	}
	end := len(p.buf)
	return p.buf[start:end:end]
}

// readSmall reads r whole if it holds at most fastMax bytes and reading it
// fails with nothing but its end: body is then the whole body, in buf.
// Otherwise rest replays what was read, then the rest of r (or r's
// error), for the general path, which then meets the same bytes and the
// same error at the same place as it would have reading r itself.
func readSmall(r io.Reader, buf []byte) (body []byte, rest io.Reader) {
	n, err := io.ReadFull(r, buf)
	switch err {
	case io.EOF, io.ErrUnexpectedEOF:
		return buf[:n], nil
	case nil:
		return nil, io.MultiReader(bytes.NewReader(buf[:n]), r)
	default:
		return nil, io.MultiReader(bytes.NewReader(buf[:n]), errReader{err})
	}
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
