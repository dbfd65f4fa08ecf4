package eviction

import (
	"context"

	"github.com/diskcached/diskcached/engine"
)

// Per-database limits (CACHE.CONFIG, engine/dblimit.go). Each round, after
// the server-wide index step and before the server-wide budget is checked,
// the evictor advances the per-database order indexes (bounded batches)
// and then, for every database over its own high watermark: removes that
// database's due keys, lets the reclaimer free dropped collections, and
// evicts from the database's own order down to its low watermark. Evicting
// a database also lowers the server-wide usage, so the server-wide pass
// that follows has less (or nothing) to do.

// perDB runs the per-database part of a round.
func (e *Evictor) perDB(ctx context.Context) error {
	db := e.db
	for i := 0; i < 8; i++ {
		done, err := db.DBIndexStep(5000)
		if err != nil {
			return err
		}
		if done {
			break
		}
	}
	for _, d := range db.DBsOverLimit(e.opts.HighWater) {
		if err := e.EvictDB(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// EvictDB brings database d under its own low watermark, or finds nothing
// of it left to evict (then denyoom writes to d fail until something
// changes). It returns at once when d has no own limit.
func (e *Evictor) EvictDB(ctx context.Context, d int) error {
	_, err := evictDB(ctx, e.db, d, e.opts.Batch, e.opts.LowWater, 64)
	return err
}

// CullDB expires db d's due keys and evicts it down to its own limit (if
// it has one): CACHE.CULL with a db. It returns the keys removed.
func CullDB(ctx context.Context, db *engine.DB, d int) (int, error) {
	removed := 0
	for i := 0; i < 100_000; i++ {
		n, err := db.ExpireDB(d, 500)
		removed += n
		if err != nil {
			return removed, err
		}
		if n == 0 {
			break
		}
	}
	n, err := evictDB(ctx, db, d, 256, 1, 100_000)
	return removed + n, err
}

// evictDB evicts db d down to low × its limit and returns the keys it
// removed (expired and evicted), in at most maxIter bounded steps.
func evictDB(ctx context.Context, db *engine.DB, d, batch int, low float64, maxIter int) (int, error) {
	limit := db.DBSettings(d).MaxMemory
	if limit <= 0 {
		return 0, nil
	}
	target := int64(float64(limit) * low)
	removed, stuck := 0, false
	for iter := 0; iter < maxIter && ctx.Err() == nil && db.DBUsedBytes(d) > target; iter++ {
		n, err := db.ExpireDB(d, 500)
		if err != nil {
			return removed, err
		}
		if removed += n; n > 0 {
			continue
		}
		if pending, err := pendingReclaim(db); err != nil {
			return removed, err
		} else if pending {
			if _, err := db.ReclaimNow(2000); err != nil {
				return removed, err
			}
			continue
		}
		if db.DBPolicy(d) == engine.PolicyNoEviction {
			stuck = true
			break
		}
		res, err := db.EvictDB(d, batch, target)
		if err != nil {
			return removed, err
		}
		removed += res.Evicted
		if res.Evicted == 0 && res.Empty {
			if !db.DBIndexReady(d) {
				if _, err := db.DBIndexStep(5000); err != nil {
					return removed, err
				}
				continue
			}
			stuck = true
			break
		}
	}
	db.SetDBStuck(d, stuck && db.DBUsedBytes(d) > limit)
	return removed, nil
}
