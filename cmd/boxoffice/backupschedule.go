package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxoffice/boxoffice/node/backup"
)

// Scheduled backups: `ctl backup schedule --to DIR --every 1h --keep 24`
// runs until interrupted and, once a period, takes the same backup as
// `ctl backup` into DIR/<UTC time> (20060102T150405Z), verifies it, then
// prunes the backups of DIR beyond retention. The rules that keep an
// operator's backups safe:
//
//   - A backup is written into DIR/<time>.partial and renamed to
//     DIR/<time> only once its manifest is written and Verify passed, so
//     every DIR/<time> is a whole, checked backup and a crash leaves at
//     most a .partial, which a later run never counts or deletes.
//   - Pruning runs only after a new backup verified, so a failing cluster
//     never costs a backup: the old ones stay until a new one replaces
//     them.
//   - Only a directory whose name is a backup time and whose manifest
//     reads is pruned, and only the files its manifest names (and the
//     manifest) are removed: anything else in DIR, or in the directory,
//     stays. A backup is first renamed to DIR/<time>.deleting (one atomic
//     step: it is no longer a backup), then emptied; a .deleting left by a
//     crash is finished by the next prune, checked the same way.
//   - One schedule per directory (a flock on .backup-schedule.lock).
//   - A failed run is logged and retried at the next period; the command
//     exits non-zero only for a bad command line, and 0 on SIGINT/SIGTERM
//     (a run in progress is abandoned and its .partial removed).

// backupTimeLayout names a scheduled backup's directory: UTC, sortable,
// no character a filesystem or shell treats specially.
const backupTimeLayout = "20060102T150405Z"

