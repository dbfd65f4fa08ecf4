package engine

import (
	"bytes"
	"encoding/binary"
)

// checkDBUsage is CACHE.CHECK's part for per-database limits: it recounts
// every namespace's logical bytes and compares them with the kept
// figures, checks that every version with elements has an owner (and that
// a live collection's version is owned by its record's namespace), and
// checks each ready per-database order both ways. Fixes: the figures and
// owner records are replaced by the recount; index entries are added or
// removed.
func (tx *Tx) checkDBUsage(rep *CheckReport, fixes *[]checkFix) {
	l := &tx.db.dbl
	l.maps()
	r := tx.countDBUsage(false)
	start := rep.Count
	seen := map[uint32]bool{}
	for ns, want := range r.ns {
		seen[ns] = true
		if got := l.nsBytes[ns]; got != want {
			rep.add("logical bytes of ns %d: kept %d, records and elements hold %d", ns, got, want)
		}
	}
	for ns, got := range l.nsBytes {
		if !seen[ns] && got != 0 {
			rep.add("logical bytes of ns %d: kept %d, records and elements hold 0", ns, got)
		}
	}
	owners := 0
	for v, ns := range r.owner {
		if got, ok := tx.versionOwner(v); ok && got != ns {
			rep.add("version %d is owned by ns %d, its record is in ns %d", v, got, ns)
			owners++
		} else if !ok && tx.Elems(v).First() {
			rep.add("version %d has elements and no owner", v)
			owners++
		}
	}
	if rep.Count > start {
		*fixes = append(*fixes, func() { tx.recountDBUsage(owners > 0) })
	}
	tx.checkDBIndexes(rep, fixes)
}

// checkDBIndexes verifies each ready per-database order: every candidate
// of the namespace has its entry, every entry names a record whose order it
// carries.
func (tx *Tx) checkDBIndexes(rep *CheckReport, fixes *[]checkFix) {
	for ns, s := range tx.db.dbl.idx {
		if s.phase != idxReady {
			continue
		}
		prefix := nsPrefix(ns)
		var m Meta
		c := tx.cursor(bMeta)
		for mk, raw := c.Seek(prefix); mk != nil && bytes.HasPrefix(mk, prefix); mk, raw = c.Next() {
			if decodeMeta(raw, &m) != nil {
				continue
			}
			k := keyStateOf(&m)
			if o1, o2, ok := s.order(mk, &k); ok {
				if ek := appendDBEvictKey(nil, ns, o1, o2, mk); tx.get(bDBEvict, ek) == nil {
					rep.add("missing per-db eviction entry: ns %d key %q", ns, mk[metaHdrLen:])
					*fixes = append(*fixes, func() { tx.put(bDBEvict, ek, nil) })
				}
			}
		}
		c = tx.cursor(bDBEvict)
		for ek, _ := c.Seek(prefix); ek != nil && bytes.HasPrefix(ek, prefix); ek, _ = c.Next() {
			ok := len(ek) > dbEvictHdrLen
			if ok {
				mk := ek[dbEvictHdrLen:]
				raw := tx.get(bMeta, mk)
				ok = raw != nil && decodeMeta(raw, &m) == nil
				if ok {
					k := keyStateOf(&m)
					o1, o2, cand := s.order(mk, &k)
					ok = cand && bytes.Equal(appendDBEvictKey(nil, ns, o1, o2, mk), ek)
				}
			}
			if !ok {
				rep.add("stale per-db eviction entry: ns %d (%x)", binary.BigEndian.Uint32(ek), ek[nsLen:min(len(ek), dbEvictHdrLen)])
				ek := bytes.Clone(ek)
				*fixes = append(*fixes, func() { tx.del(bDBEvict, ek) })
			}
		}
	}
}
