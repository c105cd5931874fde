package crossshard

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice/api/holdid"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Shards is how the coordinator reaches an event's shards.
type Shards interface {
	// Propose applies cmd in the group of shard, on its leader, and returns
	// the state machine's result; a refusal is a result whose code is not
	// CODE_OK. An error means the outcome is unknown: cmd may or may not
	// have applied. Proposing a command again under the same request id
	// applies it at most once and returns the first result, while the
	// state machine remembers the id.
	Propose(ctx context.Context, shard *nodepb.ShardRecord, cmd *fsmpb.Command) (*fsmpb.Result, error)
}

// shardRequestID derives the request id of one shard's part of a request:
// "r/n", or "r/step/n" for a step of the protocol.
func shardRequestID(requestID, step string, shard uint32) string {
	if step == "" {
		return requestID + "/" + strconv.Itoa(int(shard))
	}
	return requestID + "/" + step + "/" + strconv.Itoa(int(shard))
}

// callerDigest is the request fingerprint an operation that spans shards
// stamps into every shard's command (Command.request_fingerprint): the
// RequestDigest of the caller's whole request. Each shard then compares
// the caller's request, not its own part of it, so a request id reused
// for another request is refused by every shard, even one whose part is
// unchanged (which would otherwise answer its first result, and a
// multi-shard hold would undo that first hold's seats). A retry is the
// same message, so the same digest. Nil for one shard: the state machine
// fingerprints the command's body, which is the whole request, and the
// hot path skips a marshal.
func callerDigest(req proto.Message, shards int) []byte {
	if shards <= 1 {
		return nil
	}
	return RequestDigest(req)
}

// RequestDigest is 16 bytes of the SHA-256 of a client's request,
// deterministically marshalled: a retry (the same message) has the same
// digest, another request under the same id another.
func RequestDigest(req proto.Message) []byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		panic(fmt.Sprintf("crossshard: a decoded request does not marshal: %v", err))
	}
	sum := sha256.Sum256(b)
	return sum[:16]
}

// ShardOfSection returns the shard of an event that holds a section, or nil.
func ShardOfSection(e *nodepb.EventRecord, section string) *nodepb.ShardRecord {
	for _, s := range e.Shards {
		if slices.Contains(s.SectionIds, section) {
			return s
		}
	}
	return nil
}

// ShardOfPool returns the shard of an event that holds a general-admission
// pool, or nil.
func ShardOfPool(e *nodepb.EventRecord, pool string) *nodepb.ShardRecord {
	for _, s := range e.Shards {
		if slices.Contains(s.PoolIds, pool) {
			return s
		}
	}
	return nil
}

// HoldShards resolves a hold id to the records of the shards it names.
func HoldShards(e *nodepb.EventRecord, holdID string) ([]*nodepb.ShardRecord, error) {
	_, numbers, err := holdid.Parse(holdID)
	if err != nil {
		return nil, invalid("hold_id %q: %v", holdID, err)
	}
	out := make([]*nodepb.ShardRecord, 0, len(numbers))
	for _, n := range numbers {
		sh, err := shardByNumber(e, n)
		if err != nil {
			return nil, err
		}
		out = append(out, sh)
	}
	return out, nil
}

func shardByNumber(e *nodepb.EventRecord, shard uint32) (*nodepb.ShardRecord, error) {
	for _, s := range e.Shards {
		if s.Shard == shard {
			return s, nil
		}
	}
	return nil, fmt.Errorf("%w: event %q has no shard %d (the hold id names it)", ErrNotFound, e.EventId, shard)
}

// ticketShard reads the shard number of a ticket id "<event>/<shard>/<n>".
func ticketShard(eventID, ticketID string) (uint32, bool) {
	rest, ok := strings.CutPrefix(ticketID, eventID+"/")
	if !ok {
		return 0, false
	}
	shard, number, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(shard, 10, 32)
	if err != nil {
		return 0, false
	}
	if _, err := strconv.ParseUint(number, 10, 32); err != nil {
		return 0, false
	}
	return uint32(n), true
}

func sortedShardNumbers[V any](m map[uint32]V) []uint32 {
	out := make([]uint32, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// eachShard runs fn for every shard concurrently and returns the results in
// shard order; an error from any shard is returned as is.
func eachShard(shards []*nodepb.ShardRecord, fn func(sh *nodepb.ShardRecord) (*fsmpb.Result, error)) ([]*fsmpb.Result, error) {
	if len(shards) == 1 {
		// The common case (a hold in one section): no goroutine, and no
		// hand-off back to the caller on the answer's way out.
		res, err := fn(shards[0])
		return []*fsmpb.Result{res}, errors.Join(err) // as below: nil stays nil
	}
	results := make([]*fsmpb.Result, len(shards))
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, sh := range shards {
		wg.Go(func() { results[i], errs[i] = fn(sh) })
	}
	wg.Wait()
	return results, errors.Join(errs...)
}
