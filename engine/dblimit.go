package engine

// Per-database limits (CACHE.CONFIG): each logical database may carry its
// own maxmemory and maxmemory-policy on top of the server-wide budget.
//
// Usage per database. Every namespace has an exact logical-bytes figure
// with the server-wide LogicalBytes's definition (usage.go): its meta
// records (key + record) and every element (data key + value) of the
// collections it owns. A db's figure is the figure of the namespace it
// names, so FLUSHDB (a fresh namespace) reads 0 at once and SWAPDB swaps
// the figures with the namespaces. A db's used bytes are its logical bytes
// times the same measured ratio as the server-wide used_memory.
//
// Element writes and the reclaimer know a collection's version, not its
// namespace: the owner bucket (keys.go) records, for every version that
// has elements, the namespace they count in. It is written once when a
// record first names the version (new collection, COPY), rewritten when a
// record carrying it lands in another namespace (MOVE, RENAME across
// databases: the version's element bytes move with it, found by one walk
// of its elements — O(elements) for a cross-database move of a collection,
// every other write stays O(1)), and deleted when the reclaimer has freed
// the version. Elements written before any record names their version
// (COPY writes them first) wait in the batch's pending map until Put
// attributes them.
//
// The figures live in memory (the committer's map, mirrored per db index
// for readers) and are persisted in the sys bucket ("usage:ns:" + ns) with
// each batch, like usage:logical. A store written before per-database
// accounting is recounted once at Open.

