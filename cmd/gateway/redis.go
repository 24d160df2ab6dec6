package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/store"
)

// newRedis builds the client for the configured topology: one server
// (REDIS_URL), Sentinel (REDIS_SENTINEL_ADDRS + REDIS_SENTINEL_MASTER) or
// Cluster (REDIS_CLUSTER_ADDRS). Every org's keys share the {org} hash tag,
// so the scripts and MULTI reads stay in one slot on a cluster.
//
// Context deadlines bound network waits too (ContextTimeoutEnabled): the
// rollout read at handshake must not wait out a 3 s socket timeout.
func newRedis(cfg config) (redis.UniversalClient, error) {
	var tlsConf *tls.Config
	if cfg.RedisTLS {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	switch {
	case cfg.ClusterAddrs != "":
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:                 splitList(cfg.ClusterAddrs),
			ClientName:            clientName(),
			Password:              cfg.RedisPassword,
			TLSConfig:             tlsConf,
			ContextTimeoutEnabled: true,
		}), nil
	case cfg.SentinelAddrs != "":
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:            cfg.SentinelMaster,
			SentinelAddrs:         splitList(cfg.SentinelAddrs),
			ClientName:            clientName(),
			Password:              cfg.RedisPassword,
			TLSConfig:             tlsConf,
			ContextTimeoutEnabled: true,
		}), nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opts.ContextTimeoutEnabled = true
	if opts.ClientName == "" {
		opts.ClientName = clientName()
	}
	return redis.NewClient(opts), nil
}

// clientName names every connection of this node in CLIENT LIST, so an
// operator can tell which pod holds which connections (and tests can count
// a node's pub/sub connections per master): "realtime-gateway:<host>:<pid>".
func clientName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("realtime-gateway:%s:%d", host, os.Getpid())
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// checkRedis refuses to start on servers too old for the configured
// pub/sub mode (sharded needs Redis 7.0 on every master). Redis that cannot
// be reached now is not an error: the node starts unready and the feed
// reports its errors once it can connect, as with any outage.
func checkRedis(log *store.Log, logger zerolog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := log.CheckServers(ctx)
	if errors.Is(err, store.ErrServerTooOld) {
		return fmt.Errorf("%w (or set REALTIME_REDIS_PUBSUB=classic)", err)
	}
	if err != nil {
		logger.Warn().Err(err).Msg("could not check the Redis version at start")
	}
	logger.Info().Str("pubsub", string(log.PubSub())).Msg("redis notifications")
	return nil
}
