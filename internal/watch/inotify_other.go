//go:build !linux

package watch

// haveInotify says the platform has inotify, whose one watch per folder
// the watcher uses (kqueue, elsewhere, would need a descriptor per file).
const haveInotify = false
