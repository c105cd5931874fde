package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/testport"
	"github.com/boxoffice/boxoffice/node"
)

// monitoringTimeout bounds TestMonitoringAgainstPrometheus from the
// cluster's start to the last query.
const monitoringTimeout = 55 * time.Second

// grafanaVariables stand in for what Grafana substitutes in the
// dashboard's queries: every node, and a rate window of a few of the
// test's 1 s scrapes.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "10s", "$instance", ".*")

// TestMonitoringAgainstPrometheus starts a 3-node cluster with traffic
// (holds, sells, and sells refused NOT_FOUND), a real Prometheus that
// scrapes its nodes every second and loads alerts.yml, and checks through
// Prometheus's HTTP API that every node is up, every rule is loaded and
// evaluates without error, every rule's expression and every dashboard
// query evaluates, and every dashboard query returns data. On the healthy
// cluster no alert about the cluster's state is pending or firing.
func TestMonitoringAgainstPrometheus(t *testing.T) {
	binary, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus is not installed (Debian: apt-get install prometheus; .ci/run installs it)")
	}
	alerts, err := filepath.Abs(alertsPath)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), monitoringTimeout)
	defer cancel()

	tc := node.NewTestCluster(t, 3)
	inv := tc.Inventory(0)
	if _, err := inv.CreateEvent(ctx, &boxofficev1.CreateEventRequest{
		RequestId: "create-arena", EventId: "arena", Name: "Arena", Venue: cluster.DemoArena("Arena"),
	}); err != nil {
		t.Fatal(err)
	}
	var targets []string
	for i := range tc.Len() {
		targets = append(targets, fmt.Sprintf("%q", tc.Host(i).HTTPAddr()))
	}

	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: boxoffice
    static_configs:
      - targets: [%s]
