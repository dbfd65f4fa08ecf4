package engine

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sync"
	"time"

	"github.com/tidwall/btree"
	bolt "go.etcd.io/bbolt"
)

// The overlay: recent writes live in memtables (ordered in-memory trees)
// above bbolt. A lookup asks the newest memtable first, then older frozen
// ones, then bbolt; a deletion is a tombstone until it reaches bbolt.
//
// The committer owns the active memtable and is its only writer. After each
// batch it publishes a copy-on-write snapshot of it (tidwall/btree's Copy is
// O(1) and shares nodes until either side writes), so readers never lock
// against the writer and always see whole batches.

// memItem is one entry. Items are immutable once in a tree: a rewrite
// inserts a new item.
type memItem struct {
	key []byte // bucket id byte, then the bucket key
	val []byte
	seq uint64 // the committer batch that wrote it (memindex.go)
	del bool   // tombstone
}

// memRef is what a tree node holds for an item: the item and its key's
// first 32 bytes as big-endian words, zero-padded. Tree searches decide
// on the words in nearly every case, reading only the node's own array:
// element keys share their first 9 bytes (bucket and version), and 32
// bytes reach past the common parts of typical field and member names.
// With the words in the item instead, every comparison of a search
// loaded another item (ZADD/HSET P16: lessItem was 7 % of all CPU, most
// of it cache misses).
type memRef struct {
	pfx [4]uint64
	it  *memItem
}

// refOf is the tree slot for it.
func refOf(it *memItem) memRef { return memRef{pfx: keyPrefix(it.key), it: it} }

// keyPrefix is k's first 32 bytes as big-endian words, zero-padded. For
// any keys a and b, keyPrefix(a) < keyPrefix(b) (word by word) implies
// a < b: at the first differing byte either both keys have real bytes, or
// the shorter key is a proper prefix of the longer (its padding byte, 0,
// is below the other's byte). Equal prefixes decide nothing.
func keyPrefix(k []byte) (p [4]uint64) {
	if len(k) < len(p)*8 {
		var b [32]byte
		copy(b[:], k)
		k = b[:]
	}
	p[0] = binary.BigEndian.Uint64(k)
	p[1] = binary.BigEndian.Uint64(k[8:])
	p[2] = binary.BigEndian.Uint64(k[16:])
	p[3] = binary.BigEndian.Uint64(k[24:])
	return p
}

// value is what a lookup returns: nil for a tombstone (absent), the
// non-nil value otherwise.
func (it *memItem) value() []byte {
	if it.del {
		return nil
	}
	return it.val
}

// size estimates the memory an entry holds: its bytes plus the item, the
// index entry and its share of tree nodes (measured ~150 bytes before
// the item carried its 32-byte key prefix).
func (it *memItem) size() int64 { return int64(len(it.key)+len(it.val)) + memItemOverhead }

const memItemOverhead = 180

// cmpRef orders items by key (-1, 0, +1): by prefix words while they
// differ, then by the bytes after the prefix when both keys are longer
// than it, else by the whole keys (a key shorter than 32 bytes may equal
// another's prefix only through its zero padding).
func cmpRef(a, b memRef) int {
	for i := range a.pfx {
		if a.pfx[i] != b.pfx[i] {
			if a.pfx[i] < b.pfx[i] {
				return -1
			}
			return 1
		}
	}
	if len(a.it.key) > 32 && len(b.it.key) > 32 {
		return bytes.Compare(a.it.key[32:], b.it.key[32:])
	}
	return bytes.Compare(a.it.key, b.it.key)
}

// lessRef is the trees' order.
func lessRef(a, b memRef) bool { return cmpRef(a, b) < 0 }

type memTree = btree.BTreeG[memRef]

func newMemTree() *memTree {
	return btree.NewBTreeGOptions(lessRef, btree.Options{NoLocks: true, Degree: 32})
}

