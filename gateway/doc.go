// Package gateway serves an organisation's event log to browsers over
// WebSocket: it authenticates, acknowledges, replays what a reconnecting
// client missed and then streams live events, in seq order, with no gap and
// no duplicate at the seam.
//
// What it owns: the HTTP routes, every WebSocket connection (registered with
// epoll, no goroutine while idle), one tail goroutine per org with
// connections on this node, the outbound queues and the close codes of the
// protocol (docs/PROTOCOL.md).
//
// What it must never do: build a Redis key or import a Redis client (package
// store is reached through the Log, Signals and PresenceStore interfaces of
// eventlog.go), build a client message's JSON itself (package message does),
// know how uploads work (package upload sees a connection through
// upload.Conn; the core only lends it a read gate), write to a socket from
// fan-out, block an org's tail on a slow client, or take the org from
// anything but the token.
//
// Files: the org tail is tail*.go (tail.go its goroutine, tail_join.go
// subscribing connections, tail_catchup.go reading the log, tail_fanout.go
// and tail_signal.go delivering, tail_recent.go the view fallback clients read, from a fallback.Ring;
// fallback.go is what package fallback's long-poll and SSE need of the core);
// a connection is conn.go, reader.go, readgate.go, inbound.go, write.go and
// close.go, with the frame codec and the outbound ring in package wsframe;
// a client's join is session.go and replay.go. The backends'
// publish and disconnect endpoints are package httpapi, which this package
// mounts behind its API-key check; presence is package presence.
//
// Usage:
//
//	srv, err := gateway.New(gateway.Config{
//		Log:      gateway.StoreLog(log, nil),
//		Verifier: verifier,
//		APIKey:   apiKey,
//	})
//	httpServer := &http.Server{Addr: ":4000", Handler: srv.Handler()}
//	go httpServer.ListenAndServe()
//	// on SIGTERM:
//	httpServer.Shutdown(ctx)         // stop accepting
//	srv.Shutdown(ctx, 20*time.Second) // 1012 to every client, spread out
package gateway
