package watch

import (
	"context"
	"errors"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/fsnotify/fsnotify"

	"github.com/atomdav/atomdav/storage/localfs"
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
			w.event(ev)
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			switch {
			case errors.Is(err, fsnotify.ErrEventOverflow):
				w.markFull(true)
			case errors.Is(err, syscall.EINVAL):
				// fsnotify dropping the watch of a folder moved away
				// that the kernel had dropped already: nothing lost.
			case w.opts.OnError != nil:
				w.opts.OnError(err)
			}
		}
	}
}

// event marks for a rescan the folder holding the file the event names
// (where the index can look one path up, the name alone: see settle),
// unless the name is not the share's to serve (a temp file of an upload:
// its rename into place is an event of its own). A name removed or
// renamed may be a watched folder, whose watch fsnotify then dropped:
// it is rescanned too, which watches it again if it is still there (a
// folder moved away and back is no change to the index, but needs a
// new watch).
func (w *Watcher) event(ev fsnotify.Event) {
	if isTemp(filepath.Base(ev.Name)) {
		return // most events of an upload, dropped before any work
	}
	rel, err := filepath.Rel(w.fsys.Root(), ev.Name)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return
	}
	p := path.Clean("/" + filepath.ToSlash(rel))
	if w.fsys.IsHidden(p) {
		return
	}
	gone := ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)
	w.mu.Lock()
	switch {
	case w.point != nil: // checked path by path first (see settle)
		if gone {
			w.due.gone[p] = struct{}{}
		} else {
			w.due.names[p] = struct{}{}
		}
	case gone:
		w.due.lost[p] = struct{}{}
		w.due.dirs[p] = struct{}{}
		w.due.dirs[path.Dir(p)] = struct{}{}
	default:
		w.due.dirs[path.Dir(p)] = struct{}{}
	}
	w.boundLocked()
	w.mu.Unlock()
	w.poke()
}

// isTemp reports whether name is that of an upload's temp file, which
// localfs.IsHidden reports hidden wherever it lies (compared as it
// compares, without regard to case): four of the five events of a new
// upload name one (its creation, write, mode and rename away).
func isTemp(name string) bool {
	n := len(localfs.TempPrefix)
	return len(name) >= n && strings.EqualFold(name[:n], localfs.TempPrefix)
}

// markDirty asks for a rescan of the folder d.
func (w *Watcher) markDirty(d string) {
	w.mu.Lock()
	w.due.dirs[d] = struct{}{}
	w.boundLocked()
	w.mu.Unlock()
	w.poke()
}

// boundLocked keeps the names waiting for a rescan under MaxPending:
// past it, one full rescan replaces them, with every watch set afresh
// (which folders lost theirs is no longer known). A full rescan covers
// every folder, but the names whose watches may be gone are kept for it
// unless every watch is set afresh anyway.
func (w *Watcher) boundLocked() {
	if len(w.due.dirs)+len(w.due.lost)+len(w.due.names)+len(w.due.gone)+len(w.due.again) > w.opts.MaxPending {
		w.due.full, w.due.reset = true, true
	}
	if w.due.full {
		clear(w.due.dirs)
		clear(w.due.names)
		clear(w.due.again)
	}
	if w.due.reset {
		clear(w.due.lost)
		clear(w.due.gone)
	}
}

// markFull asks for a full rescan; reset when events were lost, so the
// watches fsnotify dropped with them are not known.
func (w *Watcher) markFull(reset bool) {
	w.mu.Lock()
	w.due.full = true
	w.due.reset = w.due.reset || reset
	w.boundLocked()
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
	if w.hasWatch(p, ino) {
		return
	}
	known, ok := w.watched[p]
	if ok && ino != 0 && known != 0 && ino != known {
		// Another folder under the name: the watch held for it is the old
		// folder's, which inotify follows wherever it was moved.
		w.dropWatches(p)
		known, ok = 0, false
	}
	if ino == 0 {
		ino = known
	}
	if old, ok := w.byIno[ino]; ok && ino != 0 && old != p {
		w.dropWatches(old)
	}
	if w.watchesSpent() {
		w.unwatched++
		return
	}
	err := w.fsw.Add(w.local(p))
	switch {
	case err == nil:
		delete(w.stale, p)
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

// unwatchedDir is the scanner's hook for a folder the index holds as it
// is on disk: true when no watch reports its changes but one could be
// set (below the watch limit), so the scan lists it (and watches it).
func (w *Watcher) unwatchedDir(p string, ino uint64) bool {
	return w.fsw != nil && !w.watchesSpent() && !w.hasWatch(p, ino)
}

// watchesSpent reports whether the kernel's watch limit leaves no watch
// to set.
func (w *Watcher) watchesSpent() bool {
	return w.limitHit || (w.limits.watches > 0 && len(w.watched) >= w.limits.watches)
}

// hasWatch reports whether the folder p (inode ino, 0 if unknown) has a
// watch of its own that still reports on it.
func (w *Watcher) hasWatch(p string, ino uint64) bool {
	known, ok := w.watched[p]
	_, stale := w.stale[p]
	return ok && !stale && (ino == 0 || known == 0 || ino == known)
}

// forget marks the watch of the folder p, if it has one, as dropped:
// fsnotify drops the watch of a folder renamed, and the kernel that of a
// folder removed. The folder stays known (the index still holds it)
// until a scan finds it gone; the next scan of it watches it again.
func (w *Watcher) forget(p string) {
	if _, ok := w.watched[p]; ok {
		_ = w.fsw.Remove(w.local(p)) // gone already, most often
		w.stale[p] = struct{}{}
	}
}

// resetWatches drops every watch, for a full rescan to set them afresh.
func (w *Watcher) resetWatches() {
	for _, local := range w.fsw.WatchList() {
		_ = w.fsw.Remove(local)
	}
	clear(w.watched)
	clear(w.byIno)
	clear(w.stale)
}

// known is the folder d if a scan listed it and the index still holds
// it (watched), else its nearest ancestor that is: an event queued
// before its folder left the index must not make a scan record members
// of a folder the index does not hold.
func (w *Watcher) known(d string) string {
	if w.fsw == nil {
		return d
	}
	for d != "/" {
		if _, ok := w.watched[d]; ok {
			return d
		}
		d = path.Dir(d)
	}
	return d
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
			delete(w.stale, q)
			if w.byIno[ino] == q {
				delete(w.byIno, ino)
			}
		}
	}
}
