package rollout

import (
	"context"
	"time"
)

// Run re-reads the global fields every Refresh until stop is closed, keeping
// the cache warm for outages and calling OnKill when "enabled" turns off.
// The caller owns the goroutine.
func (s *Source) Run(stop <-chan struct{}) {
	tick := time.NewTicker(s.cfg.Refresh)
	defer tick.Stop()
	wasEnabled := s.Enabled()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if !s.refresh() {
			continue
		}
		now := s.Enabled()
		if wasEnabled && !now && s.cfg.OnKill != nil {
			s.cfg.OnKill()
		}
		wasEnabled = now
	}
}

// refresh reads the global fields; it reports whether the read worked.
func (s *Source) refresh() bool {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout*5)
	defer cancel()
	vals, err := s.cfg.Client.HMGet(ctx, s.cfg.Key, "enabled", "percent", "optin").Result()
	if err != nil {
		s.failed(err)
		return false
	}
	s.downUntil.Store(0)
	s.store(s.parseGlobals(vals[0], vals[1], vals[2]))
	return true
}
