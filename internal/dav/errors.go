package dav

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"syscall"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/localfs"
)

// Error is a refusal with an HTTP status and, optionally, a DAV:error
// precondition element (RFC 4918 §16) such as "propfind-finite-depth".
type Error struct {
	Status    int
	Condition string // local name in DAV:, empty for none
	Href      string // an escaped href the condition names, if any
	Err       error
	// Public is a message for the client, sent even with a 5xx status
	// (whose Err is never shown); empty for none.
	Public string
}

func (e *Error) Error() string {
	if e.Err == nil {
		return http.StatusText(e.Status)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// errorf builds an *Error with a message.
func errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Err: fmt.Errorf(format, args...)}
}

// statusOf maps an error from the file system or the store to a status.
func statusOf(err error) int {
	var de *Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &de):
		return de.Status
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, storage.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, localfs.ErrLoop):
		return http.StatusLoopDetected
	case errors.Is(err, syscall.ENOTEMPTY):
		return http.StatusInternalServerError // fs.ErrExist would say 405
	case errors.Is(err, fs.ErrNotExist):
		return http.StatusNotFound
	case errors.Is(err, fs.ErrPermission), errors.Is(err, localfs.ErrOutsideRoot):
		return http.StatusForbidden
	case errors.Is(err, fs.ErrExist):
		return http.StatusMethodNotAllowed
	case errors.Is(err, localfs.ErrIsDir):
		return http.StatusMethodNotAllowed
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return http.StatusInsufficientStorage
	case errors.Is(err, fs.ErrInvalid), errors.Is(err, syscall.ENAMETOOLONG):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// publicMessage is err's message for a client: the local paths that os
// errors carry are left out (a client must not learn where the share lives
// on disk), a system error is said in words, and the package prefixes of
// Go error strings ("dav: ", "localfs: ") are dropped.
func publicMessage(err error) string {
	var errno syscall.Errno
	var pe *fs.PathError
	var le *os.LinkError
	if errors.Is(err, localfs.ErrOutsideRoot) {
		return "the path leads outside the share (through a symlink)"
	}
	if errors.As(err, &pe) || errors.As(err, &le) || errors.As(err, &errno) {
		return errnoText(err)
	}
	return pkgPrefixes.Replace(err.Error())
}

// pkgPrefixes drops the package prefixes from an error string.
var pkgPrefixes = strings.NewReplacer("dav: ", "", "localfs: ", "", "uploads: ", "", "storage: ", "",
	"proppatch: ", "", "ifheader: ", "", "bolt: ", "", "pathlock: ", "")

// errnoText says what a file system error means, without the operation
// and path an *fs.PathError holds.
func errnoText(err error) string {
	switch {
	case errors.Is(err, syscall.ENOTDIR):
		return "a file is used as a folder"
	case errors.Is(err, syscall.EISDIR):
		return "it is a folder"
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or folder"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, syscall.ENOTEMPTY):
		return "the folder is not empty"
	case errors.Is(err, fs.ErrExist):
		return "it already exists"
	case errors.Is(err, syscall.ENAMETOOLONG):
		return "the name is too long"
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return "no space left"
	case errors.Is(err, fs.ErrInvalid), errors.Is(err, syscall.EINVAL):
		return "the name is not valid here"
	}
	return "the file system refused it"
}

// writeError writes the one error response of a request: a DAV:error body
// for preconditions, a short text otherwise. 5xx bodies never reveal the
// internal error. ServeHTTP has set X-Content-Type-Options: nosniff.
func writeError(w http.ResponseWriter, status int, err error) {
	var de *Error
	if errors.As(err, &de) && de.Condition != "" {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(status)
		inner := ""
		if de.Href != "" {
			inner = "<D:href>" + escape(de.Href) + "</D:href>"
		}
		fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\"><D:%s>%s</D:%s></D:error>\n", de.Condition, inner, de.Condition)
		return
	}
	msg := http.StatusText(status)
	switch {
	case de != nil && de.Public != "":
		msg += ": " + de.Public
	case err != nil && status < 500:
		msg += ": " + publicMessage(err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}
