package engine

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// recountDB reclaims everything dropped, then sums db d's meta records and
// the elements of the collections they name: the figure DBLogicalBytes
// must equal (an independent walk, not the engine's recount).
func recountDB(t *testing.T, db *DB, d int) int64 {
	t.Helper()
	for i := 0; i < 1000; i++ {
		n, err := db.ReclaimNow(10_000)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	var total int64
	db.View(func(tx *Tx) error {
		prefix := nsPrefix(tx.nsOf(d))
		var m Meta
		c := tx.cursor(bMeta)
		var versions []uint64
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			total += int64(len(k) + len(v))
			if decodeMeta(v, &m) == nil && m.Type.IsCollection() {
				versions = append(versions, m.Version)
			}
		}
		for _, ver := range versions {
			it := tx.Elems(ver)
			for ok := it.First(); ok; ok = it.Next() {
				total += int64(len(it.k) + len(it.v))
			}
		}
		return nil
	})
	return total
}

// assertDBUsage compares every db's kept figure with the recount, the sum
// with the server-wide logical size, and runs CHECK.
func assertDBUsage(t *testing.T, db *DB, step string) {
	t.Helper()
	var sum int64
	for d := 0; d < db.Databases(); d++ {
		want := recountDB(t, db, d)
		if got := db.DBLogicalBytes(d); got != want {
			t.Fatalf("%s: db %d logical bytes %d, recount %d", step, d, got, want)
		}
		sum += want
	}
	if got := db.LogicalBytes(); got != sum {
		t.Fatalf("%s: server-wide logical %d, sum of dbs %d", step, got, sum)
	}
	rep, err := db.Check(false, nil)
	if err != nil || rep.Count != 0 {
		t.Fatalf("%s: check: %v %v", step, err, rep.Problems)
	}
}

// putHash creates (or extends) a hash with n fields in db d.
func putHash(t *testing.T, db *DB, d int, key string, n int) {
	t.Helper()
	update(t, db, func(tx *Tx) {
		m, ok, _ := tx.Lookup(d, []byte(key))
		if !ok {
			m = Meta{Type: TypeHash}
			tx.Put(d, []byte(key), &m)
		}
		for i := 0; i < n; i++ {
			tx.ElemPut(m.Version, []byte(fmt.Sprintf("f%03d", i)), bytes.Repeat([]byte("v"), 10+i))
		}
		m.Count = int64(n)
		m.Value, m.Tag = nil, nil
		tx.Put(d, []byte(key), &m)
	})
}

func TestDBLimit_Usage_ExactThroughEveryWrite(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir, FsyncNo)
	setStr(t, db, 0, "a", "1", 0)
	setStr(t, db, 1, "a", "other", 0)
	setStr(t, db, 0, "a", "longer value", 0) // overwrite
	putHash(t, db, 0, "h", 20)
	putHash(t, db, 2, "h2", 5)
	assertDBUsage(t, db, "puts")
	if db.DBLogicalBytes(0) == 0 || db.DBLogicalBytes(3) != 0 {
		t.Fatalf("db0 %d db3 %d", db.DBLogicalBytes(0), db.DBLogicalBytes(3))
	}

	update(t, db, func(tx *Tx) { // element delete
		m, _, _ := tx.Lookup(0, []byte("h"))
		tx.ElemDelete(m.Version, []byte("f000"))
		tx.ElemDelete(m.Version, []byte("nope"))
		m.Count--
		m.Value, m.Tag = nil, nil
		tx.Put(0, []byte("h"), &m)
	})
	assertDBUsage(t, db, "element delete")

	update(t, db, func(tx *Tx) { tx.Delete(1, []byte("a")) })
	assertDBUsage(t, db, "delete")

	past := time.Now().UnixMilli() - 1
	setStr(t, db, 3, "gone", "x", past)
	putHash(t, db, 3, "hgone", 3)
	update(t, db, func(tx *Tx) { tx.SetExpire(3, []byte("hgone"), time.Now().UnixMilli()+5) })
	time.Sleep(10 * time.Millisecond)
	if _, err := db.ExpireNow(100); err != nil {
		t.Fatal(err)
	}
	assertDBUsage(t, db, "expiry")

	update(t, db, func(tx *Tx) { tx.Rename(0, []byte("h"), 4, []byte("h")) }) // MOVE of a collection
	assertDBUsage(t, db, "move")
	update(t, db, func(tx *Tx) { tx.Rename(4, []byte("h"), 4, []byte("h-renamed")) })
	update(t, db, func(tx *Tx) { tx.Rename(0, []byte("a"), 5, []byte("a5")) })
	assertDBUsage(t, db, "rename")
	update(t, db, func(tx *Tx) { tx.Copy(4, []byte("h-renamed"), 6, []byte("hc")) })
	update(t, db, func(tx *Tx) { tx.Copy(5, []byte("a5"), 6, []byte("ac")) })
	assertDBUsage(t, db, "copy")
	putHash(t, db, 6, "hc", 30) // overwrite the copy's elements, then replace it by a string
	setStr(t, db, 6, "hc", "now a string", 0)
	assertDBUsage(t, db, "replace collection")

	update(t, db, func(tx *Tx) { tx.SwapDB(4, 6) })
	assertDBUsage(t, db, "swapdb")
	update(t, db, func(tx *Tx) { tx.FlushDB(4) })
	if db.DBLogicalBytes(4) != 0 {
		t.Fatalf("flushed db4 still reports %d", db.DBLogicalBytes(4))
	}
	assertDBUsage(t, db, "flushdb")

	want := map[int]int64{}
	for d := 0; d < db.Databases(); d++ {
		want[d] = db.DBLogicalBytes(d)
	}
	db.Close()
	db = openTest(t, dir, FsyncNo)
	defer db.Close()
	for d, w := range want {
		if got := db.DBLogicalBytes(d); got != w {
			t.Fatalf("after reopen db %d: %d, before %d", d, got, w)
		}
	}
	assertDBUsage(t, db, "reopen")
}

