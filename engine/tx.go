package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// maxDatabases bounds the `databases` setting; namespaces below it start as
// the identity mapping db i → namespace i.
const maxDatabases = 1024

// ErrReadOnly is returned when a read transaction tries to write.
var ErrReadOnly = errors.New("engine: write in a read-only transaction")

// Tx is one engine transaction: a bbolt read transaction (View) or a share of
// the committer's write transaction (Update).
//
// The storage primitives (get, put, del, cursor) are the narrow interface the
// rest of the engine is written against; everything above them (keys.go's
// layout, Meta, counters) is independent of bbolt.
type Tx struct {
	db       *DB
	btx      *bolt.Tx
	writable bool

	bk [numBuckets]*bolt.Bucket
	bc [numBuckets]*bolt.Cursor // point lookups (boltGet)
	// Where each point-lookup cursor stands: the key it last returned and
	// its value (bbolt memory), or a nil key when the next lookup must
	// seek from the root.
	bat, bval [numBuckets][]byte

	noTouch bool // lookups are not accesses (SetNoTouch, touch.go)

	// The overlay layers above bbolt, newest first: mem (the committer's
	// active memtable in a write transaction, a published snapshot of it in
	// a read transaction), then frozen memtables waiting to be flushed.
	mem    *memTree
	memt   *memtable // write transactions: the active memtable
	rmem   *memtable // read transactions: the memtable mem is a snapshot of
	memSeq uint64    // read transactions: the last batch in mem
	imm    []*memtable
	wbuf   []byte // write transactions: this batch's WAL ops

	probe memItem
	pbuf  []byte
	// stale: a ViewPoint lookup met a key written after its batch (or
	// opened a cursor); ViewPoint runs fn again under View.
	stale bool

	// The last meta record read, so a write right after its lookup (the
	// usual read-modify-write) does not search every layer again.
	lastMK, lastRaw []byte
	// The last elements read (elements.go), for the same reason.
	elems elemCache
	// pendMeta is the batch's latest meta record write, held back from the
	// memtable and the log until a write to another meta key, a cursor
	// over the meta bucket, or the end of the batch (flushMeta). A
	// pipeline of commands on one collection (LPUSH, RPOP, HSET, ZADD…)
	// rewrites the same meta record per command; only the last of a run
	// reaches the tree and the log. Reads of that key return it.
	pendMeta *memItem

	// Now is the time commands in this transaction see, in unix ms. The
	// caller may move it forward between commands.
	Now int64

	ns     map[int]uint32        // db → namespace, read once per tx
	counts map[uint32]*nsCounter // namespace → live counters touched by this tx
	buf    []byte                // scratch for building keys
	ebuf   []byte                // scratch for expire keys
	mkbuf  []byte                // Put's scratch: the meta key
	mvbuf  []byte                // Put's scratch: the encoded record
}

type nsCounter struct {
	keys, expires int64
	dirty         bool
}

var txPool = sync.Pool{New: func() any {
	return &Tx{ns: make(map[int]uint32, 4), counts: make(map[uint32]*nsCounter, 4)}
}}

func getTx(db *DB, btx *bolt.Tx, writable bool) *Tx {
	tx := txPool.Get().(*Tx)
	tx.db, tx.btx, tx.writable = db, btx, writable
	tx.Now = time.Now().UnixMilli()
	return tx
}

func putTx(tx *Tx) {
	tx.db, tx.btx = nil, nil
	tx.bk = [numBuckets]*bolt.Bucket{}
	tx.bc = [numBuckets]*bolt.Cursor{}
	tx.bat, tx.bval = [numBuckets][]byte{}, [numBuckets][]byte{}
	tx.noTouch = false
	tx.mem, tx.memt, tx.rmem, tx.memSeq, tx.imm, tx.probe = nil, nil, nil, 0, nil, memItem{}
	tx.stale = false
	tx.lastMK, tx.lastRaw = tx.lastMK[:0], nil
	tx.elems.reset()
	tx.pendMeta = nil
	if cap(tx.wbuf) > 1<<20 {
		tx.wbuf = nil
	}
	tx.wbuf = tx.wbuf[:0]
	clear(tx.ns)
	clear(tx.counts)
	tx.buf, tx.ebuf = keepSmall(tx.buf), keepSmall(tx.ebuf)
	tx.mkbuf, tx.mvbuf = keepSmall(tx.mkbuf), keepSmall(tx.mvbuf)
	txPool.Put(tx)
}

