package engine

import (
	"fmt"
	"os"
	"testing"
)

// TestOverlay_SnapshotOnDemand_ReadersSeeWholeBatches clears the reader
// demand before every read, so the committer publishes its batches without
// a tree snapshot and each reader takes one itself (waiting for the running
// batch), while two writers keep rewriting pairs of keys in one batch each.
// A reader must never see half a batch, in point lookups (whose keys the
// writers rewrite after the reader began, the index-newer-than-snapshot
// path) or in a scan.
func TestOverlay_SnapshotOnDemand_ReadersSeeWholeBatches(t *testing.T) {
	db := openSmall(t, t.TempDir(), FsyncNo, 1<<20)
	defer db.Close()
	done := make(chan struct{})
	errs := make(chan error, 4)
	for w := 0; w < 2; w++ {
		go func() {
			for n := 0; ; n++ {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				i, v := n%20, []byte(fmt.Sprint(w, ":", n))
				db.Update(func(tx *Tx) error {
					tx.Put(0, []byte(fmt.Sprint("a", i)), &Meta{Type: TypeString, Value: v})
					tx.Put(0, []byte(fmt.Sprint("b", i)), &Meta{Type: TypeString, Value: v})
					return nil
				})
			}
		}()
	}
	lazy := 0
	for r := 0; r < 3000; r++ {
		db.readDemand.Store(0)
		if db.view.Load().mem == nil {
			lazy++
		}
		err := db.View(checkPairs)
		if err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for w := 0; w < 2; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if lazy == 0 {
		t.Fatal("no read found a batch published without a snapshot: the on-demand path was not exercised")
	}
	t.Logf("%d of 3000 reads took their own snapshot", lazy)
}

// TestOverlay_FailedLogWrite_TakesBatchBack makes the log write of one
// batch fail: its writes (a new key, a rewrite, a deletion) must vanish
// from the overlay for readers and later batches alike, the callers get the
// error, and the store carries on in a new log segment, across a reopen.
func TestOverlay_FailedLogWrite_TakesBatchBack(t *testing.T) {
	dir := t.TempDir()
	db := openSmall(t, dir, FsyncNo, 1<<20)
	put := func(k, v string) func(tx *Tx) error {
		return func(tx *Tx) error {
			tx.Put(0, []byte(k), &Meta{Type: TypeString, Value: []byte(v)})
			return nil
		}
	}
	for _, k := range []string{"keep", "old", "gone"} {
		if err := db.Update(put(k, k+"-1")); err != nil {
			t.Fatal(err)
		}
	}
	// Swap the segment for a read-only handle: the next append fails.
	db.wal.mu.Lock()
	good := db.wal.f
	ro, err := os.Open(good.Name())
	if err != nil {
		db.wal.mu.Unlock()
		t.Fatal(err)
	}
	db.wal.f = ro
	db.wal.mu.Unlock()
	defer good.Close()
	err = db.Update(func(tx *Tx) error {
		put("new", "new-2")(tx)
		put("old", "old-2")(tx)
		put("old", "old-3")(tx)
		tx.Delete(0, []byte("gone"))
		return nil
	})
	if err == nil {
		t.Fatal("the batch succeeded although its log write could not")
	}
	want := map[string]string{"keep": "keep-1", "old": "old-1", "gone": "gone-1", "new": ""}
	check := func(when string, db *DB) {
		t.Helper()
		for k, v := range want {
			var got []byte
			db.View(func(tx *Tx) error {
				m, _, _ := tx.Lookup(0, []byte(k))
				got = m.Value
				return nil
			})
			var inTx []byte
			db.Update(func(tx *Tx) error {
				m, _, _ := tx.Lookup(0, []byte(k))
				inTx = m.Value
				return nil
			})
			if string(got) != v || string(inTx) != v {
				t.Fatalf("%s: %s = %q (reader), %q (writer); want %q", when, k, got, inTx, v)
			}
		}
	}
	check("after the failed batch", db)
	if err := db.Update(put("after", "after-1")); err != nil {
		t.Fatalf("a batch after the failure: %v", err)
	}
	want["after"] = "after-1"
	check("after a later batch", db)
	db.crashForTest()
	db = openSmall(t, dir, FsyncNo, 1<<20)
	defer db.Close()
	check("after a crash and reopen", db)
}
