package engine

// Per-database eviction order (bucket w, keys.go):
//
//	ns(4) | o1(8) | o2(8) | metaKey → ∅
//
// kept only for namespaces whose db has its own maxmemory and an effective
// policy other than noeviction, under that policy (the db's own, or the
// server-wide one when the db sets none). o1/o2 are policyOrder's fields,
// the same as the server-wide index's, so a db's keys are in exact
// policy order and a db's entries are one range of the bucket.
//
// Each indexed namespace has a state (nsIndex) persisted in the sys bucket:
// clearing (its old entries are deleted in bounded batches: the hooks
// keep nothing), then building (a cursor walks the namespace's meta keys;
// the hooks keep entries exact below it), then ready. DBIndexStep
// reconciles the states with the settings whenever a db's limit or policy,
// the server-wide policy, lfu-decay-time or the db → namespace map
// (FLUSHDB, SWAPDB) changed: a namespace whose wanted policy differs is
// cleared and rebuilt, one no longer wanted is cleared and forgotten.

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"

	"github.com/cespare/xxhash/v2"
)

const (
	idxClearing uint8 = iota
	idxBuilding
	idxReady
)

// nsIndex is one namespace's order-index state (committer-owned).
type nsIndex struct {
	policy Policy
	decay  int64
	seed   uint64
	phase  uint8
	cursor []byte // building: meta keys < cursor are indexed
	want   Policy // clearing: policy to build next (PolicyNoEviction = forget)
}

// indexed reports whether the hooks keep mk's entry.
func (s *nsIndex) indexed(mk []byte) bool {
	return s.phase == idxReady || (s.phase == idxBuilding && bytes.Compare(mk, s.cursor) < 0)
}

func (s *nsIndex) order(mk []byte, k *keyState) (o1, o2 uint64, ok bool) {
	return policyOrder(s.policy, s.seed, s.decay, mk, k)
}

// index describes namespace ns's order (bucket w).
func (s *nsIndex) index(ns uint32) orderIndex {
	return orderIndex{bucket: bDBEvict, prefix: nsPrefix(ns), policy: s.policy, seed: s.seed, decay: s.decay}
}

// dbReindex is the reindex hook: it moves mk's entry in its namespace's
// own order from old to new (nil = absent).
func (tx *Tx) dbReindex(mk []byte, old, new *keyState) {
	l := &tx.db.dbl
	if len(l.idx) == 0 {
		return
	}
	s := l.idx[nsOfMK(mk)]
	if s == nil || !s.indexed(mk) {
		return
	}
	ix := s.index(nsOfMK(mk))
	tx.moveEntry(&ix, mk, old, new)
}

// dbNoteLookup is the Lookup hook: it caches the owner of a collection's
// version for the element writes that usually follow, and reports whether
// the key's db policy records reads (LRU, LFU).
func (tx *Tx) dbNoteLookup(mk []byte, m *Meta) bool {
	if tx.writable && m.Version != 0 && m.Type.IsCollection() {
		l := &tx.db.dbl
		l.maps()
		l.owners[m.Version] = nsOfMK(mk)
	}
	t := tx.db.dbl.track.Load()
	return t != nil && (*t)[nsOfMK(mk)]
}

// wantedIndexes maps every namespace that needs an order to its policy.
func (tx *Tx) wantedIndexes() map[uint32]Policy {
	want := map[uint32]Policy{}
	for d := 0; d < tx.db.opts.Databases; d++ {
		if tx.db.dbl.conf[d].limit.Load() > 0 {
			if p := tx.db.DBPolicy(d); p != PolicyNoEviction {
				want[tx.nsOf(d)] = p
			}
		}
	}
	return want
}

// DBIndexStep reconciles the per-database indexes with the settings and
// runs one bounded batch of clearing or building. It reports whether every
// index is ready (then it costs no transaction until something changes).
func (db *DB) DBIndexStep(limit int) (done bool, err error) {
	l := &db.dbl
	if !l.loaded.Load() {
		return true, nil
	}
	if !l.idxDirty.Load() && Policy(l.seenPol.Load()) == db.EvictPolicy() && l.seenDec.Load() == db.ev.decay.Load() {
		return true, nil
	}
	err = db.Update(func(tx *Tx) error {
		l.idxDirty.Store(false)
		l.seenPol.Store(uint32(db.EvictPolicy()))
		l.seenDec.Store(db.ev.decay.Load())
		done = tx.dbIndexBatch(limit)
		if !done {
			l.idxDirty.Store(true)
		}
		return nil
	})
	return done, err
}

