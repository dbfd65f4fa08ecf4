package engine

import (
	"context"
	"time"

	"github.com/tidwall/btree"
	bolt "go.etcd.io/bbolt"
)

// The flusher moves frozen memtables into bbolt. With random keys over a
// large store, one flush rewrites nearly every leaf page whatever the
// number of entries it carries (a 32 MiB memtable of 100-byte records
// dirties ~all of the ~35 k leaf pages of 1 M keys), so its cost per entry
// falls with the entries per pass. It therefore merges the frozen
// memtables it finds into one pass, and, while passes are that expensive,
// lets a lone frozen memtable wait up to flushWait for a second one; under
// a sustained write load a pass then carries two memtables. When writes
// land on few pages (appends to a list, keys in order), a pass costs in
// proportion to its entries: merging gains nothing, and waiting would only
// hold memory and make the pass after it twice as long, so a lone
// memtable is flushed at once.

// flushWait is how long a lone frozen memtable waits for another to merge
// with. A replayed log (zero frozenAt) and a closing store never wait.
const flushWait = time.Second

// mergeAmplification is the write amplification of a pass (bytes of pages
// written ÷ bytes of entries) above which the next lone memtable waits for
// a partner. In-order writes measure ~2.4 (bbolt leaves split pages half
// full), random 100-byte records over 1 M keys ~6.5 for a merged pass.
const mergeAmplification = 4

// inOrderFill is how full bbolt fills the pages it splits while passes are
// in-order (the last pass was not page-bound). bbolt's default, 0.5, cuts
// a page that overflows in half; entries arriving in key order (pushes to
// a list, ascending or descending) never return to the left or right
// half, so every page stayed half empty: 6 M LPUSHes of 100 bytes took
// 1.59 GB of file, 0.82 GB at 0.9 (4 M: 1.06 GB, 0.59 GB). Random writes
// keep the default (the halves fill up again later, and a full page would
// split at the next insert).
const inOrderFill = 0.9

// flushLoop runs until ctx ends.
func (db *DB) flushLoop(ctx context.Context) {
	defer db.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-db.flushCh:
		}
		for ctx.Err() == nil {
			imm := db.view.Load().imm
			if len(imm) == 0 {
				break
			}
			if wait := flushWait - time.Since(imm[0].frozenAt); len(imm) < maxFrozen && wait > 0 &&
				db.flushMerge.Load() && !imm[0].frozenAt.IsZero() && !db.closed.Load() {
				select {
				case <-ctx.Done():
					return
				case <-db.flushCh: // another rotation
				case <-time.After(wait):
				}
				continue
			}
			if err := db.flushFrozen(imm); err != nil {
				db.log.Error().Err(err).Msg("flush to bbolt failed; retrying")
				db.lastErr.Store(err.Error())
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
			}
		}
	}
}

// flushFrozen writes the frozen memtables ms (newest first, as in layers)
// into bbolt in one merged pass, then drops them from the layers and
// deletes their log segments.
func (db *DB) flushFrozen(ms []*memtable) error {
	start := time.Now()
	db.flushMu.Lock()
	pages := boltPagesAllocated(db.bolt)
	fill := 0.0 // bbolt's default for page-bound passes
	if !db.flushMerge.Load() {
		fill = inOrderFill
	}
	err := flushTrees(db.bolt, oldestFirst(ms, nil), fill)
	pages = boltPagesAllocated(db.bolt) - pages
	if err == nil {
		err = persistFreelist(db.bolt)
	}
	db.flushMu.Unlock()
	if err != nil {
		return err
	}
	gone := make(map[*memtable]bool, len(ms))
	entries, bytes := 0, int64(0)
	for _, m := range ms {
		gone[m] = true
		entries += m.tree.Len()
		bytes += m.bytes
	}
	raw := bytes - int64(entries)*memItemOverhead // keys and values
	db.flushMerge.Store(pages*int64(db.bolt.Info().PageSize) > mergeAmplification*max(raw, 1))
	db.pubMu.Lock()
	cur := db.view.Load()
	imm := make([]*memtable, 0, len(cur.imm))
	for _, x := range cur.imm {
		if !gone[x] {
			imm = append(imm, x)
		}
	}
	db.view.Store(&layers{mem: cur.mem, memt: cur.memt, seq: cur.seq, imm: imm})
	db.flushed.Broadcast()
	db.pubMu.Unlock()
	if err := db.wal.removeThrough(ms[0].seg); err != nil {
		db.log.Warn().Err(err).Msg("cannot remove flushed log segments")
	}
	db.stats.Flushes.Add(1)
	db.stats.FlushedBytes.Add(bytes)
	db.log.Debug().Int("memtables", len(ms)).Int("entries", entries).Int64("bytes", bytes).
		Int64("pages", pages).Bool("merge_next", db.flushMerge.Load()).
		Dur("took", time.Since(start)).Msg("memtables flushed to bbolt")
	return nil
}

