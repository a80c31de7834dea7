package dav

import "testing"

// TestCheckOwnerRemembersOnlyPasses checks that an owner refused once is
// refused again, that a passed owner still passes, and that the memo's key
// keeps the namespace bindings apart from the owner: the same owner text
// under another binding is checked on its own.
func TestCheckOwnerRemembersOnlyPasses(t *testing.T) {
	good := []byte(`<x:href>me</x:href>`)
	for range 2 {
		if err := checkOwner(good, map[string]string{"x": "urn:a"}, 1024); err != nil {
			t.Fatalf("good owner refused: %v", err)
		}
		if err := checkOwner(good, nil, 1024); err == nil {
			t.Fatal("owner with an undeclared prefix passed")
		}
		if err := checkOwner([]byte(`<?xml version="1.0"?><a/>`), nil, 1024); err == nil {
			t.Fatal("owner with an XML declaration passed")
		}
	}
	if fragmentKey([]byte("b"), map[string]string{"a": ""}) == fragmentKey([]byte(""), map[string]string{"a": "b"}) {
		t.Fatal("two different owners share a key")
	}
}
