package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/cluster/client"
	"github.com/boxoffice/boxoffice/node"
	"github.com/boxoffice/boxoffice/node/backup"
)

// restore runs `boxoffice restore args...`.
func restore(args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	err := runRestore(args, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// soldSeats is what a sale acknowledged before the backup left behind.
type acknowledged struct {
	holds   map[string][]string // hold id -> seats, held (not sold)
	sold    map[string]string   // seat -> order
	records map[string]string   // key -> value
}

// TestBackupRestoreIntoFreshCluster takes a backup with ctl while a writer
// keeps writing, writes more after it, restores it with `boxoffice
// restore` into a fresh 3-node cluster, and checks that every hold, sale
// and record acknowledged before the backup started is there, and that
// what was written after the backup completed is not.
func TestBackupRestoreIntoFreshCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two 3-node clusters; skipped with -short")
	}
	src := node.NewTestCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := src.Client()
	const event = "show"
	if _, err := c.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "create-show", EventId: event, Name: "Show",
		Venue: cluster.DemoArena("Arena"), ShardCount: 3, GroupCount: 3}); err != nil {
		t.Fatal(err)
	}
	before := acknowledged{holds: map[string][]string{}, sold: map[string]string{}, records: map[string]string{}}
	for i := range 6 {
		hold := holdBest(t, ctx, c, event, fmt.Sprintf("before-hold-%d", i), fmt.Sprintf("fan%d", i))
		if i%2 == 0 {
			before.holds[hold.HoldId] = hold.SeatIds
			continue
		}
		order := fmt.Sprintf("order-%d", i)
		sellHold(t, ctx, c, event, hold, order)
		for _, s := range hold.SeatIds {
			before.sold[s] = order
		}
	}
	for i := range 20 {
		key, value := fmt.Sprintf("before/%02d", i), fmt.Sprintf("value %d", i)
		putRecord(t, ctx, c, key, value)
		before.records[key] = value
	}

	// A writer keeps writing records while the backup runs.
	var writerWG sync.WaitGroup
	var during atomic.Int64
	writerCtx, stopWriter := context.WithCancel(ctx)
	writerWG.Go(func() {
		for i := 0; writerCtx.Err() == nil; i++ {
			_, err := c.CompareAndSwapRecord(writerCtx, &boxofficev1.CompareAndSwapRequest{RequestId: fmt.Sprintf("during-%d", i),
				Key: fmt.Sprintf("during/%05d", i), Value: []byte("x")})
			if err == nil {
				during.Add(1)
			}
		}
	})
	dir := filepath.Join(t.TempDir(), "backup")
	addrs := strings.Join(src.Addrs(), ",")
	out, _, err := ctl(t, ctx, "--addr", addrs, "backup", "--to", dir)
	stopWriter()
	writerWG.Wait()
	if err != nil {
		t.Fatalf("ctl backup: %v", err)
	}
	if during.Load() == 0 {
		t.Fatal("the writer acknowledged nothing while the backup ran")
	}
	if !strings.Contains(out, "backup of 4 groups written to") || !strings.Contains(out, "meta") {
		t.Errorf("ctl backup printed:\n%s", out)
	}

	// After the backup: more holds, a sale, records and another event.
	afterHold := holdBest(t, ctx, c, event, "after-hold", "late-fan")
	afterSold := holdBest(t, ctx, c, event, "after-sold", "late-buyer")
	sellHold(t, ctx, c, event, afterSold, "after-order")
	for i := range 5 {
		putRecord(t, ctx, c, fmt.Sprintf("after/%02d", i), "late")
	}
	if _, err := c.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "create-later", EventId: "later", Name: "Later",
		Venue: cluster.DemoArena("Arena")}); err != nil {
		t.Fatal(err)
	}

	if out, _, err := ctl(t, ctx, "backup", "verify", dir); err != nil || !strings.Contains(out, "verified in") {
		t.Fatalf("ctl backup verify: %v\n%s", err, out)
	}
	t.Run("refusals", func(t *testing.T) { testBackupRefusals(t, ctx, addrs, dir) })
	src.StopAll()

	dst := node.NewPreparedTestCluster(t, 3, func(configs []node.Config) {
		var peers []string
		for _, cfg := range configs {
			peers = append(peers, cfg.NodeID+"="+cfg.PeerAddr)
		}
		for _, cfg := range configs {
			if out, err := restore("--from", dir, "--data-dir", cfg.DataDir, "--node-id", cfg.NodeID, "--peers", strings.Join(peers, ",")); err != nil {
				t.Fatalf("restore %s: %v\n%s", cfg.NodeID, err, out)
			}
		}
	})
	rc := dst.Client()

	seats := seatStates(t, ctx, rc, event)
	for hold, held := range before.holds {
		got, err := rc.GetHold(ctx, &boxofficev1.GetHoldRequest{EventId: event, HoldId: hold})
		if err != nil {
			t.Errorf("hold %s acknowledged before the backup: %v", hold, err)
			continue
		}
		if strings.Join(got.SeatIds, ",") != strings.Join(held, ",") {
			t.Errorf("hold %s holds %v, want %v", hold, got.SeatIds, held)
		}
		for _, s := range held {
			if seats[s] != boxofficev1.SeatState_SEAT_STATE_HELD {
				t.Errorf("seat %s of hold %s is %v, want held", s, hold, seats[s])
			}
		}
	}
	for s := range before.sold {
		if seats[s] != boxofficev1.SeatState_SEAT_STATE_SOLD {
			t.Errorf("seat %s sold before the backup is %v", s, seats[s])
		}
	}
	for key, value := range before.records {
		got, err := rc.GetRecord(ctx, &boxofficev1.GetRecordRequest{Key: key})
		if err != nil || string(got.GetValue()) != value {
			t.Errorf("record %s written before the backup: %q, %v; want %q", key, got.GetValue(), err, value)
		}
	}
	for _, s := range append(afterHold.SeatIds, afterSold.SeatIds...) {
		if seats[s] != boxofficev1.SeatState_SEAT_STATE_AVAILABLE {
			t.Errorf("seat %s held or sold after the backup is %v in the restored cluster, want available", s, seats[s])
		}
	}
	if _, err := rc.GetHold(ctx, &boxofficev1.GetHoldRequest{EventId: event, HoldId: afterHold.HoldId}); status.Code(err) != codes.NotFound {
		t.Errorf("hold made after the backup: %v, want NOT_FOUND", err)
	}
	for i := range 5 {
		if _, err := rc.GetRecord(ctx, &boxofficev1.GetRecordRequest{Key: fmt.Sprintf("after/%02d", i)}); status.Code(err) != codes.NotFound {
			t.Errorf("record after/%02d written after the backup: %v, want NOT_FOUND", i, err)
		}
	}
	if _, err := rc.GetEvent(ctx, &boxofficev1.GetEventRequest{EventId: "later"}); status.Code(err) != codes.NotFound {
		t.Errorf("event created after the backup: %v, want NOT_FOUND", err)
	}

	// The restored cluster is a working cluster: a held seat is sold, and
	// a new hold and record are taken.
	for hold, held := range before.holds {
		sellHold(t, ctx, rc, event, &boxofficev1.HoldResponse{HoldId: hold, SeatIds: held, Holder: holderOf(t, ctx, rc, event, hold)}, "restored-order")
		break
	}
	holdBest(t, ctx, rc, event, "restored-hold", "new-fan")
	putRecord(t, ctx, rc, "restored/1", "new")
	statusOut, _, err := ctl(t, ctx, "--addr", strings.Join(dst.Addrs(), ","), "status")
	if err != nil {
		t.Fatalf("ctl status of the restored cluster: %v\n%s", err, statusOut)
	}
	for i := range 3 {
		if id := fmt.Sprintf("n%d", i+1); !strings.Contains(statusOut, dst.Config(i).PeerAddr) {
			t.Errorf("ctl status of the restored cluster does not show %s at %s:\n%s", id, dst.Config(i).PeerAddr, statusOut)
		}
	}
}

