package logstore

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/bbolt"

	"github.com/boxoffice/boxoffice/internal/sealing"
)

// File layout. Top-level buckets:
//
//	meta   -> "format": formatV1; "sealed" once opened with Options.Keys
//	groups -> one nested bucket per group ID, each holding
//	          logs   (8-byte big-endian index -> encoded raft.Log)
//	          stable (raft StableStore keys -> values)
var (
	metaBucket   = []byte("meta")
	groupsBucket = []byte("groups")
	logsBucket   = []byte("logs")
	stableBucket = []byte("stable")

	formatKey = []byte("format")
	formatV1  = []byte("boxoffice-logstore-v1")
	// sealedKey in meta marks a file opened with Options.Keys.
	sealedKey = []byte("sealed")
)

// fileMode is used only when Open creates the file.
const fileMode = 0o600

// DB is one bbolt file shared by every Raft group of a node process. All
// writes of all groups go through one group-commit queue (see doc.go);
// reads run in their own bbolt read transactions. A DB is safe for
// concurrent use.
type DB struct {
	bolt    *bbolt.DB
	path    string
	options Options
	metrics *metrics // nil without Options.Metrics

	// noSpace is set when a commit fails for lack of space on the file's
	// filesystem and cleared when one succeeds (see NoSpace).
	noSpace atomic.Bool

	// isClosed mirrors closed for readers, which never take mu.
	isClosed  atomic.Bool
	closeOnce sync.Once
	closeErr  error

	// mu guards the commit queue and the counters behind Stats. Invariant:
	// queue is non-empty only while committing is true, so a writer that
	// finds committing false also finds an empty queue and commits at once.
	mu          sync.Mutex
	changed     *sync.Cond // queue shrank, or the leader finished
	queue       []*writeRequest
	queuedOps   int
	queuedBytes int
	committing  bool
	closed      bool
	stats       Stats

	// groupsMu serialises Group and DeleteGroup so that creating and
	// deleting the same group commit in the order the calls were made.
	groupsMu sync.Mutex
	groups   map[string]*GroupStore
}

// Stats are cumulative counters since Open, plus a snapshot of the queue.
type Stats struct {
	// Commits counts successful bbolt write transactions; with NoSync
	// false each is one fsync.
	Commits uint64
	// CommitFailures counts transactions whose Begin or Commit failed;
	// every writer in them got the error.
	CommitFailures uint64
	// Requests counts writer calls (StoreLogs, Set, DeleteRange, ...)
	// acknowledged by a successful commit.
	Requests uint64
	// Operations counts the operations (see Options.BatchOpsMax) of those
	// requests. Operations / Commits is the mean batch size.
	Operations uint64
	// RejectedRequests counts requests that failed on their own (for
	// example a deleted group, an empty stable key) and were removed from
	// their batch, which was then retried without them.
	RejectedRequests uint64
	// LargestCommitOperations is the most operations in one commit.
	LargestCommitOperations int
	// CommitDuration is the total time spent in bbolt's Tx.Commit, and
	// CommitDurationMax the longest single commit.
	CommitDuration    time.Duration
	CommitDurationMax time.Duration
	// WriteSyncDuration is the part of CommitDuration spent writing dirty
	// pages and the meta page, including both fdatasync calls (bbolt's
	// TxStats.WriteTime).
	WriteSyncDuration time.Duration
	// QueuedRequests is the number of writers waiting for the next commit
	// at the time of the call.
	QueuedRequests int
	// OpenGroups is the number of GroupStores handed out and not deleted.
	OpenGroups int
}

