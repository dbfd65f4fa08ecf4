package resp

// overLimit reports whether writes flagged denyoom must be refused because
// the disk budget (maxmemory) is exhausted and nothing can be evicted.
// Eviction lands with the eviction issue; until then there is no limit.
func (s *Server) overLimit() bool { return false }

// wakeBlocked releases clients blocked in BLPOP and friends at shutdown.
func (s *Server) wakeBlocked() { s.blocking().shutdown() }