// dbIndexBatch does one bounded piece of work and reports whether all is
// ready.
func (tx *Tx) dbIndexBatch(limit int) bool {
	l := &tx.db.dbl
	l.maps()
	want := tx.wantedIndexes()
	decay := tx.db.ev.decay.Load()
	changed := false
	for ns, s := range l.idx {
		p, ok := want[ns]
		if !ok {
			p = PolicyNoEviction
		}
		matches := s.phase != idxClearing && s.policy == p && (!p.LFU() || s.decay == decay)
		if matches {
			continue
		}
		if s.phase != idxClearing || s.want != p {
			s.phase, s.want, s.cursor = idxClearing, p, nil
			tx.saveDBIndex(ns, s)
			changed = true
		}
	}
	for ns, p := range want {
		if l.idx[ns] == nil {
			s := &nsIndex{phase: idxClearing, want: p}
			l.idx[ns] = s
			tx.saveDBIndex(ns, s)
			changed = true
		}
	}
	if changed {
		tx.publishTrack()
	}
	// One batch of work on the first namespace that needs it.
	for ns, s := range l.idx {
		switch s.phase {
		case idxClearing:
			if tx.clearDBIndexBatch(ns, limit) {
				if s.want == PolicyNoEviction {
					delete(l.idx, ns)
					tx.del(bSys, sysNSKeyed(sysDBIndex, ns))
				} else {
					s.policy, s.decay, s.seed = s.want, decay, rand.Uint64()
					s.phase, s.cursor = idxBuilding, nsPrefix(ns)
					tx.saveDBIndex(ns, s)
				}
				tx.publishTrack()
			}
			return false
		case idxBuilding:
			tx.buildDBIndexBatch(ns, s, limit)
			tx.saveDBIndex(ns, s)
			return false
		}
	}
	return true
}

// clearDBIndexBatch deletes up to limit entries of ns and reports whether
// none is left.
func (tx *Tx) clearDBIndexBatch(ns uint32, limit int) bool {
	prefix := nsPrefix(ns)
	var todo [][]byte
	c := tx.cursor(bDBEvict)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(todo) < limit; k, _ = c.Next() {
		todo = append(todo, bytes.Clone(k))
	}
	for _, k := range todo {
		tx.del(bDBEvict, k)
	}
	return len(todo) < limit
}

// buildDBIndexBatch indexes up to limit meta records of ns from the cursor.
func (tx *Tx) buildDBIndexBatch(ns uint32, s *nsIndex, limit int) {
	prefix := nsPrefix(ns)
	type rec struct {
		mk []byte
		k  keyState
	}
	var todo []rec
	var m Meta
	c := tx.cursor(bMeta)
	k, v := c.Seek(s.cursor)
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(todo) < limit; k, v = c.Next() {
		if decodeMeta(v, &m) == nil {
			todo = append(todo, rec{bytes.Clone(k), keyStateOf(&m)})
		}
	}
	if k == nil || !bytes.HasPrefix(k, prefix) {
		s.phase, s.cursor = idxReady, nil
	} else {
		s.cursor = bytes.Clone(k)
	}
	for _, r := range todo {
		if o1, o2, ok := s.order(r.mk, &r.k); ok {
			tx.put(bDBEvict, appendDBEvictKey(nil, ns, o1, o2, r.mk), nil)
		}
	}
}

func (tx *Tx) saveDBIndex(ns uint32, s *nsIndex) {
	v := []byte{byte(s.policy), s.phase, byte(s.want)}
	v = binary.BigEndian.AppendUint64(v, uint64(s.decay))
	v = binary.BigEndian.AppendUint64(v, s.seed)
	v = append(v, s.cursor...)
	tx.put(bSys, sysNSKeyed(sysDBIndex, ns), v)
}

// loadDBIndexes reads the persisted index states (Open).
func (tx *Tx) loadDBIndexes() {
	l := &tx.db.dbl
	clear(l.idx)
	prefix := []byte(sysDBIndex)
	c := tx.cursor(bSys)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != len(prefix)+nsLen || len(v) < 19 {
			continue
		}
		s := &nsIndex{policy: Policy(v[0]), phase: v[1], want: Policy(v[2]),
			decay: int64(binary.BigEndian.Uint64(v[3:])), seed: binary.BigEndian.Uint64(v[11:]),
			cursor: bytes.Clone(v[19:])}
		l.idx[binary.BigEndian.Uint32(k[len(prefix):])] = s
	}
	tx.publishTrack()
}

