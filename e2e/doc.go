// Package e2e tests the browser side end to end, with real processes only:
// the gateway binary (built once in TestMain), a redis-server per test
// (internal/redistest), Debian's Chromium driven over the DevTools protocol
// (chromedp) and the wscat CLI.
//
// Each test starts its own Redis and gateway, opens a page on the gateway's
// origin (so long-poll fetches are same-origin), loads
// /v2/realtime/client.js into it with testdata/harness.js, and then breaks
// things: kills and restarts the gateway, flushes Redis, turns the rollout
// off, lets tokens expire. It asserts on what the page received.
// TestCrossOriginPage instead serves its pages from separate HTTP servers
// (other origins) and loads the module from the gateway, as apps do. The tab
// tests (tabs_test.go, tabs_publish_test.go) open several tabs of one
// browser, which share Web Locks and BroadcastChannels as a user's tabs do,
// and count the gateway's connections on /metrics.
//
// Nothing is skipped: a missing chromium, wscat or redis-server fails the
// test with the command that installs it. Waits poll a condition under a
// deadline; no test sleeps in the hope that something has happened.
//
// This package holds tests only; it must never be imported.
package e2e
