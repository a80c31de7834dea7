package localfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

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
	return f.CopyBeneath(ctx, src, dst, infinite, "/")
}

// CopyBeneath is Copy for a view of the share whose "/" is the collection
// root: a member that is a symlink leading out of root is not copied
// (failed, with ErrOutsideRoot), as one leading out of the share is not.
func (f *FS) CopyBeneath(ctx context.Context, src, dst string, infinite bool, root string) (failed map[string]error, err error) {
	src, dst = path.Clean("/"+src), path.Clean("/"+dst)
	jail := ""
	if root = path.Clean("/" + root); root != "/" {
		if jail, err = f.realLocal(f.join(root), true); err != nil {
			return nil, err
		}
	}
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
		dfi, err := os.Stat(ldst)
		if err != nil {
			failed[src] = err
		} else {
			f.copyMembers(ctx, src, dst, jail, failed, []fs.FileInfo{fi, dfi})
		}
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

// copyMembers copies the members of the collection src into dst
// depth-first. Symlinks inside the root are followed, so a member folder
// may be a folder already on the way down: stack holds the source and
// destination folders entered so far, and such a member fails with
// ErrLoop instead of being copied into itself without end. A symlink
// leading out of jail (a local path, symlinks evaluated; "" for the root)
// fails with ErrOutsideRoot.
func (f *FS) copyMembers(ctx context.Context, src, dst, jail string, failed map[string]error, stack []fs.FileInfo) {
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
		if err == nil && jail != "" && e.Type()&fs.ModeSymlink != 0 {
			err = leavesJail(lm, jail)
		}
		if err != nil {
			failed[msrc] = err
			continue
		}
		fi, err := os.Stat(lm)
		if err != nil {
			failed[msrc] = err
			continue
		}
		if fi.IsDir() && slices.ContainsFunc(stack, func(s fs.FileInfo) bool { return os.SameFile(s, fi) }) {
			failed[msrc] = ErrLoop
			continue
		}
		lmdst := filepath.Join(ldst, name)
		if err := f.copyOne(lm, lmdst, fi); err != nil {
			failed[msrc] = err
			continue
		}
		if fi.IsDir() {
			dfi, err := os.Stat(lmdst)
			if err != nil {
				failed[msrc] = err
				continue
			}
			f.copyMembers(ctx, msrc, mdst, jail, failed, append(stack[:len(stack):len(stack)], fi, dfi))
		}
	}
	if err := f.syncDir(ldst); err != nil {
		failed[src] = err
	}
}

// leavesJail returns ErrOutsideRoot when the symlink at local leads out of
// the folder jail (symlinks evaluated).
func leavesJail(local, jail string) error {
	real, err := realFollowing(local, 0)
	if err != nil {
		return err
	}
	if real != jail && !strings.HasPrefix(real, jail+string(filepath.Separator)) {
		return ErrOutsideRoot
	}
	return nil
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
	up, err := f.newUpload(ldst)
	if err != nil {
		return err
	}
	if _, err = up.ReadFrom(in); err == nil {
		err = up.place(fi.Mode().Perm())
	}
	if err != nil {
		up.Abort()
	}
	return err
}

// ErrLoop is a member of a collection being copied that is, through a
// symlink, a folder the copy is already inside (RFC 5842 §7.2: 508).
var ErrLoop = errors.New("localfs: a symlink leads back into the tree being copied")

// Nested reports whether the resources src and dst are the same or one lies
// inside the other once symlinks are resolved, as "/alink/x" lies inside
// "/a" when alink -> a: copying or moving src to dst would then copy a tree
// into itself, or remove the source with the destination it overwrites.
// A MOVE renames a symlink itself, so move leaves src's last component
// unresolved; a destination's last component is never resolved, since an
// existing one is replaced.
func (f *FS) Nested(src, dst string, move bool) (bool, error) {
	rs, err := f.realPath(src, !move)
	if err != nil {
		return false, err
	}
	rd, err := f.realPath(dst, false)
	if err != nil {
		return false, err
	}
	sep := string(filepath.Separator)
	return rs == rd || strings.HasPrefix(rd, rs+sep) || strings.HasPrefix(rs, rd+sep), nil
}

// realPath is the local path of name with the symlinks of its folders (and
// of its last component when followLast) resolved. Names whose folder does
// not exist are left as they are: nothing can lie inside them.
func (f *FS) realPath(name string, followLast bool) (string, error) {
	local, err := f.Resolve(name)
	if err != nil {
		return "", err
	}
	if followLast {
		real, err := filepath.EvalSymlinks(local)
		if err == nil {
			return real, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(local))
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return local, nil
	case err != nil:
		return "", err
	}
	return filepath.Join(dir, filepath.Base(local)), nil
}

// isTemp reports whether name starts with TempPrefix, in any case (see
// IsHidden).
func isTemp(name string) bool {
	return len(name) >= len(TempPrefix) && strings.EqualFold(name[:len(TempPrefix)], TempPrefix)
}
