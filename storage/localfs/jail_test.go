package localfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// jailFS is a test FS whose root holds a folder in with a file, a file f,
// and symlinks: inlink → in, rel → in (relative), filelink → in/file,
// out → a folder outside, outfile → a file outside, up → ../outside
// (relative: both are temp dirs of the same test), statelink → the state
// folder, dangling → a missing name inside, danglout, danglrel, dangldir
// and the chain danglup → dangling2 → out/new → names missing outside.
func jailFS(t *testing.T) *FS {
	t.Helper()
	f := newTestFS(t)
	root := f.Root()
	outside := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600))
	must(os.Mkdir(filepath.Join(outside, "sub"), 0o755))
	must(os.Mkdir(filepath.Join(root, "in"), 0o755))
	must(os.WriteFile(filepath.Join(root, "in", "file"), []byte("inside"), 0o644))
	must(os.WriteFile(filepath.Join(root, "f"), []byte("f"), 0o644))
	for link, target := range map[string]string{
		"inlink":    filepath.Join(root, "in"),
		"rel":       "in",
		"filelink":  filepath.Join(root, "in", "file"),
		"out":       outside,
		"outfile":   filepath.Join(outside, "secret"),
		"up":        filepath.Join("..", filepath.Base(outside)),
		"statelink": filepath.Join(root, ".atomdav"),
		"dangling":  filepath.Join(root, "nowhere"),
		"danglout":  filepath.Join(outside, "nowhere"),
		"danglrel":  filepath.Join("..", filepath.Base(outside), "nowhere"),
		"dangldir":  filepath.Join(outside, "gone", "deeper"),
		"danglup":   "dangling2",
		"danglroot": "/no-such-top-level-folder/x",
		"dangling2": filepath.Join("in", "..", "out", "new"),
	} {
		must(os.Symlink(target, filepath.Join(root, link)))
	}
	return f
}

var jailCases = []struct {
	name string
	want error
}{
	{"/", nil},
	{"/../../etc/passwd", nil}, // cleaned to /etc/passwd inside the root
	{"/f", nil},
	{"/in", nil},
	{"/in/file", nil},
	{"/in/new", nil},                // absent under an existing folder
	{"/in/a/b/c", nil},              // several levels absent
	{"/missing/new", nil},           // absent at the first level
	{"/inlink", nil},                // symlink inside the root
	{"/inlink/file", nil},           // through a symlinked folder inside
	{"/inlink/new", nil},            // absent through a symlinked folder inside
	{"/rel/file", nil},              // relative symlink inside
	{"/filelink", nil},              // symlink to a file inside
	{"/dangling", nil},              // dangling symlink to a name inside
	{"/dangling/x", nil},            // absent below it
	{"/danglout", ErrOutsideRoot},   // dangling symlink to a name outside: creating it would create that
	{"/danglrel", ErrOutsideRoot},   // the same, relative
	{"/dangldir/x", ErrOutsideRoot}, // below a dangling symlink to a missing folder outside
	{"/danglup", ErrOutsideRoot},    // a chain of dangling symlinks ending outside
	{"/danglroot", ErrOutsideRoot},  // to a missing folder at the top, a shorter path than the root
	{"/out", ErrOutsideRoot},        // symlinked folder outside
	{"/out/secret", ErrOutsideRoot},
	{"/out/new", ErrOutsideRoot},
	{"/out/sub/new", ErrOutsideRoot},
	{"/out/a/b", ErrOutsideRoot},
	{"/outfile", ErrOutsideRoot}, // symlinked file outside
	{"/up/secret", ErrOutsideRoot},
	{"/statelink", ErrHidden},
	{"/statelink/state.db", ErrHidden},
	{"/statelink/new", ErrHidden},
	{"/.atomdav", ErrHidden},
	{"/.atomdav/state.db", ErrHidden},
	{"/in/" + TempPrefix + "x", ErrHidden},
	{"/f/x", syscall.ENOTDIR}, // a file used as a folder
	{"/f/x/y", syscall.ENOTDIR},
	{"/filelink/x", syscall.ENOTDIR},
	{"/a\x00b", fs.ErrInvalid},
}

