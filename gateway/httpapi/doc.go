// Package httpapi is the gateway's HTTP API for backends: POST
// /v2/realtime/publish (one event or an atomic batch, with idempotency
// keys) and POST /v2/realtime/disconnect (record and announce a
// revocation). It also holds the public form of an idempotency key, which
// the WebSocket's client publishes check too, the CORS policy of the
// browser-facing routes (CORS), the metrics JSON document (Stats) and the
// JSON answer helpers every gateway route shares.
//
// What it must never do: authenticate (the gateway wraps its handlers with
// the API-key or token check), decide an origin itself (admission.Origins
// does), touch a connection, an org tail or a socket, act on a
// revocation itself (the feed's announcement reaches the gateway's
// revoker), reach Redis except through Log, or import package gateway: the
// gateway imports it, one way.
//
// Usage (what gateway.New does):
//
//	api := httpapi.New(httpapi.Config{Log: log, Timeout: 3 * time.Second, MaxPublishBytes: 1 << 20, Logger: &logger, Counters: counters})
//	r.Post("/v2/realtime/publish", requireAPIKey(api.Publish))
//	r.Post("/v2/realtime/disconnect", requireAPIKey(api.Revoke))
package httpapi
