// Package fallback is the gateway's two transports for clients that cannot
// hold a WebSocket: long-polling (GET /v2/realtime/poll) and Server-Sent
// Events (GET /v2/realtime/sse). They serve the same log, auth, filter and
// seq as the WebSocket, read after the client's own position (from the org
// tail's ring of recent events, else from the log) and wait on the tail —
// not on Redis — for the next event. They never consult the rollout: a
// client sent to the fallback must be able to use it. This package also
// keeps the node's SSE streams and long-polls for the revoker (Clients).
//
// What it must never do: authenticate or validate a request itself, find
// where a client resumes, or hold a tail (the gateway does all three,
// behind Core); keep a queue per client (each handler pulls after its own
// position, so a slow client costs only its own goroutine); reach Redis
// except through Log; or import package gateway: the gateway imports it,
// one way.
//
// Usage (what gateway.New does):
//
//	fb := fallback.New(fallback.Config{Core: core, Log: log, Timeout: 3 * time.Second, PingInterval: 25 * time.Second, Drain: drain, …})
//	r.Get("/v2/realtime/poll", fb.Poll)
//	r.Get("/v2/realtime/sse", fb.SSE)
//	fb.Clients.Revoke(org, covers) // a revocation was announced
package fallback
