package multinode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/store"
)

// retryingPublisher sends events 0..n-1 one after another, each with the
// idempotency key "ev-<i>", and retries each until it gets an answer.
type retryingPublisher struct {
	url      string
	org      string
	answered atomic.Int64 // events answered so far
	seqs     []int64      // seq answered for each event
	dups     int          // answers with "duplicate":true
	attempts int
}

func (p *retryingPublisher) run(t *testing.T, n int, deadline time.Time) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	p.seqs = make([]int64, n)
	for i := range n {
		for p.seqs[i] == 0 {
			if time.Now().After(deadline) {
				t.Errorf("event %d unanswered at the deadline after %d attempts", i, p.attempts)
				return
			}
			p.attempts++
			seq, dup, err := p.publish(client, i)
			if err != nil {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			p.seqs[i] = seq
			if dup {
				p.dups++
			}
		}
		p.answered.Add(1)
	}
}

func (p *retryingPublisher) publish(client *http.Client, i int) (int64, bool, error) {
	body := fmt.Sprintf(`{"org":%q,"service":"s","type":"t","data":{"i":%d},"idempotencyKey":"ev-%d"}`, p.org, i, i)
	req, _ := http.NewRequest(http.MethodPost, p.url, bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+gatewaytest.APIKey)
	resp, err := client.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	var out struct {
		Seq       int64 `json:"seq"`
		Duplicate bool  `json:"duplicate"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.Seq < 1 {
		return 0, false, fmt.Errorf("HTTP %d, %v", resp.StatusCode, err)
	}
	return out.Seq, out.Duplicate, nil
}

// Exactly once from publisher to subscribers: 1,000 events go through a
// proxy that loses a quarter of the answers after the node has handled the
// request, and the node behind it is SIGKILLed mid-stream (the proxy fails
// over to the second node) and later restarted. The publisher retries every
// event under its key until answered. The log ends with exactly 1,000
// events, seqs 1..1000, one per key, each at the seq its publisher was
// told; and every subscriber, on either node, gets each of them once, in
// order.
func TestPublishRetriesThroughCutsAndKillOnce(t *testing.T) {
	const events, subscribers = 1000, 8
	redis := redistest.Start(t)
	primary := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr})
	second := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr})
	primaryAddr := primary.Addr
	nodes := &cluster{nodes: []*gatewaytest.Node{primary, second}}
	proxy := startCutProxy(t, 0.25, uint64(time.Now().UnixNano()), func() []string { return []string{primaryAddr, second.Addr} })
	org := "exactly-once"
	deadline := time.Now().Add(120 * time.Second)

	checkers := make([]*checker, subscribers)
	var wg sync.WaitGroup
	for i := range checkers {
		k := &checker{id: i, org: org, tok: gatewaytest.Token(t, org, fmt.Sprint("u", i)), nodes: nodes}
		checkers[i] = k
		wg.Go(func() { k.run(t, func(last int64) bool { return last >= events }, deadline) })
	}
	waitConnected(t, 20*time.Second, checkers)

	pub := &retryingPublisher{url: "http://" + proxy.addr() + "/v2/realtime/publish", org: org}
	pubDone := make(chan struct{})
	go func() { pub.run(t, events, deadline); close(pubDone) }()
	testutil.Eventually(t, 60*time.Second, "300 events answered", func() bool { return pub.answered.Load() >= 300 })
	nodes.kill(primary) // mid-stream: the proxy fails over to the second node
	killedAt := pub.answered.Load()
	testutil.Eventually(t, 60*time.Second, "200 events after the kill", func() bool { return pub.answered.Load() >= killedAt+200 })
	restarted := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr, Addr: primaryAddr})
	nodes.mu.Lock()
	nodes.nodes = append(nodes.nodes, restarted)
	nodes.mu.Unlock()
	restartedAt := pub.answered.Load()
	<-pubDone
	wg.Wait()
	if t.Failed() {
		return
	}

	checkLog(t, redis, org, pub.seqs)
	for _, k := range checkers {
		if len(k.problems) > 0 || k.last.Load() != events || k.resyncs > 0 {
			t.Errorf("subscriber %d: last seq %d, resyncs %d, problems %v; want all %d once, in order", k.id, k.last.Load(), k.resyncs, k.problems, events)
		}
	}
	t.Logf("%d events in %d attempts; %d answers cut (%d after a publish), %d duplicate answers; primary killed at %d, back at %d; %d subscribers on 2 nodes got each event once",
		events, pub.attempts, proxy.cuts.Load(), proxy.cuts2x.Load(), pub.dups, killedAt, restartedAt, subscribers)
	if proxy.cuts2x.Load() == 0 || pub.dups == 0 {
		t.Fatalf("no answer was lost after a publish (%d) or no retry was a duplicate (%d): the test proved nothing", proxy.cuts2x.Load(), pub.dups)
	}
}

// checkLog requires org's log to hold exactly len(seqs) events, seqs
// 1..len(seqs), event i (data {"i":i}) once and at seqs[i].
func checkLog(t *testing.T, redis *redistest.Server, org string, seqs []int64) {
	t.Helper()
	lg, err := store.New(store.Config{Client: redis.Client(t)})
	if err != nil {
		t.Fatal(err)
	}
	var all []store.Event
	for after := int64(0); ; {
		evs, err := lg.Range(context.Background(), org, after, store.MaxRange)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, evs...)
		if len(evs) < store.MaxRange {
			break
		}
		after = evs[len(evs)-1].Seq
	}
	if len(all) != len(seqs) {
		t.Fatalf("log holds %d events, want exactly %d", len(all), len(seqs))
	}
	for n, ev := range all {
		var d struct{ I int }
		if err := json.Unmarshal(ev.Data, &d); err != nil || ev.Seq != int64(n+1) {
			t.Fatalf("entry %d: seq %d, data %s", n, ev.Seq, ev.Data)
		}
		if d.I < 0 || d.I >= len(seqs) {
			t.Fatalf("seq %d holds unknown event %d", ev.Seq, d.I)
		}
		if seqs[d.I] != ev.Seq {
			t.Fatalf("seq %d holds event %d, whose publisher was told seq %d", ev.Seq, d.I, seqs[d.I])
		}
	}
}
