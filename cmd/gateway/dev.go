package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/internal/auth"
)

// devEnv is development mode: an embedded in-process Redis (miniredis) and
// generated secrets. It runs the same code path as production — the same Lua
// scripts, the same pub/sub feed — just not durable and not shared.
type devEnv struct {
	mr     *miniredis.Miniredis
	logger zerolog.Logger
}

func startDev(cfg *config, logger zerolog.Logger) (*devEnv, error) {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		return nil, fmt.Errorf("embedded redis: %w", err)
	}
	cfg.RedisURL = "redis://" + mr.Addr()
	if cfg.JWTSecret == "" && strings.HasPrefix(cfg.JWTAlgorithm, "HS") {
		cfg.JWTSecret = randomHex(32)
	}
	if cfg.APIKey == "" {
		cfg.APIKey = randomHex(16)
	}
	logger.Warn().Str("redis", mr.Addr()).
		Msg("DEVELOPMENT MODE: no REDIS_URL, using an embedded in-memory Redis; events are lost on exit and not shared with other nodes. Set REDIS_URL for anything real.")
	return &devEnv{mr: mr, logger: logger}, nil
}

// announce prints what a newcomer needs to try the gateway at once.
func (d *devEnv) announce(v *auth.Verifier, cfg config) {
	token, err := v.Sign(auth.Claims{User: "dev-user", Org: "dev", Expiry: time.Now().Add(24 * time.Hour)})
	if errors.Is(err, auth.ErrSignUnsupported) {
		d.logger.Info().Msg("tokens are verified with a public key: mint development tokens with your issuer")
		return
	}
	if err != nil {
		d.logger.Error().Err(err).Msg("cannot sign a development token")
		return
	}
	port := cfg.Addr
	if len(port) > 0 && port[0] == ':' {
		port = "localhost" + port
	}
	fmt.Fprintf(os.Stderr, `
  Development token (org "dev", user "dev-user", valid 24h):
    %s
  API key: %s

  Connect:  wscat -c 'ws://%s/v2/realtime/stream?access_token=%s'
            then send {"services":["finance"],"version":1}
  Publish:  curl -s -H 'Authorization: Bearer %s' -d '{"org":"dev","service":"finance","type":"revenue.created","data":{"amount":42}}' http://%s/v2/realtime/publish

`, token, cfg.APIKey, port, token, cfg.APIKey, port)
}

func (d *devEnv) Close() { d.mr.Close() }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}