import (
	"bytes"
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// unownedNS collects element bytes of versions no namespace can be found
// for (elements of a dropped collection in a store recounted at upgrade).
// No db ever names it.
const unownedNS = ^uint32(0)

// policyUnset marks a db without its own maxmemory-policy.
const policyUnset = -1

var sysPerDBMarker = []byte("usage:perdb") // present once per-ns figures are kept

// dbConf is one db's own settings and state, readable from any goroutine.
type dbConf struct {
	limit  atomic.Int64 // own maxmemory; 0 = none
	policy atomic.Int32 // own maxmemory-policy; policyUnset = the server-wide one
	stuck  atomic.Bool  // over its limit with nothing left to evict
	ns     atomic.Uint32
	bytes  atomic.Int64 // logical bytes of its namespace (published at batch end)
}

// dbLimits is the DB's per-database state (DB.dbl).
type dbLimits struct {
	conf [maxDatabases]dbConf

	track    atomic.Pointer[map[uint32]bool] // ns → its index policy tracks reads
	idxDirty atomic.Bool                     // settings or namespaces changed: DBIndexStep reconciles
	loaded   atomic.Bool

	// Owned by the committer goroutine.
	nsBytes map[uint32]int64    // namespace → logical bytes
	dirty   map[uint32]bool     // figures changed in this batch
	owners  map[uint64]uint32   // version → ns, cache for this batch
	pending map[uint64]int64    // element bytes of versions not yet owned (this batch)
	idx     map[uint32]*nsIndex // namespaces with an order index (dblimit_index.go)
	nsLimit map[uint32]int64    // ns → its db's limit (refreshed with the mirror)
	mu      sync.Mutex          // guards nsBytes for readers outside the committer (Info)
	seenPol atomic.Uint32       // server-wide policy the indexes were reconciled with
	seenDec atomic.Int64        // lfu decay likewise
}

func (l *dbLimits) maps() {
	if l.nsBytes == nil {
		l.nsBytes = map[uint32]int64{}
		l.dirty = map[uint32]bool{}
		l.owners = map[uint64]uint32{}
		l.pending = map[uint64]int64{}
		l.idx = map[uint32]*nsIndex{}
		l.nsLimit = map[uint32]int64{}
	}
}

// --- configuration ------------------------------------------------------

// DBSettings are one database's own settings.
type DBSettings struct {
	MaxMemory int64  // bytes; 0 = no own limit
	Policy    Policy // valid when HasPolicy
	HasPolicy bool   // false: the server-wide maxmemory-policy applies
}

// IsZero reports whether the db has no own settings.
func (s DBSettings) IsZero() bool { return s.MaxMemory == 0 && !s.HasPolicy }

func (db *DB) validDB(d int) bool { return d >= 0 && d < db.opts.Databases }

// DBSettings returns db d's own settings (zero for a bad index).
func (db *DB) DBSettings(d int) DBSettings {
	if !db.validDB(d) {
		return DBSettings{}
	}
	c := &db.dbl.conf[d]
	s := DBSettings{MaxMemory: c.limit.Load()}
	if p := c.policy.Load(); p != policyUnset {
		s.Policy, s.HasPolicy = Policy(p), true
	}
	return s
}

// DBPolicy is the policy that applies to db d's own limit: its own, or
// the server-wide one.
func (db *DB) DBPolicy(d int) Policy {
	if s := db.DBSettings(d); s.HasPolicy {
		return s.Policy
	}
	return db.EvictPolicy()
}

// SetDBSettings replaces db d's own settings and persists them in the
// store (one write transaction; zero settings remove the record).
func (db *DB) SetDBSettings(d int, s DBSettings) error {
	if !db.validDB(d) {
		return nil
	}
	return db.Update(func(tx *Tx) error {
		tx.applyDBSettings(d, s)
		return nil
	})
}

func (tx *Tx) applyDBSettings(d int, s DBSettings) {
	l := &tx.db.dbl
	c := &l.conf[d]
	c.limit.Store(s.MaxMemory)
	pol := int32(policyUnset)
	if s.HasPolicy {
		pol = int32(s.Policy)
	}
	c.policy.Store(pol)
	c.stuck.Store(false)
	k := sysNSKeyed(sysDBConf, uint32(d))
	if s.IsZero() {
		tx.del(bSys, k)
	} else {
		v := binary.BigEndian.AppendUint64(nil, uint64(s.MaxMemory))
		tx.put(bSys, k, append(v, byte(pol)))
	}
	l.idxDirty.Store(true)
	tx.refreshNSLimits()
	tx.db.KickEvictor()
}

// --- figures ------------------------------------------------------------

// DBLogicalBytes is db d's exact logical size (as of the last batch).
func (db *DB) DBLogicalBytes(d int) int64 {
	if !db.validDB(d) {
		return 0
	}
	return db.dbl.conf[d].bytes.Load()
}

// DBUsedBytes is db d's share of used_memory: its logical bytes times the
// measured ratio.
func (db *DB) DBUsedBytes(d int) int64 {
	return int64(float64(db.DBLogicalBytes(d)) * db.Ratio())
}

// --- write hooks (committer) -------------------------------------------

func nsOfMK(mk []byte) uint32 {
	if len(mk) < nsLen {
		return unownedNS
	}
	return binary.BigEndian.Uint32(mk)
}

func (tx *Tx) addNSBytes(ns uint32, d int64) {
	if d == 0 {
		return
	}
	l := &tx.db.dbl
	l.maps()
	l.mu.Lock()
	l.nsBytes[ns] += d
	l.mu.Unlock()
	l.dirty[ns] = true
}

// versionOwner returns the namespace version's elements count in.
func (tx *Tx) versionOwner(version uint64) (uint32, bool) {
	l := &tx.db.dbl
	l.maps()
	if ns, ok := l.owners[version]; ok {
		return ns, true
	}
	v := tx.get(bOwner, ownerKey(version))
	if len(v) != nsLen {
		return 0, false
	}
	ns := binary.BigEndian.Uint32(v)
	l.owners[version] = ns
	return ns, true
}

func (tx *Tx) setOwner(version uint64, ns uint32) {
	tx.db.dbl.owners[version] = ns
	tx.put(bOwner, ownerKey(version), binary.BigEndian.AppendUint32(nil, ns))
}

// dbAccountMeta is the hook for a meta record's size change (Put, record
// removal): d bytes in mk's namespace.
func (tx *Tx) dbAccountMeta(mk []byte, d int64) {
	ns := nsOfMK(mk)
	tx.addNSBytes(ns, d)
	if d > 0 {
		tx.kickIfDBOver(ns)
	}
}

// dbAccountPut is the Put hook (accountPut): the record's size change d,
// and the ownership of a collection's elements when the record names a
// version its namespace does not own yet.
func (tx *Tx) dbAccountPut(mk []byte, old *oldState, m *Meta, d int64) {
	tx.dbAccountMeta(mk, d)
	if !m.Type.IsCollection() || m.Version == 0 || (old.exists && old.version == m.Version) {
		return
	}
	ns := nsOfMK(mk)
	l := &tx.db.dbl
	owner, ok := tx.versionOwner(m.Version)
	switch {
	case !ok:
		tx.setOwner(m.Version, ns)
		if p := l.pending[m.Version]; p != 0 {
			delete(l.pending, m.Version)
			tx.addNSBytes(ns, p)
		}
	case owner != ns:
		var size int64
		it := tx.Elems(m.Version)
		for ok := it.First(); ok; ok = it.Next() {
			size += int64(len(it.k) + len(it.v))
		}
		tx.addNSBytes(owner, -size)
		tx.addNSBytes(ns, size)
		tx.setOwner(m.Version, ns)
	}
}

// dbAccountElem is the element hook (ElemPut, ElemDelete): d bytes under
// the data key k.
func (tx *Tx) dbAccountElem(k []byte, d int64) {
	if d == 0 || len(k) < versionLen {
		return
	}
	version := binary.BigEndian.Uint64(k)
	if ns, ok := tx.versionOwner(version); ok {
		tx.addNSBytes(ns, d)
		return
	}
	tx.db.dbl.pending[version] += d
}

// dbReclaimed is the reclaimer's hook: size bytes of version's elements
// were deleted; done says the version is gone.
func (tx *Tx) dbReclaimed(version uint64, size int64, done bool) {
	if ns, ok := tx.versionOwner(version); ok {
		tx.addNSBytes(ns, -size)
	} // else orphaned elements, counted nowhere (see countDBUsage)
	if done {
		delete(tx.db.dbl.owners, version)
		tx.del(bOwner, ownerKey(version))
	}
}

// kickIfDBOver wakes the evictor when ns's db passed its high watermark.
func (tx *Tx) kickIfDBOver(ns uint32) {
	l := &tx.db.dbl
	lim := l.nsLimit[ns]
	if lim > 0 && int64(float64(l.nsBytes[ns])*tx.db.Ratio()) > lim/100*99 {
		tx.db.KickEvictor()
	}
}

// refreshNSLimits rebuilds the ns → limit map from the settings and the
// db → namespace map (committer).
func (tx *Tx) refreshNSLimits() {
	l := &tx.db.dbl
	l.maps()
	clear(l.nsLimit)
	for d := 0; d < tx.db.opts.Databases; d++ {
		if lim := l.conf[d].limit.Load(); lim > 0 {
			l.nsLimit[tx.nsOf(d)] = lim
		}
	}
}

// finishDBUsage persists the changed figures with the batch, attributes
// elements still pending, and publishes the per-db figures (tx.finish).
func (tx *Tx) finishDBUsage() {
	l := &tx.db.dbl
	if l.nsBytes == nil {
		return
	}
	for version, p := range l.pending { // no record named the version
		if _, ok := tx.versionOwner(version); !ok {
			tx.setOwner(version, unownedNS)
		}
		ns, _ := tx.versionOwner(version)
		tx.addNSBytes(ns, p)
	}
	clear(l.pending)
	moved := false
	for d, ns := range tx.ns {
		if d >= 0 && d < tx.db.opts.Databases && l.conf[d].ns.Load() != ns {
			l.conf[d].ns.Store(ns)
			moved = true
		}
	}
	if moved {
		l.idxDirty.Store(true)
		tx.refreshNSLimits()
	}
	if len(l.dirty) > 0 || moved {
		for ns := range l.dirty {
			if n := l.nsBytes[ns]; n == 0 {
				tx.del(bSys, sysNSKeyed(sysNSUsage, ns))
				l.mu.Lock()
				delete(l.nsBytes, ns)
				l.mu.Unlock()
			} else {
				tx.put(bSys, sysNSKeyed(sysNSUsage, ns), putU64(uint64(n)))
			}
		}
		clear(l.dirty)
		l.publish(tx.db.opts.Databases)
	}
	if len(l.owners) > 4096 {
		clear(l.owners)
	}
}

// publish copies each db's namespace figure into its mirror.
func (l *dbLimits) publish(dbs int) {
	l.mu.Lock()
	for d := 0; d < dbs; d++ {
		c := &l.conf[d]
		c.bytes.Store(l.nsBytes[c.ns.Load()])
	}
	l.mu.Unlock()
}

// loadDBUsage reads the per-namespace figures, the db settings and the
// index states (Open, inside loadUsage's transaction). A store without
// per-namespace figures is recounted once.
func (tx *Tx) loadDBUsage() {
	l := &tx.db.dbl
	l.maps()
	for d := 0; d < tx.db.opts.Databases; d++ {
		c := &l.conf[d]
		c.ns.Store(tx.nsOf(d))
		c.policy.Store(policyUnset)
		if v := tx.get(bSys, sysNSKeyed(sysDBConf, uint32(d))); len(v) == 9 {
			c.limit.Store(int64(binary.BigEndian.Uint64(v)))
			if p := int32(int8(v[8])); p >= 0 && p < int32(numPolicies) {
				c.policy.Store(p)
			}
		}
	}
	l.mu.Lock()
	clear(l.nsBytes)
	l.mu.Unlock()
	if tx.get(bSys, sysPerDBMarker) == nil {
		tx.recountDBUsage(true)
		tx.put(bSys, sysPerDBMarker, nil)
	} else {
		prefix := []byte(sysNSUsage)
		c := tx.cursor(bSys)
		l.mu.Lock()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(k) == len(prefix)+nsLen {
				l.nsBytes[binary.BigEndian.Uint32(k[len(prefix):])] = int64(u64(v))
			}
		}
		l.mu.Unlock()
	}
	tx.loadDBIndexes()
	tx.refreshNSLimits()
	l.publish(tx.db.opts.Databases)
	l.idxDirty.Store(true)
	l.loaded.Store(true)
}

