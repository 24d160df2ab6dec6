package rollout

import (
	"fmt"
	"math"
	"testing"
)

func TestDecidePrecedence(t *testing.T) {
	// "u-in" is in at 100 and out at 0 by percentage alone.
	cases := []struct {
		name  string
		flags Flags
		optIn bool // the client's handshake asked to be let in
		want  Decision
	}{
		{name: "kill switch beats allow", flags: Flags{Enabled: false, Percent: 100, AllowUser: true}, want: Decision{false, ReasonDisabled}},
		{name: "deny user beats allow org", flags: Flags{Enabled: true, Percent: 100, DenyUser: true, AllowOrg: true}, want: Decision{false, ReasonDenied}},
		{name: "deny org beats allow user", flags: Flags{Enabled: true, Percent: 100, DenyOrg: true, AllowUser: true}, want: Decision{false, ReasonDenied}},
		{name: "allow user at 0 percent", flags: Flags{Enabled: true, Percent: 0, AllowUser: true}, want: Decision{true, ReasonAllowed}},
		{name: "allow org at 0 percent", flags: Flags{Enabled: true, Percent: 0, AllowOrg: true}, want: Decision{true, ReasonAllowed}},
		{name: "0 percent", flags: Flags{Enabled: true, Percent: 0}, want: Decision{false, ReasonPercent}},
		{name: "100 percent", flags: Flags{Enabled: true, Percent: 100}, want: Decision{true, ReasonPercent}},
		{name: "opted in at 0 percent, optin on", flags: Flags{Enabled: true, Percent: 0, OptIn: true}, optIn: true, want: Decision{true, ReasonOptIn}},
		{name: "opted in, optin off: the flag is ignored", flags: Flags{Enabled: true, Percent: 0}, optIn: true, want: Decision{false, ReasonPercent}},
		{name: "optin on, client did not ask", flags: Flags{Enabled: true, Percent: 0, OptIn: true}, want: Decision{false, ReasonPercent}},
		{name: "kill switch beats opt-in", flags: Flags{Enabled: false, Percent: 100, OptIn: true}, optIn: true, want: Decision{false, ReasonDisabled}},
		{name: "deny user beats opt-in", flags: Flags{Enabled: true, Percent: 100, OptIn: true, DenyUser: true}, optIn: true, want: Decision{false, ReasonDenied}},
		{name: "deny org beats opt-in", flags: Flags{Enabled: true, Percent: 100, OptIn: true, DenyOrg: true}, optIn: true, want: Decision{false, ReasonDenied}},
		{name: "allow wins before opt-in is looked at", flags: Flags{Enabled: true, Percent: 0, OptIn: true, AllowOrg: true}, optIn: true, want: Decision{true, ReasonAllowed}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Decide(tc.flags, "u-in", tc.optIn); got != tc.want {
				t.Fatalf("Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// Users in at p are in at every p' > p, and the share in is within ±2
// points of p, over 10,000 synthetic ids.
func TestPercentMonotonicAndShare(t *testing.T) {
	const n = 10000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("user-%d", i)
	}
	in := func(id string, p int) bool { return Decide(Flags{Enabled: true, Percent: p}, id, false).In }
	for p := 0; p <= 100; p++ {
		count := 0
		for _, id := range ids {
			if in(id, p) {
				count++
				if p < 100 && !in(id, p+1) {
					t.Fatalf("%s in at %d%% but out at %d%%", id, p, p+1)
				}
			}
		}
		share := 100 * float64(count) / n
		if math.Abs(share-float64(p)) > 2 {
			t.Fatalf("at %d%%, %.2f%% of users are in", p, share)
		}
	}
}

func TestBucketIsStableFNV1a(t *testing.T) {
	// FNV-1a 32 of "a" is 0xe40c292c = 3826002220; mod 100 = 20. Pinned so
	// other languages' implementations can be checked against it.
	if got := Bucket("a"); got != 20 {
		t.Fatalf("Bucket(a) = %d, want 20", got)
	}
	if Bucket("user-1") != Bucket("user-1") {
		t.Fatal("Bucket is not deterministic")
	}
}
