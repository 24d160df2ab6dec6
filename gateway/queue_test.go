package gateway

import (
	"testing"

	"github.com/rtgw/realtime/gateway/wsframe"
)

// frameOfLen is a text frame of n wire bytes (a 2-byte header for n < 128).
func frameOfLen(n int) *wsframe.Frame { return wsframe.Text(make([]byte, n-2)) }

func TestOutQueue(t *testing.T) {
	cases := []struct {
		name      string
		sizes     []int
		written   int
		drop      bool
		wantN     int
		wantBytes int
		wantOff   int
	}{
		{name: "nothing written", sizes: []int{10, 20}, written: 0, wantN: 2, wantBytes: 30},
		{name: "partial head", sizes: []int{10, 20}, written: 4, wantN: 2, wantBytes: 26, wantOff: 4},
		{name: "exact head", sizes: []int{10, 20}, written: 10, wantN: 1, wantBytes: 20},
		{name: "into second", sizes: []int{10, 20, 5}, written: 15, wantN: 2, wantBytes: 20, wantOff: 5},
		{name: "all", sizes: []int{10, 20}, written: 30, wantN: 0, wantBytes: 0},
		{name: "drop keeps partial head", sizes: []int{10, 20, 30}, written: 3, drop: true, wantN: 1, wantBytes: 7, wantOff: 3},
		{name: "drop everything unstarted", sizes: []int{10, 20, 30}, written: 10, drop: true, wantN: 0, wantBytes: 0},
		{name: "grow past initial ring", sizes: []int{2, 2, 2, 2, 2, 2, 2, 2, 2}, written: 4, wantN: 7, wantBytes: 14},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var q outQueue
			for _, n := range tc.sizes {
				q.push(frameOfLen(n), n)
			}
			q.advance(tc.written, false)
			if tc.drop {
				q.dropBacklog(false)
			}
			if q.n != tc.wantN || q.bytes != tc.wantBytes+tc.wantN*frameOverhead || q.off != tc.wantOff {
				t.Fatalf("n=%d bytes=%d off=%d, want n=%d bytes=%d off=%d",
					q.n, q.bytes, q.off, tc.wantN, tc.wantBytes, tc.wantOff)
			}
		})
	}
}

// Queuing on a connection whose ring has grown allocates nothing.
func TestOutQueuePushAllocatesNothingInSteadyState(t *testing.T) {
	var q outQueue
	f := frameOfLen(100)
	for i := 0; i < 8; i++ {
		q.push(f, 100)
	}
	q.advance(800, false)
	allocs := testing.AllocsPerRun(1000, func() {
		q.push(f, 100)
		q.push(f, 100)
		q.advance(200, false)
	})
	if allocs != 0 {
		t.Fatalf("push/advance allocates %.1f per run", allocs)
	}
}
