package main

import (
	"math"
	"math/bits"
	"sort"
	"sync/atomic"
)

// The latency histogram is log-linear: 16 buckets per power of two, so a
// quantile is reported within 1/16 (6.25%) of the true value at any scale,
// from 1 ns to 2^63 ns, in a fixed 960-slot array that clients update with
// one atomic add and no lock.
const (
	subBits    = 4
	subBuckets = 1 << subBits
	numBuckets = (64 - subBits) * subBuckets
)

// bucketOf returns the bucket that holds v (negative values go to bucket 0).
func bucketOf(v int64) int {
	if v < subBuckets {
		return int(max(v, 0))
	}
	shift := bits.Len64(uint64(v)) - 1 - subBits
	return (shift+1)*subBuckets + int((uint64(v)>>shift)&(subBuckets-1))
}

// bucketLow is the smallest value that falls in bucket i.
func bucketLow(i int) int64 {
	if i < subBuckets {
		return int64(i)
	}
	shift := i/subBuckets - 1
	return int64(subBuckets+i%subBuckets) << shift
}

// bucketMid is the value reported for bucket i: the middle of its range.
func bucketMid(i int) int64 {
	if i < subBuckets {
		return int64(i)
	}
	shift := i/subBuckets - 1
	return bucketLow(i) + (int64(1)<<shift)/2
}

// hist counts values (nanoseconds) from many goroutines at once.
type hist struct {
	b    [numBuckets]atomic.Int64
	prev [numBuckets]int64 // owned by the caller of since
}

func (h *hist) add(v int64) { h.b[bucketOf(v)].Add(1) }

// since returns what was added after the previous call, sparsely. One
// goroutine at a time may call it.
func (h *hist) since() histCounts {
	out := histCounts{}
	for i := range h.b {
		n := h.b[i].Load()
		if d := n - h.prev[i]; d > 0 {
			out[i] = d
		}
		h.prev[i] = n
	}
	return out
}

// histCounts is a sparse histogram: bucket index → count. It is what
// workers send to the coordinator.
type histCounts map[int]int64

func (c histCounts) merge(o histCounts) {
	for k, v := range o {
		c[k] += v
	}
}

func (c histCounts) total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// quantile returns the value at quantile q (0 < q ≤ 1), or 0 when empty:
// the smallest bucket whose cumulative count reaches ceil(q × total).
func (c histCounts) quantile(q float64) int64 {
	total := c.total()
	if total == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(q*float64(total))), 1)
	keys := make([]int, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var cum int64
	for _, k := range keys {
		if cum += c[k]; cum >= rank {
			return bucketMid(k)
		}
	}
	return bucketMid(keys[len(keys)-1])
}
