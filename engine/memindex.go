package engine

import (
	"bytes"
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
// Open addressing with linear probing over two parallel arrays of atomics:
// a slot's hash is stored after its item, so a reader that sees the hash
// finds the item. A replaced key swaps its slot's item in place. The table
// doubles at half load; a reader still probing the old table may miss
// items written after the switch, all of them newer than its snapshot
// (they belong to the batch running at the switch or later), which is
// exactly what it must not see.
type memIndex struct {
	tab atomic.Pointer[memSlots]
	n   int // occupied slots (committer only)
}

type memSlots struct {
	mask   uint64
	hashes []atomic.Uint64 // 0: empty slot
	items  []atomic.Pointer[memItem]
}

const memIndexMinSlots = 1024

func newMemSlots(n int) *memSlots {
	return &memSlots{mask: uint64(n - 1), hashes: make([]atomic.Uint64, n), items: make([]atomic.Pointer[memItem], n)}
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
		switch hv := s.hashes[i].Load(); {
		case hv == 0:
			return nil
		case hv == h:
			if it := s.items[i].Load(); bytes.Equal(it.key, k) {
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
		switch hv := s.hashes[i].Load(); {
		case hv == 0:
			s.items[i].Store(it)
			s.hashes[i].Store(h)
			x.n++
			return nil
		case hv == h:
			if old := s.items[i].Load(); bytes.Equal(old.key, it.key) {
				s.items[i].Store(it)
				return old
			}
		}
	}
}

// grow moves every slot into a table twice the size (or a first table) and
// publishes it.
func (x *memIndex) grow(s *memSlots) *memSlots {
	if s == nil {
		s = newMemSlots(memIndexMinSlots)
		x.tab.Store(s)
		return s
	}
	next := newMemSlots(2 * int(s.mask+1))
	for i := range s.hashes {
		h := s.hashes[i].Load()
		if h == 0 {
			continue
		}
		j := h & next.mask
		for next.hashes[j].Load() != 0 {
			j = (j + 1) & next.mask
		}
		next.items[j].Store(s.items[i].Load())
		next.hashes[j].Store(h)
	}
	x.tab.Store(next)
	return next
}
