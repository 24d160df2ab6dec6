package wsframe

import "testing"

func frameOfLen(n int) *Frame { return &Frame{plain: make([]byte, n)} }

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
		{name: "grow past initial ring", sizes: []int{1, 1, 1, 1, 1, 1, 1, 1, 1}, written: 2, wantN: 7, wantBytes: 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var q Queue
			for _, n := range tc.sizes {
				q.Push(frameOfLen(n), n)
			}
			q.Advance(tc.written, false)
			if tc.drop {
				q.DropBacklog(false)
			}
			if q.n != tc.wantN || q.bytes != tc.wantBytes+tc.wantN*Overhead || q.off != tc.wantOff {
				t.Fatalf("n=%d bytes=%d off=%d, want n=%d bytes=%d off=%d",
					q.n, q.bytes, q.off, tc.wantN, tc.wantBytes, tc.wantOff)
			}
		})
	}
}

// Queuing on a connection whose ring has grown allocates nothing.
func TestOutQueuePushAllocatesNothingInSteadyState(t *testing.T) {
	var q Queue
	f := frameOfLen(100)
	for i := 0; i < 8; i++ {
		q.Push(f, 100)
	}
	q.Advance(800, false)
	allocs := testing.AllocsPerRun(1000, func() {
		q.Push(f, 100)
		q.Push(f, 100)
		q.Advance(200, false)
	})
	if allocs != 0 {
		t.Fatalf("push/advance allocates %.1f per run", allocs)
	}
}
