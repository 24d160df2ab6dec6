package gateway

import "sync"

// Which intrusive link a workQueue threads through conn.links.
const (
	linkRead = iota
	linkWrite
	linkJoin
	numLinks
)

// workQueue hands connections that have work to a fixed set of goroutines.
//
// It is an intrusive FIFO threaded through conn.links, so pushing costs no
// allocation, and it is bounded by construction: each connection is queued at
// most once per queue (its owner guarantees that: one-shot epoll arming for
// reads, the scheduled flag for writes), so the queue never holds more
// entries than there are connections.
type workQueue struct {
	link int
	mu   sync.Mutex
	cond sync.Cond
	head *conn // caller holds mu
	tail *conn // caller holds mu
	stop bool  // caller holds mu
	wg   sync.WaitGroup
}

func newWorkQueue(link int) *workQueue {
	q := &workQueue{link: link}
	q.cond.L = &q.mu
	return q
}

// push queues c. The caller guarantees c is not already queued.
func (q *workQueue) push(c *conn) {
	q.mu.Lock()
	c.links[q.link] = nil
	if q.tail == nil {
		q.head = c
	} else {
		q.tail.links[q.link] = c
	}
	q.tail = c
	q.mu.Unlock()
	q.cond.Signal()
}

// pop blocks for the next connection; it returns nil once the queue stops.
func (q *workQueue) pop() *conn {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == nil && !q.stop {
		q.cond.Wait()
	}
	if q.stop {
		return nil
	}
	c := q.head
	q.head = c.links[q.link]
	if q.head == nil {
		q.tail = nil
	}
	c.links[q.link] = nil
	return c
}

// start runs n workers, each calling work for every popped connection.
// newState makes per-worker scratch state (buffers), so work allocates none.
func startWorkers[S any](q *workQueue, n int, newState func() S, work func(*conn, S)) {
	for i := 0; i < n; i++ {
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			st := newState()
			for c := q.pop(); c != nil; c = q.pop() {
				work(c, st)
			}
		}()
	}
}

// close stops the workers (queued work is abandoned: the connections are
// being torn down anyway) and waits for them.
func (q *workQueue) close() {
	q.mu.Lock()
	q.stop = true
	q.mu.Unlock()
	q.cond.Broadcast()
	q.wg.Wait()
}
