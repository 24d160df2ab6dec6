package netpoll

import (
	"errors"
	"fmt"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Events selects what a Poller waits for.
type Events uint32

const (
	// Readable waits for input, a peer's half-close, or an error.
	Readable = Events(unix.EPOLLIN | unix.EPOLLRDHUP)
	// Writable waits for room in the socket's send buffer.
	Writable = Events(unix.EPOLLOUT)
)

// ErrClosed is returned for operations on a closed Poller or a removed Desc.
var ErrClosed = errors.New("netpoll: closed")

// Handler is told that its socket is ready. Ready runs on the poller's single
// goroutine, so it must not block: hand the work to a pool and return.
type Handler interface {
	Ready()
}

// Config configures a Poller.
type Config struct {
	// Events is what every registration waits for. Default Readable.
	Events Events
	// MaxEvents is how many readiness events one epoll_wait returns at most.
	// Default 256.
	MaxEvents int
}

// Poller multiplexes readiness of many sockets onto one goroutine (Run).
type Poller struct {
	cfg    Config
	epfd   int
	wakefd int

	mu     sync.Mutex
	descs  map[uint64]*Desc // caller holds mu
	nextID uint64
	closed bool
	done   chan struct{}
}

// New creates an epoll instance. The caller must run p.Run in a goroutine it
// owns and stop it with p.Close.
func New(cfg Config) (*Poller, error) {
	if cfg.Events == 0 {
		cfg.Events = Readable
	}
	if cfg.MaxEvents <= 0 {
		cfg.MaxEvents = 256
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netpoll: epoll_create1: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("netpoll: eventfd: %w", err)
	}
	// ID 0 is reserved for the wake-up descriptor that Close writes to.
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wakefd)
		return nil, fmt.Errorf("netpoll: register eventfd: %w", err)
	}
	return &Poller{
		cfg:    cfg,
		epfd:   epfd,
		wakefd: wakefd,
		descs:  make(map[uint64]*Desc),
		nextID: 1,
		done:   make(chan struct{}),
	}, nil
}

// Len reports how many sockets are registered.
func (p *Poller) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.descs)
}

// Run waits for readiness and calls handlers until Close. It returns nil after
// Close, or the epoll_wait error that stopped it.
func (p *Poller) Run() error {
	defer close(p.done)
	events := make([]unix.EpollEvent, p.cfg.MaxEvents)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("netpoll: epoll_wait: %w", err)
		}
		for i := 0; i < n; i++ {
			id := eventID(&events[i])
			if id == 0 {
				return nil // woken by Close
			}
			p.mu.Lock()
			d := p.descs[id]
			p.mu.Unlock()
			if d != nil && d.armed.CompareAndSwap(true, false) {
				d.h.Ready()
			}
		}
	}
}

// Close stops Run, waits for it to return and releases the epoll instance.
// Registered sockets are not closed: they belong to their owners.
func (p *Poller) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.closed = true
	p.mu.Unlock()
	one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
	if _, err := unix.Write(p.wakefd, one); err != nil {
		return fmt.Errorf("netpoll: wake: %w", err)
	}
	<-p.done
	unix.Close(p.wakefd)
	return unix.Close(p.epfd)
}

// eventID reads the 64-bit registration id packed into an epoll event's data.
// A per-registration id, rather than the fd number, keeps a late event for a
// closed socket from reaching the next socket that reuses its number.
func eventID(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

func setEventID(ev *unix.EpollEvent, id uint64) {
	ev.Fd = int32(uint32(id))
	ev.Pad = int32(uint32(id >> 32))
}

// Add registers conn, disarmed: call Arm on the returned Desc to start
// waiting. h.Ready is called once per Arm when the socket is ready.
func (p *Poller) Add(conn syscall.Conn, h Handler) (*Desc, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("netpoll: syscall conn: %w", err)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	id := p.nextID
	p.nextID++
	d := &Desc{p: p, id: id, raw: raw, h: h}
	d.ctlFn = d.control
	p.descs[id] = d
	p.mu.Unlock()

	// Registered with no events: EPOLLONESHOT with an empty mask is a
	// registration that reports nothing until Arm.
	if err := d.ctl(unix.EPOLL_CTL_ADD, unix.EPOLLONESHOT); err != nil {
		p.forget(id)
		return nil, err
	}
	return d, nil
}

func (p *Poller) forget(id uint64) {
	p.mu.Lock()
	delete(p.descs, id)
	p.mu.Unlock()
}
