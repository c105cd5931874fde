package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/internal/testport"
	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice/cluster/client/clienttest"
)

func TestCtlAddrRepeatedOrCommaSeparated(t *testing.T) {
	t.Setenv(ctlAddrEnv, "10.0.0.9:7101")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "10.0.0.9:7101"}, // $BOXOFFICE_ADDR
		{[]string{"--addr", "a:1,b:2"}, "a:1,b:2"},
		{[]string{"--addr", "a:1", "--addr", "b:2,c:3"}, "a:1,b:2,c:3"},
	} {
		opts := ctlNewOptions()
		fs := flagSetFor(opts)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(opts.addrList(), ","); got != tc.want {
			t.Errorf("%q: addresses %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestCtlStatusForming: while a group has no leader (or no group exists
// yet) status prints what it sees, says NOT READY and fails; with --wait
// it answers once the cluster is ready.
func TestCtlStatusForming(t *testing.T) {
	fake, addr := fakeCluster(t, nil)
	leaderless := &boxofficev1.StatusResponse{NodeId: "n1", Nodes: fake.NodeInfos(),
		Groups: []*boxofficev1.GroupStatus{{GroupId: "meta", Replicas: []*boxofficev1.ReplicaStatus{{NodeId: "n1", RaftState: "Candidate", Voter: true}}}}}
	for _, resp := range []*boxofficev1.StatusResponse{{NodeId: "n1", Nodes: fake.NodeInfos()}, leaderless} {
		fake.SetStatus(resp)
		stdout, _, err := ctl(t, context.Background(), addr, "status")
		if !errors.Is(err, errCtlNotReady) || !strings.Contains(stdout, "NOT READY: ") || !strings.Contains(err.Error(), "forming") {
			t.Fatalf("status of a forming cluster: err %v, want %v saying forming\n%s", err, errCtlNotReady, stdout)
		}
	}
	ready := proto.Clone(leaderless).(*boxofficev1.StatusResponse)
	ready.Groups[0].LeaderNodeId = "n1"
	go func() {
		time.Sleep(500 * time.Millisecond) // the cluster turns ready while status --wait waits
		fake.SetStatus(ready)
	}()
	stdout, _, err := ctl(t, context.Background(), addr, "status", "--wait", "20s")
	if err != nil || strings.Contains(stdout, "NOT READY") {
		t.Fatalf("status --wait: %v\n%s", err, stdout)
	}
}

// TestCtlStatusCatalogLeaderless: after a region holding a majority of
// the meta group's voters is lost, status still prints every node and
// group, marks the lost nodes, and says that the catalog has no leader
// and what that stops; with --wait it says on stderr what it waits for.
func TestCtlStatusCatalogLeaderless(t *testing.T) {
	fake, addr := fakeCluster(t, nil)
	down := func(id string) *boxofficev1.ReplicaStatus {
		return &boxofficev1.ReplicaStatus{NodeId: id, RaftState: ctlReplicaDown}
	}
	fake.SetStatus(&boxofficev1.StatusResponse{NodeId: "n4",
		Nodes: []*boxofficev1.NodeInfo{{NodeId: "n1", State: "dead"}, {NodeId: "n2", State: "dead"}, {NodeId: "n3", State: "dead"},
			{NodeId: "n4", GrpcAddr: fake.Addrs()[0], State: "alive"}, {NodeId: "n5", State: "alive"}},
		Groups: []*boxofficev1.GroupStatus{
			{GroupId: "g000", LeaderNodeId: "n4", Replicas: []*boxofficev1.ReplicaStatus{down("n1"), down("n2"),
				{NodeId: "n4", RaftState: "Leader", AppliedIndex: 5, CommitIndex: 5, Term: 4, Voter: true},
				{NodeId: "n5", RaftState: "Follower", AppliedIndex: 5, CommitIndex: 5, Term: 4, Voter: true}}},
			{GroupId: "meta", Replicas: []*boxofficev1.ReplicaStatus{down("n1"), down("n2"), down("n3"),
				{NodeId: "n4", RaftState: "Candidate", AppliedIndex: 14, CommitIndex: 14, Term: 9, Voter: true},
				{NodeId: "n5", RaftState: "Candidate", AppliedIndex: 14, CommitIndex: 14, Term: 9, Voter: true}}},
		}})
	stdout, stderr, err := ctl(t, context.Background(), addr, "status", "--wait", "1s")
	if !errors.Is(err, errCtlNotReady) {
		t.Fatalf("status: %v, want %v\n%s", err, errCtlNotReady, stdout)
	}
	for _, want := range []string{"n1=DOWN", "n3=DOWN", "n4=Leader 5/5 t4", "DOWN (dead)",
		"the catalog (group meta) has no leader and its replicas on n1 n2 n3 are unreachable",
		"creating or changing events", "data groups with a leader keep serving"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status does not say %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(err.Error(), "catalog (group meta) has no leader") {
		t.Errorf("error %q does not say that the catalog has no leader", err)
	}
	if !strings.Contains(stderr, "waiting up to") || !strings.Contains(stderr, "1 of 2 groups have no leader (meta)") {
		t.Errorf("status --wait did not say what it waits for:\n%s", stderr)
	}
}

// TestCtlStatusDownReplica: a replica whose node did not answer shows as
// DOWN with what the cluster knows of it, not as "nonvoter 0/0 t0".
func TestCtlStatusDownReplica(t *testing.T) {
	fake, addr := fakeCluster(t, nil)
	fake.SetStatus(&boxofficev1.StatusResponse{NodeId: "n1",
		Nodes: []*boxofficev1.NodeInfo{{NodeId: "n1", GrpcAddr: fake.Addrs()[0], State: "alive"}, {NodeId: "n2", GrpcAddr: "10.0.0.2:7101", State: "dead"}},
		Groups: []*boxofficev1.GroupStatus{{GroupId: "g1", LeaderNodeId: "n1", PreferredLeaderNodeId: "n2", Configuration: []string{"n1", "n2"},
			Replicas: []*boxofficev1.ReplicaStatus{
				{NodeId: "n1", RaftState: "Leader", AppliedIndex: 7, CommitIndex: 7, Term: 2, Voter: true},
				{NodeId: "n2", RaftState: ctlReplicaDown},
			}},
			{GroupId: "g2", LeaderNodeId: "n1", Configuration: []string{"n1", "n2"},
				Replicas: []*boxofficev1.ReplicaStatus{
					{NodeId: "n1", RaftState: "Leader", AppliedIndex: 9, CommitIndex: 9, Term: 3, Voter: true},
					{NodeId: "n2", RaftState: ctlReplicaDown, LastKnownRaftState: "Follower", LastKnownVoter: true, LastKnownTerm: 3,
						LastSeenUnixMs: time.Now().Add(-12 * time.Second).UnixMilli()},
				}}}})
	stdout, _, err := ctl(t, context.Background(), addr, "status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"n2=DOWN (in the leader's configuration, preferred leader)", "DOWN (dead)",
		"n2=DOWN (last seen Follower voter t3, 12s ago, in the leader's configuration)", "answered by n1 (--addr " + fake.Addrs()[0] + ")"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status does not say %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "0/0 t0") || strings.Contains(stdout, "nonvoter") {
		t.Errorf("a down replica shows as an empty non-voter:\n%s", stdout)
	}
}

func TestCtlNodeRemove(t *testing.T) {
	fake := clienttest.NewCluster(t, 1)
	fake.Handle(func(ctx context.Context, node *clienttest.Node, method string, req proto.Message) (proto.Message, error) {
		return &boxofficev1.RemoveNodeResponse{}, nil
	})
	dead := fmt.Sprintf("127.0.0.1:%d", testport.Ports(t, 1)[0]) // nothing listens
	stdout, _, err := ctl(t, context.Background(), "--addr", dead, "--addr", fake.Addrs()[0], "node", "remove", "n3")
	if err != nil || !strings.Contains(stdout, "node n3 removed") {
		t.Fatalf("node remove: %v\n%s", err, stdout)
	}
	if got := lastRequest[*boxofficev1.RemoveNodeRequest](t, fake, "RemoveNode").GetNodeId(); got != "n3" {
		t.Errorf("RemoveNode for %q, want n3", got)
	}
}

// TestCtlStatusOnProcesses walks an operator's view of real node
// processes: status says the cluster is forming while only one of three
// nodes runs, --wait answers once all three formed it; after n3 is
// killed, status asked at n3 first says n1 answered because n3 did not,
// and shows n3 DOWN in the group rows; node remove takes it out of every
// group (the lost-disk procedure of the README).
func TestCtlStatusOnProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes; skipped with -short")
	}
	pc := &processCluster{t: t, bin: buildBinary(t), dir: t.TempDir(), procs: make([]*exec.Cmd, 3)}
	ports := testport.Ports(t, 12)
	for i := range 3 {
		pc.ports = append(pc.ports, [4]int{ports[4*i], ports[4*i+1], ports[4*i+2], ports[4*i+3]})
	}
	t.Cleanup(func() {
		for i := range pc.procs {
			pc.kill(i)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pc.start(0)
	deadline := time.Now().Add(30 * time.Second)
	for {
		stdout, _, err := ctl(t, ctx, "--addr", pc.grpcAddr(0), "status")
		if errors.Is(err, errCtlNotReady) && strings.Contains(stdout, "NOT READY: ") {
			break // n1 answers and says the cluster is still forming
		}
		if err == nil {
			t.Fatalf("one of three nodes reports a ready cluster:\n%s", stdout)
		}
		if time.Now().After(deadline) {
			t.Fatalf("status of a forming cluster: %v\n%s", err, stdout)
		}
		time.Sleep(200 * time.Millisecond) // poll interval
	}
	pc.start(1)
	pc.start(2)
	all := pc.grpcAddr(0) + "," + pc.grpcAddr(1) + "," + pc.grpcAddr(2)
	if stdout, _, err := ctl(t, ctx, "--addr", all, "status", "--wait", "90s"); err != nil {
		log, _ := os.ReadFile(filepath.Join(pc.dir, "n3.log"))
		t.Fatalf("status --wait: %v\n%s\n%s", err, stdout, log)
	}

	// n1 hears from n3 (and remembers its role) once n3 answers a status.
	for {
		out, _, err := ctl(t, ctx, "--addr", pc.grpcAddr(0), "status")
		if err == nil && !strings.Contains(out, "n3=DOWN") && strings.Contains(out, "n3=") {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("n1 never heard from n3: %v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond) // poll interval
	}
	pc.kill(2)
	var stdout string
	for {
		var err error
		stdout, _, err = ctl(t, ctx, "--addr", pc.grpcAddr(2), "--addr", pc.grpcAddr(0), "status", "--wait", "30s")
		if err == nil && strings.Contains(stdout, "n3=DOWN") {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("status never showed n3 down: %v\n%s", err, stdout)
		}
		time.Sleep(200 * time.Millisecond) // poll interval
	}
	// n1 answered the status before the kill, so it tells n3's last role.
	for _, want := range []string{"answered by n1 (--addr " + pc.grpcAddr(0) + "), because the addresses before it did not answer", pc.grpcAddr(2) + ": ",
		"n3=DOWN (last seen "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status does not say %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "n3=unreachable") || strings.Contains(stdout, "0/0 t0") {
		t.Errorf("n3 shows as an empty replica:\n%s", stdout)
	}

	if out, _, err := ctl(t, ctx, "--addr", pc.grpcAddr(0), "--timeout", "60s", "node", "remove", "n3"); err != nil {
		t.Fatalf("node remove n3: %v\n%s", err, out)
	}
	stdout, _, err := ctl(t, ctx, "--addr", pc.grpcAddr(0), "status")
	if err != nil || strings.Contains(stdout, "n3=") {
		t.Errorf("after node remove, n3 is still a replica (or status fails: %v):\n%s", err, stdout)
	}
}

// flagSetFor registers the common ctl flags of opts on a new flag set.
func flagSetFor(opts *ctlOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	opts.register(fs)
	return fs
}
