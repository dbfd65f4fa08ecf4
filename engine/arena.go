package engine

import "unsafe"

// memArena hands out a memtable's items and their bytes from blocks, so a
// write costs no allocation of its own: the allocator's and the
// collector's work per item (an item, then its key and value) was ~4 % of
// a pipelined LPUSH or RPOP load's CPU. A memtable lives and dies whole,
// and so do its blocks. An item replaced in the memtable keeps its bytes
// until then (INCR on one key leaves ~100 bytes per command), so the
// committer also rotates a memtable whose arena has grown past twice the
// overlay (DB.commit). Committer only.
type memArena struct {
	items []memItem // the current block; len is what is handed out
	bytes []byte
	// used counts the bytes handed out (items and pieces), not the blocks
	// they come from: a tiny overlay (a test's 4 KiB) must not rotate at
	// every batch because one block outgrows it.
	used int64
}

const (
	arenaItems = 256      // items per block (16 KiB)
	arenaBytes = 32 << 10 // bytes per block
)

// item returns a zeroed item.
func (a *memArena) item() *memItem {
	if len(a.items) == cap(a.items) {
		a.items = make([]memItem, 0, arenaItems)
	}
	a.used += int64(unsafe.Sizeof(memItem{}))
	a.items = a.items[:len(a.items)+1]
	return &a.items[len(a.items)-1]
}

// alloc returns n bytes whose capacity ends at n (an append by the caller
// cannot run into the next allocation). Large requests get their own.
func (a *memArena) alloc(n int) []byte {
	a.used += int64(n)
	if n > arenaBytes/8 {
		return make([]byte, n)
	}
	if cap(a.bytes)-len(a.bytes) < n {
		a.bytes = make([]byte, 0, arenaBytes)
	}
	l := len(a.bytes)
	a.bytes = a.bytes[:l+n]
	return a.bytes[l : l+n : l+n]
}
