package auth

import (
	"regexp"
	"slices"
	"time"
)

// Claims are the verified facts a token carries.
type Claims struct {
	// User is the "sub" claim; never empty.
	User string
	// Org is the "org" claim; always matches ^[A-Za-z0-9_.-]{1,64}$, so it is
	// safe to use in Redis keys and log fields.
	Org string
	// Services is the optional "services" claim: the only services this
	// token may subscribe to. Nil (claim absent) means any; an empty,
	// non-nil slice (claim is []) means none.
	Services []string
	// Publish is the optional "publish" claim: the services this token may
	// publish to over its connection (chat and other client-to-client
	// messages). Nil or empty: none.
	Publish []string
	// Expiry is the "exp" claim.
	Expiry time.Time
	// IssuedAt is the optional "iat" claim; zero when the token has none.
	// Revocation compares it with the revocation time: a token without
	// iat is refused while any revocation applies to its user or org.
	IssuedAt time.Time
}

var (
	orgPattern     = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	servicePattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
)

// Allows reports whether the token may subscribe to service. It does not
// check that service is a well-formed name; the caller validates what the
// client asked for.
func (c Claims) Allows(service string) bool {
	if c.Services == nil {
		return true
	}
	return slices.Contains(c.Services, service)
}

// MayPublish reports whether the token may publish to service.
func (c Claims) MayPublish(service string) bool { return slices.Contains(c.Publish, service) }

// check returns the reason c could not have come from a valid token, or ""
// if it could. Verify and Sign share it, so Sign cannot mint a token that
// Verify would refuse.
func (c Claims) check() string {
	switch {
	case c.User == "":
		return reasonSubMissing
	case !orgPattern.MatchString(c.Org):
		return reasonOrg
	case c.Expiry.IsZero():
		return reasonExpMissing
	}
	for _, s := range c.Services {
		if !servicePattern.MatchString(s) {
			return reasonServices
		}
	}
	for _, s := range c.Publish {
		if !servicePattern.MatchString(s) {
			return reasonPublish
		}
	}
	return ""
}
