package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/node"
	"github.com/boxoffice/boxoffice/node/backup"
)

// TestBackupScheduleKeepsTheNewestAndSurvivesAFailedRun runs `ctl backup
// schedule --every 1s --keep 2` against a real cluster: each run leaves a
// verified backup, only the two newest stay, a run while the cluster is
// down fails without pruning anything or leaving a partial backup, the
// schedule goes on once the cluster is back, nothing it did not write is
// touched, and cancelling it (SIGINT) ends it without an error.
func TestBackupScheduleKeepsTheNewestAndSurvivesAFailedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3-node cluster; skipped with -short")
	}
	tc := node.NewTestCluster(t, 3)
	dir := filepath.Join(t.TempDir(), "backups")
	// Things of the operator's in the same directory.
	foreign := map[string]string{
		"notes.txt":                  "mine",
		"20200101T000000Z/notes.txt": "named like a backup, but without a manifest",
		"20200101T000001Z.partial/x": "a crashed run's leftover",
	}
	for name, data := range foreign {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(dir, name), data)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	scheduleCtx, stopSchedule := context.WithCancel(ctx)
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runCtl(scheduleCtx, []string{"--addr", strings.Join(tc.Addrs(), ","), "--timeout", "2s",
			"backup", "schedule", "--to", dir, "--every", "1s", "--keep", "2"}, &stdout, &stderr)
	}()
	count := func(s string) int { return strings.Count(stderr.String(), s) }
	runs := func() int { return count(`msg="backup written and verified"`) }
	prunedThrough := func() int { return count(`msg=retention`) }

	node.WaitFor(t, time.Minute, "three runs pruned", func() bool { return prunedThrough() >= 3 })
	kept := scheduledBackups(t, dir)
	if len(kept) != 2 {
		t.Fatalf("after %d runs the directory holds backups %v, want the newest 2\n%s", runs(), kept, stderr.String())
	}

	tc.StopAll()
	failures := func() int { return count(`msg="backup failed`) }
	node.WaitFor(t, time.Minute, "a run failing while the cluster is down", func() bool { return failures() > 0 })
	down := scheduledBackups(t, dir)
	node.WaitFor(t, time.Minute, "a second failed run", func() bool { return failures() > 1 })
	// The failed runs pruned nothing and left nothing half-written.
	if got := scheduledBackups(t, dir); len(down) != 2 || !slices.Equal(got, down) {
		t.Fatalf("while the cluster is down the backups went from %v to %v, want 2 unchanged", down, got)
	}
	if partials := backupLeftovers(dir, backupPartialSuffix); !slices.Equal(partials, []string{"20200101T000001Z.partial"}) {
		t.Errorf("partial backups after a failed run: %v, want only the operator's old one", partials)
	}

	for i := range tc.Len() {
		tc.Start(i)
	}
	tc.WaitReady()
	afterFailure := prunedThrough()
	node.WaitFor(t, time.Minute, "a run after the cluster came back", func() bool { return prunedThrough() > afterFailure })
	stopSchedule()
	if err := <-done; err != nil {
		t.Fatalf("the schedule ended with %v, want nil on cancel\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "backup schedule stopped") {
		t.Errorf("no stop logged:\n%s", stderr.String())
	}

	final := scheduledBackups(t, dir)
	if len(final) != 2 || final[1] <= down[1] {
		t.Errorf("after the recovery the backups are %v, want 2, the newest after %v\n%s", final, down, stderr.String())
	}
	for _, name := range final {
		m, err := backup.Verify(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("kept backup %s: %v", name, err)
			continue
		}
		// Every group of the backed-up catalog is in it, even when the run
		// came right after the cluster restarted.
		ids, err := ctlBackupCatalogGroups(filepath.Join(dir, name), m.Groups[0])
		if err != nil || len(ids) == 0 || len(m.Groups) != len(ids)+1 {
			t.Errorf("kept backup %s has %d groups, its catalog lists data groups %v (%v)", name, len(m.Groups), ids, err)
		}
	}
	for name, data := range foreign {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != data {
			t.Errorf("%s: %q, %v; the schedule must not touch it", name, got, err)
		}
	}
	if left := backupLeftovers(dir, backupDeletingSuffix); len(left) > 0 {
		t.Errorf("half-deleted backups left: %v", left)
	}
}

