package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Check (CACHE.CHECK) verifies the store against itself and, with fix,
// repairs what it finds:
//
//   - every collection's Meta.Count equals its number of elements;
//   - every key with an expiry has its expire index entry, and every
//     expire entry names a key with that expiry;
//   - the same both ways for the tag index and Meta.Tag;
//   - the eviction order index of the active generation (when no rebuild
//     is running): every candidate has its entry, every entry names a key
//     whose order it carries;
//   - the per-database key and expire counters (DBSIZE, INFO keyspace);
//   - elements whose version no key uses and that are not queued for the
//     reclaimer (orphans: fix queues them).
//
// It runs as one write transaction (a consistent snapshot; the committer
// owns the eviction state it reads), so writers wait while it walks every
// record, element and index entry: O(store). Problems are reported as
// sentences; at most maxProblems are kept (the count is exact).

// CheckReport is Check's result.
type CheckReport struct {
	Keys     int64    // meta records visited
	Problems []string // at most maxProblems descriptions
	Count    int      // number of problems found
}

const maxProblems = 1000

func (r *CheckReport) add(format string, args ...any) {
	r.Count++
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// IsElem tells which sub-keys of a collection count as elements in
// Meta.Count (a sorted set also keeps a score index); nil counts all.
// The layout belongs to the datatypes package, which supplies it.
type IsElem func(t Type, sub []byte) bool

// Check verifies the store; with fix it also repairs every problem found.
func (db *DB) Check(fix bool, isElem IsElem) (CheckReport, error) {
	var rep CheckReport
	err := db.Update(func(tx *Tx) error {
		rep = tx.check(fix, isElem)
		return nil
	})
	return rep, err
}

// checkFix is one repair, applied after the walks (never write a bucket
// while iterating it).
type checkFix func()

func (tx *Tx) check(fix bool, isElem IsElem) CheckReport {
	var rep CheckReport
	var fixes []checkFix
	ev := &tx.db.ev
	evictOK := !ev.building && !ev.sweeping

	flushed := map[uint32]bool{} // namespaces waiting for the reclaimer
	queued := map[uint64]bool{}  // versions waiting for the reclaimer
	gc := tx.cursor(bGC)
	for k, _ := gc.First(); k != nil; k, _ = gc.Next() {
		switch {
		case k[0] == gcNamespace && len(k) == 1+nsLen:
			flushed[binary.BigEndian.Uint32(k[1:])] = true
		case k[0] == gcVersion && len(k) == 1+versionLen:
			queued[binary.BigEndian.Uint64(k[1:])] = true
		}
	}

	type counts struct{ keys, expires int64 }
	perNS := map[uint32]*counts{}
	used := map[uint64]bool{}
	var m Meta
	c := tx.cursor(bMeta)
	for mk, raw := c.First(); mk != nil; mk, raw = c.Next() {
		rep.Keys++
		ns, _, key := splitMetaKey(mk)
		if decodeMeta(raw, &m) != nil {
			rep.add("corrupt meta record: ns %d key %q (not repaired)", ns, key)
			continue
		}
		mk := bytes.Clone(mk)
		cn := perNS[ns]
		if cn == nil {
			cn = &counts{}
			perNS[ns] = cn
		}
		cn.keys++
		if m.ExpireAt != 0 {
			cn.expires++
			if ek := appendExpireKey(nil, m.ExpireAt, mk); tx.get(bExpire, ek) == nil {
				rep.add("missing expire entry: ns %d key %q", ns, key)
				fixes = append(fixes, func() { tx.put(bExpire, ek, nil) })
			}
		}
		if len(m.Tag) > 0 {
			if tk := appendTagKey(nil, mk, m.Tag); tx.get(bTag, tk) == nil {
				rep.add("missing tag entry: ns %d key %q tag %q", ns, key, m.Tag)
				fixes = append(fixes, func() { tx.put(bTag, tk, nil) })
			}
		}
		if evictOK && ev.indexed(mk) {
			s := keyStateOf(&m)
			if o1, o2, ok := ev.order(mk, &s); ok {
				if vk := appendEvictKey(nil, ev.gen, o1, o2, mk); tx.get(bEvict, vk) == nil {
					rep.add("missing eviction index entry: ns %d key %q", ns, key)
					fixes = append(fixes, func() { tx.put(bEvict, vk, nil) })
				}
			}
		}
		if m.Type.IsCollection() {
			used[m.Version] = true
			var n int64
			it := tx.Elems(m.Version)
			for ok := it.First(); ok; ok = it.Next() {
				if isElem == nil || isElem(m.Type, it.Sub()) {
					n++
				}
			}
			if n != m.Count {
				rep.add("count mismatch: ns %d key %q meta %d elements %d", ns, key, m.Count, n)
				fixed := m
				fixed.Count = n
				fixed.Tag = bytes.Clone(m.Tag)
				val := appendMeta(nil, &fixed) // same length: usage unchanged
				fixes = append(fixes, func() { tx.put(bMeta, mk, val) })
			}
		}
	}

	// Index entries must name a record carrying what they index.
	metaOf := func(mk []byte) (Meta, bool) {
		var m Meta
		raw := tx.get(bMeta, mk)
		return m, raw != nil && decodeMeta(raw, &m) == nil
	}
	stale := func(b bucketID, what string, k []byte, mk []byte) {
		ns, _, key := splitMetaKey(mk)
		rep.add("stale %s entry: ns %d key %q", what, ns, key)
		k = bytes.Clone(k)
		fixes = append(fixes, func() { tx.del(b, k) })
	}
	c = tx.cursor(bExpire)
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		at, mk := splitExpireKey(k)
		if m, ok := metaOf(mk); !ok || m.ExpireAt != at {
			stale(bExpire, "expire", k, mk)
		}
	}
	c = tx.cursor(bTag)
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		tag, mk, ok := splitTagKey(k)
		if !ok {
			stale(bTag, "tag (malformed)", k, nil)
			continue
		}
		if m, ok := metaOf(mk); !ok || !bytes.Equal(m.Tag, tag) {
			stale(bTag, "tag", k, mk)
		}
	}
	if evictOK {
		c = tx.cursor(bEvict)
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) <= evictHdrLen || k[0] != ev.gen {
				stale(bEvict, "eviction index (old generation)", k, nil)
				continue
			}
			mk := k[evictHdrLen:]
			m, ok := metaOf(mk)
			if ok {
				s := keyStateOf(&m)
				o1, o2, cand := ev.order(mk, &s)
				ok = cand && bytes.Equal(appendEvictKey(nil, ev.gen, o1, o2, mk), k)
			}
			if !ok {
				stale(bEvict, "eviction index", k, mk)
			}
		}
	}

	// Counters, for every namespace that has records or a counter.
	sys := tx.cursor(bSys)
	for k, _ := sys.Seek([]byte(sysCountPrefix)); k != nil && bytes.HasPrefix(k, []byte(sysCountPrefix)); k, _ = sys.Next() {
		if len(k) == len(sysCountPrefix)+nsLen {
			ns := binary.BigEndian.Uint32(k[len(sysCountPrefix):])
			if perNS[ns] == nil {
				perNS[ns] = &counts{}
			}
		}
	}
	for ns, want := range perNS {
		if flushed[ns] {
			continue // being reclaimed: its counter goes with it
		}
		got := tx.counter(ns)
		if got.keys != want.keys || got.expires != want.expires {
			rep.add("key counters of ns %d: keys %d expires %d, records hold %d and %d", ns, got.keys, got.expires, want.keys, want.expires)
			want := *want
			fixes = append(fixes, func() {
				cn := tx.counter(ns)
				cn.keys, cn.expires, cn.dirty = want.keys, want.expires, true
			})
		}
	}

	// Orphaned elements: one seek per version.
	c = tx.cursor(bData)
	for k, _ := c.First(); k != nil; {
		if len(k) < versionLen {
			k, _ = c.Next()
			continue
		}
		v := binary.BigEndian.Uint64(k)
		if !used[v] && !queued[v] {
			rep.add("orphaned elements of version %d", v)
			fixes = append(fixes, func() { tx.dropVersion(v) })
		}
		if v == ^uint64(0) {
			break
		}
		k, _ = c.Seek(binary.BigEndian.AppendUint64(nil, v+1))
	}

	tx.checkDBUsage(&rep, &fixes) // per-db usage and order (dblimit_check.go)

	if fix {
		for _, f := range fixes {
			f()
		}
	}
	return rep
}
