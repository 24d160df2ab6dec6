package fallback

import (
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/auth"
)

// TestClientsRevoke: a revocation cuts exactly the clients its predicate
// covers, in its org only, once each, and leaves the rest registered.
func TestClientsRevoke(t *testing.T) {
	var cs Clients
	iat := time.Unix(1000, 0)
	a := cs.add(&auth.Claims{Org: "acme", User: "u1", IssuedAt: iat})
	b := cs.add(&auth.Claims{Org: "acme", User: "u2", IssuedAt: iat})
	c := cs.add(&auth.Claims{Org: "other", User: "u1"})
	var seen []int64
	cs.Revoke("acme", func(user string, iat int64) bool {
		seen = append(seen, iat)
		return user == "u1"
	})
	if !a.revoked() || b.revoked() || c.revoked() {
		t.Fatalf("revoked a=%v b=%v c=%v, want only a", a.revoked(), b.revoked(), c.revoked())
	}
	if len(seen) != 2 || seen[0] != 1000 || seen[1] != 1000 {
		t.Fatalf("predicate saw iats %v, want 1000 for each acme client", seen)
	}
	if n := cs.Count("acme"); n != 1 {
		t.Fatalf("acme clients after the cut = %d, want 1", n)
	}
	cs.Revoke("acme", func(string, int64) bool { return true }) // a second cut must not close a twice
	cs.remove(b)
	cs.remove(c)
	if cs.Count("acme")+cs.Count("other") != 0 {
		t.Fatal("clients left after remove")
	}
}

// TestPollWait: the timeout query is seconds, defaulted and capped.
func TestPollWait(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     time.Duration
		bad      bool
	}{
		{"default", "", pollDefaultWait * time.Second, false},
		{"given", "3", 3 * time.Second, false},
		{"capped", "999", pollMaxWait * time.Second, false},
		{"negative", "-1", 0, true},
		{"not a number", "x", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pollWait(tc.in)
			if (err != nil) != tc.bad || got != tc.want {
				t.Fatalf("pollWait(%q) = %v, %v; want %v, bad=%v", tc.in, got, err, tc.want, tc.bad)
			}
		})
	}
}
