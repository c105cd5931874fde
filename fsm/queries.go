package fsm

// Cheap queries the node runs often, without materializing a seat map.

// HasExpiredHolds reports whether a Sweep proposed at nowMs would release
// any hold (a shard frozen for a move is not swept). The node asks before
// proposing a sweep, so an idle group writes nothing to its log.
func (s *Store) HasExpiredHolds(nowMs int64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	now := max(nowMs, s.clockMs)
	for _, sh := range s.shards {
		if sh.frozenMoveID == "" && sh.earliestDeadlineMs() <= now {
			return true
		}
	}
	return false
}

// ShardSequence returns the sequence of the last change of a shard (0 for
// an unknown shard): the position from which a new watcher starts.
func (s *Store) ShardSequence(eventID string, shard uint32) uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if sh := s.shards[shardKey{eventID: eventID, shard: shard}]; sh != nil {
		return sh.sequence
	}
	return 0
}

// AppliedHash returns the applied index and the state hash at that index,
// taken from one consistent capture: replicas that report the same index
// must report the same hash.
func (s *Store) AppliedHash() (uint64, [32]byte) {
	snap := s.Snapshot()
	return snap.appliedIndex, snap.hash()
}
