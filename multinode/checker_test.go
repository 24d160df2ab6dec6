package multinode

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws/wsutil"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

// cluster is a set of gateway nodes; nodes can die, clients move on.
type cluster struct {
	mu    sync.Mutex
	nodes []*gatewaytest.Node
	dead  map[*gatewaytest.Node]bool
}

func (c *cluster) live() []*gatewaytest.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*gatewaytest.Node
	for _, n := range c.nodes {
		if !c.dead[n] {
			out = append(out, n)
		}
	}
	return out
}

func (c *cluster) kill(n *gatewaytest.Node) {
	c.mu.Lock()
	if c.dead == nil {
		c.dead = map[*gatewaytest.Node]bool{}
	}
	c.dead[n] = true
	c.mu.Unlock()
	n.Kill()
}

// checker is one client that must see every event of its org exactly once,
// in order, across reconnects to any live node.
type checker struct {
	id    int
	org   string
	tok   string
	nodes *cluster

	// reconnectAfter, when set, gives each connection a lifetime: past it
	// the checker hangs up and resumes with lastSeq (the soak's churn).
	// Nil keeps a connection until it fails.
	reconnectAfter func() time.Duration

	last     atomic.Int64 // last seq applied
	epoch    string
	resyncs  int          // acks with recovered:false
	errs     int          // failed dials, failed reads and close frames
	connects atomic.Int64 // read by the test while the checker runs
	problems []string
}

// newCheckers makes n checkers on nodes, checker i on orgs[i%len(orgs)] as
// user u<i>.
func newCheckers(t *testing.T, nodes *cluster, orgs []string, n int) []*checker {
	checkers := make([]*checker, n)
	for i := range checkers {
		org := orgs[i%len(orgs)]
		checkers[i] = &checker{id: i, org: org, tok: gatewaytest.Token(t, org, fmt.Sprint("u", i)), nodes: nodes}
	}
	return checkers
}

// runAll starts checkers from newCheckers over pub's orgs in wg: each reads
// until stopped is set and it has pub's last event of its org, or until
// deadline.
func runAll(t *testing.T, wg *sync.WaitGroup, checkers []*checker, pub *publisher, stopped *atomic.Bool, deadline time.Time) {
	for i, k := range checkers {
		o := i % len(pub.orgs)
		wg.Go(func() {
			k.run(t, func(last int64) bool { return stopped.Load() && last >= pub.last[o].Load() }, deadline)
		})
	}
}

// waitConnected waits until every checker has had its first ack.
func waitConnected(t *testing.T, timeout time.Duration, checkers []*checker) {
	t.Helper()
	testutil.Eventually(t, timeout, "every client connected", func() bool {
		for _, k := range checkers {
			if k.connects.Load() == 0 {
				return false
			}
		}
		return true
	})
}

func (k *checker) problem(format string, args ...any) {
	if len(k.problems) < 5 {
		k.problems = append(k.problems, fmt.Sprintf(format, args...))
	}
}

// run connects (starting at node id%n) and reads until done says the
// checker has everything, or until deadline.
func (k *checker) run(t *testing.T, done func(last int64) bool, deadline time.Time) {
	hasState := false
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		live := k.nodes.live()
		if len(live) == 0 {
			k.problem("no live node")
			return
		}
		node := live[(k.id+attempt)%len(live)]
		hs := map[string]any{"services": []string{"s"}}
		if hasState {
			hs["lastSeq"], hs["epoch"] = k.last.Load(), k.epoch
		}
		c, err := wstest.TryDial(node.StreamURL(k.tok), wstest.Options{})
		if err != nil {
			k.errs++
			time.Sleep(50 * time.Millisecond) // back off before the next node
			continue
		}
		c.T = t
		b, _ := json.Marshal(hs)
		if err := wsutil.WriteClientText(c.NC, b); err != nil {
			c.NC.Close()
			continue
		}
		if k.read(c, &hasState, done, deadline) {
			c.NC.Close()
			return
		}
		c.NC.Close()
	}
	k.problem("deadline with last seq %d", k.last.Load())
}

// read consumes one connection; it reports true when the checker is done.
// Past the connection's lifetime (reconnectAfter) it returns false unless
// the checker is done, so that run resumes on a new connection.
func (k *checker) read(c *wstest.Client, hasState *bool, done func(int64) bool, deadline time.Time) bool {
	hangUp := deadline
	if k.reconnectAfter != nil {
		hangUp = time.Now().Add(k.reconnectAfter())
	}
	for time.Now().Before(deadline) {
		if time.Now().After(hangUp) {
			return done(k.last.Load())
		}
		m, err := c.Read(200 * time.Millisecond)
		if isTimeout(err) {
			if done(k.last.Load()) {
				return true
			}
			continue
		}
		if err != nil {
			k.errs++
			return false
		}
		switch m.Type {
		case "ack":
			k.connects.Add(1)
			if m.Recovered != nil && !*m.Recovered {
				k.resyncs++
				k.last.Store(m.Seq)
			} else if m.Recovered == nil {
				k.last.Store(m.Seq)
			} else if m.Seq != k.last.Load() {
				k.problem("recovered ack at %d, we were at %d", m.Seq, k.last.Load())
			}
			k.epoch = m.Epoch
			*hasState = true
		case "event":
			for _, e := range m.Events {
				if e.Seq != k.last.Load()+1 {
					k.problem("got seq %d after %d", e.Seq, k.last.Load())
				}
				k.last.Store(e.Seq)
			}
		case "close":
			k.errs++
			return false
		}
	}
	return false
}