// memtable is a tree plus what flushing it needs to know. idx indexes the
// same items by key for O(1) point lookups, by the committer and readers
// alike (memindex.go).
type memtable struct {
	tree *memTree // nil once compacted
	// pend holds, per bucket, the items set but not yet in tree, in the
	// order they were set. Point lookups go through idx, so only ordered
	// walks need the tree: settle moves pend into it just before one (a
	// cursor over a bucket settles that bucket: the expiry scan's cursor
	// over the expiry bucket ten times a second leaves HSET's elements
	// pending; a reader's snapshot, a freeze, a rollback settle all). A
	// write load that never walks its bucket (HSET, SET, pushes) then pays
	// an append per write instead of a tree insert (~0.8 µs of the
	// committer's time per write into a memtable of 100 k entries) and a
	// sorted bulk load per memtable. The active memtable's pend changes
	// only under DB.treeMu (the committer's batches, a reader taking a
	// snapshot); a frozen one is settled once, through ordered.
	pend    [numBuckets]pendList
	settled sync.Once  // frozen memtables (ordered)
	run     *sortedRun // a frozen memtable's compact form (sortedrun.go), or nil
	idx     memIndex
	bytes   int64  // approximate memory held
	seg     uint64 // last WAL segment holding its writes
	// frozenAt is when rotate froze it (zero for a replayed log: flush at
	// once).
	frozenAt time.Time
	stamp    uint64 // batch number set stamps on new items (committer only)
	arena    memArena
	// undo records what the running batch's sets replaced, so a batch
	// whose log write failed can be taken back out of the tree (committer
	// only; cleared at the start of each batch).
	undo []undoStep
}

// pendList is one bucket's pending items (memtable.pend).
type pendList struct {
	refs []memRef
	// turns counts the changes of direction between consecutive items
	// (down is the last direction, set by the first two items; an equal
	// key counts as up): pushes to one end of a list come in order and
	// insert cheaply where the previous one went, random keys turn every
	// other item and are cheaper sorted (see settleList). turns == 0 means
	// the list is monotone: non-decreasing, or with down strictly
	// decreasing.
	turns int
	down  bool
	sets  int // items ever set (committer only: sizes the next memtable's list)
}

// undoStep is one set of the running batch: the item inserted and the one
// it replaced (nil: the key was new to this memtable).
type undoStep struct{ it, old *memItem }

func newMemtable() *memtable { return &memtable{tree: newMemTree()} }

// lookup finds the newest entry under tree key k (bucket byte + key),
// whose memHash is h (a lookup through several layers hashes once).
func (m *memtable) lookup(k []byte, h uint64) (*memItem, bool) {
	it := m.idx.get(k, h)
	return it, it != nil
}

// get finds tree key k (memHash h) in a frozen memtable, tree or run: its
// value (nil for a tombstone) and whether the memtable holds k at all.
func (m *memtable) get(k []byte, h uint64) ([]byte, bool) {
	if m.run != nil {
		return m.run.get(k, h)
	}
	if it := m.idx.get(k, h); it != nil {
		return it.value(), true
	}
	return nil, false
}

// iter returns a layerIter over bucket b of a frozen memtable.
func (m *memtable) iter(b bucketID) layerIter {
	if m.run != nil {
		return newRunIter(m.run, b)
	}
	return newTreeIter(m.ordered(), b)
}

// entries is the number of entries (tombstones included).
func (m *memtable) entries() int {
	if m.run != nil {
		return m.run.len()
	}
	return m.ordered().Len()
}

// compacted returns a copy of frozen memtable m in sortedRun form, or nil
// when m is compact already or too large for a run.
func (m *memtable) compacted() *memtable {
	if m.run != nil || m.tree == nil {
		return nil
	}
	r := newSortedRun(m.ordered())
	if r == nil {
		return nil
	}
	return &memtable{run: r, bytes: m.bytes, seg: m.seg, frozenAt: m.frozenAt}
}

// lookupAt finds k's entry as of batch seq: the index's newest item when
// that is old enough, else the tree snapshot's (a reader's view of the
// active memtable, which the committer keeps writing). Without a snapshot
// (snap nil: DB.ViewPoint) an item newer than seq cannot be answered and
// stale reports it. probe is scratch.
func (m *memtable) lookupAt(k []byte, h, seq uint64, snap *memTree, probe *memItem) (it *memItem, ok, stale bool) {
	it = m.idx.get(k, h)
	if it == nil || it.seq <= seq {
		return it, it != nil, false
	}
	if snap == nil {
		return nil, false, true
	}
	probe.key = k
	r, ok := snap.Get(refOf(probe))
	return r.it, ok, false
}

