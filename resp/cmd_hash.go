package resp

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// Errors of the hash commands.
const (
	errValueNaNInf      ReplyError = "ERR value is NaN or Infinity"
	errValueOutOfRange  ReplyError = "ERR value is out of range"
	errHRandCountRange  ReplyError = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	hashScanDefaultSize            = 10
)

// hashCommands is redis.io's "hash" group. Fields are kept in byte order,
// so HGETALL/HKEYS/HVALS/HSCAN list them sorted (Redis's order is
// insertion order for small hashes and arbitrary for big ones).
func hashCommands() []*Command {
	const g = "hash"
	w, r := FlagWrite|FlagDenyOOM, FlagReadonly
	return []*Command{
		{Name: "hset", Arity: -4, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Creates or modifies the value of a field in a hash.", Run: cmdHSet},
		{Name: "hmset", Arity: -4, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sets the values of multiple fields.", Run: cmdHSet},
		{Name: "hsetnx", Arity: 4, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sets the value of a field in a hash only when the field doesn't exist.", Run: cmdHSetNX},
		{Name: "hget", Arity: 3, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the value of a field in a hash.", Run: cmdHGet},
		{Name: "hmget", Arity: -3, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the values of all fields in a hash.", Run: cmdHMGet},
		{Name: "hdel", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", Run: cmdHDel},
		{Name: "hlen", Arity: 2, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the number of fields in a hash.", Run: cmdHLen},
		{Name: "hexists", Arity: 3, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Determines whether a field exists in a hash.", Run: cmdHExists},
		{Name: "hstrlen", Arity: 3, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the length of the value of a field.", Run: cmdHStrlen},
		{Name: "hgetall", Arity: 2, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns all fields and values in a hash.", Run: cmdHGetAll},
		{Name: "hkeys", Arity: 2, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns all fields in a hash.", Run: cmdHGetAll},
		{Name: "hvals", Arity: 2, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns all values in a hash.", Run: cmdHGetAll},
		{Name: "hincrby", Arity: 4, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", Run: cmdHIncrBy},
		{Name: "hincrbyfloat", Arity: 4, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", Run: cmdHIncrByFloat},
		{Name: "hrandfield", Arity: -2, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns one or more random fields from a hash.", Run: cmdHRandField},
		{Name: "hscan", Arity: -3, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Iterates over fields and values of a hash.", Run: cmdHScan},
	}
}

// cmdHSet implements HSET (number of new fields) and HMSET (OK).
func cmdHSet(c *Ctx, args [][]byte) error {
	if len(args)%2 == 1 {
		return errArity(lowerName(args[0]))
	}
	isNew := c.creating(args[1])
	n, err := datatypes.HashSet(c.Tx, c.DB, args[1], false, args[2:]...)
	if err != nil {
		return err
	}
	c.created(isNew, args[1])
	c.event(NotifyHash, "hset", args[1])
	if args[0][1] == 's' || args[0][1] == 'S' {
		c.W.Int(n)
	} else {
		c.W.OK()
	}
	return nil
}

func cmdHSetNX(c *Ctx, args [][]byte) error {
	isNew := c.creating(args[1])
	n, err := datatypes.HashSet(c.Tx, c.DB, args[1], true, args[2], args[3])
	if err != nil {
		return err
	}
	if n > 0 {
		c.created(isNew, args[1])
		c.event(NotifyHash, "hset", args[1])
	}
	c.W.Int(n)
	return nil
}

// lookupHash finds key's hash and counts the keyspace hit or miss.
func lookupHash(c *Ctx, key []byte) (engine.Meta, bool, error) {
	m, ok, err := datatypes.LookupHash(c.Tx, c.DB, key)
	if err == nil {
		c.Count(ok)
	}
	return m, ok, err
}

func cmdHGet(c *Ctx, args [][]byte) error {
	m, ok, err := lookupHash(c, args[1])
	if err != nil {
		return err
	}
	var v []byte
	if ok {
		v = datatypes.HashField(c.Tx, &m, args[2])
	}
	if v == nil {
		c.W.Null()
		return nil
	}
	c.W.Bulk(v)
	return nil
}

func cmdHMGet(c *Ctx, args [][]byte) error {
	m, ok, err := lookupHash(c, args[1])
	if err != nil {
		return err
	}
	c.W.Array(len(args) - 2)
	for _, f := range args[2:] {
		var v []byte
		if ok {
			v = datatypes.HashField(c.Tx, &m, f)
		}
		if v == nil {
			c.W.Null()
		} else {
			c.W.Bulk(v)
		}
	}
	return nil
}

func cmdHDel(c *Ctx, args [][]byte) error {
	n, err := datatypes.HashDel(c.Tx, c.DB, args[1], args[2:]...)
	if err != nil {
		return err
	}
	if n > 0 {
		c.removed(NotifyHash, "hdel", args[1])
	}
	c.W.Int(n)
	return nil
}

func cmdHLen(c *Ctx, args [][]byte) error {
	m, _, err := lookupHash(c, args[1])
	if err != nil {
		return err
	}
	c.W.Int(m.Count)
	return nil
}

// cmdHExists and cmdHStrlen answer 0 for a missing key or field.
func cmdHExists(c *Ctx, args [][]byte) error {
	v, err := hashValue(c, args[1], args[2])
	if err != nil {
		return err
	}
	c.W.Int(boolInt(v != nil))
	return nil
}

func cmdHStrlen(c *Ctx, args [][]byte) error {
	v, err := hashValue(c, args[1], args[2])
	if err != nil {
		return err
	}
	c.W.Int(int64(len(v)))
	return nil
}

func hashValue(c *Ctx, key, field []byte) ([]byte, error) {
	m, ok, err := lookupHash(c, key)
	if err != nil || !ok {
		return nil, err
	}
	return datatypes.HashField(c.Tx, &m, field), nil
}

// cmdHGetAll implements HGETALL (a map in RESP3), HKEYS and HVALS; a
// missing key gives an empty map/array.
func cmdHGetAll(c *Ctx, args [][]byte) error {
	m, ok, err := lookupHash(c, args[1])
	if err != nil {
		return err
	}
	what := strings.ToLower(string(args[0]))
	n := 0
	if ok {
		n = int(m.Count)
	}
	if what == "hgetall" {
		c.W.Map(n)
	} else {
		c.W.Array(n)
	}
	if !ok {
		return nil
	}
	datatypes.HashWalk(c.Tx, &m, func(f, v []byte) bool {
		if what != "hvals" {
			c.W.Bulk(f)
		}
		if what != "hkeys" {
			c.W.Bulk(v)
		}
		return true
	})
	return nil
}

func cmdHIncrBy(c *Ctx, args [][]byte) error {
	delta, ok := datatypes.ParseInt(args[3])
	if !ok {
		return ErrNotInteger
	}
	isNew := c.creating(args[1])
	n, err := datatypes.HashIncrBy(c.Tx, c.DB, args[1], args[2], delta)
	if err != nil {
		return err
	}
	c.created(isNew, args[1])
	c.event(NotifyHash, "hincrby", args[1])
	c.W.Int(n)
	return nil
}

// cmdHIncrByFloat adds with long-double precision, as Redis does, and
// replies with the stored text.
func cmdHIncrByFloat(c *Ctx, args [][]byte) error {
	incr, ok := datatypes.ParseLongDouble(args[3])
	if !ok {
		return ErrNotFloat
	}
	if incr.IsInf() {
		return errValueNaNInf
	}
	isNew := c.creating(args[1])
	s, err := datatypes.HashIncrByFloat(c.Tx, c.DB, args[1], args[2], incr)
	if err != nil {
		return err
	}
	c.created(isNew, args[1])
	c.event(NotifyHash, "hincrbyfloat", args[1])
	c.W.BulkString(s)
	return nil
}

// cmdHRandField implements HRANDFIELD key [count [WITHVALUES]]. Without
// count: one field or null. With count: an array (empty for a missing key
// or count 0); WITHVALUES pairs are flat in RESP2 and nested [field, value]
// arrays in RESP3, as in Redis 7.0.
func cmdHRandField(c *Ctx, args [][]byte) error {
	if len(args) == 2 {
		m, ok, err := lookupHash(c, args[1])
		if err != nil {
			return err
		}
		if !ok {
			c.W.Null()
			return nil
		}
		datatypes.HashRandom(c.Tx, &m, 1, func(f, _ []byte) { c.W.Bulk(f) })
		return nil
	}
	count, ok := datatypes.ParseInt(args[2])
	if !ok {
		return ErrNotInteger
	}
	if count == math.MinInt64 {
		return errHRandCountRange
	}
	withValues := false
	if len(args) > 4 || (len(args) == 4 && !strings.EqualFold(string(args[3]), "withvalues")) {
		return ErrSyntax
	}
	if len(args) == 4 {
		withValues = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			return errValueOutOfRange
		}
	}
	m, ok, err := lookupHash(c, args[1])
	if err != nil {
		return err
	}
	if !ok || count == 0 {
		c.W.Array(0)
		return nil
	}
	n := count
	if n < 0 {
		n = -n
	} else if n > m.Count {
		n = m.Count
	}
	nested := withValues && c.W.Proto() == 3
	if withValues && !nested {
		c.W.Array(int(2 * n))
	} else {
		c.W.Array(int(n))
	}
	datatypes.HashRandom(c.Tx, &m, count, func(f, v []byte) {
		if nested {
			c.W.Array(2)
		}
		c.W.Bulk(f)
		if withValues {
			c.W.Bulk(v)
		}
	})
	return nil
}

// HSCAN cursors. A hash no bigger than hash-max-listpack-entries is
// returned whole with cursor 0, as Redis does for its small encoding. For
// bigger ones the cursor names the field to resume from: its high 32 bits
// are the field's first 4 bytes and the rest is random; the exact field is
// remembered in a bounded server-wide table. A cursor the table no longer
// knows (evicted, or the server restarted) resumes at the first field
// starting with those 4 bytes (trailing zero bytes dropped), which is never
// after the real position: fields present for the whole scan are always
// returned, some possibly twice — Redis's SCAN guarantee.
type scanCursorKey struct {
	db     int
	key    string
	cursor uint64
}

const scanCursorTableSize = 1 << 16

var scanCursors = struct {
	sync.Mutex
	m    map[scanCursorKey][]byte
	fifo []scanCursorKey
	next int
}{m: map[scanCursorKey][]byte{}}

func rememberScanCursor(db int, key, field []byte) uint64 {
	var p [4]byte
	copy(p[:], field)
	cur := uint64(binary.BigEndian.Uint32(p[:]))<<32 | uint64(rand.Uint32())<<1 | 1
	k := scanCursorKey{db, string(key), cur}
	t := &scanCursors
	t.Lock()
	defer t.Unlock()
	if len(t.fifo) < scanCursorTableSize {
		t.fifo = append(t.fifo, k)
	} else {
		delete(t.m, t.fifo[t.next])
		t.fifo[t.next] = k
		t.next = (t.next + 1) % scanCursorTableSize
	}
	t.m[k] = field
	return cur
}

func resumeScanCursor(db int, key []byte, cur uint64) []byte {
	t := &scanCursors
	t.Lock()
	f, ok := t.m[scanCursorKey{db, string(key), cur}]
	t.Unlock()
	if ok {
		return f
	}
	var p [4]byte
	binary.BigEndian.PutUint32(p[:], uint32(cur>>32))
	return bytes.TrimRight(p[:], "\x00")
}

// cmdHScan implements HSCAN key cursor [MATCH pattern] [COUNT n]. A missing
// key answers an empty scan before the options are read, as Redis does.
func cmdHScan(c *Ctx, args [][]byte) error {
	cursor, err := parseCursor(args[2])
	if err != nil {
		return err
	}
	m, ok, err := lookupHash(c, args[1])
	if err != nil {
		return err
	}
	if !ok {
		writeScanHeader(c.W, 0, 0)
		return nil
	}
	count := hashScanDefaultSize
	var pattern []byte
	for i := 3; i < len(args); i++ {
		if i+1 >= len(args) {
			return ErrSyntax
		}
		switch strings.ToLower(string(args[i])) {
		case "count":
			n, ok := datatypes.ParseInt(args[i+1])
			if !ok {
				return ErrNotInteger
			}
			if n < 1 {
				return ErrSyntax
			}
			count = int(min(n, 1<<20))
		case "match":
			pattern = args[i+1]
		default:
			return ErrSyntax
		}
		i++
	}
	var start []byte
	if m.Count <= c.S.cfg.Int("hash-max-listpack-entries") {
		count = int(m.Count) + 1
	} else if cursor != 0 {
		start = resumeScanCursor(c.DB, args[1], cursor)
	}
	var pairs [][]byte
	next := datatypes.HashScan(c.Tx, &m, start, count, func(f, v []byte) {
		if pattern == nil || datatypes.Match(pattern, f) {
			pairs = append(pairs, f, v)
		}
	})
	c.W.Array(2)
	if next == nil {
		c.W.BulkString("0")
	} else {
		c.W.BulkString(strconv.FormatUint(rememberScanCursor(c.DB, args[1], next), 10))
	}
	writeElems(c.W, pairs)
	return nil
}
