package engine

// Disk usage: what maxmemory limits and used_memory reports.
//
// LogicalBytes is exact: the sum over every meta record (key + encoded
// record) and every collection element (data key + value) of their bytes,
// maintained by the write hooks (Put, record removal, ElemPut, ElemDelete,
// the reclaimer) and persisted in the sys bucket with each batch. Elements
// of a deleted collection count until the reclaimer has removed them — they
// occupy the disk until then.
//
// The budget is enforced on
//
//	UsedBytes = LogicalBytes × ratio
//
// where ratio = (bytes inside bbolt's pages) / (logical bytes in bbolt), both
// summed by the same walk (so a pass spanning several transactions stays
// self-consistent).
// "Bytes inside pages" is what bbolt's Bucket.Stats calls LeafInuse: every
// entry of every bucket (meta, data, expire and order indexes, sys) as key
// + value + bbolt's 16-byte element header. It is measured by an
// incremental cursor walk (pageScan: a bounded number of entries per read
// transaction, one step per measurement) and a new pass starts at most
// every scanEvery, so the cost is bounded however large the store is.
// The ratio absorbs per-entry overhead and index entries, but not the
// empty space inside half-filled pages (page slack) or free pages: those
// are fragmentation, as Redis's used_memory excludes allocator
// fragmentation. Slack depends on the history of writes and deletes (after
// eviction churn bbolt's pages are about half full), so a budget on whole
// pages would hold ever fewer keys; this one holds the same number of keys
// whatever the history. InUseBytes (whole pages) and FileBytes are
// reported next to it.
//
// Writes see the limit immediately (the logical figure moves with every
// write, including what is still in the write-ahead log and memtables).

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// defaultRatio is the in-page/logical ratio assumed until the first scan:
// bbolt's 16-byte element header per entry plus the order-index entry of
// every key, for small values.
const defaultRatio = 1.5

// minRatioSample is the logical size under which the ratio is not
// measured (a handful of entries says little about the mix).
const minRatioSample = 1 << 20

// Page scan bounds: entries walked per read transaction (one step per
// measurement), and how often a new pass may start. A pass also starts at
// once when the logical size moved by more than a quarter since the last
// one (a load or a flush changes the mix).
const (
	scanStep  = 250_000
	scanEvery = 10 * time.Second
	elemHdr   = 16 // bbolt leafPageElementSize
)

var sysLogical = []byte("usage:logical")

// Usage is a snapshot of the store's disk figures.
type Usage struct {
	FileBytes    int64   // size of the bbolt file
	FreeBytes    int64   // free and pending pages inside the file (reusable; compaction returns them)
	InUseBytes   int64   // bbolt pages holding data: high-water mark minus free pages
	PageBytes    int64   // bytes inside pages at the last complete scan (keys, values, element headers)
	LogicalBytes int64   // exact key+record+element bytes (see package comment)
	UsedBytes    int64   // LogicalBytes × Ratio: the figure maxmemory limits (used_memory)
	Ratio        float64 // in-page bytes per logical byte (last complete scan)
	OverlayBytes int64   // writes in memory not yet in bbolt
	PageSize     int
	Limit        int64 // maxmemory
}

// pageScan is the incremental walk measuring bytes inside pages, one step
// at a time (MeasureUsage, MeasureRatioNow; busy keeps steps apart).
type pageScan struct {
	busy     atomic.Bool // a step is running (background goroutine)
	mu       sync.Mutex
	active   bool
	bucket   int    // bucket being walked
	after    []byte // last key walked in it
	sum      int64  // in-page bytes so far in this pass
	logical  int64  // logical bytes (meta and data buckets) so far
	doneAt   time.Time
	lastPage int64 // result of the last complete pass
	lastLog  int64 // logical bytes in bbolt when it completed
}

func (ev *evictState) setRatio(r float64) { ev.ratioBit.Store(math.Float64bits(r)) }

// Ratio is the current in-page/logical ratio.
func (db *DB) Ratio() float64 { return math.Float64frombits(db.ev.ratioBit.Load()) }

// UsedBytes is the figure maxmemory limits and INFO's used_memory reports:
// the exact logical size times the measured in-page ratio. O(1).
func (db *DB) UsedBytes() int64 {
	return int64(float64(db.ev.logical.Load()) * db.Ratio())
}

// LogicalBytes is the exact logical size.
func (db *DB) LogicalBytes() int64 { return db.ev.logical.Load() }

// Usage measures bbolt's page figures (one short read transaction) and
// returns every figure. It does not change the ratio.
func (db *DB) Usage() Usage {
	return db.measure()
}

// MeasureUsage returns the figures and starts one bounded step of the page
// scan in the background (unless one is running); a step that completes a
// pass updates the ratio UsedBytes applies. The evictor calls it
// periodically.
func (db *DB) MeasureUsage() Usage {
	if db.ev.scan.busy.CompareAndSwap(false, true) {
		go func() {
			defer db.ev.scan.busy.Store(false)
			db.scanOnce()
		}()
	}
	return db.measure()
}

// MeasureRatioNow runs a complete page scan at once and applies its ratio
// (tests and benchmarks; O(entries)).
func (db *DB) MeasureRatioNow() {
	sc := &db.ev.scan
	for !sc.busy.CompareAndSwap(false, true) {
		time.Sleep(time.Millisecond)
	}
	defer sc.busy.Store(false)
	sc.mu.Lock()
	sc.active, sc.doneAt = false, time.Time{}
	sc.mu.Unlock()
	for i := 0; i < 1<<20; i++ {
		if idle := db.scanOnce(); idle {
			return
		}
	}
}

