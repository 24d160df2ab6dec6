package store_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtgw/realtime/store"
)

// TestCLIOneLiner runs the README's redis-cli command, word for word except
// for the port and the script path (tests run in store/, the README from the
// repository root), and reads the event back through the package.
func TestCLIOneLiner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	script := filepath.Join("..", "store", "lua", "publish.lua")
	org := "acme" // the README's org; the server is this test's own
	args := readmeCommand(t, "redis-cli --eval store/lua/publish.lua ")
	if args[0] != "--eval" || args[1] != "store/lua/publish.lua" {
		t.Fatalf("README command %q", args)
	}
	args[1] = script
	out, err := e.srv.CLI(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	// redis-cli prints the {first, last, epoch, duplicates} reply one per
	// line; an empty duplicates list prints nothing.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[0] != "1" || lines[1] != "1" || lines[2] == "" {
		t.Fatalf("redis-cli output = %q, want 1, 1, an epoch", out)
	}
	evs := rangeAll(t, e.log, org, 0)
	if len(evs) != 1 || evs[0].Seq != 1 || evs[0].Service != "finance" || evs[0].Type != "revenue.created" ||
		!bytes.Equal(evs[0].Data, []byte(`{"amount":42}`)) || evs[0].TS == 0 {
		t.Fatalf("Range after redis-cli publish = %+v", evs)
	}
	if h := mustHead(t, e.log, org); h.Epoch != lines[2] || h.Seq != 1 {
		t.Fatalf("Head = %+v, want the epoch redis-cli printed (%s) and Seq 1", h, lines[2])
	}

	if v, err := e.rdb.Get(t.Context(), key(org, "idem:order-42-created")).Result(); err != nil || v != "1:"+lines[2] {
		t.Fatalf("idempotency key = %q, %v; want 1:<epoch>", v, err)
	}

	// The same command again is a duplicate: nothing new is written and
	// the reply names event 0 with its original seq 1.
	out, err = e.srv.CLI(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Fields(out); len(lines) != 5 || lines[0] != "2" || lines[1] != "1" || lines[3] != "0" || lines[4] != "1" {
		t.Fatalf("redis-cli repeat = %q, want 2, 1, the epoch, 0, 1", out)
	}

	// The script's own checks stop what Go would have stopped.
	for _, bad := range [][]string{
		{"86400000", "finance", "has space", "{}", ""},
		{"86400000", "finance", "t", "{amount:42}", ""},
		{"86400000", "finance", "t", "{}"},
		{"86400000", "finance", "t", "{}", "has space"},
		{"0", "finance", "t", "{}", "k"},
		{"finance", "t", "{}", ""}, // the layout before idempotency keys
	} {
		args := append([]string{"--eval", script, key(org, "log"), key(org, "epoch"), key(org, "seq"), key(org, "notify"), key(org, "idem:"), ",", "10000", ""}, bad...)
		out, _ := e.srv.CLI(t, args...)
		if !strings.Contains(out, "ERR") {
			t.Errorf("redis-cli publish %q = %q, want an error", bad, out)
		}
	}
	if h := mustHead(t, e.log, org); h.Seq != 1 {
		t.Fatalf("rejected redis-cli publishes wrote events: Head %+v", h)
	}
}

// readmeCommand finds the README line starting with prefix and splits it
// into words the way a shell would for this command: spaces separate,
// single quotes group. The first word (the program) is dropped.
func readmeCommand(t *testing.T, prefix string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		var words []string
		var w strings.Builder
		quoted, inWord := false, false
		for _, r := range strings.TrimSpace(line) {
			switch {
			case r == '\'':
				quoted, inWord = !quoted, true
			case r == ' ' && !quoted:
				if inWord {
					words = append(words, w.String())
				}
				w.Reset()
				inWord = false
			default:
				w.WriteRune(r)
				inWord = true
			}
		}
		if inWord {
			words = append(words, w.String())
		}
		return words[1:]
	}
	t.Fatalf("README has no line starting with %q", prefix)
	return nil
}
