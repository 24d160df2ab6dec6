package main

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// cmdStats is Redis INFO commandstats: command → calls. Commands that Lua
// scripts run count too (as in Redis itself), so a publish shows as one
// evalsha plus the XADDs and PUBLISHes inside it.
type cmdStats map[string]int64

func commandStats(ctx context.Context, rdb *redis.Client) (cmdStats, error) {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	out := cmdStats{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		calls, _, _ := strings.Cut(strings.TrimPrefix(rest, "calls="), ",")
		if n, err := strconv.ParseInt(calls, 10, 64); err == nil {
			out[strings.TrimPrefix(name, "cmdstat_")] = n
		}
	}
	return out, nil
}

// minus returns s − o per command, leaving out zeros and the INFO calls
// that measuring itself makes.
func (s cmdStats) minus(o cmdStats) cmdStats {
	out := cmdStats{}
	for k, v := range s {
		if d := v - o[k]; d != 0 && k != "info" {
			out[k] = d
		}
	}
	return out
}

func (s cmdStats) total() int64 {
	var n int64
	for _, v := range s {
		n += v
	}
	return n
}

// perUnit divides every count by n (reconnects, events), dropping what
// rounds to nothing, in a stable order for printing.
func (s cmdStats) perUnit(n float64) []cmdRate {
	var out []cmdRate
	for k, v := range s {
		if r := float64(v) / n; r >= 0.005 || r <= -0.005 {
			out = append(out, cmdRate{Cmd: k, PerUnit: r})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PerUnit > out[j].PerUnit })
	return out
}

// cmdRate is one command's calls per unit of work.
type cmdRate struct {
	Cmd     string  `json:"cmd"`
	PerUnit float64 `json:"perUnit"`
}
