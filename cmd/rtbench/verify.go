package main

import "sync/atomic"

// seqCheck verifies one client's stream: every seq once, in order. It is
// written by the client's reader goroutine only; the worker reads the
// counters concurrently, hence the atomics.
//
// On a dense stream (the client's service is the only one in its org, so
// the org's seqs 1, 2, 3, … are all its own) a skipped seq is counted as a
// gap the moment it happens. On a sparse stream only the coordinator, which
// knows how many events each stream got, can count losses: it compares uniq
// with that.
type seqCheck struct {
	dense bool
	last  atomic.Int64 // highest seq seen (or acknowledged)
	uniq  atomic.Int64 // seqs seen for the first time, in order
	dups  atomic.Int64 // seqs at or below last: duplicates or reordering
	gaps  atomic.Int64 // seqs skipped (dense streams only)
}

// start sets the position the gateway acknowledged on a fresh connection.
func (s *seqCheck) start(ack int64) { s.last.Store(ack) }

// resume applies the ack of a reconnect. A gateway that cannot resume acks
// its head instead of the client's lastSeq; the events between are lost to
// this client and count as gaps.
func (s *seqCheck) resume(ack int64) {
	last := s.last.Load()
	if ack > last {
		if s.dense {
			s.gaps.Add(ack - last)
		}
		s.last.Store(ack)
	}
}

// see records one delivered seq.
func (s *seqCheck) see(seq int64) {
	last := s.last.Load()
	if seq <= last {
		s.dups.Add(1)
		return
	}
	if s.dense && seq != last+1 {
		s.gaps.Add(seq - last - 1)
	}
	s.uniq.Add(1)
	s.last.Store(seq)
}
