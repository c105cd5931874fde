package main

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster/client/clienttest"
)

// TestCtlStatusVersions: status shows each node's release and feature
// level, marks a node on an older build, and says when the cluster runs
// mixed versions; a cluster of one release gets no such line.
func TestCtlStatusVersions(t *testing.T) {
	fake, addr := fakeCluster(t, nil)
	nodes := []*boxofficev1.NodeInfo{
		{NodeId: "n1", GrpcAddr: fake.Addrs()[0], State: "alive", ReleaseVersion: "v0.2.0", FeatureLevel: 2},
		{NodeId: "n2", GrpcAddr: "10.0.0.2:7101", State: "alive", FeatureLevel: 1, OlderBuild: true},
	}
	groups := []*boxofficev1.GroupStatus{{GroupId: "g1", LeaderNodeId: "n1",
		Replicas: []*boxofficev1.ReplicaStatus{{NodeId: "n1", RaftState: "Leader", Voter: true}}}}
	fake.SetStatus(&boxofficev1.StatusResponse{NodeId: "n1", Nodes: nodes, Groups: groups, ClusterFeatureLevel: 1, MixedVersions: true})
	stdout, _, err := ctl(t, context.Background(), addr, "status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"MIXED VERSIONS", "feature level above 1", "ctl upgrade-check", "on a build older than n1's: n2\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status output does not contain %q:\n%s", want, stdout)
		}
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(stdout, "\n") {
		if fields := strings.Fields(line); len(fields) >= 9 {
			rows[fields[0]] = fields[len(fields)-2:]
		}
	}
	for node, want := range map[string]string{"NODE": "VERSION LEVEL", "n1": "v0.2.0 2", "n2": "- 1"} {
		if got := strings.Join(rows[node], " "); got != want {
			t.Errorf("status row %s ends %q, want %q:\n%s", node, got, want, stdout)
		}
	}

	nodes[1].ReleaseVersion, nodes[1].FeatureLevel, nodes[1].OlderBuild = "v0.2.0", 2, false
	fake.SetStatus(&boxofficev1.StatusResponse{NodeId: "n1", Nodes: nodes, Groups: groups, ClusterFeatureLevel: 2})
	stdout, _, err = ctl(t, context.Background(), addr, "status")
	if err != nil || strings.Contains(stdout, "MIXED") || strings.Count(stdout, "v0.2.0   2\n") != 2 {
		t.Errorf("status of a cluster of one release (%v):\n%s", err, stdout)
	}
}

// TestCtlUpgradeCheck: upgrade-check passes --level on, prints the levels
// when every node has it, and fails with the node's refusal (naming the
// older nodes) or with advice when the node asked predates the call.
func TestCtlUpgradeCheck(t *testing.T) {
	var answer func(*boxofficev1.CheckFeatureLevelRequest) (proto.Message, error)
	fake, addr := fakeCluster(t, func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		return answer(req.(*boxofficev1.CheckFeatureLevelRequest))
	})
	answer = func(r *boxofficev1.CheckFeatureLevelRequest) (proto.Message, error) {
		return &boxofficev1.CheckFeatureLevelResponse{FeatureLevel: max(r.FeatureLevel, 2), ClusterFeatureLevel: 2}, nil
	}
	stdout, _, err := ctl(t, context.Background(), addr, "upgrade-check", "--level", "2")
	if err != nil || !strings.Contains(stdout, "every registered node runs feature level 2 or newer") {
		t.Fatalf("upgrade-check on an upgraded cluster: %v\n%s", err, stdout)
	}
	if got := lastRequest[*boxofficev1.CheckFeatureLevelRequest](t, fake, "CheckFeatureLevel").FeatureLevel; got != 2 {
		t.Errorf("--level 2 sent feature_level %d", got)
	}

	answer = func(*boxofficev1.CheckFeatureLevelRequest) (proto.Message, error) {
		st, _ := status.New(codes.FailedPrecondition, "feature level 2 needs every node on a newer build; still older: n2 (level 1)").
			WithDetails(&errdetails.ErrorInfo{Reason: boxofficev1.ReasonClusterUpgrading, Domain: "boxoffice.dev"})
		return nil, st.Err()
	}
	_, _, err = ctl(t, context.Background(), addr, "upgrade-check")
	if err == nil || !strings.Contains(err.Error(), "CLUSTER_UPGRADING") || !strings.Contains(err.Error(), "n2 (level 1)") {
		t.Fatalf("upgrade-check during an upgrade: %v, want CLUSTER_UPGRADING naming n2", err)
	}

	answer = func(*boxofficev1.CheckFeatureLevelRequest) (proto.Message, error) {
		return nil, status.Error(codes.Unimplemented, "unknown method CheckFeatureLevel")
	}
	_, _, err = ctl(t, context.Background(), addr, "upgrade-check")
	if err == nil || !strings.Contains(err.Error(), "older than feature levels") {
		t.Fatalf("upgrade-check asking a v0.1.0 node: %v", err)
	}
}