// TestResolveJail: DESIGN §6, the root is a jail; the state folder is
// hidden (DESIGN §5), also through a symlink.
func TestResolveJail(t *testing.T) {
	t.Parallel()
	f := jailFS(t)
	for _, tt := range jailCases {
		t.Run(tt.name, func(t *testing.T) {
			local, err := f.Resolve(tt.name)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Resolve(%q) = %q, %v; want %v", tt.name, local, err, tt.want)
			}
			if err == nil && local != f.Root() && !strings.HasPrefix(local, f.Root()+string(filepath.Separator)) {
				t.Fatalf("Resolve(%q) = %q, outside %q", tt.name, local, f.Root())
			}
		})
	}
}

// TestBelowFileIsAbsent: a name below a file does not exist (RFC 4918
// §9.7.1: PUT there is 409, GET 404), whichever way it is reached.
func TestBelowFileIsAbsent(t *testing.T) {
	t.Parallel()
	f := jailFS(t)
	for _, name := range []string{"/f/x", "/f/x/y", "/filelink/x"} {
		if _, err := f.Resolve(name); !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("Resolve(%q): %v, want ErrNotDir", name, err)
		}
		if _, err := f.Stat(context.Background(), name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q): %v, want fs.ErrNotExist", name, err)
		}
		if file, err := f.Open(name); !errors.Is(err, fs.ErrNotExist) {
			if file != nil {
				file.Close()
			}
			t.Errorf("Open(%q): %v, want fs.ErrNotExist", name, err)
		}
	}
}

// TestResolveAgreesWithEvalSymlinks: the walk refuses and allows exactly
// what the full EvalSymlinks check does.
func TestResolveAgreesWithEvalSymlinks(t *testing.T) {
	t.Parallel()
	f := jailFS(t)
	for _, tt := range jailCases {
		clean := path.Clean("/" + tt.name)
		if strings.Contains(clean, "\x00") || f.IsHidden(clean) {
			continue // refused by name before any lookup
		}
		local := filepath.Join(f.Root(), filepath.FromSlash(clean))
		_, walkErr := f.walk(local)
		fullErr := f.checkInside(local)
		if !errors.Is(walkErr, fullErr) && !errors.Is(fullErr, walkErr) {
			t.Errorf("%s: walk says %v, EvalSymlinks check says %v", tt.name, walkErr, fullErr)
		}
	}
}

// TestStatMatchesOS: Stat reuses the walk's Lstat only where it equals
// os.Stat, and reports absent names as fs.ErrNotExist.
func TestStatMatchesOS(t *testing.T) {
	t.Parallel()
	f := jailFS(t)
	for _, tt := range jailCases {
		if tt.want != nil {
			if _, err := f.Stat(context.Background(), tt.name); !errors.Is(err, tt.want) {
				t.Errorf("Stat(%q): %v, want %v", tt.name, err, tt.want)
			}
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Stat(context.Background(), tt.name)
			local, _ := f.Resolve(tt.name)
			want, wantErr := os.Stat(local)
			if wantErr != nil {
				if !errors.Is(err, fs.ErrNotExist) || !errors.Is(wantErr, fs.ErrNotExist) {
					t.Fatalf("Stat(%q): %v; os.Stat: %v", tt.name, err, wantErr)
				}
				return
			}
			if err != nil || !os.SameFile(got, want) || got.Mode() != want.Mode() || got.Size() != want.Size() || got.Name() != want.Name() {
				t.Fatalf("Stat(%q) = %v, %v; os.Stat = %v", tt.name, got, err, want)
			}
		})
	}
}

