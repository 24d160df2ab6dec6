package testutil

import (
	"testing"
	"time"
)

// Eventually polls cond every 5 ms until it holds, and fails the test
// naming what once timeout passes. Tests wait on conditions, never on
// sleeps: under -race on two loaded cores anything may take long, and
// polling costs nothing when it is quick.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// EventuallyNote is Eventually for costly conditions (a browser, an HTTP
// round trip): it polls every 50 ms, and cond's note on its last try goes
// into the failure.
func EventuallyNote(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, note := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last: %s", timeout, what, note)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
