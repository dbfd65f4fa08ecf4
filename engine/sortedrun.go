package engine

import (
	"bytes"
	"math"
	"sort"
)

// A frozen memtable never changes again, so the flusher rewrites it into a
// sortedRun before it waits for others or starts a pass (flush.go):
// every key and value in one byte slice, the entries in key order in one
// array, a hash index of 64-bit slots. None of it holds pointers, so the
// collector marks three objects where the tree held four per entry (tree
// slot, item, key and value bytes, index slot) and scanned them all at
// every cycle; and it is about a third of the tree's size (an entry costs
// its bytes plus 12 + 16 + 1 for the filter, instead of ~180). Under a
// sustained write load up to five frozen memtables wait for the flusher
// beside the active one, which made them most of the live heap the
// collector worked through.

// sortedRun is the compact, read-only form of a frozen memtable.
type sortedRun struct {
	blob  []byte     // each entry's tree key, then its value
	ents  []runEntry // in tree key order
	slots []uint64   // hash index: high 32 bits of memHash << 32 | entry number + 1; 0 empty
	mask  uint64
	// filter is a blocked Bloom filter of the keys' hashes: three bits in
	// one 64-bit word per key, about a byte per entry. A lookup of a key
	// the run lacks (most of them, under random writes over a store larger
	// than the overlay) reads one word of a filter small enough to stay in
	// cache beside the other runs' instead of a hash slot in megabytes of
	// slots, a cache miss per frozen memtable per lookup.
	filter []uint64
	fmask  uint64
}

// filterBits are the three bits key hash h sets in its filter word, and
// filterWord picks the word (other bits of the hash than the slots use).
func filterBits(h uint64) uint64       { return 1<<(h&63) | 1<<(h>>6&63) | 1<<(h>>12&63) }
func filterWord(h, mask uint64) uint64 { return h >> 40 & mask }

// mayHold reports whether the run can hold a key of hash h (false: it
// surely does not).
func (r *sortedRun) mayHold(h uint64) bool {
	b := filterBits(h)
	return r.filter[filterWord(h, r.fmask)]&b == b
}

type runEntry struct {
	off  uint32 // tree key at blob[off:off+klen], value right after it
	klen uint32
	vlen uint32 // top bit: tombstone
}

const runDeleted = 1 << 31

// maxRunBytes bounds the bytes a sortedRun can address (uint32 offsets);
// a larger memtable stays a tree.
const maxRunBytes = math.MaxUint32

// newSortedRun copies tree's items into a sortedRun, or returns nil when
// they do not fit in one (see maxRunBytes, runDeleted).
func newSortedRun(tree *memTree) *sortedRun {
	total, fits := 0, tree.Len() < math.MaxUint32/4
	tree.Scan(func(ref memRef) bool {
		it := ref.it
		total += len(it.key) + len(it.val)
		fits = fits && total <= maxRunBytes && len(it.val) < runDeleted
		return fits
	})
	if !fits {
		return nil
	}
	n := tree.Len()
	size, words := pow2AtLeast(2*n), pow2AtLeast(n/8)
	r := &sortedRun{blob: make([]byte, 0, total), ents: make([]runEntry, 0, n), slots: make([]uint64, size), mask: uint64(size - 1),
		filter: make([]uint64, words), fmask: uint64(words - 1)}
	tree.Scan(func(ref memRef) bool {
		it := ref.it
		e := runEntry{off: uint32(len(r.blob)), klen: uint32(len(it.key)), vlen: uint32(len(it.val))}
		if it.del {
			e.vlen = runDeleted
		}
		r.blob = append(append(r.blob, it.key...), it.val...)
		r.ents = append(r.ents, e)
		h := memHash(it.key)
		r.filter[filterWord(h, r.fmask)] |= filterBits(h)
		i := h & r.mask
		for r.slots[i] != 0 {
			i = (i + 1) & r.mask
		}
		r.slots[i] = h>>32<<32 | uint64(len(r.ents))
		return true
	})
	return r
}

func (r *sortedRun) len() int { return len(r.ents) }

// key is entry i's tree key (bucket byte first).
func (r *sortedRun) key(i int) []byte {
	e := &r.ents[i]
	return r.blob[e.off : e.off+e.klen : e.off+e.klen]
}

// val is entry i's value (non-nil, possibly empty); nil for a tombstone.
func (r *sortedRun) val(i int) []byte {
	e := &r.ents[i]
	if e.vlen&runDeleted != 0 {
		return nil
	}
	start := e.off + e.klen
	return r.blob[start : start+e.vlen : start+e.vlen]
}

func (r *sortedRun) deleted(i int) bool { return r.ents[i].vlen&runDeleted != 0 }

// get finds tree key k (whose memHash is h): its value (nil for a
// tombstone) and whether the run holds k at all.
func (r *sortedRun) get(k []byte, h uint64) ([]byte, bool) {
	if !r.mayHold(h) {
		return nil, false
	}
	for i := h & r.mask; ; i = (i + 1) & r.mask {
		s := r.slots[i]
		if s == 0 {
			return nil, false
		}
		if s>>32 == h>>32 {
			if n := int(uint32(s)) - 1; bytes.Equal(r.key(n), k) {
				return r.val(n), true
			}
		}
	}
}

// search is the first entry whose tree key is ≥ k.
func (r *sortedRun) search(k []byte) int {
	return sort.Search(len(r.ents), func(i int) bool { return bytes.Compare(r.key(i), k) >= 0 })
}

// runIter is a layerIter over one bucket of a sortedRun; i is the current
// entry, outside [lo, hi) when not positioned.
type runIter struct {
	r      *sortedRun
	b      byte
	lo, hi int // the bucket's entries
	i      int
	buf    []byte
}

func newRunIter(r *sortedRun, b bucketID) *runIter {
	lo := r.search([]byte{byte(b)})
	hi := r.search([]byte{byte(b) + 1})
	return &runIter{r: r, b: byte(b), lo: lo, hi: hi, i: hi}
}

func (t *runIter) at(i int) bool {
	t.i = i
	return i >= t.lo && i < t.hi
}

func (t *runIter) seekGE(k []byte) bool {
	t.buf = memKey(t.buf, bucketID(t.b), k)
	return t.at(t.r.search(t.buf))
}

func (t *runIter) seekLE(k []byte) bool {
	if t.seekGE(k) && bytes.Equal(t.key(), k) {
		return true
	}
	return t.at(t.i - 1)
}

func (t *runIter) first() bool   { return t.at(t.lo) }
func (t *runIter) last() bool    { return t.at(t.hi - 1) }
func (t *runIter) next() bool    { return t.at(t.i + 1) }
func (t *runIter) prev() bool    { return t.at(t.i - 1) }
func (t *runIter) key() []byte   { return t.r.key(t.i)[1:] }
func (t *runIter) val() []byte   { return t.r.val(t.i) }
func (t *runIter) deleted() bool { return t.r.deleted(t.i) }
