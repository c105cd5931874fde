package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/cluster/client"
	"github.com/boxoffice/boxoffice/internal/testport"
	"github.com/boxoffice/boxoffice/node"
)

// The previous release: the mixed-version test builds its binary from this
// tag (or, without the tag, from its commit).
const (
	previousReleaseTag    = "v0.1.0"
	previousReleaseCommit = "061bbe7"
)

// rollingFlags make a rolling restart quick: leaders leave a drained node
// within a rebalance pass.
var rollingFlags = []string{"--rebalance-interval", "300ms"}

// TestRollingRestartUnderLoad is the rolling-restart procedure of
// docs/operations.md over real processes, under on-sale traffic: each node
// in turn is drained (its leaderships move away), stopped with SIGTERM,
// started again, undrained, and waited for until its replicas have caught
// up. No call of the traffic may fail: the Go client's retries are
// allowed, an error that reaches the caller is not. Every acknowledged
// sale is there at the end and no seat is sold twice.
func TestRollingRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over real processes; skipped with -short")
	}
	pc := newProcessCluster(t, 3, rollingFlags...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	load := startOnSaleLoad(t, ctx, pc, "rolling")
	defer load.stop()
	load.waitOperations(100)

	for i := range pc.procs {
		rollNode(t, ctx, pc, i, pc.bin)
		load.waitOperations(load.operations.Load() + 50)
	}
	load.stop()
	load.check(ctx)
}

