// Package pathlock serialises requests that touch the same part of the
// resource tree while letting unrelated paths proceed in parallel.
//
// A write to a path takes the path exclusively and every ancestor shared, so
// a PROPPATCH of /a/b waits for a MOVE of /a (which holds /a exclusively),
// two PROPPATCHes of /a/b run one after the other, and writes to /a/b and
// /a/c run side by side. Every request acquires its whole set of paths in
// one global order (sorted by path), so two requests can never deadlock.
//
// # Concurrency
//
// A Table is safe for concurrent use; its zero value is ready to use.
// Waiters are served in arrival order (a queued writer holds up readers
// that come after it, so it is never starved). A waiter whose context ends
// leaves the queue at once, so a request whose client has gone never holds
// up those queued behind it.
package pathlock
