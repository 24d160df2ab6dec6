package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// target is the deployment under test: where its endpoints are and how to
// reach them (TLS roots, API key).
type target struct {
	base   *url.URL
	apiKey string
	tls    *tls.Config
	http   *http.Client
}

func newTarget(c *config) (*target, error) {
	// InsecureSkipVerify only with the explicit -insecure flag.
	t := &target{apiKey: c.APIKey, tls: &tls.Config{InsecureSkipVerify: c.Insecure}}
	var err error
	if t.base, err = url.Parse(strings.TrimSuffix(c.URL, "/")); err != nil {
		return nil, fmt.Errorf("-url: %w", err)
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("-ca-file: %w", err)
		}
		t.tls.RootCAs = x509.NewCertPool()
		if !t.tls.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-ca-file %s: no PEM certificate in it", c.CAFile)
		}
	}
	// A fresh connection per metrics read: behind a Service each read is a
	// separate chance to land on a pod, and no connection outlives the run.
	t.http = &http.Client{Timeout: c.Timeout, Transport: &http.Transport{TLSClientConfig: t.tls, DisableKeepAlives: true}}
	return t, nil
}

// streamURL is the WebSocket endpoint: ws:// for http, wss:// for https.
func (t *target) streamURL(token string) string {
	u := *t.base
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[t.base.Scheme]
	u.Path += "/v2/realtime/stream"
	u.RawQuery = url.Values{"access_token": {token}}.Encode()
	return u.String()
}

func (t *target) endpoint(path string) string {
	u := *t.base
	u.Path += path
	return u.String()
}

// publish posts one event and returns its seq.
func (t *target) publish(ctx context.Context, org, service, typ string, data any) (int64, error) {
	body, err := json.Marshal(map[string]any{"org": org, "service": service, "type": typ, "data": data})
	if err != nil {
		return 0, err
	}
	var out struct {
		Seq int64 `json:"seq"`
	}
	if err := t.call(ctx, http.MethodPost, t.endpoint("/v2/realtime/publish"), body, &out); err != nil {
		return 0, fmt.Errorf("publish: %w", err)
	}
	return out.Seq, nil
}

// nodeStats is the part of GET /v2/realtime/metrics the checks read.
type nodeStats struct {
	ActiveConnections  uint64 `json:"activeConnections"`
	CompressedMessages uint64 `json:"compressedMessages"`
	Pool               struct {
		TotalSubscriptions int `json:"totalSubscriptions"`
	} `json:"connectionPoolStats"`
}

func (t *target) stats(ctx context.Context) (nodeStats, error) {
	var s nodeStats
	if err := t.call(ctx, http.MethodGet, t.endpoint("/v2/realtime/metrics"), nil, &s); err != nil {
		return s, fmt.Errorf("metrics: %w", err)
	}
	return s, nil
}

// call sends an API-key request and decodes a 200 answer into out; any
// other status becomes an error carrying the gateway's JSON error code.
func (t *target) call(ctx context.Context, method, u string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+t.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(b, &e)
		return fmt.Errorf("HTTP %d %s", resp.StatusCode, e.Code)
	}
	return json.Unmarshal(b, out)
}
