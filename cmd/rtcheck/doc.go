// Command rtcheck verifies a gateway deployment after a deploy: it runs the
// rollout checklist against one URL and prints one row per check with the
// figure it measured and ✓ or ✗, exiting 1 if any row is ✗.
//
//	go run ./cmd/rtcheck -url https://rt.example.com -token $TOKEN -api-key $REALTIME_API_KEY
//
// The checks, in order (docs/KUBERNETES.md "Verifying a deployment"):
//
//	handshake    the token's handshake gets an ack with seq and epoch
//	ping         a server ping arrives within -ping-wait (0 skips the row)
//	latency      -events events published over HTTP, each timed until it
//	             arrives on the WebSocket: p50/p99 against -latency-target
//	resume       after a disconnect, -missed events published while away
//	             come back exactly, with recovered:true, on reconnect
//	compression  permessage-deflate is negotiated, an event over the
//	             threshold arrives deflated and compressedMessages grew
//	connections  -conns more connections of the token's org leave
//	             connectionPoolStats.totalSubscriptions growing by at most one
//	rollout      the token's user as the rollout sees it; with -redis the
//	             hash is read (HMGET only) and must agree with the node
//
// rtcheck never writes rollout flags. It publishes to -service (default
// "rtcheck") in the token's org, so point it at a service no real client
// follows. Without -jwt-secret every connection uses the one token, so the
// node's per-user cap (REALTIME_MAX_CONNS_PER_USER, 20) bounds the
// connections row; with it, rtcheck mints one user per connection
// ("<user>-rtcheck-<i>" in the token's org), and during a partial rollout
// those users need the org allowlisted (allow:org:<org>) to get WebSocket.
//
// The metrics rows read GET /v2/realtime/metrics, which is per node: behind
// a Service with several pods the answer may come from another pod than the
// WebSocket's. The connections row does not mind (no node may grow by more
// than one subscription). The compression row does on a quiet fleet: if it
// shows "arrived compressed" but the counter "did not grow", run rtcheck
// against one pod (kubectl port-forward pod/<name> 4000).
package main
