// Package rollout decides, at handshake time, whether a client may use the
// WebSocket transport or must fall back to long-polling/SSE.
//
// The decision is a pure function (Decide) of a few fields of one Redis
// hash, which operators edit live with redis-cli:
//
//	HSET realtime:rollout enabled 0             # kill switch: everyone out
//	HSET realtime:rollout percent 20            # 20% of users in
//	HSET realtime:rollout allow:user:u-42 1     # always in
//	HSET realtime:rollout deny:org:acme 1       # always out
//	HSET realtime:rollout optin 1               # browsers that ask ("optIn") are in
//
// Precedence: enabled=0 → out; then deny (user or org) → out; then allow
// (user or org) → in; then a client that opted in while optin=1 → in; then
// the percentage, by a stable bucket of the user id
// (Bucket: FNV-1a 32-bit of the id, mod 100), so raising the percentage only
// ever adds users, and every node agrees.
//
// Source reads the fields a decision needs with one HMGET (never HGETALL:
// allowlists can be large), bounded by a short timeout. When Redis is slow
// or down it decides from the last global values it read (at most MaxStale
// old), else from the configured defaults — it never blocks a handshake
// for long and never fails one. It owns no other Redis key and knows nothing
// about WebSockets.
package rollout
