package main

import (
	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/gateway"
	"github.com/rtgw/realtime/gateway/upload"
	"github.com/rtgw/realtime/internal/auth"
)

// gatewayDeps are the parts of gateway.Config built at run time rather
// than read from settings.
type gatewayDeps struct {
	Rollout  gateway.Rollout
	Log      gateway.EventLog
	Verifier *auth.Verifier
	Logger   *zerolog.Logger
	Uploads  upload.Config
}

// gatewayConfig maps the binary's settings onto gateway.Config. It is the
// one place that does, so a test can check that a setting read from the
// environment reaches the node (an earlier revision read
// REALTIME_ALLOWED_ORIGINS and the connection limits and dropped them).
func gatewayConfig(cfg config, d gatewayDeps) gateway.Config {
	return gateway.Config{
		Rollout:            d.Rollout,
		KillSpread:         cfg.KillSpread,
		PresenceTTL:        cfg.PresenceTTL,
		AllowedOrigins:     splitList(cfg.AllowedOrigins),
		MaxConnsPerUser:    cfg.MaxConnsPerUser,
		MaxConnsPerOrg:     cfg.MaxConnsPerOrg,
		HandshakeRate:      float64(cfg.HandshakeRate),
		Log:                d.Log,
		Verifier:           d.Verifier,
		APIKey:             cfg.APIKey,
		Logger:             d.Logger,
		PingInterval:       cfg.PingInterval,
		HandshakeTimeout:   cfg.HandshakeTimeout,
		CompressThreshold:  cfg.CompressThreshold,
		MaxMessageBytes:    cfg.MaxMessageBytes,
		OutboundQueueBytes: cfg.OutboundBytes,
		SendBufferBytes:    cfg.SendBufferBytes,
		Uploads:            d.Uploads,
	}
}
