package engine

import (
	"fmt"
	"testing"
)

func TestMemFilter_NoFalseNegatives_FewFalsePositives(t *testing.T) {
	f := new(memFilter)
	const n = 60_000
	for i := 0; i < n; i++ {
		f.add([]byte(fmt.Sprintf("\x01key:%012d", i)))
	}
	for i := 0; i < n; i++ {
		if !f.mayHave([]byte(fmt.Sprintf("\x01key:%012d", i))) {
			t.Fatalf("key %d added but reported absent", i)
		}
	}
	fp := 0
	for i := n; i < 2*n; i++ {
		if f.mayHave([]byte(fmt.Sprintf("\x01key:%012d", i))) {
			fp++
		}
	}
	if rate := float64(fp) / n; rate > 0.02 {
		t.Fatalf("false-positive rate %.3f at %d keys, want ≤ 2 %%", rate, n)
	}
	if !(*memFilter)(nil).mayHave([]byte("x")) {
		t.Fatal("a nil filter must report every key as possibly present")
	}
}

// A read transaction must still find what the active memtable holds.
func TestMemFilter_ReadersSeeActiveMemtable(t *testing.T) {
	db := openTest(t, t.TempDir(), FsyncNo)
	for i := 0; i < 2000; i++ {
		k := []byte(fmt.Sprintf("k%d", i))
		if err := db.Update(func(tx *Tx) error {
			tx.Put(0, k, &Meta{Type: TypeString, Value: k})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		db.View(func(tx *Tx) error {
			if m, ok, _ := tx.Lookup(0, k); !ok || string(m.Value) != string(k) {
				t.Fatalf("key %s not visible right after its write", k)
			}
			return nil
		})
	}
}
