//go:build soak

package multinode

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/store"
)

// TestSoak: 5,000 connections churning (10% reconnect each minute, with
// lastSeq), 200 events/s across 50 orgs, for REALTIME_SOAK_DURATION
// (default 2m; docs/RELIABILITY.md has a 30-minute run). Afterwards every
// client has every event of its org exactly once, in order, and the node's
// heap, goroutines and open files show no upward trend after warm-up.
//
//	go test -tags soak -run Soak -timeout 45m ./multinode
func TestSoak(t *testing.T) {
	duration := 2 * time.Minute
	if v := os.Getenv("REALTIME_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("REALTIME_SOAK_DURATION: %v", err)
		}
		duration = d
	}
	const clients, orgCount, rate = 5000, 50, 200
	rds := redistest.Start(t)
	node := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: rds.Addr, Plain: true, Env: map[string]string{
		"REALTIME_LOG_LEVEL": "warn", "REALTIME_MAX_CONNS_PER_USER": "-1",
	}})
	log, err := store.New(store.Config{Client: redis.NewClient(&redis.Options{Addr: rds.Addr})})
	if err != nil {
		t.Fatal(err)
	}
	orgs := make([]string, orgCount)
	for i := range orgs {
		orgs[i] = fmt.Sprintf("soak%02d", i)
	}
	// 200 events/s round-robin over the orgs, straight into the log.
	pub := newPublisher(orgs, nil, rate)
	pub.via = func(org string, _ int) (int64, error) {
		seq, _, err := log.Publish(context.Background(), org, store.Input{Service: "s", Type: "t", Data: json.RawMessage(`{"x":1}`)})
		return seq, err
	}
	stop := make(chan struct{})
	var stopping atomic.Bool

	nodes := &cluster{nodes: []*gatewaytest.Node{node}}
	soakers := newCheckers(t, nodes, orgs, clients)
	// Each client reconnects with lastSeq on average once every 10
	// minutes: 10% of them each minute.
	for i, k := range soakers {
		rnd := rand.New(rand.NewPCG(uint64(i), 7))
		k.reconnectAfter = func() time.Duration { return time.Duration(rnd.ExpFloat64() * float64(10*time.Minute)) }
	}
	var wg sync.WaitGroup
	runAll(t, &wg, soakers, pub, &stopping, time.Now().Add(duration+2*time.Minute))
	waitConnected(t, 2*time.Minute, soakers)

	pubDone := make(chan struct{})
	go func() { pub.run(stop); close(pubDone) }()

	// Sample the node every 10 s.
	type sample struct {
		Minute     float64 `json:"minute"`
		Heap       float64 `json:"heap_bytes"`
		RSS        float64 `json:"rss_bytes"`
		Goroutines float64 `json:"goroutines"`
		FDs        float64 `json:"open_fds"`
	}
	var samples []sample
	start := time.Now()
	for time.Since(start) < duration {
		time.Sleep(10 * time.Second)
		m, err := node.Metrics()
		if err != nil {
			t.Fatalf("metrics: %v", err)
		}
		samples = append(samples, sample{
			Minute: time.Since(start).Minutes(), Heap: m["go_memstats_heap_inuse_bytes"], RSS: m["process_resident_memory_bytes"],
			Goroutines: m["go_goroutines"], FDs: m["process_open_fds"],
		})
	}
	close(stop)
	<-pubDone
	stopping.Store(true)
	wg.Wait()

	total := pub.total()
	var connects, errs int64
	for i, k := range soakers {
		connects += k.connects.Load()
		errs += int64(k.errs)
		if len(k.problems) > 0 {
			t.Errorf("client %d: %v", i, k.problems)
		}
		if k.resyncs > 0 {
			t.Errorf("client %d: %d recovered:false acks during the soak", i, k.resyncs)
		}
		if k.last.Load() != pub.last[i%orgCount].Load() {
			t.Errorf("client %d ended at seq %d of %d", i, k.last.Load(), pub.last[i%orgCount].Load())
		}
	}
	warm := samples[len(samples)/5:]
	slope := func(get func(sample) float64) (per float64, mean float64) {
		var sx, sy, sxx, sxy float64
		n := float64(len(warm))
		for _, s := range warm {
			x, y := s.Minute, get(s)
			sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
		}
		return (n*sxy - sx*sy) / (n*sxx - sx*sx), sy / n
	}
	report := map[string][2]float64{}
	for name, get := range map[string]func(sample) float64{
		"heap_bytes": func(s sample) float64 { return s.Heap }, "rss_bytes": func(s sample) float64 { return s.RSS },
		"goroutines": func(s sample) float64 { return s.Goroutines }, "open_fds": func(s sample) float64 { return s.FDs },
	} {
		per, mean := slope(get)
		report[name] = [2]float64{per, mean}
		t.Logf("%-11s mean %.0f, slope %+.1f per minute (%+.2f%% of mean per minute)", name, mean, per, 100*per/mean)
	}
	t.Logf("soak %v: %d clients, %d events over %d orgs, %d connects (%d reconnects), %d client errors, %d publish errors, 0 lost",
		duration, clients, total, orgCount, connects, connects-clients, errs, pub.fails.Load())
	if out := os.Getenv("REALTIME_SOAK_REPORT"); out != "" {
		b, _ := json.MarshalIndent(map[string]any{"duration": duration.String(), "events": total, "connects": connects,
			"errors": errs, "slopes_per_minute_and_mean": report, "samples": samples}, "", " ")
		_ = os.WriteFile(out, b, 0o644)
	}
	// Flat after warm-up. Goroutines and descriptors are exact: they may
	// not drift by 5% of their mean over the run. The heap is sampled
	// between GCs and swings with them, so it is judged on thirds: the last
	// third's mean may not exceed the middle third's by a quarter.
	span := warm[len(warm)-1].Minute - warm[0].Minute
	for _, name := range []string{"goroutines", "open_fds"} {
		per, mean := report[name][0], report[name][1]
		if per*span > 0.05*mean {
			t.Errorf("%s grows: %+.1f per minute over %.1f minutes (mean %.0f)", name, per, span, mean)
		}
	}
	third := len(samples) / 3
	mid, last := 0.0, 0.0
	for _, s := range samples[third : 2*third] {
		mid += s.Heap / float64(third)
	}
	for _, s := range samples[len(samples)-third:] {
		last += s.Heap / float64(third)
	}
	if last > 1.25*mid {
		t.Errorf("heap grows: last third averages %.0f bytes, middle third %.0f", last, mid)
	}
}
