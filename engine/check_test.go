package engine

import (
	"strings"
	"testing"
)

// corruptForTest is the test-only hook: it damages one thing of each kind
// CACHE.CHECK verifies.
func corruptForTest(t *testing.T, db *DB) {
	t.Helper()
	update(t, db, func(tx *Tx) {
		ns := tx.nsOf(0)
		mkTagged := appendMetaKey(nil, ns, []byte("tagged"))
		tx.del(bTag, appendTagKey(nil, mkTagged, []byte("red"))) // missing tag entry
		ghost := appendMetaKey(nil, ns, []byte("ghost"))
		tx.put(bExpire, appendExpireKey(nil, tx.Now+5000, ghost), nil) // stale expire entry
		tx.put(bTag, appendTagKey(nil, ghost, []byte("red")), nil)     // stale tag entry
		m, _, _ := tx.Peek(0, []byte("h"))                             // Peek: no access, the order stays
		m.Count = 7
		tx.put(bMeta, appendMetaKey(nil, ns, []byte("h")), appendMeta(nil, &m)) // count mismatch
		tx.put(bData, appendDataKey(nil, 999_999, []byte("x")), []byte("y"))    // orphan
		cn := tx.counter(ns)
		cn.keys += 3 // counters
		cn.dirty = true
		mkPlain := appendMetaKey(nil, ns, []byte("plain"))
		pm, _, _ := tx.Peek(0, []byte("plain"))
		s := keyStateOf(&pm)
		o1, o2, _ := tx.db.ev.order(mkPlain, &s)
		tx.del(bEvict, appendEvictKey(nil, tx.db.ev.gen, o1, o2, mkPlain)) // missing evict entry
	})
}

func TestCheck_CorruptedIndexes_FoundAndFixed(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	db.SetEvictPolicy(PolicyAllKeysLRU)
	for done := false; !done; {
		var err error
		if done, err = db.IndexStep(1000); err != nil {
			t.Fatal(err)
		}
	}
	update(t, db, func(tx *Tx) {
		tx.Put(0, []byte("tagged"), &Meta{Type: TypeString, Value: []byte("v"), Tag: []byte("red"), ExpireAt: tx.Now + 60_000})
		tx.Put(0, []byte("plain"), &Meta{Type: TypeString, Value: []byte("v")})
		h := &Meta{Type: TypeHash, Count: 2}
		tx.Put(0, []byte("h"), h)
		tx.ElemPut(h.Version, []byte("a"), []byte("1"))
		tx.ElemPut(h.Version, []byte("b"), []byte("2"))
		tx.Put(1, []byte("other"), &Meta{Type: TypeString, Tag: []byte("blue")})
	})
	rep, err := db.Check(false, nil)
	if err != nil || rep.Count != 0 || rep.Keys != 4 {
		t.Fatalf("clean store: %+v %v", rep, err)
	}
	corruptForTest(t, db)
	rep, _ = db.Check(false, nil)
	want := []string{"missing tag entry", "stale expire entry", "stale tag entry", "count mismatch",
		"orphaned elements", "key counters", "missing eviction index entry"}
	all := strings.Join(rep.Problems, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("CHECK did not report %q; got:\n%s", w, all)
		}
	}
	if rep.Count != len(want) {
		t.Errorf("%d problems, want %d:\n%s", rep.Count, len(want), all)
	}
	if again, _ := db.Check(false, nil); again.Count != rep.Count {
		t.Fatalf("CHECK without FIX changed something: %d then %d", rep.Count, again.Count)
	}
	if fixed, _ := db.Check(true, nil); fixed.Count != rep.Count {
		t.Fatalf("FIX saw %d problems, want %d", fixed.Count, rep.Count)
	}
	if after, _ := db.Check(false, nil); after.Count != 0 {
		t.Fatalf("after FIX: %v", after.Problems)
	}
	var n int64
	db.View(func(tx *Tx) error {
		n, _ = tx.KeyCounts(0)
		m, _, _ := tx.Lookup(0, []byte("h"))
		if m.Count != 2 {
			t.Errorf("h count %d after FIX", m.Count)
		}
		return nil
	})
	if n != 3 {
		t.Errorf("db 0 counts %d keys after FIX, want 3", n)
	}
	// the orphan was queued and is reclaimed
	for {
		if k, _ := db.ReclaimNow(1000); k == 0 {
			break
		}
	}
	if rep, _ := db.Check(false, nil); rep.Count != 0 {
		t.Fatalf("after reclaim: %v", rep.Problems)
	}
}
