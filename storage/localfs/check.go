package localfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/atomdav/atomdav/storage"
)

// Report is what Check found: each list names what is inconsistent.
type Report struct {
	Resources int                  // resources holding properties, all checked
	Intents   []storage.Intent     // unfinished tree changes
	Live      []storage.LiveRecord // live property changes a crash may have cut off (DESIGN §4)
	Orphans   []string             // slash paths with properties but no file
	TempFiles []string             // local paths of leftover temp files
}

// Consistent reports whether the store and the tree agree.
func (r *Report) Consistent() bool {
	return len(r.Intents) == 0 && len(r.Live) == 0 && len(r.Orphans) == 0 && len(r.TempFiles) == 0
}

// Check compares the store with the tree without changing either.
// progress, when not nil, is called after each resource checked.
func (f *FS) Check(ctx context.Context, progress func(checked int)) (*Report, error) {
	r := &Report{}
	var err error
	if r.Intents, err = f.store.Intents(ctx); err != nil {
		return nil, err
	}
	if r.Live, err = f.store.LiveRecords(ctx); err != nil {
		return nil, err
	}
	err = f.store.WalkResources(ctx, func(p string) error {
		r.Resources++
		if progress != nil {
			progress(r.Resources)
		}
		local := filepath.Join(f.root, filepath.FromSlash(p))
		// ENOTDIR: a folder on the way is now a file, so p is gone too.
		if _, err := os.Lstat(local); errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || f.IsHidden(p) {
			r.Orphans = append(r.Orphans, p)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = f.walkTemp(ctx, func(local string, _ fs.FileInfo) error {
		r.TempFiles = append(r.TempFiles, local)
		return nil
	})
	return r, err
}

// Repair makes the store and the tree agree: it recovers unfinished
// intents and recorded live property changes, removes orphaned properties and leftover temp files. Run it only
// while no server uses the folder.
func (f *FS) Repair(ctx context.Context, r *Report) error {
	if _, err := f.Recover(ctx, nil); err != nil {
		return err
	}
	if _, err := f.RecoverLive(ctx); err != nil {
		return err
	}
	for _, p := range r.Orphans {
		if err := f.store.DeleteTree(ctx, p); err != nil {
			return err
		}
	}
	_, err := f.SweepTemp(ctx, time.Now().Add(time.Hour))
	return err
}
