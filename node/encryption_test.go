package node

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/internal/sealing"
)

// writeKeyFile writes a 0600 key file of fresh keys with the given ids,
// reusing the material of ids already in known.
func writeKeyFile(t *testing.T, path string, known map[string]string, ids ...string) {
	t.Helper()
	var file strings.Builder
	for _, id := range ids {
		if known[id] == "" {
			material := make([]byte, sealing.KeyBytes)
			_, _ = rand.Read(material)
			known[id] = base64.StdEncoding.EncodeToString(material)
		}
		fmt.Fprintf(&file, "%s %s\n", id, known[id])
	}
	if err := os.WriteFile(path, []byte(file.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// filesContaining lists the files under dir whose bytes contain marker.
func filesContaining(t *testing.T, dir string, marker []byte) (found []string, files int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if bytes.Contains(raw, marker) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found, files
}

// sealedSnapshotKeyIDs returns the key id of every snapshot under dir.
func sealedSnapshotKeyIDs(t *testing.T, dir string) map[string]int {
	t.Helper()
	ids := map[string]int{}
	err := filepath.WalkDir(filepath.Join(dir, "snapshots"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "state.bin" {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		id, err := sealing.StreamKeyID(f)
		if err != nil {
			id = "clear"
		}
		ids[id]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestEncryptedDataDir: three nodes with key files. Holders' names, which
// every hold command and seat-map snapshot carries, appear in no file of
// any data dir, including a follower's that caught up by installing a
// (sealed) snapshot; every node restarts from its sealed snapshots and
// log. A data dir opened without its key file, or with one lacking the key
// in use, refuses to start and says why; after a rotation (new key first,
// old one second) the node starts and its next snapshots are sealed with
// the new key.
func TestEncryptedDataDir(t *testing.T) {
	skipIfShort(t)
	keysDir := t.TempDir()
	material := map[string]string{}
	keyFile := func(i int) string { return filepath.Join(keysDir, fmt.Sprintf("n%d.keys", i+1)) }
	for i := range 3 {
		writeKeyFile(t, keyFile(i), material, fmt.Sprintf("n%d-k1", i+1))
	}
	tc := NewTestCluster(t, 3, func(i int, c *Config) {
		c.EncryptionKeyFile = keyFile(i)
		c.Group.SnapshotThreshold = 64
		c.Group.SnapshotInterval = 100 * time.Millisecond
		c.Group.TrailingLogs = 16
		c.DataGroups = 2
	})
	tc.createOnSaleEvent("ev1", 2, 10, 20)
	ctx := ctxT(t, 60*time.Second)
	const marker = "holder-in-clear"
	tc.Stop(2) // it will need a snapshot to catch up
	for n := range 120 {
		holder := fmt.Sprintf("%s-%d", marker, n)
		h, err := tc.Inventory(n%2).Hold(ctx, &boxofficev1.HoldRequest{RequestId: fmt.Sprintf("h%d", n), EventId: "ev1", Holder: holder,
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1, SectionId: fmt.Sprintf("S%d", n%2)}}})
		if err != nil {
			t.Fatalf("hold %d: %v", n, err)
		}
		if n%2 == 0 {
			_, err = tc.Inventory(0).Sell(ctx, &boxofficev1.SellRequest{RequestId: fmt.Sprintf("s%d", n), EventId: "ev1", HoldId: h.HoldId,
				Holder: holder, OrderId: fmt.Sprintf("o%d", n), Buyer: holder})
			if err != nil {
				t.Fatalf("sell %d: %v", n, err)
			}
		}
	}
	tc.snapshotAll(0)
	tc.snapshotAll(1)
	want := seatStates(t, tc, 0, "ev1")
	tc.Start(2)
	tc.WaitReady()
	tc.replicasEqual()
	installed := false
	for _, g := range tc.hosts[2].groupList() {
		installed = installed || (g.store != nil && g.raft.Stats()["last_snapshot_index"] != "0")
	}
	if !installed {
		t.Fatal("node 3 caught up without a snapshot; the test did not exercise a sealed snapshot's install")
	}
	tc.snapshotAll(2)
	for i := range 3 {
		dir := tc.configs[i].DataDir
		found, files := filesContaining(t, dir, []byte(marker))
		if len(found) > 0 {
			t.Errorf("node %d: %d of %d files hold a holder's name in clear: %v", i+1, len(found), files, found)
		}
		if ids := sealedSnapshotKeyIDs(t, dir); ids["clear"] > 0 || ids[fmt.Sprintf("n%d-k1", i+1)] == 0 {
			t.Errorf("node %d snapshots by key id: %v", i+1, ids)
		}
	}

	// Every node restarts from its sealed snapshots and log.
	tc.StopAll()
	for i := range tc.hosts {
		tc.Start(i)
	}
	tc.WaitReady()
	for i := range 3 {
		got := seatStates(t, tc, i, "ev1")
		if len(got) != len(want) {
			t.Fatalf("node %d after restart: %d seats, want %d", i+1, len(got), len(want))
		}
		for id, w := range want {
			if got[id].GetState() != w.GetState() || got[id].GetHolder() != w.GetHolder() {
				t.Fatalf("node %d after restart: seat %s = %v, want %v", i+1, id, got[id], w)
			}
		}
	}

	// Node 1 without its key file, and with a key file lacking its key.
	tc.Stop(0)
	cfg := tc.configs[0]
	for name, keys := range map[string]string{"no key file": "", "another key": "other"} {
		cfg.EncryptionKeyFile = ""
		if keys != "" {
			cfg.EncryptionKeyFile = filepath.Join(keysDir, "other.keys")
			writeKeyFile(t, cfg.EncryptionKeyFile, material, "other")
		}
		h, err := Start(cfg)
		if err == nil {
			_ = h.Close()
			t.Fatalf("%s: node 1 started on its encrypted data dir", name)
		}
		if keys == "" && !errors.Is(err, errDataDirEncrypted) || keys != "" && !errors.Is(err, sealing.ErrUnknownKey) {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
	// Rotation: the new key first, the old one second.
	writeKeyFile(t, keyFile(0), material, "n1-k2", "n1-k1")
	tc.Start(0)
	tc.WaitReady()
	if _, err := tc.Inventory(0).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "after-rotation", EventId: "ev1", Holder: "rotated",
		Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1, SectionId: "S0"}}}); err != nil {
		t.Fatal(err)
	}
	tc.snapshotAll(0)
	if ids := sealedSnapshotKeyIDs(t, tc.configs[0].DataDir); ids["n1-k2"] == 0 {
		t.Fatalf("after the rotation, node 1's snapshots by key id: %v", ids)
	}
}
