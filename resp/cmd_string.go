package resp

import (
	"math"
	"strings"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// stringCommands is redis.io's "string" group (bit operations live in
// cmd_bit.go).
func stringCommands() []*Command {
	const g = "string"
	w, r := FlagWrite|FlagDenyOOM, FlagReadonly
	return []*Command{
		{Name: "get", Arity: 2, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the string value of a key.", Run: cmdGet},
		{Name: "set", Arity: -3, Flags: w, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sets the string value of a key, ignoring its type.", Run: cmdSet},
		{Name: "setnx", Arity: 3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Set the string value of a key only when the key doesn't exist.", Run: cmdSetNX},
		{Name: "setex", Arity: 4, Flags: w, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sets the string value and expiration time of a key.", Run: cmdSetEX},
		{Name: "psetex", Arity: 4, Flags: w, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sets the string value and expiration time in milliseconds of a key.", Run: cmdSetEX},
		{Name: "getset", Arity: 3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the previous string value of a key after setting it to a new value.", Run: cmdGetSet},
		{Name: "getdel", Arity: 2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the string value of a key after deleting the key.", Run: cmdGetDel},
		{Name: "getex", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the string value of a key after setting its expiration time.", Run: cmdGetEx},
		{Name: "mget", Arity: -2, Flags: r | FlagFast, FirstKey: 1, LastKey: -1, Step: 1, Group: g, Summary: "Atomically returns the string values of one or more keys.", Run: cmdMGet},
		{Name: "mset", Arity: -3, Flags: w, FirstKey: 1, LastKey: -1, Step: 2, Group: g, Summary: "Atomically creates or modifies the string values of one or more keys.", Run: cmdMSet},
		{Name: "msetnx", Arity: -3, Flags: w, FirstKey: 1, LastKey: -1, Step: 2, Group: g, Summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.", Run: cmdMSet},
		{Name: "append", Arity: 3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.", Run: cmdAppend},
		{Name: "strlen", Arity: 2, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the length of a string value.", Run: cmdStrlen},
		{Name: "getrange", Arity: 4, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns a substring of the string stored at a key.", Run: cmdGetRange},
		{Name: "substr", Arity: 4, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns a substring from a string value.", Run: cmdGetRange},
		{Name: "setrange", Arity: 4, Flags: w, FirstKey: 1, LastKey: 1, Group: g, Summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", Run: cmdSetRange},
		{Name: "incr", Arity: 2, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", Run: cmdIncr},
		{Name: "decr", Arity: 2, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", Run: cmdIncr},
		{Name: "incrby", Arity: 3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", Run: cmdIncr},
		{Name: "decrby", Arity: 3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", Run: cmdIncr},
		{Name: "lcs", Arity: -3, Flags: r, FirstKey: 1, LastKey: 2, Step: 1, Group: g, Summary: "Finds the longest common substring.", Run: cmdLCS},
		{Name: "incrbyfloat", Arity: 3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", Run: cmdIncrByFloat},
	}
}

func cmdGet(c *Ctx, args [][]byte) error {
	v, ok, err := datatypes.GetString(c.Tx, c.DB, args[1])
	if err != nil {
		return err
	}
	c.Count(ok)
	if !ok {
		c.W.Null()
		return nil
	}
	c.W.Bulk(v)
	return nil
}

// expireOpt is a parsed EX/PX/EXAT/PXAT option.
type expireOpt struct {
	unit string // "ex", "px", "exat", "pxat"
	arg  []byte
}

// resolve turns the option into an absolute unix-ms time, with Redis's
// errors: not an integer, or ≤ 0 / overflowing ("invalid expire time in
// '<cmd>' command").
func (e expireOpt) resolve(cmd string, now int64) (int64, error) {
	n, ok := datatypes.ParseInt(e.arg)
	if !ok {
		return 0, ErrNotInteger
	}
	if n <= 0 {
		return 0, errInvalidExpire(cmd)
	}
	seconds := e.unit == "ex" || e.unit == "exat"
	if seconds {
		if n > math.MaxInt64/1000 {
			return 0, errInvalidExpire(cmd)
		}
		n *= 1000
	}
	if e.unit == "ex" || e.unit == "px" {
		if n > math.MaxInt64-now {
			return 0, errInvalidExpire(cmd)
		}
		n += now
	}
	return n, nil
}

// String option flags shared by SET and GETEX.
const (
	optNX = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT
	optAnyExpire = optEX | optPX | optEXAT | optPXAT
)

// stringOpts is the parsed option list of SET or GETEX.
type stringOpts struct {
	flags int
	exp   *expireOpt // last expire option given
}

// parseStringOpts parses SET's (isSet) or GETEX's options with Redis's
// rules: an option may repeat (the last expire value wins) but may not
// be combined with a conflicting one (NX/XX; KEEPTTL, PERSIST and the
// four expire forms with each other); an expire option needs a value;
// anything else is a syntax error.
func parseStringOpts(args [][]byte, isSet bool) (stringOpts, error) {
	var o stringOpts
	units := map[string]int{"ex": optEX, "px": optPX, "exat": optEXAT, "pxat": optPXAT}
	for i := 2; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		f := 0
		switch {
		case isSet && opt == "nx" && o.flags&optXX == 0:
			f = optNX
		case isSet && opt == "xx" && o.flags&optNX == 0:
			f = optXX
		case isSet && opt == "get":
			f = optGet
		case isSet && opt == "keepttl" && o.flags&(optPersist|optAnyExpire) == 0:
			f = optKeepTTL
		case !isSet && opt == "persist" && o.flags&(optKeepTTL|optAnyExpire) == 0:
			f = optPersist
		case units[opt] != 0 && i+1 < len(args) && o.flags&(optKeepTTL|optPersist|optAnyExpire&^units[opt]) == 0:
			f = units[opt]
			o.exp = &expireOpt{opt, args[i+1]}
			i++
		default:
			return o, ErrSyntax
		}
		o.flags |= f
	}
	return o, nil
}

// cmdSet implements SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL].
// Order of checks as in Redis: options, expire time, then (with GET) the
// old value's type.
func cmdSet(c *Ctx, args [][]byte) error {
	po, err := parseStringOpts(args[1:], true)
	if err != nil {
		return err
	}
	o := datatypes.SetOptions{NX: po.flags&optNX != 0, XX: po.flags&optXX != 0, Get: po.flags&optGet != 0, KeepTTL: po.flags&optKeepTTL != 0}
	if po.exp != nil {
		at, err := po.exp.resolve("set", c.Tx.Now)
		if err != nil {
			return err
		}
		o.ExpireAt = at
	}
	isNew := c.creating(args[1])
	res, err := datatypes.Set(c.Tx, c.DB, args[1], args[2], o)
	if err != nil {
		return err
	}
	if res.Done {
		c.notifySet(isNew, args[1], po.exp != nil)
	}
	switch {
	case o.Get && res.HadOld:
		c.W.Bulk(res.Old)
	case o.Get, !res.Done:
		c.W.Null()
	default:
		c.W.OK()
	}
	return nil
}

func cmdSetNX(c *Ctx, args [][]byte) error {
	isNew := c.creating(args[1])
	res, err := datatypes.Set(c.Tx, c.DB, args[1], args[2], datatypes.SetOptions{NX: true})
	if err != nil {
		return err
	}
	if res.Done {
		c.notifySet(isNew, args[1], false)
	}
	c.W.Int(boolInt(res.Done))
	return nil
}

// cmdSetEX serves SETEX (seconds) and PSETEX (milliseconds).
func cmdSetEX(c *Ctx, args [][]byte) error {
	name := lowerName(args[0])
	unit := "ex"
	if name == "psetex" {
		unit = "px"
	}
	at, err := expireOpt{unit, args[2]}.resolve(name, c.Tx.Now)
	if err != nil {
		return err
	}
	isNew := c.creating(args[1])
	if _, err := datatypes.Set(c.Tx, c.DB, args[1], args[3], datatypes.SetOptions{ExpireAt: at}); err != nil {
		return err
	}
	c.notifySet(isNew, args[1], true)
	c.W.OK()
	return nil
}

func cmdGetSet(c *Ctx, args [][]byte) error {
	isNew := c.creating(args[1])
	res, err := datatypes.Set(c.Tx, c.DB, args[1], args[2], datatypes.SetOptions{Get: true})
	if err != nil {
		return err
	}
	c.notifySet(isNew, args[1], false)
	if res.HadOld {
		c.W.Bulk(res.Old)
	} else {
		c.W.Null()
	}
	return nil
}

func cmdGetDel(c *Ctx, args [][]byte) error {
	v, ok, err := datatypes.GetString(c.Tx, c.DB, args[1])
	if err != nil {
		return err
	}
	c.Count(ok)
	if !ok {
		c.W.Null()
		return nil
	}
	c.W.Bulk(v)
	c.Tx.Delete(c.DB, args[1])
	c.event(NotifyGeneric, "del", args[1])
	return nil
}

// cmdGetEx implements GETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST]. Order
// of checks as in Redis: options (syntax), a missing key (null), the type,
// then the expire time; an EXAT/PXAT already past deletes the key.
func cmdGetEx(c *Ctx, args [][]byte) error {
	po, err := parseStringOpts(args, false)
	if err != nil {
		return err
	}
	v, ok, err := datatypes.GetString(c.Tx, c.DB, args[1])
	if err != nil {
		return err
	}
	c.Count(ok)
	if !ok {
		c.W.Null()
		return nil
	}
	var at int64
	if po.exp != nil {
		if at, err = po.exp.resolve("getex", c.Tx.Now); err != nil {
			return err
		}
	}
	c.W.Bulk(v)
	switch {
	case po.exp != nil && at <= c.Tx.Now:
		c.Tx.Delete(c.DB, args[1])
		c.event(NotifyGeneric, "del", args[1])
	case po.exp != nil:
		c.Tx.SetExpire(c.DB, args[1], at)
		c.event(NotifyGeneric, "expire", args[1])
	case po.flags&optPersist != 0:
		if m, ok, _ := c.Tx.Lookup(c.DB, args[1]); ok && m.ExpireAt != 0 {
			c.Tx.SetExpire(c.DB, args[1], 0)
			c.event(NotifyGeneric, "persist", args[1])
		}
	}
	return nil
}

func cmdMGet(c *Ctx, args [][]byte) error {
	c.W.Array(len(args) - 1)
	for _, k := range args[1:] {
		v, ok, err := datatypes.GetString(c.Tx, c.DB, k)
		if err != nil || !ok {
			c.Miss()
			c.W.Null()
			continue
		}
		c.Hit()
		c.W.Bulk(v)
	}
	return nil
}

// cmdMSet serves MSET and MSETNX (all or nothing when any key exists).
func cmdMSet(c *Ctx, args [][]byte) error {
	if len(args)%2 == 0 {
		return errArity(lowerName(args[0]))
	}
	nx := lowerName(args[0]) == "msetnx"
	if nx {
		for i := 1; i < len(args); i += 2 {
			if c.Tx.Exists(c.DB, args[i]) {
				c.W.Int(0)
				return nil
			}
		}
	}
	for i := 1; i < len(args); i += 2 {
		isNew := c.creating(args[i])
		if _, err := datatypes.Set(c.Tx, c.DB, args[i], args[i+1], datatypes.SetOptions{}); err != nil {
			return err
		}
		c.notifySet(isNew, args[i], false)
	}
	if nx {
		c.W.Int(1)
	} else {
		c.W.OK()
	}
	return nil
}

func cmdAppend(c *Ctx, args [][]byte) error {
	isNew := c.creating(args[1])
	n, err := datatypes.Append(c.Tx, c.DB, args[1], args[2])
	if err != nil {
		return err
	}
	c.created(isNew, args[1])
	c.event(NotifyString, "append", args[1])
	c.W.Int(n)
	return nil
}

func cmdStrlen(c *Ctx, args [][]byte) error {
	v, _, err := datatypes.GetString(c.Tx, c.DB, args[1])
	if err != nil {
		return err
	}
	c.W.Int(int64(len(v)))
	return nil
}

func cmdGetRange(c *Ctx, args [][]byte) error {
	start, ok1 := datatypes.ParseInt(args[2])
	end, ok2 := datatypes.ParseInt(args[3])
	if !ok1 || !ok2 {
		return ErrNotInteger
	}
	v, _, err := datatypes.GetString(c.Tx, c.DB, args[1])
	if err != nil {
		return err
	}
	c.W.Bulk(datatypes.GetRange(v, start, end))
	return nil
}

func cmdSetRange(c *Ctx, args [][]byte) error {
	off, ok := datatypes.ParseInt(args[2])
	if !ok {
		return ErrNotInteger
	}
	if off < 0 {
		return ErrOffsetRange
	}
	isNew := c.creating(args[1])
	n, err := datatypes.SetRange(c.Tx, c.DB, args[1], off, args[3])
	if err != nil {
		return err
	}
	if len(args[3]) > 0 {
		c.created(isNew, args[1])
		c.event(NotifyString, "setrange", args[1])
	}
	c.W.Int(n)
	return nil
}

// cmdIncr serves INCR, DECR, INCRBY and DECRBY.
func cmdIncr(c *Ctx, args [][]byte) error {
	delta := int64(1)
	name := lowerName(args[0])
	if len(args) == 3 {
		d, ok := datatypes.ParseInt(args[2])
		if !ok {
			return ErrNotInteger
		}
		delta = d
	}
	if name == "decr" || name == "decrby" {
		if delta == math.MinInt64 {
			return ErrDecrOverflow
		}
		delta = -delta
	}
	isNew := c.creating(args[1])
	n, err := datatypes.IncrBy(c.Tx, c.DB, args[1], delta)
	if err != nil {
		return err
	}
	c.created(isNew, args[1])
	c.event(NotifyString, "incrby", args[1])
	c.W.Int(n)
	return nil
}

func cmdIncrByFloat(c *Ctx, args [][]byte) error {
	isNew := c.creating(args[1])
	s, err := datatypes.IncrByFloat(c.Tx, c.DB, args[1], args[2])
	if err != nil {
		return err
	}
	c.created(isNew, args[1])
	c.event(NotifyString, "incrbyfloat", args[1])
	c.W.BulkString(s)
	return nil
}

// cmdLCS implements LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n]
// [WITHMATCHLEN]. Missing keys are empty strings; a non-string key is an
// error (not WRONGTYPE); options are checked after the keys, as in Redis.
func cmdLCS(c *Ctx, args [][]byte) error {
	a, _, errA := datatypes.GetString(c.Tx, c.DB, args[1])
	b, _, errB := datatypes.GetString(c.Tx, c.DB, args[2])
	if errA != nil || errB != nil {
		return ReplyError("ERR The specified keys must contain string values")
	}
	var getLen, getIdx, withLen bool
	var minLen int64
	for j := 3; j < len(args); j++ {
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "idx":
			getIdx = true
		case opt == "len":
			getLen = true
		case opt == "withmatchlen":
			withLen = true
		case opt == "minmatchlen" && j+1 < len(args):
			n, ok := datatypes.ParseInt(args[j+1])
			if !ok {
				return ErrNotInteger
			}
			minLen = max(n, 0)
			j++
		default:
			return ErrSyntax
		}
	}
	if getLen && getIdx {
		return ReplyError("ERR If you want both the length and indexes, please just use IDX.")
	}
	seq, n, ranges, err := datatypes.LCS(a, b, getIdx, minLen)
	if err != nil {
		return ReplyError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
	}
	switch {
	case getIdx:
		c.W.Map(2)
		c.W.BulkString("matches")
		c.W.Array(len(ranges))
		for _, r := range ranges {
			if withLen {
				c.W.Array(3)
			} else {
				c.W.Array(2)
			}
			c.W.Array(2)
			c.W.Int(r.AStart)
			c.W.Int(r.AEnd)
			c.W.Array(2)
			c.W.Int(r.BStart)
			c.W.Int(r.BEnd)
			if withLen {
				c.W.Int(r.AEnd - r.AStart + 1)
			}
		}
		c.W.BulkString("len")
		c.W.Int(n)
	case getLen:
		c.W.Int(n)
	default:
		c.W.Bulk(seq)
	}
	return nil
}

// readString fetches a string value for handlers that only read it,
// counting the hit or miss. It is GetString plus keyspace stats.
func readString(c *Ctx, key []byte) ([]byte, bool, error) {
	v, ok, err := datatypes.GetString(c.Tx, c.DB, key)
	if err == nil {
		c.Count(ok)
	}
	return v, ok, err
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// keyType is the TYPE name of a key, "none" when absent.
func keyType(tx *engine.Tx, db int, key []byte) string {
	m, ok, err := tx.Peek(db, key) // TYPE is not an access (Redis: LOOKUP_NOTOUCH)
	if err != nil || !ok {
		return "none"
	}
	return m.Type.String()
}
