package store

import (
	"errors"
	"testing"
)

func TestKeys(t *testing.T) {
	k := keys{prefix: "realtime"}
	got := k.script("acme")
	want := []string{"realtime:{acme}:log", "realtime:{acme}:epoch", "realtime:{acme}:seq", "realtime:{acme}:notify", "realtime:{acme}:idem:"}
	if len(got) != len(want) {
		t.Fatalf("script keys = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("key %d = %q, want %q", i, got[i], want[i])
		}
	}
	for _, tc := range []struct {
		channel, org string
		ok           bool
	}{
		{"realtime:{acme}:notify", "acme", true},
		{"realtime:{a.b-c_1}:notify", "a.b-c_1", true},
		{"other:{acme}:notify", "", false},
		{"realtime:{acme}:log", "", false},
		{"realtime:{a b}:notify", "", false},
		{"realtime:{}:notify", "", false},
	} {
		org, ok := k.orgOfNotify(tc.channel)
		if ok != tc.ok || (ok && org != tc.org) {
			t.Errorf("orgOfNotify(%q) = %q, %v; want %q, %v", tc.channel, org, ok, tc.org, tc.ok)
		}
	}
}

func TestDecodeNotify(t *testing.T) {
	cases := []struct {
		name    string
		payload string
		want    Event
		err     error
	}{
		{"plain", "7\n1700000000123\nE1\nsvc\nt.x\n{\"a\":1}", Event{Seq: 7, TS: 1700000000123, Service: "svc", Type: "t.x", Data: []byte(`{"a":1}`)}, nil},
		{"newlines in data", "1\n2\nE1\ns\nt\n[\"a\n\nb\"]\n", Event{Seq: 1, TS: 2, Service: "s", Type: "t", Data: []byte("[\"a\n\nb\"]\n")}, nil},
		{"too few fields", "1\n2\nE1\ns\nt", Event{}, ErrMalformed},
		{"bad seq", "x\n2\nE1\ns\nt\n{}", Event{}, ErrMalformed},
		{"bad ts", "1\n\nE1\ns\nt\n{}", Event{}, ErrMalformed},
		{"empty epoch", "1\n2\n\ns\nt\n{}", Event{}, ErrMalformed},
		{"empty type", "1\n2\nE1\ns\n\n{}", Event{}, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			epoch, got, err := decodeNotify(tc.payload)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil && epoch != "E1" {
				t.Fatalf("epoch = %q, want E1", epoch)
			}
			if got.Seq != tc.want.Seq || got.TS != tc.want.TS || got.Service != tc.want.Service ||
				got.Type != tc.want.Type || string(got.Data) != string(tc.want.Data) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSeqOfID(t *testing.T) {
	for id, want := range map[string]int64{"1-0": 1, "1234567890123-0": 1234567890123} {
		if got, err := seqOfID(id); err != nil || got != want {
			t.Errorf("seqOfID(%q) = %d, %v", id, got, err)
		}
	}
	for _, id := range []string{"", "-0", "1-1", "1", "a-0", "1700000000000-5"} {
		if _, err := seqOfID(id); !errors.Is(err, ErrMalformed) {
			t.Errorf("seqOfID(%q) err = %v, want ErrMalformed", id, err)
		}
	}
}

func TestBackoff(t *testing.T) {
	var b backoff
	var got []int64
	for range 6 {
		got = append(got, b.step().Milliseconds())
	}
	want := []int64{100, 200, 400, 800, 1000, 1000}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("steps = %v, want %v", got, want)
		}
	}
	b.reset()
	if d := b.step().Milliseconds(); d != 100 {
		t.Fatalf("after reset step = %dms, want 100", d)
	}
}
