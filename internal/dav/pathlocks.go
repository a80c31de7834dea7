package dav

import "context"

// LockPaths takes the path locks a write to each of paths takes, waiting
// for requests under way on them, and returns how to release them; it
// fails, holding nothing, when ctx ends first. Work done beside the
// requests (the recovery of a dead peer's tree changes,
// localfs.FS.Recover) takes them so that it never races a request.
func (h *Handler) LockPaths(ctx context.Context, paths ...string) (unlock func(), err error) {
	return h.paths.LockContext(ctx, paths...)
}
