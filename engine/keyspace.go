package engine

import (
	"bytes"
	"errors"
	"math/rand/v2"
)

// ErrWrongType is returned when a key holds another type than the operation
// needs. It is the one place that decision is made (LookupType).
var ErrWrongType = errors.New("WRONGTYPE")

// Lookup returns the live Meta of key in db.
//
// A missing or expired key reports ok == false. In a write transaction an
// expired key is also removed (and counted in expired_keys). Slices in the
// returned Meta are valid until the transaction ends.
func (tx *Tx) Lookup(db int, key []byte) (m Meta, ok bool, err error) {
	tx.buf = appendMetaKey(tx.buf[:0], tx.nsOf(db), key)
	raw := tx.getMeta(tx.buf)
	if raw == nil {
		return m, false, nil
	}
	if at := metaExpireAt(raw); at != 0 && at <= tx.Now {
		if tx.writable {
			tx.expireKey(db, key)
		}
		return m, false, nil
	}
	if err := decodeMeta(raw, &m); err != nil {
		return m, false, err
	}
	tx.noteLookup(tx.buf, &m) // eviction: access time and LFU counter (touch.go)
	return m, true, nil
}

// LookupType is Lookup that fails with ErrWrongType when the key exists with
// a type other than want.
func (tx *Tx) LookupType(db int, key []byte, want Type) (Meta, bool, error) {
	m, ok, err := tx.Lookup(db, key)
	if err == nil && ok && m.Type != want {
		return m, false, ErrWrongType
	}
	return m, ok, err
}

// Exists reports whether key is live in db.
func (tx *Tx) Exists(db int, key []byte) bool {
	tx.buf = appendMetaKey(tx.buf[:0], tx.nsOf(db), key)
	raw := tx.get(bMeta, tx.buf)
	if raw == nil {
		return false
	}
	at := metaExpireAt(raw)
	return at == 0 || at > tx.Now
}

// oldState is what a write needs to know about the record it replaces.
type oldState struct {
	exists   bool
	typ      Type
	version  uint64
	expireAt int64

	// eviction (evict.go): order inputs and the record's logical size
	storedAt, accessAt int64
	freq               uint8
	size               int64

	tag []byte // cache tag (tags.go), copied
}

func (tx *Tx) readOld(mk []byte) oldState {
	raw := tx.getMeta(mk)
	if raw == nil {
		return oldState{}
	}
	var m Meta
	size := int64(len(mk) + len(raw))
	if decodeMeta(raw, &m) != nil {
		return oldState{exists: true, size: size}
	}
	return oldState{exists: true, typ: m.Type, version: m.Version, expireAt: m.ExpireAt,
		storedAt: m.StoredAt, accessAt: m.AccessAt, freq: m.Freq, size: size, tag: bytes.Clone(m.Tag)}
}

// Put stores m as key's record in db, replacing whatever was there. It keeps
// the expire index and key counters right and queues the elements of a
// replaced collection for reclaiming when m does not reuse its version.
// A collection Meta with Version 0 gets a fresh version.
func (tx *Tx) Put(db int, key []byte, m *Meta) {
	ns := tx.nsOf(db)
	// mk and val are scratch: nothing below keeps them (the hooks copy
	// what they store, tx.put copies both).
	mk := appendMetaKey(tx.mkbuf[:0], ns, key)
	tx.mkbuf = mk
	old := tx.readOld(mk)
	if m.Type.IsCollection() && m.Version == 0 {
		m.Version = tx.newVersion()
	}
	if old.exists && old.typ.IsCollection() && (old.typ != m.Type || old.version != m.Version) {
		tx.dropVersion(old.version)
	}
	tx.stampPut(mk, &old, m) // eviction: StoredAt, AccessAt, Freq (evict.go)
	tx.reindexExpire(mk, old.expireAt, m.ExpireAt)
	tx.retag(mk, old.tag, m.Tag) // tag index (tags.go)
	var dk, de int64
	if !old.exists {
		dk = 1
	}
	de = boolInt(m.ExpireAt != 0) - boolInt(old.exists && old.expireAt != 0)
	if dk != 0 || de != 0 {
		tx.addCounts(ns, dk, de)
	}
	val := appendMeta(tx.mvbuf[:0], m)
	tx.mvbuf = val
	tx.accountPut(mk, &old, m, val) // eviction index and usage (evict.go)
	tx.put(bMeta, mk, val)
	tx.Modified(db, key)
	tx.db.stats.Changes.Add(1)
}

