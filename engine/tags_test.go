package engine

import (
	"bytes"
	"fmt"
	"sort"
	"testing"
	"time"
)

// tagIndex lists the whole tag index as "ns/tag/key" strings, sorted.
func tagIndex(t testing.TB, db *DB) []string {
	t.Helper()
	var out []string
	db.View(func(tx *Tx) error {
		c := tx.cursor(bTag)
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			tag, mk, ok := splitTagKey(k)
			if !ok {
				t.Fatalf("malformed tag entry %x", k)
			}
			ns, _, key := splitMetaKey(mk)
			out = append(out, fmt.Sprintf("%d/%s/%s", ns, tag, key))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func update(t testing.TB, db *DB, fn func(tx *Tx)) {
	t.Helper()
	if err := db.Update(func(tx *Tx) error { fn(tx); return nil }); err != nil {
		t.Fatal(err)
	}
}

func wantIndex(t *testing.T, db *DB, want ...string) {
	t.Helper()
	got := tagIndex(t, db)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("tag index = %v, want %v", got, want)
	}
}

func TestTags_Index_FollowsWrites(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	update(t, db, func(tx *Tx) {
		tx.Put(0, []byte("a"), &Meta{Type: TypeString, Value: []byte("1"), Tag: []byte("red")})
		tx.Put(0, []byte("b"), &Meta{Type: TypeString, Value: []byte("2")})
		if !tx.SetTag(0, []byte("b"), []byte("red")) || tx.SetTag(0, []byte("nope"), []byte("red")) {
			t.Fatal("SetTag results")
		}
		h := &Meta{Type: TypeHash, Count: 1}
		tx.Put(0, []byte("h"), h)
		tx.ElemPut(h.Version, []byte("f"), []byte("v"))
		tx.SetTag(0, []byte("h"), []byte("blue"))
	})
	wantIndex(t, db, "0/blue/h", "0/red/a", "0/red/b")
	update(t, db, func(tx *Tx) {
		tx.SetTag(0, []byte("a"), []byte("green")) // change
		tx.SetTag(0, []byte("b"), nil)             // untag
		tx.Rename(0, []byte("h"), 0, []byte("h2"))
		tx.Copy(0, []byte("a"), 3, []byte("a"))
	})
	wantIndex(t, db, "0/blue/h2", "0/green/a", "3/green/a")
	update(t, db, func(tx *Tx) {
		tx.Rename(0, []byte("h2"), 1, []byte("h2")) // MOVE
		tx.Delete(0, []byte("a"))
	})
	wantIndex(t, db, "1/blue/h2", "3/green/a")
	var counts []string
	db.View(func(tx *Tx) error {
		tx.TagCounts(1, func(tag []byte, n int64) bool {
			counts = append(counts, fmt.Sprintf("%s=%d", tag, n))
			return true
		})
		return nil
	})
	if fmt.Sprint(counts) != "[blue=1]" {
		t.Fatalf("TagCounts = %v", counts)
	}
}

func TestTags_Index_ExpiryFlushAndRestart(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir, FsyncNo)
	update(t, db, func(tx *Tx) {
		tx.Put(0, []byte("gone"), &Meta{Type: TypeString, ExpireAt: tx.Now + 1, Tag: []byte("x")})
		tx.Put(0, []byte("stays"), &Meta{Type: TypeString, Tag: []byte("x")})
		tx.Put(2, []byte("flushed"), &Meta{Type: TypeString, Tag: []byte("y")})
	})
	time.Sleep(5 * time.Millisecond) // let the key expire, then sweep it
	if n, err := db.ExpireNow(100); n != 1 || err != nil {
		t.Fatalf("ExpireNow = %d, %v", n, err)
	}
	update(t, db, func(tx *Tx) { tx.FlushDB(2) })
	for {
		n, err := db.ReclaimNow(1000)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	wantIndex(t, db, "0/x/stays")
	db.Close()
	db = openTest(t, dir, FsyncNo)
	defer db.Close()
	wantIndex(t, db, "0/x/stays")
}

func TestTags_Index_EvictionRemovesEntries(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	db.SetEvictPolicy(PolicyAllKeysLRS)
	update(t, db, func(tx *Tx) {
		for i := 0; i < 10; i++ {
			tx.Put(0, []byte(fmt.Sprint("k", i)), &Meta{Type: TypeString, Tag: []byte("t")})
		}
	})
	for done := false; !done; {
		var err error
		if done, err = db.IndexStep(1000); err != nil {
			t.Fatal(err)
		}
	}
	res, err := db.EvictKeys(100, 0)
	if err != nil || res.Evicted != 10 {
		t.Fatalf("evicted %d, %v", res.Evicted, err)
	}
	wantIndex(t, db)
}

func TestTags_EvictTag_BatchesAndStaleEntries(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	update(t, db, func(tx *Tx) {
		for i := 0; i < 25; i++ {
			tx.Put(0, []byte(fmt.Sprint("k", i)), &Meta{Type: TypeString, Tag: []byte("t")})
		}
		tx.Put(0, []byte("other"), &Meta{Type: TypeString, Tag: []byte("tt")})
		tx.Put(1, []byte("k0"), &Meta{Type: TypeString, Tag: []byte("t")})
		// a stale entry: no such key
		tx.put(bTag, appendTagKey(nil, appendMetaKey(nil, tx.nsOf(0), []byte("ghost")), []byte("t")), nil)
	})
	total, rounds := 0, 0
	for more := true; more; rounds++ {
		update(t, db, func(tx *Tx) {
			var n int
			n, more = tx.EvictTag(0, []byte("t"), 10, nil)
			total += n
		})
	}
	if total != 25 || rounds != 3 {
		t.Fatalf("evicted %d in %d rounds, want 25 in 3", total, rounds)
	}
	wantIndex(t, db, "0/tt/other", "1/t/k0")
}

func TestTags_SplitTagKey_RoundTrip(t *testing.T) {
	mk := appendMetaKey(nil, 7, []byte("some key"))
	tag, back, ok := splitTagKey(appendTagKey(nil, mk, []byte("tag\x00x")))
	if !ok || string(tag) != "tag\x00x" || !bytes.Equal(back, mk) {
		t.Fatalf("round trip: %q %x %v", tag, back, ok)
	}
	if _, _, ok := splitTagKey([]byte{0, 0, 0, 1, 0, 0, 0, 9, 'a'}); ok {
		t.Fatal("malformed entry accepted")
	}
}
