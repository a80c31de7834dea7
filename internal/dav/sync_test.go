package dav

import (
	"errors"
	"testing"
)

// TestResumeAt checks where a later page of an initial sync picks up:
// after the last member answered, in depth-first name order.
func TestResumeAt(t *testing.T) {
	for _, tt := range []struct {
		child, resume     string
		descendOnly, skip bool
	}{
		{"/a", "", false, false},
		{"/a", "/b", false, true},       // a sibling before it
		{"/c", "/b", false, false},      // a sibling after it
		{"/b", "/b", true, false},       // answered; its members were not
		{"/b", "/b/x/y", true, false},   // an ancestor of it
		{"/b/w", "/b/x/y", false, true}, // before it, inside an ancestor
		{"/b/z", "/b/x/y", false, false},
		{"/b/x/y/z", "/b/x/y", false, false}, // below it: after it
		{"/a b", "/a", false, false},         // "/a b" follows "/a" and its members
	} {
		d, s := resumeAt(tt.child, tt.resume)
		if d != tt.descendOnly || s != tt.skip {
			t.Errorf("resumeAt(%q, %q) = %v, %v; want %v, %v", tt.child, tt.resume, d, s, tt.descendOnly, tt.skip)
		}
	}
}

// TestParseToken checks that a sync-token names this journal and a point,
// and, for a page of an initial sync, a member of the folder asked for;
// anything else is valid-sync-token (RFC 6578 §3.2).
func TestParseToken(t *testing.T) {
	const id = "00ff00ff00ff00ff"
	good := formatToken(id, syncToken{seq: 42, resume: "/d/x"})
	if got, err := parseToken(good, id, "/d"); err != nil || got.seq != 42 || got.resume != "/d/x" {
		t.Errorf("parseToken(%q) = %+v, %v", good, got, err)
	}
	for _, bad := range []struct{ tok, dir string }{
		{good, "/e"},   // a page of another folder's sync
		{good, "/d/x"}, // the folder itself is no member
		{formatToken("0", syncToken{seq: 1}), "/"},
		{tokenPrefix + id + ":042", "/"}, // not as we write it
		{tokenPrefix + id + ":-1", "/"},
		{tokenPrefix + id + ":1:zz", "/"},
		{tokenPrefix + id, "/"},
		{"", "/"},
	} {
		_, err := parseToken(bad.tok, id, bad.dir)
		var de *Error
		if !errors.As(err, &de) || de.Condition != "valid-sync-token" {
			t.Errorf("parseToken(%q) in %s: %v, want valid-sync-token", bad.tok, bad.dir, err)
		}
	}
}
