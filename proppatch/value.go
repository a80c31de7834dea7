package proppatch

import (
	"bytes"
	"slices"

	"github.com/beevik/etree"
)

// writeSettings makes etree escape what a re-parse would otherwise change:
// with its defaults it writes tab, newline and carriage return in attribute
// values literally (a parser normalises them to spaces, XML 1.0 §3.3.3) and
// a carriage return in text literally (a parser turns it into a newline,
// XML 1.0 §2.11). The canonical modes write them as character references,
// as Canonical XML does.
var writeSettings = etree.WriteSettings{CanonicalText: true, CanonicalAttrVal: true}

// inheritance is what the properties of one DAV:prop inherit from it and its
// ancestors; see inherited.
type inheritance struct {
	bindings   []Binding
	hasDefault bool // bindings declare a default namespace
	lang       *string
}

// standalone appends to buf the property element p serialised so that it
// means the same out of its document (RFC 4918 §4.3): p with every
// namespace binding in scope from its ancestors (inh) that p does not
// declare itself, the default namespace included (prefixed names in text
// and attribute values stay resolvable), and the xml:lang in scope when p
// has none. p's own attributes and children are kept as they are. It
// returns the value, a slice of buf's bytes whose capacity ends with it,
// so that later appends to buf never write into it.
//
// scratch is reused between calls for the attribute list; p's attributes
// are swapped for it while p is written and then put back, which is
// cheaper than writing a deep copy of p.
func standalone(buf *bytes.Buffer, p *etree.Element, inh inheritance, scratch *[]etree.Attr) []byte {
	own := ownDeclarations(p)
	hasLang := false
	for _, a := range p.Attr {
		if a.Space == "xml" && a.Key == "lang" {
			hasLang = true
		}
	}
	attrs := (*scratch)[:0]
	for _, b := range inh.bindings {
		if !own.has(b.Prefix) {
			attrs = append(attrs, namespaceAttr(b.Prefix, b.URI))
		}
	}
	if !own.has("") && !inh.hasDefault && needsNoDefault(p) {
		// p, or an element in it, is in no namespace through the
		// document's lack of a default: say so, so that pasting it under
		// a default namespace cannot move it.
		attrs = append(attrs, namespaceAttr("", ""))
	}
	start := buf.Len()
	if len(attrs) == 0 && (inh.lang == nil || hasLang) {
		p.WriteTo(buf, &writeSettings)
	} else {
		attrs = append(attrs, p.Attr...)
		if inh.lang != nil && !hasLang {
			attrs = append(attrs, etree.Attr{Space: "xml", Key: "lang", Value: *inh.lang})
		}
		saved := p.Attr
		p.Attr = attrs
		p.WriteTo(buf, &writeSettings)
		p.Attr = saved
		clear(attrs) // drop the references to p's strings
		*scratch = attrs[:0]
	}
	end := buf.Len()
	return buf.Bytes()[start:end:end]
}

// prefixSet is the set of prefixes an element declares; most declare none
// or a few, for which a scan beats building a map.
type prefixSet struct {
	list []string
	m    map[string]bool // set instead of list once there are many
}

// ownDeclarations returns the prefixes p declares ("" for the default).
func ownDeclarations(p *etree.Element) prefixSet {
	var s prefixSet
	for _, a := range p.Attr {
		prefix, ok := declaredPrefix(a)
		switch {
		case !ok:
		case s.m != nil:
			s.m[prefix] = true
		case len(s.list) < 8:
			s.list = append(s.list, prefix)
		default:
			s.m = make(map[string]bool)
			for _, q := range s.list {
				s.m[q] = true
			}
			s.m[prefix] = true
		}
	}
	return s
}

func (s prefixSet) has(prefix string) bool {
	if s.m != nil {
		return s.m[prefix]
	}
	return slices.Contains(s.list, prefix)
}

// inherited returns what the children of the element open last in ns
// inherit: the namespace bindings in scope, nearest declaration winning, in
// the order the outermost declaration of each prefix appears (a default
// undeclared with xmlns="" is dropped), and lang, the nearest xml:lang.
func inherited(ns *Namespaces, lang *string) inheritance {
	bindings := ns.InScope()
	inh := inheritance{bindings: bindings, lang: lang}
	for i, b := range bindings {
		if b.Prefix == "" {
			if b.URI == "" {
				inh.bindings = slices.Delete(bindings, i, i+1)
			} else {
				inh.hasDefault = true
			}
			break
		}
	}
	return inh
}

// needsNoDefault reports whether el or an element inside it is unprefixed
// and gets no default namespace from within el, so that its name depends
// on the default namespace being undeclared outside el.
func needsNoDefault(el *etree.Element) bool {
	for _, a := range el.Attr {
		if prefix, ok := declaredPrefix(a); ok && prefix == "" {
			return false
		}
	}
	if el.Space == "" {
		return true
	}
	for c := range el.ChildElementsSeq() {
		if needsNoDefault(c) {
			return true
		}
	}
	return false
}

// namespaceAttr returns the declaration of prefix ("" for the default
// namespace) as an attribute.
func namespaceAttr(prefix, uri string) etree.Attr {
	if prefix == "" {
		return etree.Attr{Key: "xmlns", Value: uri}
	}
	return etree.Attr{Space: "xmlns", Key: prefix, Value: uri}
}
