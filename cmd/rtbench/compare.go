package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"text/tabwriter"
	"time"
)

// compareTransports are run in this order, one after another, with the
// same clients, orgs, services and event rate.
var compareTransports = []string{"longpoll", "sse", "websocket"}

// compareRow is one transport's measurement over its publishing window
// (plus the drain wait after it).
type compareRow struct {
	Transport     string  `json:"transport"`
	Clients       int     `json:"clients"`
	Connected     int64   `json:"connected"`
	WindowSecs    float64 `json:"windowSecs"`
	Published     int64   `json:"published"`
	Delivered     int64   `json:"delivered"`
	GatewayCPU    float64 `json:"gatewayCpuSeconds"`
	RequestsPerS  float64 `json:"httpRequestsPerSec"`
	BytesPerEvent float64 `json:"wireBytesPerDeliveredEvent"`
	P50Ms         float64 `json:"deliveryP50Ms"`
	P99Ms         float64 `json:"deliveryP99Ms"`
	RedisCmdsPerS float64 `json:"redisCommandsPerSec"`
	Errors        int64   `json:"clientErrors"`
}

type compareResult struct {
	Rate float64      `json:"eventsPerSec"`
	Rows []compareRow `json:"rows"`
}

func runCompare(ctx context.Context, e *env) (*compareResult, error) {
	res := &compareResult{Rate: e.o.rate}
	for _, tr := range compareTransports {
		row, err := e.compareOne(ctx, tr)
		if err != nil {
			return res, fmt.Errorf("%s: %w", tr, err)
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// compareOne connects -c clients over one transport, waits until they are
// all in, then measures while the publisher runs for -duration and for
// -drain-max after it. The clients are gone when it returns.
func (e *env) compareOne(ctx context.Context, transport string) (compareRow, error) {
	o := e.o
	st := &transportStats{}
	cctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	hc := &http.Client{Transport: &http.Transport{DialContext: st.wire.dial, MaxIdleConnsPerHost: o.conns + 16, MaxConnsPerHost: 0}}
	defer hc.CloseIdleConnections()
	m, err := newMinter(o.secret)
	if err != nil {
		return compareRow{}, err
	}
	runID := o.runID + "-" + transport // fresh orgs per transport: no tail carried over
	for i := range o.conns {
		s := streamFor(runID, i%o.orgs, (i/o.orgs)%o.services)
		tok, err := m.token(i, s.org)
		if err != nil {
			return compareRow{}, err
		}
		c := &compareClient{base: "http://" + o.gateways[i%len(o.gateways)], token: tok, service: s.svc, st: st, http: hc}
		run := map[string]func(context.Context){"longpoll": c.runLongPoll, "sse": c.runSSE, "websocket": c.runWebSocket}[transport]
		wg.Go(func() { run(cctx) })
	}
	e.prog.phase(fmt.Sprintf("%s: connect %d", transport, o.conns))
	deadline := time.Now().Add(2 * time.Minute)
	for st.connected.Load() < int64(o.conns) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // let the last handshakes' Redis reads settle
	return e.measure(ctx, transport, st, runID)
}

// measure publishes for -duration and reads every counter around it.
func (e *env) measure(ctx context.Context, transport string, st *transportStats, runID string) (compareRow, error) {
	o := e.o
	gwBefore, cmdBefore, err := e.counters(ctx)
	if err != nil {
		return compareRow{}, err
	}
	reqs, wire, evs, errs := st.requests.Load(), st.wire.n.Load(), st.events.Load(), st.errors.Load()
	_ = st.lat.since()
	start := time.Now()
	streams := benchStreamsFor(o, runID)
	pub := newPublisher(e.log, streams, o.batch, o.size)
	e.prog.phase(fmt.Sprintf("%s: publish %.0f/s for %v", transport, o.rate, o.duration))
	pub.run(ctx, o.rate, o.duration)
	time.Sleep(o.drainMax)
	secs := time.Since(start).Seconds()
	gwAfter, cmdAfter, err := e.counters(ctx)
	if err != nil {
		return compareRow{}, err
	}
	lat := st.lat.since()
	delivered := st.events.Load() - evs
	row := compareRow{
		Transport: transport, Clients: o.conns, Connected: st.connected.Load(), WindowSecs: secs,
		Published: published(pub), Delivered: delivered,
		GatewayCPU:    sumDelta(gwBefore, gwAfter, "process_cpu_seconds_total"),
		RequestsPerS:  float64(st.requests.Load()-reqs) / secs,
		RedisCmdsPerS: float64(cmdAfter.minus(cmdBefore).total()) / secs,
		P50Ms:         float64(lat.quantile(0.50)) / 1e6,
		P99Ms:         float64(lat.quantile(0.99)) / 1e6,
		Errors:        st.errors.Load() - errs,
	}
	if delivered > 0 {
		row.BytesPerEvent = float64(st.wire.n.Load()-wire) / float64(delivered)
	}
	e.prog.note("%s: %d events delivered, %.1f CPU-s, %.0f req/s", transport, delivered, row.GatewayCPU, row.RequestsPerS)
	return row, nil
}

// benchStreamsFor is benchStreams for a run id other than -run-id.
func benchStreamsFor(o *options, runID string) []streamRef {
	c := *o
	c.runID = runID
	return benchStreams(&c)
}

func (r *compareResult) print(w io.Writer) {
	fmt.Fprintf(w, "compare: %d clients, %.0f events/s, each transport in turn\n", r.Rows[0].Clients, r.Rate)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "transport\tgateway CPU-s\tHTTP req/s\twire B/event\tp50 ms\tp99 ms\tRedis cmd/s\tdelivered\tpublished\terrors\t")
	for _, x := range r.Rows {
		fmt.Fprintf(tw, "%s\t%.2f\t%.0f\t%.0f\t%.1f\t%.1f\t%.0f\t%d\t%d\t%d\t\n",
			x.Transport, x.GatewayCPU, x.RequestsPerS, x.BytesPerEvent, x.P50Ms, x.P99Ms, x.RedisCmdsPerS, x.Delivered, x.Published, x.Errors)
	}
	_ = tw.Flush()
}

// published is how many events the publisher got into the log.
func published(p *publisher) int64 {
	_, count := p.snapshot()
	var n int64
	for _, c := range count {
		n += c
	}
	return n
}

// counters reads the gateways' metrics and Redis's command counts, the
// two sides of every delta in a compare row.
func (e *env) counters(ctx context.Context) ([]promSample, cmdStats, error) {
	gw, err := scrapeAll(ctx, e.o.gateways)
	if err != nil {
		return nil, cmdStats{}, err
	}
	cmds, err := commandStats(ctx, e.rdb)
	return gw, cmds, err
}
