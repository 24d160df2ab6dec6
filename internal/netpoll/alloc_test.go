package netpoll

import (
	"testing"
)

// The per-socket I/O calls allocate nothing: a read, a writev and an Arm
// run for every wake-up of every connection.
func TestIOAllocatesNothing(t *testing.T) {
	client, server := pair(t)
	raw, err := server.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	craw, _ := client.SyscallConn()
	p := startPoller(t, Readable)
	d, err := p.Add(server, chanHandler(make(chan struct{}, 1000)))
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader()
	iov := NewIovecs(4)
	msg := []byte("hello")
	buf := make([]byte, 64)
	allocs := testing.AllocsPerRun(200, func() {
		iov.Reset()
		iov.Append(msg)
		if n, _, err := Writev(craw, iov); err != nil || n != len(msg) {
			t.Fatalf("writev: %d %v", n, err)
		}
		for got := 0; got < len(msg); {
			n, _, err := r.Read(raw, buf)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			got += n
		}
		if err := d.Arm(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per write+read+arm, want 0", allocs)
	}
}
