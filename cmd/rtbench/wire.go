package main

// The coordinator drives its worker processes with one JSON command per
// line on their stdin; each worker answers with one JSON reply per line on
// its stdout (stderr passes through for diagnostics). A worker exits when
// its stdin closes, after a "close" command, or at its job's deadline,
// whichever comes first, so no worker outlives a crashed coordinator.

// job is one worker's share of the connections.
type job struct {
	Worker   int      `json:"worker"`
	Targets  []string `json:"targets"`  // host:port; connection i dials Targets[i % len]
	Sources  []string `json:"sources"`  // local IPs; connection i binds Sources[i % len]
	First    int      `json:"first"`    // global index of this worker's first connection
	Count    int      `json:"count"`    // connections this worker opens
	Orgs     int      `json:"orgs"`     // connection i is in org i % Orgs …
	Services int      `json:"services"` // … and subscribes to service (i / Orgs) % Services
	RunID    string   `json:"runID"`    // org name prefix, fresh per run
	Secret   string   `json:"secret"`   // JWT secret; empty for the ceiling server
	Ceiling  bool     `json:"ceiling"`  // all connections follow the one "ceiling" stream
	DialConc int      `json:"dialConc"` // dials in flight at once
	Deadline int64    `json:"deadline"` // unix seconds: the worker exits then, whatever happens
}

// command is one instruction to a worker.
type command struct {
	Cmd    string           `json:"cmd"`              // connect, snap, drop, reconnect, close
	Job    *job             `json:"job,omitempty"`    // connect
	Expect map[string]int64 `json:"expect,omitempty"` // snap: last seq per stream; reconnect: catch-up target
	WaitMs int64            `json:"waitMs,omitempty"` // snap, reconnect: how long to wait for Expect
}

// reply is a worker's answer; Type names the command it answers, or
// "progress" (unsolicited, at most once a second) or "error".
type reply struct {
	Type   string `json:"type"`
	Worker int    `json:"worker"`
	Err    string `json:"err,omitempty"`

	Conns    int      `json:"conns"`              // connections open now
	OK       int      `json:"ok,omitempty"`       // connect, reconnect: dials that completed the handshake
	Failed   int      `json:"failed,omitempty"`   // connect, reconnect: dials that did not
	Errors   []string `json:"errors,omitempty"`   // the first few failure reasons
	DialSecs float64  `json:"dialSecs,omitempty"` // connect, reconnect: time to finish every dial

	Events int64 `json:"events"` // progress: cumulative; snap: since the previous snap
	Frames int64 `json:"frames"`
	Bytes  int64 `json:"bytes"`

	Streams     map[string]streamStats `json:"streams,omitempty"`     // snap: per stream, since the previous snap
	Latency     histCounts             `json:"latency,omitempty"`     // snap: publish → receipt, ns
	DrainMs     int64                  `json:"drainMs,omitempty"`     // snap, reconnect: time until every client reached Expect
	Behind      int                    `json:"behind,omitempty"`      // snap, reconnect: clients that had not when the wait ended
	Closed      int                    `json:"closed,omitempty"`      // connections the server ended (cumulative)
	CloseCodes  map[int]int            `json:"closeCodes,omitempty"`  // close code → count (cumulative)
	ErrorFrames int64                  `json:"errorFrames,omitempty"` // error messages received (cumulative)
	CatchUp     histCounts             `json:"catchUp,omitempty"`     // reconnect: command → caught up, ns
	Unrecovered int                    `json:"unrecovered,omitempty"` // reconnect: acks with recovered:false
	Missed      []int64                `json:"missed,omitempty"`      // reconnect: min, sum, max of target − lastSeq
}

// streamStats aggregates the clients of one stream (org/service).
type streamStats struct {
	Clients int   `json:"clients"` // connections following it
	Uniq    int64 `json:"uniq"`    // events seen once, in order (summed over clients)
	Dups    int64 `json:"dups"`
	Gaps    int64 `json:"gaps"`
}

func (s *streamStats) add(o streamStats) {
	s.Clients += o.Clients
	s.Uniq += o.Uniq
	s.Dups += o.Dups
	s.Gaps += o.Gaps
}
