package bench

import (
	"errors"
	"testing"
)

func TestCheckAllOK(t *testing.T) {
	const ok = `<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:"><D:response><D:href>/a</D:href>
<D:propstat><D:prop><b:p0 xmlns:b="urn:x"/></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
</D:response></D:multistatus>`
	tests := []struct {
		name  string
		body  string
		count int
		want  error
	}{
		{"RFC 4918 §9.2.2 all 200", ok, 1, nil},
		{"default namespace, two propstats",
			`<multistatus xmlns="DAV:"><response><href>/a</href>
<propstat><prop><x xmlns="urn:x"/></prop><status>HTTP/1.1 200 OK</status></propstat>
<propstat><prop><y xmlns="urn:x"/></prop><status> HTTP/1.1 200 OK </status></propstat></response></multistatus>`, 2, nil},
		{"RFC 4918 §9.2.1 a 424 fails the request",
			`<D:multistatus xmlns:D="DAV:"><D:response><D:href>/a</D:href>
<D:propstat><D:prop><D:getetag/></D:prop><D:status>HTTP/1.1 403 Forbidden</D:status></D:propstat>
<D:propstat><D:prop><b:p xmlns:b="urn:x"/></D:prop><D:status>HTTP/1.1 424 Failed Dependency</D:status></D:propstat>
</D:response></D:multistatus>`, 1, ErrPropstat},
		{"a response-level 404",
			`<D:multistatus xmlns:D="DAV:"><D:response><D:href>/a</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response></D:multistatus>`, 0, ErrPropstat},
		{"no propstat", `<D:multistatus xmlns:D="DAV:"></D:multistatus>`, 0, ErrPropstat},
		{"a status in another namespace is not DAV:status",
			`<D:multistatus xmlns:D="DAV:" xmlns:x="urn:x"><D:response><D:href>/a</D:href>
<D:propstat><D:prop><x:status>HTTP/1.1 500 Oops</x:status></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
</D:response></D:multistatus>`, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, ok := quickAllOK([]byte(tt.body)); ok {
				if dn, err := decodeAllOK([]byte(tt.body)); err != nil || dn != n {
					t.Errorf("the byte scan accepted %d propstats, the decoder says %d, %v", n, dn, err)
				}
			}
			n, err := checkAllOK([]byte(tt.body))
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("checkAllOK = %v, want %v", err, tt.want)
			}
			if tt.want == nil && n != tt.count {
				t.Errorf("checkAllOK counted %d propstats, want %d", n, tt.count)
			}
		})
	}
	if _, err := checkAllOK([]byte(`<D:multistatus xmlns:D="DAV:"><D:response>`)); err == nil {
		t.Error("checkAllOK accepted truncated XML")
	}
}

func TestCountClosing(t *testing.T) {
	tests := []struct {
		name, body string
		want       int
	}{
		{"prefixed, with attributes on the start tag", `<D:multistatus xmlns:D="DAV:"><D:response xmlns:lp1="DAV:"><D:href>/</D:href></D:response><D:response><D:href>/a</D:href></D:response></D:multistatus>`, 2},
		{"default namespace", `<multistatus xmlns="DAV:"><response></response><response></response><response></response></multistatus>`, 3},
		{"responsedescription is not a response", `<D:multistatus xmlns:D="DAV:"><D:response></D:response><D:responsedescription>x</D:responsedescription></D:multistatus>`, 1},
		{"a longer name ending in response", `<x:myresponse></x:myresponse><a:response></a:response>`, 1},
		{"none", `<D:multistatus xmlns:D="DAV:"/>`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := countClosing([]byte(tt.body), "response"); got != tt.want {
				t.Errorf("countClosing = %d, want %d", got, tt.want)
			}
		})
	}
}

// BenchmarkCheckAllOK compares the byte scan with the decoder on a
// propfind-dead answer.
func BenchmarkCheckAllOK(b *testing.B) {
	body := []byte(`<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:"><D:response><D:href>/davbench/f000001.dat</D:href>
<D:propstat><D:prop><b:p0 xmlns:b="urn:davbench">value 0</b:p0><b:p1 xmlns:b="urn:davbench">value 1</b:p1><b:p2 xmlns:b="urn:davbench">value 2</b:p2><b:p3 xmlns:b="urn:davbench">value 3</b:p3></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
</D:response></D:multistatus>`)
	for _, c := range []struct {
		name string
		fn   func([]byte) (int, error)
	}{{"scan", checkAllOK}, {"decode", decodeAllOK}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.fn(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
