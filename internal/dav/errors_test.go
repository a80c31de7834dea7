package dav

import (
	"fmt"
	"io/fs"
	"net/http"
	"syscall"
	"testing"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/localfs"
)

func TestStatusOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"shared store unreachable is 503", fmt.Errorf("patch: %w", storage.ErrUnavailable), http.StatusServiceUnavailable},
		{"missing is 404", fs.ErrNotExist, http.StatusNotFound},
		{"outside the jail is 403", localfs.ErrOutsideRoot, http.StatusForbidden},
		{"full disk is 507", &fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}, http.StatusInsufficientStorage},
		{"not empty is 500, not 405", &fs.PathError{Op: "unlinkat", Path: "/x", Err: syscall.ENOTEMPTY}, http.StatusInternalServerError},
		{"body too large is 413", &http.MaxBytesError{Limit: 1}, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusOf(tt.err); got != tt.want {
				t.Fatalf("statusOf(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}