// measure reads bbolt's page figures.
func (db *DB) measure() (u Usage) {
	u.LogicalBytes = db.ev.logical.Load()
	u.Ratio = db.Ratio()
	u.UsedBytes = db.UsedBytes()
	u.Limit = db.ev.limit.Load()
	db.ev.scan.mu.Lock()
	u.PageBytes = db.ev.scan.lastPage
	db.ev.scan.mu.Unlock()
	if db.closed.Load() {
		return u
	}
	u.OverlayBytes = db.OverlayBytes()
	btx, end, err := db.beginBolt() // excludes a compaction's file swap
	if err != nil {
		return u
	}
	defer end()
	hwm := btx.Size()
	u.PageSize = btx.DB().Info().PageSize
	st := btx.DB().Stats()
	u.FreeBytes = int64(st.FreePageN+st.PendingPageN) * int64(u.PageSize)
	u.InUseBytes = hwm - u.FreeBytes
	if fi, err := os.Stat(btx.DB().Path()); err == nil {
		u.FileBytes = fi.Size()
	}
	return u
}

// scanOnce runs one step of the page scan and reports whether no pass is
// in progress afterwards. It needs bbolt to hold whole memtables: the
// flusher writes one in several transactions (buckets in order, the
// logical counter last), so a snapshot taken mid-flush mixes states.
// Holding flushMu while the read transaction begins excludes that (it may
// wait for the flush in progress, hence the background goroutine).
func (db *DB) scanOnce() (idle bool) {
	if db.closed.Load() {
		return true
	}
	db.flushMu.Lock()
	btx, end, err := db.beginBolt() // excludes a compaction's file swap
	db.flushMu.Unlock()
	if err != nil {
		return true
	}
	defer end()
	var onDisk int64
	if b := btx.Bucket(bucketNames[bSys]); b != nil {
		onDisk = int64(u64(b.Get(sysLogical)))
	}
	return db.scanStep(btx, onDisk)
}

// scanStep starts a pass when one is due, walks up to scanStep entries of
// it, and applies the ratio when the pass completes.
func (db *DB) scanStep(btx *bolt.Tx, onDisk int64) (idle bool) {
	sc := &db.ev.scan
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if !sc.active {
		moved := onDisk > sc.lastLog+sc.lastLog/4 || onDisk < sc.lastLog-sc.lastLog/4
		if onDisk < minRatioSample || (time.Since(sc.doneAt) < scanEvery && !moved) {
			return true
		}
		sc.active, sc.bucket, sc.after, sc.sum, sc.logical = true, 0, nil, 0, 0
	}
	n := 0
	for ; sc.bucket < len(bucketNames); sc.bucket, sc.after = sc.bucket+1, nil {
		b := btx.Bucket(bucketNames[sc.bucket])
		if b == nil {
			continue
		}
		c := b.Cursor()
		var k, v []byte
		if sc.after == nil {
			k, v = c.First()
		} else if k, v = c.Seek(sc.after); k != nil && bytes.Equal(k, sc.after) {
			k, v = c.Next()
		}
		logical := sc.bucket == int(bMeta) || sc.bucket == int(bData)
		for ; k != nil; k, v = c.Next() {
			sc.sum += int64(len(k) + len(v) + elemHdr)
			if logical {
				sc.logical += int64(len(k) + len(v))
			}
			if n++; n >= scanStep {
				sc.after = append(sc.after[:0], k...)
				return false
			}
		}
	}
	sc.active, sc.doneAt = false, time.Now()
	sc.lastPage, sc.lastLog = sc.sum, onDisk
	if sc.logical >= minRatioSample {
		db.ev.setRatio(math.Max(1, math.Min(float64(sc.sum)/float64(sc.logical), 16)))
	}
	return true
}

// addLogical records a change of the logical size (write hooks).
func (tx *Tx) addLogical(d int64) {
	if d != 0 {
		tx.db.ev.logical.Add(d)
		tx.db.ev.logicalDirty = true
	}
}

// finishUsage persists the logical size with the batch (tx.finish hook).
func (tx *Tx) finishUsage() {
	tx.finishDBUsage() // per-db usage (dblimit.go)
	if tx.db.ev.logicalDirty {
		tx.db.ev.logicalDirty = false
		tx.put(bSys, sysLogical, putU64(uint64(tx.db.ev.logical.Load())))
	}
}

// elemPutHook accounts an element write; k is the data key, old the value
// it replaces (nil = new).
func (tx *Tx) elemPutHook(k, old, val []byte) {
	d := int64(len(k) + len(val))
	if old != nil {
		d -= int64(len(k) + len(old))
	}
	tx.addLogical(d)
	tx.dbAccountElem(k, d) // per-db usage (dblimit.go)
}

// elemDelHook accounts an element removal (old == nil: nothing was there).
func (tx *Tx) elemDelHook(k, old []byte) {
	if old != nil {
		tx.addLogical(-int64(len(k) + len(old)))
		tx.dbAccountElem(k, -int64(len(k)+len(old))) // per-db usage (dblimit.go)
	}
}

// loadUsage reads the persisted logical size, computing it once by a scan
// when the store predates usage accounting (Open).
func (db *DB) loadUsage() error {
	return db.Update(func(tx *Tx) error {
		tx.loadIndexState()
		tx.loadDBUsage() // per-db usage, settings, indexes (dblimit.go)
		if v := tx.get(bSys, sysLogical); len(v) == 8 {
			db.ev.logical.Store(int64(binary.BigEndian.Uint64(v)))
			return nil
		}
		var n int64
		for _, b := range []bucketID{bMeta, bData} {
			c := tx.cursor(b)
			for k, v := c.First(); k != nil; k, v = c.Next() {
				n += int64(len(k) + len(v))
			}
		}
		db.ev.logical.Store(n)
		db.ev.logicalDirty = true
		return nil
	})
}