// scheduledBackups lists dir's backups, oldest first.
func scheduledBackups(t *testing.T, dir string) []string {
	t.Helper()
	names, err := listBackups(dir)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestPruneBackupsKeepsWhatRetentionSays: --keep and --keep-within, each
// counted from the newest backup, and the things prune never deletes.
func TestPruneBackupsKeepsWhatRetentionSays(t *testing.T) {
	newest := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
	ages := []time.Duration{0, time.Hour, 2 * time.Hour, 25 * time.Hour, 49 * time.Hour, 200 * time.Hour}
	var names []string
	for _, age := range ages {
		names = append(names, newest.Add(-age).Format(backupTimeLayout))
	}
	slices.Sort(names)
	for _, tt := range []struct {
		name       string
		keep       int
		keepWithin time.Duration
		want       int // the newest this many stay
	}{
		{"keep 1", 1, 0, 1},
		{"keep 3", 3, 0, 3},
		{"keep more than exist", 10, 0, 6},
		{"keep 1 within a day", 1, 24 * time.Hour, 3},
		{"keep 4 within a day", 4, 24 * time.Hour, 4},
		{"keep 1 within 49h", 1, 49 * time.Hour, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, name := range names {
				writeFakeBackup(t, filepath.Join(dir, name))
			}
			mustWrite(t, filepath.Join(dir, "README"), "the operator's")
			pruned, kept, err := pruneBackups(dir, tt.keep, tt.keepWithin, names[len(names)-1])
			if err != nil {
				t.Fatal(err)
			}
			want := names[len(names)-tt.want:]
			if !slices.Equal(kept, want) || len(pruned) != len(names)-tt.want {
				t.Fatalf("kept %v, pruned %v; want kept %v", kept, pruned, want)
			}
			if got := scheduledBackups(t, dir); !slices.Equal(got, want) {
				t.Errorf("on disk %v, want %v", got, want)
			}
			if _, err := os.Stat(filepath.Join(dir, "README")); err != nil {
				t.Errorf("README: %v", err)
			}
		})
	}

	t.Run("a backup named before older ones by a clock set back stays", func(t *testing.T) {
		dir := t.TempDir()
		for _, name := range names {
			writeFakeBackup(t, filepath.Join(dir, name))
		}
		_, kept, err := pruneBackups(dir, 1, 0, names[0])
		if err != nil || !slices.Equal(kept, []string{names[0], names[len(names)-1]}) {
			t.Fatalf("kept %v, %v; want the one just written (%s) and the newest", kept, err, names[0])
		}
	})

	t.Run("what prune never deletes", func(t *testing.T) {
		dir := t.TempDir()
		old := newest.Add(-time.Hour).Format(backupTimeLayout)
		writeFakeBackup(t, filepath.Join(dir, old))
		mustWrite(t, filepath.Join(dir, old, "operator-notes.txt"), "mine")
		writeFakeBackup(t, filepath.Join(dir, newest.Format(backupTimeLayout)))
		noManifest := newest.Add(-2 * time.Hour).Format(backupTimeLayout)
		if err := os.Mkdir(filepath.Join(dir, noManifest), 0o700); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(dir, noManifest, "g000.state"), "not a backup of ours")
		writeFakeBackup(t, filepath.Join(dir, "weekly")) // a backup, but not named by the schedule

		pruned, kept, err := pruneBackups(dir, 1, 0, newest.Format(backupTimeLayout))
		if err == nil || !strings.Contains(err.Error(), "did not write") {
			t.Fatalf("error %v, want one saying the directory holds files the backup did not write", err)
		}
		if !slices.Equal(pruned, nil) || !slices.Equal(kept, []string{newest.Format(backupTimeLayout)}) {
			t.Errorf("pruned %v, kept %v", pruned, kept)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, old+backupDeletingSuffix, "operator-notes.txt")); string(got) != "mine" {
			t.Errorf("the operator's file in a pruned backup is gone")
		}
		for _, path := range []string{filepath.Join(noManifest, "g000.state"), filepath.Join("weekly", backup.ManifestFile)} {
			if _, err := os.Stat(filepath.Join(dir, path)); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
	})

	t.Run("a deletion a crash interrupted is finished", func(t *testing.T) {
		dir := t.TempDir()
		half := newest.Add(-time.Hour).Format(backupTimeLayout) + backupDeletingSuffix
		writeFakeBackup(t, filepath.Join(dir, half))
		emptied := newest.Add(-2*time.Hour).Format(backupTimeLayout) + backupDeletingSuffix
		if err := os.Mkdir(filepath.Join(dir, emptied), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFakeBackup(t, filepath.Join(dir, newest.Format(backupTimeLayout)))
		pruned, _, err := pruneBackups(dir, 1, 0, newest.Format(backupTimeLayout))
		if err != nil || len(pruned) != 2 {
			t.Fatalf("pruned %v, %v; want both interrupted deletions finished", pruned, err)
		}
		for _, name := range []string{half, emptied} {
			if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: %v, want gone", name, err)
			}
		}
	})
}

