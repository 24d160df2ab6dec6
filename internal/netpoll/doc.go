// Package netpoll tells a caller when one of many sockets is ready, using one
// epoll instance and one goroutine for all of them.
//
// It exists so that an idle WebSocket connection costs the gateway no
// goroutine: the gateway registers each socket here and is called back when
// the socket becomes readable (or writable), then hands the work to a bounded
// worker pool.
//
// Registrations are one-shot (EPOLLONESHOT): after a socket reports ready it
// stays silent until the owner calls Arm again. That gives the owner a simple
// invariant, "at most one worker handles a socket at a time", without a lock
// on the read path.
//
// Unlike github.com/mailru/easygo/netpoll it does not dup(2) the descriptor:
// a dup doubles the file descriptors per connection, and this workplace's hard
// limit is 20,000 per process. Every epoll_ctl runs inside
// syscall.RawConn.Control, which holds a reference on the descriptor, so a
// descriptor number that was closed and reused can never be armed by mistake.
//
// Usage:
//
//	p, _ := netpoll.New(netpoll.Config{Events: netpoll.Readable})
//	go p.Run()              // owned by the caller; stopped by p.Close
//	d, _ := p.Add(tcpConn, handler)
//	// handler.Ready is called once; after serving it:
//	d.Arm()
//	// when the connection is done:
//	d.Remove(); tcpConn.Close()
package netpoll
