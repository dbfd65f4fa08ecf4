package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// A new data file takes the configured page size (16 KiB by default), an
// existing one keeps its own whatever is configured, and an online
// compaction rewrites it at the configured size with the data intact.
func TestPageSize_NewFileConfiguredExistingKept(t *testing.T) {
	open := func(dir string, size int) *DB {
		t.Helper()
		db, err := Open(Options{Dir: dir, Fsync: FsyncNo, PageSize: size, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return db
	}
	fresh := openTest(t, "", FsyncNo)
	if got := fresh.Usage().PageSize; got != DefaultPageSize || DefaultPageSize != 16384 {
		t.Fatalf("default page size %d, want 16384", got)
	}
	fresh.Close()

	dir := t.TempDir()
	db := open(dir, 8192)
	for i := range 2000 {
		setStr(t, db, 0, fmt.Sprintf("key:%d", i), "value", 0)
	}
	if got := db.Usage().PageSize; got != 8192 {
		t.Fatalf("new file page size %d, want 8192", got)
	}
	db.Close()

	db = open(dir, 32768)
	defer func() { db.Close() }()
	if got := db.Usage().PageSize; got != 8192 {
		t.Fatalf("reopened file page size %d, want its own 8192", got)
	}
	if err := db.StartCompaction(); err != nil {
		t.Fatalf("compaction: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for db.Compaction().Running || db.Compaction().Last.At.IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("compaction did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if res := db.Compaction().Last; res.Err != "" {
		t.Fatalf("compaction: %s", res.Err)
	}
	if got := db.Usage().PageSize; got != 32768 {
		t.Fatalf("compacted file page size %d, want the configured 32768", got)
	}
	for _, i := range []int{0, 777, 1999} {
		if v, ok := getStr(t, db, 0, fmt.Sprintf("key:%d", i)); !ok || v != "value" {
			t.Fatalf("key:%d after compaction = %q, %v", i, v, ok)
		}
	}
}
