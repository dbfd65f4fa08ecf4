package engine

// Eviction support: the active policy's exact order index (bucket v) and
// the batch operations the eviction goroutine (package eviction) runs.
//
// Index key layout (this file owns it, in keys.go's style):
//
//	v  evict  gen(1) | o1(8) | o2(8) | metaKey → ∅
//
// gen names the index generation: switching policy (or lfu-decay-time,
// which changes the LFU order) starts a new generation; a rebuild pass walks
// the meta bucket in key order and inserts entries for the new generation
// while write hooks keep the already-visited part exact; old generations are
// swept in the background. o1/o2 are the policy's order fields (smallest
// evicted first): see order.

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Policy is a maxmemory-policy.
type Policy uint8

// Policies. volatile-* consider only keys with an expiry.
const (
	PolicyNoEviction Policy = iota
	PolicyAllKeysLRU
	PolicyAllKeysLFU
	PolicyAllKeysRandom
	PolicyAllKeysLRS
	PolicyVolatileLRU
	PolicyVolatileLFU
	PolicyVolatileRandom
	PolicyVolatileLRS
	PolicyVolatileTTL
	numPolicies
)

var policyNames = [numPolicies]string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
	"allkeys-lrs", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-lrs", "volatile-ttl"}

// String is the maxmemory-policy spelling.
func (p Policy) String() string {
	if p < numPolicies {
		return policyNames[p]
	}
	return "noeviction"
}

// ParsePolicy parses a maxmemory-policy value (lower case).
func ParsePolicy(s string) (Policy, bool) {
	for i, n := range policyNames {
		if n == s {
			return Policy(i), true
		}
	}
	return 0, false
}

// Volatile reports whether the policy only evicts keys with an expiry.
func (p Policy) Volatile() bool { return p >= PolicyVolatileLRU }

// TracksReads reports whether the policy's order depends on reads (LRU and
// LFU). Under the others a plain read records nothing: buffering it would
// cost a record rewrite per read key for an order nobody uses.
func (p Policy) TracksReads() bool {
	return p == PolicyAllKeysLRU || p == PolicyVolatileLRU || p.LFU()
}

// LFU reports whether the policy orders by access frequency.
func (p Policy) LFU() bool { return p == PolicyAllKeysLFU || p == PolicyVolatileLFU }

// Redis's LFU constants.
const (
	LFUInitVal   = 5 // counter of a new key
	minuteMillis = 60_000
)

// keyState is what the order of one key depends on.
type keyState struct {
	expireAt, storedAt, accessAt int64
	freq                         uint8
}

// evictState is the DB's eviction state (DB.ev).
type evictState struct {
	// Configuration, readable from any goroutine.
	limit     atomic.Int64  // maxmemory; 0 = none
	want      atomic.Uint32 // desired Policy (applied by the evictor's IndexStep)
	logFactor atomic.Int64  // lfu-log-factor
	decay     atomic.Int64  // lfu-decay-time in minutes (0 = never decay)
	wantDecay atomic.Int64  // desired decay, applied with the policy

	// The index as built; owned by the committer goroutine (changed only
	// inside write transactions), mirrored in idxPolicy for readers.
	policy    Policy
	gen       byte
	seed      uint64
	building  bool   // rebuild pass in progress
	cursor    []byte // rebuild pass: meta keys < cursor are indexed
	sweeping  bool   // old generations may still hold entries
	idxPolicy atomic.Uint32
	idxClean  atomic.Bool // no rebuild or sweep pending
	idxBuild  atomic.Bool // mirror of building for other goroutines

	// Usage (usage.go).
	logical      atomic.Int64  // exact logical bytes (meta + data keys and values)
	logicalDirty bool          // committer: logical changed in this batch
	ratioBit     atomic.Uint64 // float64 bits: in-use bytes per logical byte
	stuck        atomic.Bool   // over the limit with nothing left to evict
	evicting     atomic.Bool   // set by the evictor while it runs

	kick    chan struct{} // wakes the evictor
	roundMu sync.Mutex
	round   chan struct{} // closed after every evictor round

	touches touchBuffer
	scan    pageScan // usage.go
}

