package store

import (
	"fmt"

	"github.com/redis/go-redis/v9"
)

// PubSubMode is how publish-time notifications travel from the publish
// script to the gateway nodes' feeds.
type PubSubMode string

const (
	// PubSubAuto picks PubSubSharded on a Redis Cluster and PubSubClassic
	// otherwise.
	PubSubAuto PubSubMode = ""
	// PubSubClassic is PUBLISH/SUBSCRIBE. On a Cluster every message is
	// broadcast over the cluster bus to every node, so pub/sub capacity does
	// not grow with the number of shards; on a single server or behind
	// Sentinel there is no bus, and classic pub/sub works on every Redis
	// version and on miniredis (development mode).
	PubSubClassic PubSubMode = "classic"
	// PubSubSharded is SPUBLISH/SSUBSCRIBE (Redis 7.0+, Cluster only): a
	// message stays on the shard that owns the org's slot, and each gateway
	// node holds one pub/sub connection per master that owns one of its
	// orgs. This is what lets pub/sub capacity grow with the shards.
	PubSubSharded PubSubMode = "sharded"
)

// ParsePubSubMode reads a mode name as operators write it ("", "auto",
// "classic", "sharded").
func ParsePubSubMode(s string) (PubSubMode, error) {
	switch s {
	case "", "auto":
		return PubSubAuto, nil
	case string(PubSubClassic), string(PubSubSharded):
		return PubSubMode(s), nil
	}
	return "", fmt.Errorf("%w: pub/sub mode %q: want auto, classic or sharded", ErrInvalidConfig, s)
}

// check refuses a mode the client cannot serve.
func (m PubSubMode) check(c redis.UniversalClient) error {
	switch m {
	case PubSubAuto, PubSubClassic:
		return nil
	case PubSubSharded:
		if _, ok := c.(*redis.ClusterClient); !ok {
			return fmt.Errorf("%w: sharded pub/sub needs a Redis Cluster client (a single server or Sentinel has no shards to spread over; use classic)", ErrInvalidConfig)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown pub/sub mode %q", ErrInvalidConfig, string(m))
}

// publishCommand is the command publish.lua and SendEphemeral announce with.
func (m PubSubMode) publishCommand() string {
	if m == PubSubSharded {
		return "spublish"
	}
	return "publish"
}
