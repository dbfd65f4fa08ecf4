package engine

import (
	"bytes"
	"math/bits"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
)

// memIndex is a memtable's hash index: tree key → newest item, for O(1)
// point lookups by the committer and by readers at the same time. The
// committer is its only writer; readers never lock.
//
// Readers see a published snapshot of the active memtable (a batch
// boundary), while the committer keeps writing the next batch into the
// same index. Every item carries the number of the batch that wrote it
// (memItem.seq) and every snapshot the number of the last batch it holds,
// so a reader that finds an item newer than its snapshot knows the index
// has moved past it and asks the snapshot's tree instead (rare: the key
// was written after the reader began). The index holds each key's newest
// item, so an item at or below the snapshot's number is the snapshot's
// value, and a key absent from the index is absent from every snapshot of
// the memtable (memtables only grow; deletions are tombstone items).
//
// Open addressing with linear probing over one array of slots, each a
// hash and an item side by side (one cache line serves a probe; two
// parallel arrays cost two misses per random lookup). A slot's hash is
// stored after its item, so a reader that sees the hash finds the item.
// A replaced key swaps its slot's item in place. The table doubles at
// half load; a reader still probing the old table may miss
// items written after the switch, all of them newer than its snapshot
// (they belong to the batch running at the switch or later), which is
// exactly what it must not see.
type memIndex struct {
	tab atomic.Pointer[memSlots]
	n   int // occupied slots (committer only)
}

type memSlots struct {
	mask  uint64
	slots []memSlot
}

type memSlot struct {
	hash atomic.Uint64 // 0: empty slot
	item atomic.Pointer[memItem]
}

const memIndexMinSlots = 1024

func newMemSlots(n int) *memSlots {
	return &memSlots{mask: uint64(n - 1), slots: make([]memSlot, n)}
}

// pow2AtLeast is the smallest power of two ≥ n (1 for n ≤ 1): the sizes
// of the hash tables and filters, whose masks need one.
func pow2AtLeast(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

// memHash hashes a tree key; 0 is reserved for empty slots.
func memHash(k []byte) uint64 {
	if h := xxhash.Sum64(k); h != 0 {
		return h
	}
	return 1
}

// get returns the newest item under k, or nil when k was never set.
func (x *memIndex) get(k []byte, h uint64) *memItem {
	s := x.tab.Load()
	if s == nil {
		return nil
	}
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		sl := &s.slots[i]
		switch hv := sl.hash.Load(); {
		case hv == 0:
			return nil
		case hv == h:
			if it := sl.item.Load(); bytes.Equal(it.key, k) {
				return it
			}
		}
	}
}

// set makes it the newest item under its key and returns the item it
// replaced, or nil (committer only).
func (x *memIndex) set(it *memItem, h uint64) *memItem {
	s := x.tab.Load()
	if s == nil || uint64(x.n+1)*2 > s.mask+1 {
		s = x.grow(s)
	}
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		sl := &s.slots[i]
		switch hv := sl.hash.Load(); {
		case hv == 0:
			sl.item.Store(it)
			sl.hash.Store(h)
			x.n++
			return nil
		case hv == h:
			if old := sl.item.Load(); bytes.Equal(old.key, it.key) {
				sl.item.Store(it)
				return old
			}
		}
	}
}

// reserve starts the index with room for n keys at half load, so a
// memtable expected to fill like its predecessor does not rehash on its
// way there (each doubling moves every slot and leaves the old arrays to
// the collector). Call it before the first set.
func (x *memIndex) reserve(n int) {
	x.tab.Store(newMemSlots(min(max(pow2AtLeast(2*n), memIndexMinSlots), memIndexMaxReserve)))
}

// memIndexMaxReserve caps what reserve allocates up front (16 MiB of
// slots); past it the table grows on demand as before.
const memIndexMaxReserve = 1 << 20

// grow moves every slot into a table twice the size (or a first table) and
// publishes it.
func (x *memIndex) grow(s *memSlots) *memSlots {
	if s == nil {
		s = newMemSlots(memIndexMinSlots)
		x.tab.Store(s)
		return s
	}
	next := newMemSlots(2 * int(s.mask+1))
	for i := range s.slots {
		h := s.slots[i].hash.Load()
		if h == 0 {
			continue
		}
		j := h & next.mask
		for next.slots[j].hash.Load() != 0 {
			j = (j + 1) & next.mask
		}
		next.slots[j].item.Store(s.slots[i].item.Load())
		next.slots[j].hash.Store(h)
	}
	x.tab.Store(next)
	return next
}