// reindex rebuilds idx from the tree (after an in-memory rollback).
func (m *memtable) reindex() {
	var x memIndex
	m.tree.Scan(func(r memRef) bool {
		x.set(r.it, memHash(r.it.key))
		return true
	})
	m.idx.n = x.n // an empty tree leaves no table: every get misses
	m.idx.tab.Store(x.tab.Load())
}

// memKey builds the tree key for (bucket, k) into buf.
func memKey(buf []byte, b bucketID, k []byte) []byte {
	buf = append(buf[:0], byte(b))
	return append(buf, k...)
}

// set inserts or replaces an entry, keeping the size estimate. The item
// gets the memtable's current batch stamp.
func (m *memtable) set(it *memItem) {
	it.seq = m.stamp
	old := m.idx.set(it, memHash(it.key))
	if old != nil {
		m.bytes -= old.size()
	}
	m.undo = append(m.undo, undoStep{it, old})
	m.bytes += it.size()
	r := refOf(it)
	p := &m.pend[it.key[0]]
	if n := len(p.refs); n > 0 {
		if down := lessRef(r, p.refs[n-1]); n == 1 {
			p.down = down
		} else if down != p.down {
			p.turns++
			p.down = down
		}
	}
	p.refs = append(p.refs, r)
	p.sets++
}

// settle moves every bucket's pending items into the tree (settleList).
// Callers hold whatever guards the memtable's writes (see pend).
func (m *memtable) settle() {
	for b := range m.pend {
		m.settleList(&m.pend[b])
	}
}

// settleList moves one bucket's pending items into the tree. Items that
// mostly came in key order (either way: list pushes, sequential keys),
// and a few items, are inserted in the order they were set, each search starting from where
// the previous one ended (tidwall/btree's path hint); a later item under
// a key replaces an earlier one. Otherwise (random keys: HSET, SET over a
// keyspace) pend is sorted first, and of several items under one key only
// the newest is kept (the one idx holds); into an empty tree, or past its
// last key, sorted items append without a search (Load). Sorting 100 k
// random items and loading them costs a third of inserting them one by
// one, whose every search misses the cache.
func (m *memtable) settleList(l *pendList) {
	if len(l.refs) == 0 {
		return
	}
	p := l.refs
	defer func() {
		clear(p) // drop the item pointers for the collector
		l.refs, l.turns = p[:0], 0
	}()
	if l.turns == 0 && m.pastMax(p, l.down) {
		m.loadMonotone(p, l.down)
		return
	}
	if len(p) < settleSortMin || l.turns*8 < len(p) {
		var hint btree.PathHint
		for _, r := range p {
			m.tree.SetHint(r, &hint)
		}
		return
	}
	slices.SortFunc(p, cmpRef)
	for i := 0; i < len(p); i++ {
		r := p[i]
		if i+1 < len(p) && cmpRef(r, p[i+1]) == 0 {
			// A run of items under one key: keep the index's.
			j := i
			for j+1 < len(p) && cmpRef(r, p[j+1]) == 0 {
				j++
			}
			newest := m.idx.get(r.it.key, memHash(r.it.key))
			for _, q := range p[i : j+1] {
				if q.it == newest {
					r = q
				}
			}
			i = j
		}
		m.tree.Load(r)
	}
}

// pastMax reports whether every item of monotone list p (strictly
// decreasing if down) sorts after the tree's last item, so that
// loadMonotone appends them all without a search: always the case for a
// frozen memtable settled once, and for list pushes settled per snapshot
// when the list only grows that way.
func (m *memtable) pastMax(p []memRef, down bool) bool {
	last, ok := m.tree.Max()
	if !ok {
		return true
	}
	lowest := p[0]
	if down {
		lowest = p[len(p)-1]
	}
	return lessRef(last, lowest)
}

