package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The connections verdict, including outcomes a healthy gateway never
// produces (subscriptions growing with connections).
func TestJudgeConns(t *testing.T) {
	cases := []struct {
		name                 string
		want, opened, capped int
		err                  error
		before, after        int
		status               status
	}{
		{name: "all open, one new tail", want: 100, opened: 100, before: 0, after: 1, status: pass},
		{name: "all open, tail already there", want: 100, opened: 100, before: 3, after: 3, status: pass},
		{name: "per-user cap", want: 100, opened: 20, capped: 80, before: 1, after: 1, status: pass},
		{name: "subscriptions grow with connections", want: 100, opened: 100, before: 1, after: 101, status: fail},
		{name: "two new subscriptions", want: 10, opened: 10, before: 1, after: 3, status: fail},
		{name: "a connection failed", want: 10, opened: 9, err: errors.New("upgrade: 503"), status: fail},
		{name: "cap leaves one", want: 10, opened: 1, capped: 9, status: fail},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := judgeConns(tc.want, tc.opened, tc.capped, tc.err, tc.before, tc.after)
			if r.Status != tc.status {
				t.Fatalf("%s (%s), want %s", r.Status, r.Figure, tc.status)
			}
		})
	}
}

// Environment variables set defaults; flags win; bad values are reported
// together.
func TestConfigEnvAndFlags(t *testing.T) {
	env := map[string]string{"RTCHECK_URL": "https://rt.example.com", "RTCHECK_TOKEN": "a.b.c",
		"RTCHECK_API_KEY": "k", "RTCHECK_CONNS": "7", "RTCHECK_PING_WAIT": "2s"}
	c, err := parseConfig([]string{"-conns", "9"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.URL != "https://rt.example.com" || c.Conns != 9 || c.PingWait != 2*time.Second || c.APIKey != "k" {
		t.Fatalf("config %+v", c)
	}
	_, err = parseConfig([]string{"-url", "ftp://x"}, func(k string) string {
		return map[string]string{"RTCHECK_EVENTS": "many"}[k]
	})
	for _, want := range []string{"RTCHECK_EVENTS", "-url", "-token", "-api-key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

func TestQuantile(t *testing.T) {
	d := []time.Duration{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	if got := quantile(d, 0.5); got != 5 {
		t.Errorf("p50 %v, want 5", got)
	}
	if got := quantile(d, 0.99); got != 10 {
		t.Errorf("p99 %v, want 10", got)
	}
}
