package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestSeqCheck(t *testing.T) {
	cases := []struct {
		name                  string
		dense                 bool
		ack                   int64
		seqs                  []int64
		wantUniq, wantDups    int64
		wantGaps, wantLastSeq int64
	}{
		{"in order", true, 10, []int64{11, 12, 13}, 3, 0, 0, 13},
		{"duplicate", true, 0, []int64{1, 2, 2, 3}, 3, 1, 0, 3},
		{"reordered", true, 0, []int64{1, 3, 2, 4}, 3, 1, 1, 4},
		{"gap dense", true, 5, []int64{6, 9}, 2, 0, 2, 9},
		{"gap sparse is not counted", false, 5, []int64{6, 9}, 2, 0, 0, 9},
		{"replayed below ack", true, 10, []int64{10, 11}, 1, 1, 0, 11},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := seqCheck{dense: tc.dense}
			s.start(tc.ack)
			for _, q := range tc.seqs {
				s.see(q)
			}
			got := fmt.Sprint(s.uniq.Load(), s.dups.Load(), s.gaps.Load(), s.last.Load())
			want := fmt.Sprint(tc.wantUniq, tc.wantDups, tc.wantGaps, tc.wantLastSeq)
			if got != want {
				t.Fatalf("uniq dups gaps last = %s, want %s", got, want)
			}
		})
	}
}

func TestSeqCheckResume(t *testing.T) {
	s := seqCheck{dense: true}
	s.start(0)
	s.see(1)
	s.resume(1) // recovered: the gateway acks the client's lastSeq
	s.see(2)
	s.resume(7) // not recovered: acked at head 7, seqs 3..7 lost
	s.see(8)
	if s.gaps.Load() != 5 || s.uniq.Load() != 3 || s.dups.Load() != 0 {
		t.Fatalf("gaps %d uniq %d dups %d", s.gaps.Load(), s.uniq.Load(), s.dups.Load())
	}
}

func TestBuckets(t *testing.T) {
	for _, v := range []int64{0, 1, 15, 16, 17, 31, 32, 33, 1000, 123456789, 1 << 40, 1<<62 + 12345} {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d out of range", v, i)
		}
		lo, next := bucketLow(i), bucketLow(i+1)
		if i+1 < numBuckets && (v < lo || v >= next) {
			t.Fatalf("%d in bucket %d = [%d,%d)", v, i, lo, next)
		}
		if mid := bucketMid(i); float64(mid-v) > float64(v)/16+1 || float64(v-mid) > float64(v)/16+1 {
			t.Fatalf("mid %d too far from %d", mid, v)
		}
	}
}

func TestQuantile(t *testing.T) {
	var h hist
	for v := int64(1); v <= 1000; v++ {
		h.add(v * 1000) // 1 µs … 1 ms
	}
	c := h.since()
	cases := []struct {
		q    float64
		want int64
	}{{0.5, 500_000}, {0.99, 990_000}, {0.999, 999_000}, {1, 1_000_000}}
	for _, tc := range cases {
		got := c.quantile(tc.q)
		if d := float64(got-tc.want) / float64(tc.want); d > 0.0625 || d < -0.0625 {
			t.Errorf("q%.3f = %d, want %d ±6.25%%", tc.q, got, tc.want)
		}
	}
	if n := c.total(); n != 1000 {
		t.Fatalf("total %d", n)
	}
	if again := h.since(); again.total() != 0 {
		t.Fatalf("since counted %d old values again", again.total())
	}
	if (histCounts{}).quantile(0.5) != 0 {
		t.Fatal("empty histogram")
	}
}

func TestParseEvents(t *testing.T) {
	const head = `{"type":"event","service":"s0","seq":12,"events":[`
	timed := `{"seq":11,"type":"bench","data":{"t":1700000000000000001,"p":"xx"},"ts":"2024-01-01T00:00:00.000Z"}`
	untimed := `{"seq":12,"type":"bench","data":{"other":1},"ts":"2024-01-01T00:00:00.000Z"}`
	cases := []struct {
		name  string
		frame string
		want  []evRef
	}{
		{name: "timed then untimed", frame: head + timed + "," + untimed + "]}", want: []evRef{{11, 1700000000000000001}, {12, 0}}},
		// The untimed event must not take the next event's t.
		{name: "untimed then timed", frame: head + untimed + "," + strings.Replace(timed, `"seq":11`, `"seq":13`, 1) + "]}",
			want: []evRef{{12, 0}, {13, 1700000000000000001}}},
		{name: "no events key", frame: `{"type":"event","service":"s0","seq":12}`, want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !isEvent([]byte(tc.frame)) {
				t.Fatal("isEvent = false")
			}
			if got := parseEvents([]byte(tc.frame), nil); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	if isEvent([]byte(`{"type":"ping"}`)) {
		t.Fatal("isEvent(ping) = true")
	}
}

func TestEventDataSize(t *testing.T) {
	for _, size := range []int{160, 200, 1000} {
		pad := padFor(size)
		f := appendPayload(nil, "s0", 123456, appendData(nil, 1700000000000000000, pad), 1700000000000)
		if len(f) != size {
			t.Errorf("size %d: one-event payload is %d bytes", size, len(f))
		}
	}
}

// TestBenchStreams: the publisher publishes to exactly the streams the
// workers' clients follow, no stream without a client and none missing.
func TestBenchStreams(t *testing.T) {
	for _, tc := range []struct{ conns, orgs, services int }{
		{1, 1, 1}, {10, 3, 1}, {5, 2, 3}, {3, 5, 2}, {100, 4, 8}, {7, 7, 7},
	} {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			o := &options{conns: tc.conns, orgs: tc.orgs, services: tc.services, runID: "r"}
			w := &worker{job: job{RunID: "r", Targets: []string{"t"}, Sources: []string{"127.0.0.2"}, Orgs: tc.orgs, Services: tc.services}}
			var clients []string
			for i := range tc.conns {
				clients = append(clients, w.newClient(i).stream)
			}
			var published []string
			for _, s := range benchStreams(o) {
				published = append(published, s.key)
			}
			slices.Sort(clients)
			if clients = slices.Compact(clients); !slices.Equal(clients, slices.Sorted(slices.Values(published))) {
				t.Fatalf("clients follow %v, publisher publishes to %v", clients, published)
			}
		})
	}
}
