package logstore

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"go.etcd.io/bbolt"
)

func openTestDB(t *testing.T, options Options) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "logstore.db"), options)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func mustGroup(t *testing.T, db *DB, id string) *GroupStore {
	t.Helper()
	group, err := db.Group(id)
	if err != nil {
		t.Fatalf("Group(%q): %v", id, err)
	}
	return group
}

// stallCommits starts a commit that does not finish until the returned
// release is called, so that the writers started meanwhile queue up
// behind it.
func stallCommits(t *testing.T, db *DB) (release func()) {
	t.Helper()
	entered, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.write(1, 0, func(*bbolt.Tx) error {
			close(entered)
			<-gate
			return nil
		})
	}()
	<-entered
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("stalled commit: %v", err)
		}
	}
}

func waitQueued(t *testing.T, db *DB, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for db.Stats().QueuedRequests != want {
		if time.Now().After(deadline) {
			t.Fatalf("QueuedRequests = %d, want %d", db.Stats().QueuedRequests, want)
		}
		time.Sleep(time.Millisecond) // poll interval of the wait for the queue
	}
}

func TestWritersArrivingDuringACommitShareTheNextOne(t *testing.T) {
	db := openTestDB(t, Options{NoSync: true})
	groups := make([]*GroupStore, 10)
	for i := range groups {
		groups[i] = mustGroup(t, db, fmt.Sprintf("group-%d", i))
	}
	before := db.Stats()
	release := stallCommits(t, db)

	var writers sync.WaitGroup
	errs := make([]error, len(groups))
	for i, group := range groups {
		writers.Add(1)
		go func() {
			defer writers.Done()
			errs[i] = group.StoreLogs(sampleLogs(1, 3))
		}()
	}
	waitQueued(t, db, len(groups))
	release()
	writers.Wait()

	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
		requireIndexes(t, groups[i], 1, 3)
	}
	after := db.Stats()
	if commits := after.Commits - before.Commits; commits != 2 {
		t.Fatalf("%d commits for the stalled one and 10 queued writers, want 2", commits)
	}
	if after.LargestCommitOperations != 30 {
		t.Fatalf("LargestCommitOperations = %d, want 30 (10 writers × 3 entries)", after.LargestCommitOperations)
	}
}

// An idle writer must not wait for company: bbolt's DB.Batch would hold
// each of these 200 sequential writes for MaxBatchDelay (10 ms), 2 s in all.
func TestIdleWriterCommitsAtOnce(t *testing.T) {
	db := openTestDB(t, Options{NoSync: true})
	group := mustGroup(t, db, "solo")
	start := time.Now()
	for index := uint64(1); index <= 200; index++ {
		if err := group.StoreLog(&raft.Log{Index: index, Term: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Fatalf("200 sequential writes took %s; an idle writer is being delayed", elapsed)
	}
}

func TestBatchesRespectBatchOpsMax(t *testing.T) {
	db := openTestDB(t, Options{NoSync: true, BatchOpsMax: 8})
	group := mustGroup(t, db, "g")
	release := stallCommits(t, db)
	var writers sync.WaitGroup
	for writer := range 10 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			key := []byte(fmt.Sprint("key-", writer))
			if err := group.Set(key, []byte("v")); err != nil {
				t.Errorf("Set: %v", err)
			}
		}()
	}
	waitQueued(t, db, 10)
	release()
	writers.Wait()
	if largest := db.Stats().LargestCommitOperations; largest != 8 {
		t.Fatalf("LargestCommitOperations = %d with BatchOpsMax 8, want 8", largest)
	}
	// A request larger than the limit still commits, alone and whole.
	if err := group.StoreLogs(sampleLogs(1, 20)); err != nil {
		t.Fatalf("StoreLogs of 20 entries with BatchOpsMax 8: %v", err)
	}
	requireIndexes(t, group, 1, 20)
}

