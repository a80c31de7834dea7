package server

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"sync/atomic"

	"golang.org/x/net/netutil"
)

// tlsState holds the certificate served over TLS. It is replaced as a
// whole on SIGHUP (Reload), so a handshake sees either the old pair or the new one,
// never a mix.
type tlsState struct {
	// cert is the key pair GetCertificate hands to every handshake; nil
	// when TLS is off.
	cert atomic.Pointer[tls.Certificate]
}

// tlsOn reports whether the server speaks HTTPS.
func (s *Server) tlsOn() bool { return s.cfg.TLSCert != "" }

// scheme is "https" when TLS is on, else "http".
func (s *Server) scheme() string {
	if s.tlsOn() {
		return "https"
	}
	return "http"
}

// listen binds the listen address. With MaxConns it accepts at most that
// many connections at once (further ones wait in the kernel's backlog);
// with a certificate it speaks TLS 1.2 or later and offers HTTP/2.
//
// The TLS layer wraps the connection limit, not the other way round:
// net/http recognises TLS connections, and so negotiates HTTP/2, only when
// the listener hands it a *tls.Conn. With http.Server.TLSConfig left nil,
// Serve sets up its bundled HTTP/2 for such a listener by itself.
func (s *Server) listen() (net.Listener, error) {
	var cfg *tls.Config
	if s.tlsOn() {
		cert, err := loadCertificate(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return nil, err
		}
		s.tls.cert.Store(cert)
		cfg = &tls.Config{
			MinVersion: tls.VersionTLS12,
			NextProtos: []string{"h2", "http/1.1"},
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
				return s.tls.cert.Load(), nil
			},
		}
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, err
	}
	if s.cfg.MaxConns > 0 {
		ln = netutil.LimitListener(ln, s.cfg.MaxConns)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	return ln, nil
}

// reloadCertificate replaces the served certificate with the files' current
// content, or logs why it cannot.
func (s *Server) reloadCertificate() {
	cert, err := loadCertificate(s.cfg.TLSCert, s.cfg.TLSKey)
	if err != nil {
		s.log.Error("TLS certificate not reloaded; still serving the previous one", "err", err)
		return
	}
	s.tls.cert.Store(cert)
	if cert.Leaf != nil {
		s.log.Info("TLS certificate reloaded", "subject", cert.Leaf.Subject.String(), "not_after", cert.Leaf.NotAfter)
	} else {
		s.log.Info("TLS certificate reloaded")
	}
}

// loadCertificate reads a PEM certificate chain and its private key,
// naming the setting at fault in its error.
func loadCertificate(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("tls-cert: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls-key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tls-cert %s, tls-key %s: %w", certFile, keyFile, err)
	}
	return &cert, nil
}
