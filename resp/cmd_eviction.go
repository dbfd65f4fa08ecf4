package resp

import "github.com/diskcached/diskcached/engine"

// applyEvictionConfig makes the eviction directives take effect in the
// engine. applyConfig calls it for every directive name (it ignores the
// others); New calls it once with "" to apply them all at startup.
//
//	maxmemory         → engine.DB.SetMaxMemory (the disk budget; 0 = none)
//	maxmemory-policy  → engine.DB.SetEvictPolicy (index rebuilt in the background)
//	lfu-log-factor,
//	lfu-decay-time    → engine.DB.SetLFUParams
func (s *Server) applyEvictionConfig(name string) {
	if s.db == nil {
		return
	}
	all := name == ""
	if all || name == "maxmemory" {
		s.db.SetMaxMemory(s.cfg.Int("maxmemory"))
	}
	if all || name == "maxmemory-policy" {
		if p, ok := engine.ParsePolicy(s.cfg.Get("maxmemory-policy")); ok {
			s.db.SetEvictPolicy(p)
		}
	}
	if all || name == "lfu-log-factor" || name == "lfu-decay-time" {
		s.db.SetLFUParams(s.cfg.Int("lfu-log-factor"), s.cfg.Int("lfu-decay-time"))
	}
}

// startCompaction serves BGREWRITEAOF: it starts an online compaction of
// the data file (free pages returned to the file system) and replies as
// Redis does when a rewrite starts.
func (s *Server) startCompaction() error {
	switch err := s.db.StartCompaction(); err {
	case nil:
		return nil
	case engine.ErrCompactionRunning:
		return ErrCompactionRunning
	default:
		return ReplyError("ERR " + err.Error())
	}
}
