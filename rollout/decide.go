package rollout

import "hash/fnv"

// Flags are the hash fields that bear on one client's decision.
type Flags struct {
	Enabled   bool // "enabled" (the kill switch), default from config
	Percent   int  // "percent", 0..100, default from config
	AllowUser bool // "allow:user:<id>"
	AllowOrg  bool // "allow:org:<id>"
	DenyUser  bool // "deny:user:<id>"
	DenyOrg   bool // "deny:org:<id>"
	// OptIn ("optin", default off) honours a browser that asks to be let
	// in ("optIn":true in its handshake, set by the page's
	// localStorage.REALTIME_STREAMING_V2 = 'true'): the seed's first
	// rollout step is people trying the new transport themselves.
	OptIn bool
}

// Reason says why a decision came out as it did. The strings appear in
// metrics labels and in the fallback message's "detail".
type Reason string

// Reasons, in precedence order.
const (
	ReasonDisabled Reason = "disabled"
	ReasonDenied   Reason = "denied"
	ReasonAllowed  Reason = "allowed"
	ReasonOptIn    Reason = "optin"
	ReasonPercent  Reason = "percent"
)

// Decision is the outcome for one client.
type Decision struct {
	In     bool   // may use WebSocket
	Reason Reason // why
}

// Decide applies the precedence: enabled=0 → out; deny → out; allow → in;
// a client that opted in (optIn) while the hash honours it → in; then the
// user's bucket against the percentage. Opting in never beats the kill
// switch or a deny entry: operators keep the last word.
func Decide(f Flags, user string, optIn bool) Decision {
	switch {
	case !f.Enabled:
		return Decision{In: false, Reason: ReasonDisabled}
	case f.DenyUser || f.DenyOrg:
		return Decision{In: false, Reason: ReasonDenied}
	case f.AllowUser || f.AllowOrg:
		return Decision{In: true, Reason: ReasonAllowed}
	case optIn && f.OptIn:
		return Decision{In: true, Reason: ReasonOptIn}
	}
	return Decision{In: Bucket(user) < f.Percent, Reason: ReasonPercent}
}

// Bucket maps a user id to 0..99: FNV-1a (32-bit) of the id's bytes, mod
// 100. Any language can compute it, so support can tell a user's bucket:
// a user is in at percent p exactly when Bucket(id) < p.
func Bucket(user string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(user))
	return int(h.Sum32() % 100)
}
