package e2e

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
)

// uploadJS (testdata/upload.js) is loaded after harness.js, before the
// client connects: it runs rt.upload in the page, records the upload
// traffic and plays the network (see the file).
//
//go:embed testdata/upload.js
var uploadJS string

// uploadSnap is what uploadSnapshot returns for one upload.
type uploadSnap struct {
	Progress []int64 `json:"progress"`
	Sizes    []int64 `json:"sizes"`
	Result   *struct {
		UploadID string `json:"uploadId"`
		Size     int64  `json:"size"`
		SHA256   string `json:"sha256"`
		Seq      int64  `json:"seq"`
	} `json:"result"`
	Error *struct {
		Code    string `json:"code"`
		Name    string `json:"name"` // of the JS error: NotReadableError, …
		Message string `json:"message"`
	} `json:"error"`
	Sent   []uploadFrame `json:"sent"`
	Frames []uploadFrame `json:"frames"`
	Chunks int           `json:"chunks"`
	Queued int           `json:"queued"`
}

// uploadFrame is an upload message sent or received, or an error frame.
type uploadFrame struct {
	Type        string `json:"type"`
	Code        string `json:"code"`
	ID          string `json:"id"`
	UploadID    string `json:"uploadId"`
	Offset      int64  `json:"offset"`
	ChunkSize   int64  `json:"chunkSize"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"contentType"`
}

func (s uploadSnap) summary() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// openUploadPage starts a gateway with upload storage and extra
// environment, and a page with upload.js connected to the documents
// service with a fresh org's token, which it returns too.
func openUploadPage(t *testing.T, extra ...string) (*gatewayProc, *page, string) {
	t.Helper()
	g := startGateway(t, redistest.Start(t), append([]string{"REALTIME_UPLOAD_DIR=" + t.TempDir()}, extra...)...)
	tok := token(t, newOrg(t), time.Now().Add(time.Hour))
	p := openPage(t, g)
	p.eval(uploadJS)
	p.start(map[string]any{"token": tok, "services": []string{"documents"}})
	p.waitState("open")
	return g, p, tok
}

// upload returns what the page recorded for the upload under key.
func (p *page) upload(key string) uploadSnap {
	p.t.Helper()
	return evalIn(p, chromedp.Evaluate[uploadSnap](fmt.Sprintf("uploadSnapshot(%q)", key)))
}

// waitUpload waits until the upload under key settled.
func (p *page) waitUpload(key string) uploadSnap {
	p.t.Helper()
	var s uploadSnap
	testutil.EventuallyNote(p.t, 60*time.Second, "upload "+key+" to settle", func() (bool, string) {
		s = p.upload(key)
		return s.Result != nil || s.Error != nil, s.summary()
	})
	return s
}

// waitRejected waits for upload key to fail with code.
func (p *page) waitRejected(key, code string) uploadSnap {
	p.t.Helper()
	s := p.waitUpload(key)
	if s.Error == nil || s.Error.Code != code {
		p.t.Fatalf("upload %s: got %s; want the error %s", key, s.summary(), code)
	}
	return s
}

// pseudoRandom is makeFile's content: xorshift32 from seed.
func pseudoRandom(n int, seed uint32) []byte {
	b := make([]byte, n)
	x := seed
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// get fetches u and reads the whole body.
func get(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, body
}

// download fetches a stored upload with the token as access_token.
func download(t *testing.T, g *gatewayProc, id, tok string) (*http.Response, []byte) {
	t.Helper()
	return get(t, g.url("/v2/realtime/uploads/"+url.PathEscape(id)+"?access_token="+url.QueryEscape(tok)))
}

// checkGone requires the upload id to be deleted: GET answers 404.
func checkGone(t *testing.T, g *gatewayProc, id, tok string) {
	t.Helper()
	if resp, body := download(t, g, id, tok); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET the aborted upload %s: HTTP %d %s; want 404", id, resp.StatusCode, body)
	}
}

