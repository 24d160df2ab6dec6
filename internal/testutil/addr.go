package testutil

import (
	"fmt"
	"net"
	"testing"
)

// FreePort asks the kernel for a free loopback port. It is free only until
// the probe closes: a caller that then fails to bind it should retry.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// FreeAddr is a free "127.0.0.1:port", failing the test if there is none.
func FreeAddr(t testing.TB) string {
	t.Helper()
	p, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", p)
}
