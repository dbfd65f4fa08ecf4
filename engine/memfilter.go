package engine

import (
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
)

// memFilter is a Bloom filter over the keys of one memtable, so a read
// transaction can skip the search of the active memtable's snapshot (a
// B-tree of up to overlay-size bytes of recent writes) for the many keys
// that are not in it. Only the committer adds keys; readers test them
// concurrently. Bits are only ever set, and a snapshot is published after
// its keys' bits, so a key in a reader's snapshot always tests positive;
// a false positive only costs the search it would have done anyway.
//
// Sized for the default 32 MiB overlay of small records (~120 k entries),
// two probes from one 64-bit hash give about 1.5 % false positives there;
// larger overlays degrade gracefully towards "always search".
type memFilter struct {
	words [memFilterWords]atomic.Uint64
}

const (
	memFilterBits  = 1 << 21 // 256 KiB
	memFilterWords = memFilterBits / 64
)

func memFilterProbes(k []byte) (uint64, uint64) {
	h := xxhash.Sum64(k)
	return h % memFilterBits, (h >> 32) % memFilterBits
}

// add records k (committer goroutine only).
func (f *memFilter) add(k []byte) {
	a, b := memFilterProbes(k)
	for _, i := range [2]uint64{a, b} {
		w := &f.words[i/64]
		if bit := uint64(1) << (i % 64); w.Load()&bit == 0 {
			w.Or(bit)
		}
	}
}

// mayHave reports whether k may be in the memtable (false: surely not).
// A nil filter may have anything.
func (f *memFilter) mayHave(k []byte) bool {
	if f == nil {
		return true
	}
	a, b := memFilterProbes(k)
	return f.words[a/64].Load()&(1<<(a%64)) != 0 && f.words[b/64].Load()&(1<<(b%64)) != 0
}
