// Package web serves the gateway's browser side: the dependency-free client
// module (realtime.js, with its type declarations) and a development-only
// demo page.
//
//	web.MountClient(srv)                    // every node: GET /v2/realtime/client.js, client.d.ts
//	err := web.MountDemo(srv, web.DemoConfig{ // development only: GET /, /dev/token, POST /dev/publish
//		Token:   signDevToken,
//		Publish: publishDevEvent,
//	})
//
// The assets are embedded with go:embed and served from memory with an
// ETag, a short max-age and a precompressed gzip variant.
//
// web owns those files and routes. It must never import gateway or store:
// it reaches the gateway only through Mounter and the functions in
// DemoConfig, and it never decides by itself to mount the demo, whose
// token endpoint hands out credentials to anyone who asks. cmd/gateway
// makes that decision.
package web
