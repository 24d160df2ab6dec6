package upload

import "time"

// sweep deletes the bytes of expired uploads. Their Redis state
// expires by itself; a part untouched for Expiry (plus a margin for the
// commit that follows a write, which is what extends the expiry) belongs
// to no live upload. It also releases uploads whose connection is open
// but sent nothing for Expiry, so idle uploads cannot hold the node's
// slots (MaxActive) and files open forever.
func (s *Service) sweep() {
	cfg := &s.cfg
	tick := time.NewTicker(min(cfg.Expiry/2, 10*time.Minute))
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-tick.C:
			n, err := cfg.Storage.RemoveStale(now.Add(-cfg.Expiry - min(cfg.Expiry, 10*time.Second)))
			if err != nil {
				s.log.Warn().Err(err).Msg("upload cleanup failed")
			}
			s.metrics.expired.Add(n)
			s.releaseIdle(now)
		}
	}
}

// releaseIdle detaches the uploads of open connections that sent nothing
// for Expiry, telling their clients.
func (s *Service) releaseIdle(now time.Time) {
	for _, u := range s.active.snapshot() {
		if u.c == nil || now.UnixNano()-u.touched.Load() < int64(s.cfg.Expiry) {
			continue // HTTP uploads are bounded by their request's read deadline
		}
		sendError(u.c, upErr(404, "upload_not_found", "upload expired: nothing sent for too long"), u.rec.ID)
		u.detach()
	}
}
