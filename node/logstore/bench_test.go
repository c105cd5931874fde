package logstore

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/boxoffice/boxoffice/internal/sealing"
)

// BenchmarkStoreLogs measures durable (fsync on) single-entry appends
// from concurrent writers, one per group replica, as Raft issues them: a
// group's writes are sequential, different groups' are concurrent. It
// compares one shared logstore file per node against one raft-boltdb
// file per group, in a temporary directory on disk (/tmp by default; set
// TMPDIR to benchmark another disk). writes/s counts acknowledged
// StoreLogs calls; fsyncs/write is commits per write for logstore.
//
//	go test -run '^$' -bench StoreLogs -benchtime 4000x ./node/logstore/
func BenchmarkStoreLogs(b *testing.B) {
	payload := make([]byte, 256) // a typical hold/sell command
	for _, groups := range []int{16, 48} {
		for _, sealed := range []bool{false, true} {
			name := "shared-logstore"
			options := Options{}
			if sealed {
				name, options.Keys = "shared-logstore-sealed", testKeys(b, "k1")
			}
			b.Run(fmt.Sprintf("groups=%d/%s", groups, name), func(b *testing.B) {
				benchmarkSharedLogstore(b, groups, options, payload)
			})
		}
		b.Run(fmt.Sprintf("groups=%d/raft-boltdb-file-per-group", groups), func(b *testing.B) {
			dir := b.TempDir()
			stores := make([]raft.LogStore, groups)
			for i := range stores {
				store, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, fmt.Sprintf("group-%d.db", i))})
				if err != nil {
					b.Fatal(err)
				}
				defer store.Close()
				stores[i] = store
			}
			runConcurrentAppends(b, stores, payload)
		})
	}
}

func benchmarkSharedLogstore(b *testing.B, groups int, options Options, payload []byte) {
	db, err := Open(filepath.Join(b.TempDir(), "logstore.db"), options)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	stores := make([]raft.LogStore, groups)
	for i := range stores {
		if stores[i], err = db.Group(fmt.Sprintf("group-%d", i)); err != nil {
			b.Fatal(err)
		}
	}
	before := db.Stats()
	runConcurrentAppends(b, stores, payload)
	after := db.Stats()
	b.ReportMetric(float64(after.Commits-before.Commits)/float64(b.N), "fsyncs/write")
}

// BenchmarkEncodeLog is the CPU cost of one entry's encoding and decoding,
// in clear and sealed (Options.Keys), without bbolt or fsync: what
// encryption adds per entry on the write and read paths.
//
//	go test -run '^$' -bench EncodeLog ./node/logstore/
func BenchmarkEncodeLog(b *testing.B) {
	for _, size := range []int{256, 4096} {
		for _, sealed := range []bool{false, true} {
			var sealer *sealing.Sealer
			name := fmt.Sprintf("data=%d/clear", size)
			if sealed {
				var err error
				if sealer, err = testKeys(b, "k1").Sealer("g000"); err != nil {
					b.Fatal(err)
				}
				name = fmt.Sprintf("data=%d/sealed", size)
			}
			log := &raft.Log{Index: 12345, Term: 7, Type: raft.LogCommand, Data: make([]byte, size), AppendedAt: time.Now()}
			b.Run(name+"/encode", func(b *testing.B) {
				buffer := make([]byte, 0, encodedLogBytesMax(log))
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					buffer = appendLogSealed(buffer[:0], log, sealer)
				}
			})
			encoded := appendLogSealed(nil, log, sealer)
			b.Run(name+"/decode", func(b *testing.B) {
				var out raft.Log
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if err := decodeLogSealed(encoded, &out, sealer); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// runConcurrentAppends spreads b.N appends over one goroutine per store
// and reports the aggregate rate.
func runConcurrentAppends(b *testing.B, stores []raft.LogStore, payload []byte) {
	b.Helper()
	if dir := os.Getenv("TMPDIR"); dir != "" {
		b.Logf("TMPDIR=%s", dir)
	}
	var writers sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i, store := range stores {
		count := b.N / len(stores)
		if i < b.N%len(stores) {
			count++
		}
		writers.Add(1)
		go func() {
			defer writers.Done()
			for index := uint64(1); index <= uint64(count); index++ {
				log := &raft.Log{Index: index, Term: 1, Type: raft.LogCommand, Data: payload, AppendedAt: time.Now()}
				if err := store.StoreLogs([]*raft.Log{log}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	writers.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "writes/s")
}

// BenchmarkGrowFreshFile appends 3 KB entries (an on-sale entry of ~30
// commands) to a fresh file, one group, fsync on, until the file holds
// about 16 MiB, with bbolt's default memory map (32 KiB, doubled as the
// file grows: each doubling remaps, truncates and fsyncs the file whole
// inside a commit) and with the 1 GiB initial map the node uses. It
// reports the slowest commit and the mean; the growth stalls show in the
// maximum.
//
//	go test -run '^$' -bench GrowFreshFile -benchtime 1x -count 3 ./node/logstore/
func BenchmarkGrowFreshFile(b *testing.B) {
	payload := make([]byte, 3<<10)
	const entries = 3000
	for _, mmap := range []int{0, 1 << 30} {
		b.Run(fmt.Sprintf("initial-mmap=%dMiB", mmap>>20), func(b *testing.B) {
			var slowest, total time.Duration
			for range b.N {
				db, err := Open(filepath.Join(b.TempDir(), "logstore.db"), Options{InitialMmapSize: mmap})
				if err != nil {
					b.Fatal(err)
				}
				store, err := db.Group("g")
				if err != nil {
					b.Fatal(err)
				}
				for i := uint64(1); i <= entries; i++ {
					began := time.Now()
					if err := store.StoreLogs([]*raft.Log{{Index: i, Term: 1, Type: raft.LogCommand, Data: payload}}); err != nil {
						b.Fatal(err)
					}
					took := time.Since(began)
					total += took
					slowest = max(slowest, took)
				}
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(slowest.Microseconds())/1000, "max-ms")
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N*entries), "mean-ms")
		})
	}
}
