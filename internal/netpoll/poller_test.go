package netpoll

import (
	"net"
	"sync/atomic"
	"testing"
	"time"
)

type chanHandler chan struct{}

func (h chanHandler) Ready() { h <- struct{}{} }

func pair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

func startPoller(t *testing.T, ev Events) *Poller {
	t.Helper()
	p, err := New(Config{Events: ev})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Run() }()
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return p
}

func expectReady(t *testing.T, h chanHandler, want bool) {
	t.Helper()
	select {
	case <-h:
		if !want {
			t.Fatal("Ready called, want silence")
		}
	case <-time.After(wait(want)):
		if want {
			t.Fatal("Ready not called")
		}
	}
}

// wait is how long to listen: long when an event is due (so a slow machine
// does not fail the test), short when checking for silence.
func wait(want bool) time.Duration {
	if want {
		return 5 * time.Second
	}
	return 100 * time.Millisecond
}

// One-shot: a readable socket is reported once per Arm, never twice.
func TestReadableOneShot(t *testing.T) {
	p := startPoller(t, Readable)
	client, server := pair(t)
	h := make(chanHandler, 4)
	d, err := p.Add(server, h)
	if err != nil {
		t.Fatal(err)
	}
	client.Write([]byte("x"))
	expectReady(t, h, false) // registered disarmed
	if err := d.Arm(); err != nil {
		t.Fatal(err)
	}
	expectReady(t, h, true)
	client.Write([]byte("y"))
	expectReady(t, h, false) // not re-armed yet
	if err := d.Arm(); err != nil {
		t.Fatal(err)
	}
	expectReady(t, h, true) // still unread data: reported at once
	d.Remove()
	if err := d.Arm(); err != ErrClosed {
		t.Fatalf("Arm after Remove = %v, want ErrClosed", err)
	}
	if p.Len() != 0 {
		t.Fatalf("Len = %d after Remove", p.Len())
	}
}

func TestArmAfterCloseFails(t *testing.T) {
	p := startPoller(t, Readable)
	_, server := pair(t)
	d, err := p.Add(server, make(chanHandler, 1))
	if err != nil {
		t.Fatal(err)
	}
	server.Close()
	if err := d.Arm(); err != ErrClosed {
		t.Fatalf("Arm on closed socket = %v, want ErrClosed", err)
	}
	d.Remove()
}

// Writev never blocks: a full send buffer reports again=true, and the
// Writable poller fires once the peer drains it.
func TestWritevNonBlockingAndWritable(t *testing.T) {
	p := startPoller(t, Writable)
	client, server := pair(t)
	server.SetWriteBuffer(8 << 10)
	client.SetReadBuffer(8 << 10)
	raw, _ := server.SyscallConn()
	buf := make([]byte, 64<<10)
	iov := NewIovecs(4)
	var total int
	for i := 0; ; i++ {
		iov.Reset()
		iov.Append(buf)
		start := time.Now()
		n, again, err := Writev(raw, iov)
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(start) > 50*time.Millisecond {
			t.Fatal("Writev blocked")
		}
		total += n
		if again {
			break
		}
		if i > 10000 {
			t.Fatal("send buffer never filled")
		}
	}
	h := make(chanHandler, 1)
	d, err := p.Add(server, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Arm(); err != nil {
		t.Fatal(err)
	}
	expectReady(t, h, false) // full: not writable
	var read atomic.Int64
	go func() {
		b := make([]byte, 32<<10)
		for read.Load() < int64(total) {
			n, err := client.Read(b)
			if err != nil {
				return
			}
			read.Add(int64(n))
		}
	}()
	expectReady(t, h, true)
	t.Logf("filled the send buffer with %d bytes; writable again after the peer read", total)
}

type countHandler struct{ n atomic.Int64 }

func (h *countHandler) Ready() { h.n.Add(1) }

// A registration that was never armed stays silent even when the peer
// resets the connection (epoll reports EPOLLHUP/EPOLLERR regardless).
func TestNeverArmedStaysSilentOnReset(t *testing.T) {
	for _, ev := range []Events{Readable, Writable} {
		p := startPoller(t, ev)
		client, server := pair(t)
		h := &countHandler{}
		if _, err := p.Add(server, h); err != nil {
			t.Fatal(err)
		}
		client.SetLinger(0)
		client.Close()
		time.Sleep(100 * time.Millisecond) // silence is what is checked
		if n := h.n.Load(); n != 0 {
			t.Fatalf("events %v: %d Ready calls on a never-armed socket", ev, n)
		}
	}
}