func TestFullQueueBlocksWritersUntilItDrains(t *testing.T) {
	db := openTestDB(t, Options{NoSync: true, BatchOpsMax: 4, QueueOpsMax: 4})
	group := mustGroup(t, db, "g")
	release := stallCommits(t, db)
	var writers sync.WaitGroup
	for writer := range 12 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			if err := group.Set([]byte(fmt.Sprint("key-", writer)), []byte("v")); err != nil {
				t.Errorf("Set: %v", err)
			}
		}()
	}
	waitQueued(t, db, 4)
	time.Sleep(20 * time.Millisecond) // the other 8 writers had time to overfill it
	if queued := db.Stats().QueuedRequests; queued != 4 {
		t.Fatalf("QueuedRequests = %d with QueueOpsMax 4", queued)
	}
	release()
	writers.Wait()
	for writer := range 12 {
		mustGet(t, group, []byte(fmt.Sprint("key-", writer)))
	}
}

// One writer's failure must not fail the writers that shared its commit,
// and must leave none of its own writes behind.
func TestAFailedWriterDoesNotFailItsBatch(t *testing.T) {
	db := openTestDB(t, Options{NoSync: true})
	group := mustGroup(t, db, "g")
	release := stallCommits(t, db)
	results := make(chan error, 3)
	go func() { results <- group.StoreLogs(sampleLogs(1, 5)) }()
	waitQueued(t, db, 1)
	failed := make(chan error, 1)
	go func() {
		failed <- db.write(2, 0, func(tx *bbolt.Tx) error {
			bucket, err := group.bucket(tx, logsBucket)
			if err != nil {
				return err
			}
			if err := bucket.Put(indexKey(100), appendLog(nil, &raft.Log{Index: 100})); err != nil {
				return err
			}
			return errors.New("planted failure")
		})
	}()
	waitQueued(t, db, 2)
	go func() { results <- group.Set(nil, []byte("empty key is refused")) }()
	waitQueued(t, db, 3)
	go func() { results <- group.StoreLogs(sampleLogs(6, 10)) }()
	waitQueued(t, db, 4)
	release()

	if err := <-failed; err == nil || err.Error() != "planted failure" {
		t.Fatalf("failing writer got %v, want its own error", err)
	}
	var successes, refusals int
	for range 3 {
		if err := <-results; err == nil {
			successes++
		} else if errors.Is(err, bbolt.ErrKeyRequired) {
			refusals++
		} else {
			t.Fatalf("unexpected error %v", err)
		}
	}
	if successes != 2 || refusals != 1 {
		t.Fatalf("%d successes and %d refusals, want 2 and 1", successes, refusals)
	}
	requireIndexes(t, group, 1, 10)
	requireMissing(t, group, 100)
	if stats := db.Stats(); stats.RejectedRequests != 2 {
		t.Fatalf("RejectedRequests = %d, want 2", stats.RejectedRequests)
	}
}

// DeleteRange in the same transaction as writes to the same leaf is where
// bbolt's Cursor.Delete+Next skips keys (etcd-io/bbolt#146); raft-boltdb
// never meets it because each of its calls is its own transaction.
func TestDeleteRangeInTheSameCommitAsStoreLogs(t *testing.T) {
	db := openTestDB(t, Options{NoSync: true})
	group := mustGroup(t, db, "g")
	mustStore(t, group, sampleLogs(1, 2000))
	release := stallCommits(t, db)
	done := make(chan error, 2)
	go func() { done <- group.StoreLogs(sampleLogs(2001, 2600)) }()
	waitQueued(t, db, 1)
	go func() { done <- group.DeleteRange(1, 2500) }()
	waitQueued(t, db, 2)
	release()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	requireIndexes(t, group, 2501, 2600)
	for index := uint64(1); index <= 2500; index += 7 {
		requireMissing(t, group, index)
	}
}

// deleteRangeWithNext is DeleteRange as raft-boltdb writes it, kept here
// to show that the test above catches the cursor bug it guards against.
func deleteRangeWithNext(bucket *bbolt.Bucket, minIndex, maxIndex uint64) error {
	cursor := bucket.Cursor()
	for key, _ := cursor.Seek(indexKey(minIndex)); key != nil; key, _ = cursor.Next() {
		if index, _ := keyIndex(key); index > maxIndex {
			break
		}
		if err := cursor.Delete(); err != nil {
			return err
		}
	}
	return nil
}

