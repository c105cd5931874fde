package logstore

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
)

// mountSmallFilesystem mounts a tmpfs of size bytes on a temporary
// directory (root only: skipped otherwise) and unmounts it at the end.
func mountSmallFilesystem(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("mount a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// On a full filesystem a StoreLogs fails with ENOSPC and stores nothing,
// NoSpace and boxoffice_logstore_no_space say so, and once space is freed
// writes succeed again; after a reopen the log holds exactly the
// acknowledged entries.
func TestFullFilesystemFailsWritesAndRecovers(t *testing.T) {
	dir := mountSmallFilesystem(t, "4m")
	registry := prometheus.NewRegistry()
	db, err := Open(filepath.Join(dir, "raft.db"), Options{Metrics: registry})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := mustGroup(t, db, "g000")
	ballast, err := os.Create(filepath.Join(dir, "ballast"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := ballast.Write(chunk); err != nil {
			break
		}
	}
	ballast.Close()

	acknowledged := uint64(0)
	var failure error
	for index := uint64(1); index <= 2000 && failure == nil; index++ {
		failure = store.StoreLogs([]*raft.Log{{Index: index, Term: 1, Type: raft.LogCommand, Data: make([]byte, 1000)}})
		if failure == nil {
			acknowledged = index
		}
	}
	if !errors.Is(failure, syscall.ENOSPC) {
		t.Fatalf("writes on a full filesystem: %v after %d entries, want ENOSPC", failure, acknowledged)
	}
	if !db.NoSpace() {
		t.Error("NoSpace() = false after a commit failed with ENOSPC")
	}
	if got := gaugeValue(t, registry, "boxoffice_logstore_no_space"); got != 1 {
		t.Errorf("boxoffice_logstore_no_space = %v, want 1", got)
	}
	if last, _ := store.LastIndex(); last != acknowledged {
		t.Errorf("LastIndex %d after the failed write, want the last acknowledged %d", last, acknowledged)
	}

	if err := os.Remove(filepath.Join(dir, "ballast")); err != nil {
		t.Fatal(err)
	}
	if db.NoSpace() {
		t.Error("NoSpace() = true with the space freed")
	}
	for index := acknowledged + 1; index <= acknowledged+100; index++ {
		if err := store.StoreLogs([]*raft.Log{{Index: index, Term: 1, Type: raft.LogCommand, Data: make([]byte, 1000)}}); err != nil {
			t.Fatalf("write after space was freed: %v", err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(filepath.Join(dir, "raft.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	requireIndexes(t, mustGroup(t, db, "g000"), 1, acknowledged+100)
}

func gaugeValue(t *testing.T, registry *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, family := range families {
		if family.GetName() == name && len(family.GetMetric()) == 1 {
			return family.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}
