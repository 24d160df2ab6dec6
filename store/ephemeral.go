package store

import (
	"context"
	"fmt"
	"strings"
)

// Ephemeral is a signal for an org's live subscribers only — a typing
// indicator, say. It travels on the org's notify channel, so every gateway
// node that tails the org hears it, but it is never written to the log,
// never gets a seq and is never replayed.
type Ephemeral struct {
	Kind    string // e.g. "typing"
	Service string
	Room    string // optional
	User    string // from the sender's token; for KindRevoke, "" is the whole org
	At      int64  // KindRevoke only: the revocation time, unix seconds
}

// ephemeralMark starts an ephemeral payload; event payloads start with a
// seq digit, so the two never collide on the channel.
const ephemeralMark = "~"

// SendEphemeral publishes e to org's live subscribers.
func (l *Log) SendEphemeral(ctx context.Context, org string, e Ephemeral) error {
	if !ValidOrg(org) {
		return fmt.Errorf("ephemeral to %q: %w", org, ErrInvalidOrg)
	}
	if !ValidName(e.Kind) || !ValidName(e.Service) || (e.Room != "" && !ValidName(e.Room)) || e.User == "" {
		return fmt.Errorf("ephemeral to %q: %w", org, ErrInvalidEvent)
	}
	// Names cannot hold '\n'; the user id comes last, so it may.
	payload := ephemeralMark + e.Kind + "\n" + e.Service + "\n" + e.Room + "\n" + e.User
	pub := l.client.Publish
	if l.pubsub == PubSubSharded {
		pub = l.client.SPublish // stays on the org's shard, like the events
	}
	if err := pub(ctx, l.keys.notify(org), payload).Err(); err != nil {
		return fmt.Errorf("ephemeral to %q: %w", org, err)
	}
	return nil
}

// decodeEphemeral parses a payload that starts with ephemeralMark.
func decodeEphemeral(payload string) (Ephemeral, bool) {
	parts := strings.SplitN(strings.TrimPrefix(payload, ephemeralMark), "\n", 4)
	if len(parts) != 4 || parts[0] == "" || parts[1] == "" || parts[3] == "" {
		return Ephemeral{}, false
	}
	return Ephemeral{Kind: parts[0], Service: parts[1], Room: parts[2], User: parts[3]}, true
}
