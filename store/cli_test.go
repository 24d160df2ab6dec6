package store_test

import (
	"bytes"
	"context"
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
	org := e.org
	args := []string{"--eval", script,
		key(org, "log"), key(org, "epoch"), key(org, "seq"), key(org, "notify"),
		",", "10000", "", "finance", "revenue.created", `{"amount":42}`}
	out, err := e.srv.CLI(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	// redis-cli prints the {first, last, epoch} reply one per line.
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

	// The script's own checks stop what Go would have stopped.
	for _, bad := range [][]string{
		{"finance", "has space", "{}"},
		{"finance", "t", "{amount:42}"},
		{"finance", "t"},
	} {
		args := append([]string{"--eval", script, key(org, "log"), key(org, "epoch"), key(org, "seq"), key(org, "notify"), ",", "10000", ""}, bad...)
		out, _ := e.srv.CLI(t, args...)
		if !strings.Contains(out, "ERR") {
			t.Errorf("redis-cli publish %q = %q, want an error", bad, out)
		}
	}
	if h := mustHead(t, e.log, org); h.Seq != 1 {
		t.Fatalf("rejected redis-cli publishes wrote events: Head %+v", h)
	}

	// The form that names the notify command (the README's Cluster line):
	// spublish reaches a sharded subscriber, a wrong command is refused.
	ctx := context.Background()
	ps := e.rdb.SSubscribe(ctx, key(org, "notify"))
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	keys := []string{"--eval", script, key(org, "log"), key(org, "epoch"), key(org, "seq"), key(org, "notify"), ",", "10000", ""}
	if out, _ := e.srv.CLI(t, append(keys, "xpublish", "finance", "t", "{}")...); !strings.Contains(out, "invalid notify command") {
		t.Errorf("redis-cli with notify command xpublish = %q, want an error", out)
	}
	if out, err := e.srv.CLI(t, append(keys, "spublish", "finance", "t", "{}")...); err != nil || !strings.HasPrefix(out, "2\n") {
		t.Fatalf("redis-cli with spublish = %q, %v", out, err)
	}
	msg, err := ps.ReceiveMessage(ctx)
	if err != nil || !strings.HasPrefix(msg.Payload, "2\n") {
		t.Fatalf("sharded subscriber got %+v, %v; want the notification of seq 2", msg, err)
	}
}