func (ev *evictState) init() {
	ev.kick = make(chan struct{}, 1)
	ev.round = make(chan struct{})
	ev.logFactor.Store(10)
	ev.decay.Store(1)
	ev.wantDecay.Store(1)
	ev.setRatio(defaultRatio)
	ev.touches.init()
}

// --- configuration --------------------------------------------------------

// SetMaxMemory sets the disk budget in bytes (0 = no limit).
func (db *DB) SetMaxMemory(n int64) {
	db.ev.limit.Store(n)
	db.ev.stuck.Store(false)
	db.KickEvictor()
}

// MaxMemory is the disk budget (0 = none).
func (db *DB) MaxMemory() int64 { return db.ev.limit.Load() }

// SetEvictPolicy selects the policy. The order index is rebuilt in the
// background (IndexStep); until then the previous index keeps serving.
func (db *DB) SetEvictPolicy(p Policy) {
	db.ev.want.Store(uint32(p))
	db.ev.stuck.Store(false)
	db.KickEvictor()
}

// EvictPolicy is the selected policy.
func (db *DB) EvictPolicy() Policy { return Policy(db.ev.want.Load()) }

// SetLFUParams sets lfu-log-factor and lfu-decay-time (minutes). A new
// decay time reorders the LFU index (rebuilt in the background).
func (db *DB) SetLFUParams(logFactor, decayMinutes int64) {
	db.ev.logFactor.Store(logFactor)
	db.ev.wantDecay.Store(decayMinutes)
	db.KickEvictor()
}

// KickEvictor wakes the eviction goroutine.
func (db *DB) KickEvictor() {
	select {
	case db.ev.kick <- struct{}{}:
	default:
	}
}

// EvictorWake is the channel the eviction goroutine waits on.
func (db *DB) EvictorWake() <-chan struct{} { return db.ev.kick }

// EvictorRoundDone wakes writers waiting for the evictor (OverLimit).
func (db *DB) EvictorRoundDone() {
	db.ev.roundMu.Lock()
	close(db.ev.round)
	db.ev.round = make(chan struct{})
	db.ev.roundMu.Unlock()
}

// SetStuck records whether usage is over the limit with nothing evictable
// (writes flagged denyoom then fail with OOM).
func (db *DB) SetStuck(v bool) { db.ev.stuck.Store(v) }

// OverLimit reports whether a write that may grow the store must be
// refused: usage is over maxmemory and the policy is noeviction, or nothing
// is left to evict. Over the limit with evictable keys, the writer waits
// (at most 100 ms) for the evictor instead, then proceeds: the budget is
// kept by back-pressure, not by failing writes.
func (db *DB) OverLimit() bool {
	return db.overBudget(db.ev.limit.Load(), db.UsedBytes, db.EvictPolicy(), &db.ev.stuck)
}

// overBudget is the denyoom gate of one budget (the server-wide one, or a
// database's): used() against lim (0 = none) under policy, stuck set by
// the evictor when nothing is left to evict. Over the limit with evictable
// keys it waits (at most 100 ms) for evictor rounds.
func (db *DB) overBudget(lim int64, used func() int64, policy Policy, stuck *atomic.Bool) bool {
	if lim == 0 || used() <= lim {
		return false
	}
	if policy == PolicyNoEviction || stuck.Load() {
		db.KickEvictor() // expired keys still go
		return true
	}
	deadline := time.NewTimer(100 * time.Millisecond)
	defer deadline.Stop()
	for used() > lim && !stuck.Load() {
		db.ev.roundMu.Lock()
		ch := db.ev.round
		db.ev.roundMu.Unlock()
		db.KickEvictor()
		select {
		case <-ch:
		case <-deadline.C:
			return stuck.Load()
		}
	}
	return stuck.Load()
}

