package upload

import "time"

// A worker commits while chunks flow, at most every progressEvery. The
// bytes that arrive after the last such commit would otherwise wait for
// the client's next chunk: a client that pauses (waits for progress before
// sending more, or its user's network stalls) would never hear that they
// are stored, and a node killed meanwhile would make it send them again.
// The flusher, one goroutine per node, hands every WebSocket upload that
// went quiet with uncommitted bytes back to the workers for one commit.
// It scans at most MaxActive uploads per tick and allocates one snapshot.
func (s *Service) flusher() {
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-tick.C:
			quiet := now.Add(-progressEvery).UnixNano()
			for _, u := range s.active.snapshot() {
				if u.c != nil && u.dirty.Load() && u.touched.Load() <= quiet {
					u.flushLater()
				}
			}
		}
	}
}

// flushLater has an upload worker, the upload's one writer, commit what was
// written since the last commit.
func (u *upload) flushLater() {
	u.runLater(func() bool {
		u.flush = !u.ended && !u.closing
		return u.flush
	})
}
