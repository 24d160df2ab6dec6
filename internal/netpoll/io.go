package netpoll

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Iovecs is caller-owned scratch space for Writev, reused across calls so a
// write costs no allocation: it also holds the callback RawConn.Write
// needs, built once (a closure made per call escapes and allocates).
type Iovecs struct {
	v   []unix.Iovec
	n   int
	err error
	fn  func(fd uintptr) bool
}

// NewIovecs returns scratch space for up to n buffers per write.
func NewIovecs(n int) *Iovecs {
	s := &Iovecs{v: make([]unix.Iovec, 0, n)}
	s.fn = s.writev
	return s
}

// Reset empties the list.
func (s *Iovecs) Reset() { s.v = s.v[:0] }

// Full reports whether another buffer would not fit.
func (s *Iovecs) Full() bool { return len(s.v) == cap(s.v) }

// Len reports how many buffers are queued.
func (s *Iovecs) Len() int { return len(s.v) }

// Append queues b (which must stay unmodified until Writev returns).
func (s *Iovecs) Append(b []byte) {
	if len(b) == 0 {
		return
	}
	var iov unix.Iovec
	iov.Base = &b[0]
	iov.SetLen(len(b))
	s.v = append(s.v, iov)
}

func (s *Iovecs) writev(fd uintptr) bool {
	for {
		r, _, e := unix.Syscall(unix.SYS_WRITEV, fd,
			uintptr(unsafe.Pointer(&s.v[0])), uintptr(len(s.v)))
		if e == unix.EINTR {
			continue
		}
		s.n, s.err = int(r), nil
		if e != 0 {
			s.n, s.err = 0, e
		}
		return true
	}
}

// Writev writes the queued buffers to raw's socket without ever waiting: it
// returns how many bytes the kernel took, and again=true when the send buffer
// was full (arm a Writable poller and try later). Partial writes are normal.
//
// It goes through RawConn.Write so the descriptor is pinned while in use; the
// callback always reports done, so the Go runtime never parks this goroutine
// on the socket — a stalled peer cannot hold a writer.
func Writev(raw syscall.RawConn, s *Iovecs) (n int, again bool, err error) {
	if len(s.v) == 0 {
		return 0, false, nil
	}
	werr := raw.Write(s.fn)
	n, sysErr := s.n, s.err
	if werr != nil {
		return 0, false, werr
	}
	if sysErr == unix.EAGAIN {
		return 0, true, nil
	}
	if sysErr != nil {
		return 0, false, sysErr
	}
	return max(n, 0), false, nil
}

// Reader reads sockets without waiting and without allocating. A closure
// handed to RawConn.Read escapes, so building one per call cost an
// allocation per read (the top allocation site of an upload, one per
// 16 KiB); a Reader builds its callback once. One goroutine uses it.
type Reader struct {
	buf []byte
	n   int
	err error
	fn  func(fd uintptr) bool
}

// NewReader returns a Reader for one goroutine.
func NewReader() *Reader {
	r := &Reader{}
	r.fn = r.read
	return r
}

func (r *Reader) read(fd uintptr) bool {
	for {
		r.n, r.err = unix.Read(int(fd), r.buf)
		if r.err != unix.EINTR {
			return true
		}
	}
}

// Read reads what the socket has right now into buf, without ever waiting:
// again=true means nothing was there (EAGAIN); n == 0 with again false and
// a nil error means the peer closed its side (EOF).
func (r *Reader) Read(raw syscall.RawConn, buf []byte) (n int, again bool, err error) {
	r.buf = buf
	rerr := raw.Read(r.fn)
	r.buf = nil
	n, sysErr := r.n, r.err
	if rerr != nil {
		return 0, false, rerr
	}
	if sysErr == unix.EAGAIN {
		return 0, true, nil
	}
	if sysErr != nil {
		return 0, false, sysErr
	}
	return max(n, 0), false, nil
}
