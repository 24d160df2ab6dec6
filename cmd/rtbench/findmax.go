package main

import (
	"context"
	"time"
)

// search raises the rate by -factor per step until a step fails, then
// bisects between the best sustained rate and the first failed one while
// they are more than 10% apart and no client was lost. At most -steps steps;
// then one step at 50% of the best rate measures latency with headroom.
func (s *stepRunner) search(ctx context.Context) error {
	o := s.e.o
	rate := o.rate
	var best, failed *stepResult
	for range o.steps {
		st, err := s.step(ctx, rate)
		if err != nil {
			return err
		}
		if st.OK {
			best = st
		} else {
			failed = st
		}
		if st.Closed > 0 {
			break // the gateway dropped clients: later steps would measure fewer
		}
		switch {
		case failed == nil:
			rate *= o.factor
		case best == nil:
			rate /= o.factor
		case failed.Rate/best.Rate <= 1.1:
			return s.half(ctx, best)
		default:
			rate = (best.Rate + failed.Rate) / 2
		}
		// Let a failed step's backlog clear before the next one.
		if err := s.p.wait(ctx, time.Second); err != nil {
			return err
		}
	}
	return s.half(ctx, best)
}

// half records the best step and measures latency at half its rate.
func (s *stepRunner) half(ctx context.Context, best *stepResult) error {
	s.res.Max = best
	if best == nil {
		return nil
	}
	st, err := s.step(ctx, best.Rate/2)
	s.res.Half = st
	return err
}