func TestDeleteWithNextSkipsKeysAfterWritesInTheSameTransaction(t *testing.T) {
	db := openTestDB(t, Options{NoSync: true})
	group := mustGroup(t, db, "g")
	mustStore(t, group, sampleLogs(1, 2000))
	err := db.write(1, 0, func(tx *bbolt.Tx) error {
		bucket, err := group.bucket(tx, logsBucket)
		if err != nil {
			return err
		}
		for _, log := range sampleLogs(2001, 2600) {
			if err := bucket.Put(indexKey(log.Index), appendLog(nil, log)); err != nil {
				return err
			}
		}
		return deleteRangeWithNext(bucket, 1, 2500)
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := group.FirstIndex()
	if err != nil {
		t.Fatal(err)
	}
	if first == 2501 {
		t.Skip("this bbolt no longer skips keys on Cursor.Delete+Next; the re-seek in DeleteRange is now only defensive")
	}
	t.Logf("Cursor.Delete+Next after writes left index %d behind: the bug DeleteRange avoids", first)
}

func TestConcurrentWritersAcrossManyGroups(t *testing.T) {
	const (
		groupCount       = 24
		writersPerGroup  = 3
		batchesPerWriter = 40
		entriesPerBatch  = 3
	)
	db := openTestDB(t, Options{NoSync: true})
	groups := make([]*GroupStore, groupCount)
	for i := range groups {
		groups[i] = mustGroup(t, db, fmt.Sprintf("group-%02d", i))
	}
	stop := make(chan struct{})
	var readers, writers sync.WaitGroup
	for _, group := range groups[:4] { // readers run beside the writers, outside the queue
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				last, err := group.LastIndex()
				if err != nil {
					t.Errorf("LastIndex: %v", err)
					return
				}
				var log raft.Log
				if err := group.GetLog(last, &log); last > 0 && err != nil {
					t.Errorf("GetLog(%d): %v", last, err)
					return
				}
			}
		}()
	}
	// Writer w of a group owns the blocks of indexes w, w+writers, ...
	for _, group := range groups {
		for writer := range writersPerGroup {
			writers.Add(1)
			go func() {
				defer writers.Done()
				for batch := range batchesPerWriter {
					block := uint64(batch*writersPerGroup + writer)
					first := block*entriesPerBatch + 1
					if err := group.StoreLogs(sampleLogs(first, first+entriesPerBatch-1)); err != nil {
						t.Errorf("StoreLogs: %v", err)
						return
					}
					if err := group.SetUint64([]byte(fmt.Sprint("writer-", writer)), first); err != nil {
						t.Errorf("SetUint64: %v", err)
						return
					}
				}
			}()
		}
	}
	writers.Wait()
	close(stop)
	readers.Wait()

	const entriesPerGroup = writersPerGroup * batchesPerWriter * entriesPerBatch
	for _, group := range groups {
		requireIndexes(t, group, 1, entriesPerGroup)
		requireLogs(t, group, sampleLogs(1, entriesPerGroup)...)
	}
	stats := db.Stats()
	const requests = groupCount * writersPerGroup * batchesPerWriter * 2
	if stats.Requests != requests+groupCount { // + one bucket creation per group
		t.Fatalf("Requests = %d, want %d", stats.Requests, requests+groupCount)
	}
	if stats.Commits >= stats.Requests {
		t.Fatalf("%d commits for %d requests: no group commit happened", stats.Commits, stats.Requests)
	}
	t.Logf("%d requests in %d commits, largest commit %d operations",
		stats.Requests, stats.Commits, stats.LargestCommitOperations)
}

func TestCloseWaitsForQueuedWritersAndRefusesNewOnes(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "logstore.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	group := mustGroup(t, db, "g")
	release := stallCommits(t, db)
	queued := make(chan error, 1)
	go func() { queued <- group.StoreLogs(sampleLogs(1, 1)) }()
	waitQueued(t, db, 1)
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	for !db.isClosed.Load() {
		time.Sleep(time.Millisecond) // poll interval of the wait for Close to begin
	}
	if err := group.StoreLog(&raft.Log{Index: 2}); !errors.Is(err, ErrClosed) {
		t.Fatalf("StoreLog during Close = %v, want ErrClosed", err)
	}
	release()
	if err := <-queued; err != nil {
		t.Fatalf("writer queued before Close: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := group.LastIndex(); !errors.Is(err, ErrClosed) {
		t.Fatalf("LastIndex after Close = %v, want ErrClosed", err)
	}
	if _, err := db.Group("other"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Group after Close = %v, want ErrClosed", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close = %v, want the first result (nil)", err)
	}
}

