package gateway

import (
	"encoding/base64"
	"io"
	"syscall"

	"golang.org/x/sys/unix"
)

var ioReadFull = io.ReadFull

func setRcvBuf(n int) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
		})
		if err != nil {
			return err
		}
		return serr
	}
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
