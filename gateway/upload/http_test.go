package upload_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/rtgw/realtime/gateway"
	"github.com/rtgw/realtime/gateway/upload"
	"github.com/rtgw/realtime/internal/testutil"
	"io"
	"net/http"
	"testing"
)

type httpAnswer struct {
	status int
	body   map[string]any
	raw    []byte
}

func doUpload(t *testing.T, method, url, token, contentRange string, body []byte) httpAnswer {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentRange != "" {
		req.Header.Set("Content-Range", contentRange)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := httpAnswer{status: resp.StatusCode, raw: raw}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// The HTTP API: POST starts, PUT with Content-Range streams parts (and
// asks the offset), a wrong offset is 409 with the committed one, GET
// never serves an unfinished file, the last PUT answers done with the
// completion event's seq; an upload started on a WebSocket can be
// finished over HTTP.
func TestUploadOverHTTP(t *testing.T) {
	h := uploadHarness(t, nil, t.TempDir(), nil)
	org := "org-http"
	tok := h.token(org, "alice")
	base := h.http.URL + "/v2/realtime/uploads"
	data := randomBytes(1<<20+17, 9)
	size := len(data)
	start, _ := json.Marshal(map[string]any{"name": "scan.png", "size": size, "contentType": "image/png", "sha256": sha(data)})

	if a := doUpload(t, "POST", base, "", "", start); a.status != 401 {
		t.Fatalf("no token: %d %s", a.status, a.raw)
	}
	a := doUpload(t, "POST", base, tok, "", start)
	id, _ := a.body["uploadId"].(string)
	if a.status != 201 || !upload.ValidID(id) || a.body["offset"] != 0.0 {
		t.Fatalf("POST: %d %s", a.status, a.raw)
	}
	url := base + "/" + id
	half := size / 2
	if a := doUpload(t, "PUT", url, tok, fmt.Sprintf("bytes 0-%d/%d", half-1, size), data[:half]); a.status != 200 || a.body["offset"] != float64(half) {
		t.Fatalf("first PUT: %d %s", a.status, a.raw)
	}
	if a := doUpload(t, "PUT", url, tok, fmt.Sprintf("bytes */%d", size), nil); a.status != 200 || a.body["offset"] != float64(half) {
		t.Fatalf("offset query: %d %s", a.status, a.raw)
	}
	if a := doUpload(t, "PUT", url, tok, fmt.Sprintf("bytes 10-20/%d", size), data[10:21]); a.status != 409 || a.body["code"] != "upload_offset" || a.body["offset"] != float64(half) {
		t.Fatalf("wrong offset: %d %s", a.status, a.raw)
	}
	if a := doUpload(t, "PUT", url, tok, "bytes 0-1", data[:2]); a.status != 400 || a.body["code"] != "upload_invalid" {
		t.Fatalf("bad Content-Range: %d %s", a.status, a.raw)
	}
	if a := doUpload(t, "PUT", url, h.token(org, "mallory"), fmt.Sprintf("bytes */%d", size), nil); a.status != 404 {
		t.Fatalf("another user's PUT: %d %s", a.status, a.raw)
	}
	if a := doUpload(t, "GET", url, tok, "", nil); a.status != 409 || a.body["code"] != "upload_incomplete" {
		t.Fatalf("GET of an unfinished upload: %d %s", a.status, a.raw)
	}
	a = doUpload(t, "PUT", url, tok, fmt.Sprintf("bytes %d-%d/%d", half, size-1, size), data[half:])
	if a.status != 200 || a.body["done"] != true || a.body["sha256"] != sha(data) || a.body["seq"] != 1.0 {
		t.Fatalf("last PUT: %d %s", a.status, a.raw)
	}
	if a := doUpload(t, "GET", url, h.token(org, "bob"), "", nil); a.status != 200 || !bytes.Equal(a.raw, data) {
		t.Fatalf("GET: %d, %d bytes", a.status, len(a.raw))
	}

	// Started on a WebSocket, finished over HTTP.
	c, _ := h.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	small := randomBytes(5000, 10)
	c.Send(startMsg("notes.txt", small, "text/plain"))
	r := nextUpload(t, c, true)
	sendChunks(c, r.UploadID, small, 0, 1000, 1000)
	c.NC.Close()
	url = base + "/" + r.UploadID
	var off int
	testutil.Eventually(t, 5e9, "the WebSocket's bytes committed", func() bool {
		a := doUpload(t, "PUT", url, tok, "bytes */5000", nil)
		off = int(a.body["offset"].(float64))
		return off == 1000
	})
	if a := doUpload(t, "PUT", url, tok, fmt.Sprintf("bytes %d-4999/5000", off), small[off:]); a.body["done"] != true {
		t.Fatalf("finishing over HTTP: %d %s", a.status, a.raw)
	}

	// DELETE aborts an unfinished upload.
	a = doUpload(t, "POST", base, tok, "", start)
	id, _ = a.body["uploadId"].(string)
	if a := doUpload(t, "DELETE", base+"/"+id, tok, "", nil); a.status != 204 {
		t.Fatalf("DELETE: %d %s", a.status, a.raw)
	}
	if a := doUpload(t, "PUT", base+"/"+id, tok, fmt.Sprintf("bytes */%d", size), nil); a.status != 404 {
		t.Fatalf("PUT after DELETE: %d %s", a.status, a.raw)
	}
}

// A node without storage says so, over HTTP and on the WebSocket.
func TestUploadDisabled(t *testing.T) {
	h := newHarness(t, nil, func(*gateway.Config) {})
	a := doUpload(t, "POST", h.http.URL+"/v2/realtime/uploads", h.token("o", "u"), "", []byte(`{}`))
	if a.status != 501 || a.body["code"] != "upload_disabled" {
		t.Fatalf("POST: %d %s", a.status, a.raw)
	}
	c, _ := h.connect("o", "u", map[string]any{"services": []string{"documents"}})
	// The errors carry the ids, so a client can settle the right upload.
	c.Send(map[string]any{"type": "upload.start", "name": "a", "size": 1, "id": "c-9"})
	if m := c.Expect("error"); m.Code != "upload_disabled" || m.ID != "c-9" {
		t.Fatalf("got %s", m.Raw)
	}
	c.Send(map[string]any{"type": "upload.resume", "uploadId": "uABC"})
	if m := c.Expect("error"); m.Code != "upload_disabled" || m.UploadID != "uABC" {
		t.Fatalf("got %s", m.Raw)
	}
}
