package engine

import (
	"bytes"
	"context"
	"time"
)

// expireBatch bounds the keys one active-expiry transaction removes, so a
// mass expiry never becomes one huge transaction that stalls writers.
const expireBatch = 500

// expireLoop removes expired keys from the front of the expire index in
// bounded batches, Redis-style: it keeps going while a round finds a full
// batch, then sleeps for the configured interval.
func (db *DB) expireLoop(ctx context.Context) {
	round := func() (int, error) {
		if db.noActiveExpire.Load() {
			return 0, nil
		}
		return db.ExpireNow(expireBatch)
	}
	db.runPeriodic(ctx, db.opts.ExpireInterval, "active expiry", round,
		func(n int) bool { return n == expireBatch }, 100)
}

// runPeriodic is the shape of the engine's background loops: every
// interval, call round, and again at once while more(n) says the last
// round left work (at most maxRounds in a row, 0 = no cap), until ctx ends.
// Failures are logged; a round that did work logs one debug line.
func (db *DB) runPeriodic(ctx context.Context, interval time.Duration, what string,
	round func() (int, error), more func(n int) bool, maxRounds int) {
	defer db.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for i := 0; (maxRounds == 0 || i < maxRounds) && ctx.Err() == nil; i++ {
			n, err := round()
			if err != nil {
				if err != ErrClosed {
					db.log.Error().Err(err).Msg(what + " failed")
				}
				break
			}
			if n > 0 {
				db.log.Debug().Int("entries", n).Msg(what + " round")
			}
			if !more(n) {
				break
			}
		}
	}
}

// ExpireNow removes up to limit keys whose time has passed and returns how
// many it removed.
func (db *DB) ExpireNow(limit int) (int, error) {
	removed := 0
	err := db.Update(func(tx *Tx) error {
		removed = tx.expireDue(limit)
		return nil
	})
	return removed, err
}

// expireDue removes up to limit due keys from the front of the expire index.
// Index entries whose key no longer carries that time (stale) are dropped.
func (tx *Tx) expireDue(limit int) int { return tx.expireDueIn(limit, nil) }

// expireDueIn is expireDue restricted to meta keys starting with prefix (a
// namespace; nil = all). Other keys are skipped: at most 64×limit entries
// are walked.
func (tx *Tx) expireDueIn(limit int, prefix []byte) int {
	type due struct{ ek, mk []byte }
	var todo []due
	c := tx.cursor(bExpire)
	walked := 0
	for k, _ := c.First(); k != nil && len(todo) < limit && walked < 64*limit; k, _ = c.Next() {
		walked++
		at, mk := splitExpireKey(k)
		if at > tx.Now {
			break
		}
		if prefix != nil && !bytes.HasPrefix(mk, prefix) {
			continue
		}
		todo = append(todo, due{bytes.Clone(k), bytes.Clone(mk)})
	}
	removed := 0
	for _, d := range todo {
		at, _ := splitExpireKey(d.ek)
		raw := tx.get(bMeta, d.mk)
		if raw == nil || metaExpireAt(raw) != at {
			tx.del(bExpire, d.ek)
			continue
		}
		ns, _, key := splitMetaKey(d.mk)
		tx.removeRecord(ns, d.mk, tx.readOld(d.mk))
		if db, ok := tx.dbOfNS(ns); ok {
			tx.Modified(db, key)
			tx.countExpired(db, key)
		} // else a hidden or flushed namespace's key: not a user key, not counted
		removed++
	}
	return removed
}

// dbOfNS maps a namespace back to the db index naming it, if any.
func (tx *Tx) dbOfNS(ns uint32) (int, bool) {
	for db := 0; db < tx.db.opts.Databases; db++ {
		if tx.nsOf(db) == ns {
			return db, true
		}
	}
	return 0, false
}
