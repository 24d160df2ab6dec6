package main

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// ceilingServer is the reference for every fan-out number: a bare Go
// server that speaks just enough WebSocket to look like the gateway to the
// same clients (upgrade, handshake, ack), then writes pre-built event
// frames round-robin to every socket as fast as the box allows. No Redis,
// no queues, no epoll of its own: one blocking write per frame per socket.
type ceilingServer struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn // caller holds mu
	wg    sync.WaitGroup
}

var ackCeiling = appendServerFrame(nil, []byte(`{"type":"ack","seq":0,"epoch":"ceiling"}`))

func startCeilingServer(addr string) (*ceilingServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &ceilingServer{ln: ln}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *ceilingServer) addr() string { return s.ln.Addr().String() }

func (s *ceilingServer) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond) // EMFILE and the like: back off, then go on
			continue
		}
		go s.admit(nc)
	}
}

// admit upgrades, reads the client's handshake and acks it.
func (s *ceilingServer) admit(nc net.Conn) {
	_ = nc.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := ws.Upgrade(nc); err != nil {
		nc.Close()
		return
	}
	if _, err := wsutil.ReadClientText(nc); err != nil {
		nc.Close()
		return
	}
	if _, err := nc.Write(ackCeiling); err != nil {
		nc.Close()
		return
	}
	_ = nc.SetDeadline(time.Time{})
	s.mu.Lock()
	s.conns = append(s.conns, nc)
	s.mu.Unlock()
}

func (s *ceilingServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// close stops accepting and closes every connection.
func (s *ceilingServer) close() {
	s.ln.Close()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, nc := range s.conns {
		nc.Close()
	}
}