// boltPagesAllocated is bbolt's count of pages written by committed
// transactions so far.
func boltPagesAllocated(bdb *bolt.DB) int64 {
	st := bdb.Stats()
	return st.TxStats.GetPageCount()
}

// oldestFirst lists the trees of ms (newest first) oldest first, then top
// if it is not nil.
func oldestFirst(ms []*memtable, top *memTree) []*memTree {
	ts := make([]*memTree, 0, len(ms)+1)
	for i := len(ms) - 1; i >= 0; i-- {
		ts = append(ts, ms[i].tree)
	}
	if top != nil {
		ts = append(ts, top)
	}
	return ts
}

// flushChunk bounds the entries one bbolt transaction of a flush writes.
// bbolt keeps every page it dirties in memory until commit; with random
// keys nearly every entry dirties its own page, so an unbounded flush of a
// large memtable held hundreds of MiB. Chunks are safe: partly flushed
// memtables stay in the layers above bbolt with the same values until the
// last chunk commits, and replaying their log re-applies the same values.
const flushChunk = 4096

// flushTrees applies the merged entries of ts (oldest first: for a key in
// several trees the newest tree's entry wins) to bbolt in key order
// (sorted, so neighbouring entries share dirty pages), in fsynced
// transactions of at most flushChunk entries. fill, when not zero, is the
// buckets' FillPercent for the splits of this flush.
func flushTrees(bdb *bolt.DB, ts []*memTree, fill float64) error {
	m := newMergeIter(ts)
	defer m.release()
	for m.cur != nil {
		err := bdb.Update(func(btx *bolt.Tx) error {
			var bk [numBuckets]*bolt.Bucket
			for i := range bk {
				bk[i] = btx.Bucket(bucketNames[i])
				if fill > 0 {
					bk[i].FillPercent = fill
				}
			}
			for n := 0; n < flushChunk && m.cur != nil; n++ {
				it := m.cur
				var err error
				if it.del {
					err = bk[it.key[0]].Delete(it.key[1:])
				} else {
					err = bk[it.key[0]].Put(it.key[1:], it.val)
				}
				if err != nil {
					return err
				}
				m.next()
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// mergeIter walks several trees in key order; for a key in more than one,
// cur is the entry of the latest tree in the list.
type mergeIter struct {
	its []btree.IterG[*memItem]
	ok  []bool
	cur *memItem
}

func newMergeIter(ts []*memTree) *mergeIter {
	m := &mergeIter{its: make([]btree.IterG[*memItem], len(ts)), ok: make([]bool, len(ts))}
	for i, t := range ts {
		m.its[i] = t.Iter()
		m.ok[i] = m.its[i].First()
	}
	m.pick()
	return m
}

// pick sets cur to the smallest current key, the latest tree's on ties.
func (m *mergeIter) pick() {
	m.cur = nil
	for i := range m.its {
		if !m.ok[i] {
			continue
		}
		if it := m.its[i].Item(); m.cur == nil || !lessItem(m.cur, it) {
			m.cur = it
		}
	}
}

// next moves every tree positioned at cur's key past it.
func (m *mergeIter) next() {
	k := m.cur.key
	for i := range m.its {
		if m.ok[i] && string(m.its[i].Item().key) == string(k) {
			m.ok[i] = m.its[i].Next()
		}
	}
	m.pick()
}

func (m *mergeIter) release() {
	for i := range m.its {
		m.its[i].Release()
	}
}
