package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// Items set into a memtable reach its tree only when something walks it
// (settle). Whichever way settle goes — sorted (random keys), in arrival
// order (keys coming mostly in order, or few of them) — the tree must end
// holding each key once, with its newest item, in key order, and the
// pending list must be empty.
func TestSettle_TreeHoldsNewestItemPerKeyInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := map[string]func(i int) int{
		"random":     func(int) int { return rng.IntN(3000) },
		"ascending":  func(i int) int { return i / 2 },         // each key twice in a row
		"descending": func(i int) int { return 5000 - i%4000 }, // wraps: 1000 keys set twice
		// Monotone lists load without a search (loadMonotone): strictly
		// decreasing ones read backwards; one with repeats must not be.
		"strictly-descending":  func(i int) int { return 9000 - i },
		"descending-repeating": func(i int) int { return 9000 - i/2 },
	}
	for name, keyAt := range cases {
		for _, n := range []int{10, settleSortMin + 1, 5000} {
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				m := newMemtable()
				want := map[string]string{}
				for i := range n {
					k := fmt.Sprintf("k%06d", keyAt(i))
					v := fmt.Sprintf("v%d", i)
					m.set(&memItem{key: memKey(nil, bData, []byte(k)), val: []byte(v)})
					want[k] = v
					if i == n/2 {
						m.settle() // a walk halfway: later items replace settled ones
					}
				}
				p := &m.pend[bData]
				sorted := n >= settleSortMin && p.turns*8 >= len(p.refs)
				if name == "random" && n == 5000 && !sorted {
					t.Fatalf("random keys should take the sorting path (turns %d of %d)", p.turns, len(p.refs))
				}
				if name != "random" && name != "descending-repeating" && sorted {
					t.Fatalf("keys in order should be inserted as they came (turns %d of %d)", p.turns, len(p.refs))
				}
				m.settle()
				if len(p.refs) != 0 || m.tree.Len() != len(want) || m.size() != len(want) {
					t.Fatalf("pend %d, tree %d, index %d; want 0, %d, %d", len(p.refs), m.tree.Len(), m.size(), len(want), len(want))
				}
				keys := make([]string, 0, len(want))
				for k := range want {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				i := 0
				m.tree.Scan(func(r memRef) bool {
					if k := string(r.it.key[1:]); k != keys[i] || !bytes.Equal(r.it.val, []byte(want[k])) {
						t.Fatalf("tree item %d: %s=%s, want %s=%s", i, k, r.it.val, keys[i], want[keys[i]])
					}
					i++
					return true
				})
			})
		}
	}
}

// A committer's cursor over one bucket settles that bucket only: it sees
// the transaction's own pending writes in key order, while another
// bucket's pending items stay out of the tree (the expiry scan's cursor,
// ten times a second, must not sort a write load's elements).
func TestSettle_CursorSettlesItsBucketOnly(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	err := db.Update(func(tx *Tx) error {
		rng := rand.New(rand.NewPCG(3, 4))
		keys := map[string]bool{}
		for range 1000 {
			k := fmt.Sprintf("x%05d", rng.IntN(100000))
			keys[k] = true
			tx.put(bExpire, []byte(k), []byte("v"))
			tx.put(bData, []byte(fmt.Sprintf("e%05d", rng.IntN(100000))), []byte("w"))
		}
		var got []string
		c := tx.cursor(bExpire)
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			got = append(got, string(k))
		}
		if len(got) != len(keys) || !sort.StringsAreSorted(got) {
			t.Errorf("cursor saw %d keys (sorted: %v), want the %d written, in order", len(got), sort.StringsAreSorted(got), len(keys))
		}
		if n := len(tx.memt.pend[bData].refs); n != 1000 {
			t.Errorf("the other bucket has %d pending items after the cursor, want all 1000", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