// backupNamePattern is what backupTimeLayout produces; nothing else in
// --to is ever pruned.
var backupNamePattern = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z$`)

// Suffixes of a scheduled backup's directory while it is written and
// while it is deleted.
const (
	backupPartialSuffix  = ".partial"
	backupDeletingSuffix = ".deleting"
)

// ctlBackupEveryMin is the shortest --every: a backup a second is already
// far more than any retention needs.
const ctlBackupEveryMin = time.Second

// backupSchedule is the validated command line of `ctl backup schedule`.
type backupSchedule struct {
	dir          string
	every        time.Duration
	keep         int           // newest backups always kept
	keepWithin   time.Duration // and every backup this close to the newest; 0: off
	groupTimeout time.Duration
}

func ctlBackupSchedule(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	to := fs.String("to", "", "write each backup into `directory`/<UTC time> (created if missing)")
	every := fs.Duration("every", time.Hour, fmt.Sprintf("take a backup each `period` (at least %s); the first at once", ctlBackupEveryMin))
	keep := fs.Int("keep", 24, "keep the newest `n` backups (at least 1)")
	keepWithin := fs.Duration("keep-within", 0, "also keep every backup taken within this `duration` before the newest one, e.g. 168h (default 0: only --keep counts)")
	groupTimeout := fs.Duration("group-timeout", ctlBackupGroupTimeoutDefault, "fail a run whose copy of one group takes longer than this `duration`")
	return func(ctx context.Context, e *ctlEnv, _ []string) error {
		s := backupSchedule{dir: *to, every: *every, keep: *keep, keepWithin: *keepWithin, groupTimeout: *groupTimeout}
		switch {
		case s.dir == "":
			return fmt.Errorf("%w: backup schedule: --to is required", errCtlUsage)
		case s.every < ctlBackupEveryMin:
			return fmt.Errorf("%w: backup schedule: --every %v: must be at least %v", errCtlUsage, s.every, ctlBackupEveryMin)
		case s.keep < 1:
			return fmt.Errorf("%w: backup schedule: --keep %d: must be at least 1 (the backup just taken)", errCtlUsage, s.keep)
		case s.keepWithin < 0:
			return fmt.Errorf("%w: backup schedule: --keep-within %v is negative", errCtlUsage, s.keepWithin)
		case s.groupTimeout <= 0:
			return fmt.Errorf("%w: backup schedule: --group-timeout %v must be positive", errCtlUsage, s.groupTimeout)
		}
		// A bad --addr or TLS flag fails every run: refuse it now.
		if len(e.opts.addrList()) == 0 {
			return fmt.Errorf("%w: backup schedule: --addr is empty", errCtlUsage)
		}
		if _, err := e.opts.tlsConfig(); err != nil {
			return err
		}
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			return fmt.Errorf("%w: backup schedule: --to: %v", errCtlUsage, err)
		}
		unlock, err := lockBackupSchedule(s.dir)
		if err != nil {
			return err
		}
		defer unlock()
		var log *slog.Logger
		if e.opts.json {
			log = slog.New(slog.NewJSONHandler(e.stderr, nil))
		} else {
			log = slog.New(slog.NewTextHandler(e.stderr, nil))
		}
		return runBackupSchedule(ctx, e, s, log)
	}
}

// backupScheduleLockFile is held, with flock, by the schedule writing
// into its directory: two schedules on one directory would each prune by
// their own count.
const backupScheduleLockFile = ".backup-schedule.lock"

// lockBackupSchedule takes dir's schedule lock, or says that another
// schedule holds it. The kernel drops the lock when the process ends,
// however it ends.
func lockBackupSchedule(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, backupScheduleLockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("backup schedule: --to %s: %w", dir, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("backup schedule: another backup schedule writes into %s (it holds %s); run one per directory", dir, path)
		}
		return nil, fmt.Errorf("backup schedule: lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// runBackupSchedule takes a backup at once and then each period until ctx
// ends. A run that overruns its period skips the periods it overran.
func runBackupSchedule(ctx context.Context, e *ctlEnv, s backupSchedule, log *slog.Logger) error {
	log.Info("backup schedule started", "dir", s.dir, "every", s.every, "keep", s.keep, "keep_within", s.keepWithin)
	for _, name := range backupLeftovers(s.dir, backupPartialSuffix) {
		log.Warn("an interrupted backup is left in place (not a backup; remove it when no backup runs)", "dir", filepath.Join(s.dir, name))
	}
	start := time.Now()
	for next := start; ; {
		backupScheduleRun(ctx, e, s, log)
		if ctx.Err() != nil {
			break
		}
		now := time.Now()
		next = next.Add(s.every)
		if skipped := now.Sub(next); skipped >= 0 {
			periods := skipped/s.every + 1
			log.Warn("the run took longer than --every: skipping periods", "skipped", int(periods))
			next = next.Add(periods * s.every)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(next)):
		}
		if ctx.Err() != nil {
			break
		}
	}
	log.Info("backup schedule stopped", "reason", context.Cause(ctx))
	return nil
}

// backupScheduleRun takes, verifies and publishes one backup, then
// prunes. Every outcome is logged; nothing is returned.
func backupScheduleRun(ctx context.Context, e *ctlEnv, s backupSchedule, log *slog.Logger) {
	started := time.Now()
	name := started.UTC().Format(backupTimeLayout)
	final := filepath.Join(s.dir, name)
	partial := final + backupPartialSuffix
	fail := func(stage string, err error) {
		log.Error("backup failed; the next run is at the next period, nothing pruned", "backup", name, "stage", stage, "error", ctlDescribeError(err))
	}
	if _, err := os.Lstat(final); err == nil {
		fail("prepare", fmt.Errorf("%s exists already (two runs in one second, or the clock went back)", final))
		return
	}
	if err := backup.PrepareDir(partial); err != nil {
		fail("prepare", err)
		return
	}
	m, err := ctlTakeBackup(ctx, e, partial, s.groupTimeout)
	if err == nil {
		_, err = backup.Verify(partial)
	}
	if err == nil {
		err = os.Rename(partial, final)
	}
	if err != nil {
		ctlRemoveBackupFiles(partial)
		_ = os.Remove(partial)
		if ctx.Err() != nil {
			log.Info("backup abandoned: the schedule is stopping", "backup", name)
			return
		}
		fail("backup", err)
		return
	}
	var bytes int64
	for _, g := range m.Groups {
		bytes += g.Bytes
	}
	log.Info("backup written and verified", "backup", name, "dir", final, "groups", len(m.Groups), "bytes", bytes,
		"took", time.Since(started).Round(time.Millisecond))
	pruned, kept, err := pruneBackups(s.dir, s.keep, s.keepWithin, name)
	for _, p := range pruned {
		log.Info("backup pruned", "backup", p)
	}
	if err != nil {
		log.Error("prune left backups in place; the next run tries again", "error", err)
	}
	if len(kept) > 0 {
		log.Info("retention", "kept", len(kept), "newest", kept[len(kept)-1], "oldest", kept[0])
	}
}

// pruneBackups deletes the backups of dir beyond retention: every backup
// except the newest keep ones and those taken within keepWithin before
// the newest (names are times, so newest is last by name), and never
// justWritten, which a clock set back may have named before older ones.
// It first finishes deletions a crash interrupted. It returns the names
// it deleted and the backups kept, oldest first.
func pruneBackups(dir string, keep int, keepWithin time.Duration, justWritten string) (pruned, kept []string, err error) {
	var problems []error
	for _, name := range backupLeftovers(dir, backupDeletingSuffix) {
		path := filepath.Join(dir, name)
		err := deleteBackup(path)
		if errors.Is(err, backup.ErrIncomplete) {
			// The crash came after the manifest went, which goes after
			// every file it names: only an empty directory is ours.
			err = os.Remove(path)
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: left in place: %w", path, err))
			continue
		}
		pruned = append(pruned, strings.TrimSuffix(name, backupDeletingSuffix))
	}
	all, err := listBackups(dir)
	if err != nil {
		return pruned, nil, errors.Join(append(problems, err)...)
	}
	if len(all) == 0 {
		return pruned, nil, errors.Join(problems...)
	}
	newest, _ := time.Parse(backupTimeLayout, all[len(all)-1])
	for i, name := range all {
		taken, _ := time.Parse(backupTimeLayout, name)
		if i >= len(all)-keep || (keepWithin > 0 && newest.Sub(taken) <= keepWithin) || name == justWritten {
			kept = append(kept, name)
			continue
		}
		doomed := filepath.Join(dir, name+backupDeletingSuffix)
		if err := os.Rename(filepath.Join(dir, name), doomed); err != nil {
			return pruned, kept, errors.Join(append(problems, err)...)
		}
		if err := deleteBackup(doomed); err != nil {
			problems = append(problems, err)
			continue
		}
		pruned = append(pruned, name)
	}
	return pruned, kept, errors.Join(problems...)
}

// listBackups returns the scheduled backups of dir, oldest first: the
// directories named as backupTimeLayout whose manifest reads.
func listBackups(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, entry := range entries {
		if !entry.IsDir() || !backupNamePattern.MatchString(entry.Name()) {
			continue
		}
		if _, err := backup.ReadManifest(filepath.Join(dir, entry.Name())); err != nil {
			continue // not one of ours, or damaged: left alone
		}
		names = append(names, entry.Name())
	}
	slices.Sort(names)
	return names, nil
}

// backupLeftovers lists the directories of dir named as a backup time
// with suffix.
func backupLeftovers(dir, suffix string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, entry := range entries {
		if entry.IsDir() && backupNamePattern.MatchString(strings.TrimSuffix(entry.Name(), suffix)) && strings.HasSuffix(entry.Name(), suffix) {
			names = append(names, entry.Name())
		}
	}
	return names
}

// deleteBackup removes the files path's manifest names, then the
// manifest, then the directory; a directory that still holds anything
// else stays, with that in it.
func deleteBackup(path string) error {
	m, err := backup.ReadManifest(path)
	if err != nil {
		return fmt.Errorf("not deleting %s: %w", path, err)
	}
	for _, g := range m.Groups {
		if err := os.Remove(filepath.Join(path, g.File)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Remove(filepath.Join(path, backup.ManifestFile)); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("%s holds files the backup did not write; left in place: %w", path, err)
	}
	return nil
}

// scheduledBackupHint adds, to the error of a directory that is not a
// backup but holds scheduled ones (the --to of backup schedule), which of
// them to name instead.
func scheduledBackupHint(dir, what string, err error) error {
	if !errors.Is(err, backup.ErrIncomplete) {
		return err
	}
	names, lerr := listBackups(dir)
	if lerr != nil || len(names) == 0 {
		return err
	}
	return fmt.Errorf("%w; %s holds %d scheduled backups: for %s name one of them, the newest is %s",
		err, dir, len(names), what, filepath.Join(dir, names[len(names)-1]))
}
