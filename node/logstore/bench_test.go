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
		b.Run(fmt.Sprintf("groups=%d/shared-logstore", groups), func(b *testing.B) {
			db, err := Open(filepath.Join(b.TempDir(), "logstore.db"), Options{})
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
		})
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
