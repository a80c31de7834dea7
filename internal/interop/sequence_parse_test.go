package interop

import (
	"encoding/xml"
	"strings"
	"testing"
)

// TestParseSequence checks the reader of testdata/clients/*.txt: what a
// well-formed block becomes, and that mistakes in a file are reported
// with their line instead of replaying something else.
func TestParseSequence(t *testing.T) {
	t.Parallel()
	good := `# comment
### Windows LOCK
> LOCK /a%20b.txt
> Timeout: Second-3600
> Content-Type: text/xml
>
> <D:lockinfo xmlns:D="DAV:"/>
< 200
< set token = header Lock-Token ~ ^<(.+)>$
< Timeout: Second-3600
< DAV ~ 2
< !Location
< prop {DAV:}lockdiscovery has {DAV:}activelock
< prop @/a%20b.txt {DAV:}getetag ~ ^"
< prop {urn:schemas-microsoft-com:}Win32FileAttributes 424
< element {DAV:}owner
< !href /x
< body empty

### RFC 9112 §7.1 chunked PUT with no Content-Length
> PUT /{{name}}
> Transfer-Encoding: chunked
>
> line
< 201
`
	seq, err := parseSequence("good.txt", strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(seq.exchanges) != 2 {
		t.Fatalf("%d exchanges, want 2", len(seq.exchanges))
	}
	lock := seq.exchanges[0]
	if lock.method != "LOCK" || lock.target != "/a%20b.txt" || lock.body != "<D:lockinfo xmlns:D=\"DAV:\"/>\n" || lock.status != 200 {
		t.Errorf("LOCK block: %+v", lock)
	}
	if len(lock.headers) != 2 || lock.headers[0] != [2]string{"Timeout", "Second-3600"} {
		t.Errorf("LOCK headers: %v", lock.headers)
	}
	kinds := []checkKind{checkCapture, checkHeader, checkHeader, checkHeader, checkProp, checkProp, checkProp, checkElement, checkHref, checkBody}
	if len(lock.checks) != len(kinds) {
		t.Fatalf("%d checks, want %d: %+v", len(lock.checks), len(kinds), lock.checks)
	}
	for i, k := range kinds {
		if lock.checks[i].kind != k {
			t.Errorf("check %d: kind %d, want %d", i, lock.checks[i].kind, k)
		}
	}
	if c := lock.checks[6]; c.prop != (xml.Name{Space: "urn:schemas-microsoft-com:", Local: "Win32FileAttributes"}) || c.op != "status" || c.value != "424" {
		t.Errorf("prop status check: %+v", c)
	}
	if c := lock.checks[5]; c.href != "/a%20b.txt" {
		t.Errorf("prop @href: %+v", c)
	}
	if !seq.exchanges[1].chunked() {
		t.Errorf("the PUT is not chunked")
	}
	if seq.user != "" {
		t.Errorf("a file without @user replays as %q", seq.user)
	}
	neg, err := parseCheck(`ETag !~ ^"old"$`)
	if err != nil || neg.kind != checkHeader || neg.name != "ETag" || neg.op != "!~" || neg.value != `^"old"$` {
		t.Errorf("header !~ check: %+v, %v", neg, err)
	}
	seq, err = parseSequence("user.txt", strings.NewReader("# logged in\n@user alice s3cret\n### t\n> GET /\n< 200\n"))
	if err != nil || seq.user != "alice" || seq.password != "s3cret" {
		t.Errorf("@user line: %+v, %v", seq, err)
	}

	bad := []struct {
		name, text, want string
	}{
		{"request before any ###", "> GET /\n< 200\n", "before the first ###"},
		{"no title", "###\n> GET /\n< 200\n", "no title"},
		{"no status", "### t\n> GET /\n", "no expected status"},
		{"no request", "### t\n< 200\n", "expectation before the request"},
		{"target is not a path", "### t\n> GET x\n< 200\n", "request line"},
		{"missing space after >", "### t\n>GET /\n< 200\n", `start with "> "`},
		{"first < line is not a status", "### t\n> GET /\n< DAV: 1\n", "the status"},
		{"RFC 9110 §8.6 Content-Length must match the body", "### t\n> PUT /x\n> Content-Length: 3\n>\n> hello\n< 201\n", "Content-Length 3"},
		{"RFC 9112 §6.1 not both chunked and Content-Length", "### t\n> PUT /x\n> Content-Length: 2\n> Transfer-Encoding: chunked\n>\n> x\n< 201\n", "both"},
		{"property name in Clark notation", "### t\n> GET /\n< 207\n< prop DAV:getetag 200\n", "{NAMESPACE}LOCAL"},
		{"unknown expectation", "### t\n> GET /\n< 200\n< frobnicate\n", "unknown expectation"},
		{"request after the status", "### t\n> GET /\n< 200\n> X: y\n", "after the expected status"},
		{"stray line", "### t\nGET /\n", "a line starts with"},
		{"empty file", "# nothing\n", "no exchange"},
		{"@user inside an exchange", "### t\n@user a b\n> GET /\n< 200\n", "before the first ###"},
		{"@user without a password", "@user a\n### t\n> GET /\n< 200\n", "@user NAME PASSWORD"},
		{"two @user lines", "@user a b\n@user c d\n### t\n> GET /\n< 200\n", "a second @user"},
		{"unknown directive", "@anonymous\n### t\n> GET /\n< 200\n", "unknown directive"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseSequence("bad.txt", strings.NewReader(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestExpand checks placeholder substitution (README: Placeholders).
func TestExpand(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"token": "urn:uuid:1.2", "host": "127.0.0.1:80"}
	cases := []struct {
		name, in string
		quote    bool
		want     string
		err      bool
	}{
		{"Windows If header", "(<{{token}}>)", false, "(<urn:uuid:1.2>)", false},
		{"davfs2 tagged If header", "<http://{{host}}/x> (<{{token}}>)", false, "<http://127.0.0.1:80/x> (<urn:uuid:1.2>)", false},
		{"regexp quoting", "^{{token}}$", true, `^urn:uuid:1\.2$`, false},
		{"unknown name", "{{etag}}", false, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := expand(tc.in, vars, tc.quote)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("expand(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}
