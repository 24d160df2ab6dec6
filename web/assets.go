package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

//go:embed realtime.js realtime.d.ts demo.html
var files embed.FS

// cacheControl lets browsers and CDNs reuse an asset for five minutes, then
// revalidate it with its ETag: a deploy reaches every tab within minutes
// without versioned URLs, and a revalidation costs a 304.
const cacheControl = "public, max-age=300"

// asset is one embedded file, ready to serve: the raw bytes and a gzip
// variant, each with its own strong ETag (they are different bodies).
type asset struct {
	ctype  string
	raw    []byte
	gz     []byte
	etag   string
	gzEtag string
}

// newAsset reads name from the embedded files. It panics when the file is
// missing, which only a broken build can cause.
func newAsset(name, ctype string) *asset {
	raw, err := files.ReadFile(name)
	if err != nil {
		panic("web: embedded asset missing: " + name)
	}
	sum := sha256.Sum256(raw)
	tag := hex.EncodeToString(sum[:12])
	return &asset{
		ctype:  ctype,
		raw:    raw,
		gz:     gzipBytes(raw),
		etag:   `"` + tag + `"`,
		gzEtag: `"` + tag + `-gz"`,
	}
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// ServeHTTP answers GET and HEAD with the asset, or 304 when the client's
// If-None-Match names the variant it would get.
func (a *asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, etag := a.raw, a.etag
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	if gz {
		body, etag = a.gz, a.gzEtag
	}
	h := w.Header()
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", etag)
	h.Set("Vary", "Accept-Encoding")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", a.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip: gzip
// (or else "*") is listed with a q above zero.
func acceptsGzip(v string) bool {
	q, star := -1.0, -1.0
	for part := range strings.SplitSeq(v, ",") {
		name, params, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "gzip":
			q = qValue(params)
		case "*":
			star = qValue(params)
		}
	}
	if q < 0 {
		q = star
	}
	return q > 0
}

// qValue returns the q parameter of one Accept-Encoding entry: 1 when
// absent, 0 when malformed.
func qValue(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return 0
			}
			return q
		}
	}
	return 1
}

// etagMatches implements the weak comparison If-None-Match uses (RFC 9110
// §13.1.2): "*" or any listed tag, with or without W/.
func etagMatches(header, etag string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}
