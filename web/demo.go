package web

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Demo routes. They exist only where cmd/gateway mounts the demo.
const (
	DemoPath    = "/"
	TokenPath   = "/dev/token"
	PublishPath = "/dev/publish"
)

// maxDemoPublish caps a /dev/publish body; the page sends a few hundred bytes.
const maxDemoPublish = 64 << 10

// DemoConfig configures the demo page's endpoints. Both functions are
// required.
type DemoConfig struct {
	// Token returns a fresh client token for the demo org. It runs on every
	// GET /dev/token, that is, before each of the page's connections.
	Token func() (string, error)
	// Publish publishes one event to the demo org and returns its seq. An
	// error that is a *PublishError keeps its status; any other is a 502.
	Publish func(ctx context.Context, ev DemoEvent) (int64, error)
}

// DemoEvent is the body of POST /dev/publish. Data is valid JSON; it is
// only valid until Publish returns.
type DemoEvent struct {
	Service string          `json:"service"`
	Type    string          `json:"type"`
	Data    json.RawMessage `json:"data"`
}

// PublishError is a publish refused with an HTTP status, e.g. 400 for a bad
// service name.
type PublishError struct {
	Status  int
	Code    string
	Message string
}

func (e *PublishError) Error() string { return e.Code + ": " + e.Message }

var errDemoConfig = errors.New("web: DemoConfig needs Token and Publish")

var demoPage = newAsset("demo.html", "text/html; charset=utf-8")

// MountDemo mounts the demo page and its development endpoints at "/".
// Never call it in production: /dev/token gives a token to anyone who asks.
func MountDemo(m Mounter, cfg DemoConfig) error {
	if cfg.Token == nil || cfg.Publish == nil {
		return errDemoConfig
	}
	r := chi.NewRouter()
	r.Method(http.MethodGet, DemoPath, demoPage)
	r.Get(TokenPath, cfg.serveToken)
	r.Post(PublishPath, cfg.servePublish)
	m.Mount("/", r)
	return nil
}

func (cfg DemoConfig) serveToken(w http.ResponseWriter, r *http.Request) {
	tok, err := cfg.Token()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal_error", "cannot sign a token")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

// servePublish requires a JSON content type: a cross-site form cannot send
// one without a CORS preflight, which this route never answers, so another
// site open in the same browser cannot publish through it.
func (cfg DemoConfig) servePublish(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "bad_request", "send application/json")
		return
	}
	var ev DemoEvent
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxDemoPublish))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil || len(ev.Data) == 0 {
		writeError(w, http.StatusBadRequest, "bad_request", `body must be {"service","type","data"}`)
		return
	}
	seq, err := cfg.Publish(r.Context(), ev)
	var pe *PublishError
	switch {
	case errors.As(err, &pe):
		writeError(w, pe.Status, pe.Code, pe.Message)
	case err != nil:
		writeError(w, http.StatusBadGateway, "unavailable", "publish failed")
	default:
		writeJSON(w, http.StatusOK, map[string]int64{"seq": seq})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"type": "error", "code": code, "message": msg})
}
