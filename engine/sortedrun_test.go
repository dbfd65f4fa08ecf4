package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestSortedRun_MatchesTree builds random memtables (four buckets, empty
// values, tombstones, keys shorter and longer than the 32-byte prefix) and
// checks that the compacted form answers exactly as the tree: point
// lookups (present, tombstone, absent) and every iterator move, in every
// bucket, from random seeks in both directions.
func TestSortedRun_MatchesTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for round := 0; round < 20; round++ {
		m := newMemtable()
		n := rng.IntN(400)
		keyOf := func() []byte {
			k := fmt.Sprintf("k%0*d", 1+rng.IntN(40), rng.IntN(500))
			return []byte(k)
		}
		for i := 0; i < n; i++ {
			b := bucketID(rng.IntN(4))
			it := &memItem{key: memKey(nil, b, keyOf())}
			switch rng.IntN(5) {
			case 0:
				it.del = true
			case 1:
				it.val = []byte{}
			default:
				it.val = []byte(fmt.Sprint("v", i))
			}
			m.set(it)
		}
		c := m.compacted()
		if c == nil || c.entries() != m.entries() {
			t.Fatalf("round %d: compacted %v, %d entries of %d", round, c, c.entries(), m.entries())
		}
		for i := 0; i < 300; i++ {
			k := memKey(nil, bucketID(rng.IntN(4)), keyOf())
			h := memHash(k)
			wv, wok := m.get(k, h)
			gv, gok := c.get(k, h)
			if wok != gok || !bytes.Equal(wv, gv) || (wv == nil) != (gv == nil) {
				t.Fatalf("round %d: get %q: run (%q, %v), tree (%q, %v)", round, k, gv, gok, wv, wok)
			}
		}
		for b := bucketID(0); b < 4; b++ {
			want, got := m.iter(b), c.iter(b)
			same := func(op string, w, g bool) {
				t.Helper()
				if w != g {
					t.Fatalf("round %d bucket %d %s: run valid %v, tree %v", round, b, op, g, w)
				}
				if w && (!bytes.Equal(want.key(), got.key()) || !bytes.Equal(want.val(), got.val()) || want.deleted() != got.deleted()) {
					t.Fatalf("round %d bucket %d %s: run at %q=%q (del %v), tree at %q=%q (del %v)",
						round, b, op, got.key(), got.val(), got.deleted(), want.key(), want.val(), want.deleted())
				}
			}
			same("first", want.first(), got.first())
			same("last", want.last(), got.last())
			for i := 0; i < 60; i++ {
				k := keyOf()
				var w, g bool
				op := ""
				if rng.IntN(2) == 0 {
					op, w, g = "seekGE "+string(k), want.seekGE(k), got.seekGE(k)
				} else {
					op, w, g = "seekLE "+string(k), want.seekLE(k), got.seekLE(k)
				}
				same(op, w, g)
				fwd := rng.IntN(2) == 0
				for step := 0; w && step < 5; step++ {
					if fwd {
						w, g = want.next(), got.next()
					} else {
						w, g = want.prev(), got.prev()
					}
					same(fmt.Sprint(op, " step ", step, " fwd ", fwd), w, g)
				}
			}
		}
	}
}

// TestSortedRun_FilterRejectsMostAbsentKeys: the run's filter admits every
// key it holds and turns most absent keys away before the hash slots.
func TestSortedRun_FilterRejectsMostAbsentKeys(t *testing.T) {
	m := newMemtable()
	const n = 20000
	for i := 0; i < n; i++ {
		m.set(&memItem{key: memKey(nil, bData, []byte(fmt.Sprintf("field:%08d", i))), val: []byte("v")})
	}
	c := m.compacted()
	for i := 0; i < n; i++ {
		if k := memKey(nil, bData, []byte(fmt.Sprintf("field:%08d", i))); !c.run.mayHold(memHash(k)) {
			t.Fatalf("the filter turns away key %q the run holds", k)
		}
	}
	admitted := 0
	for i := n; i < 2*n; i++ {
		if c.run.mayHold(memHash(memKey(nil, bData, []byte(fmt.Sprintf("field:%08d", i))))) {
			admitted++
		}
	}
	if admitted > n/10 {
		t.Fatalf("the filter admits %d of %d absent keys, want at most 10 %%", admitted, n)
	}
	t.Logf("false positives: %.1f %%", 100*float64(admitted)/n)
}