// --- LFU ----------------------------------------------------------------

// lfuDecayed is Redis's LFUDecrAndReturn: the counter minus one per
// lfu-decay-time minutes elapsed since the last access.
func lfuDecayed(freq uint8, accessAt, now int64, decay int64) uint8 {
	if decay <= 0 || now <= accessAt {
		return freq
	}
	periods := (now/minuteMillis - accessAt/minuteMillis) / decay
	if periods >= int64(freq) {
		return 0
	}
	return freq - uint8(periods)
}

// lfuIncr is Redis's LFULogIncr: a logarithmic, probabilistic increment.
func lfuIncr(freq uint8, logFactor int64) uint8 {
	if freq == 255 {
		return 255
	}
	base := float64(freq) - LFUInitVal
	if base < 0 {
		base = 0
	}
	if rand.Float64() < 1.0/(base*float64(logFactor)+1) {
		freq++
	}
	return freq
}

// access applies one access at now to (freq, at) and returns the new state.
func (ev *evictState) access(freq uint8, at, now int64) (uint8, int64) {
	freq = lfuIncr(lfuDecayed(freq, at, now, ev.decay.Load()), ev.logFactor.Load())
	if now < at {
		now = at
	}
	return freq, now
}

// EffectiveFreq is the LFU counter OBJECT FREQ reports at now (decayed).
func (db *DB) EffectiveFreq(m *Meta, now int64) uint8 {
	return lfuDecayed(m.Freq, m.AccessAt, now, db.ev.decay.Load())
}

// --- the order index ----------------------------------------------------

// order returns the index fields of a key under the built policy, or
// ok == false when the key is not a candidate (noeviction, or volatile-*
// and no expiry).
func (ev *evictState) order(mk []byte, s *keyState) (o1, o2 uint64, ok bool) {
	return policyOrder(ev.policy, ev.seed, ev.decay.Load(), mk, s)
}

func appendEvictKey(buf []byte, gen byte, o1, o2 uint64, mk []byte) []byte {
	buf = append(buf, gen)
	buf = binary.BigEndian.AppendUint64(buf, o1)
	buf = binary.BigEndian.AppendUint64(buf, o2)
	return append(buf, mk...)
}

const evictHdrLen = 1 + 8 + 8

// indexed reports whether mk's index entry is kept by the hooks (the
// rebuild pass has visited it).
func (ev *evictState) indexed(mk []byte) bool {
	return ev.policy != PolicyNoEviction && (!ev.building || bytes.Compare(mk, ev.cursor) < 0)
}

// reindex moves mk's index entry from old to new (nil = absent).
func (tx *Tx) reindex(mk []byte, old, new *keyState) {
	tx.dbReindex(mk, old, new) // per-db order (dblimit_index.go)
	ev := &tx.db.ev
	if !ev.indexed(mk) {
		return
	}
	ix := ev.index()
	tx.moveEntry(&ix, mk, old, new)
}

// stampPut sets the eviction fields of a record being written (Put hook):
// every write is a store (StoredAt = now) and an access. An existing key
// continues its access history (its counter decays, then counts this
// access, as Redis's lookupKeyWrite does); a new key starts at
// LFUInitVal unless the Meta brings a counter (RENAME, COPY keep it).
func (tx *Tx) stampPut(mk []byte, old *oldState, m *Meta) {
	now := tx.Now
	ev := &tx.db.ev
	m.StoredAt = now
	if old.exists {
		freq, at := old.freq, old.accessAt
		if e, ok := ev.touches.take(mk); ok && e.at >= at {
			freq, at = e.freq, e.at
			if at == now { // this command's own lookup already counted
				m.Freq, m.AccessAt = freq, at
				return
			}
		}
		m.Freq, m.AccessAt = ev.access(freq, at, now)
		return
	}
	if m.Freq == 0 {
		m.Freq = LFUInitVal
	}
	m.AccessAt = now
}

