package bench

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// stubMaxXML bounds a PROPFIND or PROPPATCH body the stub reads.
const stubMaxXML = 1 << 20

// The live properties the stub reports; allprop reports them all.
var stubLive = []string{"resourcetype", "getcontentlength", "getetag", "getlastmodified"}

// stubEntry is what PROPFIND reports of one member, copied under the lock.
type stubEntry struct {
	href  string
	dir   bool
	size  int
	etag  string
	mod   time.Time
	props map[xml.Name]string
}

func (s *stub) propfind(w http.ResponseWriter, r *http.Request, p string) int {
	want, all, err := stubPropfindNames(r.Body)
	if err != nil {
		return http.StatusBadRequest
	}
	depth := r.Header.Get("Depth")
	if depth != "0" && depth != "1" {
		return http.StatusForbidden // no Depth infinity
	}
	s.mu.RLock()
	_, n, _ := s.find(p)
	if n == nil {
		s.mu.RUnlock()
		return http.StatusNotFound
	}
	entries := []stubEntry{entryOf(p, n)}
	if depth == "1" && n.dir {
		for name, k := range n.kids {
			entries = append(entries, entryOf(strings.TrimPrefix(p+"/"+name, "/"), k))
		}
	}
	s.mu.RUnlock()
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:multistatus xmlns:D="DAV:">`)
	for _, e := range entries {
		e.write(&b, want, all)
	}
	b.WriteString(`</D:multistatus>`)
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	w.Write(b.Bytes())
	return 0
}

// entryOf copies what PROPFIND reports of n; the caller holds s.mu. The
// props map is shared: PROPPATCH replaces it rather than changing it.
func entryOf(p string, n *stubNode) stubEntry {
	return stubEntry{href: hrefOf(p, n.dir), dir: n.dir, size: len(n.data), etag: n.etag, mod: n.mod, props: n.props}
}

// hrefOf returns the escaped href of path p (without slashes at its ends).
func hrefOf(p string, dir bool) string {
	h := (&url.URL{Path: "/" + p}).EscapedPath()
	if dir && p != "" {
		h += "/"
	}
	return h
}

// write appends e's response: the asked properties it has in a 200
// propstat, the others in a 404 one.
func (e stubEntry) write(b *bytes.Buffer, want []xml.Name, all bool) {
	b.WriteString(`<D:response><D:href>`)
	b.WriteString(e.href)
	b.WriteString(`</D:href><D:propstat><D:prop>`)
	var missing []xml.Name
	if all {
		for _, l := range stubLive {
			e.live(b, l)
		}
		for n, v := range e.props {
			writeDead(b, n, v)
		}
	}
	for _, n := range want {
		if n.Space == "DAV:" && e.live(b, n.Local) {
			continue
		}
		if v, ok := e.props[n]; ok {
			writeDead(b, n, v)
			continue
		}
		missing = append(missing, n)
	}
	b.WriteString(`</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>`)
	if len(missing) > 0 {
		b.WriteString(`<D:propstat><D:prop>`)
		for _, n := range missing {
			writeDead(b, n, "")
		}
		b.WriteString(`</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>`)
	}
	b.WriteString(`</D:response>`)
}

// live appends the live property named local, reporting whether e has it.
func (e stubEntry) live(b *bytes.Buffer, local string) bool {
	switch {
	case local == "resourcetype" && e.dir:
		b.WriteString(`<D:resourcetype><D:collection/></D:resourcetype>`)
	case local == "resourcetype":
		b.WriteString(`<D:resourcetype/>`)
	case local == "getcontentlength" && !e.dir:
		b.WriteString(`<D:getcontentlength>` + strconv.Itoa(e.size) + `</D:getcontentlength>`)
	case local == "getetag":
		b.WriteString(`<D:getetag>` + e.etag + `</D:getetag>`)
	case local == "getlastmodified":
		b.WriteString(`<D:getlastmodified>` + e.mod.UTC().Format(http.TimeFormat) + `</D:getlastmodified>`)
	default:
		return false
	}
	return true
}

// writeDead appends a property element in its own namespace with text v.
func writeDead(b *bytes.Buffer, n xml.Name, v string) {
	b.WriteString(`<x:` + n.Local + ` xmlns:x="`)
	xml.EscapeText(b, []byte(n.Space))
	b.WriteString(`">`)
	xml.EscapeText(b, []byte(v))
	b.WriteString(`</x:` + n.Local + `>`)
}

// stubPropfindNames reads a propfind body: the names in its DAV:prop, or
// all for allprop, propname or an empty body.
func stubPropfindNames(body io.Reader) (want []xml.Name, all bool, err error) {
	d := xml.NewDecoder(io.LimitReader(body, stubMaxXML))
	depth, inProp := 0, false
	for {
		t, err := d.Token()
		if err == io.EOF {
			return want, all || (want == nil && depth == 0), nil
		} else if err != nil {
			return nil, false, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 2 && t.Name.Space == "DAV:" && (t.Name.Local == "allprop" || t.Name.Local == "propname"):
				all = true
			case depth == 2 && t.Name == xml.Name{Space: "DAV:", Local: "prop"}:
				inProp = true
			case depth == 3 && inProp:
				want = append(want, t.Name)
			}
		case xml.EndElement:
			if depth == 2 {
				inProp = false
			}
			depth--
		}
	}
}

func (s *stub) proppatch(w http.ResponseWriter, r *http.Request, p string) int {
	set, remove, err := stubPatch(r.Body)
	if err != nil {
		return http.StatusBadRequest
	}
	s.mu.Lock()
	_, n, _ := s.find(p)
	if n == nil {
		s.mu.Unlock()
		return http.StatusNotFound
	}
	props := make(map[xml.Name]string, len(n.props)+len(set))
	for k, v := range n.props {
		props[k] = v
	}
	var names []xml.Name
	for _, kv := range set {
		props[kv.name] = kv.value
		names = append(names, kv.name)
	}
	for _, k := range remove {
		delete(props, k)
		names = append(names, k)
	}
	n.props = props
	s.mu.Unlock()
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:multistatus xmlns:D="DAV:"><D:response><D:href>`)
	b.WriteString(hrefOf(p, n.dir))
	b.WriteString(`</D:href><D:propstat><D:prop>`)
	for _, k := range names {
		writeDead(&b, k, "")
	}
	b.WriteString(`</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>`)
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	w.Write(b.Bytes())
	return 0
}

// stubProp is one property a PROPPATCH sets.
type stubProp struct {
	name  xml.Name
	value string
}

// stubPatch reads a propertyupdate: the properties of its DAV:set
// elements with their text, and the names of its DAV:remove ones.
func stubPatch(body io.Reader) (set []stubProp, remove []xml.Name, err error) {
	d := xml.NewDecoder(io.LimitReader(body, stubMaxXML))
	depth, removing := 0, false
	var text strings.Builder
	for {
		t, err := d.Token()
		if err == io.EOF {
			return set, remove, nil
		} else if err != nil {
			return nil, nil, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			depth++
			switch depth {
			case 2:
				removing = t.Name == xml.Name{Space: "DAV:", Local: "remove"}
			case 4:
				text.Reset()
				if removing {
					remove = append(remove, t.Name)
				} else {
					set = append(set, stubProp{name: t.Name})
				}
			}
		case xml.CharData:
			if depth >= 4 {
				text.Write(t)
			}
		case xml.EndElement:
			if depth == 4 && !removing && len(set) > 0 {
				set[len(set)-1].value = text.String()
			}
			depth--
		}
	}
}
