// Package logstore keeps the Raft logs and stable stores of every Raft
// group of a node process in one bbolt file, and makes concurrent writers
// of different groups share fsyncs through group commit.
//
// # Why
//
// A node hosts many Raft groups (one per venue shard), each with its own
// log. With hashicorp/raft's usual raft-boltdb store, one file per group,
// every StoreLogs is its own transaction and its own fsync, and groups do
// not share them: 16 groups × 3 voters fell to about 2–3k writes/s on our
// test machine. With one file and batched commits the same disk reached
// about 20k commits/s. This package is that: DB is the file, GroupStore
// is one group's raft.LogStore and raft.StableStore.
//
// # Layout
//
// Top-level bucket "meta" holds a format marker that Open checks. Bucket
// "groups" holds one nested bucket per group ID, each with a "logs"
// bucket (8-byte big-endian index → entry, so bbolt's key order is index
// order) and a "stable" bucket (raft's CurrentTerm, LastVoteTerm,
// LastVoteCand). Groups lists the nested buckets, which is how a
// restarting node finds the groups it hosted; DeleteGroup drops one in a
// single commit.
//
// Entries are stored in a compact binary encoding with a version byte
// (see codec.go) instead of raft-boltdb's msgpack: a round trip of a
// 256-byte entry costs about 0.2 µs and 3 allocations against msgpack's
// 4 µs and 45 on our test machine, it round-trips every raft.Log field
// (Index, Term, Type, Data, Extensions, AppendedAt to the nanosecond), it
// repeats the index so a read can check the value belongs to its key, and
// it lets a later version change the layout without guessing. The file is
// therefore not readable by raft-boltdb, and vice versa.
//
// # Group commit
//
// Every write (StoreLogs, DeleteRange, Set, and Group and DeleteGroup)
// becomes a request in one FIFO queue per DB. The classic leader/follower
// scheme decides who commits:
//
//   - A writer that finds no commit in flight commits at once, alone. An
//     idle node pays one fsync per write and no added latency.
//   - Writers that arrive while a commit is in flight queue and sleep.
//     When the commit ends, its leader hands every follower its own
//     result and promotes the head of the queue, which commits everything
//     queued behind it (up to Options.BatchOpsMax operations and
//     BatchBytesMax bytes) in one bbolt transaction: one fsync for all.
//
// Under load the batch size therefore grows by itself to what arrives
// during one fsync, with no timer to tune. A request is never split, so
// one StoreLogs is atomic. If one request fails on its own (a deleted
// group, an empty stable key), the transaction is rolled back and retried
// without it: the others succeed and none of its writes survive. A failed
// commit fails every request in it, each with its own error value.
//
// The queue is bounded (Options.QueueOpsMax, QueueBytesMax). A writer that
// would overflow it blocks until the commit in flight takes the queue,
// rather than failing with "busy": raft makes a leader step down when its
// StoreLogs fails, so refusing under a burst would trade latency for
// elections. Raft itself bounds the writers: one log writer per group.
//
// Reads (FirstIndex, LastIndex, GetLog, Get) run in their own bbolt read
// transactions and never wait for the queue. bbolt allows any number of
// readers beside the one writer.
//
// # Rejected alternatives
//
// bbolt's DB.Batch also coalesces writers, but it starts a batch on a
// timer (MaxBatchDelay, 10 ms by default) or when MaxBatchSize callers
// have joined: an idle single writer, the common case for a quiet group,
// waits the full delay on every write, which is the whole Raft commit
// latency budget. Its retry-one-by-one on failure also re-runs functions,
// which StoreLogs would have to make idempotent. TestIdleWriterCommitsAtOnce
// guards against this regression.
//
// One file per group (raft-boltdb as is) is simple and isolates groups,
// but each group pays its own fsyncs and the disk sees N independent
// fsync streams; see the numbers above and BenchmarkStoreLogs.
//
// A purpose-built write-ahead log (segment files, as in etcd's wal or
// hashicorp/raft-wal) would be faster still, with appends and a single
// fdatasync and no B+tree page rewrites, but it needs its own recovery,
// truncation, compaction and torn-write handling, and a shared one needs
// per-group indexes on top. bbolt gives crash-safe atomic transactions,
// which we already depend on and test, for a fraction of the code. The
// interface here (DB, GroupStore) would let a WAL replace it later.
//
// # Encryption
//
// With Options.Keys, the Data of each entry is sealed with AES-256-GCM
// (internal/sealing) under a subkey of the group, with the entry's index
// and term as nonce, and stored as encoding version 2 (codec.go); the rest
// of the entry and the stable store stay in clear. Sealing writes into the
// commit buffer, so it costs one AES-GCM pass per entry and no copy
// (BenchmarkEncodeLog). A file once opened with keys is refused without
// them, and with keys lacking an id still in use (checked at Open by
// reading each entry's key id, without decrypting).
//
// # Durability
//
// A write returns after the commit carrying it has been fsynced (bbolt
// fdatasyncs the data pages, then the meta page). With Options.NoSync it
// returns after write(2) only: a process crash loses nothing, power loss
// can lose anything, and Raft's safety is gone; tests and benchmarks only.
// The file is opened with bbolt's NoFreelistSync, as etcd does: the
// freelist is rebuilt by scanning the file at Open instead of being
// rewritten by every commit.
//
// # Damage and a full disk
//
// Open reads the whole file before bbolt maps it for writing (verify.go):
// a truncated tail, overwritten or zeroed pages and invalid meta pages
// fail Open with ErrDamaged naming the file and what is wrong, where
// bbolt alone would serve from a file truncated mid-page, or panic, or
// die of SIGBUS. The file is never repaired: entries the node acknowledged
// may be gone, so the node must be replaced (README.md, "A node whose log
// is damaged").
//
// A commit that fails for lack of space fails every writer in it and
// stores nothing; NoSpace reports the state until space is back.
//
// # Differences from raft-boltdb
//
// The conformance suite (TestConformance, TestConformanceRandomOperations)
// runs the same cases against raft-boltdb/v2 and this package. Where
// raft relies on the behaviour they agree: FirstIndex and LastIndex are 0
// on an empty log; GetLog of a missing index returns raft.ErrLogNotFound
// itself; DeleteRange is inclusive; Get and GetUint64 of a missing key
// return an error whose text is "not found" (ErrKeyNotFound), which raft
// compares by text. Documented on GroupStore are the few places where this
// package returns an error and raft-boltdb panics.
//
// DeleteRange re-seeks its cursor after each delete instead of calling
// Next: with group commit, a DeleteRange can share a transaction with
// writes to the same leaf, and there bbolt's Cursor.Delete followed by
// Next skips keys (etcd-io/bbolt#146). raft-boltdb never shares
// transactions, so it never meets the bug;
// TestDeleteWithNextSkipsKeysAfterWritesInTheSameTransaction shows it.
package logstore
