package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzPublishBody: any body gets a 2xx-free verdict from the decoder — a
// validated request or an error — never a panic, and an accepted request
// always names a valid org and complete events.
func FuzzPublishBody(f *testing.F) {
	for _, s := range []string{
		`{"org":"acme","service":"finance","type":"revenue.created","data":{"amount":42}}`,
		`{"org":"acme","events":[{"service":"s","type":"t","data":1},{"service":"g","type":"u","data":"x"}]}`,
		`{"org":"a","service":"s","type":"t","data":1,"x":2}`, `{"org":"a"}`, `{}`, `[]`, `nope`,
		`{"org":"a","events":[]}`, `{"org":"a","service":"s","type":"t","data":1} {}`, `{"org":"a b","service":"s","type":"t","data":1}`,
	} {
		f.Add([]byte(s))
	}
	a := New(Config{MaxPublishBytes: 1 << 20})
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/v2/realtime/publish", bytes.NewReader(body))
		req, inputs, err := a.decodePublish(httptest.NewRecorder(), r)
		if err != nil {
			return
		}
		if len(inputs) == 0 || req.Org == "" {
			t.Fatalf("accepted %q as %+v / %+v", body, req, inputs)
		}
		for _, in := range inputs {
			if in.Service == "" || in.Type == "" || len(in.Data) == 0 {
				t.Fatalf("accepted an incomplete event %+v", in)
			}
		}
	})
}
