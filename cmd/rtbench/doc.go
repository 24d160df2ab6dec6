// Command rtbench load-tests the real-time gateway on one machine, over
// loopback only, and reports every number as measured in the same run.
//
// Scenarios:
//
//	rtbench ceiling -c 9000 -size 200 -procs 2
//	    The physical write ceiling: a bare in-process server writes
//	    pre-built frames of -size bytes round-robin to -c sockets read by
//	    the same client workers fanout uses → writes/s.
//	rtbench conns -gateways 127.0.0.1:4001,127.0.0.1:4002 -c 18000 -procs 2 -hold 20s
//	    -c idle handshaked connections spread over the gateways; each
//	    gateway's /metrics before and after: heap and RSS per connection,
//	    goroutines, connect rate.
//	rtbench fanout -gateways 127.0.0.1:4001 -redis 127.0.0.1:6379 -c 9000 -find-max -with-ceiling
//	    Publishers at -rate events/s (or a rising-rate search) of -size-byte
//	    events, -batch per publish call; delivered events/s, frames/s,
//	    latency p50/p99/p99.9 (publish → receipt) and, per client, every seq
//	    exactly once and in order. -with-ceiling runs the ceiling first
//	    with the same connections and reports frames/s as a ratio of it.
//	rtbench storm -gateways 127.0.0.1:4001 -redis 127.0.0.1:6379 -c 9000 -orgs 10 -miss 100
//	    Every client drops at once while events keep flowing (-rate), each
//	    org gets -miss more, then all resume with lastSeq + epoch: time until
//	    every client caught up, missed events per client, Redis commands per
//	    reconnect (INFO commandstats, less the steady publishing rate).
//	rtbench compare -gateways 127.0.0.1:4001 -redis 127.0.0.1:6379 -c 2000 -rate 5 -duration 10s
//	    The same -c clients and -rate, over long-poll, then SSE, then
//	    WebSocket, in one run (in-process clients, fresh orgs per
//	    transport): gateway CPU-seconds (process_cpu_seconds_total), HTTP
//	    requests/s the clients sent, TCP payload bytes per delivered event,
//	    delivery p50/p99, Redis commands/s (INFO commandstats), each over the
//	    publishing window plus -drain-max.
//
// The gateway's JWT secret comes from REALTIME_JWT_SECRET (or -secret);
// every connection gets its own user, so per-user caps do not apply. Orgs
// are named <run-id>-o<i>, fresh for each run.
//
// Connections come from -sources loopback addresses (127.0.0.2 upwards,
// round-robin via net.Dialer.LocalAddr), so one address's ephemeral ports
// are not the limit. The clients run in -procs worker processes: rtbench
// re-executes itself with the hidden -worker flag, gives each worker its
// share as a JSON command on stdin and reads JSON replies from its stdout
// (wire.go). A process holds at most ~19,900 sockets under a 20,000
// open-files hard limit; rtbench raises its soft limit to the hard limit and
// refuses, naming the limit, a split that cannot fit.
//
// Every phase is bounded: publishing steps by -duration, waits by fixed
// limits, the whole run by -timeout, and each worker exits at its deadline
// or when its stdin closes. A progress line goes to stderr at most once a
// second; the summary (or -json) goes to stdout.
//
// The event data is {"t":<publish unix nanos>,"p":"xxx…"}; the clients read
// only seqs and t from each frame (parse.go), so they stay cheap next to the
// gateway they share the cores with.
package main
