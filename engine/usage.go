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
// InUseBytes is bbolt's truth: pages up to the high-water mark minus free
// and pending pages. It lags writes (pages are written when the overlay is
// flushed, freed pages are reused later), so the budget is enforced on
//
//	UsedBytes = LogicalBytes × ratio
//
// where ratio is measured as InUseBytes / (logical bytes stored in bbolt),
// the latter read from the copy of the counter that reached bbolt with the
// same flush. Writes therefore see the limit immediately, and the figure
// tracks the real page use as it is measured.

import (
	"encoding/binary"
	"math"
	"os"
)

// defaultRatio is the in-use/logical ratio assumed until measured: bbolt
// leaves split pages about 2/3 full, and every key also has index entries.
const defaultRatio = 1.6

// minRatioSample is the logical size under which the ratio is not
// measured (bbolt's fixed pages would dominate it).
const minRatioSample = 1 << 20

var sysLogical = []byte("usage:logical")

// Usage is a snapshot of the store's disk figures.
type Usage struct {
	FileBytes    int64   // size of the bbolt file
	FreeBytes    int64   // free and pending pages inside the file (reusable; compaction returns them)
	InUseBytes   int64   // bbolt pages holding data: high-water mark minus free pages
	LogicalBytes int64   // exact key+record+element bytes (see package comment)
	UsedBytes    int64   // LogicalBytes × Ratio: the figure maxmemory limits (used_memory)
	Ratio        float64 // measured in-use bytes per logical byte
	OverlayBytes int64   // writes in memory not yet in bbolt
	PageSize     int
	Limit        int64 // maxmemory
}

func (ev *evictState) setRatio(r float64) { ev.ratioBit.Store(math.Float64bits(r)) }

// Ratio is the current in-use/logical ratio.
func (db *DB) Ratio() float64 { return math.Float64frombits(db.ev.ratioBit.Load()) }

// UsedBytes is the figure maxmemory limits and INFO's used_memory reports:
// the exact logical size times the measured page ratio. O(1).
func (db *DB) UsedBytes() int64 {
	return int64(float64(db.ev.logical.Load()) * db.Ratio())
}

// LogicalBytes is the exact logical size.
func (db *DB) LogicalBytes() int64 { return db.ev.logical.Load() }

// Usage measures bbolt (one short read transaction) and returns every
// figure. It does not change the ratio; MeasureUsage does.
func (db *DB) Usage() Usage {
	u, _ := db.measure()
	return u
}

// MeasureUsage measures bbolt and updates the ratio UsedBytes applies
// (smoothed, when enough data is on disk to measure it). The evictor calls
// it periodically.
func (db *DB) MeasureUsage() Usage {
	u, onDisk := db.measure()
	if onDisk >= minRatioSample && u.InUseBytes > 0 {
		r := float64(u.InUseBytes) / float64(onDisk)
		r = math.Max(1, math.Min(r, 16))
		old := db.Ratio()
		db.ev.setRatio(0.5*old + 0.5*r)
		u.Ratio = db.Ratio()
		u.UsedBytes = db.UsedBytes()
	}
	return u
}

// measure reads bbolt's page figures and the logical size bbolt holds.
func (db *DB) measure() (u Usage, onDisk int64) {
	u.LogicalBytes = db.ev.logical.Load()
	u.Ratio = db.Ratio()
	u.UsedBytes = db.UsedBytes()
	u.Limit = db.ev.limit.Load()
	if db.closed.Load() {
		return u, 0
	}
	u.OverlayBytes = db.OverlayBytes()
	btx, end, err := db.beginBolt() // excludes a compaction's file swap
	if err != nil {
		return u, 0
	}
	defer end()
	hwm := btx.Size()
	u.PageSize = btx.DB().Info().PageSize
	if b := btx.Bucket(bucketNames[bSys]); b != nil {
		onDisk = int64(u64(b.Get(sysLogical)))
	}
	st := btx.DB().Stats()
	u.FreeBytes = int64(st.FreePageN+st.PendingPageN) * int64(u.PageSize)
	u.InUseBytes = hwm - u.FreeBytes
	if fi, err := os.Stat(btx.DB().Path()); err == nil {
		u.FileBytes = fi.Size()
	}
	return u, onDisk
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
}

// elemDelHook accounts an element removal (old == nil: nothing was there).
func (tx *Tx) elemDelHook(k, old []byte) {
	if old != nil {
		tx.addLogical(-int64(len(k) + len(old)))
	}
}

// loadUsage reads the persisted logical size, computing it once by a scan
// when the store predates usage accounting (Open).
func (db *DB) loadUsage() error {
	return db.Update(func(tx *Tx) error {
		tx.loadIndexState()
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
