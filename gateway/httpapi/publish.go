package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/store"
)

// publishEvent is one event of a publish request.
type publishEvent struct {
	Service        string          `json:"service"`
	Type           string          `json:"type"`
	Data           json.RawMessage `json:"data"`
	IdempotencyKey *string         `json:"idempotencyKey"`
}

// publishRequest is the body of POST /v2/realtime/publish: one event
// inline, or several in "events" (published atomically, contiguous seqs
// for the new ones). A single event's key may also come in the
// Idempotency-Key header.
type publishRequest struct {
	Org            string          `json:"org"`
	Service        string          `json:"service"`
	Type           string          `json:"type"`
	Data           json.RawMessage `json:"data"`
	IdempotencyKey *string         `json:"idempotencyKey"`
	Events         []publishEvent  `json:"events"`
}

// Publish serves POST /v2/realtime/publish.
func (a *API) Publish(w http.ResponseWriter, r *http.Request) {
	req, inputs, err := a.decodePublish(w, r)
	if err != nil {
		a.cfg.Counters.PublishBad.Inc()
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		WriteError(w, status, "bad_request", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.Timeout)
	defer cancel()
	p, err := a.cfg.Log.Append(ctx, req.Org, inputs...)
	switch {
	case IsInvalidEvent(err):
		a.cfg.Counters.PublishBad.Inc()
		WriteError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	case err != nil:
		a.cfg.Counters.PublishFailed.Inc()
		a.cfg.Counters.RedisErrors.Inc()
		a.cfg.Logger.Warn().Err(err).Str("org", req.Org).Msg("publish failed")
		WriteError(w, http.StatusServiceUnavailable, "unavailable", "event log unavailable; retry")
		return
	}
	a.cfg.Counters.PublishOK.Inc()
	a.cfg.Counters.Duplicates.Add(len(p.Duplicates))
	if req.Events == nil {
		WriteJSON(w, http.StatusOK, json.RawMessage(message.PublishAnswer(p.Seqs[0], p.Duplicates != nil)))
		return
	}
	WriteJSON(w, http.StatusOK, json.RawMessage(message.BatchAnswer(p.Seqs, p.Duplicates)))
}

var (
	errPublishShape = errors.New(`give either "service","type","data" or "events", not both`)
	errPublishOrg   = errors.New(`"org" is missing or invalid`)
)

// decodePublish reads and validates the body: strict JSON (unknown fields
// are errors), at most MaxPublishBytes, every event complete.
func (a *API) decodePublish(w http.ResponseWriter, r *http.Request) (publishRequest, []store.Input, error) {
	var req publishRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxPublishBytes))
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
	evs, err := requestEvents(r.Header, req, single)
	if err != nil {
		return req, nil, err
	}
	if len(evs) == 0 {
		return req, nil, errors.New(`"events" is empty`)
	}
	if len(evs) > store.MaxBatch {
		return req, nil, errors.New(`"events" has more than ` + strconv.Itoa(store.MaxBatch) + ` events`)
	}
	inputs := make([]store.Input, 0, len(evs))
	for i, ev := range evs {
		key, err := checkPublishEvent(ev)
		if err != nil {
			return req, nil, errors.New("event " + strconv.Itoa(i) + ": " + err.Error())
		}
		inputs = append(inputs, store.Input{Service: ev.Service, Type: ev.Type, Data: ev.Data, IdempotencyKey: key})
	}
	return req, inputs, nil
}

// requestEvents returns the request's events: the batch, or the single
// event with its idempotency key from the body or the header.
func requestEvents(h http.Header, req publishRequest, single bool) ([]publishEvent, error) {
	if !single {
		if req.IdempotencyKey != nil || h.Values(idempotencyHeader) != nil {
			return nil, errIdempotencyBatch
		}
		return req.Events, nil
	}
	key, err := singleKey(h, req.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	ev := publishEvent{Service: req.Service, Type: req.Type, Data: req.Data}
	if key != "" {
		ev.IdempotencyKey = &key
	}
	return []publishEvent{ev}, nil
}

// checkPublishEvent checks one event and returns its idempotency key ("" for none).
func checkPublishEvent(ev publishEvent) (string, error) {
	switch {
	case !store.ValidName(ev.Service):
		return "", errors.New(`"service" is missing or invalid (1-64 of A-Z a-z 0-9 _ . : -)`)
	case !store.ValidName(ev.Type):
		return "", errors.New(`"type" is missing or invalid (1-64 of A-Z a-z 0-9 _ . : -)`)
	case len(ev.Data) == 0:
		return "", errors.New(`"data" is missing`)
	}
	return checkedKey(ev.IdempotencyKey)
}

// IsInvalidEvent reports whether the log refused the events themselves (as
// opposed to being unreachable).
func IsInvalidEvent(err error) bool {
	return errors.Is(err, store.ErrInvalidEvent) || errors.Is(err, store.ErrInvalidOrg) || errors.Is(err, store.ErrTooManyEvents)
}
