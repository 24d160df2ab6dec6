package store_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/store"
)

// originalOneLiner is the README's first redis-cli publish, as operators
// have copied it into their scripts since before the script took options.
// It must stay in the README word for word and keep working.
const originalOneLiner = `redis-cli --eval store/lua/publish.lua 'realtime:{acme}:log' 'realtime:{acme}:epoch' 'realtime:{acme}:seq' 'realtime:{acme}:notify' , 10000 '' finance revenue.created '{"amount":42}'`

// TestCLIOneLiner runs the README's three redis-cli publishes (the
// original, the Cluster form with notify=spublish, the idempotent form with
// idem=), word for word except for the port and the script path (tests run
// in store/, the README from the repository root), and reads the events
// back through the package. Then it checks that the script refuses, before
// any write, what the Go checks would have refused.
func TestCLIOneLiner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	ctx := context.Background()
	script := filepath.Join("..", "store", "lua", "publish.lua")
	org := "acme" // the README's org; the server is this test's own
	cli := func(args []string) []string {
		t.Helper()
		out, err := e.srv.CLI(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		// redis-cli prints the reply one element per line; an empty
		// duplicates list prints nothing.
		return strings.Fields(out)
	}

	// The original form: four keys, no option, triples, PUBLISH.
	if !strings.Contains(testutil.ReadFile(t, filepath.Join("..", "README.md")), "\n"+originalOneLiner+"\n") {
		t.Fatalf("README no longer has the original one-liner word for word as a line of its own:\n%s", originalOneLiner)
	}
	orig := readmeCommand(t, originalOneLiner, script)
	ps := e.rdb.Subscribe(ctx, key(org, "notify"))
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	got := cli(orig)
	if len(got) != 3 || got[0] != "1" || got[1] != "1" || got[2] == "" {
		t.Fatalf("original one-liner printed %q, want 1, 1, an epoch", got)
	}
	epoch := got[2]
	evs := rangeAll(t, e.log, org, 0)
	if len(evs) != 1 || evs[0].Seq != 1 || evs[0].Service != "finance" || evs[0].Type != "revenue.created" ||
		!bytes.Equal(evs[0].Data, []byte(`{"amount":42}`)) || evs[0].TS == 0 {
		t.Fatalf("Range after redis-cli publish = %+v", evs)
	}
	if h := mustHead(t, e.log, org); h.Epoch != epoch || h.Seq != 1 {
		t.Fatalf("Head = %+v, want the epoch redis-cli printed (%s) and Seq 1", h, epoch)
	}
	if msg, err := ps.ReceiveMessage(ctx); err != nil || !strings.HasPrefix(msg.Payload, "1\n") {
		t.Fatalf("classic subscriber got %+v, %v; want the notification of seq 1", msg, err)
	}

	// The Cluster form: notify=spublish reaches a sharded subscriber.
	sps := e.rdb.SSubscribe(ctx, key(org, "notify"))
	defer sps.Close()
	if _, err := sps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if got := cli(readmeCommand(t, "redis-cli -c --eval store/lua/publish.lua ", script)); !slices.Equal(got, []string{"2", "2", epoch}) {
		t.Fatalf("Cluster one-liner printed %q, want 2, 2, %s", got, epoch)
	}
	if msg, err := sps.ReceiveMessage(ctx); err != nil || !strings.HasPrefix(msg.Payload, "2\n") {
		t.Fatalf("sharded subscriber got %+v, %v; want the notification of seq 2", msg, err)
	}

	// The idempotent form: the fifth key, idem=, a key per event. The
	// first run remembers the key; the same command again is a duplicate
	// that names event 0 with its original seq and writes nothing.
	idem := readmeCommand(t, "redis-cli --eval store/lua/publish.lua 'realtime:{acme}:log' 'realtime:{acme}:epoch' 'realtime:{acme}:seq' 'realtime:{acme}:notify' 'realtime:{acme}:idem:' ", script)
	if got := cli(idem); !slices.Equal(got, []string{"3", "3", epoch}) {
		t.Fatalf("idempotent one-liner printed %q, want 3, 3, %s", got, epoch)
	}
	if v, err := e.rdb.Get(ctx, key(org, "idem:order-42-created")).Result(); err != nil || v != "3:"+epoch {
		t.Fatalf("idempotency key = %q, %v; want 3:<epoch>", v, err)
	}
	if ttl := e.rdb.PTTL(ctx, key(org, "idem:order-42-created")).Val(); ttl <= 0 || ttl.Milliseconds() > 86400000 {
		t.Fatalf("idempotency key expires in %v, want within the 86400000 ms window", ttl)
	}
	if got := cli(idem); !slices.Equal(got, []string{"4", "3", epoch, "0", "3"}) {
		t.Fatalf("idempotent one-liner again printed %q, want 4, 3, the epoch, 0, 3", got)
	}

	// The script's own checks: options and events that the Go checks (or
	// the option grammar) refuse are errors, and nothing is written.
	four := []string{"--eval", script, key(org, "log"), key(org, "epoch"), key(org, "seq"), key(org, "notify")}
	five := append(slices.Clone(four), key(org, "idem:"))
	for _, c := range []struct {
		name string
		keys []string
		argv []string
		want string
	}{
		{"invalid service", four, []string{"has space", "t", "{}"}, "invalid service"},
		{"invalid type", four, []string{"finance", "has space", "{}"}, "invalid type"},
		{"data not JSON", four, []string{"finance", "t", "{amount:42}"}, "not JSON"},
		{"incomplete triple", four, []string{"finance", "t"}, "want ARGV"},
		{"bad notify", four, []string{"notify=xpublish", "finance", "t", "{}"}, "invalid notify"},
		{"unknown option", four, []string{"window=1000", "finance", "t", "{}"}, "unknown option"},
		{"option twice", four, []string{"notify=publish", "notify=spublish", "finance", "t", "{}"}, "given twice"},
		// A bare command is not an option: it reads as a service, and the
		// arguments no longer come in triples.
		{"bare spublish", four, []string{"spublish", "finance", "t", "{}"}, "want ARGV"},
		{"idem without fifth key", four, []string{"idem=1000", "finance", "t", "{}", "k"}, "fifth KEY"},
		{"idem zero", five, []string{"idem=0", "finance", "t", "{}", "k"}, "invalid idem"},
		{"idem not a number", five, []string{"idem=1e3", "finance", "t", "{}", "k"}, "invalid idem"},
		{"idem empty", five, []string{"idem=", "finance", "t", "{}", "k"}, "invalid idem"},
		{"idem with triples", five, []string{"idem=1000", "finance", "t", "{}"}, "key per event"},
		{"invalid key", five, []string{"idem=1000", "finance", "t", "{}", "has space"}, "invalid idempotency key"},
		{"six keys", append(slices.Clone(five), "x"), []string{"finance", "t", "{}"}, "want KEYS"},
	} {
		args := append(append(slices.Clone(c.keys), ",", "10000", ""), c.argv...)
		if out, _ := e.srv.CLI(t, args...); !strings.Contains(out, "ERR") || !strings.Contains(out, c.want) {
			t.Errorf("%s: redis-cli publish %q = %q, want an error with %q", c.name, c.argv, out, c.want)
		}
	}
	if h := mustHead(t, e.log, org); h.Seq != 3 {
		t.Fatalf("rejected redis-cli publishes wrote events: Head %+v", h)
	}
}

// readmeCommand returns the words of the README line that starts with
// prefix (the first such line), split the way a shell would for this
// command: spaces separate, single quotes group. The program is dropped
// and the script path after --eval becomes script.
func readmeCommand(t *testing.T, prefix, script string) []string {
	t.Helper()
	for line := range strings.Lines(testutil.ReadFile(t, filepath.Join("..", "README.md"))) {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		words := shellWords(strings.TrimSpace(line))[1:]
		i := slices.Index(words, "--eval")
		if i < 0 || i+1 >= len(words) || words[i+1] != "store/lua/publish.lua" {
			t.Fatalf("README command %q does not eval store/lua/publish.lua", words)
		}
		words[i+1] = script
		return words
	}
	t.Fatalf("README has no line starting with %q", prefix)
	return nil
}

// shellWords splits a command line at unquoted spaces; single quotes group
// and are dropped, as in a POSIX shell.
func shellWords(line string) []string {
	var words []string
	var w strings.Builder
	quoted, inWord := false, false
	for _, r := range line {
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
	return words
}
