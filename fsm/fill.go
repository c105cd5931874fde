package fsm

// Fill is how full a store's bounded tables are, against their limits:
// what an operator alerts on before a write is refused TOO_LARGE.
type Fill struct {
	Shards, ShardsMax             int
	Records, RecordsMax           int
	RecordBytes, RecordBytesMax   int64
	DedupEntries, DedupEntriesMax int
}

// Fill reports the store's fill under the read lock.
func (s *Store) Fill() Fill {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return Fill{
		Shards: len(s.shards), ShardsMax: MaxShardsPerStore,
		Records: s.records.tree.Len(), RecordsMax: MaxRecordsPerStore,
		RecordBytes: s.records.bytes, RecordBytesMax: MaxRecordBytesPerStore,
		DedupEntries: s.dedup.live, DedupEntriesMax: s.opts.DedupEntriesMax,
	}
}
