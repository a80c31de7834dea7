package proppatch_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/proppatch"
)

// benchBody is shaped like davbench's proppatch scenario: four dead
// properties in one namespace declared on the propertyupdate.
const benchBody = `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:b="urn:x-davbench:"><D:set><D:prop>` +
	`<b:p0>value 0 of client 3 op 1234</b:p0><b:p1>value 1 of client 3 op 1234</b:p1>` +
	`<b:p2>value 2 of client 3 op 1234</b:p2><b:p3>value 3 of client 3 op 1234</b:p3>` +
	`</D:prop></D:set></D:propertyupdate>`

// BenchmarkParse measures the CPU and allocations of parsing one
// PROPPATCH body, for the davbench shape and for the fuzz seeds (litmus,
// RFC 4918 §9.2.2, Windows' Mini-Redirector).
func BenchmarkParse(b *testing.B) {
	b.Run("davbench", func(b *testing.B) { benchParse(b, benchBody) })
	b.Run("seeds", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range fuzzSeeds {
				_, _ = proppatch.Parse(strings.NewReader(s))
			}
		}
	})
}

func benchParse(b *testing.B, body string) {
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := proppatch.Parse(strings.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply measures the engine's own work (check, count, fold,
// result) on a store in memory, so that no store cost hides it.
func BenchmarkApply(b *testing.B) {
	u, err := proppatch.Parse(strings.NewReader(benchBody))
	if err != nil {
		b.Fatal(err)
	}
	e := &proppatch.Engine{Store: newMemStore("/f", nil)}
	b.ReportAllocs()
	for b.Loop() {
		r, err := e.Apply(context.Background(), "/f", u)
		if err != nil || !r.Committed() {
			b.Fatal(err, r)
		}
	}
}

// BenchmarkWriteMultiStatus measures writing the 207 of a committed
// four-property update.
func BenchmarkWriteMultiStatus(b *testing.B) {
	r := &proppatch.Result{}
	for i := range 4 {
		r.Outcomes = append(r.Outcomes, proppatch.Outcome{
			Name: xml.Name{Space: "urn:x-davbench:", Local: fmt.Sprintf("p%d", i)}, Status: 200})
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := r.WriteMultiStatus(io.Discard, "/davbench-1/f0001.bin"); err != nil {
			b.Fatal(err)
		}
	}
}
