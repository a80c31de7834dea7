package localfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/atomdav/atomdav/storage"
)

// Copy copies the resource src to dst, which must not exist, with its dead
// properties, under an intent (see Recover). For a collection, infinite copies every member (RFC 4918
// §9.8.3, Depth: infinity); otherwise only the collection itself and its own
// properties (Depth: 0).
//
// A failure on one member does not stop the others: failed maps the slash
// path of each source member that could not be copied to its error, and its
// copy holds no properties. err is set when nothing could be copied.
func (f *FS) Copy(ctx context.Context, src, dst string, infinite bool) (failed map[string]error, err error) {
	src, dst = path.Clean("/"+src), path.Clean("/"+dst)
	lsrc, err := f.Resolve(src)
	if err != nil {
		return nil, err
	}
	ldst, err := f.Resolve(dst)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(lsrc)
	if err != nil {
		return nil, err
	}
	in, err := f.store.BeginIntent(ctx, storage.Intent{Op: storage.OpCopy, Src: src, Dst: dst, Depth0: fi.IsDir() && !infinite})
	if err != nil {
		return nil, err
	}
	failed = map[string]error{}
	if err := f.copyOne(lsrc, ldst, fi); err != nil {
		return nil, errors.Join(err, f.store.AbortIntent(context.WithoutCancel(ctx), in.ID))
	}
	if fi.IsDir() && infinite {
		f.copyMembers(ctx, src, dst, failed)
	}
	syncErr := f.syncDir(filepath.Dir(ldst))
	if err := errors.Join(syncErr, f.store.CompleteIntent(context.WithoutCancel(ctx), in.ID)); err != nil {
		return nil, err
	}
	for member := range failed {
		if err := f.store.DeleteTree(ctx, dst+member[len(src):]); err != nil {
			return nil, err
		}
	}
	return failed, nil
}

// copyMembers copies the members of the collection src into dst depth-first.
func (f *FS) copyMembers(ctx context.Context, src, dst string, failed map[string]error) {
	lsrc, _ := f.Resolve(src)
	ldst, _ := f.Resolve(dst)
	entries, err := os.ReadDir(lsrc)
	if err != nil {
		failed[src] = err
		return
	}
	for _, e := range entries {
		if ctx.Err() != nil {
			failed[src] = ctx.Err()
			return
		}
		name := e.Name()
		msrc, mdst := path.Join(src, name), path.Join(dst, name)
		if f.IsHidden(msrc) || isTemp(name) {
			continue
		}
		lm, err := f.Resolve(msrc) // refuses symlinks leading out
		if err != nil {
			failed[msrc] = err
			continue
		}
		fi, err := os.Stat(lm)
		if err != nil {
			failed[msrc] = err
			continue
		}
		if err := f.copyOne(lm, filepath.Join(ldst, name), fi); err != nil {
			failed[msrc] = err
			continue
		}
		if fi.IsDir() {
			f.copyMembers(ctx, msrc, mdst, failed)
		}
	}
	if err := f.syncDir(ldst); err != nil {
		failed[src] = err
	}
}

// copyOne creates dst as a copy of src: an empty folder for a collection,
// an atomically written file otherwise.
func (f *FS) copyOne(lsrc, ldst string, fi fs.FileInfo) error {
	if fi.IsDir() {
		return os.Mkdir(ldst, fi.Mode().Perm())
	}
	in, err := os.Open(lsrc)
	if err != nil {
		return err
	}
	defer in.Close()
	return f.writeAtomic(ldst, fi.Mode().Perm(), func(w *os.File) error {
		_, err := io.Copy(w, in)
		return err
	})
}

func isTemp(name string) bool {
	return len(name) > len(TempPrefix) && name[:len(TempPrefix)] == TempPrefix
}
