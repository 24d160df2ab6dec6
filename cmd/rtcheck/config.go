package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is every flag; each has an environment variable that sets its
// default (an explicit flag wins), so CI jobs can keep secrets out of argv.
type config struct {
	URL            string        // base URL of the gateway: http(s)://host[:port][/prefix]
	Token          string        // client token (JWT) the checks connect with
	APIKey         string        // REALTIME_API_KEY: publish and metrics
	JWTSecret      string        // optional: mint one user per connection
	Service        string        // service published to and followed
	Events         int           // events timed by the latency row
	LatencyTarget  time.Duration // p99 must be at or below
	Missed         int           // events published while disconnected
	CompressBytes  int           // size of the compression row's event data
	Conns          int           // connections the connections row opens
	PingWait       time.Duration // 0: skip the ping row
	Redis          string        // optional redis:// URL: read the rollout hash
	RedisPrefix    string        // key prefix: <prefix>:rollout
	DefaultPercent int           // the deployment's REALTIME_ROLLOUT_PERCENT
	DefaultOn      bool          // the deployment's REALTIME_STREAMING_V2
	CAFile         string        // PEM roots for https/wss
	Insecure       bool          // skip TLS verification
	Timeout        time.Duration // bound on each wait
	JSON           bool          // machine-readable output
}

// parseConfig reads args over the environment and checks the values.
func parseConfig(args []string, getenv func(string) string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("rtcheck", flag.ContinueOnError)
	e := envFlags{fs: fs, getenv: getenv}
	e.str(&c.URL, "url", "RTCHECK_URL", "http://localhost:4000", "gateway base URL (https:// for a TLS ingress; the WebSocket uses ws:// or wss:// to match)")
	e.str(&c.Token, "token", "RTCHECK_TOKEN", "", "client token (JWT); its org and user are the ones checked")
	e.str(&c.APIKey, "api-key", "RTCHECK_API_KEY", "", "the gateway's REALTIME_API_KEY (publish, /v2/realtime/metrics)")
	e.str(&c.JWTSecret, "jwt-secret", "RTCHECK_JWT_SECRET", "", "HS256 secret: mint one user per connection for the connections row (optional)")
	e.str(&c.Service, "service", "RTCHECK_SERVICE", "rtcheck", "service to publish to and follow; use one no real client follows")
	e.integer(&c.Events, "events", "RTCHECK_EVENTS", 20, "events timed by the latency row")
	e.duration(&c.LatencyTarget, "latency-target", "RTCHECK_LATENCY_TARGET", 100*time.Millisecond, "publish → receive p99 must be at most this")
	e.integer(&c.Missed, "missed", "RTCHECK_MISSED", 5, "events published while the resume row is disconnected")
	e.integer(&c.CompressBytes, "compress-bytes", "RTCHECK_COMPRESS_BYTES", 4096, "event data size for the compression row (above the gateway's REALTIME_COMPRESS_THRESHOLD)")
	e.integer(&c.Conns, "conns", "RTCHECK_CONNS", 100, "connections opened by the connections row")
	e.duration(&c.PingWait, "ping-wait", "RTCHECK_PING_WAIT", 35*time.Second, "how long to wait for a server ping (REALTIME_PING_INTERVAL, 30s by default); 0 skips the row")
	e.str(&c.Redis, "redis", "RTCHECK_REDIS", "", "redis:// URL of the gateway's Redis: read the rollout hash (HMGET only) and compare with the node")
	e.str(&c.RedisPrefix, "redis-prefix", "RTCHECK_REDIS_PREFIX", "realtime", "the gateway's REALTIME_REDIS_PREFIX")
	e.integer(&c.DefaultPercent, "rollout-percent", "REALTIME_ROLLOUT_PERCENT", 100, "the deployment's REALTIME_ROLLOUT_PERCENT (applies when the hash has no percent)")
	e.boolean(&c.DefaultOn, "streaming-v2", "REALTIME_STREAMING_V2", true, "the deployment's REALTIME_STREAMING_V2 (applies when the hash has no enabled)")
	e.str(&c.CAFile, "ca-file", "RTCHECK_CA_FILE", "", "PEM file of CA certificates to trust for https/wss")
	e.boolean(&c.Insecure, "insecure", "RTCHECK_INSECURE", false, "do not verify the TLS certificate")
	e.duration(&c.Timeout, "timeout", "RTCHECK_TIMEOUT", 5*time.Second, "bound on each network wait")
	e.boolean(&c.JSON, "json", "RTCHECK_JSON", false, "print JSON instead of the table")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return c, errors.Join(append(e.errs, c.check()...)...)
}

func (c *config) check() []error {
	var errs []error
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("-url %q: want http://host[:port] or https://host[:port]", c.URL))
	}
	if c.Token == "" {
		errs = append(errs, errors.New("-token (RTCHECK_TOKEN) is required"))
	}
	if c.APIKey == "" {
		errs = append(errs, errors.New("-api-key (RTCHECK_API_KEY) is required"))
	}
	if c.Events < 1 || c.Missed < 1 || c.Conns < 1 {
		errs = append(errs, errors.New("-events, -missed and -conns must be at least 1"))
	}
	if c.DefaultPercent < 0 || c.DefaultPercent > 100 {
		errs = append(errs, errors.New("-rollout-percent must be in 0..100"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("-timeout must be positive"))
	}
	return errs
}

// envFlags registers flags whose defaults come from environment variables,
// collecting unparsable environment values instead of ignoring them.
type envFlags struct {
	fs     *flag.FlagSet
	getenv func(string) string
	errs   []error
}

func (e *envFlags) usage(u, env string) string { return u + " [$" + env + "]" }

func (e *envFlags) str(p *string, name, env, def, u string) {
	if v := e.getenv(env); v != "" {
		def = v
	}
	e.fs.StringVar(p, name, def, e.usage(u, env))
}

func (e *envFlags) integer(p *int, name, env string, def int, u string) {
	e.fs.IntVar(p, name, envValue(e, env, "an integer", strconv.Atoi, def), e.usage(u, env))
}

func (e *envFlags) duration(p *time.Duration, name, env string, def time.Duration, u string) {
	e.fs.DurationVar(p, name, envValue(e, env, "a duration", time.ParseDuration, def), e.usage(u, env))
}

func (e *envFlags) boolean(p *bool, name, env string, def bool, u string) {
	e.fs.BoolVar(p, name, envValue(e, env, "a boolean", strconv.ParseBool, def), e.usage(u, env))
}

// envValue is env's value parsed as the flag's default, or def when env is
// unset; a value that does not parse is recorded (reported after Parse)
// and def is kept.
func envValue[T any](e *envFlags, env, kind string, parse func(string) (T, error), def T) T {
	v := strings.TrimSpace(e.getenv(env))
	if v == "" {
		return def
	}
	x, err := parse(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("$%s=%q: not %s", env, v, kind))
		return def
	}
	return x
}

// getenv is os.Getenv; a variable so tests can pass their own.
var getenv = os.Getenv
