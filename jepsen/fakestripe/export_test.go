package fakestripe

// SetDeliveriesQueuedMax lowers the delivery queue's bound for a test.
func SetDeliveriesQueuedMax(s *Server, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queuedMax = n
}
