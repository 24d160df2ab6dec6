package presence

import (
	"context"
	"net/http"

	"github.com/rtgw/realtime/gateway/httpapi"
	"github.com/rtgw/realtime/store"
)

// ServeHTTP serves GET /v2/realtime/presence?room=R: the users present in
// room R of the token's org, on every node, read from Redis.
func (t *Tracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	claims, ok := t.cfg.Authenticate(w, r)
	if !ok {
		return
	}
	room := r.URL.Query().Get("room")
	if room != "" && !store.ValidName(room) {
		httpapi.WriteError(w, http.StatusBadRequest, "bad_request", "invalid room")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), t.cfg.Timeout)
	defer cancel()
	users, err := t.cfg.Store.Presence(ctx, claims.Org, room)
	if err != nil {
		t.cfg.RedisErrors.Inc()
		httpapi.WriteUnavailable(w)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"room": room, "users": users})
}
