package gateway

import (
	"context"
	"encoding/json"
	"time"

	"github.com/rtgw/realtime/gateway/httpapi"
	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/store"
)

// Client publishes: a connection whose token carries the "publish" claim
// may send
//
//	{"type":"publish","service":"chat","room":"frontdesk","data":{…},"id":"c-1"}
//
// and the gateway appends it to the org's log through the same publish
// script as every other event — so chat has seq, order, replay and history
// — as {"room","user","id","data"} with the user taken from the token,
// never from the message. It answers {"type":"published","id","seq"} or an
// error frame carrying the id; a bad publish never closes the connection.
// With "idempotencyKey" the publish is safe to resend: a repeat (from the
// same user, within the window) is answered with the first seq and
// "duplicate":true, and is not appended again.

// clientPublish is a publish message from a client.
type clientPublish struct {
	Service string          `json:"service"`
	Room    string          `json:"room"`
	ID      string          `json:"id"`
	Data    json.RawMessage `json:"data"`
	// IdempotencyKey is optional; present, it must pass httpapi.ValidIdempotencyKey.
	IdempotencyKey *string `json:"idempotencyKey"`
}

// chatEnvelope is what a client publish stores as the event's data.
type chatEnvelope struct {
	Room string          `json:"room,omitempty"`
	User string          `json:"user"`
	ID   string          `json:"id,omitempty"`
	Data json.RawMessage `json:"data"`
}

// publishJob is one piece of Redis work for a publisher: a client publish
// (env under key, answered on c), a typing signal (eph), a presence
// change (presence +1 / -1 for entries), or a token refresh's revocation
// check.
type publishJob struct {
	c        *conn
	id       string
	svc      string
	env      []byte
	key      string // scoped idempotency key, "" for none
	eph      *store.Ephemeral
	presence int
	entries  []store.PresenceEntry
	refresh  *auth.Claims
}

// publishQueue bounds client publishes waiting for Redis on a node (split
// over the publishers); past it clients get "busy" instead of the node
// growing a backlog.
const publishQueue = 1024

// publisher is this connection's publisher queue: always the same one, so the
// connection's messages are appended in the order it sent them.
func (c *conn) publisher() chan<- publishJob {
	return c.s.publishes[c.id%uint64(len(c.s.publishes))]
}

// publish validates a client publish on the reader and hands it to the
// publisher pool (the Redis call must not hold a reader).
func (c *conn) publish(msg []byte) {
	var p clientPublish
	if err := json.Unmarshal(msg, &p); err != nil {
		c.sendPublishError("", "bad_publish", "publish is not valid JSON: "+message.JSONProblem(err))
		return
	}
	switch {
	case len(p.ID) > 64:
		c.sendPublishError("", "bad_publish", "id over 64 bytes")
	case !store.ValidName(p.Service):
		c.sendPublishError(p.ID, "bad_publish", "invalid service")
	case p.Room != "" && !store.ValidName(p.Room):
		c.sendPublishError(p.ID, "bad_publish", "invalid room")
	case len(p.Data) == 0 || !json.Valid(p.Data):
		c.sendPublishError(p.ID, "bad_publish", "data is missing or not JSON")
	case p.IdempotencyKey != nil && !httpapi.ValidIdempotencyKey(*p.IdempotencyKey):
		c.sendPublishError(p.ID, "bad_publish", httpapi.ErrIdempotencyKey.Error())
	case !c.token().MayPublish(p.Service):
		c.s.metrics.clientPublishes["not_allowed"].Inc()
		c.sendPublishError(p.ID, "publish_not_allowed", "the token may not publish to "+p.Service)
	case !c.s.publishRate.Allow(c.org+"\x00"+c.user, time.Now()):
		c.s.metrics.clientPublishes["rate_limited"].Inc()
		c.sendPublishError(p.ID, "rate_limited", "too many publishes; slow down")
	default:
		env, _ := json.Marshal(chatEnvelope{Room: p.Room, User: c.user, ID: p.ID, Data: p.Data})
		var key string
		if p.IdempotencyKey != nil {
			key = httpapi.ScopedKey(c.user, *p.IdempotencyKey)
		}
		select {
		case c.publisher() <- publishJob{c: c, id: p.ID, svc: p.Service, env: env, key: key}:
		default:
			c.s.metrics.clientPublishes["busy"].Inc()
			c.sendPublishError(p.ID, "busy", "node busy; retry")
		}
	}
}

// runPublisher is one publisher goroutine: it runs the Redis work of
// client publishes, typing signals and presence changes, in queue order.
func (s *Server) runPublisher(q <-chan publishJob) {
	for {
		select {
		case <-s.stop:
			return
		case j := <-q:
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RedisTimeout)
			switch {
			case j.presence != 0:
				s.presence.Apply(ctx, j.c.org, j.entries, j.presence)
			case j.refresh != nil:
				s.refreshJob(ctx, j.c, j.refresh)
			case j.eph != nil:
				if err := s.cfg.Log.SendEphemeral(ctx, j.c.org, *j.eph); err != nil {
					s.metrics.redisErrors.Inc()
				}
			default:
				s.appendClientPublish(ctx, j)
			}
			cancel()
		}
	}
}

// appendClientPublish appends one client publish to the log and answers
// the client.
func (s *Server) appendClientPublish(ctx context.Context, j publishJob) {
	p, err := s.cfg.Log.Append(ctx, j.c.org, store.Input{Service: j.svc, Type: "message", Data: j.env, IdempotencyKey: j.key})
	if err != nil {
		s.metrics.clientPublishes["error"].Inc()
		if !httpapi.IsInvalidEvent(err) {
			s.metrics.redisErrors.Inc()
		}
		j.c.sendPublishError(j.id, "publish_failed", "could not publish: "+publishProblem(err))
		return
	}
	s.metrics.clientPublishes["ok"].Inc()
	s.metrics.duplicates["ws"].Add(len(p.Duplicates))
	j.c.SendText(message.Published(j.id, p.Seqs[0], p.Duplicates != nil))
}

func publishProblem(err error) string {
	if httpapi.IsInvalidEvent(err) {
		return "event refused (too large or malformed)"
	}
	return "event log unavailable"
}

// sendPublishError is the error message of a client publish: the usual
// error plus the publish's id, so the client can match it.
func (c *conn) sendPublishError(id, code, msg string) {
	c.SendText(message.Problem{Code: code, Message: msg, ID: id}.Bytes())
}
