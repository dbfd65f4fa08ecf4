package engine

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestBoltGet_StepsMatchSeeks: point lookups through the stepping cursor
// answer as bbolt's own Get for runs of neighbouring keys in both
// directions (present keys, gaps, both ends of the bucket, keys past the
// ends), jumps, repeats and random keys, in one transaction.
func TestBoltGet_StepsMatchSeeks(t *testing.T) {
	db := openSmall(t, t.TempDir(), FsyncNo, 1<<20)
	defer db.Close()
	key := func(n uint64) []byte { return binary.BigEndian.AppendUint64([]byte("v0000000"), n) }
	// Keys 1000..5999 with every seventh missing, values derived from them;
	// 3000 elements span many leaf pages, so steps cross page boundaries.
	present := func(n uint64) bool { return n >= 1000 && n < 6000 && n%7 != 0 }
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		bk := btx.Bucket(bucketNames[bData])
		for n := uint64(1000); n < 6000; n++ {
			if present(n) {
				if err := bk.Put(key(n), append([]byte("val"), key(n)...)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var probes []uint64
	for n := uint64(990); n < 6010; n++ { // ascending through both ends
		probes = append(probes, n)
	}
	for n := uint64(6010); n > 985; n-- { // descending
		probes = append(probes, n)
	}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		switch r.Intn(4) {
		case 0: // random jump
			probes = append(probes, uint64(900+r.Intn(5300)))
		case 1: // repeat
			probes = append(probes, probes[len(probes)-1])
		default: // a short walk either way
			last, d := probes[len(probes)-1], uint64(1+r.Intn(3))
			if r.Intn(2) == 0 && last > d {
				probes = append(probes, last-d)
			} else {
				probes = append(probes, last+d)
			}
		}
	}
	probes = append(probes, 1<<16+1000, 1000, 1<<16+999) // differ beyond the last two bytes
	btx, end, err := db.beginBolt()
	if err != nil {
		t.Fatal(err)
	}
	defer end()
	tx := getTx(db, btx, false)
	defer putTx(tx)
	for i, n := range probes {
		got := tx.boltGet(bData, key(n))
		want := btx.Bucket(bucketNames[bData]).Get(key(n))
		if present(n) != (want != nil) {
			t.Fatalf("setup: key %d present=%v but bbolt says %q", n, present(n), want)
		}
		if !bytes.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("probe %d (key %d after key %d): got %q, want %q", i, n, probes[max(i-1, 0)], got, want)
		}
	}
}

// TestPut_PendingCollectionRecord_RewrittenInPlace: a pipeline's repeated
// writes of one collection's record reuse the held-back record (no new
// item), while string and tagged records, whose decoded Value and Tag
// alias the record, get a new one (an old Meta keeps its bytes).
func TestPut_PendingCollectionRecord_RewrittenInPlace(t *testing.T) {
	db := openSmall(t, t.TempDir(), FsyncNo, 1<<20)
	defer db.Close()
	var problems []string
	fail := func(s string) { problems = append(problems, s) }
	err := db.Update(func(tx *Tx) error {
		h := []byte("h")
		tx.Put(0, h, &Meta{Type: TypeHash, Count: 1})
		p := tx.pendMeta
		m, _, _ := tx.Lookup(0, h)
		m.Count = 2
		tx.Put(0, h, &m)
		if tx.pendMeta != p {
			fail("a hash record of the same length got a new pending item")
		}
		if m2, ok, _ := tx.Lookup(0, h); !ok || m2.Count != 2 || m2.Version != m.Version {
			fail("the rewritten hash record does not read back")
		}
		s := []byte("s")
		tx.Put(0, s, &Meta{Type: TypeString, Value: []byte("aa")})
		ps := tx.pendMeta
		old, _, _ := tx.Lookup(0, s)
		tx.Put(0, s, &Meta{Type: TypeString, Value: []byte("bb")})
		if tx.pendMeta == ps || string(old.Value) != "aa" {
			fail("a string record was rewritten in place under a Meta aliasing it")
		}
		tg := []byte("t")
		tx.Put(0, tg, &Meta{Type: TypeSet, Count: 1, Tag: []byte("x")})
		pt := tx.pendMeta
		oldT, _, _ := tx.Lookup(0, tg)
		oldT.Count, oldT.Tag = 2, []byte("y")
		tx.Put(0, tg, &oldT)
		if tx.pendMeta == pt {
			fail("a tagged record was rewritten in place")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	db.View(func(tx *Tx) error {
		if m, ok, _ := tx.Lookup(0, []byte("h")); !ok || m.Count != 2 {
			t.Errorf("hash record after commit: ok=%v count=%d, want 2", ok, m.Count)
		}
		if m, ok, _ := tx.Lookup(0, []byte("t")); !ok || m.Count != 2 || string(m.Tag) != "y" {
			t.Errorf("tagged record after commit: ok=%v count=%d tag=%q", ok, m.Count, m.Tag)
		}
		return nil
	})
}