// keyStateOf builds the index inputs of a record.
func keyStateOf(m *Meta) keyState {
	return keyState{expireAt: m.ExpireAt, storedAt: m.StoredAt, accessAt: m.AccessAt, freq: m.Freq}
}

func (o *oldState) keyState() keyState {
	return keyState{expireAt: o.expireAt, storedAt: o.storedAt, accessAt: o.accessAt, freq: o.freq}
}

// accountPut is the Put hook run just before the record is stored: index
// entry and logical size. val is the encoded record.
func (tx *Tx) accountPut(mk []byte, old *oldState, m *Meta, val []byte) {
	tx.dbAccountPut(mk, old, m, int64(len(mk)+len(val))-old.size) // per-db usage (dblimit.go)
	ns := keyStateOf(m)
	if old.exists {
		os := old.keyState()
		tx.reindex(mk, &os, &ns)
	} else {
		tx.reindex(mk, nil, &ns)
	}
	if d := int64(len(mk)+len(val)) - old.size; d > 0 {
		tx.addLogical(d)
		if lim := tx.db.ev.limit.Load(); lim > 0 && tx.db.UsedBytes() > lim/100*99 {
			tx.db.KickEvictor() // past the high watermark: evict now
		}
	} else {
		tx.addLogical(d)
	}
}

// forgetMeta is the hook for a record leaving the meta bucket.
func (tx *Tx) forgetMeta(mk []byte, old *oldState) {
	if !old.exists {
		return
	}
	os := old.keyState()
	tx.reindex(mk, &os, nil)
	tx.addLogical(-old.size)
	tx.dbAccountMeta(mk, -old.size) // per-db usage (dblimit.go)
	tx.db.ev.touches.drop(mk)
}

// --- policy switch and rebuild -----------------------------------------

var (
	sysEvictPolicy = []byte("evict:policy") // policy(1) gen(1) decay(8) seed(8) [cursor…]
)

// IndexStep applies a pending policy (or LFU decay) change and runs one
// bounded batch of the index rebuild or of the sweep of old generations.
// It reports whether the index is complete and clean.
func (db *DB) IndexStep(limit int) (done bool, err error) {
	ev := &db.ev
	if ev.idxClean.Load() && Policy(ev.want.Load()) == Policy(ev.idxPolicy.Load()) &&
		ev.wantDecay.Load() == ev.decay.Load() {
		return true, nil // nothing to do: no write transaction
	}
	err = db.Update(func(tx *Tx) error {
		want := Policy(ev.want.Load())
		wantDecay := ev.wantDecay.Load()
		if want != ev.policy || (want.LFU() && wantDecay != ev.decay.Load()) {
			ev.policy, ev.gen = want, ev.gen+1
			ev.decay.Store(wantDecay)
			ev.seed = rand.Uint64()
			ev.building = want != PolicyNoEviction
			ev.cursor = []byte{}
			ev.sweeping = true
			ev.idxPolicy.Store(uint32(want))
			ev.idxClean.Store(false)
			ev.idxBuild.Store(ev.building)
			tx.saveIndexState()
			return nil
		}
		ev.decay.Store(wantDecay)
		switch {
		case ev.building:
			tx.rebuildBatch(limit)
			tx.saveIndexState()
		case ev.sweeping:
			tx.sweepBatch(limit)
			if !ev.sweeping {
				tx.saveIndexState()
			}
		default:
			done = true
		}
		ev.idxClean.Store(!ev.building && !ev.sweeping)
		ev.idxBuild.Store(ev.building)
		return nil
	})
	return done, err
}

// IndexReady reports whether the index serves the selected policy fully.
func (db *DB) IndexReady() bool {
	return Policy(db.ev.idxPolicy.Load()) == db.EvictPolicy() && !db.ev.buildingFlag()
}

func (ev *evictState) buildingFlag() bool { return ev.idxBuild.Load() }