// loadMonotone appends monotone list p to the tree in ascending order
// (Load: a walk down the right edge, no comparisons on the way). A
// decreasing list (LPUSH) is strictly decreasing, so read backwards it
// holds each key once; in a non-decreasing one a later item under a key
// replaces the earlier (Load falls back to an insert for a key not past
// the last). Inserting LPUSH's elements one by one put each at the far
// left of the tree, a node shift per item: 7 % of an LPUSH load's CPU.
func (m *memtable) loadMonotone(p []memRef, down bool) {
	if down {
		for i := len(p) - 1; i >= 0; i-- {
			m.tree.Load(p[i])
		}
		return
	}
	for _, r := range p {
		m.tree.Load(r)
	}
}

// settleSortMin is the fewest pending items settle sorts: a batch's few
// writes (settled for a reader's snapshot) go in one by one.
const settleSortMin = 256

// ordered returns a frozen memtable's tree with every item in it (the
// first call settles it; any goroutine may call it).
func (m *memtable) ordered() *memTree {
	m.settled.Do(func() {
		m.settle()
		m.pend = [numBuckets]pendList{}
	})
	return m.tree
}

// size is the number of distinct keys set into the memtable (tombstones
// included); zero means empty.
func (m *memtable) size() int { return m.idx.n }

// rollback takes the running batch's sets back out of the tree, newest
// first, restores the size estimate to bytes, and rebuilds the index.
func (m *memtable) rollback(bytes int64) {
	m.settle()
	for i := len(m.undo) - 1; i >= 0; i-- {
		if u := m.undo[i]; u.old != nil {
			m.tree.Set(refOf(u.old))
		} else {
			m.tree.Delete(refOf(u.it))
		}
	}
	m.undo = m.undo[:0]
	m.bytes = bytes
	m.reindex()
}

// --- iteration across layers -----------------------------------------

// layerIter walks one layer restricted to one bucket. Keys are bucket keys
// (without the bucket byte).
type layerIter interface {
	seekGE(k []byte) bool
	seekLE(k []byte) bool
	first() bool
	last() bool
	next() bool
	prev() bool
	key() []byte
	val() []byte
	deleted() bool
}

// treeIter is a layerIter over a memtable tree.
type treeIter struct {
	it    btree.IterG[memRef]
	b     byte
	cur   *memItem
	probe memItem
	buf   []byte
}

func newTreeIter(t *memTree, b bucketID) *treeIter {
	return &treeIter{it: t.Iter(), b: byte(b)}
}

func (t *treeIter) ok(valid bool) bool {
	if !valid {
		t.cur = nil
		return false
	}
	item := t.it.Item().it
	if len(item.key) == 0 || item.key[0] != t.b {
		t.cur = nil
		return false
	}
	t.cur = item
	return true
}

func (t *treeIter) seekGE(k []byte) bool {
	t.buf = memKey(t.buf, bucketID(t.b), k)
	t.probe.key = t.buf
	return t.ok(t.it.Seek(refOf(&t.probe)))
}

func (t *treeIter) seekLE(k []byte) bool {
	if t.seekGE(k) && bytes.Equal(t.key(), k) {
		return true
	}
	if t.cur == nil {
		// Past the bucket's end (or the tree's): the last key ≤ k is the
		// bucket's last key.
		return t.last()
	}
	return t.ok(t.it.Prev())
}

func (t *treeIter) first() bool { return t.seekGE(nil) }

func (t *treeIter) last() bool {
	t.buf = append(t.buf[:0], t.b+1)
	t.probe.key = t.buf
	if t.it.Seek(refOf(&t.probe)) {
		return t.ok(t.it.Prev())
	}
	return t.ok(t.it.Last())
}

func (t *treeIter) next() bool    { return t.ok(t.it.Next()) }
func (t *treeIter) prev() bool    { return t.ok(t.it.Prev()) }
func (t *treeIter) key() []byte   { return t.cur.key[1:] }
func (t *treeIter) val() []byte   { return t.cur.val }
func (t *treeIter) deleted() bool { return t.cur.del }
func (t *treeIter) release()      { t.it.Release() }

// boltIter is a layerIter over a bbolt bucket.
type boltIter struct {
	c    *bolt.Cursor
	k, v []byte
}

