package multinode

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws/wsutil"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

// SIGTERM on a node: every client gets 1012, spread over the drain window,
// reconnects to the other node with lastSeq, and has every event published
// before, during and after the drain exactly once, in order. The drained
// node exits 0.
func TestDrainLosesNothing(t *testing.T) {
	redis := redistest.Start(t)
	const window = 2 * time.Second
	a := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr, Env: map[string]string{
		"REALTIME_DRAIN_TIMEOUT": window.String(),
	}})
	b := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr})
	org := "drain"
	const clients = 40

	type result struct {
		seqs    []int64
		closeAt time.Time
		code    int
	}
	results := make([]result, clients)
	var ready sync.WaitGroup
	var done sync.WaitGroup
	var published atomic.Int64
	stop := make(chan struct{})
	for i := 0; i < clients; i++ {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			r := &results[i]
			tok := gatewaytest.Token(t, org, fmt.Sprint("user-", i))
			// t.Fatal must not run off the test goroutine: errors here
			// are reported with t.Errorf and end this client.
			c, ack, err := join(t, a.StreamURL(tok), map[string]any{"services": []string{"s"}})
			ready.Done()
			if err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			epoch, last := ack.Epoch, ack.Seq
			silentSince := time.Now()
			for {
				m, err := c.Read(200 * time.Millisecond)
				if isTimeout(err) {
					select {
					case <-stop:
						if last >= published.Load() {
							return // has everything published
						}
					default:
					}
					if time.Since(silentSince) > 15*time.Second {
						t.Errorf("client %d: no event for 15s", i)
						return
					}
					continue
				}
				if err != nil {
					t.Errorf("client %d: %v", i, err)
					return
				}
				silentSince = time.Now()
				switch m.Type {
				case "event":
					for _, e := range m.Events {
						r.seqs = append(r.seqs, e.Seq)
						last = e.Seq
					}
				case "error":
				case "close":
					if r.code != 0 {
						t.Errorf("client %d closed twice", i)
						return
					}
					r.code, r.closeAt = m.CloseCode, time.Now()
					var ack wstest.Msg
					c, ack, err = join(t, b.StreamURL(tok), map[string]any{"services": []string{"s"}, "lastSeq": last, "epoch": epoch})
					if err != nil || ack.Recovered == nil || !*ack.Recovered {
						t.Errorf("client %d: resume on node B: %v %s", i, err, ack.Raw)
						return
					}
				}
			}
		}()
	}
	ready.Wait()

	// Publish steadily through node B while A drains.
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			seq, err := b.Publish(org, "s", "t", `{"x":1}`)
			if err != nil {
				t.Errorf("publish: %v", err)
				return
			}
			published.Store(seq)
			time.Sleep(5 * time.Millisecond) // a steady ~200 events/s
		}
	}()
	testutil.Eventually(t, 5*time.Second, "some events before the drain", func() bool { return published.Load() >= 20 })
	sigAt := time.Now()
	a.Signal(syscall.SIGTERM)
	if code := a.Wait(t, window+10*time.Second); code != 0 {
		t.Fatalf("drained node exited %d, want 0", code)
	}
	testutil.Eventually(t, 5*time.Second, "events after the drain", func() bool { return published.Load() >= 20+int64(window/(5*time.Millisecond))/2 })
	close(stop)
	<-pubDone
	done.Wait()

	total := published.Load()
	first, last := time.Time{}, time.Time{}
	for i, r := range results {
		if r.code != 1012 {
			t.Errorf("client %d: close code %d, want 1012", i, r.code)
		}
		if first.IsZero() || r.closeAt.Before(first) {
			first = r.closeAt
		}
		if r.closeAt.After(last) {
			last = r.closeAt
		}
		if int64(len(r.seqs)) != total {
			t.Errorf("client %d: %d events, want %d", i, len(r.seqs), total)
		}
		for j, s := range r.seqs {
			if s != int64(j+1) {
				t.Fatalf("client %d: event %d has seq %d: lost or duplicated", i, j, s)
			}
		}
	}
	spread := last.Sub(first)
	t.Logf("%d clients, %d events, 0 lost; closes spread over %v (first %v after SIGTERM)", clients, total, spread, first.Sub(sigAt))
	if spread < window/2 {
		t.Fatalf("1012 closes spread over %v, want most of the %v window", spread, window)
	}
}

// join dials, handshakes and reads the ack without failing the test from a
// client goroutine.
func join(t *testing.T, url string, hs map[string]any) (*wstest.Client, wstest.Msg, error) {
	c, err := wstest.TryDial(url, wstest.Options{})
	if err != nil {
		return nil, wstest.Msg{}, err
	}
	c.T = t
	t.Cleanup(func() { c.NC.Close() })
	b, _ := json.Marshal(hs)
	if err := wsutil.WriteClientText(c.NC, b); err != nil {
		return nil, wstest.Msg{}, err
	}
	m, err := c.Read(5 * time.Second)
	if err == nil && m.Type != "ack" {
		err = fmt.Errorf("got %s, want ack", m.Raw)
	}
	return c, m, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
