package gateway

import (
	"strings"
	"testing"

	"github.com/rtgw/realtime/store"
)

func TestFrameRunFits(t *testing.T) {
	ev := func(svc string, size int) store.Event {
		return store.Event{Service: svc, Data: []byte(strings.Repeat("1", size))}
	}
	full := make([]store.Event, maxEventsPerFrame)
	for i := range full {
		full[i] = ev("s", 1)
	}
	cases := []struct {
		name  string
		run   []store.Event
		rooms []string // one per event of run
		next  store.Event
		room  string
		max   int
		want  bool
	}{
		{name: "same service and room", run: []store.Event{ev("s", 10)}, rooms: []string{""}, next: ev("s", 10), max: 1000, want: true},
		{name: "other service", run: []store.Event{ev("s", 10)}, rooms: []string{""}, next: ev("t", 10), max: 1000, want: false},
		{name: "other room", run: []store.Event{ev("s", 10)}, rooms: []string{"a"}, next: ev("s", 10), room: "b", max: 1000, want: false},
		{name: "over the byte bound", run: []store.Event{ev("s", 300)}, rooms: []string{""}, next: ev("s", 300), max: 800, want: false},
		{name: "at the byte bound", run: []store.Event{ev("s", 272)}, rooms: []string{""}, next: ev("s", 272), max: 2 * (272 + eventEnvelope), want: true},
		{name: "full by count", run: full, rooms: make([]string, len(full)), next: ev("s", 1), max: 1 << 20, want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r frameRun
			for i, e := range tc.run {
				r.add(e, tc.rooms[i])
			}
			if got := r.fits(tc.next, tc.room, tc.max); got != tc.want {
				t.Fatalf("fits = %v, want %v", got, tc.want)
			}
		})
	}
}
