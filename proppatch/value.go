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

// standalone serialises the property element p so that it means the same
// out of its document (RFC 4918 §4.3): a deep copy of p with every
// namespace binding in scope from its ancestors that p does not declare
// itself, the default namespace included (prefixed names in text and
// attribute values stay resolvable), and the xml:lang in scope when p has
// none. p's own attributes and children are kept as they are.
func standalone(p *etree.Element) []byte {
	own := make(map[string]bool)
	hasLang := false
	for _, a := range p.Attr {
		if prefix, ok := declaredPrefix(a); ok {
			own[prefix] = true
		} else if a.Space == "xml" && a.Key == "lang" {
			hasLang = true
		}
	}
	bindings, lang := inherited(p)
	var decls []etree.Attr
	for _, b := range bindings {
		if !own[b.Key] {
			decls = append(decls, namespaceAttr(b.Key, b.Value))
		}
	}
	if !own[""] && !hasBinding(bindings, "") && needsNoDefault(p) {
		// p, or an element in it, is in no namespace through the
		// document's lack of a default: say so, so that pasting it under
		// a default namespace cannot move it.
		decls = append(decls, namespaceAttr("", ""))
	}
	// p.Copy shares nothing with p but the Attr structs' back-pointers: an
	// Attr copied by etree still names the original element, so its
	// NamespaceURI would resolve there. We only write the copy.
	cp := p.Copy()
	cp.Attr = slices.Concat(decls, cp.Attr)
	if lang != nil && !hasLang {
		cp.Attr = append(cp.Attr, etree.Attr{Space: "xml", Key: "lang", Value: *lang})
	}
	var buf bytes.Buffer
	cp.WriteTo(&buf, &writeSettings)
	return buf.Bytes()
}

// inherited returns the namespace bindings in scope at p from its
// ancestors, nearest declaration winning, in the order the outermost
// declaration of each prefix appears (Key is the prefix, "" for the
// default namespace; a default undeclared with xmlns="" is dropped), and
// the nearest xml:lang of an ancestor, nil if none.
func inherited(p *etree.Element) (bindings []etree.Attr, lang *string) {
	var chain []*etree.Element
	for a := p.Parent(); a != nil; a = a.Parent() {
		chain = append(chain, a)
	}
	at := make(map[string]int)
	for _, el := range slices.Backward(chain) {
		for _, a := range el.Attr {
			prefix, ok := declaredPrefix(a)
			switch {
			case ok && prefix == "xml":
				// implicitly bound everywhere; never re-declare it
			case ok:
				if i, seen := at[prefix]; seen {
					bindings[i].Value = a.Value
					continue
				}
				at[prefix] = len(bindings)
				bindings = append(bindings, etree.Attr{Key: prefix, Value: a.Value})
			case a.Space == "xml" && a.Key == "lang":
				lang = &a.Value
			}
		}
	}
	if i, ok := at[""]; ok && bindings[i].Value == "" {
		bindings = slices.Delete(bindings, i, i+1)
	}
	return bindings, lang
}

// hasBinding reports whether bindings bind prefix.
func hasBinding(bindings []etree.Attr, prefix string) bool {
	return slices.ContainsFunc(bindings, func(a etree.Attr) bool { return a.Key == prefix })
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