func (tx *Tx) saveIndexState() {
	ev := &tx.db.ev
	v := []byte{byte(ev.policy), ev.gen}
	v = binary.BigEndian.AppendUint64(v, uint64(ev.decay.Load()))
	v = binary.BigEndian.AppendUint64(v, ev.seed)
	var flags byte
	if ev.building {
		flags |= 1
	}
	if ev.sweeping {
		flags |= 2
	}
	v = append(v, flags)
	v = append(v, ev.cursor...)
	tx.put(bSys, sysEvictPolicy, v)
}

// loadIndexState reads the persisted index state (Open).
func (tx *Tx) loadIndexState() {
	ev := &tx.db.ev
	v := tx.get(bSys, sysEvictPolicy)
	if len(v) < 19 {
		ev.idxPolicy.Store(0)
		return
	}
	ev.policy, ev.gen = Policy(v[0]), v[1]
	ev.decay.Store(int64(binary.BigEndian.Uint64(v[2:])))
	ev.wantDecay.Store(ev.decay.Load())
	ev.seed = binary.BigEndian.Uint64(v[10:])
	ev.building, ev.sweeping = v[18]&1 != 0, v[18]&2 != 0
	ev.cursor = bytes.Clone(v[19:])
	ev.idxPolicy.Store(uint32(ev.policy))
	ev.idxBuild.Store(ev.building)
	ev.want.Store(uint32(ev.policy))
}

// rebuildBatch indexes up to limit meta records from the rebuild cursor.
func (tx *Tx) rebuildBatch(limit int) {
	ev := &tx.db.ev
	type rec struct {
		mk []byte
		s  keyState
	}
	var todo []rec
	c := tx.cursor(bMeta)
	var m Meta
	k, v := c.Seek(ev.cursor)
	for ; k != nil && len(todo) < limit; k, v = c.Next() {
		if decodeMeta(v, &m) != nil {
			continue
		}
		todo = append(todo, rec{bytes.Clone(k), keyStateOf(&m)})
	}
	if k == nil {
		ev.building = false
		ev.cursor = nil
	} else {
		ev.cursor = bytes.Clone(k)
	}
	for _, r := range todo {
		if o1, o2, ok := ev.order(r.mk, &r.s); ok {
			tx.put(bEvict, appendEvictKey(nil, ev.gen, o1, o2, r.mk), nil)
		}
	}
}

// sweepBatch deletes up to limit entries of old generations.
func (tx *Tx) sweepBatch(limit int) {
	ev := &tx.db.ev
	var todo [][]byte
	c := tx.cursor(bEvict)
	for k, _ := c.First(); k != nil && len(todo) < limit; k, _ = c.Next() {
		if k[0] == ev.gen {
			// Skip the live generation.
			if ev.gen == 255 {
				break
			}
			k, _ = c.Seek([]byte{ev.gen + 1})
			if k == nil {
				break
			}
		}
		todo = append(todo, bytes.Clone(k))
	}
	for _, k := range todo {
		tx.del(bEvict, k)
	}
	if len(todo) < limit {
		ev.sweeping = false
	}
}

// --- eviction -----------------------------------------------------------

// EvictResult says what one EvictKeys batch did.
type EvictResult struct {
	Evicted     int  // keys removed
	Collections bool // a collection was evicted: its elements wait for the reclaimer
	Empty       bool // the index holds no candidate
	Rescued     int  // candidates read since their entry was written, moved to their true place
}

// EvictKeys removes keys from the front of the active order until usage is
// at most target bytes, limit keys were removed, or a collection was
// removed (its elements are freed by the reclaimer, so usage must be
// measured again before evicting more). Each removal fires the Evicted and
// Modified hooks and counts in evicted_keys.
func (db *DB) EvictKeys(limit int, target int64) (EvictResult, error) {
	var res EvictResult
	err := db.Update(func(tx *Tx) error {
		res = tx.evictBatch(limit, target)
		return nil
	})
	return res, err
}

