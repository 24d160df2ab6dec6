package fallback

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/rtgw/realtime/gateway/message"
)

// sseWriteTimeout bounds one write to an SSE client; a client that does not
// read is cut off instead of holding its handler forever.
const sseWriteTimeout = 10 * time.Second

// SSE serves GET /v2/realtime/sse?services=a,b[&lastSeq=N][&epoch=E].
// The browser's EventSource sends Last-Event-ID on reconnect; each event's
// SSE id is its seq. The first message is an "ack" event with the same
// fields as the WebSocket ack (exp included). The stream ends with an
// "error" event (code token_expired) at the token's exp plus leeway, or
// (code revoked) when a revocation covers it. Pull-based: the handler reads after its own
// position, so a slow client costs no queue, only its own goroutine.
func (s *Service) SSE(w http.ResponseWriter, r *http.Request) {
	req, herr := s.cfg.Core.Parse(r)
	if herr != nil {
		herr.Write(w)
		return
	}
	if e := s.cfg.Logger.Debug(); e.Enabled() {
		// EventSource cannot set headers: the token is in the URL.
		e.Str("url", s.cfg.Redact(r.URL)).Str("remote", r.RemoteAddr).Str("org", req.Claims.Org).Msg("sse stream")
	}
	head, pos, recovered, ok := s.start(w, r, req)
	if !ok {
		return
	}
	fc, herr := s.admit(r.Context(), &req.Claims)
	if herr != nil {
		herr.Write(w)
		return
	}
	defer s.Clients.remove(fc)
	end := s.cfg.Core.Deadline(&req.Claims)
	t, ok := s.acquire(w, req.Claims.Org)
	if !ok {
		return
	}
	defer t.Release()
	s.cfg.Counters.SSEStreams.Inc()
	defer s.cfg.Counters.SSEStreams.Dec()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	sw := sseWriter{w: w, rc: http.NewResponseController(w)}
	// The ack carries an id too: a stream that drops before its first event
	// then resumes from the ack's position instead of the URL's.
	sw.buf = append(sw.buf, "retry: 2000\nevent: ack\nid: "...)
	sw.buf = strconv.AppendInt(sw.buf, pos, 10)
	sw.buf = append(sw.buf, "\ndata: "...)
	sw.buf = append(sw.buf, message.Ack(pos, head.Epoch, recovered, req.Claims.Expiry.Unix(), time.Now())...)
	sw.buf = append(sw.buf, "\n\n"...)
	if sw.flush() != nil {
		return
	}
	for {
		if s.authorityEnded(&sw, fc, end, pos) {
			return
		}
		evs, v, err := s.readAfter(r.Context(), req.Claims.Org, t, pos, head.Epoch)
		switch {
		case errors.Is(err, errGap):
			// The log was reset or trimmed past us. The resync event's id
			// moves the browser's Last-Event-ID to the new head, so its
			// automatic reconnect starts there (and is acked recovered).
			sw.event("resync", v.Seq, message.Resync(v.Epoch))
			_ = sw.flush()
			return
		case err != nil:
			return // the client reconnects with Last-Event-ID
		}
		for _, ev := range evs {
			pos = ev.Seq
			if slices.Contains(req.Services, ev.Service) {
				s.cfg.Sanitize(&ev)
				sw.event("", ev.Seq, message.AppendFlatEvent(nil, ev))
				s.cfg.Counters.Delivered.Inc()
			}
		}
		if len(evs) > 0 {
			if sw.flush() != nil {
				return
			}
			continue
		}
		if !Wait(v.Changed, min(s.cfg.PingInterval, time.Until(end)), r.Context().Done(), fc.cut, s.cfg.Drain) {
			if r.Context().Err() != nil || s.cfg.Core.Draining() {
				return
			}
			if fc.revoked() || !time.Now().Before(end) {
				continue // the loop's first check ends the stream
			}
			sw.buf = append(sw.buf, ": ping\n\n"...)
			if sw.flush() != nil {
				return
			}
		}
	}
}

// authorityEnded ends a stream whose token was revoked or ran out, with
// an error event (code revoked or token_expired) carrying the position, so
// the client resumes from there with a new token. It runs before every read,
// so no event published after the token's end is sent.
func (s *Service) authorityEnded(sw *sseWriter, fc *client, end time.Time, pos int64) bool {
	var e *Error
	switch {
	case fc.revoked():
		e = &s.cfg.Ends.RevokedEvent
	case !time.Now().Before(end):
		s.cfg.Counters.TokenExpired.Inc()
		e = &s.cfg.Ends.ExpiredEvent
	default:
		return false
	}
	sw.event("error", pos, message.Error(e.Code, e.Message))
	_ = sw.flush()
	return true
}

type sseWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
}

// event appends one SSE message; data must be a single line (JSON is).
func (sw *sseWriter) event(name string, id int64, data []byte) {
	if name != "" {
		sw.buf = append(sw.buf, "event: "...)
		sw.buf = append(sw.buf, name...)
		sw.buf = append(sw.buf, '\n')
	}
	sw.buf = append(sw.buf, "id: "...)
	sw.buf = strconv.AppendInt(sw.buf, id, 10)
	sw.buf = append(sw.buf, "\ndata: "...)
	sw.buf = append(sw.buf, data...)
	sw.buf = append(sw.buf, "\n\n"...)
}

func (sw *sseWriter) flush() error {
	_ = sw.rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
	_, err := sw.w.Write(sw.buf)
	sw.buf = sw.buf[:0]
	if err == nil {
		err = sw.rc.Flush()
	}
	return err
}
