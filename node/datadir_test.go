package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// snapshotAll takes a snapshot of every group of node i, meta included.
func (tc *TestCluster) snapshotAll(i int) {
	tc.t.Helper()
	h := tc.hosts[i]
	for _, g := range append(h.groupList(), h.meta) {
		if err := g.raft.Snapshot().Error(); err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) {
			tc.t.Fatalf("snapshot of group %s: %v", g.id, err)
		}
	}
}

// modesUnder lists every directory and file under dir whose mode is not
// dataDirMode or dataFileMode, and counts the files.
func modesUnder(t *testing.T, dir string) (wrong []string, files, snapshots int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := dataFileMode
		if d.IsDir() {
			want = dataDirMode
		} else {
			files++
			if d.Name() == "state.bin" {
				snapshots++
			}
		}
		if info.Mode().Perm() != want {
			wrong = append(wrong, fmt.Sprintf("%#o %s", info.Mode().Perm(), path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return wrong, files, snapshots
}

// TestDataDirIsPrivate: everything a node writes (the bbolt log, every
// group's snapshots, the incarnation file) is readable by its user only,
// and a data dir an older version left world-readable is tightened when
// the node starts. Before, `find data -type f -printf '%m %p\n'` showed
// 0644 snapshots in 0755 directories and a 0640 incarnation file.
func TestDataDirIsPrivate(t *testing.T) {
	tc := NewTestCluster(t, 1)
	tc.createOnSaleEvent("ev1", 2, 2, 4)
	ctx := ctxT(t, 30*time.Second)
	if _, err := tc.Inventory(0).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h1", EventId: "ev1", Holder: "fan",
		Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: "S0"}}}); err != nil {
		t.Fatal(err)
	}
	tc.snapshotAll(0)
	dir := tc.configs[0].DataDir
	wrong, files, snapshots := modesUnder(t, dir)
	if len(wrong) > 0 {
		t.Fatalf("after snapshots, files or directories others can read:\n%v", wrong)
	}
	if snapshots < 2 || files < 2*snapshots+2 {
		t.Fatalf("found %d files and %d snapshots; the test did not see the snapshots and the log", files, snapshots)
	}

	// What an older version left: open directories and files.
	tc.Stop(0)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(path, 0o755)
		}
		return os.Chmod(path, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	tc.Start(0)
	tc.WaitReady()
	tc.snapshotAll(0)
	if wrong, _, _ := modesUnder(t, dir); len(wrong) > 0 {
		t.Fatalf("after a restart on a world-readable data dir, still readable by others:\n%v", wrong)
	}
}
