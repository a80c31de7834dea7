// Package localfs serves a directory of the local disk as a
// golang.org/x/net/webdav FileSystem and keeps the dead properties in a
// storage.Store consistent with the tree: removing, renaming or copying a
// resource does the same to its properties.
//
// # Security
//
// The root is a jail. Names are cleaned ("..", encoded or not, cannot climb
// out), the state folder that holds the store is neither listed nor
// reachable, and a symlink whose target lies outside the root is refused.
//
// # Durability
//
// Content writes are atomic: a temp file in the same folder, fsync, rename,
// fsync of the folder (see WriteFile). With Options.Relaxed the fsyncs are
// skipped: still atomic against a process crash, not against a power cut.
package localfs
