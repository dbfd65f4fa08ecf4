package resp

import (
	"context"
	"strconv"
	"strings"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// Housekeeping and statistics: CACHE.STATS, CACHE.CULL, CACHE.EXPIRE,
// CACHE.CHECK. CULL, EXPIRE and CHECK run their own transactions (bounded
// batches, or one snapshot for CHECK), so they run at once even inside
// MULTI and are refused in scripts.

func cacheAdminCommands() []*Command {
	const g = cacheGroup
	own := FlagNoScript | FlagNoMulti
	return []*Command{
		{Name: "cache.stats", Arity: -1, Flags: FlagReadonly, Group: g, Summary: "Returns cache statistics: hits, misses, count, volume, evictions, expirations.", Run: cmdCacheStats},
		{Name: "cache.cull", Arity: -1, Flags: own, Group: g, Summary: "Removes expired keys and evicts down to maxmemory (or a db's own limit) now; returns the count.", Run: cmdCacheCull},
		{Name: "cache.expire", Arity: -1, Flags: own, Group: g, Summary: "Removes every expired key (of every db, or of one) now; returns the count.", Run: cmdCacheExpire},
		{Name: "cache.config", Arity: -3, Flags: own, Group: g, Summary: "Gets, sets or resets a database's own maxmemory and maxmemory-policy.", Run: cmdCacheConfig},
		{Name: "cache.check", Arity: -1, Flags: own, Group: g, Summary: "Verifies (and with FIX repairs) counters and indexes; returns the problems found.", Run: cmdCacheCheck},
	}
}

// cmdCacheStats: CACHE.STATS [db] [RESET] → a map (RESP2: flat array):
// hits, misses (keyspace lookups, server-wide), count (keys of db, or of
// every database), volume (used_memory: bytes on disk; with a db, that
// db's share: its logical bytes × the same ratio), evictions, expirations
// (server-wide, with or without a db). RESET zeroes hits, misses,
// evictions and expirations after reporting them (as CONFIG RESETSTAT
// zeroes INFO's). A bad db → ERR DB index is out of range.
func cmdCacheStats(c *Ctx, args [][]byte) error {
	db, reset := -1, false
	for _, a := range args[1:] {
		switch {
		case strings.EqualFold(string(a), "reset") && !reset:
			reset = true
		case db < 0 && !reset:
			n, ok := datatypes.ParseInt(a)
			if !ok {
				return ErrNotInteger
			}
			if n < 0 || n >= int64(c.Tx.Databases()) {
				return ErrDBIndex
			}
			db = int(n)
		default:
			return ErrSyntax
		}
	}
	var count int64
	for i := 0; i < c.Tx.Databases(); i++ {
		if db < 0 || db == i {
			n, _ := c.Tx.KeyCounts(i)
			count += n
		}
	}
	volume := c.S.DB().UsedBytes()
	if db >= 0 {
		volume = c.S.DB().DBUsedBytes(db)
	}
	st, es := &c.S.stats, c.S.DB().Stats()
	fields := []struct {
		name string
		v    int64
	}{
		{"hits", st.KeyspaceHits.Load()}, {"misses", st.KeyspaceMisses.Load()},
		{"count", count}, {"volume", volume},
		{"evictions", es.EvictedKeys.Load()}, {"expirations", es.ExpiredKeys.Load()},
	}
	if reset {
		st.KeyspaceHits.Store(0)
		st.KeyspaceMisses.Store(0)
		es.EvictedKeys.Store(0)
		es.ExpiredKeys.Store(0)
	}
	c.W.Map(len(fields))
	for _, f := range fields {
		c.W.BulkString(f.name)
		c.W.Int(f.v)
	}
	return nil
}

// expireAll removes due keys in batches until none is left (bounded).
func expireAll(db *engine.DB) (int, error) {
	total := 0
	for round := 0; round < 100_000; round++ {
		n, err := db.ExpireNow(500)
		total += n
		if err != nil || n < 500 {
			return total, err
		}
	}
	return total, nil
}

// optionalDB parses CACHE.CULL's and CACHE.EXPIRE's optional db argument
// (-1 = none).
func optionalDB(c *Ctx, args [][]byte) (int, error) {
	switch len(args) {
	case 1:
		return -1, nil
	case 2:
		n, ok := datatypes.ParseInt(args[1])
		if !ok {
			return 0, ErrNotInteger
		}
		if n < 0 || n >= int64(c.S.DB().Databases()) {
			return 0, ErrDBIndex
		}
		return int(n), nil
	}
	return 0, ErrSyntax
}

// cmdCacheExpire: CACHE.EXPIRE [db] → the number of expired keys removed
// now, of every database or only of db.
func cmdCacheExpire(c *Ctx, args [][]byte) error {
	d, err := optionalDB(c, args)
	if err != nil {
		return err
	}
	var n int
	if d >= 0 {
		n, err = c.S.DB().ExpireAllDB(d)
	} else {
		n, err = expireAll(c.S.DB())
	}
	if err != nil {
		return err
	}
	c.W.Int(int64(n))
	return nil
}

// cmdCacheCull: CACHE.CULL → expired keys removed plus keys evicted: like
// one evictor round run to completion, it expires due keys, writes the
// buffered accesses, then (with a maxmemory set and usage over it)
// reclaims dropped collections and evicts in the policy's exact order
// until usage is at most maxmemory. Under noeviction only expiry runs.
// Server-wide, as the budget and the order are. CACHE.CULL <db> works on
// db only: its due keys, then (with its own maxmemory) eviction from its
// own order down to that limit.
func cmdCacheCull(c *Ctx, args [][]byte) error {
	d, err := optionalDB(c, args)
	if err != nil {
		return err
	}
	db := c.S.DB()
	if d >= 0 {
		removed, err := db.ExpireAllDB(d)
		if err != nil {
			return err
		}
		n, _, err := db.ShrinkDB(context.Background(), d, 256, db.DBSettings(d).MaxMemory, 100_000)
		if err != nil {
			return err
		}
		c.W.Int(int64(removed + n))
		return nil
	}
	removed, err := expireAll(db)
	if err != nil {
		return err
	}
	limit := db.MaxMemory()
	if limit <= 0 || db.UsedBytes() <= limit {
		c.W.Int(int64(removed))
		return nil
	}
	for i := 0; i < 1000; i++ {
		n, err := db.FlushTouches(10_000)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	for iter := 0; iter < 100_000 && db.UsedBytes() > limit; iter++ {
		var pending bool
		if err := db.View(func(tx *engine.Tx) error { pending = tx.PendingReclaim(); return nil }); err != nil {
			return err
		}
		if pending {
			if _, err := db.ReclaimNow(2000); err != nil {
				return err
			}
			continue
		}
		if db.EvictPolicy() == engine.PolicyNoEviction {
			break
		}
		res, err := db.EvictKeys(256, limit)
		if err != nil {
			return err
		}
		removed += res.Evicted
		if res.Evicted == 0 && res.Empty {
			if db.IndexReady() {
				break
			}
			if _, err := db.IndexStep(5000); err != nil {
				return err
			}
		}
	}
	c.W.Int(int64(removed))
	return nil
}

// cmdCacheCheck: CACHE.CHECK [FIX] → an array of problem descriptions
// (empty = consistent). With FIX each problem is repaired too (and
// reported). One write transaction over the whole store: writers wait
// while it runs. At most 1,000 lines are listed; a last line
// "… N problems in total" says when there were more.
func cmdCacheCheck(c *Ctx, args [][]byte) error {
	fix := false
	switch {
	case len(args) == 1:
	case len(args) == 2 && strings.EqualFold(string(args[1]), "fix"):
		fix = true
	default:
		return ErrSyntax
	}
	rep, err := c.S.DB().Check(fix, datatypes.IsElementSub)
	if err != nil {
		return err
	}
	lines := rep.Problems
	if rep.Count > len(lines) {
		lines = append(lines, "… "+strconv.Itoa(rep.Count)+" problems in total")
	}
	c.W.Array(len(lines))
	for _, l := range lines {
		c.W.BulkString(l)
	}
	return nil
}
