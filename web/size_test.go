package web

import (
	"bytes"
	"compress/gzip"
	"testing"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/js"
)

// maxClientBytes is the budget for realtime.js minified and gzipped: small
// enough to inline in any page's critical path without a second thought.
const maxClientBytes = 6144

// TestClientSize minifies realtime.js the way a bundler would and gzips it
// at the default level, as servers and CDNs do; the result must stay
// within maxClientBytes.
func TestClientSize(t *testing.T) {
	src := clientJS.raw
	m := minify.New()
	m.AddFunc("text/javascript", js.Minify)
	min, err := m.Bytes("text/javascript", src)
	if err != nil {
		t.Fatalf("minify realtime.js: %v", err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(min)
	_ = zw.Close()
	t.Logf("realtime.js: %d bytes source, %d minified, %d minified+gzip (budget %d)",
		len(src), len(min), gz.Len(), maxClientBytes)
	if gz.Len() > maxClientBytes {
		t.Fatalf("realtime.js is %d bytes minified+gzipped, over the %d-byte budget", gz.Len(), maxClientBytes)
	}
}