// orderIndex is one exact eviction order: entries prefix | o1(8) | o2(8) |
// metaKey → ∅ in bucket, where o1/o2 are policyOrder's fields under the
// index's policy (smallest evicted first). The server-wide index's prefix
// is its generation byte (bucket v, evictState.index), a database's its
// namespace (bucket w, dblimit_index.go).
type orderIndex struct {
	bucket bucketID
	prefix []byte
	policy Policy
	seed   uint64 // random policies: the hash seed
	decay  int64  // LFU: lfu-decay-time in minutes
}

// index describes the server-wide order as built.
func (ev *evictState) index() orderIndex {
	return orderIndex{bucket: bEvict, prefix: []byte{ev.gen}, policy: ev.policy, seed: ev.seed, decay: ev.decay.Load()}
}

func (ix *orderIndex) hdrLen() int { return len(ix.prefix) + 16 }

// keyOf is the entry of a record with order inputs s; ok == false when
// the key is not a candidate (noeviction, or volatile-* and no expiry).
func (ix *orderIndex) keyOf(mk []byte, s *keyState) (ek []byte, ok bool) {
	o1, o2, ok := policyOrder(ix.policy, ix.seed, ix.decay, mk, s)
	if !ok {
		return nil, false
	}
	return ix.entry(o1, o2, mk), true
}

func (ix *orderIndex) entry(o1, o2 uint64, mk []byte) []byte {
	buf := append(make([]byte, 0, ix.hdrLen()+len(mk)), ix.prefix...)
	buf = binary.BigEndian.AppendUint64(buf, o1)
	buf = binary.BigEndian.AppendUint64(buf, o2)
	return append(buf, mk...)
}

// moveEntry moves mk's entry in ix from old to new order inputs (nil =
// absent); nothing is written when its place does not change.
func (tx *Tx) moveEntry(ix *orderIndex, mk []byte, old, new *keyState) {
	var ok1, ok2 bool
	var a1, a2, b1, b2 uint64
	if old != nil {
		a1, a2, ok1 = policyOrder(ix.policy, ix.seed, ix.decay, mk, old)
	}
	if new != nil {
		b1, b2, ok2 = policyOrder(ix.policy, ix.seed, ix.decay, mk, new)
	}
	if ok1 && ok2 && a1 == b1 && a2 == b2 {
		return
	}
	if ok1 {
		tx.del(ix.bucket, ix.entry(a1, a2, mk))
	}
	if ok2 {
		tx.put(ix.bucket, ix.entry(b1, b2, mk), nil)
	}
}

// candidates returns up to limit entries of ix to evict, in order.
// Under the random policies the order is a fixed hash of each key, so
// always taking the front would evict the same few positions again and
// again (a static subset of keys would survive forever); instead it takes
// short runs from random points of the order, wrapping at its end, so each
// eviction picks a resident key at random, as Redis's allkeys-random does.
func (tx *Tx) candidates(ix *orderIndex, limit int) [][]byte {
	var cands [][]byte
	c := tx.cursor(ix.bucket)
	in := func(k []byte) bool { return k != nil && bytes.HasPrefix(k, ix.prefix) }
	if ix.policy != PolicyAllKeysRandom && ix.policy != PolicyVolatileRandom {
		for k, _ := c.Seek(ix.prefix); in(k) && len(cands) < limit; k, _ = c.Next() {
			if len(k) > ix.hdrLen() {
				cands = append(cands, bytes.Clone(k))
			}
		}
		return cands
	}
	const run = 8
	seen := make(map[string]bool)
	for tries := 0; len(cands) < limit && tries < limit; tries++ {
		k, _ := c.Seek(binary.BigEndian.AppendUint64(bytes.Clone(ix.prefix), rand.Uint64()))
		if !in(k) {
			k, _ = c.Seek(ix.prefix) // wrap around
		}
		got := 0
		for ; in(k) && got < run && len(cands) < limit; k, _ = c.Next() {
			if len(k) > ix.hdrLen() && !seen[string(k)] {
				seen[string(k)] = true
				cands = append(cands, bytes.Clone(k))
				got++
			}
		}
		if got == 0 && len(seen) == 0 {
			break // the order is empty
		}
	}
	return cands
}