// TestUploadThroughJail: NewUpload learns from the walk whether the target
// is a collection and its parent exists, with or without symlinks.
func TestUploadThroughJail(t *testing.T) {
	t.Parallel()
	f := jailFS(t)
	for _, tt := range []struct {
		name string
		want error
	}{
		{"/f", nil},
		{"/in/new", nil},
		{"/inlink/new", nil},
		{"/filelink", nil},
		{"/", ErrIsDir},
		{"/in", ErrIsDir},
		{"/inlink", ErrIsDir},
		{"/missing/new", fs.ErrNotExist},
		{"/inlink/missing/new", fs.ErrNotExist},
		{"/f/x", syscall.ENOTDIR},
		{"/out/new", ErrOutsideRoot},
		{"/statelink/new", ErrHidden},
	} {
		up, err := f.NewUpload(tt.name)
		if !errors.Is(err, tt.want) {
			t.Errorf("NewUpload(%q): %v, want %v", tt.name, err, tt.want)
		}
		if err == nil {
			up.Abort()
		}
	}
}

// TestResolveRootThroughSymlink: a root named through a symlink is
// evaluated once, and names below it resolve inside it.
func TestResolveRootThroughSymlink(t *testing.T) {
	t.Parallel()
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(real, "f"), nil, 0o644)
	f, err := New(link, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"/", "/f", "/new", "/a/b"} {
		local, err := f.Resolve(name)
		if err != nil || !strings.HasPrefix(local, f.Root()) {
			t.Errorf("Resolve(%q) = %q, %v", name, local, err)
		}
	}
}

// TestOpenJail: Open, which lets the kernel refuse symlinks, allows and
// refuses exactly what Resolve does, and opens the same file.
func TestOpenJail(t *testing.T) {
	t.Parallel()
	f := jailFS(t)
	for _, tt := range jailCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Open(tt.name)
			want, wantErr := f.openResolved(tt.name)
			if (err == nil) != (wantErr == nil) || err != nil && !errors.Is(err, tt.want) && !sameErrno(err, wantErr) {
				t.Fatalf("Open(%q): %v; Resolve then os.Open: %v", tt.name, err, wantErr)
			}
			if err != nil {
				return
			}
			defer got.Close()
			defer want.Close()
			gfi, err1 := got.Stat()
			wfi, err2 := want.Stat()
			if err1 != nil || err2 != nil || !os.SameFile(gfi, wfi) {
				t.Fatalf("Open(%q) opened %v, want %v (%v, %v)", tt.name, gfi, wfi, err1, err2)
			}
		})
	}
	if _, decided, _ := openNoSymlinks(filepath.Join(f.Root(), "f")); !decided && runtime.GOOS == "linux" && !noOpenat2.Load() {
		t.Errorf("a name without symlinks went to the full check")
	}
	if _, decided, _ := openNoSymlinks(filepath.Join(f.Root(), "inlink", "file")); decided {
		t.Errorf("a name through a symlink was opened without the full check")
	}
}

// sameErrno reports whether a and b carry the same errno.
func sameErrno(a, b error) bool {
	var ea, eb syscall.Errno
	return errors.As(a, &ea) && errors.As(b, &eb) && ea == eb
}

// TestLocalNameIsJoin: the local path is filepath.Join of the root and
// the cleaned name, for the root "/" too.
func TestLocalNameIsJoin(t *testing.T) {
	t.Parallel()
	for _, root := range []string{"/", "/srv", "/srv/dav"} {
		f := &FS{root: root}
		for _, name := range []string{"", "/", "a", "/a", "/a/b/", "//a//b", "/a/../../b", "/./a/.", "/.."} {
			want := filepath.Join(root, filepath.FromSlash(path.Clean("/"+name)))
			if got, err := f.localName(name); err != nil || got != want {
				t.Errorf("root %s: localName(%q) = %q, %v; want %q", root, name, got, err, want)
			}
		}
	}
}
