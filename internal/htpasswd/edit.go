package htpasswd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/atomdav/atomdav/storage"
)

var (
	// ErrExists means the user to add is in the file already.
	ErrExists = errors.New("htpasswd: the user exists already")
	// ErrNoUser means the user to remove is not in the file.
	ErrNoUser = errors.New("htpasswd: no such user")
)

// Add returns data with e's line appended; data must parse, and hold no
// user of e's name (ErrExists). Every other line is kept as it is.
func Add(data []byte, e Entry) ([]byte, error) {
	entries, err := Parse(data)
	if err != nil {
		return nil, err
	}
	for _, old := range entries {
		if old.Name == e.Name {
			return nil, fmt.Errorf("%w: %q, line %d", ErrExists, e.Name, old.Line)
		}
	}
	line := Format(e)
	if _, _, err := parseLine(line); err != nil {
		return nil, err
	}
	out := strings.Join(append(Lines(data), line), "\n") + "\n"
	return []byte(out), nil
}

// Remove returns data without name's line; data must parse and hold the
// user (else ErrNoUser). Every other line is kept as it is.
func Remove(data []byte, name string) ([]byte, error) {
	entries, err := Parse(data)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name != name {
			continue
		}
		lines := Lines(data)
		lines = append(lines[:e.Line-1], lines[e.Line:]...)
		if len(lines) == 0 {
			return nil, nil
		}
		return []byte(strings.Join(lines, "\n") + "\n"), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrNoUser, name)
}

// Edit replaces the file at path by change(its content) (nil content when
// it does not exist yet), under an exclusive lock on path+".lock" that
// every Edit takes, so concurrent edits apply one after the other. The
// new content goes to a temp file in the same folder, is fsynced and
// renamed over path, then the folder is fsynced: a crash leaves the old
// file or the new one. The file keeps its mode and, where the process may
// set it, its owner; a new file gets mode 0600.
func Edit(path string, change func(data []byte) ([]byte, error)) error {
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return fmt.Errorf("htpasswd: lock: %w", err)
	}
	defer unlock()
	data, err := os.ReadFile(path)
	mode := fs.FileMode(0o600)
	var old fs.FileInfo
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		if old, err = os.Stat(path); err != nil {
			return err
		}
		mode = old.Mode().Perm()
	}
	out, err := change(data)
	if err != nil {
		return err
	}
	return replace(path, out, mode, old)
}

// replace writes data to a temp file beside path and renames it over
// path, durably (see Edit).
func replace(path string, data []byte, mode fs.FileMode, old fs.FileInfo) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // fails harmlessly once renamed
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if old != nil {
		keepOwner(f, old)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return storage.SyncDir(dir)
}
