package gateway

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rtgw/realtime/gateway/upload"
	"github.com/rtgw/realtime/gateway/wsframe"
	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/netpoll"
)

// connState is where a connection is in its life. It only moves forward.
type connState int32

const (
	stateHandshake connState = iota // upgraded, waiting for the client's first message

	stateJoining // handshake accepted, replaying / attaching to the org tail

	stateActive // receiving live events

	stateClosing // close frame queued, flushing what is left

	stateLinger // close frame sent, waiting for the peer's close or EOF

	stateClosed // socket closed, unregistered everywhere

)

// conn is one WebSocket connection. It has no goroutine of its own: the read
// poller hands it to a reader when bytes arrive, and the writer pool flushes
// it while it has a backlog (see docs/ARCHITECTURE.md).
type conn struct {
	id    uint64
	s     *Server
	nc    net.Conn
	raw   syscall.RawConn
	rdesc *netpoll.Desc
	wdesc *netpoll.Desc
	links [numLinks]*conn // intrusive workQueue links; owned by the queues

	// Set before the connection is shared, read-only afterwards.
	remote  string
	deflate bool   // negotiated permessage-deflate (no context takeover both ways)
	org     string // the token's; a refresh cannot change it
	user    string // the token's; a refresh cannot change it
	counted bool   // holds a slot in Server.limits
	present bool   // counted in Server.presence; caller holds mu

	lastRead atomic.Int64 // unix nanos of the last frame from the peer

	tok      atomic.Pointer[auth.Claims] // current token's claims; replaced by a refresh (token.go)
	expireAt atomic.Int64                // unix nanos: tok's exp plus the leeway; 0 before authentication

	// Owned by whichever reader holds the connection (one at a time: the read
	// registration is one-shot and re-armed only when the reader is done).
	pre     []byte               // bytes the HTTP server buffered past the upgrade request
	frag    fragBuf              // a fragmented message being reassembled
	partial []byte               // an incomplete frame, kept until the rest arrives
	hs      *handshake           // the accepted handshake, handed to a joiner
	rooms   roomSet              // room filter, set before the join, read-only after
	typed   map[string]time.Time // last typing signal per service+room (reader-owned)

	partialSince atomic.Int64 // unix nanos when partial became non-empty, 0 if empty (read by the sweep)

	gate    readGate     // pauses reads while uploads store what arrived (readgate.go)
	uploads upload.Feeds // the uploads this connection feeds; used by package upload only

	mu         sync.Mutex
	state      connState     // caller holds mu
	out        wsframe.Queue // caller holds mu
	scheduled  bool          // queued on the writers, being written, or waiting for EPOLLOUT; caller holds mu
	writing    bool          // a writev is in flight on a snapshot of out; caller holds mu
	pending    *Disconnect   // a close requested while writing; caller holds mu
	peerClosed bool          // the peer sent its close frame; caller holds mu
	closeCode  CloseCode     // caller holds mu
	deadline   time.Time     // handshake deadline, then close deadline; caller holds mu
	nextPing   time.Time     // caller holds mu
	drained    chan struct{} // closed when the backlog falls under half the cap; caller holds mu
	pongQueued atomic.Bool   // a pong is waiting in out; further pings are answered by it
	tail       *orgTail      // the org tail this connection holds a reference on; caller holds mu
	services   []string      // subscribed services, set at join; caller holds mu
}

func (c *conn) setState(st connState) {
	c.mu.Lock()
	if c.state < st && c.state < stateClosing {
		c.state = st
	}
	c.mu.Unlock()
}

func (c *conn) currentState() connState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Ready is called by the read poller (readable) — see pollHandlers.
type readHandler struct{ c *conn }

func (h readHandler) Ready() { h.c.s.readers.push(h.c) }

type writeHandler struct{ c *conn }

func (h writeHandler) Ready() { h.c.s.writers.push(h.c) }

// Org, User, SendText and Uploads, with Hold, Release and AllowBinary
// (readgate.go), are what package upload sees of a connection
// (upload.Conn).

// Org is the token's org.
func (c *conn) Org() string { return c.org }

// User is the token's user.
func (c *conn) User() string { return c.user }

// SendText queues a one-off text message for this connection.
func (c *conn) SendText(payload []byte) { c.send(wsframe.Text(payload)) }

// Uploads is the connection's upload state, owned by package upload.
func (c *conn) Uploads() *upload.Feeds { return &c.uploads }
