package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// dashboard is the part of a Grafana dashboard's JSON model the tests read.
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Datasource  *datasource `json:"datasource"`
	GridPos     struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID      string      `json:"refId"`
		Expr       string      `json:"expr"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

const (
	dashboardPath = "grafana/boxoffice.json"
	alertsPath    = "prometheus/alerts.yml"
	runbookPath   = "../docs/operations.md"
)

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	return d
}

// dashboardQueries returns every PromQL target of d by "panel title/refId".
func dashboardQueries(d dashboard) map[string]string {
	out := map[string]string{}
	for _, p := range d.Panels {
		for _, target := range p.Targets {
			out[p.Title+"/"+target.RefID] = target.Expr
		}
	}
	return out
}

// TestDashboardStructure checks what Grafana needs to import the dashboard
// and show every panel: a recent schema, a Prometheus datasource variable
// that every panel and target uses, unique panel ids and titles, panels
// inside the 24-column grid, and a PromQL expression under a unique refId
// in every target. The expressions themselves are evaluated against a
// real Prometheus by TestMonitoringAgainstPrometheus.
func TestDashboardStructure(t *testing.T) {
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q: both are required", d.UID, d.Title)
	}
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d: want 36 or later (datasource references by uid)", d.SchemaVersion)
	}
	variables := map[string]string{}
	for _, v := range d.Templating.List {
		variables[v.Name] = v.Type
	}
	if variables["datasource"] != "datasource" {
		t.Errorf("templating: want a variable datasource of type datasource, have %v", variables)
	}
	ids := map[int]bool{}
	titles := map[string]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] || p.ID == 0 {
			t.Errorf("panel %q: id %d is zero or taken", p.Title, p.ID)
		}
		ids[p.ID] = true
		if p.Title == "" || titles[p.Title] {
			t.Errorf("panel id %d: title %q is empty or taken", p.ID, p.Title)
		}
		titles[p.Title] = true
		if g := p.GridPos; g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 || g.Y < 0 {
			t.Errorf("panel %q: gridPos %+v is outside the 24-column grid", p.Title, g)
		}
		if p.Type == "row" {
			continue
		}
		if p.Description == "" {
			t.Errorf("panel %q: no description (what it shows, which alert reads it)", p.Title)
		}
		if p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: datasource %+v, want prometheus ${datasource}", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q: no targets", p.Title)
		}
		refIDs := map[string]bool{}
		for _, target := range p.Targets {
			if strings.TrimSpace(target.Expr) == "" || target.RefID == "" || refIDs[target.RefID] {
				t.Errorf("panel %q: target %q has no expression or a missing or repeated refId", p.Title, target.RefID)
			}
			refIDs[target.RefID] = true
			if target.Datasource == nil || target.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q target %s: datasource %+v, want ${datasource}", p.Title, target.RefID, target.Datasource)
			}
		}
	}
	if len(dashboardQueries(d)) < 10 {
		t.Errorf("%d queries: the dashboard lost its panels", len(dashboardQueries(d)))
	}
}

var (
	alertNameRE = regexp.MustCompile(`(?m)^\s*- alert: (\w+)\s*$`)
	runbookRE   = regexp.MustCompile(`(?m)^\s*runbook_url: "docs/operations\.md#(\w+)"\s*$`)
	headingRE   = regexp.MustCompile(`(?m)^#+ (.+)$`)
)

// alertNames lists the alerts of alerts.yml in order.
func alertNames(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(alertsPath)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range alertNameRE.FindAllStringSubmatch(string(raw), -1) {
		names = append(names, m[1])
	}
	return names
}

// TestAlertsHaveRunbooks: every alert links its own section of
// docs/operations.md, and the section exists.
func TestAlertsHaveRunbooks(t *testing.T) {
	raw, err := os.ReadFile(alertsPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(runbookPath)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range headingRE.FindAllStringSubmatch(string(doc), -1) {
		anchors[githubAnchor(m[1])] = true
	}
	names := alertNames(t)
	links := runbookRE.FindAllStringSubmatch(string(raw), -1)
	if len(names) == 0 || len(links) != len(names) {
		t.Fatalf("%d alerts and %d runbook_url annotations in %s: want one each", len(names), len(links), alertsPath)
	}
	for i, name := range names {
		if want := strings.ToLower(name); links[i][1] != want {
			t.Errorf("alert %s links #%s, want #%s", name, links[i][1], want)
		}
		if !anchors[strings.ToLower(name)] {
			t.Errorf("alert %s: %s has no heading %q", name, runbookPath, name)
		}
	}
}

// githubAnchor is the anchor GitHub gives a Markdown heading: lower case,
// spaces to hyphens, punctuation other than hyphens and underscores dropped.
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}
