package proppatch_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/atomdav/atomdav/proppatch"
)

// fuzzSeeds are real PROPPATCH bodies: the RFC 4918 §9.2.2 example, ones
// shaped like litmus' props suite, and Windows' Mini-Redirector's.
var fuzzSeeds = []string{
	`<?xml version="1.0" encoding="utf-8" ?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://ns.example.com/standards/z39.50/">
  <D:set><D:prop><Z:Authors><Z:Author>Jim Whitehead</Z:Author><Z:Author>Roy Fielding</Z:Author></Z:Authors></D:prop></D:set>
  <D:remove><D:prop><Z:Copyright-Owner/></D:prop></D:remove>
</D:propertyupdate>`,
	`<?xml version="1.0" encoding="utf-8"?>
<propertyupdate xmlns="DAV:"><set><prop><prop0 xmlns="http://example.com/neon/litmus/">value0</prop0><prop1 xmlns="http://example.com/neon/litmus/">value1</prop1></prop></set></propertyupdate>`,
	`<?xml version="1.0" encoding="utf-8"?>
<propertyupdate xmlns="DAV:"><remove><prop><prop0 xmlns="http://example.com/neon/litmus/"/></prop></remove><set><prop><prop1 xmlns="http://example.com/neon/litmus/">value1-b</prop1></prop></set></propertyupdate>`,
	`<?xml version="1.0" encoding="utf-8"?>
<propertyupdate xmlns="DAV:"><set><prop><somename xmlns="http://example.com/alpha"><foo:bar xmlns:foo="http://example.com/beta">some value</foo:bar><foo:baz xmlns:foo="http://example.com/gamma" foo:attr="1"/></somename></prop></set></propertyupdate>`,
	`<?xml version="1.0" encoding="utf-8"?>
<propertyupdate xmlns="DAV:"><set><prop><high-unicode xmlns="http://example.com/neon/litmus/">` + "\U00010348" + `</high-unicode></prop></set></propertyupdate>`,
	`<?xml version="1.0" encoding="utf-8"?>
<propertyupdate xmlns="DAV:"><set><prop><nonamespace xmlns="">randomness</nonamespace></prop></set></propertyupdate>`,
	`<?xml version="1.0" encoding="utf-8"?>
<propertyupdate xmlns="DAV:" xml:lang="en"><set xml:lang="fr"><prop xml:lang="de"><valnspace xmlns="http://example.com/neon/litmus/"><foo xmlns="http://bar">&amp;&lt;&gt;</foo></valnspace></prop></set></propertyupdate>`,
	`<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32CreationTime>Wed, 20 Jan 2021 10:00:00 GMT</Z:Win32CreationTime><Z:Win32LastAccessTime>Wed, 20 Jan 2021 10:00:00 GMT</Z:Win32LastAccessTime><Z:Win32LastModifiedTime>Wed, 20 Jan 2021 10:00:00 GMT</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Q:x <![CDATA[<raw> & ]]]]><![CDATA[>]]></D:displayname><D:getetag/></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns="urn:d"><D:set><D:prop xmlns:p="urn:p"><a p:x="&quot;&#9;&#10;&#13;"><b xmlns=""><!-- c --><?pi data?></b></a></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><Z:a xmlns:p=""/></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><q:a/></D:prop></D:set></D:propertyupdate>`,
	`<?xml version="1.0" encoding="ISO-8859-1"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><a xmlns="urn:x">caf` + "\xe9" + `</a></D:prop></D:set></D:propertyupdate>`,
}

// FuzzParse checks that Parse never panics, that every error is an *Error
// with a 4xx status, and that every value it accepts re-parses with
// encoding/xml as one standalone element named as the instruction says.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := proppatch.Parse(bytes.NewReader(body))
		if err != nil {
			var pe *proppatch.Error
			if !errors.As(err, &pe) || pe.Status < 400 || pe.Status >= 500 {
				t.Fatalf("error %v (%T) is not a 4xx *Error", err, err)
			}
			return
		}
		if len(u.Instructions) == 0 {
			t.Fatal("Parse succeeded without instructions")
		}
		for _, in := range u.Instructions {
			if in.Remove {
				continue
			}
			if err := checkValue(in.Value, in.Name); err != nil {
				t.Fatal(err)
			}
			// A value must also be accepted back by Parse inside a body.
			again := []byte(`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` + string(in.Value) + `</D:prop></D:set></D:propertyupdate>`)
			u2, err := proppatch.Parse(bytes.NewReader(again))
			if err != nil {
				t.Fatalf("stored value %q does not parse back: %v", in.Value, err)
			}
			if got := u2.Instructions[0].Name; got != in.Name {
				t.Fatalf("stored value %q parses back as %v, want %v", in.Value, got, in.Name)
			}
		}
	})
}
