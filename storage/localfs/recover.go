package localfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/atomdav/atomdav/storage"
)

// Recovered says what Recover did with one unfinished intent.
type Recovered struct {
	Intent    storage.Intent
	Completed bool // rolled forward; false means undone
}

// LockPaths takes, for work done outside a request, the locks a server's
// requests take on the named resources, and returns how to release them.
// An error (the context ended) means nothing is held.
type LockPaths func(ctx context.Context, paths ...string) (unlock func(), err error)

// Recover finishes the tree changes a crash interrupted (DESIGN §6), so
// properties match the tree again: a DELETE is rolled forward (the client
// never heard back, and members may already be gone); a MOVE is completed
// when its source is gone (the one rename happened) and undone otherwise;
// a COPY is undone by removing its partial destination. It is the one
// place intents are recovered, at start-up and while serving.
//
// At start-up, before the FS serves requests, lock is nil. An instance
// sharing its store with others (DESIGN §5) calls it again while serving,
// for the intents of peers that died: with lock taking the path locks its
// requests take, each intent is recovered under the locks of its source
// and destination, and only if it is still pending once they are held (a
// request in flight here finishes its own intent first). An intent that
// another instance finishes meanwhile is skipped. Recover returns what it
// did, up to the first error.
func (f *FS) Recover(ctx context.Context, lock LockPaths) ([]Recovered, error) {
	intents, err := f.store.Intents(ctx)
	if err != nil {
		return nil, err
	}
	var done []Recovered
	for _, in := range intents {
		completed, ok, err := f.recoverLocked(ctx, in, lock)
		if err != nil {
			return done, fmt.Errorf("recover %s %s: %w", in.Op, in.Src, err)
		}
		if ok {
			done = append(done, Recovered{Intent: in, Completed: completed})
		}
	}
	return done, nil
}

// recoverLocked recovers in under lock (see Recover); ok is false when
// nothing was left to do.
func (f *FS) recoverLocked(ctx context.Context, in storage.Intent, lock LockPaths) (completed, ok bool, err error) {
	if lock != nil {
		paths := []string{in.Src}
		if in.Dst != "" {
			paths = append(paths, in.Dst)
		}
		unlock, err := lock(ctx, paths...)
		if err != nil {
			return false, false, err
		}
		defer unlock()
		pending, err := f.store.Intents(ctx)
		if err != nil {
			return false, false, err
		}
		if !slices.ContainsFunc(pending, func(p storage.Intent) bool { return p.ID == in.ID }) {
			return false, false, nil // its request finished it meanwhile
		}
	}
	completed, err = f.recoverOne(ctx, in)
	if errors.Is(err, storage.ErrNoIntent) {
		return false, false, nil // another instance finished it
	}
	return completed, err == nil, err
}

func (f *FS) recoverOne(ctx context.Context, in storage.Intent) (completed bool, err error) {
	switch in.Op {
	case storage.OpDelete:
		if err := f.removeLocal(in.Src); err != nil {
			return false, err
		}
		return true, f.store.CompleteIntent(ctx, in.ID)
	case storage.OpMove:
		src := filepath.Join(f.root, filepath.FromSlash(in.Src))
		if _, err := os.Lstat(src); errors.Is(err, fs.ErrNotExist) {
			return true, f.store.CompleteIntent(ctx, in.ID)
		}
		return false, f.store.AbortIntent(ctx, in.ID)
	case storage.OpCopy:
		if err := f.removeLocal(in.Dst); err != nil {
			return false, err
		}
		return false, f.store.AbortIntent(ctx, in.ID)
	}
	return false, fmt.Errorf("unknown intent op %q", in.Op)
}

// removeLocal removes a slash path's file or tree, if present.
func (f *FS) removeLocal(p string) error {
	if p == "" || p == "/" {
		return fs.ErrInvalid
	}
	local := filepath.Join(f.root, filepath.FromSlash(p))
	if err := f.removeTree(local); err != nil {
		return err
	}
	if err := f.syncDir(filepath.Dir(local)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err // a parent already gone holds nothing to sync
	}
	return nil
}

// SweepTemp removes the temp files of uploads and copies that a crash left
// behind, anywhere in the tree, if they are older than before. Temp files
// of writes still in progress are younger than the server's start.
func (f *FS) SweepTemp(ctx context.Context, before time.Time) (removed []string, err error) {
	err = f.walkTemp(ctx, func(local string, fi fs.FileInfo) error {
		if fi.ModTime().Before(before) {
			if err := os.Remove(local); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			removed = append(removed, local)
		}
		return nil
	})
	return removed, err
}

// walkTemp calls fn for every temp file in the tree, skipping the state
// folder.
func (f *FS) walkTemp(ctx context.Context, fn func(local string, fi fs.FileInfo) error) error {
	hidden := ""
	if f.opts.Hidden != "" {
		hidden = filepath.Join(f.root, f.opts.Hidden)
	}
	return filepath.WalkDir(f.root, func(local string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() && local == hidden {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() && strings.HasPrefix(d.Name(), TempPrefix) {
			fi, err := d.Info()
			if err != nil {
				return nil
			}
			return fn(local, fi)
		}
		return nil
	})
}
