package httpapi

import "net/http"

// Stats is the document the existing dashboards read from
// GET /v2/realtime/metrics. Field names are a contract.
type Stats struct {
	ActiveConnections    uint64    `json:"activeConnections"`
	TotalConnections     uint64    `json:"totalConnections"`
	EventsDelivered      uint64    `json:"eventsDelivered"`
	CompressedMessages   uint64    `json:"compressedMessages"`
	MissedEventsReplayed uint64    `json:"missedEventsReplayed"`
	ConnectionPoolStats  PoolStats `json:"connectionPoolStats"`
}

// PoolStats: TotalSubscriptions counts the node's org tails (one Redis
// subscription each), never a per-connection number.
type PoolStats struct {
	TotalSubscriptions int    `json:"totalSubscriptions"`
	TotalConnections   uint64 `json:"totalConnections"`
	TotalOrgs          int    `json:"totalOrgs"`
}

// StatsHandler serves GET /v2/realtime/metrics with what read returns at
// each request (the gateway's counters, read without a lock).
func StatsHandler(read func() Stats) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, read())
	}
}
