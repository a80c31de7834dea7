package server

import (
	"context"
	"time"

	"github.com/atomdav/atomdav/internal/watch"
	"github.com/atomdav/atomdav/storage"
)

// startWatch runs the reconciling scan of the share (package watch)
// before serving, where the store keeps a change journal, and keeps the
// journal in step with changes made on disk until stop, which waits for
// the watcher to end so that the store can be closed after it. Neither
// the lack of inotify or of watches nor a failed scan stops the server:
// they are logged.
func (s *Server) startWatch(ctx context.Context) (stop func()) {
	j, ok := s.store.(storage.Journal)
	if !ok {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	w := watch.New(s.fsys, j, watch.Options{
		Watch:          s.cfg.Watch,
		RescanInterval: s.cfg.RescanInterval,
		OnError: func(err error) {
			s.log.Warn("keeping the change journal in step with the disk", "err", err)
		},
	})
	rep, err := w.Start(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Error("the start-up scan of the share failed: changes made on disk while atomdav was not running may be missing from the change journal until a rescan succeeds", "err", err)
	}
	s.log.Info("scanned the share", "folders", rep.Folders, "files", rep.Files, "changes", rep.Changes,
		"unreadable", rep.Skipped, "took", rep.Elapsed.Round(time.Millisecond), "watched", rep.Watched, "rescan", s.cfg.RescanInterval)
	if note := rep.WatchNote(); note != "" {
		s.log.Warn(note)
	}
	return func() {
		cancel()
		<-w.Done()
	}
}
