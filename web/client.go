package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Paths of the client assets.
const (
	ClientPath = "/v2/realtime/client.js"
	TypesPath  = "/v2/realtime/client.d.ts"
)

// Mounter adds a handler under a path prefix; *gateway.Server implements it.
type Mounter interface {
	Mount(pattern string, h http.Handler)
}

var (
	clientJS = newAsset("realtime.js", "text/javascript; charset=utf-8")
	clientTS = newAsset("realtime.d.ts", "text/plain; charset=utf-8")
)

// MountClient serves realtime.js at ClientPath and realtime.d.ts at
// TypesPath. Both are public: the script holds no secret, and pages on any
// origin may import it (module scripts need CORS, hence the header).
func MountClient(m Mounter) {
	m.Mount(ClientPath, exact(withCORS(clientJS)))
	m.Mount(TypesPath, exact(withCORS(clientTS)))
}

// exact wraps h so that it answers only at the mount point itself; deeper
// paths and other methods fall through to the parent router's 404 and 405.
func exact(h http.Handler) http.Handler {
	r := chi.NewRouter()
	r.Method(http.MethodGet, "/", h)
	r.Method(http.MethodHead, "/", h)
	return r
}

// withCORS lets a page on another origin load the module: browsers fetch
// module scripts in CORS mode. No credentials are involved.
func withCORS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h.ServeHTTP(w, r)
	})
}
