package logstore

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/boxoffice/boxoffice/internal/sealing"
)

// Defaults applied by Open to zero-valued Options fields.
const (
	DefaultBatchOpsMax   = 4096
	DefaultBatchBytesMax = 16 << 20 // 16 MiB
	DefaultTimeout       = 5 * time.Second
)

// Limits enforced by Validate and by Group.
const (
	// GroupIDBytesMax is the longest group ID accepted by Group. IDs are
	// bbolt bucket names; keeping them short keeps branch pages small.
	GroupIDBytesMax = 255

	batchOpsLimit   = 1 << 20
	batchBytesLimit = 1 << 30
	batchBytesFloor = 4 << 10
)

// Options configure one DB (one file per node process). The zero value is
// valid: every zero field takes the default named in its comment.
type Options struct {
	// NoSync skips fsync when a transaction commits. A crash of the
	// process alone loses nothing (the page cache survives), but power
	// loss or a kernel crash can lose acknowledged entries, which breaks
	// Raft's safety. For tests and benchmarks only. Default false.
	NoSync bool

	// BatchOpsMax caps the operations that go into one group commit (one
	// bbolt transaction, one fsync). An operation is one log entry stored,
	// one stable-store key set, one DeleteRange call, or one group created
	// or deleted. Larger batches amortise the fsync over more writers but
	// make the writers of that batch wait for a longer transaction. A
	// single StoreLogs call larger than this is never split (it must be
	// atomic); it commits alone. Default DefaultBatchOpsMax (4096);
	// at most 1<<20.
	BatchOpsMax int

	// BatchBytesMax caps the encoded bytes (keys plus values) of one group
	// commit, with the same never-split rule as BatchOpsMax. Default
	// DefaultBatchBytesMax (16 MiB); from 4 KiB to 1 GiB.
	BatchBytesMax int

	// QueueOpsMax bounds the operations waiting for the next commit while
	// one is in flight. A writer that would exceed it blocks until the
	// running commit drains the queue (back-pressure), rather than failing:
	// raft treats a failed StoreLogs on a leader as a reason to step down,
	// so "busy" would turn a burst into elections. A writer that finds the
	// queue empty is always admitted, however large. Default 4 ×
	// BatchOpsMax; must be at least BatchOpsMax.
	QueueOpsMax int

	// QueueBytesMax is QueueOpsMax for encoded bytes. Default 4 ×
	// BatchBytesMax; must be at least BatchBytesMax.
	QueueBytesMax int

	// Timeout is how long Open waits for the file lock held by another
	// process (or another DB in this process) before failing. Default
	// DefaultTimeout (5 s); negative is invalid. bbolt's own zero means
	// "wait forever", which would hang a node restarted while its previous
	// incarnation is still exiting, so zero here means the default.
	Timeout time.Duration

	// InitialMmapSize is the initial size in bytes of bbolt's read-only
	// memory map. When the file outgrows the map, the next commit must
	// wait for every open read transaction to finish before it can remap,
	// so a size above the expected file size removes that stall. Default
	// 0 (bbolt grows the map as needed); negative is invalid.
	InitialMmapSize int

	// Metrics, when not nil, receives the boxoffice_logstore_* collectors
	// at Open; Close unregisters them. Open fails if they are already
	// registered (two open DBs must use two registries). Default nil: no
	// Prometheus metrics; Stats works either way.
	Metrics prometheus.Registerer

	// Keys, when not nil, seals the Data of every entry written from now
	// on with AES-256-GCM under its current key (internal/sealing; codec.go
	// has the layout); entries written in clear before stay readable.
	// Opening a file with Keys marks it encrypted for good: Open then
	// refuses it without Keys (ErrEncrypted), and with Keys that lack the
	// id of a key some entry was sealed with (sealing.ErrUnknownKey,
	// naming the group, index and key id), so a node never starts on a
	// log it cannot read. Stable-store values (terms, votes) stay in
	// clear. Default nil: entries in clear.
	Keys *sealing.Keyring
}

// withDefaults returns a copy of o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.BatchOpsMax == 0 {
		o.BatchOpsMax = DefaultBatchOpsMax
	}
	if o.BatchBytesMax == 0 {
		o.BatchBytesMax = DefaultBatchBytesMax
	}
	if o.QueueOpsMax == 0 && o.BatchOpsMax > 0 {
		o.QueueOpsMax = 4 * o.BatchOpsMax
	}
	if o.QueueBytesMax == 0 && o.BatchBytesMax > 0 {
		o.QueueBytesMax = 4 * o.BatchBytesMax
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

// Validate reports the first field whose value (after defaults) is out of
// range. The error wraps ErrInvalidOptions and names the field and value.
func (o Options) Validate() error {
	o = o.withDefaults()
	switch {
	case o.BatchOpsMax < 1 || o.BatchOpsMax > batchOpsLimit:
		return fmt.Errorf("%w: BatchOpsMax %d not in [1, %d]", ErrInvalidOptions, o.BatchOpsMax, batchOpsLimit)
	case o.BatchBytesMax < batchBytesFloor || o.BatchBytesMax > batchBytesLimit:
		return fmt.Errorf("%w: BatchBytesMax %d not in [%d, %d]", ErrInvalidOptions, o.BatchBytesMax, batchBytesFloor, batchBytesLimit)
	case o.QueueOpsMax < o.BatchOpsMax:
		return fmt.Errorf("%w: QueueOpsMax %d below BatchOpsMax %d", ErrInvalidOptions, o.QueueOpsMax, o.BatchOpsMax)
	case o.QueueBytesMax < o.BatchBytesMax:
		return fmt.Errorf("%w: QueueBytesMax %d below BatchBytesMax %d", ErrInvalidOptions, o.QueueBytesMax, o.BatchBytesMax)
	case o.Timeout < 0:
		return fmt.Errorf("%w: Timeout %s is negative", ErrInvalidOptions, o.Timeout)
	case o.InitialMmapSize < 0:
		return fmt.Errorf("%w: InitialMmapSize %d is negative", ErrInvalidOptions, o.InitialMmapSize)
	}
	return nil
}