// keepSmall returns scratch b for reuse by the next transaction, or nil
// when one large key or record grew it past 64 KiB (not kept pooled).
func keepSmall(b []byte) []byte {
	if cap(b) > 64<<10 {
		return nil
	}
	return b
}

// Writable reports whether the transaction may write.
func (tx *Tx) Writable() bool { return tx.writable }

// DB returns the store the transaction belongs to.
func (tx *Tx) DB() *DB { return tx.db }

// Databases is the number of logical databases.
func (tx *Tx) Databases() int { return tx.db.opts.Databases }

// --- storage primitives -------------------------------------------------

// bucket opens a bbolt bucket on first use: most transactions touch one or
// two of the six, and opening each costs a search of the root.
func (tx *Tx) bucket(b bucketID) *bolt.Bucket {
	if bk := tx.bk[b]; bk != nil {
		return bk
	}
	tx.bk[b] = tx.btx.Bucket(bucketNames[b])
	return tx.bk[b]
}

// get returns the value under k, or nil when absent (a present empty value
// is a non-nil empty slice). It asks the overlay's layers newest first, then
// bbolt. The slice is valid until the transaction ends.
func (tx *Tx) get(b bucketID, k []byte) []byte {
	if p := tx.pendMeta; p != nil && b == bMeta && bytes.Equal(p.key[1:], k) {
		return p.val
	}
	if !tx.overlayEmpty() {
		tx.pbuf = memKey(tx.pbuf, b, k)
		h := memHash(tx.pbuf)
		if tx.memt != nil { // write tx: the committer sees its own writes
			if it, ok := tx.memt.lookup(tx.pbuf, h); ok {
				return it.value()
			}
		} else if tx.rmem != nil {
			it, ok, stale := tx.rmem.lookupAt(tx.pbuf, h, tx.memSeq, tx.mem, &tx.probe)
			if stale { // ViewPoint: written after its batch; View reruns fn
				tx.stale = true
				return nil
			}
			if ok {
				return it.value()
			}
		}
		for _, m := range tx.imm {
			if v, ok := m.get(tx.pbuf, h); ok {
				return v
			}
		}
	}
	return tx.boltGet(b, k)
}

// overlayEmpty reports that no memtable holds anything, so a lookup can
// go straight to bbolt. The committer's active memtable may hold items
// its tree does not yet (memtable.pend); a reader's snapshot tree holds
// everything up to its batch.
func (tx *Tx) overlayEmpty() bool {
	if len(tx.imm) > 0 {
		return false
	}
	if tx.memt != nil {
		return tx.memt.size() == 0
	}
	if tx.mem == nil { // ViewPoint: the index is the only view of the active memtable
		return tx.rmem == nil
	}
	return tx.mem.Len() == 0
}

// boltGet is bbolt's Bucket.Get through one cursor per bucket kept for
// the transaction: Bucket.Get makes a new cursor, and grows its page
// stack, on every call — an allocation per level of the tree per lookup.
// Same result: the value (non-nil and empty for an empty value), or nil.
//
// A key next to the one the cursor stands on (equal length, same bytes
// but the last two: list elements popped or read in sequence) is reached
// by a step instead of a search from the root. The step decides exactly:
// the neighbour either is the key, or lies beyond it (so the key is
// absent: nothing sits between neighbours); otherwise the lookup seeks.
func (tx *Tx) boltGet(b bucketID, k []byte) []byte {
	c := tx.bc[b]
	if c == nil {
		c = tx.bucket(b).Cursor()
		tx.bc[b] = c
	}
	if at := tx.bat[b]; at != nil && nearKey(k, at) {
		order := bytes.Compare(k, at)
		if order == 0 {
			return tx.bval[b]
		}
		if v, decided := tx.boltStep(c, b, k, order); decided {
			return v
		}
	}
	kk, v := c.Seek(k)
	tx.bat[b], tx.bval[b] = kk, v
	if bytes.Equal(kk, k) {
		return v
	}
	return nil
}

