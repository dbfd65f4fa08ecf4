package engine

// Reclaiming disk: bbolt reuses freed pages but never shrinks its file.
// Compaction copies the live pages into a fresh file (diskcached.db.compact),
// packed full, then swaps it in.
//
// Online, while serving, the algorithm is:
//
//  1. Hold the flusher: bbolt stops changing; writes keep landing in the
//     overlay and the write-ahead log (the overlay's back-pressure bounds
//     them). [seam: DB.holdFlush, provided by the storage layer]
//  2. Copy bbolt into diskcached.db.compact with compactInto (bbolt's own
//     compaction walk, pages filled to 100 %, a commit every 64 MiB).
//  3. Swap: with bbolt readers excluded, close the old file, rename the
//     copy over it, reopen, release the flusher. Nothing acknowledged is
//     lost: every write since step 1 is still in the overlay and the log,
//     and is flushed into the new file. [seam: DB.swapFile]
//
// Until the storage layer provides the two seams, StartCompaction reports
// ErrCompactionUnavailable and CompactFile serves offline use (a closed
// data directory, tests, tooling).

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CompactSuffix names the copy being built next to the data file.
const CompactSuffix = ".compact"

// ErrCompactionUnavailable is returned while online compaction lacks the
// storage layer's hold/swap seams.
var ErrCompactionUnavailable = errors.New("online compaction is not available in this build")

// ErrCompactionRunning is returned when a compaction is already running.
var ErrCompactionRunning = errors.New("a compaction is already in progress")

// CompactionStatus is what INFO shows about compaction.
type CompactionStatus struct {
	Running     bool
	Started     time.Time
	CopiedBytes int64 // progress of the running one
	Last        CompactResult
}

// CompactResult is the outcome of the last compaction.
type CompactResult struct {
	At          time.Time
	Took        time.Duration
	BeforeBytes int64
	AfterBytes  int64
	Err         string // "" = ok
}

type compactState struct {
	mu     sync.Mutex
	status CompactionStatus
}

func (db *DB) compactState() *compactState { return &db.compact }

// Compaction returns the current compaction status.
func (db *DB) Compaction() CompactionStatus {
	cs := db.compactState()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.status
}

// StartCompaction starts an online compaction in the background (BGREWRITEAOF
// and the automatic trigger call it).
func (db *DB) StartCompaction() error {
	if db.holdFlush == nil || db.swapFile == nil {
		return ErrCompactionUnavailable
	}
	cs := db.compactState()
	cs.mu.Lock()
	if cs.status.Running {
		cs.mu.Unlock()
		return ErrCompactionRunning
	}
	cs.status.Running, cs.status.Started, cs.status.CopiedBytes = true, time.Now(), 0
	cs.mu.Unlock()
	go func() {
		res := db.compactOnline(cs)
		cs.mu.Lock()
		cs.status.Running, cs.status.Last = false, res
		cs.mu.Unlock()
		if res.Err != "" {
			db.log.Error().Str("err", res.Err).Msg("compaction failed")
		} else {
			db.log.Info().Int64("before", res.BeforeBytes).Int64("after", res.AfterBytes).
				Dur("took", res.Took).Msg("compaction done")
		}
	}()
	return nil
}

// compactOnline runs steps 1–3 of the package comment.
func (db *DB) compactOnline(cs *compactState) (res CompactResult) {
	start := time.Now()
	res.At = start
	path := db.bolt.Path()
	res.BeforeBytes = fileSize(path)
	fail := func(err error) CompactResult {
		os.Remove(path + CompactSuffix)
		res.Err, res.Took = err.Error(), time.Since(start)
		return res
	}
	release := db.holdFlush()
	defer release()
	tmp := path + CompactSuffix
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o644, &bolt.Options{Timeout: time.Second, NoSync: true, PageSize: db.opts.PageSize})
	if err != nil {
		return fail(err)
	}
	err = compactInto(dst, db.bolt, func(n int64) {
		cs.mu.Lock()
		cs.status.CopiedBytes = n
		cs.mu.Unlock()
	})
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	if err := db.swapFile(tmp); err != nil {
		return fail(err)
	}
	res.AfterBytes = fileSize(path)
	res.Took = time.Since(start)
	return res
}

// CompactFile compacts the bbolt file at src (which no process may have
// open) into dst, and returns both sizes. With replace, dst is renamed
// over src afterwards.
func CompactFile(src, dst string, replace bool) (before, after int64, err error) {
	before = fileSize(src)
	sdb, err := bolt.Open(src, 0o644, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		return before, 0, fmt.Errorf("open %s: %w", src, err)
	}
	defer sdb.Close()
	os.Remove(dst)
	ddb, err := bolt.Open(dst, 0o644, &bolt.Options{Timeout: time.Second, NoSync: true, PageSize: sdb.Info().PageSize})
	if err != nil {
		return before, 0, err
	}
	err = compactInto(ddb, sdb, nil)
	if err == nil {
		err = ddb.Sync()
	}
	if cerr := ddb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return before, 0, err
	}
	after = fileSize(dst)
	if replace {
		sdb.Close()
		if err := os.Rename(dst, src); err != nil {
			return before, after, err
		}
	}
	return before, after, nil
}

// compactInto copies every bucket of src into the empty dst with pages
// filled completely, committing every 64 MiB so memory stays bounded.
// progress (may be nil) receives the bytes copied so far.
func compactInto(dst, src *bolt.DB, progress func(int64)) error {
	const txMax = 64 << 20
	var copied int64
	tx, err := dst.Begin(true)
	if err != nil {
		return err
	}
	defer func() { tx.Rollback() }()
	var size int64
	err = src.View(func(stx *bolt.Tx) error {
		return stx.ForEach(func(name []byte, sb *bolt.Bucket) error {
			db, err := tx.CreateBucketIfNotExists(name)
			if err != nil {
				return err
			}
			db.FillPercent = 1.0
			db.SetSequence(sb.Sequence())
			c := sb.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if v == nil {
					continue // nested buckets are not used by diskcached
				}
				if size+int64(len(k)+len(v)) > txMax {
					if err := tx.Commit(); err != nil {
						return err
					}
					if tx, err = dst.Begin(true); err != nil {
						return err
					}
					if db = tx.Bucket(name); db == nil {
						return fmt.Errorf("compact: bucket %q vanished", name)
					}
					db.FillPercent = 1.0
					size = 0
					if progress != nil {
						progress(copied)
					}
				}
				if err := db.Put(k, v); err != nil {
					return err
				}
				size += int64(len(k) + len(v))
				copied += int64(len(k) + len(v))
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if progress != nil {
		progress(copied)
	}
	return tx.Commit()
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}
