package proppatch

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"slices"
	"strconv"
)

// Outcome is what became of one instruction.
type Outcome struct {
	Name   xml.Name
	Remove bool
	Status int // 200, 424 Failed Dependency, or the failing instruction's own

	// Precondition is the local name of the DAV: precondition element the
	// failure reports (RFC 4918 §16), e.g.
	// "cannot-modify-protected-property"; "" for none.
	Precondition string

	// Description says in plain words why the instruction failed; "" for
	// 200 and 424.
	Description string
}

// Result is the outcome of Engine.Apply, one Outcome per instruction in
// document order.
type Result struct {
	Outcomes []Outcome
}

// newResult reports every instruction as committed when f is nil, else f's
// instruction with its own status and every other with 424 (RFC 4918
// §9.2).
func newResult(ins []Instruction, f *failure) *Result {
	r := &Result{Outcomes: make([]Outcome, len(ins))}
	for i, in := range ins {
		o := Outcome{Name: in.Name, Remove: in.Remove, Status: http.StatusOK}
		switch {
		case f == nil:
		case i == f.index:
			o.Status, o.Precondition, o.Description = f.status, f.precondition, f.description
		default:
			o.Status = http.StatusFailedDependency
		}
		r.Outcomes[i] = o
	}
	return r
}

// Committed reports whether every instruction was applied.
func (r *Result) Committed() bool {
	for _, o := range r.Outcomes {
		if o.Status != http.StatusOK {
			return false
		}
	}
	return true
}

// WriteMultiStatus writes the 207 Multi-Status body for the resource at
// href (RFC 4918 §9.2, §13): one DAV:response with one DAV:propstat per
// distinct status, in order of first appearance, each property as an empty
// element whose namespace prefix the root declares. href must already be
// URL-escaped; it is XML-escaped here.
//
// A name that several instructions touch is listed once, with the worst of
// their statuses (the failing one over 424 over 200): a response may name a
// property only once.
//
// Each namespace is declared once, on the root, so the body costs the size
// of the request at most: declared on each name, a request of thousands of
// names in one long namespace answered that namespace thousands of times
// (59 kB of request, 90 MB of answer, built in memory).
func (r *Result) WriteMultiStatus(w io.Writer, href string) error {
	groups := r.propstats()
	var prefixes nsPrefixes
	for _, g := range groups {
		for _, name := range g.names {
			if name.Space != nsDAV && name.Space != "" && name.Space != nsXML {
				prefixes.of(name.Space)
			}
		}
	}
	var b bytes.Buffer
	b.Grow(512)
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<D:multistatus xmlns:D="DAV:"`)
	for i, uri := range prefixes.list {
		b.WriteString(` xmlns:ns` + strconv.Itoa(i+1) + `="`)
		xml.EscapeText(&b, []byte(uri))
		b.WriteString(`"`)
	}
	b.WriteString(`><D:response><D:href>`)
	xml.EscapeText(&b, []byte(href))
	b.WriteString(`</D:href>`)
	for _, g := range groups {
		b.WriteString(`<D:propstat><D:prop>`)
		for _, name := range g.names {
			writeEmpty(&b, name, &prefixes)
		}
		b.WriteString(`</D:prop><D:status>HTTP/1.1 `)
		b.WriteString(strconv.Itoa(g.status))
		b.WriteByte(' ')
		b.WriteString(http.StatusText(g.status))
		b.WriteString(`</D:status>`)
		if g.precondition != "" {
			b.WriteString(`<D:error><D:` + g.precondition + `/></D:error>`)
		}
		if g.description != "" {
			b.WriteString(`<D:responsedescription>`)
			xml.EscapeText(&b, []byte(g.description))
			b.WriteString(`</D:responsedescription>`)
		}
		b.WriteString(`</D:propstat>`)
	}
	b.WriteString("</D:response></D:multistatus>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// propstat is one DAV:propstat of the 207.
type propstat struct {
	status       int
	names        []xml.Name
	precondition string
	description  string
}

// propstats groups the outcomes by status, each name once with its worst
// status, groups and names in order of first appearance.
func (r *Result) propstats() []*propstat {
	var names []xml.Name
	worst := make(map[xml.Name]Outcome)
	for _, o := range r.Outcomes {
		prev, seen := worst[o.Name]
		if !seen {
			names = append(names, o.Name)
		}
		if !seen || severity(o.Status) > severity(prev.Status) {
			worst[o.Name] = o
		}
	}
	var groups []*propstat
	byStatus := make(map[int]*propstat)
	for _, name := range names {
		o := worst[name]
		g := byStatus[o.Status]
		if g == nil {
			g = &propstat{status: o.Status}
			byStatus[o.Status] = g
			groups = append(groups, g)
		}
		g.names = append(g.names, name)
		if g.precondition == "" {
			g.precondition = o.Precondition
		}
		if g.description == "" {
			g.description = o.Description
		}
	}
	return groups
}

// severity ranks statuses for a name touched more than once.
func severity(status int) int {
	switch status {
	case http.StatusOK:
		return 0
	case http.StatusFailedDependency:
		return 1
	}
	return 2
}

// writeEmpty writes name as an empty element: <D:x/> for DAV:, <x
// xmlns=""/> for no namespace, otherwise <nsN:x/> with the prefix prefixes
// gave its namespace, declared on the root.
func writeEmpty(b *bytes.Buffer, name xml.Name, prefixes *nsPrefixes) {
	switch name.Space {
	case nsDAV:
		b.WriteString(`<D:` + name.Local + `/>`)
		return
	case "":
		b.WriteString(`<` + name.Local + ` xmlns=""/>`)
		return
	case nsXML:
		b.WriteString(`<xml:` + name.Local + `/>`)
		return
	}
	b.WriteString(`<` + prefixes.of(name.Space) + `:` + name.Local + `/>`)
}

// nsPrefixes numbers the namespaces of a response, ns1, ns2, … in order
// of first use. A response names few, which a scan finds fastest; past
// a handful (a hostile body may name thousands) a map takes over.
type nsPrefixes struct {
	list []string
	m    map[string]int
}

// of returns the prefix of namespace uri, numbering it if it is new.
func (p *nsPrefixes) of(uri string) string {
	i := -1
	if p.m != nil {
		if n, ok := p.m[uri]; ok {
			i = n
		}
	} else {
		i = slices.Index(p.list, uri)
	}
	if i < 0 {
		i = len(p.list)
		p.list = append(p.list, uri)
		if p.m != nil || len(p.list) > 8 {
			if p.m == nil {
				p.m = make(map[string]int, len(p.list))
				for n, u := range p.list {
					p.m[u] = n
				}
			}
			p.m[uri] = i
		}
	}
	return "ns" + strconv.Itoa(i+1)
}

// clark writes a name in Clark notation, {namespace}local, for messages.
func clark(n xml.Name) string {
	return "{" + n.Space + "}" + n.Local
}
