package main

import (
	"context"
	"fmt"
)

// connsResult is the idle-connection test: what N handshaked connections
// cost each gateway.
type connsResult struct {
	Conns    int            `json:"conns"`
	Procs    int            `json:"procs"`
	Orgs     int            `json:"orgs"`
	HoldSecs float64        `json:"holdSecs"`
	Connect  connectSummary `json:"connect"`
	Gateways []gatewayCost  `json:"gateways"`
}

// gatewayCost is one gateway's /metrics before and after the connections.
type gatewayCost struct {
	Addr             string  `json:"addr"`
	Conns            float64 `json:"conns"` // realtime_connections_active gained
	HeapBefore       float64 `json:"heapInuseBefore"`
	HeapAfter        float64 `json:"heapInuseAfter"`
	HeapPerConn      float64 `json:"heapInusePerConn"`
	AllocPerConn     float64 `json:"allocPerConn"` // go_memstats_alloc_bytes: live heap objects
	RSSBefore        float64 `json:"rssBefore"`
	RSSAfter         float64 `json:"rssAfter"`
	RSSPerConn       float64 `json:"rssPerConn"`
	GoroutinesBefore float64 `json:"goroutinesBefore"`
	GoroutinesAfter  float64 `json:"goroutinesAfter"`
	FDsAfter         float64 `json:"openFdsAfter"`
}

// runConns opens -c idle connections across -gateways, holds them for
// -hold and reads each gateway's /metrics before and after.
func runConns(ctx context.Context, e *env) (*connsResult, error) {
	o := e.o
	before, err := scrapeAll(ctx, o.gateways)
	if err != nil {
		return nil, err
	}
	p, conn, err := e.connectPool(ctx, o.gateways, false)
	if err != nil {
		return nil, err
	}
	defer p.close()
	e.prog.phase(fmt.Sprintf("hold %s", o.hold))
	if err := p.wait(ctx, o.hold); err != nil {
		return nil, err
	}
	after, err := scrapeAll(ctx, o.gateways)
	if err != nil {
		return nil, err
	}
	r := &connsResult{Conns: o.conns, Procs: o.procs, Orgs: o.orgs, HoldSecs: o.hold.Seconds(), Connect: conn}
	for i, addr := range o.gateways {
		b, a := before[i], after[i]
		g := gatewayCost{Addr: addr, Conns: a["realtime_connections_active"] - b["realtime_connections_active"],
			HeapBefore: b["go_memstats_heap_inuse_bytes"], HeapAfter: a["go_memstats_heap_inuse_bytes"],
			RSSBefore: b["process_resident_memory_bytes"], RSSAfter: a["process_resident_memory_bytes"],
			GoroutinesBefore: b["go_goroutines"], GoroutinesAfter: a["go_goroutines"], FDsAfter: a["process_open_fds"]}
		if g.Conns > 0 {
			g.HeapPerConn = (g.HeapAfter - g.HeapBefore) / g.Conns
			g.AllocPerConn = (a["go_memstats_alloc_bytes"] - b["go_memstats_alloc_bytes"]) / g.Conns
			g.RSSPerConn = (g.RSSAfter - g.RSSBefore) / g.Conns
		}
		r.Gateways = append(r.Gateways, g)
	}
	return r, nil
}
