package engine

import (
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// layers is what a reader sees above bbolt: a snapshot of the active
// memtable and the frozen memtables not yet in bbolt, newest first. A
// layers value is immutable; publishers replace it whole.
type layers struct {
	// mem is a copy-on-write snapshot of memt's tree holding every batch up
	// to seq, or nil when none was taken: readers then take one (readView).
	mem  *memTree
	memt *memtable // the active memtable (its index serves point lookups)
	seq  uint64    // the last committer batch published
	imm  []*memtable
}

// maxFrozen bounds the frozen memtables waiting for the flusher: when
// writes outrun flushing, the committer waits (back-pressure) instead of
// growing memory without bound. It leaves room for the memtables that
// freeze during a pass of mergeFrozen (flush.go): a pass of three over 1 M
// random keys takes about as long as the committer needs to fill two.
const maxFrozen = 5

// Snapshots on demand. A snapshot of the active tree is O(1), but after
// it every node the committer writes to is copied once (copy-on-write):
// with a snapshot per batch, a write load of random keys copied a node per
// insert, a quarter of all bytes allocated under ZADD P16 and GC work in
// proportion. So the committer takes one only while readers are about
// (one had to wait for a snapshot within snapshotEagerly) and when it goes
// idle; otherwise it publishes the batch without one, and the first reader
// to come takes it: under treeMu, which the committer holds from a batch's
// first write until it is published, the active tree is exactly the
// published state, so the reader waits at most for the running batch.
const snapshotEagerly = 200 * time.Millisecond

// readersActive reports whether a reader needed a snapshot lately
// (committer only).
func (db *DB) readersActive() bool {
	return time.Now().UnixNano()-db.readDemand.Load() < int64(snapshotEagerly)
}

// readView returns the published layers with a snapshot of the active
// tree, taking one if the committer published none.
func (db *DB) readView() *layers {
	if l := db.view.Load(); l.mem != nil {
		return l
	}
	db.readDemand.Store(time.Now().UnixNano())
	return db.snapshotView()
}

// snapshotView makes sure the published layers carry a snapshot of the
// active tree and returns them.
func (db *DB) snapshotView() *layers {
	if l := db.view.Load(); l.mem != nil {
		return l
	}
	db.treeMu.Lock()
	db.pubMu.Lock()
	l := db.view.Load()
	if l.mem == nil {
		l.memt.settle()
		l = &layers{mem: l.memt.tree.Copy(), memt: l.memt, seq: l.seq, imm: l.imm}
		db.view.Store(l)
	}
	db.pubMu.Unlock()
	db.treeMu.Unlock()
	return l
}

// publish makes the current batch visible, with mem a snapshot of the
// active tree holding it, or nil (see above).
func (db *DB) publish(mem *memTree) {
	db.pubMu.Lock()
	cur := db.view.Load()
	db.view.Store(&layers{mem: mem, memt: db.active, seq: db.batchSeq, imm: cur.imm})
	db.pubMu.Unlock()
}

// rotate freezes the active memtable (committer goroutine only): its log
// segment is closed, a new memtable and segment start, and the flusher is
// woken. It waits while too many frozen memtables are pending.
func (db *DB) rotate() {
	seg, err := db.wal.rotate()
	if err != nil {
		db.log.Error().Err(err).Msg("cannot rotate the write-ahead log")
		db.lastErr.Store(err.Error())
		return
	}
	frozen := db.active
	frozen.seg, frozen.frozenAt = seg, time.Now()
	db.active = newMemtable()
	db.active.idx.reserve(frozen.idx.n) // the next one likely fills alike
	for b := range frozen.pend {
		if n := frozen.pend[b].sets; n > 0 {
			db.active.pend[b].refs = make([]memRef, 0, min(n, pendMaxReserve))
		}
	}
	db.activeBytes.Store(0)
	db.pubMu.Lock()
	cur := db.view.Load()
	imm := append([]*memtable{frozen}, cur.imm...)
	db.view.Store(&layers{mem: db.active.tree.Copy(), memt: db.active, seq: db.batchSeq, imm: imm})
	select {
	case db.flushCh <- struct{}{}:
	default:
	}
	for len(db.view.Load().imm) > maxFrozen && !db.closed.Load() {
		db.flushed.Wait()
	}
	db.pubMu.Unlock()
}

// pendMaxReserve caps the pending items a new memtable makes room for up
// front per bucket (10 MiB): past it a list grows on demand.
const pendMaxReserve = 1 << 18

// recoverLog replays every log segment (after a crash; after a clean stop
// there are none) into one memtable and returns it with the highest
// segment number seen, so new segments sort after old ones. The memtable
// is not written to bbolt here: Open installs it as a frozen layer and the
// flusher writes it in the background, so a restart after a crash answers
// once the log is read, whatever the size of the store. Its segments stay
// on disk until that flush commits; a second crash replays them again,
// followed by the segments written since. It returns nil when there is
// nothing to replay.
func (db *DB) recoverLog() (*memtable, uint64, error) {
	segs, err := listSegments(db.opts.Dir)
	if err != nil || len(segs) == 0 {
		return nil, 0, err
	}
	m := newMemtable()
	records := 0
	for _, seg := range segs {
		n, clean, err := replaySegment(walName(db.opts.Dir, seg), m)
		if err != nil {
			return nil, 0, err
		}
		records += n
		if !clean {
			db.log.Warn().Uint64("segment", seg).Int("records", n).
				Msg("write-ahead log segment ends with a torn record (unacknowledged write); ignored")
		}
	}
	m.seg = segs[len(segs)-1]
	if records > 0 {
		db.log.Info().Int("records", records).Int("segments", len(segs)).Int64("bytes", m.bytes).
			Msg("replayed write-ahead log into memory; flushing it to the data file in the background")
	}
	if m.size() == 0 {
		m = nil // the segments are removed once the first flush commits
	}
	return m, segs[len(segs)-1], nil
}

// flushAll moves every memtable into bbolt and removes the log (Close).
func (db *DB) flushAll() error {
	db.active.settle()
	if err := flushTrees(db.bolt, oldestFirst(db.view.Load().imm, db.active.tree), 0); err != nil {
		return err
	}
	seg := db.wal.seg
	if err := db.wal.close(); err != nil {
		return err
	}
	return db.wal.removeThrough(seg)
}

// Snapshot writes a consistent copy of the whole store to path while
// serving: bbolt's snapshot plus the overlay captured with it, applied to
// the copy. Writes acknowledged before the call are in it.
func (db *DB) Snapshot(path string) error {
	if db.closed.Load() {
		return ErrClosed
	}
	tmp := path + ".tmp"
	os.Remove(tmp)
	l := db.readView()
	btx, end, err := db.beginBolt()
	if err == nil {
		err = btx.CopyFile(tmp, 0o644)
		end()
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	cp, err := bolt.Open(tmp, 0o644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		os.Remove(tmp)
		return err
	}
	err = flushTrees(cp, oldestFirst(l.imm, l.mem), 0)
	if cerr := cp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("snapshot: %w", err)
	}
	return os.Rename(tmp, path)
}

// OverlayBytes is the memory held by writes not yet in bbolt.
func (db *DB) OverlayBytes() int64 {
	n := db.activeBytes.Load()
	for _, m := range db.view.Load().imm {
		n += m.bytes
	}
	return n
}

// LogBytes is the size of the current write-ahead log segment.
func (db *DB) LogBytes() int64 { return db.wal.bytes() }

// LogWritten is the number of bytes appended to the write-ahead log since
// the store was opened (all segments; never goes down).
func (db *DB) LogWritten() int64 { return db.wal.written.Load() }

// OverlayLimit is the configured overlay size (overlay-size).
func (db *DB) OverlayLimit() int64 { return db.overlayLimit }

// walRotateFactor bounds a log segment at this many overlay sizes: past
// it the memtable is frozen and flushed even if small, so a crash replays
// at most about that much log.
const walRotateFactor = 2
