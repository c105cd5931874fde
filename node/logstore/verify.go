package logstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// verify checks the file at path, without writing it, before Open maps
// it for writing, waiting at most lockTimeout (0: for ever) for another
// process's lock on it. A file that does not exist passes (Open
// creates it). It returns an error wrapping ErrDamaged that names the file
// and what is wrong when:
//
//   - the file is empty, or shorter than its two meta pages;
//   - neither meta page is valid (magic, version, checksum);
//   - the file is shorter than the pages its newest commit uses (a
//     truncated tail: bbolt would map the missing pages and the process
//     would die of SIGBUS on the first read of one);
//   - walking every bucket, key and value from the newest commit's root
//     reaches a page that is not what its parent says it is, keys out of
//     order, a log key that is not 8 bytes, or a log value that does not
//     decode or names another index than its key (an overwritten page:
//     bbolt asserts and panics on the first such page it meets).
//
// The walk runs in a read-only bbolt transaction with the goroutine's
// memory faults turned into panics (debug.SetPanicOnFault), and any panic
// in it is reported as damage, so a damaged file gives an error and never
// a crash. It reads the whole file once: a few hundred milliseconds for a
// large log, at start only.
//
// What it cannot see: a page overwritten with another valid page of the
// same file (two branches pointing at one page); bbolt's freelist scan
// then panics on its own goroutine. Random bytes, zeroed pages and
// truncation, which are what disks and filesystems do, are all caught.
func verify(path string, lockTimeout time.Duration) error {
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("logstore: %s: %w", path, err)
	}
	if err := checkMeta(path, info.Size()); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrDamaged, path, err)
	}
	if err := walkFile(path, lockTimeout); errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("logstore: open %s: %w", path, err)
	} else if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrDamaged, path, err)
	}
	return nil
}

// bbolt's on-disk meta page (go.etcd.io/bbolt/internal/common): a 16-byte
// page header, then magic, version, page size, flags (4 bytes each), the
// root bucket (page id, sequence), the freelist page id, the high-water
// page id, the transaction id and an FNV-64a checksum of the 56 bytes
// before it, all in the machine's byte order.
const (
	boltPageHeaderBytes = 16
	boltMetaBytes       = 64
	boltMagic           = 0xED0CDAED
	boltVersion         = 2
)

type boltMeta struct {
	pageSize   uint32
	highWater  uint64 // pages in use: ids 0 .. highWater-1
	txid       uint64
	invalidWhy string
}

// checkMeta reads both meta pages and checks the file against the newest
// valid one.
func checkMeta(path string, size int64) error {
	if size == 0 {
		return errors.New("the file is empty")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	first := make([]byte, boltPageHeaderBytes+boltMetaBytes)
	if _, err := io.ReadFull(f, first); err != nil {
		return fmt.Errorf("%d bytes: shorter than a meta page", size)
	}
	meta0 := parseMeta(first)
	pageSize := int64(meta0.pageSize)
	if meta0.invalidWhy != "" {
		pageSize = int64(os.Getpagesize()) // bbolt's default, to find meta 1
	}
	second := make([]byte, boltPageHeaderBytes+boltMetaBytes)
	var meta1 boltMeta
	if _, err := f.ReadAt(second, pageSize); err != nil {
		meta1.invalidWhy = "missing"
	} else {
		meta1 = parseMeta(second)
	}
	newest := meta0
	switch {
	case meta0.invalidWhy != "" && meta1.invalidWhy != "":
		return fmt.Errorf("both meta pages are invalid (%s; %s)", meta0.invalidWhy, meta1.invalidWhy)
	case meta0.invalidWhy != "" || (meta1.invalidWhy == "" && meta1.txid > meta0.txid):
		newest = meta1
	}
	if used := int64(newest.highWater) * int64(newest.pageSize); size < used {
		return fmt.Errorf("truncated: the file is %d bytes and its last commit (transaction %d) uses %d", size, newest.txid, used)
	}
	return nil
}

func parseMeta(page []byte) boltMeta {
	order := binary.NativeEndian
	m := page[boltPageHeaderBytes:]
	meta := boltMeta{
		pageSize:  order.Uint32(m[8:]),
		highWater: order.Uint64(m[40:]),
		txid:      order.Uint64(m[48:]),
	}
	hash := fnv.New64a()
	_, _ = hash.Write(m[:56])
	switch {
	case order.Uint32(m[0:]) != boltMagic:
		meta.invalidWhy = "bad magic"
	case order.Uint32(m[4:]) != boltVersion:
		meta.invalidWhy = fmt.Sprintf("version %d", order.Uint32(m[4:]))
	case order.Uint64(m[56:]) != hash.Sum64():
		meta.invalidWhy = "bad checksum"
	case meta.pageSize < 512 || meta.pageSize&(meta.pageSize-1) != 0:
		meta.invalidWhy = fmt.Sprintf("page size %d", meta.pageSize)
	}
	return meta
}

// walkFile reads every key and value of the file in a read-only bbolt
// transaction; a panic or memory fault on the way is an error.
func walkFile(path string, lockTimeout time.Duration) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable: %v", r)
		}
	}()
	db, err := bbolt.Open(path, fileMode, &bbolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			return walkBucket(string(name), b, false)
		})
	})
}

// walkBucket checks b's keys are in order and, in a logs bucket, that
// each value decodes and belongs to its key; it descends into nested
// buckets.
func walkBucket(path string, b *bbolt.Bucket, logs bool) error {
	var previous []byte
	cursor := b.Cursor()
	for key, value := cursor.First(); key != nil; key, value = cursor.Next() {
		if previous != nil && bytes.Compare(previous, key) >= 0 {
			return fmt.Errorf("bucket %s: key %x after %x: out of order", path, key, previous)
		}
		previous = append(previous[:0], key...)
		if value == nil { // a nested bucket
			nested := b.Bucket(key)
			if nested == nil {
				return fmt.Errorf("bucket %s: key %x is neither a value nor a bucket", path, key)
			}
			if err := walkBucket(path+"/"+string(key), nested, bytes.Equal(key, logsBucket)); err != nil {
				return err
			}
			continue
		}
		if logs {
			if err := checkLogValue(key, value); err != nil {
				return fmt.Errorf("bucket %s: %w", path, err)
			}
		}
	}
	return nil
}

// checkLogValue decodes the layout of a stored entry (without opening
// sealed Data) and checks its index is its key's.
func checkLogValue(key, value []byte) error {
	index, err := keyIndex(key)
	if err != nil {
		return err
	}
	d := decoder{buf: value}
	version := d.byte()
	stored := d.uvarint()
	d.uvarint()       // term
	d.byte()          // type
	d.bytes()         // data
	d.bytes()         // extensions
	switch d.byte() { // AppendedAt
	case 0:
	case 1:
		d.varint()
		d.uvarint()
	default:
		if d.err == nil {
			return fmt.Errorf("index %d: AppendedAt flag invalid", index)
		}
	}
	switch {
	case d.err != nil:
		return fmt.Errorf("index %d: %w", index, d.err)
	case version != logEncodingV1 && version != logEncodingV2Sealed:
		return fmt.Errorf("index %d: log encoding version %d unknown", index, version)
	case stored != index:
		return fmt.Errorf("key %d holds the entry of index %d", index, stored)
	}
	return nil
}
