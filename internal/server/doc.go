// Package server runs atomdav: it opens the property store, builds the
// WebDAV handler, wraps it in the middleware chain (recover, request id,
// access log, metrics, trusted proxies, CORS, authentication), listens
// (TLS with SIGHUP reload, connection cap), serves /metrics, /healthz and
// /readyz on a separate listener, tells systemd when it is ready, and at
// the end of its context drains in-flight requests and closes the store
// cleanly. It is the only package that logs.
//
// # Security
//
// Request headers are bounded (Config.MaxHeaderBytes, 64 KiB by default
// rather than net/http's 1 MB: 431 above) and must arrive within
// ReadHeaderTimeout, so the memory a connection holds before its request
// is routed is small; max-conns bounds the connections.
package server
