package resp

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// keyCommands is redis.io's "generic" group.
func keyCommands() []*Command {
	const g = "generic"
	w, r := FlagWrite, FlagReadonly
	return []*Command{
		{Name: "del", Arity: -2, Flags: w, FirstKey: 1, LastKey: -1, Group: g, Summary: "Deletes one or more keys.", Run: cmdDel},
		{Name: "unlink", Arity: -2, Flags: w | FlagFast, FirstKey: 1, LastKey: -1, Group: g, Summary: "Asynchronously deletes one or more keys.", Run: cmdDel},
		{Name: "exists", Arity: -2, Flags: r | FlagFast, FirstKey: 1, LastKey: -1, Group: g, Summary: "Determines whether one or more keys exist.", Run: cmdExists},
		{Name: "touch", Arity: -2, Flags: r | FlagFast, FirstKey: 1, LastKey: -1, Group: g, Summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed.", Run: cmdTouch},
		{Name: "type", Arity: 2, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Determines the type of value stored at a key.", Run: cmdType},
		{Name: "expire", Arity: -3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sets the expiration time of a key in seconds.", Run: cmdExpire},
		{Name: "pexpire", Arity: -3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sets the expiration time of a key in milliseconds.", Run: cmdExpire},
		{Name: "expireat", Arity: -3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sets the expiration time of a key to a Unix timestamp.", Run: cmdExpire},
		{Name: "pexpireat", Arity: -3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sets the expiration time of a key to a Unix milliseconds timestamp.", Run: cmdExpire},
		{Name: "ttl", Arity: 2, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the expiration time in seconds of a key.", Run: cmdTTL},
		{Name: "pttl", Arity: 2, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the expiration time in milliseconds of a key.", Run: cmdTTL},
		{Name: "expiretime", Arity: 2, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the expiration time of a key as a Unix timestamp.", Run: cmdTTL},
		{Name: "pexpiretime", Arity: 2, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.", Run: cmdTTL},
		{Name: "persist", Arity: 2, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Removes the expiration time of a key.", Run: cmdPersist},
		{Name: "rename", Arity: 3, Flags: w, FirstKey: 1, LastKey: 2, Group: g, Summary: "Renames a key and overwrites the destination.", Run: cmdRename},
		{Name: "renamenx", Arity: 3, Flags: w | FlagFast, FirstKey: 1, LastKey: 2, Group: g, Summary: "Renames a key only when the target key name doesn't exist.", Run: cmdRename},
		{Name: "copy", Arity: -3, Flags: w | FlagDenyOOM, FirstKey: 1, LastKey: 2, Group: g, Summary: "Copies the value of a key to a new key.", Run: cmdCopy},
		{Name: "move", Arity: 3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Moves a key to another database.", Run: cmdMove},
		{Name: "keys", Arity: 2, Flags: r, Group: g, Summary: "Returns all key names that match a pattern.", Run: cmdKeys},
		{Name: "scan", Arity: -2, Flags: r, Group: g, Summary: "Iterates over the key names in the database.", Run: cmdScan},
		{Name: "randomkey", Arity: 1, Flags: r, Group: g, Summary: "Returns a random key name from the database.", Run: cmdRandomKey},
		{Name: "dbsize", Arity: 1, Flags: r | FlagFast, Group: "server", Summary: "Returns the number of keys in the database.", Run: cmdDBSize},
		{Name: "object", Arity: -2, Group: g, Summary: "A container for object introspection commands.", Subs: map[string]*Command{
			"encoding": {Arity: 3, Flags: r, FirstKey: 2, LastKey: 2, Run: cmdObject},
			"refcount": {Arity: 3, Flags: r, FirstKey: 2, LastKey: 2, Run: cmdObject},
			"idletime": {Arity: 3, Flags: r, FirstKey: 2, LastKey: 2, Run: cmdObject},
			"freq":     {Arity: 3, Flags: r, FirstKey: 2, LastKey: 2, Run: cmdObject},
			"help":     {Arity: 2, Flags: FlagLoading | FlagStale, Run: cmdObjectHelp},
		}},
	}
}

func cmdDel(c *Ctx, args [][]byte) error {
	var n int64
	for _, k := range args[1:] {
		if c.Tx.Delete(c.DB, k) {
			n++
			c.event(NotifyGeneric, "del", k)
		}
	}
	c.W.Int(n)
	return nil
}

// cmdExists serves EXISTS and TOUCH: the count of live keys, a key named
// twice counted twice.
func cmdExists(c *Ctx, args [][]byte) error {
	var n int64
	for _, k := range args[1:] {
		if c.Tx.Exists(c.DB, k) {
			n++
		}
	}
	c.W.Int(n)
	return nil
}

// cmdTouch counts an access to each existing key (even for CLIENT
// NO-TOUCH clients, as in Redis) and replies how many exist.
func cmdTouch(c *Ctx, args [][]byte) error {
	var n int64
	for _, k := range args[1:] {
		if c.Tx.Touch(c.DB, k) {
			n++
		}
	}
	c.W.Int(n)
	return nil
}

func cmdType(c *Ctx, args [][]byte) error {
	c.W.Status(keyType(c.Tx, c.DB, args[1]))
	return nil
}

// expireFlags are EXPIRE's NX/XX/GT/LT options.
type expireFlags struct{ nx, xx, gt, lt bool }

func parseExpireFlags(args [][]byte) (expireFlags, error) {
	var f expireFlags
	for _, a := range args {
		switch strings.ToLower(string(a)) {
		case "nx":
			f.nx = true
		case "xx":
			f.xx = true
		case "gt":
			f.gt = true
		case "lt":
			f.lt = true
		default:
			return f, ReplyError("ERR Unsupported option " + string(a))
		}
	}
	if f.nx && (f.xx || f.gt || f.lt) {
		return f, ErrExpireOptions
	}
	if f.gt && f.lt {
		return f, ErrExpireGTLT
	}
	return f, nil
}

// cmdExpire serves EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT with Redis 7.0's
// order of checks: options, number, overflow, key, conditions; a time
// already past deletes the key.
func cmdExpire(c *Ctx, args [][]byte) error {
	name := lowerName(args[0])
	f, err := parseExpireFlags(args[3:])
	if err != nil {
		return err
	}
	when, ok := datatypes.ParseInt(args[2])
	if !ok {
		return ErrNotInteger
	}
	if name == "expire" || name == "expireat" {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			return errInvalidExpire(name)
		}
		when *= 1000
	}
	if name == "expire" || name == "pexpire" {
		if when > math.MaxInt64-c.Tx.Now {
			return errInvalidExpire(name)
		}
		when += c.Tx.Now
	}
	m, exists, err := c.Tx.Lookup(c.DB, args[1])
	if err != nil {
		return err
	}
	if !exists {
		c.W.Int(0)
		return nil
	}
	cur := m.ExpireAt
	if (f.nx && cur != 0) || (f.xx && cur == 0) || (f.gt && (cur == 0 || when <= cur)) || (f.lt && cur != 0 && when >= cur) {
		c.W.Int(0)
		return nil
	}
	if when <= c.Tx.Now {
		c.Tx.Delete(c.DB, args[1])
		c.event(NotifyGeneric, "del", args[1])
	} else {
		c.Tx.SetExpire(c.DB, args[1], when)
		c.event(NotifyGeneric, "expire", args[1])
	}
	c.W.Int(1)
	return nil
}

// cmdTTL serves TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing
// key, -1 for a key without expiry.
func cmdTTL(c *Ctx, args [][]byte) error {
	m, ok, err := c.Tx.Peek(c.DB, args[1]) // not an access, as in Redis
	if err != nil {
		return err
	}
	switch {
	case !ok:
		c.W.Int(-2)
		return nil
	case m.ExpireAt == 0:
		c.W.Int(-1)
		return nil
	}
	ttl := m.ExpireAt - c.Tx.Now
	if ttl < 0 {
		ttl = 0
	}
	switch lowerName(args[0]) {
	case "ttl":
		c.W.Int((ttl + 500) / 1000)
	case "pttl":
		c.W.Int(ttl)
	case "expiretime":
		c.W.Int((m.ExpireAt + 500) / 1000) // rounded, like TTL
	default:
		c.W.Int(m.ExpireAt)
	}
	return nil
}

func cmdPersist(c *Ctx, args [][]byte) error {
	m, ok, err := c.Tx.Lookup(c.DB, args[1])
	if err != nil {
		return err
	}
	if !ok || m.ExpireAt == 0 {
		c.W.Int(0)
		return nil
	}
	c.Tx.SetExpire(c.DB, args[1], 0)
	c.event(NotifyGeneric, "persist", args[1])
	c.W.Int(1)
	return nil
}

// cmdRename serves RENAME and RENAMENX. The record moves whole (O(1)),
// keeping its expiry.
func cmdRename(c *Ctx, args [][]byte) error {
	nx := lowerName(args[0]) == "renamenx"
	if !c.Tx.Exists(c.DB, args[1]) {
		return ErrNoSuchKey
	}
	if bytes.Equal(args[1], args[2]) {
		if nx {
			c.W.Int(0)
		} else {
			c.W.OK()
		}
		return nil
	}
	if nx && c.Tx.Exists(c.DB, args[2]) {
		c.W.Int(0)
		return nil
	}
	c.Tx.Rename(c.DB, args[1], c.DB, args[2])
	c.S.SignalKeyReady(c.Tx, c.DB, args[2])
	c.notifyMoved(c.DB, args[1], c.DB, args[2], "rename_from", "rename_to")
	if nx {
		c.W.Int(1)
	} else {
		c.W.OK()
	}
	return nil
}

// parseDBIndex parses a database number for COPY/MOVE with Redis's
// errors: not an integer, outside the C int range, then out of range.
func parseDBIndex(c *Ctx, b []byte) (int, error) {
	n, ok := datatypes.ParseInt(b)
	if !ok {
		return 0, ErrNotInteger
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, ReplyError("ERR value is out of range, value must between -2147483648 and 2147483647")
	}
	if n < 0 || n >= int64(c.S.db.Databases()) {
		return 0, ErrDBIndex
	}
	return int(n), nil
}

// cmdCopy implements COPY source destination [DB db] [REPLACE].
func cmdCopy(c *Ctx, args [][]byte) error {
	dstDB, replace := c.DB, false
	for i := 3; i < len(args); i++ {
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "replace":
			replace = true
		case opt == "db" && i+1 < len(args):
			n, err := parseDBIndex(c, args[i+1])
			if err != nil {
				return err
			}
			dstDB = n
			i++
		default:
			return ErrSyntax
		}
	}
	if dstDB == c.DB && bytes.Equal(args[1], args[2]) {
		return ErrSameObject
	}
	if !c.Tx.Exists(c.DB, args[1]) {
		c.W.Int(0)
		return nil
	}
	if c.Tx.Exists(dstDB, args[2]) {
		if !replace {
			c.W.Int(0)
			return nil
		}
		c.Tx.Delete(dstDB, args[2])
	}
	c.Tx.Copy(c.DB, args[1], dstDB, args[2])
	c.S.SignalKeyReady(c.Tx, dstDB, args[2])
	c.notifyMoved(-1, nil, dstDB, args[2], "", "copy_to")
	c.W.Int(1)
	return nil
}

func cmdMove(c *Ctx, args [][]byte) error {
	dst, err := parseDBIndex(c, args[2])
	if err != nil {
		return err
	}
	if dst == c.DB {
		return ErrSameObject
	}
	if !c.Tx.Exists(c.DB, args[1]) || c.Tx.Exists(dst, args[1]) {
		c.W.Int(0)
		return nil
	}
	c.Tx.Rename(c.DB, args[1], dst, args[1])
	c.S.SignalKeyReady(c.Tx, dst, args[1])
	c.notifyMoved(c.DB, args[1], dst, args[1], "move_from", "move_to")
	c.W.Int(1)
	return nil
}

func cmdKeys(c *Ctx, args [][]byte) error {
	pattern := args[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	var keys [][]byte
	c.Tx.Scan(c.DB, 0, 0, func(key []byte, m *engine.Meta) bool {
		if all || datatypes.Match(pattern, key) {
			keys = append(keys, key)
		}
		return true
	})
	c.W.Array(len(keys))
	for _, k := range keys {
		c.W.Bulk(k)
	}
	return nil
}

// parseCursor parses a SCAN cursor as Redis's strtoul does: decimal,
// optional sign (a negative number wraps around), empty means 0; leading
// space, trailing junk and overflow are "ERR invalid cursor".
func parseCursor(b []byte) (uint64, error) {
	s := string(b)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
		if s == "" {
			return 0, ReplyError("ERR invalid cursor")
		}
	}
	if s == "" && !neg && len(b) == 0 {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, ReplyError("ERR invalid cursor")
	}
	if neg {
		n = -n
	}
	return n, nil
}

// cmdScan implements SCAN cursor [MATCH pattern] [COUNT n] [TYPE type].
// The cursor is a position in hash order: keys present for the whole
// iteration are returned at least once, whatever is written meanwhile.
func cmdScan(c *Ctx, args [][]byte) error {
	cursor, err := parseCursor(args[1])
	if err != nil {
		return err
	}
	count := 10
	var pattern []byte
	typ := ""
	for i := 2; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		if i+1 >= len(args) {
			return ErrSyntax
		}
		switch opt {
		case "count":
			n, ok := datatypes.ParseInt(args[i+1])
			if !ok {
				return ErrNotInteger
			}
			if n < 1 {
				return ErrSyntax
			}
			if n > 1<<20 {
				n = 1 << 20
			}
			count = int(n)
		case "match":
			pattern = args[i+1]
			if len(pattern) == 1 && pattern[0] == '*' {
				pattern = nil // matches every key, the empty one included
			}
		case "type":
			typ = strings.ToLower(string(args[i+1]))
		default:
			return ErrSyntax
		}
		i++
	}
	var keys [][]byte
	next := c.Tx.Scan(c.DB, cursor, count, func(key []byte, m *engine.Meta) bool {
		if pattern != nil && !datatypes.Match(pattern, key) {
			return true
		}
		if typ != "" && m.Type.String() != typ {
			return true
		}
		keys = append(keys, key)
		return true
	})
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(next, 10))
	c.W.Array(len(keys))
	for _, k := range keys {
		c.W.Bulk(k)
	}
	return nil
}

func cmdRandomKey(c *Ctx, args [][]byte) error {
	k := c.Tx.RandomKey(c.DB)
	if k == nil {
		c.W.Null()
		return nil
	}
	c.W.Bulk(k)
	return nil
}

func cmdDBSize(c *Ctx, args [][]byte) error {
	n, _ := c.Tx.KeyCounts(c.DB)
	c.W.Int(n)
	return nil
}

// cmdObject serves OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ.
func cmdObject(c *Ctx, args [][]byte) error {
	m, ok, err := c.Tx.Peek(c.DB, args[2]) // OBJECT must not change what it reports
	if err != nil {
		return err
	}
	if !ok {
		c.W.Null()
		return nil
	}
	policy := c.S.cfg.Get("maxmemory-policy")
	lfu := strings.HasSuffix(policy, "-lfu")
	switch lowerName(args[1]) {
	case "encoding":
		c.W.BulkString(objectEncoding(c, &m))
	case "refcount":
		c.W.Int(1)
	case "idletime":
		if lfu {
			return ErrObjectIdleLFU
		}
		idle := (c.Tx.Now - m.AccessAt) / 1000
		if idle < 0 {
			idle = 0
		}
		c.W.Int(idle)
	case "freq":
		if !lfu {
			return ErrObjectFreqNoLFU
		}
		c.W.Int(int64(m.Freq))
	}
	return nil
}

// objectEncoding names the encoding Redis would use for a value of this
// shape, so tools that read OBJECT ENCODING see familiar answers.
func objectEncoding(c *Ctx, m *engine.Meta) string {
	if m.Type == engine.TypeString {
		if m.Raw {
			return "raw"
		}
		if len(m.Value) <= 20 {
			if _, ok := datatypes.ParseInt(m.Value); ok {
				return "int"
			}
		}
		if len(m.Value) <= 44 {
			return "embstr"
		}
		return "raw"
	}
	return collectionEncoding(c, m)
}

func cmdObjectHelp(c *Ctx, args [][]byte) error {
	writeHelp(c.W, "OBJECT", []string{
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
	})
	return nil
}

// writeHelp writes a HELP reply the way Redis formats them.
func writeHelp(w *Writer, container string, lines []string) {
	w.Array(len(lines) + 3)
	w.Status(container + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		w.Status(l)
	}
	w.Status("HELP")
	w.Status("    Prints this help.")
}
