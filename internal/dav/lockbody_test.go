package dav

import (
	"fmt"
	"reflect"
	"testing"
)

const lockBodyOwner = `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>%s</D:href></D:owner></D:lockinfo>`

// TestLockInfoCache: a body seen before gives the parse it gave (the same
// one), a body is checked again under another owner limit, and neither a
// refused body nor more than maxCachedBodies bodies are kept.
func TestLockInfoCache(t *testing.T) {
	c := &lockInfoCache{}
	body := []byte(fmt.Sprintf(lockBodyOwner, "alice"))
	first, err := c.parse(body, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := parseLockInfo(body, 1000)
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("parse = %+v, parseLockInfo %+v", first, want)
	}
	if again, err := c.parse(body, 1000); err != nil || again != first {
		t.Fatalf("second parse: %p, %v; want the first, %p", again, err, first)
	}
	if _, err := c.parse(body, 10); err == nil {
		t.Fatal("an owner over a smaller limit was accepted from the cache")
	}
	bad := []byte(`<D:lockinfo xmlns:D="DAV:"><D:lockscope/></D:lockinfo>`)
	if _, err := c.parse(bad, 1000); err == nil {
		t.Fatal("a lockinfo without scope was accepted")
	}
	if _, ok := c.m[lockBodyKey{string(bad), 1000}]; ok {
		t.Fatal("a refused body was kept")
	}
	for i := range maxCachedBodies + 10 {
		if _, err := c.parse([]byte(fmt.Sprintf(lockBodyOwner, fmt.Sprint("u", i))), 1000); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.m) > maxCachedBodies {
		t.Fatalf("%d bodies kept, more than %d", len(c.m), maxCachedBodies)
	}
}
