package interop

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// node is an XML element with names resolved to namespace URIs, so tests
// compare by URI and never by prefix.
type node struct {
	name     xml.Name
	children []*node
	text     strings.Builder // character data directly inside, in order
}

// parseXML reads a whole document into a tree.
func parseXML(b []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.children = append(top.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(tok)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// child returns the first direct child called name, or nil.
func (n *node) child(name xml.Name) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// find returns the first element called name at any depth, n included.
func (n *node) find(name xml.Name) *node {
	if n.name == name {
		return n
	}
	for _, c := range n.children {
		if f := c.find(name); f != nil {
			return f
		}
	}
	return nil
}

// content is all character data inside n, trimmed.
func (n *node) content() string {
	var b strings.Builder
	var walk func(*node)
	walk = func(n *node) {
		b.WriteString(n.text.String())
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

var (
	davMultistatus = xml.Name{Space: "DAV:", Local: "multistatus"}
	davResponse    = xml.Name{Space: "DAV:", Local: "response"}
	davHref        = xml.Name{Space: "DAV:", Local: "href"}
	davPropstat    = xml.Name{Space: "DAV:", Local: "propstat"}
	davProp        = xml.Name{Space: "DAV:", Local: "prop"}
	davStatus      = xml.Name{Space: "DAV:", Local: "status"}
)

// msResponse is one DAV:response of a 207 (RFC 4918 §14.24).
type msResponse struct {
	href  string // unescaped path, without scheme and host
	props map[xml.Name]propValue
}

// propValue is one property of a propstat with the propstat's status.
type propValue struct {
	status int
	el     *node
}

// parseMultistatus reads a 207 body (RFC 4918 §13), or a LOCK's DAV:prop
// answer as one response whose properties are all 200.
func parseMultistatus(body []byte) ([]msResponse, error) {
	root, err := parseXML(body)
	if err != nil {
		return nil, fmt.Errorf("the 207 body is not XML: %w", err)
	}
	if root.name == davProp { // a LOCK's answer (RFC 4918 §9.10.1)
		resp := msResponse{props: map[xml.Name]propValue{}}
		for _, p := range root.children {
			resp.props[p.name] = propValue{status: 200, el: p}
		}
		return []msResponse{resp}, nil
	}
	if root.name != davMultistatus {
		return nil, fmt.Errorf("the root element is %s, not {DAV:}multistatus or {DAV:}prop", clark(root.name))
	}
	var out []msResponse
	for _, r := range root.children {
		if r.name != davResponse {
			continue
		}
		h := r.child(davHref)
		if h == nil {
			return nil, errors.New("a DAV:response without DAV:href")
		}
		resp := msResponse{href: hrefPath(h.content()), props: map[xml.Name]propValue{}}
		for _, ps := range r.children {
			if ps.name != davPropstat {
				continue
			}
			st := ps.child(davStatus)
			prop := ps.child(davProp)
			if st == nil || prop == nil {
				return nil, fmt.Errorf("%s: a propstat without prop or status", resp.href)
			}
			for _, p := range prop.children {
				resp.props[p.name] = propValue{status: statusCode(st.content()), el: p}
			}
		}
		out = append(out, resp)
	}
	return out, nil
}

// hrefPath turns an href (absolute URL or path) into an unescaped path.
func hrefPath(h string) string {
	if u, err := url.Parse(h); err == nil {
		return u.Path
	}
	return h
}

// samePath compares two unescaped paths ignoring a trailing slash.
func samePath(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// pick finds the response for href (an escaped or plain path); an empty
// href means the request target's, or the only response there is.
func pick(resps []msResponse, href, target string) (msResponse, error) {
	want := href
	if want == "" {
		want = target
	}
	if p, err := url.PathUnescape(want); err == nil {
		want = p
	}
	for _, r := range resps {
		if samePath(r.href, want) {
			return r, nil
		}
	}
	if href == "" && len(resps) == 1 {
		return resps[0], nil
	}
	var hrefs []string
	for _, r := range resps {
		hrefs = append(hrefs, r.href)
	}
	return msResponse{}, fmt.Errorf("no DAV:response for %s (got %s)", want, strings.Join(hrefs, ", "))
}