// testBackupRefusals: every bad input names what is wrong and changes
// nothing.
func testBackupRefusals(t *testing.T, ctx context.Context, addrs, good string) {
	t.Run("backup into a non-empty directory", func(t *testing.T) {
		dir := t.TempDir()
		mustWrite(t, filepath.Join(dir, "keep.txt"), "mine")
		_, _, err := ctl(t, ctx, "--addr", addrs, "backup", "--to", dir)
		if !errors.Is(err, backup.ErrDirNotEmpty) || !strings.Contains(err.Error(), dir) {
			t.Fatalf("error %v, want %v naming %s", err, backup.ErrDirNotEmpty, dir)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("the refused backup left %d entries in %s", len(entries), dir)
		}
	})
	t.Run("backup without --to", func(t *testing.T) {
		if _, _, err := ctl(t, ctx, "--addr", addrs, "backup"); !errors.Is(err, errCtlUsage) || !strings.Contains(err.Error(), "--to") {
			t.Fatalf("error %v, want a usage error naming --to", err)
		}
	})

	corrupt := copyDir(t, good)
	var dataGroup string
	m, err := backup.ReadManifest(corrupt)
	if err != nil {
		t.Fatal(err)
	}
	dataGroup = m.Groups[len(m.Groups)-1].File
	data, err := os.ReadFile(filepath.Join(corrupt, dataGroup))
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	mustWrite(t, filepath.Join(corrupt, dataGroup), string(data))
	t.Run("verify finds a corrupt file", func(t *testing.T) {
		_, _, err := ctl(t, ctx, "backup", "verify", corrupt)
		if !errors.Is(err, backup.ErrCorrupt) || !strings.Contains(err.Error(), dataGroup) || !strings.Contains(err.Error(), "SHA-256") {
			t.Fatalf("error %v, want %v naming %s and its checksum", err, backup.ErrCorrupt, dataGroup)
		}
	})
	peers := "--peers=n1=127.0.0.1:1,n2=127.0.0.1:2,n3=127.0.0.1:3"
	t.Run("restore refuses a corrupt backup", func(t *testing.T) {
		dataDir := filepath.Join(t.TempDir(), "n1")
		_, err := restore("--from", corrupt, "--data-dir", dataDir, "--node-id", "n1", peers)
		if !errors.Is(err, backup.ErrCorrupt) {
			t.Fatalf("error %v, want %v", err, backup.ErrCorrupt)
		}
		if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the refused restore created %s (%v)", dataDir, err)
		}
	})
	t.Run("verify refuses a directory without a manifest", func(t *testing.T) {
		dir := copyDir(t, good)
		if err := os.Remove(filepath.Join(dir, backup.ManifestFile)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ctl(t, ctx, "backup", "verify", dir); !errors.Is(err, backup.ErrIncomplete) {
			t.Fatalf("error %v, want %v", err, backup.ErrIncomplete)
		}
	})
	t.Run("restore refuses a non-empty data dir", func(t *testing.T) {
		dataDir := t.TempDir()
		mustWrite(t, filepath.Join(dataDir, "raft.db"), "an old node's log")
		_, err := restore("--from", good, "--data-dir", dataDir, "--node-id", "n1", peers)
		if !errors.Is(err, node.ErrDataDirNotEmpty) || !strings.Contains(err.Error(), dataDir) {
			t.Fatalf("error %v, want %v naming %s", err, node.ErrDataDirNotEmpty, dataDir)
		}
		if b, _ := os.ReadFile(filepath.Join(dataDir, "raft.db")); string(b) != "an old node's log" {
			t.Errorf("the refused restore changed raft.db")
		}
		if entries, _ := os.ReadDir(dataDir); len(entries) != 1 {
			t.Errorf("the refused restore left %d entries in %s", len(entries), dataDir)
		}
	})
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"node not in peers", []string{"--node-id", "n9", peers}, `NodeID "n9" is not in Peers`},
		{"peer without address", []string{"--node-id", "n1", "--peers", "n1=127.0.0.1:1,n2"}, `"n2" is not id=host:port`},
		{"peer address without port", []string{"--node-id", "n1", "--peers", "n1=127.0.0.1"}, `node n1: address "127.0.0.1"`},
		{"no peers", []string{"--node-id", "n1"}, "--peers is required"},
		{"no node id", []string{peers}, "--node-id is required"},
	} {
		t.Run("restore "+tt.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "d")
			_, err := restore(append([]string{"--from", good, "--data-dir", dataDir}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the refused restore created %s", dataDir)
			}
		})
	}
}

