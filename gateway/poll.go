package gateway

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/store"
)

// Long-poll timeouts, in seconds: the default wait and the cap.
const (
	pollDefaultWait = 25
	pollMaxWait     = 30
)

// handlePoll serves GET /v2/realtime/poll?services=a,b&lastSeq=N[&epoch=E][&timeout=25].
// It answers at once when there are events after lastSeq (or the position
// is void), else waits on this node's org tail — not on Redis — up to
// timeout seconds (never past the token's exp plus leeway) and answers with
// what arrived, possibly nothing. Each request checks its token and the
// revocation record; a revocation while it waits answers 401.
func (s *Server) handlePoll(w http.ResponseWriter, r *http.Request) {
	req, herr := s.parseFallback(r)
	if herr != nil {
		herr.write(w)
		return
	}
	wait, herr := pollWait(r.URL.Query().Get("timeout"))
	if herr != nil {
		herr.write(w)
		return
	}
	fc, herr := s.admitFallback(r.Context(), &req.claims)
	if herr != nil {
		herr.write(w)
		return
	}
	defer s.fallbacks.remove(fc)
	head, pos, recovered, err := s.start(r.Context(), req)
	if err != nil {
		writeUnavailable(w)
		return
	}
	s.metrics.polls.Inc()
	if req.hs.LastSeq == nil || !*recovered {
		s.writePoll(w, nil, pos, head.Epoch, recovered)
		return
	}
	t, ok := s.tailFor(w, req.claims.Org)
	if !ok {
		return
	}
	defer t.release()
	// A poll never waits past its token: events published after it ran
	// out are for the next request, which needs a new token.
	deadline := time.Now().Add(wait)
	if end := s.tokenDeadline(&req.claims); end.Before(deadline) {
		deadline = end
	}
	var out []store.Event
	for {
		evs, v, err := s.readAfter(r.Context(), t, pos, head.Epoch)
		notRecovered := false
		switch {
		case errors.Is(err, errReplayGap):
			s.writePoll(w, nil, v.seq, v.epoch, &notRecovered)
			return
		case err != nil:
			writeUnavailable(w)
			return
		}
		for _, ev := range evs {
			pos = ev.Seq
			if contains(req.services, ev.Service) {
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
		if !s.waitChange(v.changed, time.Until(deadline), r.Context().Done(), fc.cut) {
			break
		}
	}
	if fc.revoked() { // cut while waiting: nothing more for this token
		errRevokedHTTP.write(w)
		return
	}
	s.writePoll(w, out, pos, head.Epoch, recovered)
}

func pollWait(v string) (time.Duration, *httpError) {
	if v == "" {
		return pollDefaultWait * time.Second, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, &httpError{http.StatusBadRequest, "bad_request", "timeout must be a whole number of seconds"}
	}
	return time.Duration(min(n, pollMaxWait)) * time.Second, nil
}

// writePoll answers {"events":[…],"seq":S,"epoch":"E","recovered":bool};
// seq is the position to send as lastSeq next time (it may be past the last
// event listed when other services' events were skipped).
func (s *Server) writePoll(w http.ResponseWriter, evs []store.Event, seq int64, epoch string, recovered *bool) {
	for i := range evs { // the caller's copies: the ring keeps its own
		sanitizeEvent(&evs[i])
	}
	b := message.Poll(evs, seq, epoch, recovered)
	s.metrics.delivered.Add(len(evs))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}
