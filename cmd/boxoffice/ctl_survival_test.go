package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node"
)

// TestCtlSurvivalAndGroupsAdd: events create takes --survive and
// --home-region, events get and status show them; groups add adds
// groups; bad values are refused naming them.
func TestCtlSurvivalAndGroupsAdd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3-node cluster; skipped with -short")
	}
	regions := []string{"eu", "us", "ap"}
	tc := node.NewTestCluster(t, 3, func(i int, c *node.Config) {
		c.Locality = cluster.Locality{{Key: "region", Value: regions[i]}}
		c.RebalanceInterval = 200 * time.Millisecond
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	addr := "--addr=" + strings.Join(tc.Addrs(), ",")

	stdout, stderr, err := ctl(t, ctx, addr, "events", "create", "euro", "--name", "Euro", "--onsale", "1x1x4",
		"--survive", "region", "--home-region", "eu")
	if err != nil {
		t.Fatalf("events create: %v\n%s%s", err, stdout, stderr)
	}
	for _, want := range []string{"survive region", "home region eu", "shards 1 on 1 groups"} {
		if !strings.Contains(squeeze(stdout), want) {
			t.Errorf("events create printed\n%s\nwant %q", stdout, want)
		}
	}
	stdout, _, err = ctl(t, ctx, addr, "events", "get", "euro")
	if err != nil || !strings.Contains(squeeze(stdout), "home region eu") {
		t.Fatalf("events get: %v\n%s", err, stdout)
	}
	node.WaitFor(t, 30*time.Second, "status to show a group homed in eu", func() bool {
		stdout, _, err := ctl(t, ctx, addr, "status")
		return err == nil && strings.Contains(squeeze(stdout), "(home eu) n1")
	})

	stdout, _, err = ctl(t, ctx, addr, "groups", "add", "--count", "2")
	if err != nil || !strings.Contains(stdout, "added g003, g004") {
		t.Fatalf("groups add: %v\n%s", err, stdout)
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "create", "x", "--name", "X", "--onsale", "1x1x1", "--survive", "planet"}, `--survive "planet": want zone or region`},
		{[]string{"events", "create", "x", "--name", "X", "--onsale", "1x1x1", "--home-region", "mars"}, `home_region "mars": no node runs there (regions: ap, eu, us)`},
		{[]string{"groups", "add"}, "--count is required"},
		{[]string{"groups", "add", "--count", "65"}, "LIMIT_EXCEEDED"},
	} {
		_, _, err := ctl(t, ctx, append([]string{addr}, bad.args...)...)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: %v, want an error with %s", bad.args, err, bad.want)
		}
	}
}

// squeeze turns every run of spaces and tabs into one space, so that
// checks do not depend on the width of tabwriter's columns.
func squeeze(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
