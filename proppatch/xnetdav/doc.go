// Package xnetdav gives a golang.org/x/net/webdav Handler an atomic,
// exact PROPPATCH and a PROPFIND that returns the dead properties it stored,
// byte for byte as XML. It is the adapter through which a server built on
// x/net/webdav adopts package proppatch.
//
// Wrap a webdav.Handler and a Store:
//
//	h := xnetdav.Wrap(&webdav.Handler{FileSystem: webdav.Dir(dir), LockSystem: webdav.NewMemLS()}, store)
//	http.ListenAndServe(addr, h)
//
// The Handler serves PROPPATCH itself, through a proppatch.Engine: the
// request is parsed keeping every value's XML (attributes, xml:lang and the
// namespaces it uses), applied all or none in one Store commit, and the 207
// is written after the commit is durable. x/net's own PROPPATCH re-encodes
// values and loses namespace declarations and attributes, and its
// webdav.Property, the type of DeadPropsHolder, cannot carry them: a
// DeadPropsHolder could not return what a client stored.
//
// PROPFIND stays x/net's: the Handler lets the wrapped handler answer it
// into a buffer, then moves each stored dead property into the 200 propstat
// of its resource (for allprop, a request naming it, or propname), pasting
// the stored element verbatim, and writes the merged 207. Live properties,
// Depth and errors are x/net's.
//
// COPY, MOVE and DELETE are x/net's too; when one succeeds, the Handler
// copies, moves or deletes the dead properties of the subtree in the Store,
// so a moved resource keeps its properties and a new one never inherits a
// deleted one's. Every other method goes to the wrapped handler untouched.
//
// # Concurrency
//
// A Handler is safe for concurrent use once configured, as long as its
// Store is. The PROPPATCH holds the x/net LockSystem's lock on the resource
// (a temporary one when the request has no If header, as x/net's own
// methods do) while it commits.
//
// # Security
//
// PROPPATCH and PROPFIND bodies are bounded by MaxBodyBytes (413 beyond),
// and proppatch.Parse refuses deep nesting, entity expansion and bodies
// that are not namespace well-formed; a PROPFIND body that is not
// namespace well-formed is refused with 400 before x/net reads it (x/net
// would answer it). The If header is parsed by package
// ifheader, in time linear in the header. A PROPFIND's 207 is built in
// memory before it is sent, so it costs memory in proportion to the
// resources it lists, up to MaxResponseBytes (507 beyond): x/net answers a
// PROPFIND without a Depth header with Depth: infinity, so put a limit on
// Depth in front of the Handler when the tree is large or the clients are
// not trusted. The tree change and the
// property change of a COPY, MOVE or DELETE are two steps: a crash between
// them can leave properties on the old path (PROPPATCH alone is atomic).
package xnetdav
