package resp

import (
	"strconv"
	"strings"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// setCommands is redis.io's "set" group.
func setCommands() []*Command {
	const g = "set"
	w, r := FlagWrite|FlagDenyOOM, FlagReadonly
	return []*Command{
		{Name: "sadd", Arity: -3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Adds one or more members to a set. Creates the key if it doesn't exist.", Run: cmdSAdd},
		{Name: "srem", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Removes one or more members from a set. Deletes the set if the last member was removed.", Run: cmdSRem},
		{Name: "sismember", Arity: 3, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Determines whether a member belongs to a set.", Run: cmdSIsMember},
		{Name: "smismember", Arity: -3, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Determines whether multiple members belong to a set.", Run: cmdSMIsMember},
		{Name: "smembers", Arity: 2, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns all members of a set.", Run: cmdSMembers},
		{Name: "scard", Arity: 2, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the number of members in a set.", Run: cmdSCard},
		{Name: "spop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", Run: cmdSPop},
		{Name: "srandmember", Arity: -2, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Get one or multiple random members from a set", Run: cmdSRandMember},
		{Name: "smove", Arity: 4, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 2, Group: g, Summary: "Moves a member from one set to another.", Run: cmdSMove},
		{Name: "sinter", Arity: -2, Flags: r, FirstKey: 1, LastKey: -1, Group: g, Summary: "Returns the intersect of multiple sets.", Run: cmdSetOp},
		{Name: "sunion", Arity: -2, Flags: r, FirstKey: 1, LastKey: -1, Group: g, Summary: "Returns the union of multiple sets.", Run: cmdSetOp},
		{Name: "sdiff", Arity: -2, Flags: r, FirstKey: 1, LastKey: -1, Group: g, Summary: "Returns the difference of multiple sets.", Run: cmdSetOp},
		{Name: "sinterstore", Arity: -3, Flags: w, FirstKey: 1, LastKey: -1, Group: g, Summary: "Stores the intersect of multiple sets in a key.", Run: cmdSetOp},
		{Name: "sunionstore", Arity: -3, Flags: w, FirstKey: 1, LastKey: -1, Group: g, Summary: "Stores the union of multiple sets in a key.", Run: cmdSetOp},
		{Name: "sdiffstore", Arity: -3, Flags: w, FirstKey: 1, LastKey: -1, Group: g, Summary: "Stores the difference of multiple sets in a key.", Run: cmdSetOp},
		{Name: "sintercard", Arity: -3, Flags: r, Group: g, Summary: "Returns the number of members of the intersect of multiple sets.", Run: cmdSInterCard},
		{Name: "sscan", Arity: -3, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Iterates over members of a set.", Run: cmdSScan},
	}
}

func cmdSAdd(c *Ctx, args [][]byte) error {
	isNew := c.creating(args[1])
	n, err := datatypes.SAdd(c.Tx, c.DB, args[1], args[2:])
	if err != nil {
		return err
	}
	if n > 0 {
		c.created(isNew, args[1])
		c.event(NotifySet, "sadd", args[1])
	}
	c.W.Int(n)
	return nil
}

func cmdSRem(c *Ctx, args [][]byte) error {
	n, err := datatypes.SRem(c.Tx, c.DB, args[1], args[2:])
	if err != nil {
		return err
	}
	if n > 0 {
		c.removed(NotifySet, "srem", args[1])
	}
	c.W.Int(n)
	return nil
}

func cmdSIsMember(c *Ctx, args [][]byte) error {
	ok, err := datatypes.SIsMember(c.Tx, c.DB, args[1], args[2])
	if err != nil {
		return err
	}
	c.W.Int(boolInt(ok))
	return nil
}

func cmdSMIsMember(c *Ctx, args [][]byte) error {
	res, err := datatypes.SMIsMember(c.Tx, c.DB, args[1], args[2:])
	if err != nil {
		return err
	}
	c.W.Array(len(res))
	for _, ok := range res {
		c.W.Int(boolInt(ok))
	}
	return nil
}

// writeSet replies a set (RESP3 '~', RESP2 array) of members.
func writeSet(w *Writer, members [][]byte) {
	w.Set(len(members))
	for _, m := range members {
		w.Bulk(m)
	}
}

// writeBulks replies an array of bulk strings.
func writeBulks(w *Writer, items [][]byte) {
	w.Array(len(items))
	for _, m := range items {
		w.Bulk(m)
	}
}

// cmdSMembers: a missing key is an empty set.
func cmdSMembers(c *Ctx, args [][]byte) error {
	mem, ok, err := datatypes.SMembers(c.Tx, c.DB, args[1])
	if err != nil {
		return err
	}
	c.Count(ok)
	writeSet(c.W, mem)
	return nil
}

func cmdSCard(c *Ctx, args [][]byte) error {
	n, err := datatypes.SCard(c.Tx, c.DB, args[1])
	if err != nil {
		return err
	}
	c.W.Int(n)
	return nil
}

// cmdSPop: SPOP key → one member or null; SPOP key count → a set (empty
// for a missing key or count 0).
func cmdSPop(c *Ctx, args [][]byte) error {
	if len(args) > 3 {
		return ErrSyntax
	}
	count := int64(1)
	if len(args) == 3 {
		n, ok := datatypes.ParseInt(args[2])
		if !ok || n < 0 {
			return ErrOutOfRangePositive
		}
		count = n
	}
	mem, _, err := datatypes.SPop(c.Tx, c.DB, args[1], count)
	if err != nil {
		return err
	}
	if len(mem) > 0 {
		c.removed(NotifySet, "spop", args[1])
	}
	if len(args) == 3 {
		writeSet(c.W, mem)
		return nil
	}
	if len(mem) == 0 {
		c.W.Null()
		return nil
	}
	c.W.Bulk(mem[0])
	return nil
}

// cmdSRandMember: without count one member or null; with count an array
// (negative count: repetitions allowed).
func cmdSRandMember(c *Ctx, args [][]byte) error {
	if len(args) > 3 {
		return ErrSyntax
	}
	if len(args) == 2 {
		mem, err := datatypes.SRandMember(c.Tx, c.DB, args[1], 1)
		if err != nil {
			return err
		}
		if len(mem) == 0 {
			c.W.Null()
			return nil
		}
		c.W.Bulk(mem[0])
		return nil
	}
	n, err := parseRandCount(args[2])
	if err != nil {
		return err
	}
	mem, err := datatypes.SRandMember(c.Tx, c.DB, args[1], n)
	if err != nil {
		return err
	}
	writeBulks(c.W, mem)
	return nil
}

// parseRandCount parses SRANDMEMBER/ZRANDMEMBER/HRANDFIELD's count: any
// int64 but the smallest.
func parseRandCount(b []byte) (int64, error) {
	n, ok := datatypes.ParseInt(b)
	if !ok {
		return 0, ErrNotInteger
	}
	if n == -1<<63 {
		return 0, ErrRandCountRange
	}
	return n, nil
}

func cmdSMove(c *Ctx, args [][]byte) error {
	isNew := c.creating(args[2])
	had, _ := datatypes.SIsMember(c.Tx, c.DB, args[2], args[3])
	ok, err := datatypes.SMove(c.Tx, c.DB, args[1], args[2], args[3])
	if err != nil {
		return err
	}
	if ok && string(args[1]) != string(args[2]) {
		c.removed(NotifySet, "srem", args[1])
		c.created(isNew, args[2])
		if !had {
			c.event(NotifySet, "sadd", args[2])
		}
	}
	c.W.Int(boolInt(ok))
	return nil
}

// combineOp names the operation of SINTER/SUNION/SDIFF, ZINTER/ZUNION/
// ZDIFF and their STORE forms: the name after its type letter.
func combineOp(name string) datatypes.SetOp {
	switch {
	case strings.HasPrefix(name[1:], "inter"):
		return datatypes.SetInter
	case strings.HasPrefix(name[1:], "union"):
		return datatypes.SetUnion
	}
	return datatypes.SetDiff
}

// cmdSetOp serves SINTER SUNION SDIFF and their STORE forms. Missing keys
// are empty sets; every key is type-checked.
func cmdSetOp(c *Ctx, args [][]byte) error {
	name := lowerName(args[0])
	store := strings.HasSuffix(name, "store")
	op := combineOp(name)
	keys := args[1:]
	if store {
		keys = args[2:]
	}
	res, err := datatypes.SetCombine(c.Tx, c.DB, op, keys, 0)
	if err != nil {
		return err
	}
	if store {
		p := c.probeStore(args[1])
		c.W.Int(datatypes.SetStore(c.Tx, c.DB, args[1], res))
		c.stored(p, NotifySet, name, args[1])
		return nil
	}
	writeSet(c.W, res)
	return nil
}

// cmdSInterCard implements SINTERCARD numkeys key… [LIMIT n].
func cmdSInterCard(c *Ctx, args [][]byte) error {
	keys, limit, err := parseInterCard(args)
	if err != nil {
		return err
	}
	res, err := datatypes.SetCombine(c.Tx, c.DB, datatypes.SetInter, keys, limit)
	if err != nil {
		return err
	}
	c.W.Int(int64(len(res)))
	return nil
}

// parseInterCard parses SINTERCARD/ZINTERCARD arguments.
func parseInterCard(args [][]byte) ([][]byte, int64, error) {
	numkeys, ok := datatypes.ParseInt(args[1])
	if !ok || numkeys < 1 {
		return nil, 0, ErrNumkeysPositive
	}
	if numkeys > int64(len(args)-2) {
		return nil, 0, ErrNumkeysTooMany
	}
	keys := args[2 : 2+numkeys]
	var limit int64
	for j := 2 + int(numkeys); j < len(args); j++ {
		if !strings.EqualFold(string(args[j]), "limit") || j+1 >= len(args) {
			return nil, 0, ErrSyntax
		}
		j++
		n, ok := datatypes.ParseInt(args[j])
		if !ok || n < 0 {
			return nil, 0, ErrLimitNegative
		}
		limit = n
	}
	return keys, limit, nil
}

// scanOpts are SSCAN/ZSCAN's MATCH and COUNT.
type scanOpts struct {
	cursor uint64
	count  int
	match  []byte
}

// parseScanOpts parses "cursor [MATCH p] [COUNT n]" starting at args[i].
// An option error is returned separately: Redis reports it only after the
// key was found and type-checked.
func parseScanOpts(args [][]byte, i int) (scanOpts, error, error) {
	o := scanOpts{count: 10}
	cur, err := parseCursor(args[i])
	if err != nil {
		return o, err, nil
	}
	o.cursor = cur
	for j := i + 1; j < len(args); j += 2 {
		if j+1 >= len(args) {
			return o, nil, ErrSyntax
		}
		switch strings.ToLower(string(args[j])) {
		case "count":
			n, ok := datatypes.ParseInt(args[j+1])
			if !ok {
				return o, nil, ErrNotInteger
			}
			if n < 1 {
				return o, nil, ErrSyntax
			}
			if n > 1<<20 {
				n = 1 << 20
			}
			o.count = int(n)
		case "match":
			o.match = args[j+1]
			if len(o.match) == 1 && o.match[0] == '*' {
				o.match = nil
			}
		default:
			return o, nil, ErrSyntax
		}
	}
	return o, nil, nil
}

// writeScanReply writes [cursor, items].
func writeScanHeader(w *Writer, next uint64, n int) {
	w.Array(2)
	w.BulkString(strconv.FormatUint(next, 10))
	w.Array(n)
}

// parseMemberScan parses SSCAN/ZSCAN's "cursor [MATCH p] [COUNT n]". As in
// Redis, a bad option on a missing (or wrong-type) key is not reported:
// card is asked first, and an empty key answers an empty scan (done=true).
func parseMemberScan(c *Ctx, args [][]byte, card func(*engine.Tx, int, []byte) (int64, error)) (o scanOpts, done bool, err error) {
	o, err, optErr := parseScanOpts(args, 2)
	if err != nil || optErr == nil {
		return o, false, err
	}
	n, err := card(c.Tx, c.DB, args[1])
	if err != nil {
		return o, false, err
	}
	if n == 0 {
		writeScanHeader(c.W, 0, 0)
		return o, true, nil
	}
	return o, false, optErr
}

// cmdSScan implements SSCAN key cursor [MATCH p] [COUNT n].
func cmdSScan(c *Ctx, args [][]byte) error {
	o, done, err := parseMemberScan(c, args, datatypes.SCard)
	if err != nil || done {
		return err
	}
	next, mem, err := datatypes.SScan(c.Tx, c.DB, args[1], o.cursor, o.count, o.match)
	if err != nil {
		return err
	}
	writeScanHeader(c.W, next, len(mem))
	for _, m := range mem {
		c.W.Bulk(m)
	}
	return nil
}