// dbUsageCount is a full recount: per-namespace figures and the owner of
// every version that has elements.
type dbUsageCount struct {
	ns     map[uint32]int64
	owner  map[uint64]uint32 // versions named by a record
	orphan map[uint64]bool   // versions with elements no record names
}

// countDBUsage walks the meta and data buckets (O(store)). Elements of a
// version no record names count in its owner record's namespace when it
// has one; without one they count in unownedNS when adopt is set (the
// upgrade recount: dropped collections waiting for the reclaimer), else
// nowhere (orphans CHECK reports on its own; the reclaimer then subtracts
// them nowhere either).
func (tx *Tx) countDBUsage(adopt bool) dbUsageCount {
	r := dbUsageCount{ns: map[uint32]int64{}, owner: map[uint64]uint32{}, orphan: map[uint64]bool{}}
	var m Meta
	c := tx.cursor(bMeta)
	for k, v := c.First(); k != nil; k, v = c.Next() {
		ns := nsOfMK(k)
		r.ns[ns] += int64(len(k) + len(v))
		if decodeMeta(v, &m) == nil && m.Type.IsCollection() && m.Version != 0 {
			r.owner[m.Version] = ns
		}
	}
	c = tx.cursor(bData)
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) < versionLen {
			continue
		}
		version := binary.BigEndian.Uint64(k)
		ns, ok := r.owner[version]
		if !ok {
			if ov := tx.get(bOwner, ownerKey(version)); len(ov) == nsLen {
				ns, ok = binary.BigEndian.Uint32(ov), true
			} else if adopt {
				r.orphan[version] = true
				ns, ok = unownedNS, true
			}
		}
		if ok {
			r.ns[ns] += int64(len(k) + len(v))
		}
	}
	for ns, n := range r.ns {
		if n == 0 {
			delete(r.ns, ns)
		}
	}
	return r
}

