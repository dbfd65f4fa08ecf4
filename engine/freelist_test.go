package engine

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// latestMetaFreelist reads the two bbolt meta pages of a closed data file
// and returns the free-list page id recorded by the newer one
// (^uint64(0) = no free list written). Layout (bbolt 1.x): a 16-byte page
// header, then magic, version, page size, flags (4 bytes each), the root
// bucket (16), the free-list page id (8), the high-water mark (8) and the
// transaction id (8).
func latestMetaFreelist(t *testing.T, path string) uint64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := int(binary.LittleEndian.Uint32(b[16+8:]))
	var best, txid uint64
	for i := 0; i < 2; i++ {
		m := b[i*pageSize+16:]
		if binary.LittleEndian.Uint32(m) != 0xED0CDAED {
			t.Fatalf("meta page %d has no bbolt magic", i)
		}
		if tx := binary.LittleEndian.Uint64(m[48:]); i == 0 || tx > txid {
			best, txid = binary.LittleEndian.Uint64(m[32:]), tx
		}
	}
	return best
}

// TestFreelist_PersistedPerPassAndAtClose: flush chunks leave the
// free-page list out (it is rewritten whole at each commit otherwise), the
// end of each pass and a clean Close write it once, so a start after a
// crash while the flusher was idle reads it; a crash in the middle of a
// pass (last commit without the list) reopens with the list rebuilt by
// walking the file and keeps working.
func TestFreelist_PersistedPerPassAndAtClose(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	db := openSmall(t, dir, FsyncNo, 64<<10) // tiny overlay: many flushes
	for i := 0; i < 3000; i++ {
		setStr(t, db, 0, fmt.Sprint("k", i), fmt.Sprint("value-", i), 0)
	}
	for i := 0; i < 3000; i += 2 {
		db.Update(func(tx *Tx) error { tx.Delete(0, []byte(fmt.Sprint("k", i))); return nil })
	}
	if db.Stats().Flushes.Load() < 3 {
		t.Fatalf("only %d flushes", db.Stats().Flushes.Load())
	}
	for deadline := time.Now().Add(5 * time.Second); len(db.view.Load().imm) > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("frozen memtables not flushed within 5 s")
		}
	}
	db.flushMu.Lock() // the flusher is idle: nothing commits while we look
	idle := latestMetaFreelist(t, path)
	// A chunk commit as in the middle of a pass: no list in the meta.
	if err := db.bolt.Update(func(*bolt.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	mid := latestMetaFreelist(t, path)
	db.flushMu.Unlock()
	db.crashForTest()
	if idle == ^uint64(0) {
		t.Fatal("the end of a flush pass did not persist the free list")
	}
	if mid != ^uint64(0) {
		t.Fatalf("a chunk commit wrote the free list (page %d)", mid)
	}

	db = openSmall(t, dir, FsyncNo, 64<<10) // rebuilds the list by walking the file
	if free := db.bolt.Stats().FreePageN; free == 0 {
		t.Fatal("no free pages after rebuilding the free list (the deletes freed some)")
	}
	for i := 0; i < 3000; i++ {
		v, ok := getStr(t, db, 0, fmt.Sprint("k", i))
		if ok != (i%2 == 1) || (ok && v != fmt.Sprint("value-", i)) {
			t.Fatalf("k%d = %q %v after reopening", i, v, ok)
		}
	}
	setStr(t, db, 0, "after", "reopen", 0)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if fl := latestMetaFreelist(t, path); fl == ^uint64(0) {
		t.Fatal("Close did not persist the free list")
	}
	if err := CheckFile(path); err != nil {
		t.Fatal(err)
	}
}
