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
