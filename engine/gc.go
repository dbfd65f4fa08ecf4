package engine

import (
	"bytes"
	"context"
	"encoding/binary"
)

// gcBatch bounds the entries one reclaim transaction deletes.
const gcBatch = 2000

// gcLoop reclaims dropped collections and flushed namespaces in bounded
// batches, so DEL of a million-element hash or FLUSHALL returns at once and
// the space is reused by later writes.
func (db *DB) gcLoop(ctx context.Context) {
	db.runPeriodic(ctx, db.opts.GCInterval, "reclaim",
		func() (int, error) { return db.ReclaimNow(gcBatch) },
		func(n int) bool { return n > 0 }, 0)
}

// ReclaimNow deletes up to limit entries of dropped collections or flushed
// namespaces and returns how many it deleted (0 = nothing left to do).
func (db *DB) ReclaimNow(limit int) (int, error) {
	n := 0
	err := db.Update(func(tx *Tx) error {
		n = tx.reclaim(limit)
		return nil
	})
	if n > 0 {
		db.stats.GCReclaimed.Add(int64(n))
	}
	return n, err
}

// PendingReclaim reports whether dropped data still waits for the reclaimer.
func (tx *Tx) PendingReclaim() bool {
	k, _ := tx.cursor(bGC).First()
	return k != nil
}

func (tx *Tx) reclaim(limit int) int {
	c := tx.cursor(bGC)
	gk, _ := c.First()
	if gk == nil {
		return 0
	}
	gk = bytes.Clone(gk)
	switch {
	case gk[0] == gcVersion && len(gk) == 1+versionLen:
		return tx.reclaimVersion(gk, binary.BigEndian.Uint64(gk[1:]), limit)
	case gk[0] == gcNamespace && len(gk) == 1+nsLen:
		return tx.reclaimNamespace(gk, binary.BigEndian.Uint32(gk[1:]), limit)
	}
	tx.del(bGC, gk) // unknown entry: drop it
	return 1
}

func (tx *Tx) reclaimVersion(gk []byte, version uint64, limit int) int {
	var keys [][]byte
	var size int64
	it := tx.Elems(version)
	for ok := it.First(); ok && len(keys) < limit; ok = it.Next() {
		keys = append(keys, bytes.Clone(it.k))
		size += int64(len(it.k) + len(it.v))
	}
	tx.addLogical(-size)                             // usage (usage.go)
	tx.dbReclaimed(version, size, len(keys) < limit) // per-db usage (dblimit.go)
	for _, k := range keys {
		tx.del(bData, k)
	}
	if len(keys) < limit {
		tx.del(bGC, gk)
	}
	return len(keys) + 1
}

func (tx *Tx) reclaimNamespace(gk []byte, ns uint32, limit int) int {
	prefix := nsPrefix(ns)
	var mks [][]byte
	c := tx.cursor(bMeta)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(mks) < limit; k, _ = c.Next() {
		mks = append(mks, bytes.Clone(k))
	}
	for _, mk := range mks {
		old := tx.readOld(mk)
		if old.typ.IsCollection() {
			tx.dropVersion(old.version)
		}
		tx.reindexExpire(mk, old.expireAt, 0)
		tx.retag(mk, old.tag, nil)
		tx.forgetMeta(mk, &old) // eviction index and usage (evict.go)
		tx.del(bMeta, mk)
	}
	if len(mks) < limit {
		tx.del(bGC, gk)
		tx.del(bSys, sysCountKey(ns))
		delete(tx.counts, ns)
	}
	return len(mks) + 1
}
