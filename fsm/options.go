package fsm

import (
	"errors"
	"fmt"
)

// Sentinel errors of the package. Callers compare with errors.Is; the
// messages are wrapped with %w and the offending value where one exists.
var (
	// ErrNotFound: the event shard (or the hold) asked for by a read is not
	// in this store.
	ErrNotFound = errors.New("fsm: not found")
	// ErrChangesCompacted: ChangesSince was asked for a position older than
	// the oldest change still retained (the ring wrapped, or the store was
	// restored from a snapshot after that position). The watcher must
	// re-read the SeatMap and resume from its ChangeSequence.
	ErrChangesCompacted = errors.New("fsm: changes compacted")
	// ErrSnapshotInvalid: Restore was given bytes that are not a snapshot of
	// a supported version, are truncated, fail the checksum, or describe an
	// impossible state. The store is left unchanged.
	ErrSnapshotInvalid = errors.New("fsm: invalid snapshot")
	// ErrInvalidOptions: Options.Validate refused a field.
	ErrInvalidOptions = errors.New("fsm: invalid options")
)

// notFoundError is a read's ErrNotFound whose message says, on its own, what
// was not found (`hold "h1" not found in event "e1"`): callers show it to
// API clients as it is, without this package's name in front.
type notFoundError string

func (e notFoundError) Error() string        { return string(e) }
func (e notFoundError) Is(target error) bool { return target == ErrNotFound }

// Limits. Every size that a command can make the state machine allocate or
// walk is bounded; a command over a limit is refused with CODE_TOO_LARGE (or
// CODE_INVALID for a malformed venue) and changes nothing.
const (
	// MaxIDBytes bounds request ids, event ids, hold ids, holders, order ids,
	// buyers and ticket ids given in commands.
	MaxIDBytes = 128
	// MaxNameBytes bounds display names (event, section, pool).
	MaxNameBytes = 256
	// MaxVenueIDBytes bounds section ids, row labels, pool ids and price tier
	// ids. Section ids, row labels and pool ids are made of ASCII letters,
	// digits, '_' and '.', so that a seat id "<section>-<row>-<number>" and a
	// GA unit id "<pool>#<n>" parse back unambiguously.
	MaxVenueIDBytes = 32
	// MaxPriceTiers bounds EventConfig.price_tiers.
	MaxPriceTiers = 100
	// MaxSectionsPerShard bounds CreateShard.sections.
	MaxSectionsPerShard = 1000
	// MaxRowsPerSection bounds Section.rows.
	MaxRowsPerSection = 1000
	// MaxSeatsPerRow bounds Row.seat_count (which must be at least 1).
	MaxSeatsPerRow = 1000
	// MaxFirstSeatNumber bounds Row.first_number.
	MaxFirstSeatNumber = 100_000
	// MaxSeatsPerShard bounds the total number of seats of one shard.
	MaxSeatsPerShard = 2_000_000
	// MaxPoolsPerShard bounds CreateShard.pools.
	MaxPoolsPerShard = 100
	// MaxPoolCapacity bounds GeneralAdmissionPool.capacity.
	MaxPoolCapacity = 1_000_000
	// MaxSeatsPerHoldLimit bounds EventConfig.seats_per_hold_max, which in
	// turn bounds the seats (or GA units) of one hold.
	MaxSeatsPerHoldLimit = 1000
	// MaxHoldDurationMs bounds hold_ttl_default_ms, hold_ttl_max_ms and
	// hold_lifetime_max_ms (7 days).
	MaxHoldDurationMs = 7 * 24 * 3600 * 1000
	// MaxHoldsPerShard bounds the live holds of one shard (expired holds
	// count until swept); a Hold over it is refused with CODE_TOO_LARGE.
	MaxHoldsPerShard = 1 << 20
	// MaxTicketsPerOrder bounds the tickets one order holds in one shard
	// (several Sells may share an order id); a Sell over it is TOO_LARGE.
	MaxTicketsPerOrder = 10_000
	// MaxTicketsPerShard bounds the ticket numbers a shard issues (one per
	// seat or GA unit sold, never reused); a Sell past it is TOO_LARGE.
	MaxTicketsPerShard = 1<<32 - 1
	// MaxHoldsPerSweep bounds the work of one Sweep command: at most this
	// many expired holds are released; the rest go with the next Sweep.
	MaxHoldsPerSweep = 100_000

	// DefaultHoldTTLMs is EventConfig.hold_ttl_default_ms when 0.
	DefaultHoldTTLMs = 600_000
	// DefaultHoldTTLMaxMs is EventConfig.hold_ttl_max_ms when 0.
	DefaultHoldTTLMaxMs = 1_800_000
	// DefaultHoldLifetimeMaxMs is EventConfig.hold_lifetime_max_ms when 0.
	DefaultHoldLifetimeMaxMs = 3_600_000
	// DefaultSeatsPerHoldMax is EventConfig.seats_per_hold_max when 0.
	DefaultSeatsPerHoldMax = 20
)

