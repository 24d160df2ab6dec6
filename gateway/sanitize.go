package gateway

import (
	"encoding/json"

	"github.com/rtgw/realtime/store"
)

// sanitizeEvent makes an event safe to splice into a frame: data that is not
// valid JSON (possible only for events written with raw redis-cli, which
// bypasses the publish API's checks) is sent as a JSON string, and names
// outside the safe charset are quoted away. It runs once per event, not per
// connection.
func sanitizeEvent(ev *store.Event) {
	if !json.Valid(ev.Data) {
		ev.Data, _ = json.Marshal(string(ev.Data))
	}
	if !store.ValidName(ev.Service) {
		ev.Service = "invalid"
	}
	if !store.ValidName(ev.Type) {
		ev.Type = "invalid"
	}
}
