// Package server runs atomdav: it opens the property store, builds the
// WebDAV handler, wraps it in the middleware chain (recover, request id,
// access log, metrics, trusted proxies, allowed hosts, CORS,
// authentication, which also serves the Nextcloud/ownCloud URL layout:
// layout.go, ocs.go), listens
// (TLS with SIGHUP reload, connection cap), serves /metrics, /healthz and
// /readyz on a separate listener, tells systemd when it is ready, and at
// the end of its context drains in-flight requests and closes the store
// cleanly. It is the only package that logs. It also opens the folders
// of the chunked uploads (STATE/uploads, or the shared folder's
// .atomdav/uploads with a shared store) and sweeps the expired ones at
// start and while serving (uploads.go). It writes the access log
// (accesslog.go): Apache's combined format or JSON, to stderr or to a file
// reopened on SIGHUP.
//
// Reload (reload.go) is the one thing SIGHUP does: it re-reads the TLS
// certificate and the users (YAML users, users-file, user, anonymous
// access and the users' settings), which a change of the users file or
// the configuration file on disk also reloads. The authentication gate is
// rebuilt and swapped in whole (an atomic pointer): each request runs
// through the gate it found when it came in, to its end, and no
// connection is dropped.
//
// # Security
//
// A reload that fails (a broken users file, an invalid configuration)
// keeps the users served; one that succeeds forgets every cached login,
// so a removed user's or an old password's next request is 401, while the
// failed-login counts carry over (a reload forgives no guess). Keys other
// than the users' are not applied by a reload, whatever the file says.
//
// Request headers are bounded (Config.MaxHeaderBytes, 64 KiB by default
// rather than net/http's 1 MB: 431 above) and must arrive within
// ReadHeaderTimeout, so the memory a connection holds before its request
// is routed is small; max-conns bounds the connections.
//
// With anonymous access on a loopback address, a request whose Host is
// neither localhost, an IP address nor one of allowed-hosts is refused
// (421) before CORS and authentication: a web page cannot reach the share
// through DNS rebinding. The operations listener (metrics, pprof), which
// has no authentication, does the same whenever it is on loopback.
//
// Each view carries its principal's rules (the top-level rules and the
// user's own, compiled in newGate, so a rebuilt gate reloads them); the
// view enforces them (internal/dav, internal/access).
//
// The Nextcloud/ownCloud layout (nextcloud-urls) serves no one anything
// the plain layout would not: its URLs lead to the view the gate picked
// for the authenticated user, after the same login (and failed-login
// limit). A user named in /remote.php/dav/files/<user>/ or
// /remote.php/dav/uploads/<user>/ must be the authenticated one, compared
// exactly on the cleaned path, else 403: no URL reaches another user's
// root. Requests there without credentials get 401 whatever the name
// (unless no users are configured), and the layout's listings show only
// the user's own folder, so user names are never confirmed. status.php
// and the OCS capabilities answer without login with fixed content; the
// OCS user endpoint requires a login. The answers the layout gives
// itself (status, OCS, its virtual collections) never read a request body.
//
// The access log escapes every byte a client chose (request line, Referer,
// User-Agent) as Apache does, and the JSON form as encoding/json does, so
// no request can end a field or forge a line; %u is only ever a user who
// logged in. Its lines wait in a bounded buffer: a slow log disk slows
// requests down rather than growing memory.
package server