// Options configures one Store (one data group). The zero value is valid
// and means the defaults. Every replica of a group must use the same
// Options: DedupWindowMs and DedupEntriesMax decide which retries are
// answered from the dedup table, which is replicated state.
type Options struct {
	// DedupWindowMs is how long (in command time, milliseconds) a request
	// id is remembered after it was applied. A retry within the window gets
	// a copy of the first result; after it, the request id is new again.
	// Entries older than the window are dropped by SWEEP. 0 means 3600000
	// (one hour); it must be at least 1000 and at most 7 days.
	DedupWindowMs int64
	// DedupEntriesMax caps the dedup table; when a new entry would exceed
	// it, the oldest entry (first applied) is forgotten. 0 means 1,000,000.
	// Memory is about 25 bytes plus the request id and the packed result
	// per entry: about 97 bytes on average over 2-seat holds and sells.
	DedupEntriesMax int
	// ChangeLogPerShard is how many recent SeatChanges each shard retains
	// for ChangesSince (Watch resume). 0 means 65536. The log is not part of
	// snapshots. Must be between 16 and 1<<24.
	ChangeLogPerShard int
}

const (
	defaultDedupWindowMs     = 3_600_000
	defaultDedupEntriesMax   = 1_000_000
	defaultChangeLogPerShard = 65536
	maxDedupEntries          = 100_000_000
)

// withDefaults returns o with zero fields replaced by their defaults.
func (o Options) withDefaults() Options {
	if o.DedupWindowMs == 0 {
		o.DedupWindowMs = defaultDedupWindowMs
	}
	if o.DedupEntriesMax == 0 {
		o.DedupEntriesMax = defaultDedupEntriesMax
	}
	if o.ChangeLogPerShard == 0 {
		o.ChangeLogPerShard = defaultChangeLogPerShard
	}
	return o
}

// Validate reports the first field whose value is out of range, naming the
// field and the value. Zero fields are valid (they mean the default).
func (o Options) Validate() error {
	d := o.withDefaults()
	if d.DedupWindowMs < 1000 || d.DedupWindowMs > MaxHoldDurationMs {
		return fmt.Errorf("%w: DedupWindowMs = %d, want 0 or 1000..%d", ErrInvalidOptions, o.DedupWindowMs, MaxHoldDurationMs)
	}
	if d.DedupEntriesMax < 1 || d.DedupEntriesMax > maxDedupEntries {
		return fmt.Errorf("%w: DedupEntriesMax = %d, want 0 or 1..%d", ErrInvalidOptions, o.DedupEntriesMax, maxDedupEntries)
	}
	if d.ChangeLogPerShard < 16 || d.ChangeLogPerShard > 1<<24 {
		return fmt.Errorf("%w: ChangeLogPerShard = %d, want 0 or 16..%d", ErrInvalidOptions, o.ChangeLogPerShard, 1<<24)
	}
	return nil
}
