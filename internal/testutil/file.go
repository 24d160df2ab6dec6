package testutil

import (
	"os"
	"testing"
)

// ReadFile returns a file of the repository (a script, a rule file, a
// dashboard) as a string, failing the test if it cannot be read: tests that
// check shipped files against each other all start this way.
func ReadFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
