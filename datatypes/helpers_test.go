package datatypes

import (
	"testing"

	"github.com/diskcached/diskcached/engine"
)

// openTestDB opens a throwaway engine, closed when the test ends.
func openTestDB(t testing.TB) *engine.DB {
	t.Helper()
	db, err := engine.Open(engine.Options{Dir: t.TempDir(), Fsync: engine.FsyncNo})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// mustUpdate runs fn in a write transaction and fails the test on error.
func mustUpdate(t testing.TB, db *engine.DB, fn func(tx *engine.Tx) error) {
	t.Helper()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}