// TestMixedVersionUpgrade upgrades a cluster of the previous release
// (built from its git tag) to this build, one node at a time, under
// on-sale traffic, with zero caller-visible errors. While the versions are
// mixed, a feature of this build's feature level is refused with
// CLUSTER_UPGRADING, and it is allowed once the last node is upgraded. A
// node of the previous release follows an upgraded leader: it applies the
// catalog entries the new build writes, and it installs a snapshot the new
// build took (it is stopped until the leader's log moved past it).
func TestMixedVersionUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over real processes; skipped with -short")
	}
	oldSource := previousReleaseSource(t)
	oldBin, newBin := filepath.Join(t.TempDir(), "boxoffice-"+previousReleaseTag), filepath.Join(t.TempDir(), "boxoffice")
	// Both builds at once. The old release's source is in a new
	// directory each run: -trimpath keeps that path out of its packages,
	// so that a later run's build of it hits the build cache.
	builds := []*exec.Cmd{
		exec.Command("go", "build", "-trimpath", "-o", oldBin, "./cmd/boxoffice"),
		exec.Command("go", "build", "-ldflags", "-X github.com/boxoffice/boxoffice/node.Version=v0.2.0-test", "-o", newBin, "."),
	}
	builds[0].Dir = oldSource
	var buildWG sync.WaitGroup
	buildErrs := make([]error, len(builds))
	for i, b := range builds {
		buildWG.Add(1)
		go func() {
			defer buildWG.Done()
			if out, err := b.CombinedOutput(); err != nil {
				buildErrs[i] = fmt.Errorf("%s (in %s): %v\n%s", b, b.Dir, err, out)
			}
		}()
	}
	buildWG.Wait()
	if err := errors.Join(buildErrs...); err != nil {
		t.Fatal(err)
	}

	// Small logs, so that a follower down for a few seconds of traffic
	// needs the leader's snapshot to catch up.
	snapshotFlags := []string{"--raft-snapshot-threshold", "64", "--raft-trailing-logs", "32", "--raft-snapshot-interval", "500ms"}
	pc := &processCluster{t: t, bin: oldBin, dir: t.TempDir(), procs: make([]*exec.Cmd, 3),
		extra: append(slices.Clone(rollingFlags), snapshotFlags...)}
	ports := testport.Ports(t, 12)
	for i := range 3 {
		pc.ports = append(pc.ports, [4]int{ports[4*i], ports[4*i+1], ports[4*i+2], ports[4*i+3]})
	}
	t.Cleanup(func() {
		for i := range pc.procs {
			pc.kill(i)
		}
	})
	for i := range 3 {
		pc.start(i)
	}
	pc.waitReady()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	load := startOnSaleLoad(t, ctx, pc, "upgrade")
	defer load.stop()
	load.waitOperations(100)

	// n1 first: then it leads everything while n2 and n3, still on the
	// previous release, follow.
	rollNode(t, ctx, pc, 0, newBin)
	checkRefusedWhileMixed(t, ctx, pc, 0, "n2", "n3")
	leadEverything(t, ctx, pc, 0)
	// As meta leader, n1 registers its own release and level: n2 and n3
	// apply that catalog entry of the new build, and only they still
	// hold the feature back.
	node.WaitFor(t, 30*time.Second, "the refusal to name only n2 and n3", func() bool {
		return olderNodesNamed(ctx, pc, 0) == "n2,n3"
	})

	// n3 (previous release) stops; the traffic moves the leader's logs
	// past it and the upgraded leader snapshots; n3 comes back on the
	// previous release and must install the new build's snapshot.
	drainAndStop(t, ctx, pc, 2)
	taken := metricByGroup(t, pc, 0, "boxoffice_raft_snapshots_taken_total")
	load.waitOperations(load.operations.Load() + 300)
	node.WaitFor(t, 30*time.Second, "the upgraded leader to snapshot while n3 is down", func() bool {
		now := metricByGroup(t, pc, 0, "boxoffice_raft_snapshots_taken_total")
		for group, n := range now {
			if group != "meta" && n > taken[group] {
				return true
			}
		}
		return false
	})
	startAndCatchUp(t, ctx, pc, 2, oldBin)
	installed := metricByGroup(t, pc, 2, "boxoffice_raft_snapshots_installed_total")
	if sum(installed) == 0 {
		t.Fatalf("n3 (%s) caught up without installing a snapshot of the upgraded leader; installed: %v", previousReleaseTag, installed)
	}
	t.Logf("n3 on %s installed snapshots of the upgraded leader: %v", previousReleaseTag, installed)
	checkRefusedWhileMixed(t, ctx, pc, 0, "n2", "n3")

	rollNode(t, ctx, pc, 1, newBin)
	checkRefusedWhileMixed(t, ctx, pc, 1, "n3")
	node.WaitFor(t, 30*time.Second, "the refusal to name only n3", func() bool {
		return olderNodesNamed(ctx, pc, 1) == "n3"
	})
	rollNode(t, ctx, pc, 2, newBin)

	// Every node runs this build: the meta leader registers n3's level and
	// the feature opens.
	node.WaitFor(t, 30*time.Second, "the feature of level 2 to be allowed once every node is upgraded", func() bool {
		return clusterCall(ctx, pc, 2, func(ctx context.Context, c boxofficev1.ClusterClient) error {
			_, err := c.CheckFeatureLevel(ctx, &boxofficev1.CheckFeatureLevelRequest{FeatureLevel: 2})
			return err
		}) == nil
	})
	// A feature of level 2 that the mixed cluster refused now works.
	if err := clusterCall(ctx, pc, 2, func(ctx context.Context, c boxofficev1.ClusterClient) error {
		_, err := c.AddGroups(ctx, &boxofficev1.AddGroupsRequest{RequestId: "add-after-upgrade", Count: 1})
		return err
	}); err != nil {
		t.Fatalf("AddGroups after the upgrade: %v", err)
	}
	var st *boxofficev1.StatusResponse
	if err := clusterCall(ctx, pc, 0, func(ctx context.Context, c boxofficev1.ClusterClient) (err error) {
		st, err = c.Status(ctx, &boxofficev1.StatusRequest{LocalOnly: true})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if st.ClusterFeatureLevel != uint32(node.FeatureLevel()) || st.MixedVersions {
		t.Errorf("status after the upgrade: cluster feature level %d, mixed %v", st.ClusterFeatureLevel, st.MixedVersions)
	}
	for _, n := range st.Nodes {
		if n.ReleaseVersion != "v0.2.0-test" || n.FeatureLevel != uint32(node.FeatureLevel()) {
			t.Errorf("status after the upgrade: %s runs %q level %d", n.NodeId, n.ReleaseVersion, n.FeatureLevel)
		}
	}
	load.waitOperations(load.operations.Load() + 50)
	load.stop()
	load.check(ctx)
}

// previousReleaseSource extracts the source of previousReleaseTag from
// this repository's history into a directory, or skips the test when the
// history is not there (a shallow clone). It builds with the same module
// cache.
func previousReleaseSource(t *testing.T) string {
	t.Helper()
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("SKIPPED: NO MIXED-VERSION COVERAGE: not in a git repository (%v), so the previous release %s cannot be built", err, previousReleaseTag)
	}
	repo := strings.TrimSpace(string(top))
	rev := ""
	for _, candidate := range []string{previousReleaseTag, previousReleaseCommit} {
		if exec.Command("git", "-C", repo, "rev-parse", "--verify", "--quiet", candidate+"^{commit}").Run() == nil {
			rev = candidate
			break
		}
	}
	if rev == "" {
		t.Skipf("SKIPPED: NO MIXED-VERSION COVERAGE: neither tag %s nor commit %s is in the history of %s (a shallow clone? git fetch --tags --unshallow)",
			previousReleaseTag, previousReleaseCommit, repo)
	}
	src := t.TempDir()
	archive := exec.Command("sh", "-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", repo, rev, src)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("git archive %s: %v\n%s", rev, err, out)
	}
	return src
}

