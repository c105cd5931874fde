package logstore

import (
	"fmt"
	"sync/atomic"

	"github.com/hashicorp/raft"
	"go.etcd.io/bbolt"

	"github.com/boxoffice/boxoffice/internal/sealing"
)

// GroupStore is the log and stable store of one Raft group inside a DB.
// Pass the same value as both the LogStore and the StableStore of
// raft.NewRaft. Its semantics are those of raft-boltdb/v2's BoltStore
// (the conformance test runs one suite against both), with these
// differences, none of which raft relies on:
//
//   - StoreLogs of zero entries returns without committing.
//   - A nil entry in StoreLogs is rejected (raft-boltdb panics).
//   - GetUint64 of a value that is not 8 bytes returns an error wrapping
//     ErrCorrupt (raft-boltdb panics on shorter values and ignores extra
//     bytes).
//
// Writes are durable when they return (unless Options.NoSync). A
// GroupStore is safe for concurrent use.
type GroupStore struct {
	db   *DB
	id   string
	name []byte
	// deleted is set by DeleteGroup; every method then fails with
	// ErrGroupDeleted.
	deleted atomic.Bool
	// sealer seals entries' Data (Options.Keys); nil writes them in clear.
	sealer *sealing.Sealer
}

var (
	_ raft.LogStore    = (*GroupStore)(nil)
	_ raft.StableStore = (*GroupStore)(nil)
)

// ID returns the group ID given to DB.Group.
func (g *GroupStore) ID() string { return g.id }

// bucket returns the group's logs or stable bucket in tx.
func (g *GroupStore) bucket(tx *bbolt.Tx, name []byte) (*bbolt.Bucket, error) {
	if g.deleted.Load() {
		return nil, fmt.Errorf("%w: %q", ErrGroupDeleted, g.id)
	}
	group := tx.Bucket(groupsBucket).Bucket(g.name)
	if group == nil {
		return nil, fmt.Errorf("%w: %q", ErrGroupDeleted, g.id)
	}
	bucket := group.Bucket(name)
	if bucket == nil {
		return nil, fmt.Errorf("%w: group %q has no %s bucket", ErrCorrupt, g.id, name)
	}
	return bucket, nil
}

// FirstIndex returns the lowest stored index, or 0 if the log is empty.
func (g *GroupStore) FirstIndex() (uint64, error) {
	return g.edgeIndex((*bbolt.Cursor).First)
}

// LastIndex returns the highest stored index, or 0 if the log is empty.
func (g *GroupStore) LastIndex() (uint64, error) {
	return g.edgeIndex((*bbolt.Cursor).Last)
}

func (g *GroupStore) edgeIndex(position func(*bbolt.Cursor) ([]byte, []byte)) (uint64, error) {
	var index uint64
	err := g.db.view(func(tx *bbolt.Tx) error {
		logs, err := g.bucket(tx, logsBucket)
		if err != nil {
			return err
		}
		key, _ := position(logs.Cursor())
		if key == nil {
			return nil
		}
		index, err = keyIndex(key)
		return err
	})
	return index, err
}

// GetLog reads the entry at index into log. A missing index returns
// raft.ErrLogNotFound itself (raft compares with ==).
func (g *GroupStore) GetLog(index uint64, log *raft.Log) error {
	return g.db.view(func(tx *bbolt.Tx) error {
		logs, err := g.bucket(tx, logsBucket)
		if err != nil {
			return err
		}
		value := logs.Get(indexKey(index))
		if value == nil {
			return raft.ErrLogNotFound
		}
		if err := decodeLogSealed(value, log, g.sealer); err != nil {
			return fmt.Errorf("group %q index %d: %w", g.id, index, err)
		}
		if log.Index != index {
			return fmt.Errorf("%w: group %q key %d holds entry %d", ErrCorrupt, g.id, index, log.Index)
		}
		return nil
	})
}

// StoreLog stores one entry; see StoreLogs.
func (g *GroupStore) StoreLog(log *raft.Log) error {
	return g.StoreLogs([]*raft.Log{log})
}

