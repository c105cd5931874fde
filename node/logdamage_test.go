package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/logstore"
)

// readmeRefusal returns the example refusal line README.md shows under
// "A node whose log is damaged", and its node id.
func readmeRefusal(t *testing.T) (line, nodeID string) {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "**A node whose log is damaged.**")
	if !ok {
		t.Fatal(`README.md has no "A node whose log is damaged" section`)
	}
	for _, l := range strings.Split(section, "\n") {
		if strings.HasPrefix(l, "boxoffice: log store: ") {
			_, after, _ := strings.Cut(l, "boxoffice ctl node remove ")
			nodeID, _, _ = strings.Cut(after, ")")
			return strings.TrimPrefix(l, "boxoffice: "), nodeID
		}
	}
	t.Fatal("README.md shows no refusal line")
	return "", ""
}

// lastPageInUse returns the page size and the id of the highest branch or
// leaf page of an intact bbolt file.
func lastPageInUse(t *testing.T, path string) (pageSize, page int64) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		pageSize = int64(db.Info().PageSize)
		for id := 2; int64(id) < tx.Size()/pageSize; id++ {
			info, err := tx.Page(id)
			if err != nil {
				return err
			}
			if info.Type == "leaf" || info.Type == "branch" {
				page = int64(id)
				id += info.OverflowCount
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pageSize, page
}

// A node killed and restarted on a Raft log whose tail was truncated, or
// whose log is gone from a data dir that has been a member's, refuses to
// start with the message README.md shows (file, what is wrong, what to
// do) instead of panicking or serving; README's procedure (RemoveNode,
// move the data dir away, start empty with --bootstrap-expect 0) then
// brings it back with every replica equal.
func TestNodeRefusesADamagedLogAndIsReplaced(t *testing.T) {
	skipIfShort(t)
	wantLine, readmeNode := readmeRefusal(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 2, 2, 4)
	ctx := ctxT(t, 120*time.Second)
	for i, id := range []string{"a", "b", "c"} {
		if _, err := tc.Inventory(i).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "hold-" + id, EventId: "ev1", Holder: "fan-" + id,
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1, SectionId: "S0"}}}); err != nil {
			t.Fatal(err)
		}
	}
	tc.Kill(2)
	cfg := tc.configs[2]
	path := filepath.Join(cfg.DataDir, "raft.db")
	pageSize, last := lastPageInUse(t, path)
	if err := os.Truncate(path, last*pageSize+pageSize/2); err != nil {
		t.Fatal(err)
	}
	h, err := Start(cfg)
	if err == nil {
		_ = h.Close()
		t.Fatal("n3 started on a truncated log")
	}
	if !errors.Is(err, logstore.ErrDamaged) {
		t.Fatalf("start on a truncated log: %v, want ErrDamaged", err)
	}
	// README's example line, for this node and file: the same text up to
	// "truncated:", and the same advice after the figures.
	want := strings.ReplaceAll(wantLine, "remove "+readmeNode, "remove n3")
	wantHead, _, _ := strings.Cut(want, "data/")
	_, wantTail, _ := strings.Cut(want, "; this node")
	if !strings.HasPrefix(err.Error(), wantHead+path+": truncated: ") || !strings.HasSuffix(err.Error(), "; this node"+wantTail) {
		t.Fatalf("refusal:\n  %v\nwant README's line for %s:\n  %s", err, path, want)
	}
	t.Logf("refusal: %v", err)

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if h, err := Start(cfg); err == nil {
		_ = h.Close()
		t.Fatal("n3 started with its log missing")
	} else if !errors.Is(err, logstore.ErrDamaged) || !strings.Contains(err.Error(), path+": missing") {
		t.Fatalf("start with the log missing: %v", err)
	}

	WaitFor(t, 60*time.Second, "RemoveNode(n3)", func() bool {
		_, err := tc.ClusterClient(0).RemoveNode(ctx, &boxofficev1.RemoveNodeRequest{NodeId: "n3"})
		return err == nil
	})
	if err := os.Rename(cfg.DataDir, cfg.DataDir+".damaged"); err != nil {
		t.Fatal(err)
	}
	tc.configs[2].BootstrapExpect = 0
	tc.Start(2)
	WaitFor(t, 60*time.Second, "n3 registered and ready again", func() bool {
		return tc.hosts[2].ready() == nil && tc.hosts[0].catalog.Node("n3") != nil
	})
	tc.replicasEqual()
}