// ------------------------------------------------------------------ the procedure

// rollNode is docs/operations.md's restart of one node: drain, stop,
// start (with bin), undrain, wait until caught up.
func rollNode(t *testing.T, ctx context.Context, pc *processCluster, i int, bin string) {
	t.Helper()
	drainAndStop(t, ctx, pc, i)
	startAndCatchUp(t, ctx, pc, i, bin)
}

func drainAndStop(t *testing.T, ctx context.Context, pc *processCluster, i int) {
	t.Helper()
	id := fmt.Sprintf("n%d", i+1)
	start := time.Now()
	mustClusterCall(t, ctx, pc, i, func(ctx context.Context, c boxofficev1.ClusterClient) error {
		_, err := c.Drain(ctx, &boxofficev1.DrainRequest{NodeId: id, Drained: true})
		return err
	})
	node.WaitFor(t, 30*time.Second, id+" to lead no group", func() bool {
		st := clusterStatus(ctx, pc, i)
		if st == nil || len(st.Groups) == 0 {
			return false
		}
		for _, g := range st.Groups {
			if g.LeaderNodeId == id || g.LeaderNodeId == "" {
				return false
			}
		}
		return true
	})
	drained := time.Since(start)
	pc.stop(i)
	t.Logf("%s drained in %v, stopped in %v", id, drained.Round(time.Millisecond), (time.Since(start) - drained).Round(time.Millisecond))
}

