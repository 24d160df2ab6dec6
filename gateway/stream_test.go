package gateway

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestHandshakeAckAndLiveEvents(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "acme"
	h.publish(org, "finance", "revenue.created", `{"n":1}`)
	c, ack := h.connect(org, "u1", map[string]any{"services": []string{"finance"}, "version": 1})
	if ack.Seq != 1 || ack.Epoch == "" || ack.Recovered != nil {
		t.Fatalf("ack = %s, want seq 1, an epoch and no recovered field", ack.raw)
	}
	if _, err := time.Parse(time.RFC3339, ack.Timestamp); err != nil {
		t.Fatalf("ack timestamp %q: %v", ack.Timestamp, err)
	}
	h.publish(org, "finance", "revenue.created", `{"n":2}`)
	got := c.events(1)
	if got[0].seq != 2 || got[0].typ != "revenue.created" || got[0].data != `{"n":2}` {
		t.Fatalf("event = %+v", got[0])
	}
}

func TestAckCreatesEpochBeforeFirstPublish(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c, ack := h.connect("fresh", "u1", map[string]any{"services": []string{"a"}})
	if ack.Seq != 0 || ack.Epoch == "" {
		t.Fatalf("ack = %s, want seq 0 with an epoch", ack.raw)
	}
	h.publish("fresh", "a", "t", `1`)
	if got := c.events(1); got[0].seq != 1 {
		t.Fatalf("got %+v", got)
	}
	// The epoch handed out before the first publish is still the log's.
	c2, ack2 := h.connect("fresh", "u2", map[string]any{"services": []string{"a"}, "lastSeq": 0, "epoch": ack.Epoch})
	if ack2.Recovered == nil || !*ack2.Recovered || ack2.Epoch != ack.Epoch {
		t.Fatalf("ack2 = %s, want recovered with the same epoch", ack2.raw)
	}
	if got := c2.events(1); got[0].seq != 1 {
		t.Fatalf("replay got %+v", got)
	}
}

// Eight concurrent publishers: every client sees 1..N contiguous, in order.
func TestConcurrentPublishersContiguousOrder(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "busy"
	c, _ := h.connect(org, "u1", map[string]any{"services": []string{"s0", "s1", "s2", "s3"}})
	const pubs, each = 8, 100
	var wg sync.WaitGroup
	for p := 0; p < pubs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				h.publish(org, fmt.Sprintf("s%d", p%4), "t", fmt.Sprintf(`{"p":%d,"i":%d}`, p, i))
			}
		}()
	}
	wg.Wait()
	got := c.events(pubs * each)
	for i, e := range got {
		if e.seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: not contiguous", i, e.seq)
		}
	}
}

func TestServicesFilter(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "filter"
	c, _ := h.connect(org, "u1", map[string]any{"services": []string{"guest"}})
	h.publish(org, "finance", "x", `1`)
	h.publish(org, "guest", "y", `2`)
	h.publish(org, "staff", "z", `3`)
	h.publish(org, "guest", "y", `4`)
	got := c.events(2)
	if got[0].seq != 2 || got[1].seq != 4 || got[0].service != "guest" || got[1].service != "guest" {
		t.Fatalf("got %+v, want guest events 2 and 4 only", got)
	}
}

// A client of org B never sees org A's events, whatever it sends.
func TestOrgIsolation(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	b, _ := h.connect("orgB", "u1", map[string]any{
		"services": []string{"finance"}, "org": "orgA", "lastSeq": 0,
	})
	a, _ := h.connect("orgA", "u2", map[string]any{"services": []string{"finance"}})
	h.publish("orgA", "finance", "secret", `{"a":1}`)
	h.publish("orgB", "finance", "mine", `{"b":1}`)
	if got := a.events(1); got[0].typ != "secret" {
		t.Fatalf("org A got %+v", got)
	}
	got := b.events(1)
	if got[0].typ != "mine" {
		t.Fatalf("org B got %+v, want only its own event", got)
	}
	// Nothing else arrives for B.
	if m, err := b.read(200 * time.Millisecond); err == nil {
		t.Fatalf("org B got extra message %s", m.raw)
	}
}

