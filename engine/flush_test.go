package engine

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestFlushTrees_MergesNewestWins flushes three overlapping trees, each
// larger than a flush chunk, in one pass: for every key the newest tree's
// entry must land (a value, or a deletion of what bbolt held). It runs with
// the layers as trees, and with the oldest and newest compacted into
// sortedRuns (frozen memtables the flusher compacted).
func TestFlushTrees_MergesNewestWins(t *testing.T) {
	for _, runs := range []bool{false, true} {
		t.Run(fmt.Sprintf("runs=%v", runs), func(t *testing.T) { testFlushMergesNewestWins(t, runs) })
	}
}

func testFlushMergesNewestWins(t *testing.T, runs bool) {
	bdb, err := bolt.Open(filepath.Join(t.TempDir(), "f.db"), 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	const n = 2*flushChunk + 31
	key := func(i int) []byte { return []byte(fmt.Sprintf("k%06d", i)) }
	err = bdb.Update(func(btx *bolt.Tx) error {
		for _, name := range bucketNames {
			if _, err := btx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		b := btx.Bucket(bucketNames[bData])
		for i := 0; i < n; i++ {
			if err := b.Put(key(i), []byte("bolt")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Tree 0 (oldest) sets every key; tree 1 every second; tree 2 deletes
	// every third and sets keys past n.
	ts := []*memTree{newMemTree(), newMemTree(), newMemTree()}
	for i := 0; i < n; i++ {
		ts[0].Set(refOf(&memItem{key: memKey(nil, bData, key(i)), val: []byte("t0")}))
		if i%2 == 0 {
			ts[1].Set(refOf(&memItem{key: memKey(nil, bData, key(i)), val: []byte("t1")}))
		}
		if i%3 == 0 {
			ts[2].Set(refOf(&memItem{key: memKey(nil, bData, key(i)), del: true}))
		}
	}
	for i := n; i < n+10; i++ {
		ts[2].Set(refOf(&memItem{key: memKey(nil, bData, key(i)), val: []byte("t2")}))
	}
	srcs := []flushSource{newTreeSource(ts[0]), newTreeSource(ts[1]), newTreeSource(ts[2])}
	if runs {
		srcs[0], srcs[2] = &runSource{r: newSortedRun(ts[0])}, &runSource{r: newSortedRun(ts[2])}
	}
	if err := flushTrees(bdb, srcs, 0); err != nil {
		t.Fatal(err)
	}
	err = bdb.View(func(btx *bolt.Tx) error {
		b := btx.Bucket(bucketNames[bData])
		for i := 0; i < n+10; i++ {
			want := "t0"
			switch {
			case i >= n:
				want = "t2"
			case i%3 == 0:
				want = ""
			case i%2 == 0:
				want = "t1"
			}
			if got := string(b.Get(key(i))); got != want {
				return fmt.Errorf("key %d: %q in bbolt, want %q", i, got, want)
			}
		}
		if got := b.Stats().KeyN; got != n+10-(n+2)/3 {
			return fmt.Errorf("%d keys in bbolt, want %d", got, n+10-(n+2)/3)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFlushLoop_LoneFrozenMemtableFlushedAfterWait: one rotation and no
// more writes while merging is on; the frozen memtable waits for others
// at most flushWait, then reaches bbolt on its own.
func TestFlushLoop_LoneFrozenMemtableFlushedAfterWait(t *testing.T) {
	db := openSmall(t, t.TempDir(), FsyncNo, 1<<20)
	defer db.Close()
	db.flushMerge.Store(true) // as after a page-bound pass: the lone memtable waits
	val := make([]byte, 4096)
	for i := 0; len(db.view.Load().imm) == 0; i++ {
		if i > 1000 {
			t.Fatal("no rotation after 4 MiB of writes to a 1 MiB overlay")
		}
		db.Update(func(tx *Tx) error {
			tx.Put(0, []byte(fmt.Sprint("k", i)), &Meta{Type: TypeString, Value: val})
			return nil
		})
	}
	deadline := time.Now().Add(flushWait + 3*time.Second)
	for len(db.view.Load().imm) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a lone frozen memtable was not flushed %v after its rotation", flushWait+3*time.Second)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v, ok := getStr(t, db, 0, "k0"); !ok || len(v) != len(val) {
		t.Fatal("k0 lost after the flush")
	}
}

// TestFlushLoop_PageBoundPassWaitsForMergeFrozen: while passes are
// page-bound, frozen memtables wait until mergeFrozen of them are there
// and then leave in one pass (the flush counter moves by one).
func TestFlushLoop_PageBoundPassWaitsForMergeFrozen(t *testing.T) {
	db := openSmall(t, t.TempDir(), FsyncNo, 1<<20)
	defer db.Close()
	db.flushMerge.Store(true)
	val := make([]byte, 4096)
	i := 0
	rotateOnce := func() {
		t.Helper()
		frozen := len(db.view.Load().imm)
		for start := i; len(db.view.Load().imm) == frozen; i++ {
			if i-start > 1000 {
				t.Fatal("no rotation after 4 MiB of writes to a 1 MiB overlay")
			}
			db.Update(func(tx *Tx) error {
				tx.Put(0, []byte(fmt.Sprint("k", i)), &Meta{Type: TypeString, Value: val})
				return nil
			})
		}
	}
	start := time.Now()
	for n := 1; n < mergeFrozen; n++ {
		rotateOnce()
	}
	time.Sleep(100 * time.Millisecond)
	if time.Since(start) > flushWait/2 {
		t.Skip("the writes took too long to judge the wait on this machine")
	}
	if got := len(db.view.Load().imm); got != mergeFrozen-1 {
		t.Fatalf("%d frozen memtables before the %dth rotation, want %d waiting", got, mergeFrozen, mergeFrozen-1)
	}
	flushes := db.stats.Flushes.Load()
	rotateOnce()
	deadline := time.Now().Add(3 * time.Second)
	for len(db.view.Load().imm) != 0 || db.stats.Flushes.Load() == flushes {
		if time.Now().After(deadline) {
			t.Fatal("frozen memtables not flushed once mergeFrozen were waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := db.stats.Flushes.Load() - flushes; n != 1 {
		t.Fatalf("%d passes for %d frozen memtables, want 1", n, mergeFrozen)
	}
	if v, ok := getStr(t, db, 0, "k0"); !ok || len(v) != len(val) {
		t.Fatal("k0 lost after the flush")
	}
}

// TestFlushFrozen_MergesOnlyPageBoundPasses: passes of in-order keys (few
// pages per entry) leave lone memtables to flush at once; passes of random
// keys over a larger store (most pages rewritten) make the next one wait
// for others.
func TestFlushFrozen_MergesOnlyPageBoundPasses(t *testing.T) {
	db := openSmall(t, t.TempDir(), FsyncNo, 64<<20)
	defer db.Close()
	val := make([]byte, 100)
	write := func(keys []int) {
		t.Helper()
		m := newMemtable()
		for _, k := range keys {
			m.set(&memItem{key: memKey(nil, bData, []byte(fmt.Sprintf("key:%08d", k))), val: val})
		}
		if err := db.flushFrozen([]*memtable{m}); err != nil {
			t.Fatal(err)
		}
	}
	seq := make([]int, 0, 40000)
	for k := 0; k < 40000; k++ {
		seq = append(seq, k)
	}
	for i := 0; i < 4; i++ { // 40 k keys appended in 10 k runs
		write(seq[i*10000 : (i+1)*10000])
		if db.flushMerge.Load() {
			t.Fatalf("in-order pass %d judged page-bound", i)
		}
	}
	if fill := leafFill(t, db.bolt, bData); fill < 0.8 {
		t.Fatalf("in-order passes left leaf pages %.0f%% full, want >= 80%%", fill*100)
	}
	rnd := make([]int, 0, 4000)
	for k := 0; k < 40000; k += 10 { // every tenth key: spread over all pages
		rnd = append(rnd, k)
	}
	write(rnd)
	if !db.flushMerge.Load() {
		t.Fatal("a pass rewriting keys spread over the whole store not judged page-bound")
	}
}

// leafFill is the share of bucket b's leaf page bytes in use.
func leafFill(t *testing.T, bdb *bolt.DB, b bucketID) float64 {
	t.Helper()
	var st bolt.BucketStats
	bdb.View(func(btx *bolt.Tx) error {
		st = btx.Bucket(bucketNames[b]).Stats()
		return nil
	})
	if st.LeafAlloc == 0 {
		t.Fatal("no leaf pages")
	}
	return float64(st.LeafInuse) / float64(st.LeafAlloc)
}
