// Command gateway runs one node of the real-time gateway.
//
// With no configuration it starts an embedded, in-process Redis and prints a
// development token, so `go run ./cmd/gateway` works on a fresh machine.
// Every setting is a flag and an environment variable: `gateway --help`.
// `gateway token -user U -org O` mints a client token with the configured
// secret.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/gateway"
	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/rollout"
	"github.com/rtgw/realtime/store"
)

// version is stamped at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "token" {
		runToken(os.Args[2:])
		return
	}
	cfg, err := loadConfig(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	logger := newLogger(cfg)
	logger.Info().Str("version", version).Fields(cfg.redacted()).Msg("starting")

	var dev *devEnv
	if cfg.devMode() {
		var err error
		if dev, err = startDev(&cfg, logger); err != nil {
			return err
		}
		defer dev.Close()
	}
	client, err := newRedis(cfg)
	if err != nil {
		return err
	}
	defer client.Close()

	pubsub, _ := store.ParsePubSubMode(cfg.RedisPubSub) // validated in loadConfig
	log, err := store.New(store.Config{Client: client, Prefix: cfg.RedisPrefix, MaxLen: cfg.HistoryMaxLen, MaxEventBytes: cfg.MaxEventBytes,
		IdempotencyWindow: cfg.IdempotencyWindow, PubSub: pubsub, RevocationTTL: cfg.RevocationTTL})
	if err != nil {
		return err
	}
	if err := checkRedis(log, logger); err != nil {
		return err
	}
	verifier, err := newVerifier(cfg)
	if err != nil {
		return err
	}
	uploads, err := uploadConfig(cfg, dev != nil, logger)
	if err != nil {
		return err
	}
	var srv *gateway.Server
	flags, err := rollout.New(rollout.Config{
		Client:            client,
		Key:               store.RolloutKey(cfg.RedisPrefix),
		DefaultEnabled:    cfg.StreamingV2,
		DefaultPercent:    cfg.RolloutPercent,
		DefaultPercentSet: true,
		OnKill:            func() { srv.KillSwitch() },
		OnError:           rateLimited(logger, time.Minute),
	})
	if err != nil {
		return err
	}
	srv, err = gateway.New(gatewayConfig(cfg, gatewayDeps{
		Rollout: flags,
		Log: gateway.StoreLog(log, func(err error) {
			logger.Warn().Err(err).Msg("event feed")
		}),
		Verifier: verifier,
		Logger:   &logger,
		Uploads:  uploads,
	}))
	if err != nil {
		return err
	}
	if dev != nil {
		dev.announce(verifier, cfg)
	}
	mountWeb(srv, verifier, cfg.APIKey, dev != nil, logger)
	stopFlags := make(chan struct{})
	defer close(stopFlags)
	go flags.Run(stopFlags)
	return serve(cfg, srv, logger)
}

// serve runs the HTTP server until SIGTERM/SIGINT, then drains: stop
// accepting, close WebSockets with 1012 over the drain window, exit.
func serve(cfg config, srv *gateway.Server, logger zerolog.Logger) error {
	hs := &http.Server{
		Addr:              cfg.Addr,
		Handler:           srv.Handler(),
		ReadHeaderTimeout: cfg.HeaderTimeout,
		ConnContext:       srv.ConnContext,
		ConnState:         srv.ConnState,
	}
	errc := make(chan error, 2)
	go func() { errc <- hs.ListenAndServe() }()
	logger.Info().Str("addr", cfg.Addr).Msg("listening")
	if cfg.MetricsAddr != "" {
		ms := &http.Server{Addr: cfg.MetricsAddr, Handler: srv.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- ms.ListenAndServe() }()
		defer ms.Close()
		logger.Info().Str("addr", cfg.MetricsAddr).Msg("metrics listening")
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case err := <-errc:
		srv.Close()
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	case s := <-sig:
		logger.Info().Str("signal", s.String()).Dur("drain", cfg.DrainTimeout).Msg("draining")
	}
	// /readyz fails from now on; keep accepting for the shutdown delay so
	// load balancers see that before the listener closes.
	srv.BeginDrain()
	time.Sleep(cfg.ShutdownDelay)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout+5*time.Second)
	defer cancel()
	// Both at once: hs.Shutdown stops accepting and waits for HTTP handlers,
	// which include long-polls and SSE streams that only srv.Shutdown ends.
	httpDone := make(chan struct{})
	go func() { _ = hs.Shutdown(ctx); close(httpDone) }()
	if err := srv.Shutdown(ctx, cfg.DrainTimeout); err != nil {
		logger.Warn().Err(err).Msg("drain did not finish in time")
	}
	<-httpDone
	logger.Info().Msg("stopped")
	return nil
}

// newVerifier builds the token verifier for the configured algorithm: a
// shared secret for HS*, a public key file for RS*/PS*/ES*.
func newVerifier(cfg config) (*auth.Verifier, error) {
	ac := auth.Config{Algorithm: cfg.JWTAlgorithm, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience}
	if cfg.JWTPublicKeyFile != "" {
		pemBytes, err := os.ReadFile(cfg.JWTPublicKeyFile)
		if err != nil {
			return nil, fmt.Errorf("REALTIME_JWT_PUBLIC_KEY_FILE: %w", err)
		}
		if ac.PublicKey, err = auth.LoadPublicKey(pemBytes); err != nil {
			return nil, fmt.Errorf("REALTIME_JWT_PUBLIC_KEY_FILE: %w", err)
		}
	} else {
		ac.Secret = []byte(cfg.JWTSecret)
	}
	return auth.New(ac)
}

// rateLimited logs errors at most once per interval, with a count of the
// ones it held back, so an outage does not flood the log.
func rateLimited(logger zerolog.Logger, every time.Duration) func(error) {
	var mu sync.Mutex
	var last time.Time
	held := 0
	return func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < every {
			held++
			return
		}
		logger.Warn().Err(err).Int("suppressed", held).Msg("rollout flags unreadable; deciding from cache or defaults")
		last, held = time.Now(), 0
	}
}

func newLogger(cfg config) zerolog.Logger {
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil {
		level = zerolog.InfoLevel
	}
	var l zerolog.Logger
	if cfg.LogFormat == "console" {
		l = zerolog.New(zerolog.ConsoleWriter{Out: os.Stdout, TimeFormat: time.RFC3339})
	} else {
		l = zerolog.New(os.Stdout)
	}
	return l.Level(level).With().Timestamp().Logger()
}
