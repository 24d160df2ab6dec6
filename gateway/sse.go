package gateway

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/rtgw/realtime/gateway/message"
)

// sseWriteTimeout bounds one write to an SSE client; a client that does not
// read is cut off instead of holding its handler forever.
const sseWriteTimeout = 10 * time.Second

// handleSSE serves GET /v2/realtime/sse?services=a,b[&lastSeq=N][&epoch=E].
// The browser's EventSource sends Last-Event-ID on reconnect; each event's
// SSE id is its seq. The first message is an "ack" event with the same
// fields as the WebSocket ack (exp included). The stream ends with an
// "error" event (code token_expired) at the token's exp plus leeway, or
// (code revoked) when a revocation covers it. Pull-based: the handler reads after its own
// position, so a slow client costs no queue, only its own goroutine.
func (s *Server) handleSSE(w http.ResponseWriter, r *http.Request) {
	req, herr := s.parseFallback(r)
	if herr != nil {
		herr.write(w)
		return
	}
	if e := s.log.Debug(); e.Enabled() {
		// EventSource cannot set headers: the token is in the URL.
		e.Str("url", redactURL(r.URL)).Str("remote", r.RemoteAddr).Str("org", req.claims.Org).Msg("sse stream")
	}
	head, pos, recovered, err := s.start(r.Context(), req)
	if err != nil {
		writeUnavailable(w)
		return
	}
	fc, herr := s.admitFallback(r.Context(), &req.claims)
	if herr != nil {
		herr.write(w)
		return
	}
	defer s.fallbacks.remove(fc)
	end := s.tokenDeadline(&req.claims)
	t, ok := s.tailFor(w, req.claims.Org)
	if !ok {
		return
	}
	defer t.release()
	s.metrics.sseStreams.Inc()
	defer s.metrics.sseStreams.Dec()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	sw := sseWriter{w: w, rc: http.NewResponseController(w)}
	// The ack carries an id too: a stream that drops before its first event
	// then resumes from the ack's position instead of the URL's.
	sw.buf = append(sw.buf, "retry: 2000\nevent: ack\nid: "...)
	sw.buf = strconv.AppendInt(sw.buf, pos, 10)
	sw.buf = append(sw.buf, "\ndata: "...)
	sw.buf = append(sw.buf, message.Ack(pos, head.Epoch, recovered, req.claims.Expiry.Unix(), time.Now())...)
	sw.buf = append(sw.buf, "\n\n"...)
	if sw.flush() != nil {
		return
	}
	for {
		if s.sseAuthorityEnded(&sw, fc, end, pos) {
			return
		}
		evs, v, err := s.readAfter(r.Context(), t, pos, head.Epoch)
		switch {
		case errors.Is(err, errReplayGap):
			// The log was reset or trimmed past us. The resync event's id
			// moves the browser's Last-Event-ID to the new head, so its
			// automatic reconnect starts there (and is acked recovered).
			sw.event("resync", v.seq, message.Resync(v.epoch))
			_ = sw.flush()
			return
		case err != nil:
			return // the client reconnects with Last-Event-ID
		}
		for _, ev := range evs {
			pos = ev.Seq
			if contains(req.services, ev.Service) {
				sanitizeEvent(&ev)
				sw.event("", ev.Seq, message.AppendFlatEvent(nil, ev))
				s.metrics.delivered.Inc()
			}
		}
		if len(evs) > 0 {
			if sw.flush() != nil {
				return
			}
			continue
		}
		if !s.waitChange(v.changed, min(s.cfg.PingInterval, time.Until(end)), r.Context().Done(), fc.cut) {
			if r.Context().Err() != nil || s.draining.Load() {
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

// sseAuthorityEnded ends a stream whose token was revoked or ran out, with
// an error event (code revoked or token_expired) carrying the position, so
// the client resumes from there with a new token. It runs before every read,
// so no event published after the token's end is sent.
func (s *Server) sseAuthorityEnded(sw *sseWriter, fc *fallbackClient, end time.Time, pos int64) bool {
	var d *Disconnect
	switch {
	case fc.revoked():
		d = disconnect(CloseRevoked, "token revoked")
	case !time.Now().Before(end):
		s.metrics.tokenExpired.Inc()
		d = errTokenExpired
	default:
		return false
	}
	sw.event("error", pos, message.Error(d.Code.String(), d.Message))
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