// checkDownload requires the stored file to be downloadable and to hash
// to want.
func checkDownload(t *testing.T, g *gatewayProc, id, tok, want string, size int) {
	t.Helper()
	resp, body := download(t, g, id, tok)
	if resp.StatusCode != http.StatusOK || len(body) != size || sha256Hex(body) != want {
		t.Fatalf("GET upload %s: HTTP %d, %d bytes, sha256 %s; want 200, %d bytes, %s",
			id, resp.StatusCode, len(body), sha256Hex(body), size, want)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("Content-Disposition %q; want an attachment", cd)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options %q; want nosniff", resp.Header.Get("X-Content-Type-Options"))
	}
}

// completion is the data of a documents/upload.completed event.
type completion struct {
	UploadID    string `json:"uploadId"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"contentType"`
	User        string `json:"user"`
}

// waitCompleted waits for the page to receive the upload.completed event
// of uploadID and returns it; it must arrive once.
func (p *page) waitCompleted(uploadID string) (event, completion) {
	p.t.Helper()
	find := func(s snapshot) (n int, e event, c completion) {
		for _, ev := range s.Events {
			var d completion
			if ev.Service == "documents" && ev.Type == "upload.completed" && json.Unmarshal(ev.Data, &d) == nil && d.UploadID == uploadID {
				n, e, c = n+1, ev, d
			}
		}
		return n, e, c
	}
	s := p.waitUntil("upload.completed for "+uploadID, func(s snapshot) bool { n, _, _ := find(s); return n > 0 })
	n, e, c := find(s)
	if n != 1 {
		p.t.Fatalf("%d upload.completed events for %s; want 1 (%s)", n, uploadID, s.summary())
	}
	return e, c
}

// checkProgress requires onProgress values that never decrease, report
// size as the total, include at least one report short of the end, and end
// at size.
func checkProgress(t *testing.T, s uploadSnap, size int64) {
	t.Helper()
	between := false
	for i, n := range s.Progress {
		if n < 0 || n > size || (i > 0 && n < s.Progress[i-1]) || s.Sizes[i] != size {
			t.Fatalf("onProgress values %v (sizes %v); want non-decreasing values up to %d", s.Progress, s.Sizes, size)
		}
		between = between || (n > 0 && n < size)
	}
	if !between || s.Progress[len(s.Progress)-1] != size {
		t.Fatalf("onProgress values %v; want a report on the way and %d at the end", s.Progress, size)
	}
}

// ofType returns the frames of type typ ("error:<code>" for error frames
// with that code), in order.
func ofType(fs []uploadFrame, typ string) []uploadFrame {
	var out []uploadFrame
	for _, f := range fs {
		if f.Type == typ || f.Type+":"+f.Code == typ {
			out = append(out, f)
		}
	}
	return out
}

func (s uploadSnap) ready() []uploadFrame { return ofType(s.Frames, "upload.ready") }

func (s uploadSnap) sentOf(typ string) []uploadFrame { return ofType(s.Sent, typ) }

// readyFor returns the uploadId that upload.ready gave the upload.start
// of the file name, or "".
func (s uploadSnap) readyFor(name string) string {
	for _, st := range s.sentOf("upload.start") {
		for _, r := range s.ready() {
			if st.Name == name && r.ID == st.ID {
				return r.UploadID
			}
		}
	}
	return ""
}

// waitAborted waits for the server to confirm upload.aborted for the
// upload it named for the file name (upload key's), and returns its id.
func (p *page) waitAborted(key, name string) string {
	p.t.Helper()
	var id string
	testutil.EventuallyNote(p.t, 30*time.Second, "upload.aborted for "+name, func() (bool, string) {
		s := p.upload(key)
		id = s.readyFor(name)
		for _, f := range ofType(s.Frames, "upload.aborted") {
			if id != "" && f.UploadID == id {
				return true, ""
			}
		}
		return false, s.summary()
	})
	return id
}
