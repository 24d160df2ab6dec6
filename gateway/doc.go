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
// What it must never do: build a Redis key (that is package store, reached
// through the EventLog interface), write to a socket from fan-out, block an
// org's tail on a slow client, or take the org from anything but the token.
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