`, alerts, strings.Join(targets, ", "))), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", testport.Ports(t, 1)[0])
	var logs bytes.Buffer
	prom := exec.Command(binary, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+listen, "--log.level=warn")
	prom.Stdout, prom.Stderr = &logs, &logs
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = prom.Process.Kill()
		_ = prom.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	})
	api := &promAPI{base: "http://" + listen}

	// Traffic until the test ends: a hold and its sale, and a sale of a
	// hold that does not exist (NOT_FOUND), every 20 ms.
	trafficCtx, stopTraffic := context.WithCancel(ctx)
	var traffic sync.WaitGroup
	traffic.Add(1)
	go func() {
		defer traffic.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-trafficCtx.Done():
				return
			case <-tick.C:
			}
			fan := fmt.Sprintf("fan%d", i)
			held, err := inv.Hold(trafficCtx, &boxofficev1.HoldRequest{RequestId: "h-" + fan, EventId: "arena", Holder: fan,
				Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1}}})
			if err == nil {
				_, _ = inv.Sell(trafficCtx, &boxofficev1.SellRequest{RequestId: "s-" + fan, EventId: "arena", HoldId: held.HoldId,
					Holder: fan, OrderId: "o-" + fan, Buyer: fan})
			}
			_, _ = inv.Sell(trafficCtx, &boxofficev1.SellRequest{RequestId: "x-" + fan, EventId: "arena", HoldId: "no-such-hold",
				Holder: fan, OrderId: "x-" + fan, Buyer: fan})
		}
	}()
	defer func() { stopTraffic(); traffic.Wait() }()

	waitFor(ctx, t, "Prometheus to scrape all 3 nodes", func() (bool, string) {
		result, err := api.query(ctx, `sum(up{job="boxoffice"})`)
		if err != nil {
			return false, err.Error()
		}
		return len(result) == 1 && result[0].Value[1] == "3", fmt.Sprintf("sum(up) = %v", result)
	})
	t.Logf("all nodes scraped after %v", time.Since(began).Round(time.Millisecond))

	// Every rule of alerts.yml loaded and evaluated by Prometheus's rule
	// manager without error.
	names := alertNames(t)
	var rules []promRule
	waitFor(ctx, t, "every rule of alerts.yml evaluated", func() (bool, string) {
		rules, err = api.rules(ctx)
		if err != nil {
			return false, err.Error()
		}
		health := map[string]string{}
		for _, r := range rules {
			health[r.Name] = r.Health + " " + r.LastError
			if r.Health != "ok" {
				return false, fmt.Sprintf("rules: %v", health)
			}
		}
		return len(rules) == len(names), fmt.Sprintf("%d rules loaded, alerts.yml has %d: %v", len(rules), len(names), health)
	})
	for _, r := range rules {
		if _, err := api.query(ctx, r.Query); err != nil {
			t.Errorf("rule %s: %s: %v", r.Name, r.Query, err)
		}
	}

	// Every dashboard query evaluates, and returns data once the scrapes
	// have seen the traffic.
	queries := dashboardQueries(readDashboard(t))
	empty := map[string]string{}
	for name, expr := range queries {
		empty[name] = grafanaVariables.Replace(expr)
	}
	waitFor(ctx, t, "every dashboard query to return data", func() (bool, string) {
		for name, expr := range empty {
			result, err := api.query(ctx, expr)
			if err != nil {
				t.Fatalf("dashboard panel %s: %s: %v", name, expr, err)
			}
			if len(result) > 0 {
				delete(empty, name)
			}
		}
		var left []string
		for name := range empty {
			left = append(left, name)
		}
		sort.Strings(left)
		return len(left) == 0, "no data yet: " + strings.Join(left, ", ")
	})

	// A healthy cluster raises no alert about its state. Commit latency
	// and disk space depend on the machine, not on the cluster's health.
	// A loaded machine can leave a rule pending for an evaluation or two
	// (a scrape that missed a node, an election); it must clear, and none
	// may fire.
	waitFor(ctx, t, "no alert about the cluster's state", func() (bool, string) {
		result, err := api.query(ctx, `ALERTS{alertname!~"BoxofficeCommitLatencyHigh|BoxofficeDiskAlmostFull"}`)
		if err != nil {
			t.Fatal(err)
		}
		var alerts []string
		for _, alert := range result {
			if alert.Metric["alertstate"] == "firing" {
				t.Fatalf("alert firing on a healthy cluster: %v", alert.Metric)
			}
			alerts = append(alerts, fmt.Sprint(alert.Metric))
		}
		return len(alerts) == 0, "alerts on a healthy cluster: " + strings.Join(alerts, "; ")
	})
	t.Logf("%d dashboard queries and %d rules checked in %v", len(queries), len(rules), time.Since(began).Round(time.Millisecond))
}

// waitFor polls cond every 200 ms until it holds, failing the test with
// cond's last explanation when ctx ends.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, why := cond()
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; last: %s", what, ctx.Err(), why)
		case <-tick.C:
		}
	}
}

// promAPI is the part of Prometheus's HTTP API the test calls.
type promAPI struct{ base string }

type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

type promRule struct {
	Name      string `json:"name"`
	Query     string `json:"query"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
	Type      string `json:"type"`
}

// get decodes the data of a successful answer of path into data; an
// answer with status "error" (a query that does not parse or evaluate)
// is the error.
func (p *promAPI) get(ctx context.Context, path string, data any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var answer struct {
		Status    string          `json:"status"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return fmt.Errorf("GET %s: HTTP %d: %w", path, resp.StatusCode, err)
	}
	if answer.Status != "success" {
		return fmt.Errorf("GET %s: %s: %s", path, answer.ErrorType, answer.Error)
	}
	return json.Unmarshal(answer.Data, data)
}

// query evaluates expr at the current time; a scalar answers one sample.
func (p *promAPI) query(ctx context.Context, expr string) ([]promSample, error) {
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := p.get(ctx, "/api/v1/query?query="+url.QueryEscape(expr), &data); err != nil {
		return nil, err
	}
	switch data.ResultType {
	case "vector":
		var samples []promSample
		err := json.Unmarshal(data.Result, &samples)
		return samples, err
	case "scalar":
		var value [2]any
		err := json.Unmarshal(data.Result, &value)
		return []promSample{{Value: value}}, err
	default:
		return nil, fmt.Errorf("%s: result of type %s, want a vector or a scalar", expr, data.ResultType)
	}
}

// rules returns every rule Prometheus loaded.
func (p *promAPI) rules(ctx context.Context) ([]promRule, error) {
	var data struct {
		Groups []struct {
			Rules []promRule `json:"rules"`
		} `json:"groups"`
	}
	if err := p.get(ctx, "/api/v1/rules", &data); err != nil {
		return nil, err
	}
	var out []promRule
	for _, g := range data.Groups {
		out = append(out, g.Rules...)
	}
	return out, nil
}
