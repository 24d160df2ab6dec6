// Package upload is document uploads for the gateway: the resumable upload
// state machine, the workers that write chunks to storage, the node's
// registry of uploads it writes, the sweep of expired ones, the HTTP
// endpoints (/v2/realtime/uploads) and the handlers of the upload.* client
// messages and binary chunks (docs/PROTOCOL.md "Uploads").
//
// What it must never do: touch a socket, a connection's fields or an org
// tail. It sees a connection only through Conn (org, user, send a text
// message, its per-connection Feeds, and the read gate: Hold/Release to
// pause and resume reading, AllowBinary for chunk-sized messages), and
// reaches Redis and storage only through State, Storage and Publisher. It
// imports nothing of package gateway: the gateway imports it, one way.
//
// Usage (what gateway.New does):
//
//	svc, err := upload.New(cfg.Uploads, upload.Options{Log: log, RedisTimeout: 3 * time.Second, Metrics: set})
//	svc.Start()                  // workers and sweep
//	svc.Routes(router, authn)    // HTTP endpoints
//	svc.Message(conn, typ, msg)  // upload.start / resume / abort, on the reader
//	svc.Chunk(conn, msg)         // a binary chunk, on the reader
//	svc.Detach(conn)             // the connection closed
//	svc.Close()
package upload
