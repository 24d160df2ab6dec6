package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/rtgw/realtime/store"
)

// publishEvent is one event of a publish request.
type publishEvent struct {
	Service string          `json:"service"`
	Type    string          `json:"type"`
	Data    json.RawMessage `json:"data"`
}

// publishRequest is the body of POST /v2/realtime/publish: one event
// inline, or several in "events" (published atomically, contiguous seqs).
type publishRequest struct {
	Org     string          `json:"org"`
	Service string          `json:"service"`
	Type    string          `json:"type"`
	Data    json.RawMessage `json:"data"`
	Events  []publishEvent  `json:"events"`
}

func (s *Server) handlePublish(w http.ResponseWriter, r *http.Request) {
	req, inputs, err := s.decodePublish(w, r)
	if err != nil {
		s.metrics.publishBad.Inc()
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		writeError(w, status, "bad_request", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RedisTimeout)
	defer cancel()
	first, last, err := s.cfg.Log.Publish(ctx, req.Org, inputs...)
	switch {
	case isInvalidEvent(err):
		s.metrics.publishBad.Inc()
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	case err != nil:
		s.metrics.publishFailed.Inc()
		s.metrics.redisErrors.Inc()
		s.log.Warn().Err(err).Str("org", req.Org).Msg("publish failed")
		writeError(w, http.StatusServiceUnavailable, "unavailable", "event log unavailable; retry")
		return
	}
	s.metrics.publishOK.Inc()
	if req.Events == nil {
		writeJSON(w, http.StatusOK, map[string]int64{"seq": first})
		return
	}
	seqs := make([]int64, 0, last-first+1)
	for q := first; q <= last; q++ {
		seqs = append(seqs, q)
	}
	writeJSON(w, http.StatusOK, map[string][]int64{"seqs": seqs})
}

var (
	errPublishShape = errors.New(`give either "service","type","data" or "events", not both`)
	errPublishOrg   = errors.New(`"org" is missing or invalid`)
)

// decodePublish reads and validates the body: strict JSON (unknown fields
// are errors), at most MaxPublishBytes, every event complete.
func (s *Server) decodePublish(w http.ResponseWriter, r *http.Request) (publishRequest, []store.Input, error) {
	var req publishRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxPublishBytes))
	if err != nil {
		return req, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, nil, errors.New("body is not a valid publish request: " + err.Error())
	}
	if dec.More() {
		return req, nil, errors.New("body has trailing data after the JSON object")
	}
	if !store.ValidOrg(req.Org) {
		return req, nil, errPublishOrg
	}
	single := req.Service != "" || req.Type != "" || req.Data != nil
	if single == (req.Events != nil) {
		return req, nil, errPublishShape
	}
	evs := req.Events
	if single {
		evs = []publishEvent{{Service: req.Service, Type: req.Type, Data: req.Data}}
	}
	if len(evs) == 0 {
		return req, nil, errors.New(`"events" is empty`)
	}
	if len(evs) > store.MaxBatch {
		return req, nil, errors.New(`"events" has more than ` + strconv.Itoa(store.MaxBatch) + ` events`)
	}
	inputs := make([]store.Input, 0, len(evs))
	for i, ev := range evs {
		if err := checkPublishEvent(ev); err != nil {
			return req, nil, errors.New("event " + strconv.Itoa(i) + ": " + err.Error())
		}
		inputs = append(inputs, store.Input{Service: ev.Service, Type: ev.Type, Data: ev.Data})
	}
	return req, inputs, nil
}

func checkPublishEvent(ev publishEvent) error {
	switch {
	case !store.ValidName(ev.Service):
		return errors.New(`"service" is missing or invalid (1-64 of A-Z a-z 0-9 _ . : -)`)
	case !store.ValidName(ev.Type):
		return errors.New(`"type" is missing or invalid (1-64 of A-Z a-z 0-9 _ . : -)`)
	case len(ev.Data) == 0:
		return errors.New(`"data" is missing`)
	}
	return nil
}

// isInvalidEvent reports whether the log refused the events themselves (as
// opposed to being unreachable).
func isInvalidEvent(err error) bool {
	return errors.Is(err, store.ErrInvalidEvent) || errors.Is(err, store.ErrInvalidOrg) || errors.Is(err, store.ErrTooManyEvents)
}