// StoreLogs stores entries atomically: after a crash either all of them
// are present or none. An entry at an existing index replaces it. The
// call returns after the group commit that carries it is durable.
func (g *GroupStore) StoreLogs(logs []*raft.Log) error {
	if len(logs) == 0 {
		return nil
	}
	size := 0
	for i, log := range logs {
		if log == nil {
			return fmt.Errorf("%w: entry %d of %d is nil", ErrInvalidLog, i, len(logs))
		}
		size += 8 + encodedLogBytesMax(log)
	}
	// Keys and values share one buffer; bbolt references them until the
	// transaction commits, and this call does not return before that.
	buffer := make([]byte, 0, size)
	keys := make([][]byte, len(logs))
	values := make([][]byte, len(logs))
	for i, log := range logs {
		start := len(buffer)
		buffer = append(buffer, indexKey(log.Index)...)
		keys[i] = buffer[start:len(buffer):len(buffer)]
		start = len(buffer)
		buffer = appendLogSealed(buffer, log, g.sealer)
		values[i] = buffer[start:len(buffer):len(buffer)]
	}
	err := g.db.write(len(logs), len(buffer), func(tx *bbolt.Tx) error {
		bucket, err := g.bucket(tx, logsBucket)
		if err != nil {
			return err
		}
		// Raft appends at the end; fuller pages halve the page count
		// (etcd uses the same setting for its sequential key bucket).
		bucket.FillPercent = 0.9
		for i := range keys {
			if err := bucket.Put(keys[i], values[i]); err != nil {
				return fmt.Errorf("group %q store log %d: %w", g.id, logs[i].Index, err)
			}
		}
		return nil
	})
	return err
}

// DeleteRange deletes the entries from minIndex to maxIndex inclusive;
// indexes without entries are skipped, and minIndex > maxIndex deletes
// nothing.
func (g *GroupStore) DeleteRange(minIndex, maxIndex uint64) error {
	minKey := indexKey(minIndex)
	return g.db.write(1, 16, func(tx *bbolt.Tx) error {
		bucket, err := g.bucket(tx, logsBucket)
		if err != nil {
			return err
		}
		// Seek again after every delete instead of calling Next: once the
		// leaf has been modified in this transaction (for example by
		// another request of the same group commit), bbolt's Cursor.Delete
		// moves the cursor and Next skips a key (etcd-io/bbolt#146).
		cursor := bucket.Cursor()
		for key, _ := cursor.Seek(minKey); key != nil; key, _ = cursor.Seek(minKey) {
			index, err := keyIndex(key)
			if err != nil {
				return err
			}
			if index > maxIndex {
				break
			}
			if err := cursor.Delete(); err != nil {
				return fmt.Errorf("group %q delete log %d: %w", g.id, index, err)
			}
		}
		return nil
	})
}

// Set stores a stable-store key. An empty key is rejected by bbolt
// (bbolt.ErrKeyRequired), as in raft-boltdb.
func (g *GroupStore) Set(key, value []byte) error {
	return g.db.write(1, len(key)+len(value), func(tx *bbolt.Tx) error {
		bucket, err := g.bucket(tx, stableBucket)
		if err != nil {
			return err
		}
		if err := bucket.Put(key, value); err != nil {
			return fmt.Errorf("group %q set %q: %w", g.id, key, err)
		}
		return nil
	})
}

// Get returns a copy of a stable-store value, or ErrKeyNotFound (text
// "not found", unwrapped) if the key was never set. An empty value reads
// back as nil, as in raft-boltdb.
func (g *GroupStore) Get(key []byte) ([]byte, error) {
	var value []byte
	found := false
	err := g.db.view(func(tx *bbolt.Tx) error {
		bucket, err := g.bucket(tx, stableBucket)
		if err != nil {
			return err
		}
		stored := bucket.Get(key)
		found = stored != nil
		value = append([]byte(nil), stored...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrKeyNotFound
	}
	return value, nil
}

// SetUint64 stores val big-endian under key.
func (g *GroupStore) SetUint64(key []byte, val uint64) error {
	return g.Set(key, indexKey(val))
}

// GetUint64 reads a value stored by SetUint64, or returns ErrKeyNotFound.
func (g *GroupStore) GetUint64(key []byte) (uint64, error) {
	value, err := g.Get(key)
	if err != nil {
		return 0, err
	}
	if len(value) != 8 {
		return 0, fmt.Errorf("%w: group %q key %q holds %d bytes, not a uint64", ErrCorrupt, g.id, key, len(value))
	}
	return keyIndex(value)
}
