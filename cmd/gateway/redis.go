package main

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
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
			Password:              cfg.RedisPassword,
			TLSConfig:             tlsConf,
			ContextTimeoutEnabled: true,
		}), nil
	case cfg.SentinelAddrs != "":
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:            cfg.SentinelMaster,
			SentinelAddrs:         splitList(cfg.SentinelAddrs),
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
	return redis.NewClient(opts), nil
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
