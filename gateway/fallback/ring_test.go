package fallback

import (
	"testing"

	"github.com/rtgw/realtime/store"
)

func seqs(evs []store.Event) []int64 {
	out := make([]int64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}

// TestRing: After answers from the ring only when it holds pos+1, up to
// limit, in seq order, across the wrap; a nil or reset ring covers nothing.
func TestRing(t *testing.T) {
	var nilRing *Ring
	nilRing.Add([]store.Event{{Seq: 1}})
	if _, ok := nilRing.After(0, 10, nil); ok {
		t.Fatal("a nil ring covered a position")
	}
	r := &Ring{}
	for s := int64(1); s <= ringSize+10; s++ { // wraps: holds 11..266
		r.Add([]store.Event{{Seq: s}})
	}
	if _, ok := r.After(9, 10, nil); ok {
		t.Fatal("covered seq 10, which the ring overwrote")
	}
	got, ok := r.After(10, 3, nil)
	if !ok || len(got) != 3 || got[0].Seq != 11 || got[2].Seq != 13 {
		t.Fatalf("After(10, 3) = %v, %v; want [11 12 13], true", seqs(got), ok)
	}
	got, ok = r.After(ringSize+8, 10, nil)
	if !ok || len(got) != 2 || got[1].Seq != ringSize+10 {
		t.Fatalf("After near the head = %v, %v", seqs(got), ok)
	}
	r.Reset()
	if _, ok := r.After(10, 3, nil); ok {
		t.Fatal("a reset ring covered a position")
	}
}
