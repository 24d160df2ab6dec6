package gateway

import (
	"github.com/rtgw/realtime/internal/wstest"

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
		t.Fatalf("ack = %s, want seq 1, an epoch and no recovered field", ack.Raw)
	}
	if _, err := time.Parse(time.RFC3339, ack.Timestamp); err != nil {
		t.Fatalf("ack timestamp %q: %v", ack.Timestamp, err)
	}
	h.publish(org, "finance", "revenue.created", `{"n":2}`)
	got := c.Events(1)
	if got[0].Seq != 2 || got[0].Type != "revenue.created" || got[0].Data != `{"n":2}` {
		t.Fatalf("event = %+v", got[0])
	}
}

func TestAckCreatesEpochBeforeFirstPublish(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c, ack := h.connect("fresh", "u1", map[string]any{"services": []string{"a"}})
	if ack.Seq != 0 || ack.Epoch == "" {
		t.Fatalf("ack = %s, want seq 0 with an epoch", ack.Raw)
	}
	h.publish("fresh", "a", "t", `1`)
	if got := c.Events(1); got[0].Seq != 1 {
		t.Fatalf("got %+v", got)
	}
	// The epoch handed out before the first publish is still the log's.
	c2, ack2 := h.connect("fresh", "u2", map[string]any{"services": []string{"a"}, "lastSeq": 0, "epoch": ack.Epoch})
	if ack2.Recovered == nil || !*ack2.Recovered || ack2.Epoch != ack.Epoch {
		t.Fatalf("ack2 = %s, want recovered with the same epoch", ack2.Raw)
	}
	if got := c2.Events(1); got[0].Seq != 1 {
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
	got := c.Events(pubs * each)
	for i, e := range got {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: not contiguous", i, e.Seq)
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
	got := c.Events(2)
	if got[0].Seq != 2 || got[1].Seq != 4 || got[0].Service != "guest" || got[1].Service != "guest" {
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
	if got := a.Events(1); got[0].Type != "secret" {
		t.Fatalf("org A got %+v", got)
	}
	got := b.Events(1)
	if got[0].Type != "mine" {
		t.Fatalf("org B got %+v, want only its own event", got)
	}
	// Nothing else arrives for B.
	if m, err := b.Read(200 * time.Millisecond); err == nil {
		t.Fatalf("org B got extra message %s", m.Raw)
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
			t.Fatalf("ack = %s", ack.Raw)
		}
		got := c.Events(80)
		for i, e := range got {
			if e.Seq != last+int64(i)+1 {
				t.Fatalf("round %d: event %d has seq %d, want %d", round, i, e.Seq, last+int64(i)+1)
			}
		}
		c.NC.Close()
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
		t.Fatalf("ack = %s, want recovered:false at head 300", ack.Raw)
	}
	h.publish(org, "s", "t", `1`)
	if got := c.Events(1); got[0].Seq != 301 {
		t.Fatalf("live after resync got %+v", got)
	}
}

func TestRecoveredFalseAheadOfHead(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.publish("ahead", "s", "t", `1`)
	_, ack := h.connect("ahead", "u", map[string]any{"services": []string{"s"}, "lastSeq": 99})
	if ack.Recovered == nil || *ack.Recovered || ack.Seq != 1 {
		t.Fatalf("ack = %s, want recovered:false at 1", ack.Raw)
	}
}

func TestRecoveredFalseOnEpochChange(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "flush"
	c, ack := h.connect(org, "u", map[string]any{"services": []string{"s"}})
	h.publish(org, "s", "t", `1`)
	h.publish(org, "s", "t", `2`)
	c.Events(2)
	if err := h.rdb.FlushAll(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	h.publish(org, "s", "t", `"after"`)
	// The live connection is not fed the new incarnation's seq 1 as if it
	// followed 2: it is closed so it resyncs.
	m := c.ExpectClose(int(CloseInternalError))
	if m.Type != "error" {
		t.Fatalf("want an error frame before the close, got %+v", m)
	}
	c2, ack2 := h.connect(org, "u", map[string]any{"services": []string{"s"}, "lastSeq": 2, "epoch": ack.Epoch})
	if ack2.Recovered == nil || *ack2.Recovered || ack2.Epoch == ack.Epoch || ack2.Seq != 1 {
		t.Fatalf("ack after FLUSHALL = %s, want recovered:false, new epoch, seq 1", ack2.Raw)
	}
	h.publish(org, "s", "t", `"next"`)
	if got := c2.Events(1); got[0].Seq != 2 {
		t.Fatalf("got %+v", got)
	}
}

func TestEpochMismatchGivenByClient(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.publish("ep", "s", "t", `1`)
	_, ack := h.connect("ep", "u", map[string]any{"services": []string{"s"}, "lastSeq": 0, "epoch": "not-the-epoch"})
	if ack.Recovered == nil || *ack.Recovered {
		t.Fatalf("ack = %s, want recovered:false", ack.Raw)
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
			c := wstest.Dial(t, h.wsURL+"?access_token="+h.token(org, "u"), wstest.Options{Deflate: tc.deflate})
			if c.Deflate != tc.deflate {
				t.Fatalf("negotiated deflate = %v, want %v", c.Deflate, tc.deflate)
			}
			c.Send(map[string]any{"services": []string{"s", "t"}})
			if ack := c.Expect("ack"); ack.Compressed {
				t.Fatal("a small ack must not be compressed")
			}
			h.publish(org, "s", "small", `1`)
			h.publish(org, "t", "big", big)
			small := c.Next(5 * time.Second)
			large := c.Next(5 * time.Second)
			if small.Compressed {
				t.Fatal("a frame under the threshold was compressed")
			}
			if large.Compressed != tc.deflate {
				t.Fatalf("large frame compressed = %v, want %v", large.Compressed, tc.deflate)
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