// boltStep moves bucket b's lookup cursor one entry towards k (forward
// when dir > 0) and reports whether that decided k's lookup, with k's
// value (nil: absent).
func (tx *Tx) boltStep(c *bolt.Cursor, b bucketID, k []byte, dir int) ([]byte, bool) {
	var kk, v []byte
	if dir > 0 {
		kk, v = c.Next()
	} else {
		kk, v = c.Prev()
	}
	tx.bat[b], tx.bval[b] = kk, v // nil at either end: the next lookup seeks
	if kk == nil {
		return nil, true // nothing beyond the cursor's key, so nothing at k
	}
	switch o := bytes.Compare(kk, k); {
	case o == 0:
		return v, true
	case (o > 0) == (dir > 0):
		return nil, true // the neighbour is already past k
	}
	return nil, false
}

// nearKey reports whether k and at have the same length and differ at
// most in their last two bytes: worth a step rather than a seek.
func nearKey(k, at []byte) bool {
	n := len(k)
	return n == len(at) && n >= 2 && bytes.Equal(k[:n-2], at[:n-2])
}

// put stores v under k in the active memtable and the batch's log. Both
// are copied: callers may reuse their buffers.
func (tx *Tx) put(b bucketID, k, v []byte) {
	if !tx.writable {
		panic(ErrReadOnly)
	}
	if b == bMeta && tx.rewritePending(k, v) {
		return
	}
	// One piece of the memtable's arena holds the tree key and a copy of
	// the value (v stays the caller's); the value part is non-nil even
	// when empty.
	buf := tx.memt.arena.alloc(1 + len(k) + len(v))
	buf[0] = byte(b)
	copy(buf[1:], k)
	copy(buf[1+len(k):], v)
	it := tx.memt.arena.item()
	it.key, it.val = buf[:1+len(k):1+len(k)], buf[1+len(k):]
	tx.forget(b, k)
	if b == bMeta {
		if p := tx.pendMeta; p != nil && !bytes.Equal(p.key[1:], k) {
			tx.flushMeta()
		}
		tx.pendMeta = it // replaces a pending write of the same key
		return
	}
	tx.memt.set(it)
	tx.wbuf = appendOp(tx.wbuf, opPut, b, k, v)
}

// rewritePending overwrites the held-back meta record in place when v
// replaces it with a record of the same length, type and no tag: a
// collection's record rewritten per command of a pipeline (count,
// head/tail, times) then costs no allocation. Only then is it safe: the
// pending bytes are the transaction's own (not in the memtable or the
// log yet), and a Meta decoded from them earlier holds no slice into them
// (collections have no Value; untagged records no Tag).
func (tx *Tx) rewritePending(k, v []byte) bool {
	p := tx.pendMeta
	if p == nil || len(p.val) != len(v) || len(v) < metaFixed || v[2] != 0 || p.val[2] != 0 ||
		v[1] != p.val[1] || !Type(v[1]).IsCollection() || !bytes.Equal(p.key[1:], k) {
		return false
	}
	copy(p.val, v)
	tx.forget(bMeta, k)
	return true
}

// flushMeta moves the held-back meta record write into the memtable and
// the batch's log.
func (tx *Tx) flushMeta() {
	if p := tx.pendMeta; p != nil {
		tx.pendMeta = nil
		tx.memt.set(p)
		tx.wbuf = appendOp(tx.wbuf, opPut, bMeta, p.key[1:], p.val)
	}
}

// del removes k (absent is fine) by writing a tombstone.
func (tx *Tx) del(b bucketID, k []byte) {
	if !tx.writable {
		panic(ErrReadOnly)
	}
	if p := tx.pendMeta; p != nil && b == bMeta && bytes.Equal(p.key[1:], k) {
		tx.pendMeta = nil // the tombstone supersedes it
	}
	it := tx.memt.arena.item()
	it.key, it.del = memKey(tx.memt.arena.alloc(len(k) + 1)[:0], b, k), true
	tx.memt.set(it)
	tx.wbuf = appendOp(tx.wbuf, opDel, b, k, nil)
	tx.forget(b, k)
}