// Open opens or creates the file at path. It fails with a wrapped
// bbolt.ErrTimeout if another DB holds the file lock for longer than
// Options.Timeout, and with an error wrapping ErrDamaged, naming the file
// and what is wrong, if it is damaged (verify.go).
func Open(path string, options Options) (*DB, error) {
	if err := options.Validate(); err != nil {
		return nil, err
	}
	options = options.withDefaults()
	if err := verify(path, options.Timeout); err != nil {
		return nil, err
	}
	bolt, err := bbolt.Open(path, fileMode, &bbolt.Options{
		Timeout:         options.Timeout,
		NoSync:          options.NoSync,
		InitialMmapSize: options.InitialMmapSize,
		// As etcd does: the freelist is rebuilt by scanning at open
		// instead of being rewritten by every commit, which removes one
		// page write (often several) from each group commit. The hashmap
		// freelist keeps allocation O(1) as the file grows.
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("logstore: open %s: %w", path, err)
	}
	db := &DB{
		bolt:    bolt,
		path:    path,
		options: options,
		groups:  make(map[string]*GroupStore),
	}
	db.changed = sync.NewCond(&db.mu)
	if err := bolt.Update(initialize); err != nil {
		_ = bolt.Close()
		return nil, fmt.Errorf("logstore: open %s: %w", path, err)
	}
	if err := checkSealing(bolt, options.Keys); err != nil {
		_ = bolt.Close()
		return nil, fmt.Errorf("logstore: open %s: %w", path, err)
	}
	if options.Metrics != nil {
		db.metrics, err = registerMetrics(options.Metrics, db)
		if err != nil {
			_ = bolt.Close()
			return nil, fmt.Errorf("logstore: open %s: %w", path, err)
		}
	}
	return db, nil
}

// initialize creates the top-level buckets of a new file and checks the
// format marker of an existing one.
func initialize(tx *bbolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(metaBucket)
	if err != nil {
		return err
	}
	switch format := meta.Get(formatKey); {
	case format == nil:
		if err := meta.Put(formatKey, formatV1); err != nil {
			return err
		}
	case !bytes.Equal(format, formatV1):
		return fmt.Errorf("%w: file format %q, want %q", ErrCorrupt, format, formatV1)
	}
	_, err = tx.CreateBucketIfNotExists(groupsBucket)
	return err
}

// noSpaceRecoveredBytes is the free space at which NoSpace stops
// reporting a full filesystem without waiting for a commit: room for a
// few commits.
const noSpaceRecoveredBytes = 1 << 20

// NoSpace reports whether the file's filesystem is full: the last commit
// failed with ENOSPC and the filesystem still has less than 1 MiB
// available. A node that is idle once space is freed commits nothing, so
// the filesystem's free space is asked rather than waiting for the next
// commit to clear it.
func (db *DB) NoSpace() bool {
	if !db.noSpace.Load() {
		return false
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(db.path), &fs); err == nil && int64(fs.Bavail)*int64(fs.Bsize) >= noSpaceRecoveredBytes {
		db.noSpace.Store(false)
		return false
	}
	return true
}

// Path returns the file path given to Open.
func (db *DB) Path() string { return db.path }

// Close waits for the commit in flight and every queued writer, then
// closes the file. Writers arriving after Close starts get ErrClosed.
// Close is idempotent; every call returns the first call's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.mu.Lock()
		db.closed = true
		db.isClosed.Store(true)
		db.changed.Broadcast() // writers blocked on a full queue give up
		for db.committing {
			db.changed.Wait()
		}
		db.mu.Unlock()
		if db.metrics != nil {
			db.metrics.unregister()
		}
		// bbolt's Close waits for open read transactions.
		db.closeErr = db.bolt.Close()
	})
	return db.closeErr
}

