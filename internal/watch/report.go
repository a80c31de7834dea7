package watch

import (
	"errors"
	"fmt"
)

// WatchNote is one line saying what the share loses to missing watches,
// and how to get them: "" when every folder is watched, or when no
// watcher was asked for.
func (r Report) WatchNote() string {
	switch {
	case errors.Is(r.WatchErr, errNoInotify):
		return "no inotify on this platform: changes made on disk are seen only by the periodic rescan (rescan-interval)"
	case r.WatchErr != nil:
		return fmt.Sprintf("no inotify watcher (%v; fs.inotify.max_user_instances is %d): changes made on disk are seen only by the periodic rescan (rescan-interval); raise the limit with sysctl fs.inotify.max_user_instances=N",
			r.WatchErr, r.MaxUserInstances)
	case r.Watching && r.Unwatched > 0:
		return fmt.Sprintf("inotify watches %d of %d folders (fs.inotify.max_user_watches is %d, shared by every process of this user): changes made on disk in the other %d are seen only by the periodic rescan (rescan-interval); raise the limit with sysctl fs.inotify.max_user_watches=N (N at least %d more)",
			r.Watched, r.Watched+r.Unwatched, r.MaxUserWatches, r.Unwatched, r.Unwatched)
	}
	return ""
}