// rescue persists mk's buffered access, if it has one newer than its
// record, and returns the key's new entry in ix (nil when it left the
// order). An access never moves a key earlier in any order (LRU: a later
// time; LFU: the decayed-counter sum grows, see order), so walking the
// index and rescuing as it goes evicts in the exact order of the true
// access states without flushing the whole touch buffer first. The write
// hooks move the key's entries in every order it is in.
func (tx *Tx) rescue(ix *orderIndex, mk []byte) (nk []byte, moved bool) {
	b := &tx.db.ev.touches
	e, ok := b.peek(mk)
	if !ok {
		return nil, false
	}
	s, ok := tx.persistTouch(mk, e)
	b.settle(mk, e)
	if !ok {
		return nil, false
	}
	nk, _ = ix.keyOf(mk, &s)
	return nk, true
}

// evictWalk removes the keys of cands (entries of ix, in order) front
// first until used() is at most target or a collection was removed (its
// elements are freed by the reclaimer, so usage must be measured again).
// Stale entries are deleted; candidates read since their entry was written
// are rescued and, when their true place is still inside this window,
// visited again there. limit is how many entries were asked for (fewer
// means cands holds the whole order). Each removal counts in evicted_keys
// and fires the Modified and Evicted hooks.
func (tx *Tx) evictWalk(ix *orderIndex, cands [][]byte, limit int, used func() int64, target int64) EvictResult {
	var res EvictResult
	exhaustive := len(cands) < limit
	for i := 0; i < len(cands); i++ {
		ek := cands[i]
		if used() <= target || res.Collections {
			break
		}
		mk := ek[ix.hdrLen():]
		old := tx.readOld(mk)
		if !old.exists {
			tx.del(ix.bucket, ek) // stale entry
			continue
		}
		s := old.keyState()
		if k, ok := ix.keyOf(mk, &s); !ok || !bytes.Equal(k, ek) {
			tx.del(ix.bucket, ek) // stale entry
			continue
		}
		if nk, moved := tx.rescue(ix, mk); moved {
			res.Rescued++
			if nk != nil && (exhaustive || bytes.Compare(nk, cands[len(cands)-1]) < 0) {
				cands = insertSorted(cands, i+1, nk)
			}
			continue
		}
		ns, _, key := splitMetaKey(mk)
		key = bytes.Clone(key)
		tx.removeRecord(ns, mk, old)
		tx.del(ix.bucket, ek) // in case a rebuild had not reached it
		res.Evicted++
		tx.db.stats.EvictedKeys.Add(1)
		if old.typ.IsCollection() {
			res.Collections = true
		}
		if db, ok := tx.dbOfNS(ns); ok {
			tx.Modified(db, key)
			if h := tx.db.hooks.Evicted; h != nil {
				h(tx, db, key)
			}
		}
	}
	return res
}

// insertSorted inserts k into the sorted tail list[from:].
func insertSorted(list [][]byte, from int, k []byte) [][]byte {
	j := from + sort.Search(len(list)-from, func(i int) bool { return bytes.Compare(list[from+i], k) >= 0 })
	list = append(list, nil)
	copy(list[j+1:], list[j:])
	list[j] = k
	return list
}

func (tx *Tx) evictBatch(limit int, target int64) EvictResult {
	var res EvictResult // the empty cases
	ev := &tx.db.ev
	if ev.policy == PolicyNoEviction {
		res.Empty = true
		return res
	}
	// Collect the candidates in one pass (re-seeking after every removal
	// would walk the overlay's tombstones again each time), then remove
	// them in order until usage reaches target.
	ix := ev.index()
	cands := tx.candidates(&ix, limit)
	if len(cands) == 0 {
		res.Empty = true
		return res
	}
	return tx.evictWalk(&ix, cands, limit, tx.db.UsedBytes, target)
}