func holdBest(t *testing.T, ctx context.Context, c *client.Client, event, requestID, holder string) *boxofficev1.HoldResponse {
	t.Helper()
	hold, err := c.Hold(ctx, &boxofficev1.HoldRequest{RequestId: requestID, EventId: event, Holder: holder, TtlMs: int64(30 * time.Minute / time.Millisecond),
		Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2}}})
	if err != nil {
		t.Fatalf("hold %s: %v", requestID, err)
	}
	return hold
}

func sellHold(t *testing.T, ctx context.Context, c *client.Client, event string, hold *boxofficev1.HoldResponse, order string) {
	t.Helper()
	if _, err := c.Sell(ctx, &boxofficev1.SellRequest{RequestId: "sell-" + order, EventId: event, HoldId: hold.HoldId, Holder: hold.Holder,
		OrderId: order, Buyer: hold.Holder + "@example.com"}); err != nil {
		t.Fatalf("sell %s: %v", hold.HoldId, err)
	}
}

func holderOf(t *testing.T, ctx context.Context, c *client.Client, event, hold string) string {
	t.Helper()
	got, err := c.GetHold(ctx, &boxofficev1.GetHoldRequest{EventId: event, HoldId: hold})
	if err != nil {
		t.Fatalf("hold %s: %v", hold, err)
	}
	return got.Holder
}

func putRecord(t *testing.T, ctx context.Context, c *client.Client, key, value string) {
	t.Helper()
	if _, err := c.CompareAndSwapRecord(ctx, &boxofficev1.CompareAndSwapRequest{RequestId: "put-" + key, Key: key, Value: []byte(value)}); err != nil {
		t.Fatalf("record %s: %v", key, err)
	}
}

func seatStates(t *testing.T, ctx context.Context, c *client.Client, event string) map[string]boxofficev1.SeatState {
	t.Helper()
	m, err := c.GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: event})
	if err != nil {
		t.Fatalf("seat map of %s: %v", event, err)
	}
	out := map[string]boxofficev1.SeatState{}
	for _, s := range m.Sections {
		for _, r := range s.Rows {
			for _, seat := range r.Seats {
				out[seat.SeatId] = seat.State
			}
		}
	}
	return out
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(to, e.Name()), string(data))
	}
	return to
}
