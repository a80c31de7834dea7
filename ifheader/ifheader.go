package ifheader

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSyntax is returned for a header that does not follow RFC 4918 §10.4.
// Servers answer it with 400 Bad Request.
var ErrSyntax = errors.New("ifheader: malformed If header")

// ErrTooMany is returned by ParseLimit for a header with more conditions
// than its limit. Each condition may cost the server a lookup, so servers
// refuse such a header (400) rather than evaluate it.
var ErrTooMany = errors.New("ifheader: too many conditions in If header")

// Condition is one state token or entity tag of a list, RFC 4918 §10.4.2.
type Condition struct {
	Not   bool
	Token string // a lock token such as "urn:uuid:…", without angle brackets
	ETag  string // an entity tag with its quotes (and W/ prefix), when not a token
}

// List is one parenthesised list of conditions. Resource is the tag of a
// tagged list (RFC 4918 §10.4.2), empty for an untagged one, which applies
// to the request URI.
type List struct {
	Resource   string
	Conditions []Condition
}

// Parse parses the value of an If header, however many conditions it has.
func Parse(s string) ([]List, error) { return ParseLimit(s, 0) }

// ParseLimit parses the value of an If header and refuses, with an error
// wrapping ErrTooMany, one of more than max conditions in all its lists
// (0 is no limit). It stops reading at the first condition over max. Lists
// and tagged resources are bounded too, as each has a condition.
func ParseLimit(s string, max int) ([]List, error) {
	p := parser{s: s, max: max}
	var lists []List
	tagged := -1 // unknown until the first production
	resource := ""
	for p.skipSpace(); !p.done(); p.skipSpace() {
		switch p.peek() {
		case '<':
			if tagged == 0 {
				return nil, ErrSyntax
			}
			tagged = 1
			tag, err := p.angle()
			if err != nil {
				return nil, err
			}
			resource = tag
			p.skipSpace()
			if p.peek() != '(' {
				return nil, ErrSyntax // a tag needs at least one list
			}
		case '(':
			if tagged == -1 {
				tagged = 0
			}
			conds, err := p.list()
			if err != nil {
				return nil, err
			}
			lists = append(lists, List{Resource: resource, Conditions: conds})
		default:
			return nil, ErrSyntax
		}
	}
	if len(lists) == 0 {
		return nil, ErrSyntax
	}
	return lists, nil
}

type parser struct {
	s string
	i int
	// max bounds n, the conditions read so far (0: no bound).
	max, n int
}

func (p *parser) done() bool { return p.i >= len(p.s) }

func (p *parser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *parser) skipSpace() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// angle reads "<…>" and returns what is inside.
func (p *parser) angle() (string, error) {
	end := strings.IndexByte(p.s[p.i:], '>')
	if end < 1 {
		return "", ErrSyntax
	}
	v := p.s[p.i+1 : p.i+end]
	p.i += end + 1
	if v == "" || strings.ContainsAny(v, " <") {
		return "", ErrSyntax
	}
	return v, nil
}

// list reads "(" 1*Condition ")".
func (p *parser) list() ([]Condition, error) {
	p.i++ // (
	var conds []Condition
	for {
		p.skipSpace()
		if p.peek() == ')' {
			p.i++
			if len(conds) == 0 {
				return nil, ErrSyntax
			}
			return conds, nil
		}
		if p.n++; p.max > 0 && p.n > p.max {
			return nil, fmt.Errorf("%w: more than %d", ErrTooMany, p.max)
		}
		c, err := p.condition()
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
}

// condition reads ["Not"] (Coded-URL | "[" entity-tag "]").
func (p *parser) condition() (Condition, error) {
	var c Condition
	if len(p.s)-p.i >= 3 && strings.EqualFold(p.s[p.i:p.i+3], "not") {
		c.Not = true
		p.i += 3
		p.skipSpace()
	}
	switch p.peek() {
	case '<':
		tok, err := p.angle()
		if err != nil {
			return c, err
		}
		c.Token = tok
	case '[':
		end := strings.IndexByte(p.s[p.i:], ']')
		if end < 3 {
			return c, ErrSyntax
		}
		c.ETag = p.s[p.i+1 : p.i+end]
		p.i += end + 1
		if !validETag(c.ETag) {
			return c, ErrSyntax
		}
	default:
		return c, ErrSyntax
	}
	return c, nil
}

// validETag checks entity-tag = [ "W/" ] quoted-string (RFC 9110 §8.8.3).
func validETag(t string) bool {
	t = strings.TrimPrefix(t, "W/")
	return len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' && !strings.Contains(t[1:len(t)-1], `"`)
}
