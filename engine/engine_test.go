package engine

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func openTest(t testing.TB, dir string, f Fsync) *DB {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	db, err := Open(Options{Dir: dir, Fsync: f, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return db
}

func setStr(t testing.TB, db *DB, dbi int, key, val string, expireAt int64) {
	t.Helper()
	err := db.Update(func(tx *Tx) error {
		tx.Put(dbi, []byte(key), &Meta{Type: TypeString, Value: []byte(val), ExpireAt: expireAt})
		return nil
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
}

func getStr(t testing.TB, db *DB, dbi int, key string) (string, bool) {
	t.Helper()
	var out string
	var found bool
	db.View(func(tx *Tx) error {
		m, ok, err := tx.Lookup(dbi, []byte(key))
		if err != nil {
			t.Fatalf("lookup: %v", err)
		}
		out, found = string(m.Value), ok
		return nil
	})
	return out, found
}

func TestDB_PutLookupDelete_RoundTrip(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	setStr(t, db, 0, "a", "1", 0)
	setStr(t, db, 1, "a", "other-db", 0)
	if v, ok := getStr(t, db, 0, "a"); !ok || v != "1" {
		t.Fatalf("got %q %v", v, ok)
	}
	if v, _ := getStr(t, db, 1, "a"); v != "other-db" {
		t.Fatalf("db1 got %q", v)
	}
	var deleted bool
	db.Update(func(tx *Tx) error { deleted = tx.Delete(0, []byte("a")); return nil })
	if !deleted {
		t.Fatal("delete reported false")
	}
	if _, ok := getStr(t, db, 0, "a"); ok {
		t.Fatal("still there after delete")
	}
	db.View(func(tx *Tx) error {
		if k, _ := tx.KeyCounts(0); k != 0 {
			t.Fatalf("db0 keys = %d", k)
		}
		if k, _ := tx.KeyCounts(1); k != 1 {
			t.Fatalf("db1 keys = %d", k)
		}
		return nil
	})
}

func TestDB_Lookup_ExpiredIsAbsent(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	db.SetActiveExpire(false)
	now := time.Now().UnixMilli()
	setStr(t, db, 0, "gone", "x", now+30)
	setStr(t, db, 0, "stays", "y", now+60_000)
	time.Sleep(50 * time.Millisecond)
	if _, ok := getStr(t, db, 0, "gone"); ok {
		t.Fatal("expired key visible")
	}
	if _, ok := getStr(t, db, 0, "stays"); !ok {
		t.Fatal("live key missing")
	}
	n, err := db.ExpireNow(100)
	if err != nil || n != 1 {
		t.Fatalf("ExpireNow = %d, %v", n, err)
	}
	db.View(func(tx *Tx) error {
		k, e := tx.KeyCounts(0)
		if k != 1 || e != 1 {
			t.Fatalf("counts keys=%d expires=%d", k, e)
		}
		return nil
	})
}

func TestDB_FlushAndSwap_O1(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	for i := 0; i < 100; i++ {
		setStr(t, db, 0, fmt.Sprint("k", i), "v", 0)
	}
	setStr(t, db, 2, "only-in-2", "v", 0)
	db.Update(func(tx *Tx) error { tx.SwapDB(0, 2); return nil })
	if _, ok := getStr(t, db, 0, "only-in-2"); !ok {
		t.Fatal("swap did not move db2 into db0")
	}
	db.Update(func(tx *Tx) error { tx.FlushDB(2); return nil })
	if _, ok := getStr(t, db, 2, "k1"); ok {
		t.Fatal("flushdb left keys")
	}
	for i := 0; i < 10; i++ {
		if n, _ := db.ReclaimNow(1000); n == 0 {
			break
		}
	}
	db.View(func(tx *Tx) error {
		if tx.PendingReclaim() {
			t.Fatal("reclaim did not finish")
		}
		if k, _ := tx.KeyCounts(2); k != 0 {
			t.Fatalf("db2 count %d", k)
		}
		return nil
	})
}

func TestDB_Scan_VisitsStableKeysDespiteWrites(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	const n = 2000
	db.Update(func(tx *Tx) error {
		for i := 0; i < n; i++ {
			tx.Put(0, []byte(fmt.Sprint("stable", i)), &Meta{Type: TypeString, Value: []byte("v")})
		}
		return nil
	})
	seen := map[string]bool{}
	var cursor uint64
	round := 0
	for {
		db.View(func(tx *Tx) error {
			cursor = tx.Scan(0, cursor, 50, func(k []byte, m *Meta) bool {
				seen[string(k)] = true
				return true
			})
			return nil
		})
		// Writes between calls: new keys and deletes of other keys.
		db.Update(func(tx *Tx) error {
			tx.Put(0, []byte(fmt.Sprint("new", round)), &Meta{Type: TypeString, Value: []byte("v")})
			return nil
		})
		round++
		if cursor == 0 {
			break
		}
	}
	for i := 0; i < n; i++ {
		if !seen[fmt.Sprint("stable", i)] {
			t.Fatalf("scan missed stable%d", i)
		}
	}
}

func TestDB_Collection_DeleteIsO1AndReclaimed(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	var version uint64
	db.Update(func(tx *Tx) error {
		m := &Meta{Type: TypeHash, Count: 5000}
		tx.Put(0, []byte("h"), m)
		version = m.Version
		for i := 0; i < 5000; i++ {
			tx.ElemPut(version, []byte(fmt.Sprint("f", i)), []byte("v"))
		}
		return nil
	})
	db.Update(func(tx *Tx) error { tx.Delete(0, []byte("h")); return nil })
	for i := 0; i < 20; i++ {
		if n, _ := db.ReclaimNow(1000); n == 0 {
			break
		}
	}
	db.View(func(tx *Tx) error {
		it := tx.Elems(version)
		if it.First() {
			t.Fatalf("element %q survived reclaim", it.Sub())
		}
		return nil
	})
}

func TestElemIter_Order_BothDirections(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	var v1 uint64
	db.Update(func(tx *Tx) error {
		a := &Meta{Type: TypeSet}
		tx.Put(0, []byte("a"), a)
		b := &Meta{Type: TypeSet}
		tx.Put(0, []byte("b"), b)
		v1 = a.Version
		for _, m := range []string{"c", "a", "b"} {
			tx.ElemPut(a.Version, []byte(m), nil)
			tx.ElemPut(b.Version, []byte("z"+m), nil)
		}
		return nil
	})
	db.View(func(tx *Tx) error {
		it := tx.Elems(v1)
		var fwd, back []string
		for ok := it.First(); ok; ok = it.Next() {
			fwd = append(fwd, string(it.Sub()))
		}
		for ok := it.Last(); ok; ok = it.Prev() {
			back = append(back, string(it.Sub()))
		}
		if fmt.Sprint(fwd) != "[a b c]" || fmt.Sprint(back) != "[c b a]" {
			t.Fatalf("fwd %v back %v", fwd, back)
		}
		if !it.SeekLE([]byte("bb")) || string(it.Sub()) != "b" {
			t.Fatalf("SeekLE(bb) = %q", it.Sub())
		}
		if !it.Seek([]byte("bb")) || string(it.Sub()) != "c" {
			t.Fatalf("Seek(bb) = %q", it.Sub())
		}
		return nil
	})
}

func TestDB_Restart_KeepsData(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir, FsyncEverySec)
	for i := 0; i < 500; i++ {
		setStr(t, db, 0, fmt.Sprint("k", i), fmt.Sprint("v", i), 0)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTest(t, dir, FsyncEverySec)
	defer db.Close()
	for i := 0; i < 500; i++ {
		if v, ok := getStr(t, db, 0, fmt.Sprint("k", i)); !ok || v != fmt.Sprint("v", i) {
			t.Fatalf("k%d = %q %v", i, v, ok)
		}
	}
}

func TestDB_Update_ConcurrentWritersAllCommitted(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	var wg sync.WaitGroup
	for w := 0; w < 20; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				setStr(t, db, 0, fmt.Sprintf("w%d-%d", w, i), "v", 0)
			}
		}(w)
	}
	wg.Wait()
	db.View(func(tx *Tx) error {
		if k, _ := tx.KeyCounts(0); k != 2000 {
			t.Fatalf("keys = %d", k)
		}
		return nil
	})
}

func TestDB_Update_PanicIsolated(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	err := db.Update(func(tx *Tx) error { panic("boom") })
	if _, ok := err.(*PanicError); !ok {
		t.Fatalf("err = %v", err)
	}
	setStr(t, db, 0, "after", "ok", 0)
	if v, _ := getStr(t, db, 0, "after"); v != "ok" {
		t.Fatal("engine unusable after a panic")
	}
}

func TestMeta_EncodeDecode_AllTypes(t *testing.T) {
	for _, m := range []Meta{
		{Type: TypeString, Value: []byte("hello"), ExpireAt: 5, StoredAt: 6, AccessAt: 7, Freq: 8},
		{Type: TypeString, Value: nil, Tag: []byte("t")},
		{Type: TypeList, Version: 9, Count: 3, Head: -4, Tail: 7, Tag: []byte("tag")},
		{Type: TypeZSet, Version: 1, Count: 1},
	} {
		var got Meta
		if err := decodeMeta(appendMeta(nil, &m), &got); err != nil {
			t.Fatal(err)
		}
		if got.Type != m.Type || got.ExpireAt != m.ExpireAt || got.Version != m.Version || got.Count != m.Count ||
			got.Head != m.Head || got.Tail != m.Tail || !bytes.Equal(got.Value, m.Value) || !bytes.Equal(got.Tag, m.Tag) || got.Freq != m.Freq {
			t.Fatalf("round trip %+v → %+v", m, got)
		}
	}
	if decodeMeta([]byte{1, 2}, new(Meta)) == nil {
		t.Fatal("short record accepted")
	}
}

func TestOpen_SecondInstance_Locked(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir, FsyncNo)
	defer db.Close()
	_, err := Open(Options{Dir: dir, Logger: zerolog.Nop()})
	if err == nil {
		t.Fatal("second open succeeded")
	}
}

