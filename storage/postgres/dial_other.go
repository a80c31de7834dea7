//go:build !linux

package postgres

import "net"

// dialer dials the database with TCP keepalives; only Linux also bounds
// unacknowledged sends (see dial_linux.go).
func dialer() *net.Dialer {
	return &net.Dialer{KeepAlive: SendTimeout / 2}
}
