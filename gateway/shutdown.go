package gateway

import (
	"context"
	"time"
)

// Shutdown drains the node: it turns /readyz unready and refuses new
// upgrades, closes every connection with 1012 (spread over window so the
// clients do not all reconnect to the other nodes in the same instant),
// waits until they are gone or ctx ends, then stops every goroutine.
//
// http.Server.Shutdown does not touch hijacked connections, so the caller
// runs it first (stop accepting) and this second.
func (s *Server) Shutdown(ctx context.Context, window time.Duration) error {
	s.beginDrain()
	var conns []*conn
	for i := 0; i < registryShards; i++ {
		conns = s.reg.snapshot(i, conns)
	}
	if len(conns) > 0 {
		step := window / time.Duration(len(conns))
		for i, c := range conns {
			c.closeWith(disconnect(CloseServiceRestart, "server restarting; reconnect with lastSeq"))
			if step > 0 && i < len(conns)-1 {
				select {
				case <-time.After(step):
				case <-ctx.Done():
				}
			}
		}
	}
	// Connections first, then the uploads they fed: each stores what it
	// received and commits, so its client resumes elsewhere losing nothing.
	for (s.reg.len() > 0 || s.uploads.Active() > 0) && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
	err := ctx.Err()
	s.close()
	return err
}

// BeginDrain makes the node unready (/readyz 503, new upgrades refused with
// 503) and ends long-polls and SSE streams, whose clients reconnect
// elsewhere with their position. Shutdown calls it; call it earlier to keep
// serving while load balancers notice.
func (s *Server) BeginDrain() { s.beginDrain() }

func (s *Server) beginDrain() {
	s.drainOnce.Do(func() {
		s.draining.Store(true)
		close(s.drain)
	})
}

// close stops every goroutine and closes what is left, at once.
func (s *Server) close() {
	s.stopOnce.Do(func() {
		s.beginDrain()
		close(s.stop)
		s.uploads.Close()
		for i := 0; i < registryShards; i++ {
			for _, c := range s.reg.snapshot(i, nil) {
				c.destroy()
			}
		}
		_ = s.feed.Close()
		s.readers.close()
		s.joiners.close()
		s.writers.close()
		_ = s.rpoll.Close()
		_ = s.wpoll.Close()
		s.wg.Wait()
	})
}

// Close stops the node without a drain.
func (s *Server) Close() { s.close() }
