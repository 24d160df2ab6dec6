package httpapi

import (
	"net/http"

	"github.com/VictoriaMetrics/metrics"
	"github.com/go-chi/chi/v5"

	"github.com/rtgw/realtime/gateway/admission"
)

// CORS for the routes pages call over HTTP (long-poll, SSE, presence,
// uploads, the metrics JSON). Apps live on their own origin
// (app.example.com) and the gateway on another (rt.example.com); without
// these headers the browser hides every answer from the page, and the
// long-poll fallback — where a rollout at 0% puts every client — delivers
// nothing. The WebSocket route needs no CORS: its origin is checked at the
// upgrade (the gateway's upgrade.go) with the same admission.Origins.
//
// No credentials: the gateway never reads cookies, so it never sends
// Access-Control-Allow-Credentials and pages call it with the default
// credentials mode. The token travels in Authorization, or in the
// access_token query parameter where a header cannot be set (EventSource,
// WebSocket, a download link).

// Preflight answers (a contract the browser client relies on). The methods and headers are the union over the
// routes: a browser checks its request against them, the route still
// answers 405 to a method it does not serve.
const (
	CORSAllowMethods = "GET, POST, PUT, DELETE"
	CORSAllowHeaders = "Authorization, Content-Type, Content-Range, Last-Event-ID, Idempotency-Key"
	// CORSMaxAge is how long a browser may reuse a preflight: two hours,
	// Chromium's cap. A shorter one would not help revocation: every
	// actual request is checked against the policy again.
	CORSMaxAge = "7200"
	// CORSExposeHeaders are the response headers a page may read beyond
	// the safelisted ones: Retry-After (429, 503), and for a download of a
	// completed upload its range and file name. Upload offsets travel in
	// the JSON bodies ("offset"), not in headers.
	CORSExposeHeaders = "Retry-After, Content-Range, Accept-Ranges, Content-Disposition"
)

// CORS is the origin policy of the browser-facing routes and its counters
// (realtime_origin_refused_total, the preflights counter); every field is
// required.
type CORS struct {
	Origins    admission.Origins
	Refused    *metrics.Counter
	Preflights *metrics.Counter
}

// Handler applies the origin policy to a browser-facing route. A request
// without Origin (not a browser) passes untouched. An allowed origin is
// echoed back, with Vary: Origin, and an OPTIONS preflight is answered
// here with 204. A refused origin gets 403 origin_not_allowed and no CORS
// headers, on the preflight as on the actual request, and counts in
// realtime_origin_refused_total.
func (c *CORS) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin") // caches must not serve one origin's answer to another
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		if !c.Origins.Allows(r) {
			c.Refused.Inc()
			WriteError(w, http.StatusForbidden, "origin_not_allowed", "this origin may not call the gateway")
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			c.Preflights.Inc()
			h.Set("Access-Control-Allow-Methods", CORSAllowMethods)
			h.Set("Access-Control-Allow-Headers", CORSAllowHeaders)
			h.Set("Access-Control-Max-Age", CORSMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", CORSExposeHeaders)
		next.ServeHTTP(w, r)
	})
}

// browserRouter registers routes behind CORS, each with an OPTIONS route
// on its pattern: chi answers 405 to a method a pattern lacks before any
// route middleware runs, so a preflight would never reach cors otherwise.
// Every route added through Get, Post, Put or Delete gets its preflight.
type browserRouter struct{ chi.Router }

// Routes runs add on a group of r behind the policy.
func (c *CORS) Routes(r chi.Router, add func(chi.Router)) {
	r.Group(func(g chi.Router) {
		g.Use(c.Handler)
		add(browserRouter{g})
	})
}

func (b browserRouter) Get(p string, h http.HandlerFunc)    { b.Router.Get(p, h); b.options(p) }
func (b browserRouter) Post(p string, h http.HandlerFunc)   { b.Router.Post(p, h); b.options(p) }
func (b browserRouter) Put(p string, h http.HandlerFunc)    { b.Router.Put(p, h); b.options(p) }
func (b browserRouter) Delete(p string, h http.HandlerFunc) { b.Router.Delete(p, h); b.options(p) }

// options adds the OPTIONS route of pattern p. CORS answers preflights
// before it runs; what reaches it is an OPTIONS without Origin or without
// Access-Control-Request-Method, answered with an empty 204.
func (b browserRouter) options(p string) {
	b.Router.Options(p, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
}
