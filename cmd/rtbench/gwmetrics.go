package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// promSample is one scrape of a gateway's GET /metrics: series (name with
// labels, as printed) → value.
type promSample map[string]float64

// scrape reads addr's Prometheus text exposition.
func scrape(ctx context.Context, addr string) (promSample, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", addr, resp.Status)
	}
	return parseProm(bufio.NewScanner(resp.Body))
}

// parseProm reads "series value" lines, skipping comments.
func parseProm(sc *bufio.Scanner) (promSample, error) {
	out := promSample{}
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out, sc.Err()
}

// scrapeAll scrapes every gateway; a failure is fatal to the measurement.
func scrapeAll(ctx context.Context, addrs []string) ([]promSample, error) {
	out := make([]promSample, len(addrs))
	for i, a := range addrs {
		s, err := scrape(ctx, a)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// sumDelta sums after[i][name] − before[i][name] over gateways.
func sumDelta(before, after []promSample, name string) float64 {
	var d float64
	for i := range after {
		d += after[i][name] - before[i][name]
	}
	return d
}
