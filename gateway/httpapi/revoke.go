package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/rtgw/realtime/store"
)

// POST /v2/realtime/disconnect (API key) takes
//
//	{"org":"acme","user":"u1","reason":"removed from the org"}
//
// ("user" optional: the whole org), records the revocation in Redis and
// announces it on the org's notify channel (Log.Revoke). What the nodes do
// when they hear it is the gateway's (revoke.go there).

// revokeRequest is the body of POST /v2/realtime/disconnect.
type revokeRequest struct {
	Org    string `json:"org"`
	User   string `json:"user"`
	Reason string `json:"reason"`
}

// maxRevokeBody bounds the request; maxRevokeField one user id or reason.
const (
	maxRevokeBody  = 4 << 10
	maxRevokeField = 256
)

// Revoke serves POST /v2/realtime/disconnect.
func (a *API) Revoke(w http.ResponseWriter, r *http.Request) {
	req, msg := decodeRevoke(w, r)
	if msg != "" {
		WriteError(w, http.StatusBadRequest, "bad_request", msg)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.Timeout)
	defer cancel()
	at, err := a.cfg.Log.Revoke(ctx, req.Org, req.User, time.Now())
	if err != nil {
		a.cfg.Counters.RedisErrors.Inc()
		a.cfg.Logger.Warn().Err(err).Str("org", req.Org).Msg("revocation failed")
		WriteUnavailable(w)
		return
	}
	a.cfg.Counters.Revocations.Inc()
	// One line per revocation (an operator's action, not traffic): the
	// audit trail of who was cut off and why.
	a.cfg.Logger.Info().Str("org", req.Org).Str("user", req.User).Str("reason", req.Reason).
		Int64("revoked_at", at).Msg("tokens revoked")
	WriteJSON(w, http.StatusOK, map[string]int64{"revokedAt": at})
}

// decodeRevoke reads a strict, bounded body; msg says what is wrong with it.
func decodeRevoke(w http.ResponseWriter, r *http.Request) (req revokeRequest, msg string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRevokeBody))
	if err != nil {
		return req, "body too large or unreadable"
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	switch {
	case dec.Decode(&req) != nil:
		return req, `body must be {"org":…,"user"?:…,"reason"?:…}`
	case dec.More():
		return req, "body has trailing data after the JSON object"
	case !store.ValidOrg(req.Org):
		return req, `"org" is missing or invalid`
	case len(req.User) > maxRevokeField || len(req.Reason) > maxRevokeField:
		return req, `"user" and "reason" are at most 256 bytes`
	}
	return req, ""
}
