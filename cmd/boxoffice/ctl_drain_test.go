package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node"
)

// TestCtlDrainUndrainTransferLeader: an operator's restart procedure on an
// in-process cluster. transfer-leader waits until the node leads the
// group; drain waits, printing how many groups the node still leads,
// until it leads none, and status marks it; undrain lets it lead again;
// unknown nodes and groups are refused naming them.
func TestCtlDrainUndrainTransferLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3-node cluster; skipped with -short")
	}
	tc := node.NewTestCluster(t, 3, func(i int, c *node.Config) { c.RebalanceInterval = 200 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	addr := "--addr=" + strings.Join(tc.Addrs(), ",")
	leads := func(i int) []string {
		var led []string
		for _, id := range []string{"meta", "g000", "g001", "g002"} {
			if tc.IsLeader(i, id) {
				led = append(led, id)
			}
		}
		return led
	}

	stdout, stderr, err := ctl(t, ctx, addr, "transfer-leader", "meta", "n3")
	if err != nil || !strings.Contains(stdout, "n3 leads meta") || !tc.IsLeader(2, "meta") {
		t.Fatalf("transfer-leader meta n3: %v\n%s%s", err, stdout, stderr)
	}

	stdout, stderr, err = ctl(t, ctx, addr, "drain", "n3")
	if err != nil || !strings.Contains(stdout, "n3 is drained") || !strings.Contains(stderr, "n3 leads 0 groups") {
		t.Fatalf("drain n3: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	t.Logf("drain n3 printed:\n%s%s", stderr, stdout)
	if led := leads(2); len(led) > 0 {
		t.Fatalf("drain answered while n3 leads %v", led)
	}
	stdout, _, err = ctl(t, ctx, addr, "status")
	if err != nil || !strings.Contains(stdout, "alive, DRAINING") {
		t.Fatalf("status does not mark n3 draining: %v\n%s", err, stdout)
	}
	// A drained node is refused as a leader, by name.
	_, _, err = ctl(t, ctx, addr, "transfer-leader", "g000", "n3")
	if err == nil || !strings.Contains(err.Error(), "NODE_DRAINING") || !strings.Contains(err.Error(), `"n3"`) {
		t.Fatalf("transfer-leader to draining n3: %v", err)
	}
	// Draining again resumes (here: ends) the wait; --wait=false only marks.
	stdout, _, err = ctl(t, ctx, addr, "drain", "n3", "--wait=false", "--json")
	if err != nil || protojson.Unmarshal([]byte(stdout), &boxofficev1.DrainResponse{}) != nil {
		t.Fatalf("drain --wait=false --json: %v\n%s", err, stdout)
	}

	stdout, _, err = ctl(t, ctx, addr, "undrain", "n3")
	if err != nil || !strings.Contains(stdout, "n3 is no longer draining") {
		t.Fatalf("undrain n3: %v\n%s", err, stdout)
	}
	node.WaitFor(t, 20*time.Second, "n3 leading a data group again", func() bool { return len(leads(2)) > 0 })

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"drain", "n9"}, `NOT_FOUND`},
		{[]string{"undrain", "n9"}, `"n9"`},
		{[]string{"transfer-leader", "g999", "n1"}, `"g999"`},
		{[]string{"transfer-leader", "g000", "n9"}, `"n9"`},
	} {
		_, _, err := ctl(t, ctx, append([]string{addr}, bad.args...)...)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: %v, want an error with %s", bad.args, err, bad.want)
		}
	}
}
