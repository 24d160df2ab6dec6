package gateway

import "github.com/rtgw/realtime/gateway/wsframe"

// frameOverhead is charged to the backlog for every queued frame on top of
// its wire bytes: a flood of tiny frames (pongs) costs memory for the frame
// structs, not just their 2 wire bytes, and the cap must see that.
const frameOverhead = 64

// outQueue is one connection's backlog of frames, capped in bytes by its
// owner. It is a ring of shared *frame pointers: queuing an event on a
// connection copies one pointer and allocates nothing once the ring has grown
// to the connection's usual backlog. All methods: caller holds conn.mu.
type outQueue struct {
	ring  []*wsframe.Frame
	head  int
	n     int
	bytes int // charged bytes: unsent wire bytes (including the head frame's rest) + frameOverhead per frame
	off   int // bytes of the head frame already written
}

func (q *outQueue) push(f *wsframe.Frame, size int) {
	if q.n == len(q.ring) {
		q.grow()
	}
	q.ring[(q.head+q.n)%len(q.ring)] = f
	q.n++
	q.bytes += size + frameOverhead
}

func (q *outQueue) grow() {
	size := 2 * len(q.ring)
	if size == 0 {
		size = 4
	}
	ring := make([]*wsframe.Frame, size)
	for i := 0; i < q.n; i++ {
		ring[i] = q.ring[(q.head+i)%len(q.ring)]
	}
	q.ring, q.head = ring, 0
}

// at returns the i-th queued frame.
func (q *outQueue) at(i int) *wsframe.Frame { return q.ring[(q.head+i)%len(q.ring)] }

// advance consumes n written bytes, popping every frame fully written and
// telling it so.
func (q *outQueue) advance(n int, deflate bool) {
	q.bytes -= n
	for n > 0 {
		rest := len(q.at(0).Wire(deflate)) - q.off
		if n < rest {
			q.off += n
			return
		}
		n -= rest
		q.bytes -= frameOverhead
		q.at(0).Written()
		q.popFront()
	}
}

func (q *outQueue) popFront() {
	q.ring[q.head] = nil
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	q.off = 0
	if q.n == 0 {
		q.head = 0
		// Release a ring that a burst grew large; the next burst regrows it.
		if len(q.ring) > 64 {
			q.ring = nil
		}
	}
}

// dropBacklog discards every queued frame except a partly written head
// frame, which must still be finished to keep the byte stream framed.
func (q *outQueue) dropBacklog(deflate bool) {
	keep := 0
	if q.off > 0 {
		keep = 1
	}
	for q.n > keep {
		i := (q.head + q.n - 1) % len(q.ring)
		q.bytes -= len(q.ring[i].Wire(deflate)) + frameOverhead
		q.ring[i] = nil
		q.n--
	}
	if q.n == 0 {
		q.head, q.off, q.bytes = 0, 0, 0
	}
}
