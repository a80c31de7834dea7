package localfs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOpenRealRawFile: on Linux OpenReal gives a bare-descriptor file
// that reads, seeks and stats as *os.File does, hands its descriptor to
// sendfile (syscall.Conn), and refuses every use once closed, when its
// number may name another file.
func TestOpenRealRawFile(t *testing.T) {
	t.Parallel()
	f := jailFS(t)
	want, err := os.ReadFile(filepath.Join(f.Root(), "in", "file"))
	if err != nil {
		t.Fatal(err)
	}
	file, real, err := f.OpenReal("/in/file")
	if err != nil {
		t.Fatal(err)
	}
	if real != "/in/file" {
		t.Errorf("Real name %q", real)
	}
	if _, ok := file.(*rawFile); !ok && !noOpenat2.Load() {
		t.Fatalf("OpenReal gave a %T, want a *rawFile", file)
	}
	got, err := io.ReadAll(file)
	if err != nil || string(got) != string(want) {
		t.Fatalf("read %q, %v; want %q", got, err, want)
	}
	if off, err := file.Seek(1, io.SeekStart); off != 1 || err != nil {
		t.Fatalf("Seek = %d, %v", off, err)
	}
	rest, _ := io.ReadAll(file)
	if string(rest) != string(want[1:]) {
		t.Errorf("after Seek(1) read %q, want %q", rest, want[1:])
	}
	fi, err := file.Stat()
	if err != nil || fi.Name() != "file" || fi.Size() != int64(len(want)) || !fi.Mode().IsRegular() {
		t.Errorf("Stat = %v, %v", fi, err)
	}
	sc, ok := file.(syscall.Conn)
	if !ok {
		t.Fatal("no SyscallConn: net/http would not use sendfile")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd uintptr
	if err := rc.Read(func(d uintptr) bool { fd = d; return true }); err != nil || fd == 0 {
		t.Errorf("RawConn.Read gave fd %d, %v", fd, err)
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := file.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	if _, err := file.Stat(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Stat after Close: %v", err)
	}
	if err := rc.Control(func(uintptr) { t.Error("Control ran after Close") }); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Control after Close: %v", err)
	}
	if err := file.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if _, _, err := f.OpenReal("/in/missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenReal of a missing name: %v", err)
	}
}
