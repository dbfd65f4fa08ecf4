package engine

import (
	"bytes"
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
// lets frozen memtables wait up to flushWait until mergeFrozen of them are
// there; under a sustained write load a pass then carries three. When writes
// land on few pages (appends to a list, keys in order), a pass costs in
// proportion to its entries: merging gains nothing, and waiting would only
// hold memory and make the pass after it twice as long, so a lone
// memtable is flushed at once.

// flushWait is how long the oldest frozen memtable waits for others to
// merge with. A replayed log (zero frozenAt) and a closing store never wait.
const flushWait = time.Second

// mergeFrozen is how many frozen memtables a page-bound pass waits for.
// Measured (redis-benchmark -c 50 -P 16 -r 1000000, 32 MiB overlay, second
// run of 3 M requests on a fresh store): passes of three instead of two
// took SET P16 from 140 to 180 k/s, HSET 146–158 → 174–179 k/s, ZADD
// 103 → 115 k/s (CPU per HSET 9.2 → 7.7 µs), two runs each on a machine
// whose noise is ±10–15 %; four gained nothing more.
// Peak RSS is unchanged: the collector's soft limit holds it (gcpolicy.go),
// and frozen memtables are compact sorted runs by then.
const mergeFrozen = 3

// mergeAmplification is the write amplification of a pass (bytes of pages
// written ÷ bytes of entries) above which the next pass waits for
// mergeFrozen memtables. In-order writes measure ~2.4 (bbolt leaves split
// pages half full), random 100-byte records over 1 M keys ~6.5 for a
// merged pass.
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
			if db.flushMerge.Load() {
				// Page-bound passes are long and memtables wait for them;
				// in-order passes are short and compacting would only
				// delay them.
				db.compactFrozen()
			}
			imm := db.view.Load().imm
			if len(imm) == 0 {
				break
			}
			oldest := imm[len(imm)-1]
			if wait := flushWait - time.Since(oldest.frozenAt); len(imm) < mergeFrozen && wait > 0 &&
				db.flushMerge.Load() && !oldest.frozenAt.IsZero() && !db.closed.Load() {
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
		entries += m.entries()
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

// compactFrozen replaces each frozen memtable still in tree form with its
// sortedRun (sortedrun.go) in the published layers (flusher only: it is
// the one that removes frozen memtables, so the ones it replaces are still
// there). Readers holding the tree keep it until they finish.
func (db *DB) compactFrozen() {
	for _, m := range db.view.Load().imm {
		c := m.compacted()
		if c == nil {
			continue
		}
		db.pubMu.Lock()
		cur := db.view.Load()
		imm := make([]*memtable, len(cur.imm))
		for i, x := range cur.imm {
			if x == m {
				x = c
			}
			imm[i] = x
		}
		db.view.Store(&layers{mem: cur.mem, memt: cur.memt, seq: cur.seq, imm: imm})
		db.pubMu.Unlock()
	}
}

// boltPagesAllocated is bbolt's count of pages written by committed
// transactions so far.
func boltPagesAllocated(bdb *bolt.DB) int64 {
	st := bdb.Stats()
	return st.TxStats.GetPageCount()
}

// oldestFirst lists the layers of ms (newest first) oldest first, then
// top if it is not nil, as flush sources.
func oldestFirst(ms []*memtable, top *memTree) []flushSource {
	srcs := make([]flushSource, 0, len(ms)+1)
	for i := len(ms) - 1; i >= 0; i-- {
		if r := ms[i].run; r != nil {
			srcs = append(srcs, &runSource{r: r})
		} else {
			srcs = append(srcs, newTreeSource(ms[i].ordered()))
		}
	}
	if top != nil {
		srcs = append(srcs, newTreeSource(top))
	}
	return srcs
}

// flushChunk bounds the entries one bbolt transaction of a flush writes.
// bbolt keeps every page it dirties in memory until commit; with random
// keys nearly every entry dirties its own page, so an unbounded flush of a
// large memtable held hundreds of MiB. Chunks are safe: partly flushed
// memtables stay in the layers above bbolt with the same values until the
// last chunk commits, and replaying their log re-applies the same values.
// With 16 KiB pages it is the same: 1024 entries per transaction made a
// pass over 1 M random hash fields 30-60 % slower (four times the
// commits, each rewriting the branch pages and syncing), and under SET
// P16 over 10 M keys, where entries rarely share a page, peak resident
// memory was the same either way (~220 MB).
const flushChunk = 4096

// flushTrees applies the merged entries of ts (oldest first: for a key in
// several trees the newest tree's entry wins) to bbolt in key order
// (sorted, so neighbouring entries share dirty pages), in fsynced
// transactions of at most flushChunk entries. fill, when not zero, is the
// buckets' FillPercent for the splits of this flush.
func flushTrees(bdb *bolt.DB, ts []flushSource, fill float64) error {
	m := newMergeIter(ts)
	defer m.release()
	for m.cur != nil {
		err := bdb.Update(func(btx *bolt.Tx) error {
			var bk [numBuckets]*bolt.Bucket
			var cs [numBuckets]*bolt.Cursor // deletions: Bucket.Delete makes a cursor per call
			for i := range bk {
				bk[i] = btx.Bucket(bucketNames[i])
				if fill > 0 {
					bk[i].FillPercent = fill
				}
			}
			for n := 0; n < flushChunk && m.cur != nil; n++ {
				it := m.cur
				k := it.key()
				var err error
				if it.del() {
					if cs[k[0]] == nil {
						cs[k[0]] = bk[k[0]].Cursor()
					}
					if kk, _ := cs[k[0]].Seek(k[1:]); bytes.Equal(kk, k[1:]) {
						err = cs[k[0]].Delete()
					}
				} else {
					err = bk[k[0]].Put(k[1:], it.val())
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

// flushSource walks one layer's entries, every bucket, in tree key order.
type flushSource interface {
	valid() bool
	key() []byte // tree key: bucket byte, then the bucket key
	val() []byte
	del() bool
	next()
	release()
}

type treeSource struct {
	it btree.IterG[memRef]
	ok bool
}

func newTreeSource(t *memTree) *treeSource {
	s := &treeSource{it: t.Iter()}
	s.ok = s.it.First()
	return s
}

func (s *treeSource) valid() bool { return s.ok }
func (s *treeSource) key() []byte { return s.it.Item().it.key }
func (s *treeSource) val() []byte { return s.it.Item().it.val }
func (s *treeSource) del() bool   { return s.it.Item().it.del }
func (s *treeSource) next()       { s.ok = s.it.Next() }
func (s *treeSource) release()    { s.it.Release() }

type runSource struct {
	r *sortedRun
	i int
}

func (s *runSource) valid() bool { return s.i < s.r.len() }
func (s *runSource) key() []byte { return s.r.key(s.i) }
func (s *runSource) val() []byte { return s.r.val(s.i) }
func (s *runSource) del() bool   { return s.r.deleted(s.i) }
func (s *runSource) next()       { s.i++ }
func (s *runSource) release()    {}

// mergeIter walks several sources in key order; for a key in more than
// one, cur is the source latest in the list.
type mergeIter struct {
	srcs []flushSource
	cur  flushSource
}

func newMergeIter(srcs []flushSource) *mergeIter {
	m := &mergeIter{srcs: srcs}
	m.pick()
	return m
}

// pick sets cur to the source at the smallest key, the latest on ties.
func (m *mergeIter) pick() {
	m.cur = nil
	for _, s := range m.srcs {
		if s.valid() && (m.cur == nil || bytes.Compare(s.key(), m.cur.key()) <= 0) {
			m.cur = s
		}
	}
}

// next moves every source positioned at cur's key past it.
func (m *mergeIter) next() {
	k := m.cur.key()
	for _, s := range m.srcs {
		if s != m.cur && s.valid() && bytes.Equal(s.key(), k) {
			s.next()
		}
	}
	m.cur.next()
	m.pick()
}

func (m *mergeIter) release() {
	for _, s := range m.srcs {
		s.release()
	}
}
