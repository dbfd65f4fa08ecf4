package engine

import "context"

// ShrinkDB brings db d's used bytes down to target — the evictor's work
// for one db over its own limit, and CACHE.CULL <db>'s: it removes d's due
// keys first, lets the reclaimer free dropped collections (they count in
// their db until freed), then evicts from d's own order in batches of
// batch keys. It stops after maxIter steps, or when nothing of d is left
// to evict (stuck: the policy is noeviction, or no candidate remains). It
// returns the keys removed (expired + evicted). A db without its own limit
// is left alone.
func (db *DB) ShrinkDB(ctx context.Context, d, batch int, target int64, maxIter int) (removed int, stuck bool, err error) {
	if !db.validDB(d) || db.dbl.conf[d].limit.Load() <= 0 {
		return 0, false, nil
	}
	for iter := 0; iter < maxIter && ctx.Err() == nil && db.DBUsedBytes(d) > target; iter++ {
		n, err := db.ExpireDB(d, 500)
		if err != nil {
			return removed, false, err
		}
		if removed += n; n > 0 {
			continue
		}
		var pending bool
		if err := db.View(func(tx *Tx) error { pending = tx.PendingReclaim(); return nil }); err != nil {
			return removed, false, err
		}
		if pending {
			if _, err := db.ReclaimNow(2000); err != nil {
				return removed, false, err
			}
			continue
		}
		if db.DBPolicy(d) == PolicyNoEviction {
			return removed, true, nil
		}
		res, err := db.EvictDB(d, batch, target)
		if err != nil {
			return removed, false, err
		}
		removed += res.Evicted
		if res.Evicted == 0 && res.Empty {
			if !db.DBIndexReady(d) {
				if _, err := db.DBIndexStep(5000); err != nil {
					return removed, false, err
				}
				continue
			}
			return removed, true, nil
		}
	}
	return removed, false, nil
}

// ExpireAllDB removes every due key of db d in bounded batches and returns
// how many (CACHE.EXPIRE <db>, CACHE.CULL <db>).
func (db *DB) ExpireAllDB(d int) (int, error) {
	total := 0
	for round := 0; round < 100_000; round++ {
		n, err := db.ExpireDB(d, 500)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, nil
}
