package interop

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// needFUSEMount skips unless this machine can mount davfs2: the package
// installed, /dev/fuse usable and root (mount.davfs refuses other users
// without an fstab entry). It skips even with CI=true: FUSE is a property
// of the machine (a container may have no /dev/fuse), not of the package
// list, and the recorded davfs2 sequence runs everywhere.
func needFUSEMount(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("mount.davfs")
	if err != nil {
		t.Skip("mount.davfs is not on PATH: install the Debian package \"davfs2\" to mount the share for real " +
			"(skipped even with CI=true: FUSE mounting is a machine property; testdata/clients/davfs2.txt covers davfs2's requests)")
	}
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("/dev/fuse is not usable here (%v): this machine cannot mount FUSE file systems, so davfs2 is not run "+
			"(skipped even with CI=true: FUSE is a machine property, not a package)", err)
	}
	f.Close()
	if os.Geteuid() != 0 {
		t.Skip("mount.davfs needs root here (or an fstab entry): davfs2 is not run " +
			"(skipped even with CI=true: mounting is a machine property)")
	}
	return bin
}

// publicTempDir makes a folder the davfs2 daemon user can reach (t.TempDir
// is 0700 on the way down) and removes it at cleanup.
func publicTempDir(t *testing.T, pattern string, mode os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestDavfs2 mounts the share with davfs2 (locks on, uploads on close)
// and uses it as a file system: create, append, mkdir, rename, chmod +x,
// read, delete. It then unmounts, which flushes davfs2's cache, and checks
// the server's side.
func TestDavfs2(t *testing.T) {
	t.Parallel()
	bin := needFUSEMount(t)
	s := startServer(t)
	if r := s.do(t, "MKCOL", "/mnt", ""); r.Status != http.StatusCreated {
		t.Fatalf("MKCOL /mnt: %s", r)
	}
	mnt := publicTempDir(t, "atomdav-davfs2-mnt-", 0o755)
	cache := publicTempDir(t, "atomdav-davfs2-cache-", 0o777)
	conf := filepath.Join(t.TempDir(), "davfs2.conf")
	confText := fmt.Sprintf("use_locks 1\nask_auth 0\ndelay_upload 0\ncache_dir %s\n", cache)
	if err := os.WriteFile(conf, []byte(confText), 0o600); err != nil {
		t.Fatal(err)
	}

	mount := exec.Command(bin, "-o", "conf="+conf, s.URL+"/mnt/", mnt)
	if out, err := mount.CombinedOutput(); err != nil {
		t.Fatalf("mount.davfs: %v\n%s", err, out)
	}
	mounted := true
	unmount := func() {
		if !mounted {
			return
		}
		mounted = false
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", mnt, err, out)
		}
	}
	t.Cleanup(unmount)

	at := func(name string) string { return filepath.Join(mnt, filepath.FromSlash(name)) }
	steps := []struct {
		name string
		do   func() error
	}{
		{"create (LOCK of an unmapped URL, PUT with If-Match)", func() error {
			return os.WriteFile(at("notes.txt"), []byte("hello davfs2\n"), 0o644)
		}},
		{"append (LOCK, PUT of the whole file)", func() error {
			f, err := os.OpenFile(at("notes.txt"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			if _, err := f.WriteString("second line\n"); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		}},
		{"mkdir (MKCOL)", func() error { return os.Mkdir(at("sub"), 0o755) }},
		{"empty file (LOCK creates it)", func() error { return os.WriteFile(at("sub/empty"), nil, 0o644) }},
		{"chmod +x (PROPPATCH executable)", func() error { return os.Chmod(at("notes.txt"), 0o755) }},
		{"rename (MOVE)", func() error { return os.Rename(at("notes.txt"), at("sub/renamed.txt")) }},
		{"read back", func() error {
			b, err := os.ReadFile(at("sub/renamed.txt"))
			if err == nil && string(b) != "hello davfs2\nsecond line\n" {
				err = fmt.Errorf("read %q", b)
			}
			return err
		}},
		{"stat (PROPFIND)", func() error {
			fi, err := os.Stat(at("sub/renamed.txt"))
			if err == nil && (fi.Size() != 25 || fi.Mode()&0o100 == 0) {
				err = fmt.Errorf("size %d, mode %v; want 25, executable", fi.Size(), fi.Mode())
			}
			return err
		}},
		{"unlink (DELETE)", func() error { return os.Remove(at("sub/empty")) }},
		{"a second file for the listing", func() error { return os.WriteFile(at("sub/other.txt"), []byte("x\n"), 0o644) }},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
	// davfs2 1.6 with this kernel's FUSE answers readdir with EINVAL
	// whatever the server (rclone serve webdav too): a client limit.
	if entries, err := os.ReadDir(at("sub")); errors.Is(err, syscall.EINVAL) {
		t.Logf("readdir on the davfs2 mount: %v (a davfs2/FUSE limitation on this machine; listing not checked)", err)
	} else if err != nil {
		t.Errorf("readdir: %v", err)
	} else if names := dirNames(entries); names != "other.txt renamed.txt" {
		t.Errorf("readdir: %s, want other.txt renamed.txt", names)
	}

	unmount()
	wantFile(t, s, "mnt/sub/renamed.txt", "hello davfs2\nsecond line\n")
	wantFile(t, s, "mnt/sub/other.txt", "x\n")
	for _, gone := range []string{"mnt/notes.txt", "mnt/sub/empty"} {
		if _, err := os.Stat(filepath.Join(s.Dir, gone)); err == nil {
			t.Errorf("%s still exists on the server", gone)
		}
	}
	r := s.do(t, "PROPFIND", "/mnt/sub/renamed.txt",
		`<D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/><A:executable xmlns:A="http://apache.org/dav/props/"/></D:prop></D:propfind>`, "Depth", "0")
	resps, err := parseMultistatus(r.Body)
	if err != nil {
		t.Fatalf("PROPFIND after unmount: %v\n%s", err, r)
	}
	p := resps[0].props
	if ex, ok := p[xml.Name{Space: "http://apache.org/dav/props/", Local: "executable"}]; !ok || ex.status != http.StatusOK || ex.el.content() != "T" {
		t.Errorf("executable after chmod +x is not 200 T:\n%s", r)
	}
	if strings.Contains(string(r.Body), "activelock") {
		t.Errorf("davfs2 left a lock behind after unmounting:\n%s", r)
	}
}

// dirNames joins the names of a folder listing.
func dirNames(entries []os.DirEntry) string {
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}
