package watch

import (
	"errors"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"context"
	"github.com/fsnotify/fsnotify"
)

// events turns the watcher's events into folders to rescan until ctx
// ends: an event names a path, whose folder is rescanned; what the
// event says happened is not believed (the scan looks). An overflow of
// the kernel's queue lost events: everything is rescanned.
func (w *Watcher) events(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			w.event(ev.Name)
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			switch {
			case errors.Is(err, fsnotify.ErrEventOverflow):
				w.markFull()
			case errors.Is(err, syscall.EINVAL):
				// fsnotify dropping the watch of a folder moved away
				// that the kernel had dropped already: nothing lost.
			case w.opts.OnError != nil:
				w.opts.OnError(err)
			}
		}
	}
}

// event marks for a rescan the folder holding the file name, unless the
// name is not the share's to serve (a temp file of an upload: its rename
// into place is an event of its own).
func (w *Watcher) event(name string) {
	rel, err := filepath.Rel(w.fsys.Root(), name)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return
	}
	p := path.Clean("/" + filepath.ToSlash(rel))
	if w.fsys.IsHidden(p) {
		return
	}
	w.markDirty(path.Dir(p))
}

// markDirty asks for a rescan of the folder d; past MaxPending folders,
// for a full rescan instead, so the set stays bounded.
func (w *Watcher) markDirty(d string) {
	w.mu.Lock()
	if !w.full {
		w.pending[d] = struct{}{}
		if len(w.pending) > w.opts.MaxPending {
			w.full = true
			clear(w.pending)
		}
	}
	w.mu.Unlock()
	w.poke()
}

// markFull asks for a full rescan.
func (w *Watcher) markFull() {
	w.mu.Lock()
	w.full = true
	clear(w.pending)
	w.mu.Unlock()
	w.poke()
}

func (w *Watcher) poke() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// parentDirty is the scanner's hook for a folder found gone while it
// was listed: its parent is rescanned.
func (w *Watcher) parentDirty(p string) { w.markDirty(path.Dir(p)) }

// watchDir is the scanner's hook for each folder it lists: a watch on it
// unless it has one. A watch still held under another name for the same
// inode (the folder was moved, and the scan of its old parent has not
// run yet) is dropped first: the kernel would hand that watch back, and
// report the folder's events under the old name. Past the watch limit,
// folders go unwatched (counted for the report); each full rescan tries
// once more.
func (w *Watcher) watchDir(p string, ino uint64) {
	if w.fsw == nil {
		return
	}
	if _, ok := w.watched[p]; ok {
		return
	}
	if old, ok := w.byIno[ino]; ok && ino != 0 {
		w.dropWatches(old)
	}
	if w.limitHit || (w.limits.watches > 0 && len(w.watched) >= w.limits.watches) {
		w.unwatched++
		return
	}
	err := w.fsw.Add(w.local(p))
	switch {
	case err == nil:
		w.watched[p] = ino
		if ino != 0 {
			w.byIno[ino] = p
		}
	case errors.Is(err, syscall.ENOSPC):
		w.limitHit = true
		w.unwatched++
	default:
		w.unwatched++ // gone meanwhile: the scan finds it so
	}
}

// dropWatches is the scanner's hook for a folder that left the index or
// was replaced: the watches on it and below it go, so that a folder
// later found at the same path, or this one found elsewhere, is watched
// under its new name.
func (w *Watcher) dropWatches(p string) {
	if w.fsw == nil {
		return
	}
	prefix := strings.TrimSuffix(p, "/") + "/"
	for q, ino := range w.watched {
		if q == p || strings.HasPrefix(q, prefix) {
			_ = w.fsw.Remove(w.local(q)) // the kernel may have dropped it already
			delete(w.watched, q)
			if w.byIno[ino] == q {
				delete(w.byIno, ino)
			}
		}
	}
}