// forget drops what the read caches hold for k in bucket b (it is being
// written).
func (tx *Tx) forget(b bucketID, k []byte) {
	switch b {
	case bMeta:
		tx.lastMK = tx.lastMK[:0]
	case bData:
		tx.elems.forget(k)
	}
}

// getMeta reads a meta record through the one-entry cache.
func (tx *Tx) getMeta(mk []byte) []byte {
	if len(tx.lastMK) > 0 && bytes.Equal(mk, tx.lastMK) {
		return tx.lastRaw
	}
	raw := tx.get(bMeta, mk)
	tx.lastMK = append(tx.lastMK[:0], mk...)
	tx.lastRaw = raw
	return raw
}

// cursor returns an ordered cursor over bucket b merging the overlay and
// bbolt. Do not write to b while using it (collect, then write).
func (tx *Tx) cursor(b bucketID) cursor {
	if b == bMeta {
		tx.flushMeta() // the cursor reads the tree
	}
	var its []layerIter
	if tx.memt != nil {
		tx.memt.settleList(&tx.memt.pend[b]) // the committer walks its live tree (under treeMu)
	}
	if tx.mem == nil && tx.rmem != nil {
		// ViewPoint has no tree to walk: give a cursor without the active
		// memtable and have View run fn again (its results are dropped).
		tx.stale = true
		tx.mem = newMemTree()
	}
	if tx.mem.Len() > 0 {
		its = append(its, newTreeIter(tx.mem, b))
	}
	for _, m := range tx.imm {
		its = append(its, m.iter(b))
	}
	bc := tx.bucket(b).Cursor()
	if len(its) == 0 {
		return bc
	}
	return newMergedCursor(append(its, &boltIter{c: bc}))
}

// cursor walks one bucket in key order; every move returns (nil, nil) past
// either end.
type cursor interface {
	First() (k, v []byte)
	Last() (k, v []byte)
	Seek(k []byte) (key, v []byte)
	Next() (k, v []byte)
	Prev() (k, v []byte)
}

// --- namespaces and counters ---------------------------------------------

// nsOf returns the namespace db currently names.
func (tx *Tx) nsOf(db int) uint32 {
	if ns, ok := tx.ns[db]; ok {
		return ns
	}
	ns := uint32(db)
	if v := tx.get(bSys, sysNSKey(db)); len(v) == 4 {
		ns = binary.BigEndian.Uint32(v)
	}
	tx.ns[db] = ns
	return ns
}

func (tx *Tx) setNS(db int, ns uint32) {
	tx.put(bSys, sysNSKey(db), binary.BigEndian.AppendUint32(nil, ns))
	tx.ns[db] = ns
}

func (tx *Tx) counter(ns uint32) *nsCounter {
	if c, ok := tx.counts[ns]; ok {
		return c
	}
	c := &nsCounter{}
	if v := tx.get(bSys, sysCountKey(ns)); len(v) == 16 {
		c.keys = int64(binary.BigEndian.Uint64(v))
		c.expires = int64(binary.BigEndian.Uint64(v[8:]))
	}
	tx.counts[ns] = c
	return c
}

func (tx *Tx) addCounts(ns uint32, keys, expires int64) {
	c := tx.counter(ns)
	c.keys += keys
	c.expires += expires
	c.dirty = true
}

// finish persists what the batch changed in counters.
func (tx *Tx) finish() error {
	for ns, c := range tx.counts {
		if !c.dirty {
			continue
		}
		v := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(c.keys))
		v = binary.BigEndian.AppendUint64(v, uint64(c.expires))
		tx.put(bSys, sysCountKey(ns), v)
	}
	tx.finishUsage() // logical size (usage.go)
	tx.flushMeta()
	return nil
}

// newVersion allocates a fresh element prefix for a collection.
func (tx *Tx) newVersion() uint64 {
	v := tx.db.nextVersion
	tx.db.nextVersion++
	tx.put(bSys, sysNextVersion, putU64(tx.db.nextVersion))
	return v
}

// KeyCounts returns the number of keys and of keys with an expiry in db.
// Keys that expired but were not yet removed are still counted, as in Redis.
func (tx *Tx) KeyCounts(db int) (keys, expires int64) {
	c := tx.counter(tx.nsOf(db))
	return c.keys, c.expires
}
