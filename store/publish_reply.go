package store

import "fmt"

// parsePublishReply reads publish.lua's {first, last, epoch, duplicates}
// for a call of n events: duplicates is a flat {index, seq, ...} list, and
// the other events took first..last in input order.
func parsePublishReply(res []any, n int) (Published, error) {
	if len(res) != 4 {
		return Published{}, fmt.Errorf("script reply has %d elements, want 4: %w", len(res), ErrMalformed)
	}
	first, ok1 := res[0].(int64)
	last, ok2 := res[1].(int64)
	epoch, ok3 := res[2].(string)
	flat, ok4 := res[3].([]any)
	if !ok1 || !ok2 || !ok3 || !ok4 || first < 1 || last < first-1 || len(flat)%2 != 0 ||
		int(last-first+1)+len(flat)/2 != n {
		return Published{}, fmt.Errorf("script reply %v for %d events: %w", res, n, ErrMalformed)
	}
	p := Published{Seqs: make([]int64, n), Epoch: epoch}
	for i := 0; i < len(flat); i += 2 {
		idx, ok1 := flat[i].(int64)
		seq, ok2 := flat[i+1].(int64)
		if !ok1 || !ok2 || idx < 0 || idx >= int64(n) || seq < 1 || p.Seqs[idx] != 0 {
			return Published{}, fmt.Errorf("script reply duplicate %v: %w", flat[i:i+2], ErrMalformed)
		}
		p.Seqs[idx] = seq
		p.Duplicates = append(p.Duplicates, int(idx))
	}
	next := first
	for i := range p.Seqs {
		if p.Seqs[i] == 0 {
			p.Seqs[i] = next
			next++
		}
	}
	return p, nil
}
