package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Each result prints a one-screen summary; -json prints the struct instead.

func (r *ceilingResult) print(w io.Writer) {
	fmt.Fprintf(w, "ceiling: %d connections, %d-byte frames, %d writers\n", r.Conns, r.Size, r.Writers)
	fmt.Fprintf(w, "  connect     %d ok, %d failed in %.1fs (%.0f/s)\n", r.Connect.OK, r.Connect.Failed, r.Connect.Secs, r.Connect.Rate)
	fmt.Fprintf(w, "  writes/s    %.0f  (%d writes, %d rounds in %.1fs, %d write errors)\n", r.WritesPerSec, r.Writes, r.Rounds, r.Secs, r.WriteErrors)
	fmt.Fprintf(w, "  server CPU  %.2f cores, %.0f ns per write\n", r.ServerCores, r.NsPerWrite)
	fmt.Fprintf(w, "  checks      loss %d  dups %d\n", r.Loss, r.Dups)
	fmt.Fprintf(w, "  latency ms  p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  (%d samples)\n", r.Latency.P50, r.Latency.P99, r.Latency.P999, r.Latency.Max, r.Latency.Count)
}

func (r *fanoutResult) print(w io.Writer) {
	if r.Ceiling != nil {
		r.Ceiling.print(w)
	}
	fmt.Fprintf(w, "fanout: %d connections, %d orgs × %d services, %d-byte events, %d per publish, %d client processes\n",
		r.Conns, r.Orgs, r.Services, r.Size, r.Batch, r.Procs)
	fmt.Fprintf(w, "  connect %d ok, %d failed in %.1fs (%.0f/s)\n", r.Connect.OK, r.Connect.Failed, r.Connect.Secs, r.Connect.Rate)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rate ev/s\tdeliv/s\tframes/s\tev/frame\t×ceiling\tp50 ms\tp99 ms\tp99.9 ms\tloss\tdups\tclosed\tdrain ms\tgw cores\tgw ns/deliv\tredis/ev\tok\t")
	for _, s := range r.Steps {
		fmt.Fprintf(tw, "%.0f\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%d\t%d\t%d\t%.2f\t%.0f\t%.1f\t%s\t\n",
			s.PubRate, s.DeliveriesPS, s.FramesPS, s.EventsPerFrame, s.RatioCeiling, s.Latency.P50, s.Latency.P99, s.Latency.P999,
			s.Loss, s.Dups, s.Closed, s.DrainMs, s.GatewayCores, s.CPUNsPerDeliv, s.RedisPerEvent, okWord(s))
	}
	tw.Flush()
	if r.Max != nil {
		fmt.Fprintf(w, "  max sustained: %.0f events/s → %.0f deliveries/s, %.0f frames/s", r.Max.PubRate, r.Max.DeliveriesPS, r.Max.FramesPS)
		if r.Max.RatioCeiling > 0 {
			fmt.Fprintf(w, " = %.0f%% of the ceiling", 100*r.Max.RatioCeiling)
		}
		fmt.Fprintln(w)
	}
	if r.Half != nil {
		fmt.Fprintf(w, "  at 50%%: p99 %.2f ms, p99.9 %.2f ms\n", r.Half.Latency.P99, r.Half.Latency.P999)
	}
	if n := len(r.Steps); n > 0 {
		fmt.Fprintf(w, "  redis per event (last step): %s\n", cmdList(r.Steps[n-1].RedisCmds))
	}
}

func okWord(s *stepResult) string {
	if s.OK {
		return "ok"
	}
	return "FAIL: " + s.Why
}

func cmdList(cs []cmdRate) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s %.2f", c.Cmd, c.PerUnit))
	}
	return strings.Join(parts, ", ")
}

func (r *connsResult) print(w io.Writer) {
	fmt.Fprintf(w, "conns: %d idle connections over %d gateway(s), %d client processes, %d orgs, held %.0fs\n",
		r.Conns, len(r.Gateways), r.Procs, r.Orgs, r.HoldSecs)
	fmt.Fprintf(w, "  connect %d ok, %d failed in %.1fs (%.0f/s) %v\n", r.Connect.OK, r.Connect.Failed, r.Connect.Secs, r.Connect.Rate, r.Connect.Errors)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "gateway\tconns\theap MiB before→after\theap B/conn\tlive B/conn\tRSS MiB before→after\tRSS B/conn\tgoroutines before→after\tfds\t")
	for _, g := range r.Gateways {
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f→%.1f\t%.0f\t%.0f\t%.1f→%.1f\t%.0f\t%.0f→%.0f\t%.0f\t\n", g.Addr, g.Conns,
			g.HeapBefore/(1<<20), g.HeapAfter/(1<<20), g.HeapPerConn, g.AllocPerConn,
			g.RSSBefore/(1<<20), g.RSSAfter/(1<<20), g.RSSPerConn, g.GoroutinesBefore, g.GoroutinesAfter, g.FDsAfter)
	}
	tw.Flush()
}

func (r *stormResult) print(w io.Writer) {
	fmt.Fprintf(w, "storm: %d connections in %d orgs drop at once, %.0f events/s keep flowing\n", r.Conns, r.Orgs, r.Rate)
	fmt.Fprintf(w, "  reconnected       %d (failed %d, recovered:false %d) in %.1fs\n", r.Reconnected, r.ReconnectFail, r.Unrecovered, r.DialSecs)
	fmt.Fprintf(w, "  missed per client min %d  avg %.1f  max %d\n", r.MissedMin, r.MissedAvg, r.MissedMax)
	fmt.Fprintf(w, "  all caught up     %d ms after the reconnect began (%d still behind)\n", r.AllCaughtUpMs, r.Behind)
	fmt.Fprintf(w, "  catch-up ms       p50 %.0f  p99 %.0f  max %.0f\n", r.CatchUp.P50, r.CatchUp.P99, r.CatchUp.Max)
	fmt.Fprintf(w, "  redis/reconnect   %.2f: %s\n", r.RedisPerReconn, cmdList(r.RedisCmds))
	fmt.Fprintf(w, "  checks            loss %d  dups %d  gaps %d  closed by gateway %d\n", r.Loss, r.Dups, r.Gaps, r.Closed)
}
