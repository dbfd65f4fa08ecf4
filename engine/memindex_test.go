package engine

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"
)

func TestMemIndex_SetGet_AcrossGrowth(t *testing.T) {
	var x memIndex
	const n = 50_000 // grows the table from 1 Ki slots several times
	items := make([]*memItem, n)
	for i := range items {
		items[i] = &memItem{key: []byte(fmt.Sprintf("\x01key:%08d", i))}
		if old := x.set(items[i], memHash(items[i].key)); old != nil {
			t.Fatalf("new key %d replaced %q", i, old.key)
		}
	}
	for i, it := range items {
		if got := x.get(it.key, memHash(it.key)); got != it {
			t.Fatalf("key %d: got %v, want the item set", i, got)
		}
	}
	if got := x.get([]byte("\x01absent"), memHash([]byte("\x01absent"))); got != nil {
		t.Fatalf("absent key found: %q", got.key)
	}
	repl := &memItem{key: []byte("\x01key:00000007"), val: []byte("new")}
	if old := x.set(repl, memHash(repl.key)); old != items[7] {
		t.Fatalf("replacing key 7 returned %v, want the first item", old)
	}
	if got := x.get(repl.key, memHash(repl.key)); got != repl {
		t.Fatal("replaced key does not return the newest item")
	}
	if x.n != n {
		t.Fatalf("%d occupied slots, want %d", x.n, n)
	}
}

// TestMemIndex_Reserve_NoGrowthUpToHint: a table reserved for n keys
// takes n sets without being replaced, and answers for all of them.
func TestMemIndex_Reserve_NoGrowthUpToHint(t *testing.T) {
	var x memIndex
	const n = 10_000
	x.reserve(n)
	tab := x.tab.Load()
	if tab.mask+1 < 2*n {
		t.Fatalf("reserved %d slots for %d keys, want at least %d", tab.mask+1, n, 2*n)
	}
	for i := 0; i < n; i++ {
		it := &memItem{key: []byte(fmt.Sprintf("\x01key:%08d", i))}
		x.set(it, memHash(it.key))
	}
	if x.tab.Load() != tab {
		t.Fatal("the reserved table grew before holding its hint")
	}
	for i := 0; i < n; i++ {
		k := []byte(fmt.Sprintf("\x01key:%08d", i))
		if it := x.get(k, memHash(k)); it == nil || !bytes.Equal(it.key, k) {
			t.Fatalf("key %d missing after reserve", i)
		}
	}
}

// TestOverlay_Snapshot_IgnoresLaterWritesInIndex holds a read transaction
// open while the committer writes into the same active memtable: the hash
// index then holds items newer than the reader's snapshot, which it must
// not see (new key absent, replaced and deleted keys still old).
func TestOverlay_Snapshot_IgnoresLaterWritesInIndex(t *testing.T) {
	db := openSmall(t, t.TempDir(), FsyncNo, 64<<20)
	defer db.Close()
	put := func(k, v string) {
		db.Update(func(tx *Tx) error {
			tx.Put(0, []byte(k), &Meta{Type: TypeString, Value: []byte(v)})
			return nil
		})
	}
	put("a", "old")
	put("d", "old")
	started, wrote := make(chan struct{}), make(chan struct{})
	go func() {
		<-started
		put("a", "new")
		put("x", "new")
		db.Update(func(tx *Tx) error { tx.Delete(0, []byte("d")); return nil })
		close(wrote)
	}()
	err := db.View(func(tx *Tx) error {
		close(started)
		<-wrote
		for k, want := range map[string]string{"a": "old", "d": "old", "x": ""} {
			m, ok, _ := tx.Lookup(0, []byte(k))
			if string(m.Value) != want || ok != (want != "") {
				return fmt.Errorf("%s: got %q (present %v) in a snapshot taken before the writes, want %q", k, m.Value, ok, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := getStr(t, db, 0, "a"); v != "new" {
		t.Fatalf("a new transaction reads %q, want new", v)
	}
}

// TestMemtable_LessItem_MatchesBytesCompare checks the prefix comparison
// against bytes.Compare on keys built to hit its corners: shorter and
// longer than the 32-byte prefix, zero bytes (a short key's padding), keys
// that are prefixes of others, and keys equal in their first 32 bytes.
func TestMemtable_LessItem_MatchesBytesCompare(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	alphabet := []byte{0, 1, 'a', 0xff}
	var keys [][]byte
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 64} {
		for j := 0; j < 30; j++ {
			k := make([]byte, n)
			for x := range k {
				k[x] = alphabet[rng.Intn(len(alphabet))]
			}
			keys = append(keys, k)
		}
	}
	base := bytes.Repeat([]byte{'k'}, 32)
	keys = append(keys, base, append(base[:32:32], 0), append(base[:32:32], 1), base[:31], append(base[:31:31], 0))
	items := make([]memRef, len(keys))
	for i, k := range keys {
		items[i] = refOf(&memItem{key: k})
	}
	for i, a := range items {
		for j, b := range items {
			if got, want := lessRef(a, b), bytes.Compare(keys[i], keys[j]) < 0; got != want {
				t.Fatalf("lessRef(%q, %q) = %v, bytes.Compare says %v", keys[i], keys[j], got, want)
			}
		}
	}
}

func TestPow2AtLeast_Sizes(t *testing.T) {
	for n, want := range map[int]int{-3: 1, 0: 1, 1: 1, 2: 2, 3: 4, 1024: 1024, 1025: 2048, 1<<20 + 1: 1 << 21} {
		if got := pow2AtLeast(n); got != want {
			t.Errorf("pow2AtLeast(%d) = %d, want %d", n, got, want)
		}
	}
}
