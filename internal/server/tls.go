package server

import "net"

// tlsState holds the reloadable certificate. (Placeholder.)
type tlsState struct{}

// listen binds the listen address. (Placeholder: plain TCP.)
func (s *Server) listen() (net.Listener, error) { return net.Listen("tcp", s.cfg.Addr) }