// TestElemCache_ReadsSeeWritesAndAccountingStaysExact interleaves element
// reads and writes inside one transaction so that every read could be
// answered by the two-entry element cache: each read must see the latest
// write, and the logical size must equal that of the same elements
// written fresh in another store.
func TestElemCache_ReadsSeeWritesAndAccountingStaysExact(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	err := db.Update(func(tx *Tx) error {
		m := &Meta{Type: TypeHash, Count: 2}
		tx.Put(0, []byte("h"), m)
		v := m.Version
		get := func(f string) string { return string(tx.ElemGet(v, []byte(f))) }
		if get("a") != "" || get("b") != "" { // both absent and cached
			return fmt.Errorf("fresh hash has elements")
		}
		tx.ElemPut(v, []byte("a"), []byte("1"))
		if got := get("a"); got != "1" {
			return fmt.Errorf("a after put = %q", got)
		}
		tx.ElemPut(v, []byte("b"), []byte("22"))
		tx.ElemPut(v, []byte("a"), []byte("333")) // a and b both cached
		if get("a") != "333" || get("b") != "22" {
			return fmt.Errorf("a, b = %q, %q", get("a"), get("b"))
		}
		tx.ElemDelete(v, []byte("b"))
		if tx.ElemGet(v, []byte("b")) != nil {
			return fmt.Errorf("b survives its delete")
		}
		tx.ElemPut(v, []byte("b"), []byte("4"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fresh := openTest(t, "", FsyncNo)
	defer fresh.Close()
	fresh.Update(func(tx *Tx) error {
		m := &Meta{Type: TypeHash, Count: 2}
		tx.Put(0, []byte("h"), m)
		tx.ElemPut(m.Version, []byte("a"), []byte("333"))
		tx.ElemPut(m.Version, []byte("b"), []byte("4"))
		return nil
	})
	if got, want := db.LogicalBytes(), fresh.LogicalBytes(); got != want {
		t.Fatalf("logical bytes %d, want %d (as written fresh)", got, want)
	}
}