func (b *boltIter) set(k, v []byte) bool { b.k, b.v = k, v; return k != nil }
func (b *boltIter) seekGE(k []byte) bool { return b.set(b.c.Seek(k)) }
func (b *boltIter) seekLE(k []byte) bool {
	kk, vv := b.c.Seek(k)
	if kk != nil && bytes.Equal(kk, k) {
		return b.set(kk, vv)
	}
	if kk == nil {
		return b.set(b.c.Last())
	}
	return b.set(b.c.Prev())
}
func (b *boltIter) first() bool   { return b.set(b.c.First()) }
func (b *boltIter) last() bool    { return b.set(b.c.Last()) }
func (b *boltIter) next() bool    { return b.set(b.c.Next()) }
func (b *boltIter) prev() bool    { return b.set(b.c.Prev()) }
func (b *boltIter) key() []byte   { return b.k }
func (b *boltIter) val() []byte   { return b.v }
func (b *boltIter) deleted() bool { return false }

// mergedCursor presents several layers (newest first) as one cursor:
// for equal keys the newest layer wins, and tombstones hide the key.
type mergedCursor struct {
	its   []layerIter
	valid []bool
	fwd   bool
	cur   int // index of the layer holding the current entry, -1 = none
}

func newMergedCursor(its []layerIter) *mergedCursor {
	return &mergedCursor{its: its, valid: make([]bool, len(its)), cur: -1}
}

func (m *mergedCursor) First() ([]byte, []byte) {
	for i, it := range m.its {
		m.valid[i] = it.first()
	}
	m.fwd = true
	return m.settle()
}

func (m *mergedCursor) Last() ([]byte, []byte) {
	for i, it := range m.its {
		m.valid[i] = it.last()
	}
	m.fwd = false
	return m.settle()
}

func (m *mergedCursor) Seek(k []byte) ([]byte, []byte) {
	for i, it := range m.its {
		m.valid[i] = it.seekGE(k)
	}
	m.fwd = true
	return m.settle()
}

// seekLE positions at the last key ≤ k.
func (m *mergedCursor) seekLE(k []byte) ([]byte, []byte) {
	for i, it := range m.its {
		m.valid[i] = it.seekLE(k)
	}
	m.fwd = false
	return m.settle()
}

func (m *mergedCursor) Next() ([]byte, []byte) { return m.step(true) }

func (m *mergedCursor) Prev() ([]byte, []byte) { return m.step(false) }

// step moves one entry forward or backward. Turning around re-positions
// every layer at its first key past the current one in the new direction.
func (m *mergedCursor) step(fwd bool) ([]byte, []byte) {
	if m.cur < 0 {
		return nil, nil
	}
	k := m.its[m.cur].key()
	if m.fwd != fwd {
		for i, it := range m.its {
			if fwd {
				m.valid[i] = it.seekGE(k)
			} else {
				m.valid[i] = it.seekLE(k)
			}
			if m.valid[i] && bytes.Equal(it.key(), k) {
				m.valid[i] = move(it, fwd)
			}
		}
		m.fwd = fwd
		return m.settle()
	}
	m.advancePast(k)
	return m.settle()
}

// advancePast moves every layer sitting on k one step in the direction.
func (m *mergedCursor) advancePast(k []byte) {
	for i, it := range m.its {
		if m.valid[i] && bytes.Equal(it.key(), k) {
			m.valid[i] = move(it, m.fwd)
		}
	}
}

// move steps one layer forward or backward.
func move(it layerIter, fwd bool) bool {
	if fwd {
		return it.next()
	}
	return it.prev()
}

// settle picks the current entry: the smallest (forward) or largest
// (backward) key across layers, newest layer first, skipping tombstones.
func (m *mergedCursor) settle() ([]byte, []byte) {
	for {
		best := -1
		for i, it := range m.its {
			if !m.valid[i] {
				continue
			}
			if best < 0 {
				best = i
				continue
			}
			c := bytes.Compare(it.key(), m.its[best].key())
			if (m.fwd && c < 0) || (!m.fwd && c > 0) {
				best = i
			}
		}
		m.cur = best
		if best < 0 {
			return nil, nil
		}
		it := m.its[best]
		if !it.deleted() {
			return it.key(), it.val()
		}
		m.advancePast(it.key())
	}
}
