package server

import (
	"net/http"

	"github.com/atomdav/atomdav/internal/dav"
)

// withAuth authenticates the request and serves it through the user's
// view of the share. (Placeholder: anonymous read-write access to all.)
func (s *Server) withAuth(h *dav.Handler) http.Handler { return h }
