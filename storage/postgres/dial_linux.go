package postgres

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// dialer dials the database with TCP keepalives and TCP_USER_TIMEOUT set
// to SendTimeout, so a connection whose packets vanish (a partition, a
// host gone without a reset) fails instead of hanging a request.
func dialer() *net.Dialer {
	return &net.Dialer{
		KeepAlive: SendTimeout / 2,
		Control: func(network, address string, c syscall.RawConn) error {
			if network != "tcp" && network != "tcp4" && network != "tcp6" {
				return nil // a Unix socket
			}
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(SendTimeout.Milliseconds()))
			})
			if err != nil {
				return err
			}
			return serr
		},
	}
}
