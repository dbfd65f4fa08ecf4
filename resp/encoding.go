package resp

import "github.com/diskcached/diskcached/engine"

// collectionEncoding names Redis's encoding for a collection of this size,
// using the same thresholds as Redis's *-max-listpack-entries settings.
// (Element sizes are not consulted: that would cost a scan.)
func collectionEncoding(c *Ctx, m *engine.Meta) string {
	cfg := c.S.cfg
	switch m.Type {
	case engine.TypeList:
		return "quicklist"
	case engine.TypeHash:
		if m.Count <= cfg.Int("hash-max-listpack-entries") {
			return "listpack"
		}
		return "hashtable"
	case engine.TypeSet:
		if m.Count <= cfg.Int("set-max-listpack-entries") {
			return "listpack"
		}
		return "hashtable"
	case engine.TypeZSet:
		if m.Count <= cfg.Int("zset-max-listpack-entries") {
			return "listpack"
		}
		return "skiplist"
	}
	return "raw"
}
