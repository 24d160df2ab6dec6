package monitoring

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

// Every panel query of the dashboard returns data from a real Prometheus
// that scrapes two real gateway nodes under a short load, and the series
// the load drives are above zero (a dashboard of flat zeros would pass the
// first check alone).
func TestDashboardQueriesAgainstPrometheus(t *testing.T) {
	queries := dashboardQueries(t)
	srv := redistest.Start(t)
	nodes := []*gatewaytest.Node{
		gatewaytest.Start(t, gatewaytest.Options{RedisAddr: srv.Addr}),
		gatewaytest.Start(t, gatewaytest.Options{RedisAddr: srv.Addr}),
	}
	prom := startPrometheus(t, nodes)
	org := redistest.UniqueName(t)
	if err := srv.Client(t).HSet(context.Background(), "realtime:rollout", "deny:user:denied", "1").Err(); err != nil {
		t.Fatal(err)
	}
	// Prometheus's first target sync takes ~5 s; load before the first
	// scrape would be invisible to rate().
	testutil.EventuallyNote(t, 30*time.Second, "both nodes scraped", func() (bool, string) {
		vs, err := prom.query(`sum(up{job="realtime"})`)
		return err == nil && len(vs) == 1 && vs[0] == 2, fmt.Sprint(vs, err)
	})
	runLoad(t, nodes, org)

	testutil.EventuallyNote(t, 30*time.Second, "every panel query to return data", func() (bool, string) {
		for _, q := range queries {
			if vs, err := prom.query(q.Expr); err != nil || len(vs) == 0 {
				return false, fmt.Sprintf("panel %q: %s: %v %v", q.Panel, q.Expr, vs, err)
			}
		}
		return true, ""
	})
	moved := []string{
		`sum(realtime_connections_active)`,
		`sum(rate(realtime_connections_opened_total[2m]))`,
		`sum(rate(realtime_events_delivered_total[2m]))`,
		`histogram_quantile(0.99, sum by (le) (rate(realtime_delivery_latency_seconds_bucket[2m])))`,
		`sum(rate(realtime_replay_events_count[2m]))`,
		`sum(rate(realtime_resumes_unrecovered_total[2m]))`,
		`sum(rate(realtime_long_polls_total[2m]))`,
		`sum(realtime_sse_streams_active)`,
		`sum(rate(realtime_rollout_decisions_total{outcome="websocket"}[2m]))`,
		`sum(rate(realtime_rollout_decisions_total{outcome="fallback",reason="denied"}[2m]))`,
		`sum(rate(realtime_disconnects_total[2m]))`,
		`sum(rate(realtime_readyz_checks_total{result="ready"}[2m]))`,
	}
	testutil.EventuallyNote(t, 30*time.Second, "the load's series above zero", func() (bool, string) {
		for _, m := range moved {
			vs, err := prom.query(m)
			if err != nil || len(vs) == 0 || !(vs[0] > 0) || math.IsInf(vs[0], 0) {
				return false, fmt.Sprintf("%s = %v (%v)", m, vs, err)
			}
		}
		return true, ""
	})
	t.Logf("%d panel queries returned data", len(queries))
}

