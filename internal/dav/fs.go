package dav

import (
	"context"
	"encoding/xml"
	"io/fs"
	"os"
	"time"

	"github.com/atomdav/atomdav/proppatch"
	"github.com/atomdav/atomdav/storage/localfs"
)

// FileSystem is the one door through which the handlers reach the served
// folder (DESIGN §3: dav touches the disk only through storage/localfs,
// never os directly). It names every operation they need, each confined
// to the share's jail, so nothing here joins a local path or calls the
// operating system; *localfs.FS implements it. Names are resource paths
// ("/", "/a/b"). Unlike x/net's webdav.FileSystem it offers tree changes
// that keep the dead properties in step (under intents) and atomic
// uploads, not files opened for writing.
//
// An implementation is safe for concurrent use; serialising conflicting
// requests on one path is the caller's job (path locks). Errors wrap
// fs.ErrNotExist, fs.ErrPermission and the localfs sentinels (ErrHidden,
// ErrOutsideRoot, ErrIsDir, ErrLoop, ErrNotDir…), which statusOf maps to
// statuses.
type FileSystem interface {
	// Canonical spells name as the folder does when only its Unicode
	// normalisation differs (see localfs.FS.Canonical).
	Canonical(name string) string
	// IsHidden reports a reserved name: the state folder, temp files.
	IsHidden(name string) bool
	// Real is the name the resource lies at, symlinks inside the share
	// resolved (the last one too when followLast).
	Real(name string, followLast bool) (string, error)
	// RealStat is Real(name, true) with, when it came at no extra cost,
	// the Stat of the Real name (else nil).
	RealStat(name string) (string, fs.FileInfo, error)

	// Stat describes a resource, following a symlink within the jail.
	Stat(ctx context.Context, name string) (fs.FileInfo, error)
	// ReadDir lists a collection's members, reserved names included.
	ReadDir(name string) ([]fs.DirEntry, error)
	// OpenReal opens a resource for reading and returns its Real name.
	OpenReal(name string) (localfs.File, string, error)
	// Usage reports the bytes available to the server and in use on the
	// file system holding the share (RFC 4331 quota).
	Usage() (avail, used uint64, err error)

	// Mkdir creates a collection.
	Mkdir(ctx context.Context, name string, perm os.FileMode) error
	// NewUpload starts the atomic replacement of a file's content.
	NewUpload(name string) (*localfs.Upload, error)
	// Chtimes sets a resource's modification time.
	Chtimes(name string, mtime time.Time) error
	// RemoveAll deletes a resource with its properties.
	RemoveAll(ctx context.Context, name string) error
	// Rename moves a resource with its properties.
	Rename(ctx context.Context, oldName, newName string) error
	// CopyBeneath copies a resource with its properties, no member
	// leading out of the view's root (see localfs.FS.CopyBeneath).
	CopyBeneath(ctx context.Context, src, dst string, infinite bool, root string) (failed map[string]error, err error)
	// Nested reports whether src and dst are one or lie one inside the
	// other once symlinks are resolved.
	Nested(src, dst string, move bool) (bool, error)

	// PrepareMtime and PrepareExec validate a settable live property's
	// change against the file and return its record; ApplyLive makes a
	// recorded change and fsyncs the file (DESIGN §4).
	PrepareMtime(name string, t time.Time) ([]byte, error)
	PrepareExec(name string, on bool) ([]byte, error)
	ApplyLive(name string, record []byte) error
}

// PropStore keeps the dead properties of the resources FileSystem serves:
// the store it records its intents in. proppatch's engine commits to it;
// PROPFIND reads a folder's properties in one read; PUT keeps a client's
// checksum. Every method is atomic, durable when a change returns nil, and
// safe for concurrent use (storage.Store is one).
type PropStore interface {
	proppatch.Store
	// FolderProps returns the properties of dir and of its direct
	// children, keyed by resource path.
	FolderProps(ctx context.Context, dir string) (map[string]map[xml.Name][]byte, error)
}
