package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// options are every scenario's flags; each scenario reads the ones it
// needs (doc.go lists them).
type options struct {
	scenario    string
	gateways    []string // host:port of each gateway (stream and /metrics)
	redisAddr   string
	secret      string
	conns       int
	orgs        int
	services    int
	procs       int
	sources     int
	dialConc    int
	size        int
	batch       int
	rate        float64
	duration    time.Duration
	hold        time.Duration
	drainMax    time.Duration
	timeout     time.Duration
	findMax     bool
	steps       int
	factor      float64
	withCeiling bool
	miss        int
	maxPerFrame float64
	writers     int
	jsonOut     bool
	runID       string
}

func parseOptions(scenario string, args []string) (*options, error) {
	o := &options{scenario: scenario}
	fs := flag.NewFlagSet("rtbench "+scenario, flag.ContinueOnError)
	gws := fs.String("gateways", "127.0.0.1:4000", "comma-separated gateway host:port list; connection i goes to gateway i mod n")
	fs.StringVar(&o.redisAddr, "redis", "127.0.0.1:6379", "Redis host:port the gateways use (publishing, INFO commandstats)")
	fs.StringVar(&o.secret, "secret", os.Getenv("REALTIME_JWT_SECRET"), "gateway JWT secret [$REALTIME_JWT_SECRET]")
	fs.IntVar(&o.conns, "c", 1000, "connections")
	fs.IntVar(&o.orgs, "orgs", 1, "orgs; connection i is in org i mod orgs")
	fs.IntVar(&o.services, "services", 1, "services per org; connection i follows service (i / orgs) mod services")
	fs.IntVar(&o.procs, "procs", 2, "client worker processes (each holds at most ~19,900 sockets)")
	fs.IntVar(&o.sources, "sources", 32, "source addresses 127.0.0.2… used round-robin, so ephemeral ports are not the limit")
	fs.IntVar(&o.dialConc, "dial-concurrency", 64, "dials in flight per worker process")
	fs.IntVar(&o.size, "size", 200, "bytes of a frame carrying one event")
	fs.IntVar(&o.batch, "batch", 1, "events per publish call (one Lua call each)")
	fs.Float64Var(&o.rate, "rate", 20, "published events per second, all streams together (the start rate with -find-max)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of one publishing step (ceiling: of the write run)")
	fs.DurationVar(&o.hold, "hold", 10*time.Second, "conns: how long to hold the connections before measuring")
	fs.DurationVar(&o.drainMax, "drain-max", time.Second, "a step is sustained only if every client has every event this soon after the last publish")
	fs.DurationVar(&o.timeout, "timeout", 20*time.Minute, "hard limit on the whole run")
	fs.BoolVar(&o.findMax, "find-max", false, "fanout: raise the rate step by step until a step loses, duplicates, drops a client or lags; then measure at 50% of the max")
	fs.IntVar(&o.steps, "steps", 12, "fanout -find-max: most steps")
	fs.Float64Var(&o.factor, "factor", 1.5, "fanout -find-max: rate multiplier between steps (bisects after the first failure)")
	fs.BoolVar(&o.withCeiling, "with-ceiling", false, "fanout: measure the ceiling first, same connections, size and readers")
	fs.Float64Var(&o.maxPerFrame, "max-events-per-frame", 0, "fanout: a step whose frames carry more events than this on average fails (1.1: the one-event-per-frame ceiling comparison); 0: no limit")
	fs.IntVar(&o.miss, "miss", 100, "storm: events each org gets while its clients are away")
	fs.IntVar(&o.writers, "writers", runtime.GOMAXPROCS(0), "ceiling: writer goroutines")
	fs.BoolVar(&o.jsonOut, "json", false, "print the result as JSON on stdout (the summary goes to stderr)")
	fs.StringVar(&o.runID, "run-id", "rb"+strconv.FormatInt(time.Now().Unix()%1e6, 36), "org name prefix (fresh orgs per run)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	o.gateways = splitList(*gws)
	return o, o.check()
}

func (o *options) check() error {
	switch {
	case o.conns < 1 || o.procs < 1 || o.orgs < 1 || o.services < 1 || o.batch < 1:
		return fmt.Errorf("-c, -procs, -orgs, -services and -batch must be at least 1")
	case o.sources < 1 || o.sources > 250*250:
		return fmt.Errorf("-sources must be in 1..62500")
	case o.batch > 1000:
		return fmt.Errorf("-batch is at most 1000 (one publish call)")
	case o.rate <= 0 || o.factor <= 1:
		return fmt.Errorf("-rate must be positive and -factor above 1")
	case len(o.gateways) == 0 && o.scenario != "ceiling":
		return fmt.Errorf("-gateways is empty")
	case o.secret == "" && o.scenario != "ceiling":
		return fmt.Errorf("set REALTIME_JWT_SECRET or -secret to the gateway's JWT secret")
	}
	return nil
}

// sourceIPs returns n loopback addresses from 127.0.0.2 upwards.
func (o *options) sourceIPs() []string {
	out := make([]string, o.sources)
	for i := range out {
		out[i] = net.IPv4(127, 0, byte(i/250), byte(2+i%250)).String()
	}
	return out
}

// jobs splits o.conns over o.procs workers.
func (o *options) jobs(targets []string, ceiling bool) []job {
	out := make([]job, o.procs)
	deadline := time.Now().Add(o.timeout + time.Minute).Unix()
	for i := range out {
		first, next := i*o.conns/o.procs, (i+1)*o.conns/o.procs
		out[i] = job{Worker: i, Targets: targets, Sources: o.sourceIPs(), First: first, Count: next - first,
			Orgs: o.orgs, Services: o.services, RunID: o.runID, Secret: o.secret, Ceiling: ceiling,
			DialConc: o.dialConc, Deadline: deadline}
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