// runLoad drives every kind of traffic the dashboard shows: WebSocket
// clients on both nodes receiving events, resumes (recovered and not), a
// denied handshake, long-polls, an SSE stream left open, readiness checks.
// Connections stay open until the test ends.
func runLoad(t *testing.T, nodes []*gatewaytest.Node, org string) {
	t.Helper()
	hs := map[string]any{"services": []string{"s"}, "version": 1}
	var clients []*wstest.Client
	for i := range 4 {
		c := wstest.Dial(t, nodes[i%2].StreamURL(gatewaytest.Token(t, org, fmt.Sprint("u", i))), wstest.Options{})
		c.Send(hs)
		c.Expect("ack")
		clients = append(clients, c)
	}
	denied := wstest.Dial(t, nodes[0].StreamURL(gatewaytest.Token(t, org, "denied")), wstest.Options{})
	denied.Send(hs)
	if m := denied.Next(5 * time.Second); m.Type != "fallback" {
		t.Fatalf("denied user got %s", m.Raw)
	}
	openSSE(t, nodes[1], gatewaytest.Token(t, org, "sse"))
	tok := gatewaytest.Token(t, org, "poller")
	var last int64
	for i := range 30 {
		seq, err := nodes[i%2].Publish(org, "s", "t", `{"i":`+strconv.Itoa(i)+`}`)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range clients {
			c.Events(1)
		}
		get(t, nodes[i%2].URL("/v2/realtime/poll?services=s&lastSeq="+strconv.FormatInt(last, 10)), tok)
		get(t, nodes[i%2].URL("/readyz"), "")
		last = seq
		time.Sleep(100 * time.Millisecond) // spread over several scrapes
	}
	// Resumes: one recovered (lastSeq with the right epoch), one not.
	resumed := wstest.Dial(t, nodes[1].StreamURL(gatewaytest.Token(t, org, "u9")), wstest.Options{})
	resumed.Send(map[string]any{"services": []string{"s"}, "version": 1, "lastSeq": last - 3, "epoch": epochOf(t, nodes[0], org)})
	if m := resumed.Expect("ack"); m.Recovered == nil || !*m.Recovered {
		t.Fatalf("resume not recovered: %s", m.Raw)
	}
	lost := wstest.Dial(t, nodes[0].StreamURL(gatewaytest.Token(t, org, "u8")), wstest.Options{})
	lost.Send(map[string]any{"services": []string{"s"}, "version": 1, "lastSeq": last, "epoch": "NOTTHEEPOCH"})
	if m := lost.Expect("ack"); m.Recovered == nil || *m.Recovered {
		t.Fatalf("resume with a wrong epoch: %s", m.Raw)
	}
}

// epochOf reads the org's epoch from a long-poll answer.
func epochOf(t *testing.T, n *gatewaytest.Node, org string) string {
	t.Helper()
	var out struct {
		Epoch string `json:"epoch"`
	}
	if err := json.Unmarshal(get(t, n.URL("/v2/realtime/poll?services=s&lastSeq=0"), gatewaytest.Token(t, org, "epoch")), &out); err != nil || out.Epoch == "" {
		t.Fatalf("epoch: %v %+v", err, out)
	}
	return out.Epoch
}

func get(t *testing.T, u, token string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		b.WriteString(sc.Text())
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b.String())
	}
	return []byte(b.String())
}

// openSSE opens an SSE stream and keeps reading it until the test ends.
func openSSE(t *testing.T, n *gatewaytest.Node, token string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.URL("/v2/realtime/sse?services=s"), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		cancel()
		t.Fatalf("SSE: %v %v", err, resp)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
		}
	})
	t.Cleanup(func() { cancel(); resp.Body.Close(); wg.Wait() })
}

// prometheus is one real Prometheus server owned by a test.
type prometheus struct{ base string }

// startPrometheus runs prometheus scraping the nodes every second, on a
// free port with its data in a temp dir; it is stopped in t.Cleanup.
func startPrometheus(t *testing.T, nodes []*gatewaytest.Node) *prometheus {
	t.Helper()
	bin := need(t, "prometheus")
	dir := t.TempDir()
	var targets []string
	for _, n := range nodes {
		targets = append(targets, `"`+n.Addr+`"`)
	}
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: realtime\n    static_configs:\n      - targets: [%s]\n", strings.Join(targets, ", "))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := testutil.FreeAddr(t)
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr, "--log.level=warn")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("prometheus output:\n%s", out.String())
		}
	})
	p := &prometheus{base: "http://" + addr}
	testutil.EventuallyNote(t, 30*time.Second, "prometheus ready", func() (bool, string) {
		resp, err := http.Get(p.base + "/-/ready")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})
	return p
}

// query runs an instant query and returns the sample values.
func (p *prometheus) query(expr string) ([]float64, error) {
	resp, err := http.Get(p.base + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s", r.Status, r.Error)
	}
	var out []float64
	for _, s := range r.Data.Result {
		str, _ := s.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("value %v: %w", s.Value[1], err)
		}
		out = append(out, v)
	}
	return out, nil
}
