package logstore

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"go.etcd.io/bbolt"
)

// writeRequest is one writer's call waiting to be committed. apply runs
// inside the shared transaction, in queue order, on the leader's
// goroutine; it must not keep tx or its slices after returning.
type writeRequest struct {
	apply func(tx *bbolt.Tx) error
	ops   int
	bytes int

	// err is the writer's own result, written by the leader before ready
	// is closed.
	err error
	// ready is closed exactly once: when the request has been committed
	// (or failed) by another writer, or when this writer is promoted to
	// lead the next commit, which lead is then true.
	ready chan struct{}
	lead  bool
}

// write queues apply and returns once it has been committed (with an fsync
// unless NoSync) or has failed. It is the leader/follower group commit:
//
//   - A writer that finds no commit in flight becomes the leader and
//     commits at once, alone; there is no timer and no idle penalty.
//   - Writers arriving while a commit is in flight queue up (FIFO) and
//     sleep. When the commit ends, the leader wakes its followers with
//     their results and promotes the head of the queue, which commits
//     everything queued behind it, up to BatchOpsMax/BatchBytesMax, in
//     one transaction.
//
// Under load each commit therefore carries the writers that arrived
// during the previous one, and the fsync rate settles where the disk can
// keep up. ops and bytes size the request for the limits in Options.
func (db *DB) write(ops, bytes int, apply func(tx *bbolt.Tx) error) error {
	request := &writeRequest{apply: apply, ops: ops, bytes: bytes, ready: make(chan struct{})}
	db.mu.Lock()
	for !db.closed && len(db.queue) > 0 &&
		(db.queuedOps+ops > db.options.QueueOpsMax || db.queuedBytes+bytes > db.options.QueueBytesMax) {
		db.changed.Wait() // back-pressure: the queue is full
	}
	if db.closed {
		db.mu.Unlock()
		return ErrClosed
	}
	db.queue = append(db.queue, request)
	db.queuedOps += ops
	db.queuedBytes += bytes
	if db.committing {
		db.mu.Unlock()
		<-request.ready
		if !request.lead {
			return request.err
		}
		db.mu.Lock()
	} else {
		if len(db.queue) != 1 {
			panic(fmt.Sprintf("logstore: %d requests queued with no commit in flight", len(db.queue)))
		}
		db.committing = true
	}
	db.lead()
	return request.err
}

// lead commits one batch taken from the head of the queue, whose first
// request is the caller's own, then hands the lead to the next queued
// writer. Called with mu held and committing true; returns with mu
// released.
func (db *DB) lead() {
	count, batchOps, batchBytes := 0, 0, 0
	for _, request := range db.queue {
		fits := batchOps+request.ops <= db.options.BatchOpsMax &&
			batchBytes+request.bytes <= db.options.BatchBytesMax
		if count > 0 && !fits {
			break // the first request always goes, however large: it cannot be split
		}
		count++
		batchOps += request.ops
		batchBytes += request.bytes
	}
	batch := make([]*writeRequest, count)
	copy(batch, db.queue)
	remaining := copy(db.queue, db.queue[count:])
	clear(db.queue[remaining:])
	db.queue = db.queue[:remaining]
	db.queuedOps -= batchOps
	db.queuedBytes -= batchBytes
	db.changed.Broadcast() // room for writers blocked on a full queue
	db.mu.Unlock()

	outcome := db.commit(batch)

	db.mu.Lock()
	db.stats.add(outcome)
	for _, request := range batch[1:] {
		close(request.ready)
	}
	if len(db.queue) > 0 {
		next := db.queue[0]
		next.lead = true
		close(next.ready)
	} else {
		db.committing = false
	}
	db.changed.Broadcast() // Close may be waiting for committing to end
	db.mu.Unlock()
	if db.metrics != nil {
		db.metrics.observe(outcome)
	}
}

// commitOutcome is what one call of commit did, for Stats and metrics.
type commitOutcome struct {
	committed      bool
	failed         bool
	requests       int
	ops            int
	rejected       int
	commitDuration time.Duration
	writeDuration  time.Duration
}

// commit applies batch in one bbolt write transaction and sets every
// request's err. A request whose own apply fails gets that error and is
// dropped; the transaction is rolled back and retried without it, so one
// writer's failure never fails the others and no partial write of the
// failed request survives (bbolt has no savepoints). A failed Begin or
// Commit fails every remaining request.
func (db *DB) commit(batch []*writeRequest) commitOutcome {
	var outcome commitOutcome
	pending := batch
	for len(pending) > 0 {
		tx, err := db.bolt.Begin(true)
		if err != nil {
			outcome.failed = true
			failAll(pending, fmt.Errorf("logstore: begin commit: %w", err))
			return outcome
		}
		rejected := -1
		for i, request := range pending {
			if err := request.apply(tx); err != nil {
				request.err = err
				rejected = i
				break
			}
		}
		if rejected >= 0 {
			_ = tx.Rollback()
			outcome.rejected++
			// Copy rather than splice: pending may still alias batch.
			retry := make([]*writeRequest, 0, len(pending)-1)
			retry = append(retry, pending[:rejected]...)
			pending = append(retry, pending[rejected+1:]...)
			continue
		}

		start := time.Now()
		err = tx.Commit()
		outcome.commitDuration = time.Since(start)
		if err != nil {
			outcome.failed = true
			db.noSpace.Store(errors.Is(err, syscall.ENOSPC))
			failAll(pending, fmt.Errorf("logstore: commit: %w", err))
			return outcome
		}
		db.noSpace.Store(false)
		stats := tx.Stats()
		outcome.writeDuration = stats.GetWriteTime()
		outcome.committed = true
		outcome.requests = len(pending)
		for _, request := range pending {
			outcome.ops += request.ops
			request.err = nil
		}
		return outcome
	}
	return outcome // every request was rejected; nothing to commit
}

func failAll(requests []*writeRequest, err error) {
	for _, request := range requests {
		request.err = err
	}
}

func (s *Stats) add(outcome commitOutcome) {
	s.RejectedRequests += uint64(outcome.rejected)
	if outcome.failed {
		s.CommitFailures++
	}
	if !outcome.committed {
		return
	}
	s.Commits++
	s.Requests += uint64(outcome.requests)
	s.Operations += uint64(outcome.ops)
	s.LargestCommitOperations = max(s.LargestCommitOperations, outcome.ops)
	s.CommitDuration += outcome.commitDuration
	s.CommitDurationMax = max(s.CommitDurationMax, outcome.commitDuration)
	s.WriteSyncDuration += outcome.writeDuration
}
