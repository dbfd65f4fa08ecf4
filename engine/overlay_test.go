package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// crashForTest stops the engine the way kill -9 would leave it: no final
// flush, no clean marker; the log and bbolt stay as they are on disk.
func (db *DB) crashForTest() {
	db.closeMu.Lock()
	db.closed.Store(true)
	db.cancel()
	close(db.reqs)
	db.closeMu.Unlock()
	db.pubMu.Lock()
	db.flushed.Broadcast()
	db.pubMu.Unlock()
	db.wg.Wait()
	db.wal.close()
	db.bolt.Close()
}

func openSmall(t *testing.T, dir string, f Fsync, overlay int64) *DB {
	t.Helper()
	db, err := Open(Options{Dir: dir, Fsync: f, OverlaySize: overlay, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return db
}

// TestOverlay_RandomOps_MatchModel runs random writes with a tiny overlay
// (so memtables rotate and flush constantly) and checks point reads, full
// iteration in both directions and seeks against a map model.
func TestOverlay_RandomOps_MatchModel(t *testing.T) {
	db := openSmall(t, t.TempDir(), FsyncNo, 2048)
	defer db.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	var version uint64
	db.Update(func(tx *Tx) error {
		m := &Meta{Type: TypeHash}
		tx.Put(0, []byte("h"), m)
		version = m.Version
		return nil
	})
	model := map[string]string{}
	for step := 0; step < 3000; step++ {
		k := fmt.Sprintf("f%03d", rng.IntN(300))
		if rng.IntN(3) == 0 {
			db.Update(func(tx *Tx) error { tx.ElemDelete(version, []byte(k)); return nil })
			delete(model, k)
		} else {
			v := fmt.Sprint(step)
			if rng.IntN(10) == 0 {
				v = "" // empty values must still count as present
			}
			db.Update(func(tx *Tx) error { tx.ElemPut(version, []byte(k), []byte(v)); return nil })
			model[k] = v
		}
		if step%100 != 0 {
			continue
		}
		keys := make([]string, 0, len(model))
		for k := range model {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		db.View(func(tx *Tx) error {
			for i := 0; i < 300; i++ {
				k := fmt.Sprintf("f%03d", i)
				got := tx.ElemGet(version, []byte(k))
				want, ok := model[k]
				if ok != (got != nil) || (ok && string(got) != want) {
					t.Fatalf("step %d get %s = %q (present %v), want %q (present %v)", step, k, got, got != nil, want, ok)
				}
			}
			it := tx.Elems(version)
			var fwd, back []string
			for ok := it.First(); ok; ok = it.Next() {
				fwd = append(fwd, string(it.Sub()))
			}
			for ok := it.Last(); ok; ok = it.Prev() {
				back = append(back, string(it.Sub()))
			}
			if fmt.Sprint(fwd) != fmt.Sprint(keys) {
				t.Fatalf("step %d forward\n got %v\nwant %v", step, fwd, keys)
			}
			for i, j := 0, len(back)-1; i < j; i, j = i+1, j-1 {
				back[i], back[j] = back[j], back[i]
			}
			if fmt.Sprint(back) != fmt.Sprint(keys) {
				t.Fatalf("step %d backward\n got %v\nwant %v", step, back, keys)
			}
			// Seek/SeekLE then a step the other way (direction changes).
			probe := fmt.Sprintf("f%03d", rng.IntN(300))
			i := sort.SearchStrings(keys, probe)
			if ok := it.Seek([]byte(probe)); ok != (i < len(keys)) || (ok && string(it.Sub()) != keys[i]) {
				t.Fatalf("step %d Seek(%s) = %q", step, probe, it.Sub())
			}
			if i < len(keys) {
				ok := it.Prev()
				if ok != (i > 0) || (ok && string(it.Sub()) != keys[i-1]) {
					t.Fatalf("step %d Seek(%s).Prev = %q", step, probe, it.Sub())
				}
			}
			j := sort.SearchStrings(keys, probe+"~") - 1 // last ≤ probe
			if ok := it.SeekLE([]byte(probe)); ok != (j >= 0) || (ok && string(it.Sub()) != keys[j]) {
				t.Fatalf("step %d SeekLE(%s) = %q want idx %d", step, probe, it.Sub(), j)
			}
			if j >= 0 {
				ok := it.Next()
				if ok != (j+1 < len(keys)) || (ok && string(it.Sub()) != keys[j+1]) {
					t.Fatalf("step %d SeekLE(%s).Next = %q", step, probe, it.Sub())
				}
			}
			return nil
		})
	}
	if db.Stats().Flushes.Load() == 0 {
		t.Fatal("the tiny overlay never flushed: the test did not exercise bbolt layering")
	}
}

// TestOverlay_Crash_ReplaysAcknowledgedWrites abandons the engine without a
// clean close and checks every acknowledged write is back after reopening.
func TestOverlay_Crash_ReplaysAcknowledgedWrites(t *testing.T) {
	dir := t.TempDir()
	db := openSmall(t, dir, FsyncAlways, 8192)
	for i := 0; i < 400; i++ {
		setStr(t, db, 0, fmt.Sprint("k", i), fmt.Sprint("v", i), 0)
	}
	db.Update(func(tx *Tx) error { tx.Delete(0, []byte("k7")); return nil })
	db.crashForTest()

	db = openSmall(t, dir, FsyncAlways, 8192)
	defer db.Close()
	for i := 0; i < 400; i++ {
		v, ok := getStr(t, db, 0, fmt.Sprint("k", i))
		if i == 7 {
			if ok {
				t.Fatal("deleted key came back")
			}
			continue
		}
		if !ok || v != fmt.Sprint("v", i) {
			t.Fatalf("k%d = %q %v after crash", i, v, ok)
		}
	}
	db.View(func(tx *Tx) error {
		if k, _ := tx.KeyCounts(0); k != 399 {
			t.Fatalf("count after replay = %d", k)
		}
		return nil
	})
}

// TestOverlay_TornTail_Ignored appends half a record to the log, as a crash
// mid-write would, and checks startup ignores it and keeps the rest.
func TestOverlay_TornTail_Ignored(t *testing.T) {
	dir := t.TempDir()
	db := openSmall(t, dir, FsyncAlways, 1<<20)
	setStr(t, db, 0, "a", "1", 0)
	segs, _ := listSegments(dir)
	db.crashForTest()
	if len(segs) == 0 {
		t.Fatal("no log segment")
	}
	f, err := os.OpenFile(walName(dir, segs[len(segs)-1]), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 1, 0, 9, 9, 9, 9, 'x'}) // header of a 256-byte record, 1 byte of body
	f.Close()
	db = openSmall(t, dir, FsyncAlways, 1<<20)
	defer db.Close()
	if v, ok := getStr(t, db, 0, "a"); !ok || v != "1" {
		t.Fatalf("a = %q %v", v, ok)
	}
	setStr(t, db, 0, "b", "2", 0) // and the store takes writes
}

// TestOverlay_Snapshot_HoldsOverlayWrites checks SAVE's copy includes writes
// still in memory.
func TestOverlay_Snapshot_HoldsOverlayWrites(t *testing.T) {
	dir := t.TempDir()
	db := openSmall(t, dir, FsyncNo, 1<<20)
	setStr(t, db, 0, "x", "in-memtable", 0)
	snap := filepath.Join(t.TempDir(), "dump.db")
	if err := db.Snapshot(snap); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := CheckFile(snap); err != nil {
		t.Fatalf("snapshot check: %v", err)
	}
	d2 := t.TempDir()
	b, _ := os.ReadFile(snap)
	os.WriteFile(filepath.Join(d2, FileName), b, 0o644)
	db = openSmall(t, d2, FsyncNo, 1<<20)
	defer db.Close()
	if v, _ := getStr(t, db, 0, "x"); v != "in-memtable" {
		t.Fatalf("snapshot lost the overlay write: %q", v)
	}
}

func TestMergedCursor_TombstoneHidesLowerLayer(t *testing.T) {
	upper := newMemtable()
	upper.set(&memItem{key: memKey(nil, bData, []byte("b")), del: true})
	upper.set(&memItem{key: memKey(nil, bData, []byte("c")), val: []byte("new")})
	lower := newMemtable()
	for _, k := range []string{"a", "b", "c", "d"} {
		lower.set(&memItem{key: memKey(nil, bData, []byte(k)), val: []byte("old")})
	}
	lower.set(&memItem{key: memKey(nil, bMeta, []byte("zz")), val: []byte("other bucket")})
	c := newMergedCursor([]layerIter{newTreeIter(upper.ordered(), bData), newTreeIter(lower.ordered(), bData)})
	var got []string
	for k, v := c.First(); k != nil; k, v = c.Next() {
		got = append(got, string(k)+"="+string(v))
	}
	if fmt.Sprint(got) != "[a=old c=new d=old]" {
		t.Fatalf("got %v", got)
	}
	k, _ := c.Last()
	if !bytes.Equal(k, []byte("d")) {
		t.Fatalf("Last = %q", k)
	}
}

// TestOverlay_ConcurrentReadersWriters_Consistent has readers iterate and
// look up while writers churn through a tiny overlay; each batch writes a
// pair of keys with the same value, so a reader must never see them differ.
func TestOverlay_ConcurrentReadersWriters_Consistent(t *testing.T) {
	db := openSmall(t, t.TempDir(), FsyncNo, 4096)
	defer db.Close()
	done := make(chan struct{})
	errs := make(chan error, 8)
	for r := 0; r < 3; r++ {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				if err := db.View(checkPairs); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for w := 0; w < 2000; w++ {
		i, v := w%20, []byte(fmt.Sprint(w))
		db.Update(func(tx *Tx) error {
			tx.Put(0, []byte(fmt.Sprint("a", i)), &Meta{Type: TypeString, Value: v})
			tx.Put(0, []byte(fmt.Sprint("b", i)), &Meta{Type: TypeString, Value: v})
			return nil
		})
	}
	close(done)
	for r := 0; r < 3; r++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// checkPairs is a read that must see whole batches of writers that set
// a<i> and b<i> to the same value in one batch, i < 20: equal pairs in
// point lookups, an even number of keys in a scan.
func checkPairs(tx *Tx) error {
	for i := 0; i < 20; i++ {
		a, _, _ := tx.Lookup(0, []byte(fmt.Sprint("a", i)))
		b, _, _ := tx.Lookup(0, []byte(fmt.Sprint("b", i)))
		if !bytes.Equal(a.Value, b.Value) {
			return fmt.Errorf("torn batch: a%d=%q b%d=%q", i, a.Value, i, b.Value)
		}
	}
	n := 0
	tx.Scan(0, 0, 0, func(k []byte, m *Meta) bool { n++; return true })
	if n%2 != 0 {
		return fmt.Errorf("scan saw %d keys (pairs are written together)", n)
	}
	return nil
}

// TestOverlay_FlushInChunks_AllEntriesLand writes more entries than one
// flush chunk into one memtable, with deletes mixed in, and checks they all
// reach bbolt across a close and reopen and through a live flush.
func TestOverlay_FlushInChunks_AllEntriesLand(t *testing.T) {
	dir := t.TempDir()
	db := openSmall(t, dir, FsyncNo, 64<<20)
	const n = 3*flushChunk + 17
	db.Update(func(tx *Tx) error {
		for i := 0; i < n; i++ {
			tx.Put(0, []byte(fmt.Sprintf("k%06d", i)), &Meta{Type: TypeString, Value: []byte(fmt.Sprint(i))})
		}
		return nil
	})
	db.Update(func(tx *Tx) error {
		for i := 0; i < n; i += 3 {
			tx.Delete(0, []byte(fmt.Sprintf("k%06d", i)))
		}
		return nil
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openSmall(t, dir, FsyncNo, 64<<20)
	defer db.Close()
	if len(db.view.Load().imm) != 0 || db.active.tree.Len() != 0 {
		t.Fatal("reopened store still has overlay entries")
	}
	for i := 0; i < n; i++ {
		v, ok := getStr(t, db, 0, fmt.Sprintf("k%06d", i))
		if (i%3 == 0) == ok || (ok && v != fmt.Sprint(i)) {
			t.Fatalf("k%06d = %q %v after chunked flush", i, v, ok)
		}
	}
}

// Rewriting keys already in the memtable grows the log but not the
// memtable: the segment must still rotate, bounding what a crash replays.
func TestOverlay_LogRotatesOnRewritesOfSameKey(t *testing.T) {
	const overlay = 64 << 10
	db := openSmall(t, t.TempDir(), FsyncNo, overlay)
	defer db.Close()
	val := bytes.Repeat([]byte("v"), 200)
	peak := int64(0)
	for i := 0; i < 5000; i++ {
		setStr(t, db, 0, "same", string(val), 0)
		peak = max(peak, db.LogBytes())
	}
	if limit := int64(walRotateFactor*overlay + 4096); peak > limit {
		t.Fatalf("log segment reached %d bytes rewriting one key (limit %d)", peak, limit)
	}
	if w := db.LogWritten(); w < 5000*200 {
		t.Fatalf("LogWritten = %d, want at least the %d value bytes written", w, 5000*200)
	}
}

// Rewrites of one key with a tiny value grow the memtable's arena faster
// than the log (an item per write, ~100 bytes, against a ~30-byte log
// record): the arena too must rotate the memtable, bounding the memory
// replaced items hold.
func TestOverlay_ArenaRotatesOnRewritesOfSameKey(t *testing.T) {
	const overlay = 64 << 10
	db := openSmall(t, t.TempDir(), FsyncNo, overlay)
	defer db.Close()
	peak := int64(0)
	for i := 0; i < 20000; i++ {
		setStr(t, db, 0, "n", fmt.Sprint(i%10), 0)
		db.Update(func(tx *Tx) error { // on the committer: no race on the memtable
			peak = max(peak, tx.memt.arena.used)
			return nil
		})
	}
	if limit := int64(walRotateFactor*overlay + 4096); peak > limit {
		t.Fatalf("the arena reached %d bytes rewriting one key (limit %d)", peak, limit)
	}
}

// TestOverlay_Crash_ReplayedLogFlushesInBackground crashes, reopens (the
// log is replayed into a frozen memtable, not into bbolt), crashes again at
// once, and checks both crashes lost nothing and that the old segments go
// once the replayed memtable has been flushed.
func TestOverlay_Crash_ReplayedLogFlushesInBackground(t *testing.T) {
	dir := t.TempDir()
	db := openSmall(t, dir, FsyncAlways, 1<<20)
	for i := 0; i < 300; i++ {
		setStr(t, db, 0, fmt.Sprint("a", i), fmt.Sprint("v", i), 0)
	}
	db.crashForTest()
	first, _ := listSegments(dir)

	db = openSmall(t, dir, FsyncAlways, 1<<20)
	for i := 0; i < 300; i++ {
		setStr(t, db, 0, fmt.Sprint("b", i), fmt.Sprint("w", i), 0)
	}
	db.crashForTest() // the replayed memtable may or may not be in bbolt yet

	db = openSmall(t, dir, FsyncAlways, 1<<20)
	defer db.Close()
	for i := 0; i < 300; i++ {
		if v, ok := getStr(t, db, 0, fmt.Sprint("a", i)); !ok || v != fmt.Sprint("v", i) {
			t.Fatalf("a%d = %q %v after two crashes", i, v, ok)
		}
		if v, ok := getStr(t, db, 0, fmt.Sprint("b", i)); !ok || v != fmt.Sprint("w", i) {
			t.Fatalf("b%d = %q %v after two crashes", i, v, ok)
		}
	}
	db.View(func(tx *Tx) error {
		if k, _ := tx.KeyCounts(0); k != 600 {
			t.Fatalf("count after replay = %d", k)
		}
		return nil
	})
	deadline := time.Now().Add(5 * time.Second)
	for db.Stats().Flushes.Load() == 0 || len(db.view.Load().imm) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the replayed log was not flushed to bbolt in the background")
		}
		time.Sleep(5 * time.Millisecond)
	}
	segs, _ := listSegments(dir)
	for _, s := range segs {
		if s <= first[len(first)-1] {
			t.Fatalf("segment %d of the first crash still on disk after the flush: %v", s, segs)
		}
	}
}

// TestTx_HeldBackMetaWrite_SeenByReadsCursorsAndReplay: a batch's meta
// record write is held back until another meta key is written, a cursor
// opens over the meta bucket, or the batch ends. Inside the batch every
// read and a scan must see the latest write, a delete must win over a
// held-back put, and after a crash the log must replay the final state.
// (Errors are returned from the update: t.Fatalf must not run on the
// committer's goroutine.)
func TestTx_HeldBackMetaWrite_SeenByReadsCursorsAndReplay(t *testing.T) {
	dir := t.TempDir()
	db := openSmall(t, dir, FsyncAlways, 1<<20)
	str := func(v string) *Meta { return &Meta{Type: TypeString, Value: []byte(v)} }
	err := db.Update(func(tx *Tx) error {
		for i := 0; i < 5; i++ {
			tx.Put(0, []byte("a"), str(fmt.Sprint("a", i)))
			if m, ok, _ := tx.Lookup(0, []byte("a")); !ok || string(m.Value) != fmt.Sprint("a", i) {
				return fmt.Errorf("a after put %d = %q %v", i, m.Value, ok)
			}
		}
		tx.Put(0, []byte("b"), str("b0"))
		tx.Put(0, []byte("a"), str("a5"))
		tx.Put(0, []byte("c"), str("c0"))
		tx.Delete(0, []byte("c")) // deletes a held-back put
		tx.Put(0, []byte("b"), str("b1"))
		seen := map[string]string{}
		tx.Scan(0, 0, 100, func(key []byte, m *Meta) bool {
			seen[string(key)] = string(m.Value)
			return true
		})
		if fmt.Sprint(seen) != "map[a:a5 b:b1]" {
			return fmt.Errorf("scan inside the batch = %v", seen)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.crashForTest()
	db = openSmall(t, dir, FsyncAlways, 1<<20)
	defer db.Close()
	for k, want := range map[string]string{"a": "a5", "b": "b1"} {
		if v, ok := getStr(t, db, 0, k); !ok || v != want {
			t.Fatalf("%s = %q %v after crash, want %q", k, v, ok, want)
		}
	}
	if _, ok := getStr(t, db, 0, "c"); ok {
		t.Fatal("deleted c came back after crash")
	}
	db.View(func(tx *Tx) error {
		if k, _ := tx.KeyCounts(0); k != 2 {
			t.Errorf("key count after replay = %d, want 2", k)
		}
		return nil
	})
}
