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

// cmdSet implements SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL].
func cmdSet(c *Ctx, args [][]byte) error {
	var o datatypes.SetOptions
	var exp *expireOpt
	for i := 3; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		switch opt {
		case "nx":
			if o.XX {
				return ErrSyntax
			}
			o.NX = true
		case "xx":
			if o.NX {
				return ErrSyntax
			}
			o.XX = true
		case "get":
			o.Get = true
		case "keepttl":
			if exp != nil {
				return ErrSyntax
			}
			o.KeepTTL = true
		case "ex", "px", "exat", "pxat":
			if exp != nil || o.KeepTTL || i+1 >= len(args) {
				return ErrSyntax
			}
			exp = &expireOpt{opt, args[i+1]}
			i++
		default:
			return ErrSyntax
		}
	}
	if exp != nil {
		at, err := exp.resolve("set", c.Tx.Now)
		if err != nil {
			return err
		}
		o.ExpireAt = at
	}
	res, err := datatypes.Set(c.Tx, c.DB, args[1], args[2], o)
	if err != nil {
		return err
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
	res, err := datatypes.Set(c.Tx, c.DB, args[1], args[2], datatypes.SetOptions{NX: true})
	if err != nil {
		return err
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
	if _, err := datatypes.Set(c.Tx, c.DB, args[1], args[3], datatypes.SetOptions{ExpireAt: at}); err != nil {
		return err
	}
	c.W.OK()
	return nil
}

func cmdGetSet(c *Ctx, args [][]byte) error {
	res, err := datatypes.Set(c.Tx, c.DB, args[1], args[2], datatypes.SetOptions{Get: true})
	if err != nil {
		return err
	}
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
	return nil
}

// cmdGetEx implements GETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST].
func cmdGetEx(c *Ctx, args [][]byte) error {
	var exp *expireOpt
	persist := false
	for i := 2; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		switch opt {
		case "persist":
			if exp != nil || persist {
				return ErrSyntax
			}
			persist = true
		case "ex", "px", "exat", "pxat":
			if exp != nil || persist || i+1 >= len(args) {
				return ErrSyntax
			}
			exp = &expireOpt{opt, args[i+1]}
			i++
		default:
			return ErrSyntax
		}
	}
	var at int64
	if exp != nil {
		var err error
		if at, err = exp.resolve("getex", c.Tx.Now); err != nil {
			return err
		}
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
	c.W.Bulk(v)
	switch {
	case exp != nil && at <= c.Tx.Now:
		c.Tx.Delete(c.DB, args[1])
	case exp != nil:
		c.Tx.SetExpire(c.DB, args[1], at)
	case persist:
		c.Tx.SetExpire(c.DB, args[1], 0)
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
		if _, err := datatypes.Set(c.Tx, c.DB, args[i], args[i+1], datatypes.SetOptions{}); err != nil {
			return err
		}
	}
	if nx {
		c.W.Int(1)
	} else {
		c.W.OK()
	}
	return nil
}

func cmdAppend(c *Ctx, args [][]byte) error {
	n, err := datatypes.Append(c.Tx, c.DB, args[1], args[2])
	if err != nil {
		return err
	}
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
	n, err := datatypes.SetRange(c.Tx, c.DB, args[1], off, args[3])
	if err != nil {
		return err
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
	n, err := datatypes.IncrBy(c.Tx, c.DB, args[1], delta)
	if err != nil {
		return err
	}
	c.W.Int(n)
	return nil
}

func cmdIncrByFloat(c *Ctx, args [][]byte) error {
	d, ok := datatypes.ParseFloat(args[2])
	if !ok {
		return ErrNotFloat
	}
	s, err := datatypes.IncrByFloat(c.Tx, c.DB, args[1], d)
	if err != nil {
		return err
	}
	c.W.BulkString(s)
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
	m, ok, err := tx.Lookup(db, key)
	if err != nil || !ok {
		return "none"
	}
	return m.Type.String()
}