// Replay then live with events arriving throughout: no gap, no duplicate.
func TestReplayLiveSeamUnderLoad(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *Config) { c.ReplayPageSize = 7 }})
	org := "seam"
	for i := 0; i < 50; i++ {
		h.publish(org, "s", "t", `1`)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				h.publish(org, "s", "t", `2`)
			}
		}
	}()
	for round := 0; round < 10; round++ {
		last := int64(round * 3)
		c, ack := h.connect(org, "u", map[string]any{"services": []string{"s"}, "lastSeq": last})
		if ack.Recovered == nil || !*ack.Recovered || ack.Seq != last {
			t.Fatalf("ack = %s", ack.raw)
		}
		got := c.events(80)
		for i, e := range got {
			if e.seq != last+int64(i)+1 {
				t.Fatalf("round %d: event %d has seq %d, want %d", round, i, e.seq, last+int64(i)+1)
			}
		}
		c.nc.Close()
	}
	close(stop)
	wg.Wait()
}

func TestRecoveredFalseOnTrimmedLog(t *testing.T) {
	h := newHarness(t, harnessOpts{maxLen: 10})
	org := "trim"
	for i := 0; i < 300; i++ {
		h.publish(org, "s", "t", `1`)
	}
	c, ack := h.connect(org, "u", map[string]any{"services": []string{"s"}, "lastSeq": 2})
	if ack.Recovered == nil || *ack.Recovered || ack.Seq != 300 {
		t.Fatalf("ack = %s, want recovered:false at head 300", ack.raw)
	}
	h.publish(org, "s", "t", `1`)
	if got := c.events(1); got[0].seq != 301 {
		t.Fatalf("live after resync got %+v", got)
	}
}

func TestRecoveredFalseAheadOfHead(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.publish("ahead", "s", "t", `1`)
	_, ack := h.connect("ahead", "u", map[string]any{"services": []string{"s"}, "lastSeq": 99})
	if ack.Recovered == nil || *ack.Recovered || ack.Seq != 1 {
		t.Fatalf("ack = %s, want recovered:false at 1", ack.raw)
	}
}

func TestRecoveredFalseOnEpochChange(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "flush"
	c, ack := h.connect(org, "u", map[string]any{"services": []string{"s"}})
	h.publish(org, "s", "t", `1`)
	h.publish(org, "s", "t", `2`)
	c.events(2)
	if err := h.rdb.FlushAll(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	h.publish(org, "s", "t", `"after"`)
	// The live connection is not fed the new incarnation's seq 1 as if it
	// followed 2: it is closed so it resyncs.
	m := c.expectClose(int(CloseInternalError))
	if m.Type != "error" {
		t.Fatalf("want an error frame before the close, got %+v", m)
	}
	c2, ack2 := h.connect(org, "u", map[string]any{"services": []string{"s"}, "lastSeq": 2, "epoch": ack.Epoch})
	if ack2.Recovered == nil || *ack2.Recovered || ack2.Epoch == ack.Epoch || ack2.Seq != 1 {
		t.Fatalf("ack after FLUSHALL = %s, want recovered:false, new epoch, seq 1", ack2.raw)
	}
	h.publish(org, "s", "t", `"next"`)
	if got := c2.events(1); got[0].seq != 2 {
		t.Fatalf("got %+v", got)
	}
}

func TestEpochMismatchGivenByClient(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.publish("ep", "s", "t", `1`)
	_, ack := h.connect("ep", "u", map[string]any{"services": []string{"s"}, "lastSeq": 0, "epoch": "not-the-epoch"})
	if ack.Recovered == nil || *ack.Recovered {
		t.Fatalf("ack = %s, want recovered:false", ack.raw)
	}
}

func TestCompression(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	big := fmt.Sprintf(`{"text":%q}`, repeat("lorem ipsum ", 300))
	for _, tc := range []struct {
		name    string
		deflate bool
	}{
		{name: "negotiated", deflate: true},
		{name: "not negotiated", deflate: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			org := "z" + fmt.Sprint(tc.deflate)
			c := dialWS(t, h.wsURL+"?access_token="+h.token(org, "u"), dialOpts{deflate: tc.deflate})
			if c.deflate != tc.deflate {
				t.Fatalf("negotiated deflate = %v, want %v", c.deflate, tc.deflate)
			}
			c.send(map[string]any{"services": []string{"s", "t"}})
			if ack := c.expect("ack"); ack.compressed {
				t.Fatal("a small ack must not be compressed")
			}
			h.publish(org, "s", "small", `1`)
			h.publish(org, "t", "big", big)
			small := c.next(5 * time.Second)
			large := c.next(5 * time.Second)
			if small.compressed {
				t.Fatal("a frame under the threshold was compressed")
			}
			if large.compressed != tc.deflate {
				t.Fatalf("large frame compressed = %v, want %v", large.compressed, tc.deflate)
			}
			if string(large.Events[0].Data) != big {
				t.Fatal("large event data does not round-trip")
			}
		})
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for i := 0; i < n; i++ {
		b = append(b, s...)
	}
	return string(b)
}