// publishTrack publishes which namespaces record reads for their index.
func (tx *Tx) publishTrack() {
	m := map[uint32]bool{}
	for ns, s := range tx.db.dbl.idx {
		p := s.policy
		if s.phase == idxClearing {
			p = s.want
		}
		if p.TracksReads() {
			m[ns] = true
		}
	}
	tx.db.dbl.track.Store(&m)
}

// DBIndexReady reports whether db d's order is complete under the policy
// it needs (false when it needs none).
func (db *DB) DBIndexReady(d int) bool {
	ready := false
	_ = db.Update(func(tx *Tx) error {
		s := db.dbl.idx[tx.nsOf(d)]
		ready = s != nil && s.phase == idxReady && s.policy == db.DBPolicy(d)
		return nil
	})
	return ready
}

// --- per-database expiry and eviction ---------------------------------

// ExpireDB removes up to limit due keys of db d (it walks the front of
// the expire index, which orders every database together, skipping
// other databases' keys: at most 64×limit entries per call).
func (db *DB) ExpireDB(d, limit int) (int, error) {
	n := 0
	err := db.Update(func(tx *Tx) error {
		n = tx.expireDueIn(limit, nsPrefix(tx.nsOf(d)))
		return nil
	})
	return n, err
}

// DBsOverLimit lists the databases whose used bytes passed high (a share
// of their own limit).
func (db *DB) DBsOverLimit(high float64) []int {
	var out []int
	for d := 0; d < db.opts.Databases; d++ {
		if lim := db.dbl.conf[d].limit.Load(); lim > 0 && db.DBUsedBytes(d) > int64(float64(lim)*high) {
			out = append(out, d)
		} else if lim == 0 || db.DBUsedBytes(d) <= lim {
			db.dbl.conf[d].stuck.Store(false)
		}
	}
	return out
}

// EvictDB removes keys of db d from the front of its own order until its
// used bytes are at most target, limit keys were removed, or a collection
// was removed (its elements are freed by the reclaimer). Empty reports an
// index without candidates, or no ready index.
func (db *DB) EvictDB(d, limit int, target int64) (EvictResult, error) {
	var res EvictResult
	err := db.Update(func(tx *Tx) error {
		res = tx.evictDBBatch(d, limit, target)
		return nil
	})
	return res, err
}

func (tx *Tx) evictDBBatch(d, limit int, target int64) EvictResult {
	var res EvictResult
	l := &tx.db.dbl
	ns := tx.nsOf(d)
	s := l.idx[ns]
	if s == nil || s.phase != idxReady {
		res.Empty = true
		return res
	}
	ix := s.index(ns)
	cands := tx.candidates(&ix, limit)
	if len(cands) == 0 {
		res.Empty = true
		return res
	}
	used := func() int64 { return int64(float64(l.nsBytes[ns]) * tx.db.Ratio()) }
	return tx.evictWalk(&ix, cands, limit, used, target)
}

// policyOrder returns the order fields of a key under policy p (seed:
// the random policies' hash seed; decay: lfu-decay-time in minutes), or
// ok == false when the key is not a candidate (noeviction, or volatile-*
// and no expiry). Smallest is evicted first. The server-wide index
// (evict.go) and the per-database ones share it.
func policyOrder(p Policy, seed uint64, decay int64, mk []byte, s *keyState) (o1, o2 uint64, ok bool) {
	if p == PolicyNoEviction || (p.Volatile() && s.expireAt == 0) {
		return 0, 0, false
	}
	switch p {
	case PolicyAllKeysLRU, PolicyVolatileLRU:
		return uint64(s.accessAt), 0, true
	case PolicyAllKeysLRS, PolicyVolatileLRS:
		return uint64(s.storedAt), 0, true
	case PolicyAllKeysRandom, PolicyVolatileRandom:
		return xxhash.Sum64(binary.BigEndian.AppendUint64(append([]byte(nil), mk...), seed)), 0, true
	case PolicyVolatileTTL:
		return uint64(s.expireAt), uint64(s.accessAt), true
	}
	// LFU: the decayed counter falls by one per decay period since the
	// last access, so ordering by counter·decay + access minute orders by
	// the decayed counter at any later time; ties by recency.
	d := decay
	if d <= 0 {
		return uint64(s.freq), uint64(s.accessAt), true
	}
	return uint64(s.freq)*uint64(d) + uint64(s.accessAt/minuteMillis), uint64(s.accessAt), true
}
