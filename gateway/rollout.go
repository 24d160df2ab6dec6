package gateway

import (
	"context"
	"time"

	"github.com/rtgw/realtime/rollout"
)

// Rollout decides at handshake whether a client may use WebSocket.
// *rollout.Source implements it; nil Config.Rollout lets everyone in.
type Rollout interface {
	// Decide answers for the token's user and org; optIn is the
	// handshake's "optIn" (the browser asks to be let in).
	Decide(ctx context.Context, user, org string, optIn bool) rollout.Decision
	Enabled() bool
}

// reasonKillSwitch labels connections closed because the kill switch was
// thrown while they were connected.
const reasonKillSwitch rollout.Reason = "kill_switch"

// KillSwitch moves every WebSocket client of this node to the fallback
// transport: each gets the fallback message and close 4010. The closes are
// spread evenly over Config.KillSpread so the long-poll endpoint is not hit
// by every client at once; if the switch is turned back on meanwhile, the
// remaining clients stay. Call it when the rollout's "enabled" turns off
// (rollout.Config.OnKill).
func (s *Server) KillSwitch() {
	s.spawn(func() {
		var conns []*conn
		for i := 0; i < registryShards; i++ {
			conns = s.reg.snapshot(i, conns)
		}
		s.log.Warn().Int("connections", len(conns)).Dur("spread", s.cfg.KillSpread).
			Msg("rollout kill switch: moving WebSocket clients to the fallback")
		step := s.cfg.KillSpread / time.Duration(max(len(conns), 1))
		tick := time.NewTicker(max(step, time.Millisecond))
		defer tick.Stop()
		for _, c := range conns {
			if s.cfg.Rollout != nil && s.cfg.Rollout.Enabled() {
				return // switched back on: leave the rest connected
			}
			if st := c.currentState(); st == stateActive || st == stateJoining {
				s.metrics.fellBack(reasonKillSwitch)
				c.closeWith(&Disconnect{Code: CloseFallback, Message: string(reasonKillSwitch)})
			}
			select {
			case <-tick.C:
			case <-s.stop:
				return
			}
		}
	})
}
