package engine

import (
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// Seams for online compaction (compact.go). While the flusher is held,
// bbolt does not change: writes keep landing in the overlay and the log.
// Swapping the file excludes every bbolt reader for the instant of
// close-rename-reopen.

// initSeams wires the compaction seams (called by Open).
func (db *DB) initSeams() {
	db.holdFlush = db.holdFlusher
	db.swapFile = db.swapBolt
}

// holdFlusher stops memtables from moving into bbolt until release is
// called. A flush in progress completes first.
func (db *DB) holdFlusher() (release func()) {
	db.flushMu.Lock()
	return db.flushMu.Unlock
}

// swapBolt replaces the bbolt file with the file at src (built from the
// current one while the flusher was held) and reopens it.
func (db *DB) swapBolt(src string) error {
	db.boltMu.Lock()
	defer db.boltMu.Unlock()
	path := db.bolt.Path()
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close data file for swap: %w", err)
	}
	if err := os.Rename(src, path); err != nil {
		// Keep serving from the old file.
		if b, oerr := bolt.Open(path, 0o644, boltOptions(db.opts.PageSize)); oerr == nil {
			db.bolt = b
		}
		return fmt.Errorf("swap data file: %w", err)
	}
	if err := syncDir(db.opts.Dir); err != nil {
		db.log.Warn().Err(err).Msg("fsync of the data directory after swap failed")
	}
	b, err := bolt.Open(path, 0o644, boltOptions(db.opts.PageSize))
	if err != nil {
		db.lastErr.Store(err.Error())
		return fmt.Errorf("reopen data file after swap: %w", err)
	}
	db.bolt = b
	return nil
}

// beginBolt opens a bbolt read transaction, excluding a file swap for as
// long as it lives: call the returned end when done.
func (db *DB) beginBolt() (*bolt.Tx, func(), error) {
	db.boltMu.RLock()
	btx, err := db.bolt.Begin(false)
	if err != nil {
		db.boltMu.RUnlock()
		return nil, nil, err
	}
	return btx, func() { btx.Rollback(); db.boltMu.RUnlock() }, nil
}
