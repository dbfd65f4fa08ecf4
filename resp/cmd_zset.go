package resp

import (
	"errors"
	"math"
	"strings"

	"github.com/diskcached/diskcached/datatypes"
)

// zsetCommands is redis.io's "sorted-set" group. Ranges live in
// cmd_zset_range.go, pops and set algebra in cmd_zset_ops.go.
func zsetCommands() []*Command {
	const g = "sorted-set"
	w, r := FlagWrite|FlagDenyOOM, FlagReadonly
	return []*Command{
		{Name: "zadd", Arity: -4, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", Run: cmdZAdd},
		{Name: "zincrby", Arity: 4, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Increments the score of a member in a sorted set.", Run: cmdZIncrBy},
		{Name: "zrem", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.", Run: cmdZRem},
		{Name: "zcard", Arity: 2, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the number of members in a sorted set.", Run: cmdZCard},
		{Name: "zscore", Arity: 3, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the score of a member in a sorted set.", Run: cmdZScore},
		{Name: "zmscore", Arity: -3, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the score of one or more members in a sorted set.", Run: cmdZMScore},
		{Name: "zrank", Arity: 3, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the index of a member in a sorted set ordered by ascending scores.", Run: cmdZRank},
		{Name: "zrevrank", Arity: 3, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the index of a member in a sorted set ordered by descending scores.", Run: cmdZRank},
		{Name: "zrange", Arity: -4, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns members in a sorted set within a range of indexes.", Run: cmdZRange},
		{Name: "zrangestore", Arity: -5, Flags: w, FirstKey: 1, LastKey: 2, Group: g, Summary: "Stores a range of members from sorted set in a key.", Run: cmdZRange},
		{Name: "zrevrange", Arity: -4, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns members in a sorted set within a range of indexes in reverse order.", Run: cmdZRange},
		{Name: "zrangebyscore", Arity: -4, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns members in a sorted set within a range of scores.", Run: cmdZRange},
		{Name: "zrevrangebyscore", Arity: -4, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns members in a sorted set within a range of scores in reverse order.", Run: cmdZRange},
		{Name: "zrangebylex", Arity: -4, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns members in a sorted set within a lexicographical range.", Run: cmdZRange},
		{Name: "zrevrangebylex", Arity: -4, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns members in a sorted set within a lexicographical range in reverse order.", Run: cmdZRange},
		{Name: "zcount", Arity: 4, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the count of members in a sorted set that have scores within a range.", Run: cmdZCount},
		{Name: "zlexcount", Arity: 4, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the number of members in a sorted set within a lexicographical range.", Run: cmdZLexCount},
		{Name: "zremrangebyrank", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Group: g, Summary: "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.", Run: cmdZRemRangeByRank},
		{Name: "zremrangebyscore", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Group: g, Summary: "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.", Run: cmdZRemRangeByScore},
		{Name: "zremrangebylex", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Group: g, Summary: "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.", Run: cmdZRemRangeByLex},
		{Name: "zpopmin", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", Run: cmdZPop},
		{Name: "zpopmax", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", Run: cmdZPop},
		{Name: "zmpop", Arity: -4, Flags: FlagWrite, Group: g, Summary: "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.", Run: cmdZMPop},
		{Name: "bzpopmin", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagFast | FlagBlocking, FirstKey: 1, LastKey: -2, Group: g, Summary: "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", Run: cmdBZPop},
		{Name: "bzpopmax", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagFast | FlagBlocking, FirstKey: 1, LastKey: -2, Group: g, Summary: "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.", Run: cmdBZPop},
		{Name: "bzmpop", Arity: -5, Flags: FlagWrite | FlagBlocking, Group: g, Summary: "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", Run: cmdBZMPop},
		{Name: "zunion", Arity: -3, Flags: r, Group: g, Summary: "Returns the union of multiple sorted sets.", Run: cmdZCombine},
		{Name: "zinter", Arity: -3, Flags: r, Group: g, Summary: "Returns the intersect of multiple sorted sets.", Run: cmdZCombine},
		{Name: "zdiff", Arity: -3, Flags: r, Group: g, Summary: "Returns the difference between multiple sorted sets.", Run: cmdZCombine},
		{Name: "zunionstore", Arity: -4, Flags: w, FirstKey: 1, LastKey: 1, Group: g, Summary: "Stores the union of multiple sorted sets in a key.", Run: cmdZCombine},
		{Name: "zinterstore", Arity: -4, Flags: w, FirstKey: 1, LastKey: 1, Group: g, Summary: "Stores the intersect of multiple sorted sets in a key.", Run: cmdZCombine},
		{Name: "zdiffstore", Arity: -4, Flags: w, FirstKey: 1, LastKey: 1, Group: g, Summary: "Stores the difference of multiple sorted sets in a key.", Run: cmdZCombine},
		{Name: "zintercard", Arity: -3, Flags: r, Group: g, Summary: "Returns the number of members of the intersect of multiple sorted sets.", Run: cmdZInterCard},
		{Name: "zrandmember", Arity: -2, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns one or more random members from a sorted set.", Run: cmdZRandMember},
		{Name: "zscan", Arity: -3, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Iterates over members and scores of a sorted set.", Run: cmdZScan},
	}
}

// parseScore parses a score or weight as Redis's getDoubleFromObject does.
func parseScore(b []byte) (float64, bool) {
	return datatypes.ParseFloat(b)
}

// zaddErr maps datatypes' NaN error to Redis's text.
func zaddErr(err error) error {
	if errors.Is(err, datatypes.ErrScoreNaN) {
		return ErrScoreNaN
	}
	return err
}

// cmdZAdd implements ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member….
// Options and every score are checked before the key is touched.
func cmdZAdd(c *Ctx, args [][]byte) error {
	var o datatypes.ZAddOptions
	ch := false
	i := 2
opts:
	for ; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "nx":
			o.NX = true
		case "xx":
			o.XX = true
		case "ch":
			ch = true
		case "incr":
			o.Incr = true
		case "gt":
			o.GT = true
		case "lt":
			o.LT = true
		default:
			break opts
		}
	}
	rest := args[i:]
	if len(rest) == 0 || len(rest)%2 != 0 {
		return ErrSyntax
	}
	switch {
	case o.NX && o.XX:
		return ErrZAddXXNX
	case (o.GT && o.NX) || (o.LT && o.NX) || (o.GT && o.LT):
		return ErrZAddGTLTNX
	case o.Incr && len(rest) > 2:
		return ErrZAddIncrPair
	}
	n := len(rest) / 2
	scores := make([]float64, n)
	members := make([][]byte, n)
	for j := 0; j < n; j++ {
		s, ok := parseScore(rest[2*j])
		if !ok {
			return ErrNotFloat
		}
		scores[j], members[j] = s, rest[2*j+1]
	}
	isNew := c.creating(args[1])
	res, err := datatypes.ZAdd(c.Tx, c.DB, args[1], o, scores, members)
	signalZSet(c, args[1])
	if err != nil {
		return zaddErr(err)
	}
	c.notifyZAdd(isNew, args[1], o.Incr, res)
	switch {
	case o.Incr && res.Processed:
		c.W.Double(res.Score)
	case o.Incr:
		c.W.Null()
	case ch:
		c.W.Int(res.Added + res.Updated)
	default:
		c.W.Int(res.Added)
	}
	return nil
}

func cmdZIncrBy(c *Ctx, args [][]byte) error {
	s, ok := parseScore(args[2])
	if !ok {
		return ErrNotFloat
	}
	isNew := c.creating(args[1])
	res, err := datatypes.ZAdd(c.Tx, c.DB, args[1], datatypes.ZAddOptions{Incr: true}, []float64{s}, [][]byte{args[3]})
	if err != nil {
		return zaddErr(err)
	}
	c.notifyZAdd(isNew, args[1], true, res)
	signalZSet(c, args[1])
	c.W.Double(res.Score)
	return nil
}

func cmdZRem(c *Ctx, args [][]byte) error {
	n, err := datatypes.ZRem(c.Tx, c.DB, args[1], args[2:])
	if err != nil {
		return err
	}
	if n > 0 {
		c.removed(NotifyZset, "zrem", args[1])
	}
	c.W.Int(n)
	return nil
}

func cmdZCard(c *Ctx, args [][]byte) error {
	n, err := datatypes.ZCard(c.Tx, c.DB, args[1])
	if err != nil {
		return err
	}
	c.W.Int(n)
	return nil
}

// cmdZScore: a missing key or member is null.
func cmdZScore(c *Ctx, args [][]byte) error {
	s, ok, err := datatypes.ZScore(c.Tx, c.DB, args[1], args[2])
	if err != nil {
		return err
	}
	if !ok {
		c.W.Null()
		return nil
	}
	c.W.Double(s)
	return nil
}

func cmdZMScore(c *Ctx, args [][]byte) error {
	res, err := datatypes.ZMScore(c.Tx, c.DB, args[1], args[2:])
	if err != nil {
		return err
	}
	c.W.Array(len(res))
	for _, s := range res {
		if s == nil {
			c.W.Null()
		} else {
			c.W.Double(*s)
		}
	}
	return nil
}

// cmdZRank serves ZRANK and ZREVRANK: null for a missing key or member.
func cmdZRank(c *Ctx, args [][]byte) error {
	rev := lowerName(args[0]) == "zrevrank"
	rank, _, ok, err := datatypes.ZRank(c.Tx, c.DB, args[1], args[2], rev)
	if err != nil {
		return err
	}
	if !ok {
		c.W.Null()
		return nil
	}
	c.W.Int(rank)
	return nil
}

// writeScored replies members, with scores when asked: RESP2 a flat array
// (member, score, …), RESP3 an array of [member, double] pairs.
func writeScored(w *Writer, items []datatypes.ScoredMember, withScores bool) {
	switch {
	case !withScores:
		w.Array(len(items))
		for _, it := range items {
			w.Bulk(it.Member)
		}
	case w.Proto() == 3:
		w.Array(len(items))
		for _, it := range items {
			w.Array(2)
			w.Bulk(it.Member)
			w.Double(it.Score)
		}
	default:
		writeScoredFlat(w, items)
	}
}

// writeScoredFlat replies (member, score, …) as one flat array.
func writeScoredFlat(w *Writer, items []datatypes.ScoredMember) {
	w.Array(2 * len(items))
	for _, it := range items {
		w.Bulk(it.Member)
		w.Double(it.Score)
	}
}

// cmdZRandMember implements ZRANDMEMBER key [count [WITHSCORES]].
func cmdZRandMember(c *Ctx, args [][]byte) error {
	if len(args) == 2 {
		items, err := datatypes.ZRandMember(c.Tx, c.DB, args[1], 1)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			c.W.Null()
			return nil
		}
		c.W.Bulk(items[0].Member)
		return nil
	}
	n, err := parseRandCount(args[2])
	if err != nil {
		return err
	}
	withScores := false
	if len(args) > 4 || (len(args) == 4 && !strings.EqualFold(string(args[3]), "withscores")) {
		return ErrSyntax
	}
	if len(args) == 4 {
		withScores = true
		if n < -math.MaxInt64/2 || n > math.MaxInt64/2 {
			return ErrOutOfRange
		}
	}
	items, err := datatypes.ZRandMember(c.Tx, c.DB, args[1], n)
	if err != nil {
		return err
	}
	writeScored(c.W, items, withScores)
	return nil
}

// cmdZScan implements ZSCAN key cursor [MATCH p] [COUNT n]; scores are
// bulk strings in both protocols, as in Redis.
func cmdZScan(c *Ctx, args [][]byte) error {
	o, done, err := parseMemberScan(c, args, datatypes.ZCard)
	if err != nil || done {
		return err
	}
	next, items, err := datatypes.ZScan(c.Tx, c.DB, args[1], o.cursor, o.count, o.match)
	if err != nil {
		return err
	}
	writeScanHeader(c.W, next, 2*len(items))
	var tmp [32]byte
	for _, it := range items {
		c.W.Bulk(it.Member)
		c.W.Bulk(AppendDouble(tmp[:0], it.Score))
	}
	return nil
}

// parseRankArg parses an index argument.
func parseRankArg(b []byte) (int64, error) {
	n, ok := datatypes.ParseInt(b)
	if !ok {
		return 0, ErrNotInteger
	}
	return n, nil
}
