package server

import (
	"context"
	"net/http"
)

// opsState is what the operations listener keeps. (Placeholder.)
type opsState struct{}

// withMetrics counts requests. (Placeholder.)
func (s *Server) withMetrics(h http.Handler) http.Handler { return h }

// startOps starts the /metrics, /healthz and /readyz listener when
// configured; the returned func stops it. (Placeholder.)
func (s *Server) startOps(ctx context.Context) (stop func(), err error) { return func() {}, nil }