// Modified reports a change to key (nil = the whole db) to the Modified
// hook. Put and Delete call it; operations that change only elements of a
// collection without rewriting its Meta must call it themselves.
func (tx *Tx) Modified(db int, key []byte) {
	if h := tx.db.hooks.Modified; h != nil {
		h(db, key)
	}
}

// Delete removes key from db. It reports whether a live key was removed (an
// expired one is removed too, but reports false and counts as expired).
// A collection's elements are reclaimed in the background: Delete is O(1).
func (tx *Tx) Delete(db int, key []byte) bool {
	ns := tx.nsOf(db)
	mk := appendMetaKey(nil, ns, key)
	old := tx.readOld(mk)
	if !old.exists {
		return false
	}
	tx.removeRecord(ns, mk, old)
	tx.Modified(db, key)
	if old.expireAt != 0 && old.expireAt <= tx.Now {
		tx.countExpired(db, key)
		return false
	}
	return true
}

// removeRecord drops a meta record and everything hanging off it.
func (tx *Tx) removeRecord(ns uint32, mk []byte, old oldState) {
	if old.typ.IsCollection() {
		tx.dropVersion(old.version)
	}
	tx.reindexExpire(mk, old.expireAt, 0)
	tx.retag(mk, old.tag, nil) // tag index (tags.go)
	tx.addCounts(ns, -1, -boolInt(old.expireAt != 0))
	tx.forgetMeta(mk, &old) // eviction index and usage (evict.go)
	tx.del(bMeta, mk)
}

// expireKey removes an expired key met by a writer.
func (tx *Tx) expireKey(db int, key []byte) {
	ns := tx.nsOf(db)
	mk := appendMetaKey(nil, ns, key)
	old := tx.readOld(mk)
	if !old.exists {
		return
	}
	tx.removeRecord(ns, mk, old)
	tx.Modified(db, key)
	tx.countExpired(db, key)
}

func (tx *Tx) countExpired(db int, key []byte) {
	if db < 0 || db >= tx.db.opts.Databases {
		return // a hidden database's record (CACHE.FETCH compute times): not a user key
	}
	tx.db.stats.ExpiredKeys.Add(1)
	if h := tx.db.hooks.Expired; h != nil {
		h(tx, db, key)
	}
}

// reindexExpire moves key's entry in the expire index from old to new time.
func (tx *Tx) reindexExpire(mk []byte, old, new int64) {
	if old == new {
		return
	}
	if old != 0 {
		tx.ebuf = appendExpireKey(tx.ebuf[:0], old, mk)
		tx.del(bExpire, tx.ebuf)
	}
	if new != 0 {
		tx.put(bExpire, appendExpireKey(nil, new, mk), nil)
	}
}

// dropVersion queues a collection's elements for background reclaiming.
func (tx *Tx) dropVersion(version uint64) {
	if version != 0 {
		tx.put(bGC, gcVersionKey(version), nil)
	}
}

// SetExpire changes key's expiry (0 = persist). It reports false when the key
// is not live.
func (tx *Tx) SetExpire(db int, key []byte, at int64) bool {
	m, ok, err := tx.Lookup(db, key)
	if err != nil || !ok {
		return false
	}
	if m.ExpireAt == at {
		return true
	}
	m.ExpireAt = at
	m.Value = bytes.Clone(m.Value)
	m.Tag = bytes.Clone(m.Tag)
	tx.Put(db, key, &m)
	return true
}

// Rename moves key from (db, src) to (dstDB, dst), replacing dst. The record
// (with its expiry and elements) moves as is: O(1) for every type.
func (tx *Tx) Rename(db int, src []byte, dstDB int, dst []byte) bool {
	m, ok, err := tx.Lookup(db, src)
	if err != nil || !ok {
		return false
	}
	m.Value = bytes.Clone(m.Value)
	m.Tag = bytes.Clone(m.Tag)
	// Detach the record from src without reclaiming its elements.
	ns := tx.nsOf(db)
	mk := appendMetaKey(nil, ns, src)
	tx.reindexExpire(mk, m.ExpireAt, 0)
	tx.addCounts(ns, -1, -boolInt(m.ExpireAt != 0))
	old := tx.readOld(mk)
	tx.retag(mk, old.tag, nil)
	tx.forgetMeta(mk, &old) // eviction index and usage (evict.go)
	tx.del(bMeta, mk)
	tx.Delete(dstDB, dst)
	tx.Put(dstDB, dst, &m)
	return true
}