// writeFakeBackup writes a one-group backup into dir.
func writeFakeBackup(t *testing.T, dir string) {
	t.Helper()
	if err := backup.PrepareDir(dir); err != nil {
		t.Fatal(err)
	}
	g, err := backup.WriteGroup(dir, "meta", 5, 2, strings.NewReader("state"))
	if err != nil {
		t.Fatal(err)
	}
	if err := backup.WriteManifest(dir, &backup.Manifest{Groups: []backup.Group{g}}); err != nil {
		t.Fatal(err)
	}
}

// TestScheduleDirectoryGivenForABackup: restore and verify given the
// schedule's --to instead of one backup in it are refused, change
// nothing, and name the newest backup to give instead.
func TestScheduleDirectoryGivenForABackup(t *testing.T) {
	dir := t.TempDir()
	writeFakeBackup(t, filepath.Join(dir, "20261207T230000Z"))
	writeFakeBackup(t, filepath.Join(dir, "20261208T000000Z"))
	newest := filepath.Join(dir, "20261208T000000Z")

	dataDir := filepath.Join(t.TempDir(), "n1")
	_, err := restore("--from", dir, "--data-dir", dataDir, "--node-id", "n1", "--peers", "n1=127.0.0.1:1")
	if !errors.Is(err, backup.ErrIncomplete) || !strings.Contains(err.Error(), "the newest is "+newest) {
		t.Errorf("restore --from the schedule's directory: %v, want %v naming %s", err, backup.ErrIncomplete, newest)
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused restore created %s (%v)", dataDir, err)
	}
	_, _, err = ctl(t, context.Background(), "backup", "verify", dir)
	if !errors.Is(err, backup.ErrIncomplete) || !strings.Contains(err.Error(), "the newest is "+newest) {
		t.Errorf("backup verify of the schedule's directory: %v, want %v naming %s", err, backup.ErrIncomplete, newest)
	}
}

// TestBackupScheduleOnePerDirectory: a second schedule on a directory
// another one writes into is refused, naming it, before it contacts a
// cluster or writes anything.
func TestBackupScheduleOnePerDirectory(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockBackupSchedule(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ctl(t, context.Background(), "--addr", "127.0.0.1:1", "backup", "schedule", "--to", dir)
	if err == nil || !strings.Contains(err.Error(), "another backup schedule writes into "+dir) {
		t.Fatalf("a second schedule on %s: %v", dir, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the refused schedule left %d entries in %s", len(entries), dir)
	}
	unlock()
	again, err := lockBackupSchedule(dir)
	if err != nil {
		t.Fatalf("the lock after the first schedule ended: %v", err)
	}
	again()
}