func TestDBLimit_Usage_RecountedForOldStore(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir, FsyncNo)
	setStr(t, db, 0, "a", "1", 0)
	putHash(t, db, 1, "h", 10)
	putHash(t, db, 1, "dropped", 10)
	update(t, db, func(tx *Tx) {
		tx.Delete(1, []byte("dropped"))
		// Pretend the store predates per-db accounting.
		tx.del(bSys, sysPerDBMarker)
		for d := 0; d < 3; d++ {
			tx.del(bSys, sysNSKeyed(sysNSUsage, tx.nsOf(d)))
		}
		c := tx.cursor(bOwner)
		var ks [][]byte
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			ks = append(ks, bytes.Clone(k))
		}
		for _, k := range ks {
			tx.del(bOwner, k)
		}
	})
	db.dbl.nsBytes = nil // nothing kept in memory either
	db.Close()
	db = openTest(t, dir, FsyncNo)
	defer db.Close()
	db.SetActiveExpire(false)
	if db.DBLogicalBytes(1) <= recountDB(t, db, 1) && db.DBLogicalBytes(1) == 0 {
		t.Fatal("db1 not recounted")
	}
	assertDBUsage(t, db, "recounted")
}

func TestDBLimit_Check_RepairsFigures(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	putHash(t, db, 0, "h", 10)
	update(t, db, func(tx *Tx) { tx.addNSBytes(tx.nsOf(0), 1234) })
	rep, _ := db.Check(false, nil)
	if rep.Count != 1 {
		t.Fatalf("check found %d: %v", rep.Count, rep.Problems)
	}
	if _, err := db.Check(true, nil); err != nil {
		t.Fatal(err)
	}
	assertDBUsage(t, db, "fixed")
}

func TestDBLimit_Settings_PersistAndNoEviction(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir, FsyncNo)
	if err := db.SetDBSettings(2, DBSettings{MaxMemory: 1000, Policy: PolicyNoEviction, HasPolicy: true}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openTest(t, dir, FsyncNo)
	defer db.Close()
	s := db.DBSettings(2)
	if s.MaxMemory != 1000 || !s.HasPolicy || s.Policy != PolicyNoEviction {
		t.Fatalf("settings after reopen: %+v", s)
	}
	if db.DBOverLimit(2) {
		t.Fatal("empty db over its limit")
	}
	for i := 0; i < 30; i++ {
		setStr(t, db, 2, fmt.Sprintf("k%d", i), "some value of a few bytes", 0)
	}
	if !db.DBOverLimit(2) {
		t.Fatalf("db2 at %d bytes not over its 1000-byte limit", db.DBUsedBytes(2))
	}
	if db.DBOverLimit(3) || db.OverLimit() {
		t.Fatal("other dbs or the server-wide budget affected")
	}
	if err := db.SetDBSettings(2, DBSettings{}); err != nil {
		t.Fatal(err)
	}
	if db.DBOverLimit(2) {
		t.Fatal("reset db still limited")
	}
}

