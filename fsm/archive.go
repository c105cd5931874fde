package fsm

import (
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// archiveShard drops one shard (DeleteEvent, node/archive.go): its seats,
// holds, orders and change log leave the store, so memory and every later
// snapshot no longer carry them. A shard with a hold that has not expired
// at now is refused CODE_HAS_HOLDS and nothing changes; check_only decides
// only that. Dropping a shard that is not here (dropped already, or never
// created on this group) is OK: the command is idempotent beyond its
// dedup window too.
func (s *Store) archiveShard(now int64, c *fsmpb.ArchiveShard) *fsmpb.Result {
	if !validID(c.EventId) {
		return refuse(codeInvalid, "event_id must be 1..%d bytes", MaxIDBytes)
	}
	key := shardKey{c.EventId, c.Shard}
	sh := s.shards[key]
	if sh == nil {
		return &fsmpb.Result{Code: codeOK}
	}
	if sh.frozenMoveID != "" {
		return shardMoving(key)
	}
	if n := sh.activeHolds(now); n > 0 {
		return refuse(fsmpb.Code_CODE_HAS_HOLDS, "event %q shard %d has %d active holds", c.EventId, c.Shard, n)
	}
	if c.CheckOnly {
		return &fsmpb.Result{Code: codeOK}
	}
	s.removeShard(key)
	return &fsmpb.Result{Code: codeOK}
}

// activeHolds counts the holds of the shard that have not expired at now.
func (sh *shard) activeHolds(now int64) int {
	n := 0
	for i := range sh.holds {
		if h := &sh.holds[i]; h.live && !h.expired(now) {
			n++
		}
	}
	return n
}

// HasShard reports whether the store holds a shard (false once archived).
func (s *Store) HasShard(eventID string, shard uint32) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.shards[shardKey{eventID, shard}] != nil
}
