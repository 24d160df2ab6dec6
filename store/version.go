package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ErrServerTooOld: a Redis server lacks a command the configured mode
// needs (sharded pub/sub needs 7.0).
var ErrServerTooOld = errors.New("store: Redis server too old")

// CheckServers checks that the servers can run the Log's pub/sub mode:
// with sharded pub/sub every Cluster master must run Redis 7.0 or newer,
// or SSUBSCRIBE fails at the first org. Classic mode works on every
// version the scripts do. Errors other than ErrServerTooOld mean Redis
// could not be asked.
func (l *Log) CheckServers(ctx context.Context) error {
	cc, ok := l.client.(*redis.ClusterClient)
	if !ok || l.pubsub != PubSubSharded {
		return nil
	}
	var mu sync.Mutex
	var old []string
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		v, err := serverVersion(ctx, c)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Options().Addr, err)
		}
		if !versionAtLeast(v, 7, 0) {
			mu.Lock()
			old = append(old, c.Options().Addr+" runs "+v)
			mu.Unlock()
		}
		return nil
	})
	if len(old) > 0 {
		return fmt.Errorf("%w: sharded pub/sub needs Redis 7.0 or newer on every Cluster master; %s", ErrServerTooOld, strings.Join(old, ", "))
	}
	if err != nil {
		return fmt.Errorf("check Redis version: %w", err)
	}
	return nil
}

// serverVersion reads redis_version from INFO server.
func serverVersion(ctx context.Context, c *redis.Client) (string, error) {
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("INFO server has no redis_version: %w", ErrMalformed)
}

// versionAtLeast compares a "major.minor.patch" version with major.minor.
func versionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	maj, err := strconv.Atoi(parts[0])
	if err != nil {
		return false
	}
	mnr := 0
	if len(parts) > 1 {
		mnr, _ = strconv.Atoi(parts[1])
	}
	return maj > major || (maj == major && mnr >= minor)
}
