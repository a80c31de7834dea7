package dav

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// RFC 9530's Content-Digest, Repr-Digest and Want-Repr-Digest are
// structured-field dictionaries (RFC 8941 §3.2): "sha-256=:base64:,
// sha-512=:…:" and "sha-256=10, sha=1". This file parses them: each
// member's value is read, its parameters skipped. The header is bounded
// by the server's header limit; maxDictMembers bounds the members read.

// maxDictMembers is the most members a digest dictionary may hold (more
// is malformed): a real client sends one or two.
const maxDictMembers = 32

var errBadDict = errors.New("malformed structured-field dictionary (RFC 8941)")

// sfItem is a bare item's value, of the kinds digest headers use: a byte
// sequence (bytes set) or an integer (isInt); other kinds parse and are
// neither.
type sfItem struct {
	bytes []byte
	isInt bool
	n     int64
}

// dictMember is one key and its value (inner lists parse but have no
// item: isList).
type dictMember struct {
	key    string
	val    sfItem
	isList bool
}

// parseDict parses a dictionary; an empty field is an empty dictionary.
func parseDict(v string) ([]dictMember, error) {
	s := &sfParser{s: v}
	s.ows()
	var out []dictMember
	for s.i < len(s.s) {
		if len(out) == maxDictMembers {
			return nil, errBadDict
		}
		m, err := s.member()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
		s.ows()
		if s.i == len(s.s) {
			break
		}
		if s.s[s.i] != ',' {
			return nil, errBadDict
		}
		s.i++
		s.ows()
		if s.i == len(s.s) { // a trailing comma
			return nil, errBadDict
		}
	}
	return out, nil
}

type sfParser struct {
	s string
	i int
}

func (p *sfParser) ows() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *sfParser) sp() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *sfParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *sfParser) member() (dictMember, error) {
	key, err := p.key()
	if err != nil {
		return dictMember{}, err
	}
	m := dictMember{key: key}
	if p.peek() != '=' { // a bare key is boolean true
		return m, p.params()
	}
	p.i++
	if p.peek() == '(' {
		m.isList = true
		if err := p.innerList(); err != nil {
			return m, err
		}
		return m, p.params()
	}
	if m.val, err = p.bareItem(); err != nil {
		return m, err
	}
	return m, p.params()
}

// key is lcalpha or "*", then lcalpha, digits, "_-.*".
func (p *sfParser) key() (string, error) {
	start := p.i
	if c := p.peek(); !(c >= 'a' && c <= 'z' || c == '*') {
		return "", errBadDict
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*') {
			break
		}
		p.i++
	}
	return p.s[start:p.i], nil
}

func (p *sfParser) params() error {
	for p.peek() == ';' {
		p.i++
		p.sp()
		if _, err := p.key(); err != nil {
			return err
		}
		if p.peek() == '=' {
			p.i++
			if _, err := p.bareItem(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *sfParser) innerList() error {
	p.i++ // (
	for n := 0; ; n++ {
		p.sp()
		if p.peek() == ')' {
			p.i++
			return nil
		}
		if n == maxDictMembers || p.i >= len(p.s) {
			return errBadDict
		}
		if _, err := p.bareItem(); err != nil {
			return err
		}
		if err := p.params(); err != nil {
			return err
		}
		if c := p.peek(); c != ' ' && c != ')' {
			return errBadDict
		}
	}
}

func (p *sfParser) bareItem() (sfItem, error) {
	switch c := p.peek(); {
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == '"':
		return sfItem{}, p.str()
	case c == ':':
		return p.byteSeq()
	case c == '?':
		if p.i+1 < len(p.s) && (p.s[p.i+1] == '0' || p.s[p.i+1] == '1') {
			p.i += 2
			return sfItem{}, nil
		}
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*':
		p.token()
		return sfItem{}, nil
	}
	return sfItem{}, errBadDict
}

// number reads an integer (at most 15 digits) or a decimal (RFC 8941
// §4.2.4); only an integer is kept.
func (p *sfParser) number() (sfItem, error) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	digits, dot := 0, false
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '.' && !dot && digits > 0 && digits <= 12 {
			dot = true
			digits = 0
		} else if c >= '0' && c <= '9' {
			digits++
		} else {
			break
		}
		p.i++
		if digits > 15 || dot && digits > 3 {
			return sfItem{}, errBadDict
		}
	}
	if digits == 0 {
		return sfItem{}, errBadDict
	}
	if dot {
		return sfItem{}, nil
	}
	n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
	if err != nil {
		return sfItem{}, errBadDict
	}
	return sfItem{isInt: true, n: n}, nil
}

func (p *sfParser) str() error {
	p.i++ // "
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\\') {
				return errBadDict
			}
			p.i++
		case c == '"':
			return nil
		case c < 0x20 || c > 0x7e:
			return errBadDict
		}
	}
	return errBadDict
}

func (p *sfParser) token() {
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),;<=>?@[\]{}`, c) >= 0 {
			return
		}
		p.i++
	}
}

func (p *sfParser) byteSeq() (sfItem, error) {
	p.i++ // :
	end := strings.IndexByte(p.s[p.i:], ':')
	if end < 0 {
		return sfItem{}, errBadDict
	}
	enc := p.s[p.i : p.i+end]
	p.i += end + 1
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil && !strings.HasSuffix(enc, "=") {
		b, err = base64.RawStdEncoding.DecodeString(enc)
	}
	if err != nil {
		return sfItem{}, errBadDict
	}
	if b == nil {
		b = []byte{}
	}
	return sfItem{bytes: b}, nil
}

// algoByRFC finds an algorithm by its RFC 9530 name.
func algoByRFC(key string) (algo, bool) {
	for i, a := range algos {
		if a.rfc == key {
			return algo(i), true
		}
	}
	return 0, false
}

// parseDigestField reads a Content-Digest or Repr-Digest: the digests of
// the algorithms the server knows (others are ignored, RFC 9530 §2). A
// malformed field, or a digest of a known algorithm that is not a byte
// sequence of its length, is an error (400).
func parseDigestField(v string) (digests, error) {
	var out digests
	members, err := parseDict(v)
	if err != nil {
		return out, err
	}
	for _, m := range members {
		a, ok := algoByRFC(m.key)
		if !ok {
			continue
		}
		if m.isList || m.val.bytes == nil || len(m.val.bytes) != algos[a].new().Size() {
			return out, errors.New("a digest of " + m.key + " that is not a byte sequence of its length")
		}
		out[a] = m.val.bytes
	}
	return out, nil
}

// wantDigest is the algorithm a Want-Repr-Digest prefers most among those
// the server answers with (sha-256, sha-512), or false when it names
// none of them with a preference above 0 or is malformed (ignored, as
// RFC 9530 §4 lets a server). Ties go to sha-256.
func wantDigest(v string) (algo, bool) {
	members, err := parseDict(v)
	if err != nil {
		return 0, false
	}
	best, bestW := algo(0), int64(0)
	for _, m := range members {
		a, ok := algoByRFC(m.key)
		if !ok || (a != algoSHA256 && a != algoSHA512) || !m.val.isInt || m.val.n < 0 || m.val.n > 10 {
			continue
		}
		if m.val.n > bestW || m.val.n == bestW && m.val.n > 0 && a == algoSHA256 {
			best, bestW = a, m.val.n
		}
	}
	return best, bestW > 0
}
