package main

import (
	"strings"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/auth"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfig(t *testing.T) {
	secret := strings.Repeat("s", 32)
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, c config)
		wantErr []string
	}{
		{name: "defaults: development mode", check: func(t *testing.T, c config) {
			if c.Addr != ":4000" || c.RedisURL != "" || c.HistoryMaxLen != 10000 || c.PingInterval != 30*time.Second ||
				c.CompressThreshold != 1024 || !c.StreamingV2 || c.RolloutPercent != 100 || c.DrainTimeout != 20*time.Second ||
				c.IdempotencyWindow != 24*time.Hour {
				t.Fatalf("defaults: %+v", c)
			}
		}},
		{name: "env sets values", env: map[string]string{
			"REDIS_URL": "redis://localhost:6379/0", "REALTIME_JWT_SECRET": secret, "REALTIME_API_KEY": "k",
			"REALTIME_HISTORY_MAXLEN": "500", "REALTIME_PING_INTERVAL": "5s", "REALTIME_STREAMING_V2": "false",
			"REALTIME_ROLLOUT_PERCENT": "25", "REALTIME_REDIS_PREFIX": "rt", "REALTIME_IDEMPOTENCY_WINDOW": "10m",
		}, check: func(t *testing.T, c config) {
			if c.IdempotencyWindow != 10*time.Minute || c.HistoryMaxLen != 500 || c.PingInterval != 5*time.Second || c.StreamingV2 || c.RolloutPercent != 25 || c.RedisPrefix != "rt" {
				t.Fatalf("from env: %+v", c)
			}
		}},
		{name: "flag beats env", args: []string{"-rollout-percent", "7"}, env: map[string]string{"REALTIME_ROLLOUT_PERCENT": "25"},
			check: func(t *testing.T, c config) {
				if c.RolloutPercent != 7 {
					t.Fatalf("percent = %d", c.RolloutPercent)
				}
			}},
		{name: "production needs secrets", env: map[string]string{"REDIS_URL": "redis://x:6379"},
			wantErr: []string{"REALTIME_JWT_SECRET is required when Redis is configured", "REALTIME_API_KEY is required when Redis is configured"}},
		{name: "every problem at once", env: map[string]string{
			"REDIS_URL": "http://nope", "REALTIME_JWT_SECRET": "short", "REALTIME_API_KEY": "k",
			"REALTIME_ROLLOUT_PERCENT": "101", "REALTIME_HISTORY_MAXLEN": "x", "REALTIME_LOG_FORMAT": "xml",
		}, wantErr: []string{"REDIS_URL must be", "at least 32 bytes", "REALTIME_ROLLOUT_PERCENT must be between",
			"REALTIME_HISTORY_MAXLEN: not an integer", "REALTIME_LOG_FORMAT must be"}},
		{name: "idempotency window too short", env: map[string]string{"REALTIME_IDEMPOTENCY_WINDOW": "500ms"},
			wantErr: []string{"REALTIME_IDEMPOTENCY_WINDOW must be at least 1s"}},
		{name: "idempotency window not a duration", env: map[string]string{"REALTIME_IDEMPOTENCY_WINDOW": "a day"},
			wantErr: []string{"REALTIME_IDEMPOTENCY_WINDOW: "}},
		{name: "bad bool", env: map[string]string{"REALTIME_STREAMING_V2": "maybe"}, wantErr: []string{"REALTIME_STREAMING_V2: not true or false"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig(tc.args, env(tc.env))
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatal("want an error")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	c := config{RedisURL: "redis://user:hunter2@redis:6379/0", JWTSecret: "topsecret", APIKey: "key123"}
	got := c.redacted()
	for _, v := range got {
		s, _ := v.(string)
		for _, secret := range []string{"hunter2", "topsecret", "key123"} {
			if strings.Contains(s, secret) {
				t.Fatalf("redacted config leaks %q: %v", secret, got)
			}
		}
	}
}

func TestTokenCommand(t *testing.T) {
	secret := strings.Repeat("k", 32)
	var out strings.Builder
	err := tokenCommand([]string{"-user", "alice", "-org", "acme", "-services", "finance,guest"},
		env(map[string]string{"REALTIME_JWT_SECRET": secret}), &out)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := auth.New(auth.Config{Secret: []byte(secret)})
	c, err := v.Verify(strings.TrimSpace(out.String()))
	if err != nil || c.User != "alice" || c.Org != "acme" || len(c.Services) != 2 {
		t.Fatalf("minted token: %+v %v", c, err)
	}
	if err := tokenCommand([]string{"-user", "a"}, env(nil), &out); err == nil {
		t.Fatal("want an error without org and secret")
	}
}
