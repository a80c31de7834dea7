package localfs

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// rawFile is a File over a bare descriptor, what OpenReal gives on Linux.
// os.NewFile costs a GET an fcntl, a failed epoll registration (a regular
// file cannot be polled) and a finalizer, about a tenth of its CPU in
// process; a file served once and closed needs none of them. Reads and
// sendfile go to the descriptor directly; a FIFO (opened O_NONBLOCK, see
// Open) answers EAGAIN rather than waiting (a GET of the whole file reads
// no more than the size fstat gives, 0 for a FIFO). Unlike *os.File it is not safe for concurrent
// use, and it has no finalizer: the caller closes it.
type rawFile struct {
	fd     int
	name   string // the local path, for errors and Stat's Name
	closed bool
}

// errRawClosed is returned for any use of a closed rawFile: its number may
// name another file by then.
var errRawClosed = os.ErrClosed

func (f *rawFile) Read(p []byte) (int, error) {
	if f.closed {
		return 0, errRawClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := unix.Read(f.fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: f.name, Err: err}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *rawFile) Seek(offset int64, whence int) (int64, error) {
	if f.closed {
		return 0, errRawClosed
	}
	off, err := unix.Seek(f.fd, offset, whence)
	if err != nil {
		return 0, &fs.PathError{Op: "seek", Path: f.name, Err: err}
	}
	return off, nil
}

// Stat is an fstat of the descriptor, each time (a caller compares two
// to see whether the file changed while it read it).
func (f *rawFile) Stat() (fs.FileInfo, error) {
	if f.closed {
		return nil, errRawClosed
	}
	var st unix.Stat_t
	for {
		err := unix.Fstat(f.fd, &st)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "stat", Path: f.name, Err: err}
		}
		break
	}
	d := &dirInfo{}
	d.fill(filepath.Base(f.name), &st)
	return d, nil
}

func (f *rawFile) Close() error {
	if f.closed {
		return errRawClosed
	}
	f.closed = true
	if err := unix.Close(f.fd); err != nil {
		return &fs.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// SyscallConn gives net/http's sendfile the descriptor (it looks for a
// syscall.Conn inside the io.LimitedReader it is handed).
func (f *rawFile) SyscallConn() (syscall.RawConn, error) {
	if f.closed {
		return nil, errRawClosed
	}
	return rawConn{f}, nil
}

// rawConn is the syscall.RawConn of a rawFile. The descriptor is never
// polled: a function that reports it would block ends the call with
// EAGAIN instead of waiting.
type rawConn struct{ f *rawFile }

func (c rawConn) Control(fn func(fd uintptr)) error {
	if c.f.closed {
		return errRawClosed
	}
	fn(uintptr(c.f.fd))
	return nil
}

func (c rawConn) Read(fn func(fd uintptr) bool) error  { return c.once(fn) }
func (c rawConn) Write(fn func(fd uintptr) bool) error { return c.once(fn) }

func (c rawConn) once(fn func(fd uintptr) bool) error {
	if c.f.closed {
		return errRawClosed
	}
	if !fn(uintptr(c.f.fd)) {
		return &fs.PathError{Op: "read", Path: c.f.name, Err: unix.EAGAIN}
	}
	return nil
}

// openFileNoSymlinks is openNoSymlinks giving a rawFile.
func openFileNoSymlinks(local string) (File, bool, error) {
	fd, decided, err := openat2NoSymlinks(local)
	if !decided || err != nil {
		return nil, decided, err
	}
	return &rawFile{fd: fd, name: local}, true, nil
}