func startAndCatchUp(t *testing.T, ctx context.Context, pc *processCluster, i int, bin string) {
	t.Helper()
	id := fmt.Sprintf("n%d", i+1)
	start := time.Now()
	pc.bin = bin
	pc.start(i)
	pc.waitReady()
	ready := time.Since(start)
	mustClusterCall(t, ctx, pc, i, func(ctx context.Context, c boxofficev1.ClusterClient) error {
		_, err := c.Drain(ctx, &boxofficev1.DrainRequest{NodeId: id, Drained: false})
		return err
	})
	// Caught up: every replica of the node applied what its group had
	// committed when the node was ready.
	var target map[string]uint64
	node.WaitFor(t, 60*time.Second, id+" to catch up with every group", func() bool {
		st := clusterStatus(ctx, pc, i)
		if st == nil {
			return false
		}
		if target == nil {
			target = map[string]uint64{}
			for _, g := range st.Groups {
				for _, r := range g.Replicas {
					if r.NodeId == g.LeaderNodeId {
						target[g.GroupId] = r.CommitIndex
					}
				}
				if _, ok := target[g.GroupId]; !ok {
					target = nil // a group without a leader: measure again
					return false
				}
			}
		}
		for _, g := range st.Groups {
			for _, r := range g.Replicas {
				if r.NodeId != id {
					continue
				}
				if (r.RaftState != "Follower" && r.RaftState != "Leader") || r.AppliedIndex < target[g.GroupId] {
					return false
				}
			}
		}
		return true
	})
	t.Logf("%s (%s) ready %v after start, caught up after %v", id, filepath.Base(bin), ready.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// leadEverything moves every group's leadership to node i.
func leadEverything(t *testing.T, ctx context.Context, pc *processCluster, i int) {
	t.Helper()
	id := fmt.Sprintf("n%d", i+1)
	st := clusterStatus(ctx, pc, i)
	if st == nil {
		t.Fatalf("no status from %s", id)
	}
	for _, g := range st.Groups {
		mustClusterCall(t, ctx, pc, i, func(ctx context.Context, c boxofficev1.ClusterClient) error {
			_, err := c.TransferLeader(ctx, &boxofficev1.TransferLeaderRequest{GroupId: g.GroupId, NodeId: id})
			return err
		})
	}
	node.WaitFor(t, 30*time.Second, id+" to lead every group", func() bool {
		st := clusterStatus(ctx, pc, i)
		if st == nil || len(st.Groups) == 0 {
			return false
		}
		for _, g := range st.Groups {
			if g.LeaderNodeId != id {
				return false
			}
		}
		return true
	})
}

// checkRefusedWhileMixed: the feature of this build's level is refused on
// upgraded node i with CLUSTER_UPGRADING naming the nodes still on the
// previous release.
func checkRefusedWhileMixed(t *testing.T, ctx context.Context, pc *processCluster, i int, older ...string) {
	t.Helper()
	err := clusterCall(ctx, pc, i, func(ctx context.Context, c boxofficev1.ClusterClient) error {
		_, err := c.CheckFeatureLevel(ctx, &boxofficev1.CheckFeatureLevelRequest{FeatureLevel: 2})
		return err
	})
	if status.Code(err) != codes.FailedPrecondition || boxofficev1.ReasonOf(err) != boxofficev1.ReasonClusterUpgrading {
		t.Fatalf("feature level 2 while %v run %s: %v, want FAILED_PRECONDITION CLUSTER_UPGRADING", older, previousReleaseTag, err)
	}
	named := strings.Split(boxofficev1.ErrorInfoOf(err).GetMetadata()[boxofficev1.MetadataNodeIDs], ",")
	for _, id := range older {
		if !slices.Contains(named, id) || !strings.Contains(status.Convert(err).Message(), id+" (level 1)") {
			t.Errorf("refusal while mixed does not name %s: %v (metadata %v)", id, err, named)
		}
	}
	// A real feature of level 2: AddGroups proposes a catalog command
	// that the previous release's catalog would stop on.
	err = clusterCall(ctx, pc, i, func(ctx context.Context, c boxofficev1.ClusterClient) error {
		_, err := c.AddGroups(ctx, &boxofficev1.AddGroupsRequest{RequestId: "add-while-mixed", Count: 1})
		return err
	})
	if status.Code(err) != codes.FailedPrecondition || boxofficev1.ReasonOf(err) != boxofficev1.ReasonClusterUpgrading {
		t.Fatalf("AddGroups while %v run %s: %v, want FAILED_PRECONDITION CLUSTER_UPGRADING", older, previousReleaseTag, err)
	}
}

// olderNodesNamed is the node_ids of the CLUSTER_UPGRADING refusal of
// feature level 2 on node i, or "" for any other answer.
func olderNodesNamed(ctx context.Context, pc *processCluster, i int) string {
	err := clusterCall(ctx, pc, i, func(ctx context.Context, c boxofficev1.ClusterClient) error {
		_, err := c.CheckFeatureLevel(ctx, &boxofficev1.CheckFeatureLevelRequest{FeatureLevel: 2})
		return err
	})
	if boxofficev1.ReasonOf(err) != boxofficev1.ReasonClusterUpgrading {
		return ""
	}
	return boxofficev1.ErrorInfoOf(err).GetMetadata()[boxofficev1.MetadataNodeIDs]
}

// ------------------------------------------------------------------ cluster calls

// clusterCall runs call against node i first, then the others, until one
// answers without UNAVAILABLE; it returns the last error.
func clusterCall(ctx context.Context, pc *processCluster, i int, call func(context.Context, boxofficev1.ClusterClient) error) error {
	var err error
	for k := range pc.ports {
		j := (i + k) % len(pc.ports)
		if pc.procs[j] == nil {
			continue
		}
		conn, dialErr := grpc.NewClient(pc.grpcAddr(j), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if dialErr != nil {
			return dialErr
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = call(cctx, boxofficev1.NewClusterClient(conn))
		cancel()
		conn.Close()
		if status.Code(err) != codes.Unavailable && status.Code(err) != codes.DeadlineExceeded {
			return err
		}
	}
	return err
}

// mustClusterCall retries clusterCall while the cluster is unavailable
// (an election), for up to 30s.
func mustClusterCall(t *testing.T, ctx context.Context, pc *processCluster, i int, call func(context.Context, boxofficev1.ClusterClient) error) {
	t.Helper()
	var err error
	node.WaitFor(t, 30*time.Second, "a cluster call to be answered", func() bool {
		err = clusterCall(ctx, pc, i, call)
		return status.Code(err) != codes.Unavailable && status.Code(err) != codes.DeadlineExceeded
	})
	if err != nil {
		t.Fatal(err)
	}
}

func clusterStatus(ctx context.Context, pc *processCluster, i int) *boxofficev1.StatusResponse {
	var st *boxofficev1.StatusResponse
	if clusterCall(ctx, pc, i, func(ctx context.Context, c boxofficev1.ClusterClient) (err error) {
		st, err = c.Status(ctx, &boxofficev1.StatusRequest{})
		return err
	}) != nil {
		return nil
	}
	return st
}

// metricByGroup reads a counter of node i's /metrics, by its group label.
func metricByGroup(t *testing.T, pc *processCluster, i int, name string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", pc.ports[i][2]))
	if err != nil {
		t.Fatalf("metrics of n%d: %v", i+1, err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	scan := bufio.NewScanner(resp.Body)
	scan.Buffer(make([]byte, 1<<20), 1<<20)
	for scan.Scan() {
		line := scan.Text()
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		labels, value, ok := strings.Cut(strings.TrimPrefix(line, name+"{"), "} ")
		if !ok {
			continue
		}
		group := ""
		for _, l := range strings.Split(labels, ",") {
			if k, v, ok := strings.Cut(l, "="); ok && k == "group" {
				group = strings.Trim(v, `"`)
			}
		}
		f, _ := strconv.ParseFloat(value, 64)
		out[group] = f
	}
	return out
}

func sum(m map[string]float64) float64 {
	var total float64
	for _, v := range m {
		total += v
	}
	return total
}

// ------------------------------------------------------------------ the traffic

// onSaleLoad is on-sale traffic through the Go client: workers that hold
// two seats, then sell them (one time in four) or release them. It counts
// every error that reaches the caller.
type onSaleLoad struct {
	t          *testing.T
	client     *client.Client
	event      string
	operations atomic.Int64
	stopOnce   sync.Once
	done       chan struct{}
	wg         sync.WaitGroup

	mu     sync.Mutex
	errs   []string          // every caller-visible error, with when
	acked  map[string]string // seat -> order of an acknowledged sale
	sold   int
	begins time.Time
}

const (
	loadWorkers  = 8
	loadSections = 30
)

func startOnSaleLoad(t *testing.T, ctx context.Context, pc *processCluster, event string) *onSaleLoad {
	t.Helper()
	var addrs []string
	for i := range pc.ports {
		addrs = append(addrs, pc.grpcAddr(i))
	}
	// The client's retries may take a whole election and a restart.
	c, err := client.Dial(ctx, client.Config{Addrs: addrs, CallTimeout: 2 * time.Second, RetryTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, err := c.CreateEvent(ctx, &boxofficev1.CreateEventRequest{EventId: event, Name: event,
		Venue: cluster.OnSaleVenue(loadSections, 25, 40)}); err != nil {
		t.Fatal(err)
	}
	l := &onSaleLoad{t: t, client: c, event: event, done: make(chan struct{}), acked: map[string]string{}, begins: time.Now()}
	for w := range loadWorkers {
		l.wg.Add(1)
		go l.worker(ctx, w)
	}
	return l
}

func (l *onSaleLoad) worker(ctx context.Context, w int) {
	defer l.wg.Done()
	for n := 0; ; n++ {
		select {
		case <-l.done:
			return
		default:
		}
		id := fmt.Sprintf("w%d-%d", w, n)
		hold, err := l.client.Hold(ctx, &boxofficev1.HoldRequest{EventId: l.event, Holder: id,
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: fmt.Sprintf("S%d", (w+n*loadWorkers)%loadSections)}}})
		l.record("hold", err)
		if err != nil {
			continue
		}
		if n%4 == 0 {
			sold, err := l.client.Sell(ctx, &boxofficev1.SellRequest{EventId: l.event, HoldId: hold.HoldId, Holder: id, OrderId: "o-" + id, Buyer: id})
			l.record("sell", err)
			if err == nil {
				l.mu.Lock()
				for _, tk := range sold.Tickets {
					if prev, dup := l.acked[tk.SeatId]; dup {
						l.t.Errorf("seat %s acknowledged sold to %s and to %s", tk.SeatId, prev, "o-"+id)
					}
					l.acked[tk.SeatId] = "o-" + id
				}
				l.sold++
				l.mu.Unlock()
			}
		} else {
			_, err := l.client.Release(ctx, &boxofficev1.ReleaseRequest{EventId: l.event, HoldId: hold.HoldId, Holder: id})
			l.record("release", err)
		}
	}
}

func (l *onSaleLoad) record(call string, err error) {
	if err == nil {
		l.operations.Add(1)
		return
	}
	if errors.Is(err, context.Canceled) || status.Code(err) == codes.Canceled {
		select {
		case <-l.done:
			return // the test stopped the traffic
		default:
		}
	}
	l.mu.Lock()
	l.errs = append(l.errs, fmt.Sprintf("%s at +%v: %v", call, time.Since(l.begins).Round(time.Millisecond), err))
	l.mu.Unlock()
}

// waitOperations waits until the traffic has answered n calls in all.
func (l *onSaleLoad) waitOperations(n int64) {
	l.t.Helper()
	node.WaitFor(l.t, 60*time.Second, fmt.Sprintf("%d calls of the traffic to be answered", n), func() bool {
		return l.operations.Load() >= n
	})
}

func (l *onSaleLoad) stop() {
	l.stopOnce.Do(func() { close(l.done); l.wg.Wait() })
}

// check fails the test for every caller-visible error, and for an
// acknowledged sale the seat map does not show.
func (l *onSaleLoad) check(ctx context.Context) {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.Logf("traffic: %d calls answered, %d sales of 2 seats, %d caller-visible errors over %v",
		l.operations.Load(), l.sold, len(l.errs), time.Since(l.begins).Round(time.Second))
	for i, e := range l.errs {
		if i == 20 {
			l.t.Errorf("... and %d more", len(l.errs)-i)
			break
		}
		l.t.Errorf("caller-visible error: %s", e)
	}
	if l.sold == 0 {
		l.t.Fatal("no sale acknowledged: the test proved nothing")
	}
	m, err := l.client.GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: l.event})
	if err != nil {
		l.t.Fatalf("seat map: %v", err)
	}
	sold := map[string]string{}
	for _, s := range m.Sections {
		for _, r := range s.Rows {
			for _, seat := range r.Seats {
				if seat.State == boxofficev1.SeatState_SEAT_STATE_SOLD {
					sold[seat.SeatId] = seat.OrderId
				}
			}
		}
	}
	for seat, order := range l.acked {
		if sold[seat] != order {
			l.t.Errorf("acknowledged sale of %s to %s lost: the seat map says %q", seat, order, sold[seat])
		}
	}
	if len(sold) != len(l.acked) {
		l.t.Errorf("the seat map shows %d seats sold, %d were acknowledged", len(sold), len(l.acked))
	}
}
