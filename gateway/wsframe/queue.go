package wsframe

// Overhead is charged to the backlog for every queued frame on top of
// its wire bytes: a flood of tiny frames (pongs) costs memory for the frame
// structs, not just their 2 wire bytes, and the cap must see that.
const Overhead = 64

// Queue is one connection's backlog of frames, capped in bytes by its
// owner (the queue itself has no cap: the owner checks Bytes before Push). It is a ring of shared *frame pointers: queuing an event on a
// connection copies one pointer and allocates nothing once the ring has grown
// to the connection's usual backlog. It has no lock: its owner serialises every call (the gateway holds conn.mu).
type Queue struct {
	ring  []*Frame
	head  int
	n     int
	bytes int // charged bytes: unsent wire bytes (including the head frame's rest) + Overhead per frame
	off   int // bytes of the head frame already written
}

// Push queues f, charging size (its wire length for the connection) plus
// Overhead.
func (q *Queue) Push(f *Frame, size int) {
	if q.n == len(q.ring) {
		q.grow()
	}
	q.ring[(q.head+q.n)%len(q.ring)] = f
	q.n++
	q.bytes += size + Overhead
}

func (q *Queue) grow() {
	size := 2 * len(q.ring)
	if size == 0 {
		size = 4
	}
	ring := make([]*Frame, size)
	for i := 0; i < q.n; i++ {
		ring[i] = q.ring[(q.head+i)%len(q.ring)]
	}
	q.ring, q.head = ring, 0
}

// Len is the number of queued frames.
func (q *Queue) Len() int { return q.n }

// Bytes is the charged size of the backlog: the unsent wire bytes (the head
// frame's rest included) plus Overhead per frame.
func (q *Queue) Bytes() int { return q.bytes }

// Offset is how many bytes of the head frame are already written.
func (q *Queue) Offset() int { return q.off }

// At returns the i-th queued frame.
func (q *Queue) At(i int) *Frame { return q.ring[(q.head+i)%len(q.ring)] }

// Advance consumes n written bytes, popping every frame fully written and
// telling it so.
func (q *Queue) Advance(n int, deflate bool) {
	q.bytes -= n
	for n > 0 {
		rest := len(q.At(0).Wire(deflate)) - q.off
		if n < rest {
			q.off += n
			return
		}
		n -= rest
		q.bytes -= Overhead
		q.At(0).Written()
		q.popFront()
	}
}

func (q *Queue) popFront() {
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

// DropBacklog discards every queued frame except a partly written head
// frame, which must still be finished to keep the byte stream framed.
func (q *Queue) DropBacklog(deflate bool) {
	keep := 0
	if q.off > 0 {
		keep = 1
	}
	for q.n > keep {
		i := (q.head + q.n - 1) % len(q.ring)
		q.bytes -= len(q.ring[i].Wire(deflate)) + Overhead
		q.ring[i] = nil
		q.n--
	}
	if q.n == 0 {
		q.head, q.off, q.bytes = 0, 0, 0
	}
}
