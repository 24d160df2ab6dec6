package auth

import "slices"

// scope checks iss and aud against the configured issuer and audience,
// where empty means "do not check", and returns a reason or "".
//
// We check by hand rather than with jwt.WithIssuer/WithAudience: the
// library reports a missing aud as ErrTokenRequiredClaimMissing, the same
// error as a missing exp, and a non-string iss as a decode failure before
// the signature check. By hand, each claim gets its own reason, and only
// after the signature is known to be good.
func (w *wireClaims) scope(issuer, audience string) string {
	if issuer != "" {
		if iss, ok := rawString(w.Iss); !ok || iss != issuer {
			return reasonIssuer
		}
	}
	if audience != "" && !slices.Contains(rawAudience(w), audience) {
		return reasonAudience
	}
	return ""
}

// rawAudience decodes aud, which RFC 7519 section 4.1.3 allows as one
// string or an array of strings. Anything else, or an array holding a
// non-string, is nil: it contains no audience. Comparison is exact and
// case-sensitive, as the RFC asks.
func rawAudience(w *wireClaims) []string {
	if s, ok := rawString(w.Aud); ok {
		return []string{s}
	}
	list, _ := rawStrings(w.Aud)
	return list
}
