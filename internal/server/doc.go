// Package server runs atomdav: it opens the property store, builds the
// WebDAV handler, wraps it in the middleware chain (recover, request id,
// access log) and serves it until its context ends, then drains in-flight
// requests and closes the store cleanly. It is the only package that logs.
package server
