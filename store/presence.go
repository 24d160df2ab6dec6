package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Presence is who is online per org and room, across every gateway node:
// one sorted set per org, "<prefix>:{<org>}:presence", whose members are
// "<room>\n<node>\n<user>" scored with their expiry (unix ms). Each node
// re-adds its members every few seconds (PresenceBeat); a node that dies
// stops doing so and its users fall out when their scores pass — a killed
// node's users disappear within one TTL without anyone cleaning up.

// PresenceEntry is one user present in one room ("" for the org as a whole).
type PresenceEntry struct {
	Room string
	User string
}

func presenceMember(node string, e PresenceEntry) string {
	return e.Room + "\n" + node + "\n" + e.User
}

// PresenceBeat marks entries present on node for ttl, and drops expired
// members of any node.
func (l *Log) PresenceBeat(ctx context.Context, org, node string, entries []PresenceEntry, ttl time.Duration) error {
	if !ValidOrg(org) {
		return fmt.Errorf("presence of %q: %w", org, ErrInvalidOrg)
	}
	now := time.Now()
	exp := float64(now.Add(ttl).UnixMilli())
	key := l.keys.presence(org)
	_, err := l.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		if len(entries) > 0 {
			zs := make([]redis.Z, len(entries))
			for i, e := range entries {
				zs[i] = redis.Z{Score: exp, Member: presenceMember(node, e)}
			}
			p.ZAdd(ctx, key, zs...)
			p.PExpire(ctx, key, 2*ttl)
		}
		p.ZRemRangeByScore(ctx, key, "-inf", strconv.FormatInt(now.UnixMilli(), 10))
		return nil
	})
	if err != nil {
		return fmt.Errorf("presence of %q: %w", org, err)
	}
	return nil
}

// PresenceLeave removes one entry of node at once.
func (l *Log) PresenceLeave(ctx context.Context, org, node string, e PresenceEntry) error {
	if err := l.client.ZRem(ctx, l.keys.presence(org), presenceMember(node, e)).Err(); err != nil {
		return fmt.Errorf("presence of %q: %w", org, err)
	}
	return nil
}

// Presence lists the users present in room, sorted, each once.
func (l *Log) Presence(ctx context.Context, org, room string) ([]string, error) {
	if !ValidOrg(org) {
		return nil, fmt.Errorf("presence of %q: %w", org, ErrInvalidOrg)
	}
	members, err := l.client.ZRangeByScore(ctx, l.keys.presence(org), &redis.ZRangeBy{
		Min: strconv.FormatInt(time.Now().UnixMilli(), 10), Max: "+inf",
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("presence of %q: %w", org, err)
	}
	users := []string{}
	for _, m := range members {
		parts := strings.SplitN(m, "\n", 3)
		if len(parts) == 3 && parts[0] == room {
			users = append(users, parts[2])
		}
	}
	slices.Sort(users)
	return slices.Compact(users), nil
}
