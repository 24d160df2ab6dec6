package multinode

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/wstest"
	"github.com/rtgw/realtime/store"
)

// BenchmarkClusterPubSub measures what notifications cost the Redis tier:
// b.N events published through publish.lua into orgs spread over every
// master, each delivered to a subscriber on each of two gateway nodes, on a
// real Cluster of 1 or 3 masters, with classic or sharded pub/sub. It
// reports Redis CPU (user+sys, summed over the masters, from INFO cpu) per
// 100,000 events, the busiest master's share, and cluster-bus pub/sub
// messages per event. Run it with a fixed event count:
//
//	go test -run '^$' -bench ClusterPubSub -benchtime 100000x ./multinode/
func BenchmarkClusterPubSub(b *testing.B) {
	for _, masters := range []int{1, 3} {
		for _, mode := range []store.PubSubMode{store.PubSubClassic, store.PubSubSharded} {
			b.Run(fmt.Sprintf("masters=%d/%s", masters, mode), func(b *testing.B) {
				benchPubSub(b, pubsubBench{masters: masters, mode: mode, gateways: 2, orgs: 12})
			})
		}
	}
}

// BenchmarkShardFanout: what one shard spends per event as the number of
// gateway nodes subscribed to the org grows (each node holds one sharded
// subscription per org it serves).
//
//	go test -run '^$' -bench ShardFanout -benchtime 100000x ./multinode/
func BenchmarkShardFanout(b *testing.B) {
	for _, gw := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("gateways=%d", gw), func(b *testing.B) {
			benchPubSub(b, pubsubBench{masters: 1, mode: store.PubSubSharded, gateways: gw, orgs: 12})
		})
	}
}

// BenchmarkHotOrg: one org takes every event. Its keys share one slot, so
// one shard serves all of it; published-events/s and the shard's CPU per
// event give the hot-org ceiling.
//
//	go test -run '^$' -bench HotOrg -benchtime 100000x ./multinode/
func BenchmarkHotOrg(b *testing.B) {
	benchPubSub(b, pubsubBench{masters: 3, mode: store.PubSubSharded, gateways: 2, orgs: 1})
}

type pubsubBench struct {
	masters  int
	mode     store.PubSubMode
	gateways int
	orgs     int
}

func benchPubSub(b *testing.B, p pubsubBench) {
	b.ReportAllocs()
	cl := redistest.StartClusterWith(b, redistest.ClusterOptions{Masters: p.masters})
	env := map[string]string{"REDIS_CLUSTER_ADDRS": strings.Join(cl.Addrs(), ","), "REALTIME_REDIS_PUBSUB": string(p.mode)}
	var nodes []*gatewaytest.Node
	for range p.gateways {
		nodes = append(nodes, gatewaytest.Start(b, gatewaytest.Options{Env: env, Plain: true}))
	}
	rdb := cl.Client(b)
	lg, err := store.New(store.Config{Client: rdb, PubSub: p.mode})
	if err != nil {
		b.Fatal(err)
	}
	orgs := p.orgs
	names := make([]string, orgs)
	var got atomic.Int64
	var readers sync.WaitGroup
	for i := range names {
		names[i] = fmt.Sprintf("bench-%s-%d-%d", p.mode, p.masters, i)
		for _, n := range nodes {
			c := wstest.Dial(b, n.StreamURL(gatewaytest.Token(b, names[i], "u")), wstest.Options{})
			c.Send(map[string]any{"services": []string{"s"}})
			c.Expect("ack")
			readers.Add(1)
			go func() {
				defer readers.Done()
				for {
					m, err := c.Read(30 * time.Second)
					if err != nil {
						return
					}
					got.Add(int64(len(m.Events)))
				}
			}()
		}
	}
	want := int64(p.gateways * b.N)
	cpu0 := redisCPU(b, cl)
	classic0, sharded0 := cl.BusPublishes()
	data := json.RawMessage(`{"amount":42}`)
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var pubs sync.WaitGroup
	for range 8 {
		pubs.Add(1)
		go func() {
			defer pubs.Done()
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				if _, _, err := lg.Publish(context.Background(), names[i%int64(orgs)], store.Input{Service: "s", Type: "t", Data: data}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	pubs.Wait()
	published := time.Since(start)
	deadline := time.Now().Add(2 * time.Minute)
	for got.Load() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	if got.Load() != want {
		b.Fatalf("delivered %d of %d events", got.Load(), want)
	}
	cpu1 := redisCPU(b, cl)
	classic1, sharded1 := cl.BusPublishes()
	var total, busiest float64
	for addr, c := range cpu1 {
		d := c - cpu0[addr]
		total += d
		busiest = max(busiest, d)
	}
	per100k := 100000 / float64(b.N)
	b.ReportMetric(total*per100k, "redis-cpu-s/100k-events")
	b.ReportMetric(busiest*per100k, "busiest-master-cpu-s/100k-events")
	b.ReportMetric(float64(classic1-classic0+sharded1-sharded0)/float64(b.N), "bus-msgs/event")
	b.ReportMetric(float64(b.N)/published.Seconds(), "published-events/s")
}

// redisCPU reads used_cpu_user + used_cpu_sys, in seconds, of each master.
func redisCPU(b *testing.B, cl *redistest.Cluster) map[string]float64 {
	out := map[string]float64{}
	for _, addr := range cl.Masters() {
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		info, err := rdb.Info(context.Background(), "cpu").Result()
		rdb.Close()
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			k, v, _ := strings.Cut(line, ":")
			if k == "used_cpu_user" || k == "used_cpu_sys" {
				f, _ := strconv.ParseFloat(v, 64)
				out[addr] += f
			}
		}
	}
	return out
}
