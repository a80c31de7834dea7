// Package proppatch implements WebDAV PROPPATCH (RFC 4918 §9.2): it parses
// a DAV:propertyupdate, applies it to a property store atomically and in
// document order, and writes the 207 Multi-Status that reports it. It is
// usable by any Go WebDAV server: it needs only a Store, declared here in
// standard types.
//
// The three steps are separate so that the caller stays in charge of HTTP:
//
//	u, err := proppatch.Parse(http.MaxBytesReader(w, r.Body, 1<<20))
//	// on error: errors.As(err, &pe) gives pe.Status (400, 413 or 415)
//	res, err := engine.Apply(ctx, path, u)
//	// on error: the store failed; answer 500 (or 507), nothing changed
//	w.WriteHeader(http.StatusMultiStatus)
//	res.WriteMultiStatus(w, href)
//
// Property values are kept as XML exactly (RFC 4918 §4.3): each value is the
// property element itself, with its attributes and children untouched, every
// namespace binding in scope re-declared on it and the xml:lang in scope
// copied onto it, so that the stored bytes stand alone and a PROPFIND can
// paste them verbatim.
//
// A server built on golang.org/x/net/webdav adopts all of this through
// package proppatch/xnetdav, which wraps its webdav.Handler.
//
// Apply checks every instruction before it changes anything (protected
// property: 403 with DAV:cannot-modify-protected-property; value a settable
// live property refuses: 409; value or property count over the Limits: 507),
// folds them in document order (the last instruction for a name wins), then
// commits settable live properties and one Store.PatchProps. At the first
// failure nothing is committed: that instruction gets its own status and
// every other one 424 Failed Dependency.
//
// # Durability
//
// A settable live property lives outside the store (a file's modification
// time), so no one transaction can hold it with the dead properties. When
// the Store is a LiveStore and every live property of the update a
// RecordedLive, Apply makes them one durable unit anyway: each live change
// is prepared (validated, nothing changed) and its record committed with
// the dead properties in one LiveStore.PatchPropsLive; the changes are made
// after (durably, by ApplyRecord) and the records cleared lazily. A crash
// between the commit and the change leaves the record, which the server
// re-applies at start-up, so neither half is ever seen without the other.
// Otherwise (a plain Store, or a LiveProperty without records) the live
// properties are applied first and undone in memory if the commit fails:
// atomic against failures, not against a crash between the two steps.
//
// # Concurrency
//
// An Engine is safe for concurrent use; so must its Store and LiveProperty
// implementations be. Apply reads the stored properties (to count them) and
// commits in two steps, so serialising writers of one resource (a per-path
// lock, or a Store that serialises PatchProps per resource and enforces its
// own count) is the caller's job or the store's; the commit itself is atomic
// either way. A Store that is a GuardedStore (storage/bolt is) counts in
// the transaction of the commit when the update sets no live property: one
// step, no read before it.
//
// # Security
//
// Parse reads the whole body into memory: bound it with http.MaxBytesReader
// (an overflow is reported as 413). The values Parse builds total at most
// four times the body plus 1 MiB (ErrExpansion, 413), since re-declaring
// inherited namespaces on each property could otherwise multiply a small
// body. Parse refuses nesting deeper than DefaultMaxDepth (256) elements, or
// ParseOptions.MaxDepth with ParseWith; it expands no entity
// other than the five predefined ones (no DTD processing, so no entity
// expansion attacks), and refuses bodies that are not namespace well-formed
// or that hold a character XML forbids, comments and processing
// instructions included. Parsing costs time linear in the body, whatever it
// declares: names are resolved with Namespaces, whose lookups cost constant
// time however many bindings are in scope, and each element's attributes
// are read once. A small body (8 KiB at most) of the common shape
// (prefixed names declared on the root, properties holding plain text) is
// parsed by a scan of its bytes that builds no tree; it accepts only what
// the general path accepts and gives the same instructions (a fuzz target
// compares the two), and leaves every other body, and every error, to the
// general path. CheckFragment applies the same rules to XML a server keeps
// and pastes elsewhere, such as a LOCK's owner.
// Result.WriteMultiStatus names each property once and declares each
// namespace once, so a 207 is never much larger than its request.
// Limits bounds the size of one stored value and the number of dead
// properties per resource.
package proppatch
