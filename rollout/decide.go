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
}

// Reason says why a decision came out as it did. The strings appear in
// metrics labels and in the fallback message's "detail".
type Reason string

// Reasons, in precedence order.
const (
	ReasonDisabled Reason = "disabled"
	ReasonDenied   Reason = "denied"
	ReasonAllowed  Reason = "allowed"
	ReasonPercent  Reason = "percent"
)

// Decision is the outcome for one client.
type Decision struct {
	In     bool   // may use WebSocket
	Reason Reason // why
}

// Decide applies the precedence: enabled=0 → out; deny → out; allow → in;
// then the user's bucket against the percentage.
func Decide(f Flags, user string) Decision {
	switch {
	case !f.Enabled:
		return Decision{In: false, Reason: ReasonDisabled}
	case f.DenyUser || f.DenyOrg:
		return Decision{In: false, Reason: ReasonDenied}
	case f.AllowUser || f.AllowOrg:
		return Decision{In: true, Reason: ReasonAllowed}
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
