package netpoll

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Desc is one socket's registration with a Poller.
type Desc struct {
	p   *Poller
	id  uint64
	raw syscall.RawConn
	h   Handler

	// armed is set by Arm and cleared by the poller when it reports the
	// socket. epoll reports EPOLLHUP/EPOLLERR even for a registration that
	// was never armed (the kernel always adds them), so without this a
	// peer's reset could call Ready on a socket whose owner is not waiting
	// for it — and hand one connection to two workers at once.
	armed atomic.Bool

	mu      sync.Mutex
	removed bool // caller holds mu

	// ctl's arguments and result, and the RawConn.Control callback built
	// once in Add: a closure per call would allocate on every Arm, which
	// is once per read wake-up. Caller holds mu.
	op     int
	events uint32
	opErr  error
	ctlFn  func(fd uintptr)
}

// Arm asks for one more Ready call when the socket is next ready. Arming an
// already-ready socket reports it at once. It returns ErrClosed after Remove
// or once the socket has been closed.
func (d *Desc) Arm() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.removed {
		return ErrClosed
	}
	d.armed.Store(true)
	if err := d.ctl(unix.EPOLL_CTL_MOD, uint32(d.p.cfg.Events)|unix.EPOLLONESHOT); err != nil {
		d.armed.Store(false)
		return err
	}
	return nil
}

// Remove unregisters the socket. It is safe to call more than once, and after
// the socket was closed (the kernel drops closed descriptors by itself).
func (d *Desc) Remove() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.removed {
		return
	}
	d.removed = true
	d.p.forget(d.id)
	_ = d.ctl(unix.EPOLL_CTL_DEL, 0)
}

// ctl runs epoll_ctl inside RawConn.Control, which pins the descriptor for
// the duration of the call; on a closed socket Control fails instead of
// touching a reused descriptor number.
// Caller holds d.mu (or has not shared d yet).
func (d *Desc) ctl(op int, events uint32) error {
	d.op, d.events, d.opErr = op, events, nil
	if err := d.raw.Control(d.ctlFn); err != nil {
		return ErrClosed
	}
	if d.opErr != nil {
		return fmt.Errorf("netpoll: epoll_ctl: %w", d.opErr)
	}
	return nil
}

func (d *Desc) control(fd uintptr) {
	ev := unix.EpollEvent{Events: d.events}
	setEventID(&ev, d.id)
	d.opErr = unix.EpollCtl(d.p.epfd, d.op, int(fd), &ev)
}
