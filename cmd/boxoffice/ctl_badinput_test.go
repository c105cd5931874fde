package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node"
)

// clusterShape is what an operator command could change: the nodes and
// their drain marks, and each group's replicas and preferred leader.
func clusterShape(t *testing.T, ctx context.Context, c boxofficev1.ClusterClient) string {
	t.Helper()
	resp, err := c.Status(ctx, &boxofficev1.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, n := range resp.GetNodes() {
		fmt.Fprintf(&b, "node %s draining=%v\n", n.GetNodeId(), n.GetDraining())
	}
	for _, g := range resp.GetGroups() {
		var replicas []string
		for _, r := range g.GetReplicas() {
			replicas = append(replicas, r.GetNodeId())
		}
		slices.Sort(replicas)
		fmt.Fprintf(&b, "group %s replicas=%v preferred=%s\n", g.GetGroupId(), replicas, g.GetPreferredLeaderNodeId())
	}
	return b.String()
}

// TestCtlBadOperatorInput: each mistake an operator can make about a node
// or group id, or by leaving out an argument, is refused with the gRPC
// code and reason of the API (or as a usage error, before anything is
// sent), the message names the bad input, and the cluster is as before.
func TestCtlBadOperatorInput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3-node cluster; skipped with -short")
	}
	tc := node.NewTestCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	addr := "--addr=" + strings.Join(tc.Addrs(), ",")
	before := clusterShape(t, ctx, tc.ClusterClient(0))

	for _, tt := range []struct {
		args   []string
		code   codes.Code // codes.OK: a usage error, refused before any call
		reason string
		want   string // in the message
	}{
		{[]string{"drain", "n9"}, codes.NotFound, boxofficev1.ReasonNotFound, `"n9"`},
		{[]string{"undrain", "n9"}, codes.NotFound, boxofficev1.ReasonNotFound, `"n9"`},
		{[]string{"transfer-leader", "g000", "n9"}, codes.NotFound, boxofficev1.ReasonNotFound, `"n9"`},
		{[]string{"transfer-leader", "g999", "n1"}, codes.NotFound, boxofficev1.ReasonNotFound, `"g999"`},
		{[]string{"node", "remove", "n9"}, codes.NotFound, boxofficev1.ReasonNotFound, `"n9"`},
		{[]string{"drain"}, codes.OK, "", "<node>"},
		{[]string{"undrain"}, codes.OK, "", "<node>"},
		{[]string{"node", "remove"}, codes.OK, "", "<node>"},
		{[]string{"transfer-leader", "g000"}, codes.OK, "", "<node>"},
		{[]string{"transfer-leader"}, codes.OK, "", "<group> <node>"},
		{[]string{"backup", "verify"}, codes.OK, "", "<dir>"},
		{[]string{"backup"}, codes.OK, "", "--to"},
		{[]string{"backup", "schedule", "--every", "1h"}, codes.OK, "", "--to"},
		{[]string{"backup", "schedule", "--to", t.TempDir(), "--keep", "0"}, codes.OK, "", "--keep 0"},
		{[]string{"backup", "schedule", "--to", t.TempDir(), "--every", "10ms"}, codes.OK, "", "--every 10ms"},
		{[]string{"backup", "schedule", "--to", t.TempDir(), "--keep-within", "-1h"}, codes.OK, "", "--keep-within -1h0m0s"},
		{[]string{"backup", "schedule", "--to", t.TempDir(), "--tls-cert", "ops.pem"}, codes.OK, "", "--tls-cert and --tls-key"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, _, err := ctl(t, ctx, append([]string{addr}, tt.args...)...)
			switch {
			case err == nil:
				t.Fatal("no error")
			case tt.code == codes.OK && !errors.Is(err, errCtlUsage):
				t.Errorf("error %v, want a usage error", err)
			case tt.code != codes.OK && status.Code(err) != tt.code:
				t.Errorf("error %v, want code %v", err, tt.code)
			case boxofficev1.ReasonOf(err) != tt.reason:
				t.Errorf("error %v: reason %q, want %q", err, boxofficev1.ReasonOf(err), tt.reason)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %s", err, tt.want)
			}
			if after := clusterShape(t, ctx, tc.ClusterClient(0)); after != before {
				t.Errorf("the refused command changed the cluster:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}

	t.Run("backup of an unknown group", func(t *testing.T) {
		stream, err := tc.ClusterClient(0).Backup(ctx, &boxofficev1.BackupRequest{GroupId: "g999"})
		if err == nil {
			_, err = stream.Recv()
		}
		if status.Code(err) != codes.NotFound || boxofficev1.ReasonOf(err) != boxofficev1.ReasonNotFound || !strings.Contains(err.Error(), `"g999"`) {
			t.Errorf("Backup of g999: %v, want NOT_FOUND (%s) naming it", err, boxofficev1.ReasonNotFound)
		}
	})
}
