package admission

import (
	"net/http"
	"net/url"
	"strings"
)

// Origins decides which browser origins may open a WebSocket (or a
// fallback stream). Browsers send Origin on every cross-site WebSocket and
// the server is the only one that can refuse it (there is no CORS for
// WebSocket), so without this any page on the web could connect with a
// user's cookie-less token it tricked out of them.
//
// Entries: an exact origin ("https://app.example.com", scheme and port
// included), a host pattern ("*.example.com": any subdomain, any scheme), or
// "*" (anything). With no entries the secure default applies: requests
// without Origin (non-browser clients) and same-origin requests (Origin's
// host equals the Host header) are allowed, every cross-site one refused.
type Origins struct {
	any     bool
	exact   map[string]bool
	suffix  []string // ".example.com" from "*.example.com"
	enabled bool
}

// NewOrigins builds the policy for entries (Config.AllowedOrigins).
func NewOrigins(entries []string) Origins {
	p := Origins{exact: make(map[string]bool)}
	for _, e := range entries {
		e = strings.TrimSpace(strings.ToLower(e))
		switch {
		case e == "":
		case e == "*":
			p.any = true
		case strings.HasPrefix(e, "*."):
			p.suffix = append(p.suffix, e[1:])
		default:
			p.exact[strings.TrimSuffix(e, "/")] = true
		}
		p.enabled = true
	}
	return p
}

// Allows reports whether r's Origin may connect.
func (p Origins) Allows(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser: the token is the only credential
	}
	u, err := url.Parse(strings.ToLower(origin))
	if err != nil || u.Host == "" {
		return false
	}
	if !p.enabled {
		return strings.EqualFold(u.Host, r.Host)
	}
	if p.any || p.exact[u.Scheme+"://"+u.Host] {
		return true
	}
	host := u.Hostname()
	for _, s := range p.suffix {
		if strings.HasSuffix(host, s) && len(host) > len(s) {
			return true
		}
	}
	return false
}