// Group returns the store of one Raft group, creating its buckets if they
// do not exist. Repeated calls with the same ID return the same
// *GroupStore. The ID must be 1 to GroupIDBytesMax bytes.
func (db *DB) Group(groupID string) (*GroupStore, error) {
	if err := validateGroupID(groupID); err != nil {
		return nil, err
	}
	db.groupsMu.Lock()
	defer db.groupsMu.Unlock()
	if group, ok := db.groups[groupID]; ok {
		return group, nil
	}
	name := []byte(groupID)
	exists := false
	err := db.view(func(tx *bbolt.Tx) error {
		group := tx.Bucket(groupsBucket).Bucket(name)
		exists = group != nil && group.Bucket(logsBucket) != nil && group.Bucket(stableBucket) != nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !exists { // a restart finds its groups on disk and commits nothing
		err = db.write(1, len(name), func(tx *bbolt.Tx) error {
			group, err := tx.Bucket(groupsBucket).CreateBucketIfNotExists(name)
			if err != nil {
				return err
			}
			if _, err := group.CreateBucketIfNotExists(logsBucket); err != nil {
				return err
			}
			_, err = group.CreateBucketIfNotExists(stableBucket)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("logstore: create group %q: %w", groupID, err)
		}
	}
	group := &GroupStore{db: db, id: groupID, name: name}
	if db.options.Keys != nil {
		if group.sealer, err = db.options.Keys.Sealer(groupID); err != nil {
			return nil, fmt.Errorf("logstore: group %q: %w", groupID, err)
		}
	}
	db.groups[groupID] = group
	return group, nil
}

// Groups returns the IDs of the groups stored in the file, in byte order,
// whether or not Group has been called for them since Open. A node calls
// it at start to restart the Raft groups it hosted.
func (db *DB) Groups() ([]string, error) {
	var ids []string
	err := db.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(groupsBucket).ForEachBucket(func(name []byte) error {
			ids = append(ids, string(name))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// DeleteGroup removes a group's log and stable store in one commit.
// Deleting a group that does not exist succeeds. The group's Raft must be
// shut down first: afterwards every method of its GroupStore returns
// ErrGroupDeleted, and Group(groupID) starts a new, empty group.
func (db *DB) DeleteGroup(groupID string) error {
	if err := validateGroupID(groupID); err != nil {
		return err
	}
	db.groupsMu.Lock()
	defer db.groupsMu.Unlock()
	name := []byte(groupID)
	err := db.write(1, len(name), func(tx *bbolt.Tx) error {
		groups := tx.Bucket(groupsBucket)
		if groups.Bucket(name) == nil {
			return nil
		}
		return groups.DeleteBucket(name)
	})
	if err != nil {
		return fmt.Errorf("logstore: delete group %q: %w", groupID, err)
	}
	if group, ok := db.groups[groupID]; ok {
		// Set before groupsMu is released, hence before any later
		// Group(groupID) can commit; writes of the old handle check it
		// inside their transaction, so none can land in the new group.
		group.deleted.Store(true)
		delete(db.groups, groupID)
	}
	return nil
}

// Stats returns the counters described on Stats.
func (db *DB) Stats() Stats {
	db.mu.Lock()
	stats := db.stats
	stats.QueuedRequests = len(db.queue)
	db.mu.Unlock()
	db.groupsMu.Lock()
	stats.OpenGroups = len(db.groups)
	db.groupsMu.Unlock()
	return stats
}

// view runs fn in a bbolt read transaction; reads never wait for the
// commit queue.
func (db *DB) view(fn func(tx *bbolt.Tx) error) error {
	if db.isClosed.Load() {
		return ErrClosed
	}
	err := db.bolt.View(fn)
	if errors.Is(err, bbolt.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

func validateGroupID(groupID string) error {
	if len(groupID) == 0 || len(groupID) > GroupIDBytesMax {
		return fmt.Errorf("%w: %d bytes, want 1 to %d", ErrInvalidGroupID, len(groupID), GroupIDBytesMax)
	}
	return nil
}

// checkSealing marks a file opened with keys as encrypted, refuses an
// encrypted file without keys, and, with keys, reads the key id of every
// sealed entry (no decryption: a scan of the file) so that a key file
// missing a key still in use is refused at Open rather than when Raft
// reads that entry.
func checkSealing(bolt *bbolt.DB, keys *sealing.Keyring) error {
	if keys == nil {
		return bolt.View(func(tx *bbolt.Tx) error {
			if tx.Bucket(metaBucket).Get(sealedKey) != nil {
				return ErrEncrypted
			}
			return nil
		})
	}
	err := bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(groupsBucket).ForEachBucket(func(name []byte) error {
			logs := tx.Bucket(groupsBucket).Bucket(name).Bucket(logsBucket)
			if logs == nil {
				return nil
			}
			return logs.ForEach(func(key, value []byte) error {
				if len(value) == 0 || value[0] != logEncodingV2Sealed {
					return nil
				}
				index, _ := keyIndex(key)
				id, err := sealedKeyID(value)
				if err != nil {
					return fmt.Errorf("group %q index %d: %w", name, index, err)
				}
				if !keys.Has(id) {
					return fmt.Errorf("%w: group %q index %d is sealed with key id %q; the key file has %s",
						sealing.ErrUnknownKey, name, index, id, strings.Join(keys.IDs(), ", "))
				}
				return nil
			})
		})
	})
	if err != nil {
		return err
	}
	return bolt.Update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if meta.Get(sealedKey) != nil {
			return nil
		}
		return meta.Put(sealedKey, []byte("aes-256-gcm"))
	})
}
