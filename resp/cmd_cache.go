package resp

import (
	"strings"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// The CACHE.* family: DiskCache's own features (tags and evict-by-tag,
// stampede-proof fetch, housekeeping, statistics) under module-style names,
// so no Redis command changes meaning; and redis-cell's CL.THROTTLE.
// docs/commands.md documents every reply shape.

// cacheCommands assembles the group from its files (cmd_cache_*.go).
func cacheCommands() []*Command {
	var out []*Command
	for _, part := range [][]*Command{cacheTagCommands(), cacheThrottleCommands(), cacheFetchCommands(), cacheAdminCommands()} {
		out = append(out, part...)
	}
	return out
}

// cacheGroup is the group COMMAND DOCS shows for the family.
const cacheGroup = "cache"

func cacheTagCommands() []*Command {
	const g = cacheGroup
	w, r := FlagWrite|FlagDenyOOM, FlagReadonly
	return []*Command{
		{Name: "cache.set", Arity: -3, Flags: w, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sets a string value with an optional expiry and cache tag.", Run: cmdCacheSet},
		{Name: "cache.tag", Arity: 3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sets the cache tag of a key of any type.", Run: cmdCacheTag},
		{Name: "cache.untag", Arity: 2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Removes the cache tag of a key.", Run: cmdCacheUntag},
		{Name: "cache.gettag", Arity: 2, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the cache tag of a key.", Run: cmdCacheGetTag},
		// EVICT manages its own transactions (bounded batches), as blocking
		// commands do; inside MULTI or a script it runs in the caller's.
		{Name: "cache.evict", Arity: 2, Flags: FlagWrite | FlagOwnTx, Group: g, Summary: "Deletes every key carrying a cache tag.", Run: cmdCacheEvict},
		{Name: "cache.tags", Arity: -1, Flags: r, Group: g, Summary: "Lists the cache tags of the database with their key counts.", Run: cmdCacheTags},
	}
}

// cacheWriteOpts is the parsed option list of CACHE.SET / CACHE.FILL.
type cacheWriteOpts struct {
	nx, xx bool
	exp    *expireOpt
	tag    []byte
}

// parseCacheWriteOpts parses [EX s|PX ms|EXAT t|PXAT t] [NX|XX] [TAG tag]
// from args (any order; NX/XX only when allowCond). A repeated option
// keeps its last value; two different expire forms, NX with XX, or an
// option without its value are syntax errors. The expiry is resolved
// against now with cmd's error text.
func parseCacheWriteOpts(args [][]byte, allowCond bool, cmd string, now int64) (cacheWriteOpts, int64, error) {
	var o cacheWriteOpts
	for i := 0; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		switch {
		case allowCond && opt == "nx" && !o.xx:
			o.nx = true
		case allowCond && opt == "xx" && !o.nx:
			o.xx = true
		case (opt == "ex" || opt == "px" || opt == "exat" || opt == "pxat") && i+1 < len(args) &&
			(o.exp == nil || o.exp.unit == opt):
			o.exp = &expireOpt{opt, args[i+1]}
			i++
		case opt == "tag" && i+1 < len(args):
			o.tag = args[i+1]
			i++
		default:
			return o, 0, ErrSyntax
		}
	}
	var at int64
	if o.exp != nil {
		var err error
		if at, err = o.exp.resolve(cmd, now); err != nil {
			return o, 0, err
		}
	}
	return o, at, nil
}

// cmdCacheSet: CACHE.SET key value [EX|PX|EXAT|PXAT n] [NX|XX] [TAG tag].
// Replies OK, or a null when NX/XX kept it from storing. Without TAG the
// key ends up untagged (DiskCache's set(…, tag=None)); plain SET keeps a
// key's tag.
func cmdCacheSet(c *Ctx, args [][]byte) error {
	o, at, err := parseCacheWriteOpts(args[3:], true, "cache.set", c.Tx.Now)
	if err != nil {
		return err
	}
	isNew := c.creating(args[1])
	if !datatypes.CacheSet(c.Tx, c.DB, args[1], args[2], datatypes.CacheSetOptions{NX: o.nx, XX: o.xx, ExpireAt: at, Tag: o.tag}) {
		c.W.Null()
		return nil
	}
	c.notifySet(isNew, args[1], o.exp != nil)
	c.W.OK()
	return nil
}

// cmdCacheTag: CACHE.TAG key tag → 1, or 0 when the key is missing or
// expired. An empty tag removes the tag.
func cmdCacheTag(c *Ctx, args [][]byte) error {
	c.W.Int(boolInt(c.Tx.SetTag(c.DB, args[1], args[2])))
	return nil
}

// cmdCacheUntag: CACHE.UNTAG key → 1 when a tag was removed, 0 when the
// key is missing, expired or untagged.
func cmdCacheUntag(c *Ctx, args [][]byte) error {
	c.W.Int(boolInt(datatypes.Untag(c.Tx, c.DB, args[1])))
	return nil
}

// cmdCacheGetTag: CACHE.GETTAG key → the tag, or null when the key is
// missing, expired or untagged. Not counted as an access.
func cmdCacheGetTag(c *Ctx, args [][]byte) error {
	tag, ok, err := datatypes.GetTag(c.Tx, c.DB, args[1])
	if err != nil {
		return err
	}
	if !ok || len(tag) == 0 {
		c.W.Null()
		return nil
	}
	c.W.Bulk(tag)
	return nil
}

// evictTagBatch is how many keys one CACHE.EVICT transaction deletes.
const evictTagBatch = 10_000

// cmdCacheEvict: CACHE.EVICT tag → the number of live keys deleted from the
// selected database. Batches of evictTagBatch keys commit one after the
// other: each batch becomes visible at once, a concurrent reader may see a
// tag half evicted while the command runs, and keys tagged meanwhile are
// deleted if the walk still reaches them. Inside MULTI or a script the
// whole tag goes in the caller's transaction.
func cmdCacheEvict(c *Ctx, args [][]byte) error {
	tag := args[1]
	total := 0
	run := func(tx *engine.Tx) bool {
		n, more := tx.EvictTag(c.DB, tag, evictTagBatch, func(key []byte) {
			c.S.notify(NotifyGeneric, "del", c.DB, key)
		})
		total += n
		return more
	}
	if c.Tx != nil {
		for run(c.Tx) {
		}
	} else {
		for more := true; more; {
			if err := c.S.DB().Update(func(tx *engine.Tx) error { more = run(tx); return nil }); err != nil {
				return err
			}
		}
	}
	c.W.Int(int64(total))
	return nil
}

// cmdCacheTags: CACHE.TAGS [MATCH pattern] → tag/count pairs sorted by
// tag (a map in RESP3, a flat array in RESP2); empty when nothing is
// tagged. Cost: O(tagged keys in the database).
func cmdCacheTags(c *Ctx, args [][]byte) error {
	var pattern []byte
	switch {
	case len(args) == 1:
	case len(args) == 3 && strings.EqualFold(string(args[1]), "match"):
		pattern = args[2]
	default:
		return ErrSyntax
	}
	tags := datatypes.Tags(c.Tx, c.DB, pattern)
	c.W.Map(len(tags))
	for _, t := range tags {
		c.W.Bulk(t.Tag)
		c.W.Int(t.Count)
	}
	return nil
}
