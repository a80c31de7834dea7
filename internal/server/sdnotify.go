package server

import (
	"errors"
	"fmt"
	"net"
	"os"
)

// notify tells the service manager about the server's state, as
// sd_notify(3) does: "READY=1" once serving, "STOPPING=1" when shutdown
// begins. It does nothing unless NOTIFY_SOCKET is set, as systemd sets it
// for a Type=notify unit. A failure is logged, never fatal.
//
// NOTIFY_SOCKET is read here rather than through internal/config: it is
// the service manager's protocol with this process, not a setting.
func (s *Server) notify(state string) {
	sent, err := sdNotify(os.Getenv("NOTIFY_SOCKET"), state)
	switch {
	case err != nil:
		s.log.Warn("sd_notify failed", "state", state, "err", err)
	case sent:
		s.log.Debug("sd_notify", "state", state)
	}
}

// sdNotify sends state as one datagram to the unix socket socket: an
// absolute path, or an abstract socket name starting with "@". It reports
// whether it sent anything; an empty socket is not an error.
func sdNotify(socket, state string) (sent bool, err error) {
	if socket == "" {
		return false, nil
	}
	if socket[0] != '/' && socket[0] != '@' {
		return false, fmt.Errorf("NOTIFY_SOCKET %q: want an absolute path or an @abstract name", socket)
	}
	// net maps a leading "@" to the abstract namespace.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return false, err
	}
	_, err = conn.Write([]byte(state))
	return err == nil, errors.Join(err, conn.Close())
}