// TestDBLimit_Index_LRUOrderAndRebuild evicts a db in its own LRU order and
// checks a policy change rebuilds the order.
func TestDBLimit_Index_LRUOrderAndRebuild(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	db.SetActiveExpire(false)
	for i := 0; i < 50; i++ {
		setStr(t, db, 1, fmt.Sprintf("k%02d", i), "v", 0)
		setStr(t, db, 0, fmt.Sprintf("k%02d", i), "v", 0)
		time.Sleep(2 * time.Millisecond)
	}
	db.SetDBSettings(1, DBSettings{MaxMemory: 1 << 20, Policy: PolicyAllKeysLRS, HasPolicy: true})
	runIndex(t, db)
	if !db.DBIndexReady(1) {
		t.Fatal("index not ready")
	}
	rep, _ := db.Check(false, nil)
	if rep.Count != 0 {
		t.Fatal(rep.Problems)
	}
	res, err := db.EvictDB(1, 5, 0)
	if err != nil || res.Evicted != 5 {
		t.Fatalf("evicted %+v %v", res, err)
	}
	for i := 0; i < 50; i++ {
		_, ok := getStr(t, db, 1, fmt.Sprintf("k%02d", i))
		if ok != (i >= 5) {
			t.Fatalf("k%02d present=%v after evicting the 5 least recently stored", i, ok)
		}
		if _, ok := getStr(t, db, 0, fmt.Sprintf("k%02d", i)); !ok {
			t.Fatalf("db0 lost k%02d", i)
		}
	}
	// Switch to volatile-ttl: only keys with an expiry are candidates.
	update(t, db, func(tx *Tx) { tx.SetExpire(1, []byte("k40"), time.Now().UnixMilli()+time.Hour.Milliseconds()) })
	db.SetDBSettings(1, DBSettings{MaxMemory: 1 << 20, Policy: PolicyVolatileTTL, HasPolicy: true})
	runIndex(t, db)
	res, _ = db.EvictDB(1, 5, 0)
	if res.Evicted != 1 {
		t.Fatalf("volatile-ttl evicted %d, want 1", res.Evicted)
	}
	if _, ok := getStr(t, db, 1, "k40"); ok {
		t.Fatal("k40 (the only volatile key) survived")
	}
	rep, _ = db.Check(false, nil)
	if rep.Count != 0 {
		t.Fatal(rep.Problems)
	}
	// Removing the limit clears the db's entries.
	db.SetDBSettings(1, DBSettings{})
	runIndex(t, db)
	n := 0
	db.View(func(tx *Tx) error {
		c := tx.cursor(bDBEvict)
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		return nil
	})
	if n != 0 {
		t.Fatalf("%d per-db entries left after the limit was removed", n)
	}
}

func runIndex(t *testing.T, db *DB) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		done, err := db.DBIndexStep(7)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
	}
	t.Fatal("index never finished")
}

func TestDBLimit_HiddenDB_ExpiryNotCounted(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	db.SetActiveExpire(false)
	const hidden = 0x7FFF_FFF0
	past := time.Now().UnixMilli() - 1
	update(t, db, func(tx *Tx) {
		tx.Put(hidden, []byte("a"), &Meta{Type: TypeString, Value: []byte("1"), ExpireAt: past})
		tx.Put(hidden, []byte("b"), &Meta{Type: TypeString, Value: []byte("1"), ExpireAt: past})
		tx.Put(0, []byte("c"), &Meta{Type: TypeString, Value: []byte("1"), ExpireAt: past})
	})
	update(t, db, func(tx *Tx) { tx.Lookup(hidden, []byte("a")) })
	if _, err := db.ExpireNow(100); err != nil {
		t.Fatal(err)
	}
	if n := db.Stats().ExpiredKeys.Load(); n != 1 {
		t.Fatalf("expired_keys %d, want 1 (the hidden records do not count)", n)
	}
}
