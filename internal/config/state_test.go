package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStateNotServed: a state folder the share would serve, under any
// alias, is refused with one line; the default and folders outside the
// root are accepted.
func TestStateNotServed(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(root, "sub"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(name, target string) string {
		p := filepath.Join(base, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rootLink := link("rootlink", root)
	subLink := link("sublink", filepath.Join(root, "sub"))
	dangling := link("dangling", filepath.Join(base, "nothing"))
	tests := []struct {
		name, state string
		want        string // "" accepted, else a substring of the error
	}{
		{"the root", root, "is the served folder"},
		{"root/sub/..", filepath.Join(root, "sub") + "/..", "is the served folder"},
		{"a symlink to the root", rootLink, "(really " + root + ") is the served folder"},
		{"a folder in the root", filepath.Join(root, "sub"), "is inside the served folder"},
		{"a new folder in the root", filepath.Join(root, "state"), "is inside the served folder"},
		{"a new folder deep in the root", filepath.Join(root, "a", "b"), "is inside the served folder"},
		{"inside the default folder", filepath.Join(root, StateFolder, "x"), "is inside the served folder"},
		{"a symlink into the root", subLink, "is inside the served folder"},
		{"below a symlink into the root", filepath.Join(subLink, "new"), "is inside the served folder"},
		{"a dangling symlink", dangling, "symlink to nothing"},
		{"default", "", ""},
		{"the default, named", filepath.Join(root, StateFolder), ""},
		{"the default through a symlink to the root", filepath.Join(rootLink, StateFolder), ""},
		{"outside", outside, ""},
		{"new, outside", filepath.Join(outside, "a", "b"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Config{Root: root, State: tt.state}
			err := c.ValidatePaths()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ValidatePaths() = %v, want it accepted", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), "state: ") || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("ValidatePaths() = %v, want a state: error containing %q", err, tt.want)
			}
		})
	}
}

// TestStateNotServedRootLink: serving the root through a symlink changes
// nothing: the state folder is compared by real paths.
func TestStateNotServedRootLink(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	rootLink := filepath.Join(base, "rootlink")
	if err := os.Symlink(root, rootLink); err != nil {
		t.Fatal(err)
	}
	c := Config{Root: rootLink, State: root}
	if err := c.ValidatePaths(); err == nil || !strings.Contains(err.Error(), "is the served folder") {
		t.Fatalf("ValidatePaths() = %v, want the state folder refused", err)
	}
	c = Config{Root: rootLink}
	if err := c.ValidatePaths(); err != nil {
		t.Fatalf("default state under a symlinked root: %v", err)
	}
}
