package logstore

import "errors"

// Errors returned by this package. Callers compare with errors.Is; every
// error that carries more context wraps one of these with %w, except
// ErrKeyNotFound and raft.ErrLogNotFound, which are returned unwrapped
// because hashicorp/raft compares them by identity or by their text.
var (
	// ErrKeyNotFound is returned by GroupStore.Get and GroupStore.GetUint64
	// for a key that was never set. Its text must stay exactly "not found":
	// raft (api.go HasExistingState, raft.go requestVote, NewRaft) tests
	// err.Error() == "not found" to tell a fresh store from a broken one,
	// and raft-boltdb returns the same text.
	ErrKeyNotFound = errors.New("not found")

	// ErrClosed is returned by every operation on a DB, or on a GroupStore
	// of that DB, after Close has been called.
	ErrClosed = errors.New("logstore: closed")

	// ErrInvalidGroupID is returned by Group and DeleteGroup for an empty
	// group ID or one longer than GroupIDBytesMax bytes.
	ErrInvalidGroupID = errors.New("logstore: invalid group ID")

	// ErrGroupDeleted is returned by every method of a GroupStore whose
	// group was removed with DeleteGroup. Call DB.Group again to start a
	// fresh, empty log under the same ID.
	ErrGroupDeleted = errors.New("logstore: group deleted")

	// ErrInvalidOptions is wrapped by Options.Validate; the message names
	// the field and the rejected value.
	ErrInvalidOptions = errors.New("logstore: invalid options")

	// ErrCorrupt is wrapped when a stored record fails its checks on read:
	// an unknown encoding version, a truncated or over-long value, or a log
	// entry whose encoded index differs from its key. The file is damaged
	// or was written by something else; the caller should stop the group
	// (raft panics on most log read failures anyway).
	ErrCorrupt = errors.New("logstore: corrupt record")

	// ErrDamaged is wrapped by Open when the file
	// itself is damaged (truncated, pages overwritten, meta pages
	// invalid); the message names the file and what is wrong. Nothing in
	// it can be trusted to be what the node acknowledged: a node must not
	// serve or vote with it.
	// Its text names no package: it is what an operator reads when a node
	// refuses to start.
	ErrDamaged = errors.New("the Raft log file is damaged")

	// ErrEncrypted is returned by Open for a file written with
	// Options.Keys when no Keys are given, and by reads of a sealed entry
	// without them.
	ErrEncrypted = errors.New("logstore: the log is encrypted and no key file was given")

	// ErrInvalidLog is returned by StoreLog and StoreLogs for a nil entry.
	ErrInvalidLog = errors.New("logstore: invalid log entry")
)
