// Package holdid is the format of hold ids, part of the wire contract.
// Hold ids are opaque to users but carry the shards the hold lives in, so
// that any node or client can route an operation on a hold (get, extend,
// release, sell) without a lookup:
//
//	<base>.<shard>[.<shard>...]
//
// base is 16 lowercase hex characters: the first 8 bytes of
// sha256(event id + "\x00" + request id). Deriving it from the request id
// makes a retried Hold produce the same hold id. Shards are decimal uint32
// values in strictly ascending order, without leading zeros, so every hold
// has exactly one spelling.
//
// The nodes mint hold ids and the Go client parses them, so the package
// imports only the standard library: a client that imports it pulls in no
// server code.
package holdid

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

const (
	// baseLength is the number of hex characters of the base.
	baseLength = 16
	// ShardsMax caps the shards one hold may span.
	ShardsMax = 64
	// LengthMax caps the length of a hold id in bytes.
	LengthMax = 256
)

// ErrInvalid is returned (wrapped) by Parse for any malformed hold id and
// by CheckShards for shards no hold id can name.
var ErrInvalid = errors.New("bad hold id")

// New returns the hold id of the hold created by request requestID on
// event eventID spanning shards. The shards are sorted and deduplicated; the
// caller's slice is not modified. The result is deterministic.
//
// New panics if CheckShards refuses shards: the node caps the
// shards of a hold (and so the length of its id) before minting the id, so
// that every id minted parses.
func New(eventID, requestID string, shards []uint32) string {
	sorted := canonicalShards(shards)
	if err := checkCanonicalShards(sorted); err != nil {
		panic("holdid.New: " + err.Error())
	}
	sum := sha256.Sum256([]byte(eventID + "\x00" + requestID))
	var b strings.Builder
	b.Grow(idLength(sorted))
	b.WriteString(hex.EncodeToString(sum[:baseLength/2]))
	for _, shard := range sorted {
		b.WriteByte('.')
		b.WriteString(strconv.FormatUint(uint64(shard), 10))
	}
	return b.String()
}

// CheckShards reports whether a hold spanning shards can have an id:
// at least one and at most ShardsMax distinct shards, and an id of at
// most LengthMax bytes. The length cap binds first when shard numbers
// are large: 64 shards fit when all are below 100 (16 + 64×3 = 208 bytes),
// and a hold of up to 40 seats always fits when shard numbers stay below
// 100,000 (16 + 40×6 = 256 bytes). The error wraps ErrInvalid.
func CheckShards(shards []uint32) error {
	return checkCanonicalShards(canonicalShards(shards))
}

func canonicalShards(shards []uint32) []uint32 {
	sorted := slices.Clone(shards)
	slices.Sort(sorted)
	return slices.Compact(sorted)
}

func checkCanonicalShards(sorted []uint32) error {
	if len(sorted) == 0 || len(sorted) > ShardsMax {
		return fmt.Errorf("%w: %d distinct shards, want 1..%d", ErrInvalid, len(sorted), ShardsMax)
	}
	if n := idLength(sorted); n > LengthMax {
		return fmt.Errorf("%w: shards %v make a %d-byte id, at most %d", ErrInvalid, sorted, n, LengthMax)
	}
	return nil
}

func idLength(sorted []uint32) int {
	n := baseLength
	for _, shard := range sorted {
		n += 1 + len(strconv.FormatUint(uint64(shard), 10))
	}
	return n
}

// Parse splits a hold id into its base and its shards (ascending,
// distinct, at least one). Every failure wraps ErrInvalid and says what
// is wrong; the id itself is quoted only up to a bounded length.
func Parse(id string) (base string, shards []uint32, err error) {
	if len(id) > LengthMax {
		return "", nil, fmt.Errorf("%w: %d bytes, at most %d", ErrInvalid, len(id), LengthMax)
	}
	parts := strings.Split(id, ".")
	base = parts[0]
	if len(base) != baseLength || !isLowerHex(base) {
		return "", nil, fmt.Errorf("%w %q: base must be %d lowercase hex characters", ErrInvalid, id, baseLength)
	}
	shardParts := parts[1:]
	if len(shardParts) == 0 {
		return "", nil, fmt.Errorf("%w %q: no shard", ErrInvalid, id)
	}
	if len(shardParts) > ShardsMax {
		return "", nil, fmt.Errorf("%w: %d shards, at most %d", ErrInvalid, len(shardParts), ShardsMax)
	}
	shards = make([]uint32, 0, len(shardParts))
	for i, part := range shardParts {
		// Only canonical decimal: no sign, no leading zero (except "0").
		if part == "" || !isDecimal(part) || (len(part) > 1 && part[0] == '0') {
			return "", nil, fmt.Errorf("%w %q: shard %q is not a canonical decimal number", ErrInvalid, id, part)
		}
		shard, parseErr := strconv.ParseUint(part, 10, 32)
		if parseErr != nil {
			return "", nil, fmt.Errorf("%w %q: shard %q out of range", ErrInvalid, id, part)
		}
		if i > 0 && uint32(shard) <= shards[i-1] {
			return "", nil, fmt.Errorf("%w %q: shards must be strictly ascending", ErrInvalid, id)
		}
		shards = append(shards, uint32(shard))
	}
	return base, shards, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func isDecimal(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
