// Package testutil holds the small helpers every test package needs:
// waiting for a condition with a deadline (Eventually), a buffer that a
// process's output goroutines and the test may share (LockedBuffer), a free
// loopback address (FreeAddr, FreePort), and a shipped file's text
// (ReadFile). One copy, so that a fix to one reaches every test.
//
// It must never be imported by non-test code, and imports nothing of this
// module, so that any helper package (redistest, gatewaytest) may use it.
package testutil
