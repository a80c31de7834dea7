package localfs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReal: one resource, one Real name, whichever symlinks inside the
// root lead to it; symlinks leading out are refused as the jail refuses
// them, and a name without symlinks comes back as it is.
func TestReal(t *testing.T) {
	t.Parallel()
	f := jailFS(t)
	cases := []struct {
		name       string
		followLast bool
		want       string
		err        error
	}{
		{"/", true, "/", nil},
		{"/in/file", true, "/in/file", nil},
		{"in/./file", true, "/in/file", nil},
		{"/missing/new", true, "/missing/new", nil},
		{"/f/x", true, "/f/x", nil},
		{"/inlink/file", true, "/in/file", nil},
		{"/inlink/file", false, "/in/file", nil},
		{"/inlink/missing/deeper", true, "/in/missing/deeper", nil},
		{"/rel", true, "/in", nil},
		{"/rel", false, "/rel", nil}, // the symlink itself
		{"/rel/file", false, "/in/file", nil},
		{"/filelink", true, "/in/file", nil},
		{"/filelink/x", true, "/in/file/x", nil},
		{"/dangling", true, "/nowhere", nil}, // creating it creates the target
		{"/dangling", false, "/dangling", nil},
		{"/dangling/x", true, "/nowhere/x", nil},
		{"/statelink/x", true, "/.atomdav/x", nil}, // callers check IsHidden
		{"/out", false, "/out", nil},
		{"/out", true, "", ErrOutsideRoot},
		{"/out/secret", true, "", ErrOutsideRoot},
		{"/out/secret", false, "", ErrOutsideRoot},
		{"/outfile", true, "", ErrOutsideRoot},
		{"/up/secret", true, "", ErrOutsideRoot},
		{"/danglout", true, "", ErrOutsideRoot},
		{"/danglup", true, "", ErrOutsideRoot},
		{"/dangldir/x", true, "", ErrOutsideRoot},
		{"/danglroot", true, "", ErrOutsideRoot},
	}
	for _, tt := range cases {
		got, err := f.Real(tt.name, tt.followLast)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("Real(%q, %v) = %q, %v; want %q, %v", tt.name, tt.followLast, got, err, tt.want, tt.err)
		}
	}
}

// TestCopyBeneath: a tree copy for a view follows symlinks that stay in
// the view's root and fails, member by member, those that leave it.
func TestCopyBeneath(t *testing.T) {
	t.Parallel()
	f := jailFS(t)
	root := f.Root()
	for _, l := range [][2]string{{"../f", "tof"}, {"file", "tofile"}, {"..", "up"}} {
		if err := os.Symlink(l[0], filepath.Join(root, "in", l[1])); err != nil {
			t.Fatal(err)
		}
	}
	failed, err := f.CopyBeneath(context.Background(), "/in", "/in2", true, "/in")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"/in/tof", "/in/up"} {
		if !errors.Is(failed[name], ErrOutsideRoot) {
			t.Errorf("CopyBeneath: %s failed with %v, want ErrOutsideRoot", name, failed[name])
		}
	}
	if len(failed) != 2 {
		t.Errorf("CopyBeneath failed %v, want /in/tof and /in/up only", failed)
	}
	if b, err := os.ReadFile(filepath.Join(root, "in2", "tofile")); err != nil || string(b) != "inside" {
		t.Errorf("in2/tofile = %q, %v; want the copy of in/file", b, err)
	}
	for _, name := range []string{"tof", "up"} {
		if _, err := os.Lstat(filepath.Join(root, "in2", name)); err == nil {
			t.Errorf("in2/%s was copied from outside the view", name)
		}
	}
}