func TestGroupsAndDeleteGroup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logstore.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"venue/2", "venue/1", "venue/3"} {
		group := mustGroup(t, db, id)
		mustStore(t, group, sampleLogs(1, 5))
	}
	again := mustGroup(t, db, "venue/1")
	if same := mustGroup(t, db, "venue/1"); same != again {
		t.Fatal("Group returned a second handle for the same ID")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids, err := db.Groups()
	if err != nil || fmt.Sprint(ids) != "[venue/1 venue/2 venue/3]" {
		t.Fatalf("Groups after reopen = %v, %v", ids, err)
	}
	stale := mustGroup(t, db, "venue/2")
	if err := db.DeleteGroup("venue/2"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteGroup("venue/2"); err != nil {
		t.Fatalf("deleting a deleted group: %v", err)
	}
	if _, err := stale.LastIndex(); !errors.Is(err, ErrGroupDeleted) {
		t.Fatalf("LastIndex of a deleted group = %v, want ErrGroupDeleted", err)
	}
	if err := stale.StoreLog(&raft.Log{Index: 6}); !errors.Is(err, ErrGroupDeleted) {
		t.Fatalf("StoreLog to a deleted group = %v, want ErrGroupDeleted", err)
	}
	if ids, _ := db.Groups(); fmt.Sprint(ids) != "[venue/1 venue/3]" {
		t.Fatalf("Groups after DeleteGroup = %v", ids)
	}
	reborn := mustGroup(t, db, "venue/2")
	requireIndexes(t, reborn, 0, 0)
	if err := stale.StoreLog(&raft.Log{Index: 1}); !errors.Is(err, ErrGroupDeleted) {
		t.Fatalf("old handle wrote into the recreated group: %v", err)
	}
	requireIndexes(t, mustGroup(t, db, "venue/3"), 1, 5)

	for _, id := range []string{"", string(make([]byte, GroupIDBytesMax+1))} {
		if _, err := db.Group(id); !errors.Is(err, ErrInvalidGroupID) {
			t.Fatalf("Group of a %d-byte ID = %v, want ErrInvalidGroupID", len(id), err)
		}
	}
}

func TestStoreLogsRejectsNilEntries(t *testing.T) {
	db := openTestDB(t, Options{NoSync: true})
	group := mustGroup(t, db, "g")
	if err := group.StoreLogs([]*raft.Log{{Index: 1}, nil}); !errors.Is(err, ErrInvalidLog) {
		t.Fatalf("StoreLogs with a nil entry = %v, want ErrInvalidLog", err)
	}
	requireIndexes(t, group, 0, 0)
}

func TestOpenWaitsForTheFileLockOnlyUntilTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logstore.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := Open(path, Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, bbolt.ErrTimeout) {
		t.Fatalf("second Open of a locked file = %v, want bbolt.ErrTimeout", err)
	}
}

func TestOpenRefusesAnotherFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logstore.db")
	bolt, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bolt.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucket(metaBucket)
		if err != nil {
			return err
		}
		return meta.Put(formatKey, []byte("boxoffice-logstore-v99"))
	})
	if err != nil {
		t.Fatal(err)
	}
	bolt.Close()
	if _, err := Open(path, Options{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a v99 file = %v, want ErrCorrupt", err)
	}
}

func TestGetLogChecksTheEntryBelongsToItsKey(t *testing.T) {
	db := openTestDB(t, Options{NoSync: true})
	group := mustGroup(t, db, "g")
	err := db.write(1, 0, func(tx *bbolt.Tx) error {
		bucket, err := group.bucket(tx, logsBucket)
		if err != nil {
			return err
		}
		return bucket.Put(indexKey(5), appendLog(nil, &raft.Log{Index: 6}))
	})
	if err != nil {
		t.Fatal(err)
	}
	var log raft.Log
	if err := group.GetLog(5, &log); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("GetLog of a misplaced entry = %v, want ErrCorrupt", err)
	}
}