// recountDBUsage replaces the figures by a full recount; with owners it
// also rewrites the owner bucket from the records (upgrade, CHECK FIX).
func (tx *Tx) recountDBUsage(owners bool) {
	l := &tx.db.dbl
	l.maps()
	r := tx.countDBUsage(owners)
	if owners {
		var stale [][]byte
		c := tx.cursor(bOwner)
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if _, ok := r.owner[u64(k)]; !ok && !tx.Elems(u64(k)).First() {
				stale = append(stale, bytes.Clone(k)) // neither named nor holding elements
			}
		}
		for _, k := range stale {
			tx.del(bOwner, k)
		}
		for v, ns := range r.owner {
			tx.setOwner(v, ns)
		}
		for v := range r.orphan {
			if _, ok := tx.versionOwner(v); !ok {
				tx.setOwner(v, unownedNS)
			}
		}
	}
	l.mu.Lock()
	for ns := range l.nsBytes {
		if _, ok := r.ns[ns]; !ok {
			l.dirty[ns] = true
		}
	}
	clear(l.nsBytes)
	for ns, n := range r.ns {
		l.nsBytes[ns] = n
		l.dirty[ns] = true
	}
	l.mu.Unlock()
}

// DBOverLimit reports whether a denyoom write to db d must be refused:
// d's own usage is over its own limit and its policy is noeviction, or
// nothing of d is left to evict. Over the limit with evictable keys the
// writer waits (at most 100 ms) for the evictor, as OverLimit does.
func (db *DB) DBOverLimit(d int) bool {
	if !db.validDB(d) {
		return false
	}
	c := &db.dbl.conf[d]
	return db.overBudget(c.limit.Load(), func() int64 { return db.DBUsedBytes(d) }, db.DBPolicy(d), &c.stuck)
}

// SetDBStuck records whether db d is over its limit with nothing of it
// left to evict (the evictor).
func (db *DB) SetDBStuck(d int, v bool) {
	if db.validDB(d) {
		db.dbl.conf[d].stuck.Store(v)
	}
}
