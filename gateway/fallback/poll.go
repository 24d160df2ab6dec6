package fallback

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/rtgw/realtime/gateway/httpapi"
	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/store"
)

// Long-poll timeouts, in seconds: the default wait and the cap.
const (
	pollDefaultWait = 25
	pollMaxWait     = 30
)

// Poll serves GET /v2/realtime/poll?services=a,b&lastSeq=N[&epoch=E][&timeout=25].
// It answers at once when there are events after lastSeq (or the position
// is void), else waits on this node's org tail — not on Redis — up to
// timeout seconds (never past the token's exp plus leeway) and answers with
// what arrived, possibly nothing. Each request checks its token and the
// revocation record; a revocation while it waits answers 401.
func (s *Service) Poll(w http.ResponseWriter, r *http.Request) {
	req, herr := s.cfg.Core.Parse(r)
	if herr != nil {
		herr.Write(w)
		return
	}
	wait, herr := pollWait(r.URL.Query().Get("timeout"))
	if herr != nil {
		herr.Write(w)
		return
	}
	fc, herr := s.admit(r.Context(), &req.Claims)
	if herr != nil {
		herr.Write(w)
		return
	}
	defer s.Clients.remove(fc)
	head, pos, recovered, ok := s.start(w, r, req)
	if !ok {
		return
	}
	s.cfg.Counters.Polls.Inc()
	if req.LastSeq == nil || !*recovered {
		s.writePoll(w, nil, pos, head.Epoch, recovered)
		return
	}
	t, ok := s.acquire(w, req.Claims.Org)
	if !ok {
		return
	}
	defer t.Release()
	// A poll never waits past its token: events published after it ran
	// out are for the next request, which needs a new token.
	deadline := time.Now().Add(wait)
	if end := s.cfg.Core.Deadline(&req.Claims); end.Before(deadline) {
		deadline = end
	}
	var out []store.Event
	for {
		evs, v, err := s.readAfter(r.Context(), req.Claims.Org, t, pos, head.Epoch)
		notRecovered := false
		switch {
		case errors.Is(err, errGap):
			s.writePoll(w, nil, v.Seq, v.Epoch, &notRecovered)
			return
		case err != nil:
			httpapi.WriteUnavailable(w)
			return
		}
		for _, ev := range evs {
			pos = ev.Seq
			if slices.Contains(req.Services, ev.Service) {
				out = append(out, ev)
			}
		}
		if len(out) > 0 {
			break
		}
		if len(evs) > 0 { // only other services' events so far: read on
			if time.Now().After(deadline) {
				break
			}
			continue
		}
		if !Wait(v.Changed, time.Until(deadline), r.Context().Done(), fc.cut, s.cfg.Drain) {
			break
		}
	}
	if fc.revoked() { // cut while waiting: nothing more for this token
		s.cfg.Ends.Revoked.Write(w)
		return
	}
	s.writePoll(w, out, pos, head.Epoch, recovered)
}

func pollWait(v string) (time.Duration, *Error) {
	if v == "" {
		return pollDefaultWait * time.Second, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, &Error{http.StatusBadRequest, "bad_request", "timeout must be a whole number of seconds"}
	}
	return time.Duration(min(n, pollMaxWait)) * time.Second, nil
}

// writePoll answers {"events":[…],"seq":S,"epoch":"E","recovered":bool};
// seq is the position to send as lastSeq next time (it may be past the last
// event listed when other services' events were skipped).
func (s *Service) writePoll(w http.ResponseWriter, evs []store.Event, seq int64, epoch string, recovered *bool) {
	for i := range evs { // the caller's copies: the ring keeps its own
		s.cfg.Sanitize(&evs[i])
	}
	b := message.Poll(evs, seq, epoch, recovered)
	s.cfg.Counters.Delivered.Add(len(evs))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}
