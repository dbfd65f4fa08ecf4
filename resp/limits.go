package resp

// overLimit reports whether writes flagged denyoom must be refused because
// the disk budget (maxmemory) is exhausted: usage is over the limit under
// noeviction, or nothing is left to evict. O(1) below the limit; over it
// with evictable keys the writer briefly waits for the evictor
// (engine.DB.OverLimit).
func (s *Server) overLimit() bool { return s.db != nil && s.db.OverLimit() }

// wakeBlocked releases clients blocked in BLPOP and friends at shutdown.
func (s *Server) wakeBlocked() { s.blocking().shutdown() }
