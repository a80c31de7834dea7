package dav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/storage"
)

// propfindSeeds are PROPFIND bodies of real clients and of litmus, and
// malformed ones; testdata/fuzz/FuzzParsePropfind holds them too.
var propfindSeeds = []string{
	``,
	`<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`,
	`<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><propname/></propfind>`,
	`<D:propfind xmlns:D="DAV:"><D:prop><D:getlastmodified/><D:getcontentlength/><D:resourcetype/><D:getetag/></D:prop></D:propfind>`,
	`<D:propfind xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns"><D:prop><oc:checksums/><oc:permissions/></D:prop></D:propfind>`,
	`<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><D:lockdiscovery/></D:include></D:propfind>`,
	`<D:propfind xmlns:D="DAV:"><D:prop><x:y/></D:prop></D:propfind>`,
	`<D:propfind xmlns:D="DAV:"><D:prop><a xmlns:p=""/></D:prop></D:propfind>`,
	`<D:propfind xmlns:D="DAV:"><D:prop></D:propfind>`,
}

// FuzzParsePropfind checks that parsePropfind never panics, that it
// refuses only with errBadXML, and that what it accepts is one of RFC 4918
// §14.20's forms with named properties only for prop (and include), each
// namespace of which has a prefix declared once for the 207's root.
func FuzzParsePropfind(f *testing.F) {
	for _, s := range propfindSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		pb, err := parsePropfind(bytes.NewReader(body))
		if err != nil {
			if !errors.Is(err, errBadXML) {
				t.Fatalf("error %v is not errBadXML", err)
			}
			return
		}
		switch {
		case pb.kind != allProp && pb.kind != propName && pb.kind != namedProps:
			t.Fatalf("kind %d", pb.kind)
		case pb.kind == propName && len(pb.names) > 0:
			t.Fatalf("propname with names %v", pb.names)
		case pb.kind == allProp && len(pb.names) > 0 && !pb.include:
			t.Fatalf("allprop with names %v and no include", pb.names)
		}
		for _, n := range pb.names {
			if n.Local == "" || strings.Contains(n.Local, ":") {
				t.Fatalf("property name %v", n)
			}
			p, ok := pb.prefixes[n.Space]
			declared := n.Space == "DAV:" || n.Space == "" || n.Space == nsXML ||
				ok && strings.Count(pb.decls, " xmlns:"+p+`="`) == 1
			if !declared {
				t.Fatalf("namespace %q of %v: prefix %q, declarations %q", n.Space, n, p, pb.decls)
			}
		}
	})
}

// lockSeeds are LOCK bodies: RFC 4918 §9.10.7's, Windows' and macOS', and
// owners that must be refused; testdata/fuzz/FuzzParseLockInfo holds them
// too.
var lockSeeds = []string{
	`<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D='DAV:'><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>http://example.org/~ejw/contact.html</D:href></D:owner></D:lockinfo>`,
	`<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>WORKGROUP\jane</D:owner></D:lockinfo>`,
	`<lockinfo xmlns="DAV:"><lockscope><exclusive/></lockscope><locktype><write/></locktype><owner><href xmlns:x="urn:x">x:y</href><!-- c --><?pi d?></owner></lockinfo>`,
	`<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><?xml version="1.0"?></D:owner></D:lockinfo>`,
	`<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><!DOCTYPE x></D:owner></D:lockinfo>`,
	"<D:lockinfo xmlns:D=\"DAV:\"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><!-- \x01 --></D:owner></D:lockinfo>",
	`<D:lockinfo xmlns:D="DAV:" xmlns=""><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><a/></D:owner></D:lockinfo>`,
}

// fuzzOwnerLimit is the owner limit FuzzParseLockInfo parses with.
const fuzzOwnerLimit = 512

// FuzzParseLockInfo checks that parseLockInfo never panics, that it
// refuses with 400 only, and that the owner of a body it accepts is within
// the limit and, echoed in a lock discovery, leaves it well-formed XML
// whose owner holds no XML declaration or DOCTYPE (issue 12 item 4).
func FuzzParseLockInfo(f *testing.F) {
	for _, s := range lockSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		info, err := parseLockInfo(body, fuzzOwnerLimit)
		if err != nil {
			if st := statusOf(err); st != http.StatusBadRequest {
				t.Fatalf("error %v has status %d, want 400", err, st)
			}
			return
		}
		if len(info.owner) > fuzzOwnerLimit {
			t.Fatalf("owner of %d bytes accepted", len(info.owner))
		}
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?><D:prop xmlns:D="DAV:"><D:lockdiscovery><D:activelock>`)
		if len(info.owner) > 0 {
			writeOwner(&b, storage.Lock{Owner: info.owner, OwnerNS: info.ownerNS})
		}
		b.WriteString(`</D:activelock></D:lockdiscovery></D:prop>`)
		checkWellFormed(t, b.String())
	})
}

// checkWellFormed fails t unless doc is XML encoding/xml reads to the end
// with no XML declaration but the first and no directive.
func checkWellFormed(t *testing.T, doc string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	for first := true; ; first = false {
		tok, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.ProcInst:
			if !first && strings.EqualFold(tok.Target, "xml") {
				t.Fatalf("XML declaration inside:\n%s", doc)
			}
		case xml.Directive:
			t.Fatalf("directive inside:\n%s", doc)
		}
	}
}

// TestParseLockInfoOwner checks the owner rules of issue 12 item 4: an
// owner PROPPATCH would refuse as a value, one over the limit once its
// namespaces are counted, or a second owner is 400; real owners pass.
func TestParseLockInfoOwner(t *testing.T) {
	t.Parallel()
	lock := func(decls, owner string) []byte {
		return []byte(`<D:lockinfo xmlns:D="DAV:"` + decls + `><D:lockscope><D:exclusive/></D:lockscope>` +
			`<D:locktype><D:write/></D:locktype><D:owner>` + owner + `</D:owner></D:lockinfo>`)
	}
	var many strings.Builder // 100 declarations of 30 bytes around a tiny owner
	for i := range 100 {
		fmt.Fprintf(&many, ` xmlns:p%03d="urn:%s"`, i, strings.Repeat("n", 14))
	}
	tests := []struct {
		name string
		body []byte
		ok   bool
	}{
		{"RFC4918_14.17/href", lock("", `<D:href>mailto:jane@example.org</D:href>`), true},
		{"RFC4918_14.17/text", lock("", `WORKGROUP\jane`), true},
		{"RFC4918_14.17/at_the_limit", lock("", strings.Repeat("a", 1024-len(` xmlns:=""`)-len("D")-len("DAV:"))), true},
		{"Security/over_the_limit", lock("", strings.Repeat("a", 1024)), false},
		{"Security/namespaces_count", lock(many.String(), `x`), false},
		{"Security/xml_declaration", lock("", `<?xml version="1.0"?><D:href>x</D:href>`), false},
		{"Security/doctype", lock("", `<!DOCTYPE x>`), false},
		{"Security/control_character_in_comment", lock("", "<!-- \x01 -->"), false},
		{"RFC4918_14.11/two_owners", lock("", `a</D:owner><D:owner>b`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseLockInfo(tt.body, 1024)
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && statusOf(err) != http.StatusBadRequest {
				t.Fatalf("got %v (status %d), want 400", err, statusOf(err))
			}
		})
	}
}
