package eviction

import "context"

// Per-database limits (CACHE.CONFIG, engine/dblimit.go). Each round, after
// the server-wide index step and before the server-wide budget is checked,
// the evictor advances the per-database order indexes (bounded batches)
// and then, for every database over its own high watermark, runs
// engine.DB.ShrinkDB down to its low watermark: that database's due keys,
// then the reclaimer, then its own order. Evicting a database also lowers
// the server-wide usage, so the server-wide pass that follows has less (or
// nothing) to do.

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
		limit := db.DBSettings(d).MaxMemory
		_, stuck, err := db.ShrinkDB(ctx, d, e.opts.Batch, int64(float64(limit)*e.opts.LowWater), 64)
		if err != nil {
			return err
		}
		db.SetDBStuck(d, stuck && db.DBUsedBytes(d) > limit)
	}
	return nil
}