// Copy duplicates (db, src) as (dstDB, dst), elements included (O(n)).
// The destination must not exist (callers delete it first for REPLACE).
func (tx *Tx) Copy(db int, src []byte, dstDB int, dst []byte) bool {
	m, ok, err := tx.Lookup(db, src)
	if err != nil || !ok {
		return false
	}
	m.Value = bytes.Clone(m.Value)
	m.Tag = bytes.Clone(m.Tag)
	if m.Type.IsCollection() {
		oldVersion := m.Version
		m.Version = tx.newVersion()
		it := tx.Elems(oldVersion)
		type kv struct{ k, v []byte }
		var items []kv
		for ok := it.First(); ok; ok = it.Next() {
			items = append(items, kv{bytes.Clone(it.Sub()), bytes.Clone(it.Value())})
		}
		for _, e := range items {
			tx.ElemPut(m.Version, e.k, e.v)
		}
	}
	tx.Put(dstDB, dst, &m)
	return true
}

// ScanFunc receives each live key; key and m alias transaction memory.
type ScanFunc func(key []byte, m *Meta) bool

// Scan visits live keys of db in hash order starting at cursor (0 = start),
// at most count records, and returns the cursor to continue from (0 when the
// whole namespace was visited). fn returning false stops early (the returned
// cursor then resumes after the last key visited). Keys that exist for the
// whole scan are visited at least once; keys added or removed meanwhile may or
// may not be.
func (tx *Tx) Scan(db int, cursor uint64, count int, fn ScanFunc) uint64 {
	ns := tx.nsOf(db)
	prefix := nsPrefix(ns)
	c := tx.cursor(bMeta)
	var m Meta
	visited := 0
	for k, v := c.Seek(appendMetaSeek(nil, ns, cursor)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		_, h, key := splitMetaKey(k)
		if count > 0 && visited >= count {
			return h
		}
		visited++
		if at := metaExpireAt(v); at != 0 && at <= tx.Now {
			continue
		}
		if decodeMeta(v, &m) != nil {
			continue
		}
		if !fn(key, &m) {
			k, _ = c.Next()
			if k == nil || !bytes.HasPrefix(k, prefix) {
				return 0
			}
			_, h, _ = splitMetaKey(k)
			return h
		}
	}
	return 0
}

// RandomKey returns a random live key of db, or nil when it has none.
func (tx *Tx) RandomKey(db int) []byte {
	ns := tx.nsOf(db)
	prefix := nsPrefix(ns)
	c := tx.cursor(bMeta)
	for attempt := 0; attempt < 100; attempt++ {
		k, v := c.Seek(appendMetaSeek(nil, ns, rand.Uint64()))
		if k == nil || !bytes.HasPrefix(k, prefix) {
			k, v = c.Seek(prefix)
			if k == nil || !bytes.HasPrefix(k, prefix) {
				return nil
			}
		}
		if at := metaExpireAt(v); at != 0 && at <= tx.Now {
			continue
		}
		_, _, key := splitMetaKey(k)
		return bytes.Clone(key)
	}
	return nil
}

// FlushDB empties db in O(1): it points db at a fresh namespace and leaves
// the old one to the background reclaimer.
func (tx *Tx) FlushDB(db int) {
	old := tx.nsOf(db)
	ns := tx.db.nextNS
	tx.db.nextNS++
	tx.put(bSys, sysNextNS, putU64(uint64(tx.db.nextNS)))
	tx.setNS(db, ns)
	tx.put(bGC, gcNamespaceKey(old), nil)
	tx.Modified(db, nil)
}

// SwapDB exchanges the contents of two databases in O(1).
func (tx *Tx) SwapDB(a, b int) {
	na, nb := tx.nsOf(a), tx.nsOf(b)
	tx.setNS(a, nb)
	tx.setNS(b, na)
	tx.Modified(a, nil)
	tx.Modified(b, nil)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
