// Package fsm is the replicated state machine of one Boxoffice data group:
// the seats, general-admission (GA) pools, holds and orders of every event
// shard the group owns.
//
// # Contract
//
// The state machine is pure and deterministic. It imports nothing from
// raft, gRPC or the node, and reads no clock, randomness, disk or network.
// Replicas that apply the same entries in the same order reach the same
// state (compare with StateHash) and return the same Results.
//
//   - Apply(index, data) applies one Raft entry, an encoded fsmpb.Batch,
//     and returns one Result per command. Indexes must increase. An entry
//     that does not decode, or a state transition that cannot happen (an
//     invariant broken), panics: that is corruption, and the process must
//     stop rather than diverge. Business refusals (seat taken, hold
//     expired, ...) are Results with a Code, and change nothing.
//   - Snapshot captures the state under the read lock cheaply (it copies
//     the hold and order tables, not the seats); WriteTo then encodes it
//     while Apply continues. Restore replaces everything.
//   - Reads (SeatMap, GetHold, Shards, ChangesSince, ...) copy state out
//     under the read lock. Linearizability is the caller's business.
//
// # Time
//
// Time comes only from Command.now_unix_ms, stamped by the proposing
// leader. The store keeps a replicated clock, the largest time applied so
// far, and executes every command at max(now_unix_ms, clock): a new leader
// with a slow clock cannot bring an expired hold back to life, and the
// dedup FIFO is in time order. A hold is expired when now >= expires and
// now >= pinned_until. Expired holds are not timers: their seats simply
// count as free for anyone else from that moment (taking one removes it
// from the old hold; an expired hold left empty is forgotten), and the
// replicated SWEEP command releases them (at most MaxHoldsPerSweep per
// command, in (deadline, hold id) order, shards in (event, shard) order).
//
// # Commands
//
// Every command except SWEEP needs a request id; a command whose request id
// was applied within Options.DedupWindowMs gets a copy of the first Result
// (refusals included) without its SeatChanges, and changes nothing, if it
// is the same request: each entry keeps a 16-byte request fingerprint
// (requestFingerprint: a hash of the type and body, or of the digest of
// the caller's whole request that a multi-shard operation stamps; never
// the stamped time), and another request under a remembered id is refused
// CODE_REQUEST_ID_REUSED, changing nothing and remembered nowhere. The
// dedup table (dedup.go) is a FIFO in apply order over a byte arena, with
// an open-addressing index: SWEEP drops entries older than the window, and
// the oldest entries go first when the table exceeds
// Options.DedupEntriesMax. Both are functions of replicated state, and the
// table is in snapshots. Lookups compare whole request ids, so a hash
// collision never answers with another request's Result. Results are
// stored encoded (a hand-written encoder byte-identical to proto.Marshal,
// see resultcodec.go) and packed (packResult, an S2 block), because they
// are compact, immutable and ready for snapshots.
//
//   - CREATE_SHARD validates the venue (every limit is a Max* constant) and
//     installs it. The same request id again is a no-op even after its dedup
//     entry is gone (the shard remembers it); another is ALREADY_EXISTS.
//   - HOLD is all or nothing: explicit seats, best available, or GA units.
//     TTL 0 means the event default, and is capped at hold_ttl_max_ms.
//     Refusals: INVALID (no or several kinds, quantity 0, malformed or
//     repeated seat ids), TOO_LARGE (over seats_per_hold_max), NOT_FOUND
//     (unknown shard, seat, section, tier, pool), CONFLICT (Result.seat_ids
//     lists the taken seats), UNAVAILABLE (best available / GA found too
//     few), ALREADY_EXISTS (the hold id exists, live or expired-unswept).
//   - EXTEND_HOLD sets expiry to min(now + capped ttl, created +
//     hold_lifetime_max_ms); it may shorten a hold if asked for a short TTL.
//   - PIN_HOLD sets pinned_until (never lowering an earlier pin, at most
//     hold_lifetime_max_ms ahead): a pinned hold does not expire until then,
//     which lets a sell spanning shards finish in every shard. Seat views
//     and SeatChanges give as expiry the later of expiry and pin (when the
//     seat becomes free); Result.expires_at_unix_ms and HoldInfo give the
//     hold's own expiry.
//   - RELEASE frees a live hold. A hold that expired but was not swept is
//     refused with EXPIRED (its seats are already free to others; SWEEP will
//     release it); a hold released, sold or swept before is NOT_FOUND.
//   - Checks on an existing hold come in this order: NOT_FOUND, NOT_OWNER
//     (holder differs), EXPIRED.
//   - SELL turns a live (or pinned) hold into an order: seats become SOLD,
//     tickets get ids "<event>/<shard>/<n>" from a replicated per-shard
//     counter, GA units get seat ids "<pool>#<n>" from a per-pool counter.
//     Several sells may share an order id (same buyer only).
//   - REFUND returns an order's tickets in this shard (all, or the listed
//     ones, all or nothing) to sale. Ticket numbers are never reused.
//   - RECORD_CAS, RECORD_DELETE and RECORD_ADD write the group's record
//     table, a key-value map independent of the shards (the checkout
//     gateway's durable state; see records.go for versions, limits and the
//     order of refusals). Every write takes the next value of a per-store
//     version counter, which is in snapshots. GetRecord and ScanRecords
//     read the table under the read lock.
//   - RECORD_BATCH applies up to 64 record operations (put, delete, add,
//     check) all or nothing: every condition is checked first, in order,
//     and a refusal names the operation (Result.op_index); applied, each
//     write takes the next version and Result.op_results answers each
//     operation (recordbatch.go).
//   - ARCHIVE_SHARD (DeleteEvent) drops a shard: seats, holds, orders and
//     change log leave the store and its snapshots. HAS_HOLDS, changing
//     nothing, while a hold has not expired at the command's time;
//     check_only decides only that. A shard that is not here is OK.
//   - FREEZE_SHARD, IMPORT_SHARD, DROP_SHARD and UNFREEZE_SHARD move a
//     shard to another group (move.go): a frozen shard refuses every
//     mutation with SHARD_MOVING (not remembered, so the retry is a new
//     attempt), is not swept, and is exported with the dedup entries of
//     the commands that addressed it (recorded when Command.remember_shard
//     is set); the target imports exactly that state. Snapshots are
//     version 5 only while a shard is frozen.
//
// Every Result lists the SeatChanges it caused. Each shard numbers its
// changes with a replicated sequence (+1 per change) and keeps the last
// Options.ChangeLogPerShard of them in a ring for ChangesSince (Watch
// resume). The ring is not in snapshots: after a Restore, ChangesSince
// answers ErrChangesCompacted for positions before the restore, and the
// watcher re-reads the SeatMap (whose ChangeSequence says where to resume).
// A GA pool change carries the pool id as seat id, the units still free,
// and the state AVAILABLE while units remain, else HELD if some are held,
// else SOLD.
//
// # Best available
//
// In the section asked for (else every section of the shard, in venue
// order), rows closest to the stage first, four steps stop at the first
// that finds seats: (1) n adjacent seats in one row, not crossing an aisle,
// leaving no orphan (a lone free seat between the block and a taken seat,
// the row end or an aisle); (2) the same, orphans allowed; (3) if
// allow_across_aisle, adjacent ignoring aisles; (4) if allow_split_rows,
// the group split over rows: rows in order, in each the longest runs first,
// each placed closest to the row centre. In steps 1 to 3 the first row that
// has a block wins, and in it the block that leaves the fewest odd free
// runs when the group is even (so pairs never strand a seat; see
// fragments in best.go), then the block whose centre is closest to the
// row's centre, then the lowest number. price_tier and accessible_only
// filter the candidate seats. Rows keep counts of available and held seats
// and a lazily recomputed run summary (longest run with and without aisles,
// the set of run lengths under 64), so a row that cannot satisfy a step is
// skipped in O(1): a maximal run of length L holds an orphan-free block of
// n iff L == n or L >= n+2. While some hold of the shard is expired but not
// swept, summaries (which count AVAILABLE seats only) are bypassed for an
// exact scan; SWEEP restores the fast path. The search is checked against a
// brute-force reference in TestBestAvailableMatchesReference.
//
// # Memory
//
// A seat is 8 bytes (state, flags, hold-or-order slot); its row is found
// by binary search over the rows' first seats (a few compares: ~2,000 rows
// in a 100,000-seat shard), its ticket number is in its order's ticket list,
// and seat ids are computed from the row ("<section>-<row>-<number>"),
// never stored. (It was 16 bytes with the row and ticket number inline.) Holds and orders live in slot tables indexed by the seat,
// with an idIndex from id to slot (idindex.go: 8-byte slots holding a hash
// tag and the slot, about 12 bytes an entry; a map[string]uint32 was about
// 53). Free slots are reused lowest first, which
// makes slot numbers a function of the replicated history, so a restored
// replica allocates exactly as the original would and the snapshot
// encoding doubles as the StateHash input. hold.seats and order.tickets are
// copy-on-write, which is what lets Snapshot copy the tables shallowly.
// A shard keeps its venue as these tables and the CreateShard's encoding
// (for snapshots), not as the decoded message (10 bytes a seat).
// Measured (TestMemoryPerSeat, 1,000,000 seats): about 10 bytes per seat
// for an empty venue; about 67 with half the seats sold in 2-seat orders
// and a fifth held in 2-seat holds (the order and hold records and their
// id strings dominate). The dedup table is a separate budget, per request
// rather than per seat: about 113 bytes per remembered request
// (BenchmarkDedupMemory; it was 196 as a map of request id to a pointer to
// an entry holding one string): an 8-byte FIFO slot, about 12 bytes of
// index, and in the arena the request id (16 bytes for a UUID), the
// request fingerprint (16 bytes), the time
// and the packed Result (a 2-seat hold's about 43 bytes, a 2-seat sell's
// about 99, against 41 and 166 unpacked; a hand-written LZ77 saved 7
// bytes more per entry, not worth owning a compressor). The 600,000 requests of that
// busy venue add about 68 bytes per seat for the dedup window. The change
// ring is at most Options.ChangeLogPerShard 40-byte records per shard.
//
// # Snapshot format
//
// See snapshot.go: a magic and version header, varint body, CRC-32C
// trailer. Seat states are not written; they are rebuilt from the holds
// and orders, and Restore checks every cross reference (no seat claimed
// twice, pools within capacity, ids unique, slots in order), so a snapshot
// either restores into a consistent store or is refused with
// ErrSnapshotInvalid, leaving the store untouched.
//
// # Rejected alternatives
//
//   - Timers or a background goroutine for expiry: not deterministic; a
//     replicated SWEEP with the leader's time is.
//   - Releasing expired holds lazily inside HOLD: it would make a refused
//     hold change state. Instead expired seats count as free and are taken
//     over cleanly.
//   - Storing seat ids, or a *Hold per seat: several times the memory.
//   - Storing the dedup Results as protos: about three times the memory of
//     their encoding, and shared mutable objects between the table and the
//     caller.
//   - A Go map for the dedup table (the first version): 196 bytes an entry
//     and a pointer per entry for the GC to scan; the arena is a few
//     thousand pointer-free chunks.
//   - Keeping only a 128-bit hash of each request id: 16 bytes instead of
//     the id, but a collision, however unlikely, would answer a request
//     with another's Result; ids are short (a UUID is stored as its 16
//     bytes anyway), so the table keeps them and compares them whole.
//   - Re-deriving a retried request's Result from the current state (the
//     hold or order it made): exact only until the hold or order changes
//     (a sale, a refund), and the first answer must be returned.
//   - Keeping the change ring in snapshots: 65536 changes per shard would
//     dominate snapshot size, for a resume that a SeatMap read also serves.
package fsm
