package gateway

import "net/url"

// secretParams are query parameters never written to a log.
var secretParams = []string{"access_token", "token", "api_key"}

// redactURL returns u's path and query with secret parameters masked, for
// logs. Browsers put the JWT in the query because WebSocket cannot set
// headers, so every logged stream URL would otherwise carry a credential.
func redactURL(u *url.URL) string {
	q := u.Query()
	changed := false
	for _, p := range secretParams {
		if q.Has(p) {
			q.Set(p, "REDACTED")
			changed = true
		}
	}
	if !changed {
		return u.RequestURI()
	}
	r := *u
	r.RawQuery = q.Encode()
	return r.RequestURI()
}
