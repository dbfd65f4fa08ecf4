package resp

import (
	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// collectionEncoding names the encoding Redis 7.0 would use for a
// collection of this shape, so OBJECT ENCODING and tools reading it see
// familiar answers. Small collections qualify for the compact encodings
// only if every element does too; checking that reads at most the
// threshold's number of elements (512 by default).
func collectionEncoding(c *Ctx, m *engine.Meta) string {
	cfg := c.S.cfg
	switch m.Type {
	case engine.TypeList:
		return "quicklist" // Redis 7.0 reports every list as a quicklist
	case engine.TypeHash:
		max := cfg.Int("hash-max-listpack-value")
		if m.Count <= cfg.Int("hash-max-listpack-entries") &&
			allElements(c.Tx, m, func(sub, val []byte) bool { return int64(len(sub)) <= max && int64(len(val)) <= max }) {
			return "listpack"
		}
		return "hashtable"
	case engine.TypeSet:
		if m.Count <= cfg.Int("set-max-intset-entries") &&
			allElements(c.Tx, m, func(sub, _ []byte) bool {
				member, _ := datatypes.MemberOfSub(sub)
				_, ok := datatypes.ParseInt(member)
				return ok
			}) {
			return "intset"
		}
		return "hashtable"
	case engine.TypeZSet:
		max := cfg.Int("zset-max-listpack-value")
		if m.Count <= cfg.Int("zset-max-listpack-entries") &&
			allElements(c.Tx, m, func(sub, _ []byte) bool {
				member, isMember := datatypes.MemberOfSub(sub)
				return !isMember || int64(len(member)) <= max
			}) {
			return "listpack"
		}
		return "skiplist"
	}
	return "raw"
}

// allElements reports whether ok holds for every element of m's
// collection (sub-key and value as stored). Callers bound m.Count first.
func allElements(tx *engine.Tx, m *engine.Meta, ok func(sub, val []byte) bool) bool {
	if tx == nil {
		return true
	}
	it := tx.Elems(m.Version)
	for more := it.First(); more; more = it.Next() {
		if !ok(it.Sub(), it.Value()) {
			return false
		}
	}
	return true
}
