package gateway

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/wstest"
)

// Property: whatever a client puts in its handshake — other orgs' names,
// injected "org" fields, services its token does not allow — it only ever
// receives events of its token's org and of services both subscribed and
// allowed. Random orgs, services, tokens and handshakes; the seed is logged.
func TestOrgIsolationProperty(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 1))
	h := newHarness(t, harnessOpts{})
	orgs := []string{"o1", "o2", "o3", "o4", "o5"}
	services := []string{"finance", "guest", "staff", "chat"}
	pick := func(list []string) []string {
		var out []string
		for _, s := range list {
			if rnd.IntN(2) == 0 {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			out = append(out, list[rnd.IntN(len(list))])
		}
		return out
	}
	type client struct {
		c       *wstest.Client
		org     string
		allowed map[string]bool
	}
	var clients []client
	for i := 0; i < 40; i++ {
		org := orgs[rnd.IntN(len(orgs))]
		var tokenServices []string
		if rnd.IntN(2) == 0 {
			tokenServices = pick(services)
		}
		tok, err := h.verifier.Sign(auth.Claims{User: fmt.Sprint("u", i), Org: org, Services: tokenServices, Expiry: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		subscribe := pick(services)
		hs := map[string]any{"services": subscribe, "version": 1}
		// Hostile extras: fields naming another org.
		other := orgs[rnd.IntN(len(orgs))]
		for _, k := range []string{"org", "orgId", "tenant", "organisation"} {
			if rnd.IntN(2) == 0 {
				hs[k] = other
			}
		}
		c := wstest.Dial(t, h.wsURL+"?access_token="+tok+"&org="+other, wstest.Options{})
		c.Send(hs)
		m := c.Next(5 * time.Second)
		allowedAll := true
		for _, s := range subscribe {
			if tokenServices != nil && !contains(tokenServices, s) {
				allowedAll = false
			}
		}
		if !allowedAll {
			for m.Type == "error" {
				m = c.Next(5 * time.Second)
			}
			if m.Type != "close" || m.CloseCode != int(CloseForbidden) {
				t.Fatalf("client %d subscribing to %v with a token for %v got %s, want 4003", i, subscribe, tokenServices, m.Raw)
			}
			continue
		}
		if m.Type != "ack" {
			t.Fatalf("client %d: %s", i, m.Raw)
		}
		allowed := map[string]bool{}
		for _, s := range subscribe {
			allowed[s] = true
		}
		clients = append(clients, client{c: c, org: org, allowed: allowed})
	}
	// Publish a random mix; every event says which org and service it is for.
	const n = 400
	sent := map[string]int{} // org/service → count
	for i := 0; i < n; i++ {
		org, svc := orgs[rnd.IntN(len(orgs))], services[rnd.IntN(len(services))]
		h.publish(org, svc, "t", fmt.Sprintf(`{"org":%q,"service":%q}`, org, svc))
		sent[org+"/"+svc]++
	}
	var wg sync.WaitGroup
	for i, cl := range clients {
		want := 0
		for s := range cl.allowed {
			want += sent[cl.org+"/"+s]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := 0
			for got < want {
				m, err := cl.c.Read(10 * time.Second)
				if err != nil {
					t.Errorf("client %d: %v after %d of %d events", i, err, got, want)
					return
				}
				if m.Type != "event" {
					continue
				}
				for _, e := range m.Events {
					var d struct{ Org, Service string }
					_ = json.Unmarshal(e.Data, &d)
					if d.Org != cl.org || d.Service != m.Service || !cl.allowed[d.Service] {
						t.Errorf("client %d of org %s (services %v) received %s/%s", i, cl.org, cl.allowed, d.Org, d.Service)
					}
					got++
				}
			}
			if m, err := cl.c.Read(150 * time.Millisecond); err == nil && m.Type == "event" {
				t.Errorf("client %d got more than its %d events: %s", i, want, m.Raw)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d clients, %d events over %d orgs: every client got exactly its org's subscribed services", len(clients), n, len(orgs))
}
