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
				sorted := n >= settleSortMin && m.turns*8 >= len(m.pend)
				if name == "random" && n == 5000 && !sorted {
					t.Fatalf("random keys should take the sorting path (turns %d of %d)", m.turns, len(m.pend))
				}
				if name != "random" && sorted {
					t.Fatalf("keys in order should be inserted as they came (turns %d of %d)", m.turns, len(m.pend))
				}
				m.settle()
				if len(m.pend) != 0 || m.tree.Len() != len(want) || m.size() != len(want) {
					t.Fatalf("pend %d, tree %d, index %d; want 0, %d, %d", len(m.pend), m.tree.Len(), m.size(), len(want), len(want))
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
