package resp

import (
	"strings"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// Errors of the list commands.
const (
	errMustBePositive ReplyError = "ERR value is out of range, must be positive"
	errLPosRankZero   ReplyError = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errLPosCountNeg   ReplyError = "ERR COUNT can't be negative"
	errLPosMaxLenNeg  ReplyError = "ERR MAXLEN can't be negative"
	errNumKeys        ReplyError = "ERR numkeys should be greater than 0"
	errCountPositive  ReplyError = "ERR count should be greater than 0"
)

// listCommands is redis.io's "list" group. Every command that adds
// elements wakes clients blocked on the key (signalKeyReady), wherever it
// runs (plain, EXEC, scripts).
func listCommands() []*Command {
	const g = "list"
	w, r := FlagWrite|FlagDenyOOM, FlagReadonly
	wb := FlagWrite | FlagBlocking
	return []*Command{
		{Name: "lpush", Arity: -3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Prepends one or more elements to a list. Creates the key if it doesn't exist.", Run: cmdPush},
		{Name: "rpush", Arity: -3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Appends one or more elements to a list. Creates the key if it doesn't exist.", Run: cmdPush},
		{Name: "lpushx", Arity: -3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Prepends one or more elements to a list only when the list exists.", Run: cmdPush},
		{Name: "rpushx", Arity: -3, Flags: w | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Appends an element to a list only when the list exists.", Run: cmdPush},
		{Name: "lpop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.", Run: cmdPop},
		{Name: "rpop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns and removes the last elements of a list. Deletes the list if the last element was popped.", Run: cmdPop},
		{Name: "llen", Arity: 2, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the length of a list.", Run: cmdLLen},
		{Name: "lrange", Arity: 4, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns a range of elements from a list.", Run: cmdLRange},
		{Name: "lindex", Arity: 3, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns an element from a list by its index.", Run: cmdLIndex},
		{Name: "lset", Arity: 4, Flags: w, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sets the value of an element in a list by its index.", Run: cmdLSet},
		{Name: "linsert", Arity: 5, Flags: w, FirstKey: 1, LastKey: 1, Group: g, Summary: "Inserts an element before or after another element in a list.", Run: cmdLInsert},
		{Name: "lrem", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Group: g, Summary: "Removes elements from a list. Deletes the list if the last element was removed.", Run: cmdLRem},
		{Name: "ltrim", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Group: g, Summary: "Removes elements from both ends a list. Deletes the list if all elements were trimmed.", Run: cmdLTrim},
		{Name: "lpos", Arity: -3, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the index of matching elements in a list.", Run: cmdLPos},
		{Name: "lmove", Arity: 5, Flags: w, FirstKey: 1, LastKey: 2, Group: g, Summary: "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", Run: cmdLMove},
		{Name: "rpoplpush", Arity: 3, Flags: w, FirstKey: 1, LastKey: 2, Group: g, Summary: "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", Run: cmdLMove},
		{Name: "lmpop", Arity: -4, Flags: FlagWrite, Group: g, Summary: "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", Run: cmdLMPop},
		{Name: "blpop", Arity: -3, Flags: wb | FlagNoScript, FirstKey: 1, LastKey: -2, Group: g, Summary: "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", Run: cmdBPop},
		{Name: "brpop", Arity: -3, Flags: wb | FlagNoScript, FirstKey: 1, LastKey: -2, Group: g, Summary: "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", Run: cmdBPop},
		{Name: "blmove", Arity: 6, Flags: wb | FlagDenyOOM | FlagNoScript, FirstKey: 1, LastKey: 2, Group: g, Summary: "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.", Run: cmdBLMove},
		{Name: "brpoplpush", Arity: 4, Flags: wb | FlagDenyOOM | FlagNoScript, FirstKey: 1, LastKey: 2, Group: g, Summary: "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.", Run: cmdBLMove},
		{Name: "blmpop", Arity: -5, Flags: wb, Group: g, Summary: "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", Run: cmdBLMPop},
	}
}

// cmdEnd is the list end a command name starts with (l… / r…).
func cmdEnd(name []byte) int {
	if name[0] == 'r' || name[0] == 'R' {
		return datatypes.Right
	}
	return datatypes.Left
}

// parseEnd reads LEFT / RIGHT.
func parseEnd(b []byte) (int, error) {
	switch strings.ToLower(string(b)) {
	case "left":
		return datatypes.Left, nil
	case "right":
		return datatypes.Right, nil
	}
	return 0, ErrSyntax
}

// cmdPush implements LPUSH RPUSH LPUSHX RPUSHX: the new length (0 for the X
// forms on a missing key).
func cmdPush(c *Ctx, args [][]byte) error {
	onlyExisting := len(args[0]) == 6
	isNew := c.creating(args[1])
	n, err := datatypes.ListPush(c.Tx, c.DB, args[1], cmdEnd(args[0]), onlyExisting, args[2:]...)
	if err != nil {
		return err
	}
	if n > 0 {
		c.created(isNew, args[1])
		c.event(NotifyList, endEvent(cmdEnd(args[0]), "push"), args[1])
	}
	c.S.signalKeyReady(c.DB, args[1], n)
	c.W.Int(n)
	return nil
}

// cmdPop implements LPOP/RPOP key [count]. Without count: a bulk or null.
// With count: an array (empty for count 0 on an existing list), a null
// array for a missing key.
func cmdPop(c *Ctx, args [][]byte) error {
	if len(args) > 3 {
		return errArity(lowerName(args[0]))
	}
	count := int64(1)
	if len(args) == 3 {
		n, ok := datatypes.ParseInt(args[2])
		if !ok || n < 0 {
			return errMustBePositive
		}
		count = n
	}
	if count == 0 {
		ok, err := datatypes.ListType(c.Tx, c.DB, args[1])
		if err != nil {
			return err
		}
		if !ok {
			c.W.NullArray()
		} else {
			c.W.Array(0)
		}
		return nil
	}
	vals, ok, err := datatypes.ListPop(c.Tx, c.DB, args[1], cmdEnd(args[0]), count)
	if err != nil {
		return err
	}
	if ok && len(vals) > 0 {
		c.removed(NotifyList, endEvent(cmdEnd(args[0]), "pop"), args[1])
	}
	switch {
	case len(args) == 2 && !ok:
		c.W.Null()
	case len(args) == 2:
		c.W.Bulk(vals[0])
	case !ok:
		c.W.NullArray()
	default:
		writeElems(c.W, vals)
	}
	return nil
}

func writeElems(w *Writer, vals [][]byte) {
	w.Array(len(vals))
	for _, v := range vals {
		w.Bulk(v)
	}
}

func cmdLLen(c *Ctx, args [][]byte) error {
	n, err := datatypes.ListLen(c.Tx, c.DB, args[1])
	if err != nil {
		return err
	}
	c.W.Int(n)
	return nil
}

// parseInts parses integer arguments with Redis's generic error.
func parseInts(bs ...[]byte) ([]int64, error) {
	out := make([]int64, len(bs))
	for i, b := range bs {
		n, ok := datatypes.ParseInt(b)
		if !ok {
			return nil, ErrNotInteger
		}
		out[i] = n
	}
	return out, nil
}

func cmdLRange(c *Ctx, args [][]byte) error {
	n, err := parseInts(args[2], args[3])
	if err != nil {
		return err
	}
	found := false
	err = datatypes.ListRange(c.Tx, c.DB, args[1], n[0], n[1],
		func(total int64) { c.W.Array(int(total)); found = total > 0 },
		func(v []byte) { c.W.Bulk(v) })
	if err == nil {
		c.Count(found)
	}
	return err
}

// cmdLIndex: a missing key answers null before the index is even parsed.
func cmdLIndex(c *Ctx, args [][]byte) error {
	ok, err := datatypes.ListType(c.Tx, c.DB, args[1])
	if err != nil {
		return err
	}
	c.Count(ok)
	if !ok {
		c.W.Null()
		return nil
	}
	idx, err := parseInts(args[2])
	if err != nil {
		return err
	}
	v, ok, err := datatypes.ListIndex(c.Tx, c.DB, args[1], idx[0])
	if err != nil {
		return err
	}
	if !ok {
		c.W.Null()
		return nil
	}
	c.W.Bulk(v)
	return nil
}

// cmdLSet: "no such key" is decided before the index is parsed.
func cmdLSet(c *Ctx, args [][]byte) error {
	ok, err := datatypes.ListType(c.Tx, c.DB, args[1])
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoSuchKey
	}
	idx, err := parseInts(args[2])
	if err != nil {
		return err
	}
	if err := datatypes.ListSet(c.Tx, c.DB, args[1], idx[0], args[3]); err != nil {
		return err
	}
	c.event(NotifyList, "lset", args[1])
	c.W.OK()
	return nil
}

func cmdLInsert(c *Ctx, args [][]byte) error {
	var after bool
	switch strings.ToLower(string(args[2])) {
	case "after":
		after = true
	case "before":
	default:
		return ErrSyntax
	}
	n, err := datatypes.ListInsert(c.Tx, c.DB, args[1], after, args[3], args[4])
	if err != nil {
		return err
	}
	if n > 0 {
		c.event(NotifyList, "linsert", args[1])
	}
	c.W.Int(n)
	return nil
}

func cmdLRem(c *Ctx, args [][]byte) error {
	n, err := parseInts(args[2])
	if err != nil {
		return err
	}
	removed, err := datatypes.ListRem(c.Tx, c.DB, args[1], n[0], args[3])
	if err != nil {
		return err
	}
	if removed > 0 {
		c.removed(NotifyList, "lrem", args[1])
	}
	c.W.Int(removed)
	return nil
}

func cmdLTrim(c *Ctx, args [][]byte) error {
	n, err := parseInts(args[2], args[3])
	if err != nil {
		return err
	}
	existed := c.Tx.Exists(c.DB, args[1]) // Redis publishes "ltrim" even when nothing was trimmed
	if err := datatypes.ListTrim(c.Tx, c.DB, args[1], n[0], n[1]); err != nil {
		return err
	}
	if existed {
		c.removed(NotifyList, "ltrim", args[1])
	}
	c.W.OK()
	return nil
}

// cmdLPos implements LPOS key element [RANK r] [COUNT n] [MAXLEN m].
func cmdLPos(c *Ctx, args [][]byte) error {
	o := datatypes.PosOptions{Rank: 1, Count: -1}
	for i := 3; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		if i+1 >= len(args) {
			return ErrSyntax
		}
		i++
		n, ok := datatypes.ParseInt(args[i])
		switch opt {
		case "rank":
			if !ok {
				return ErrNotInteger
			}
			if n == 0 {
				return errLPosRankZero
			}
			o.Rank = n
		case "count":
			if !ok || n < 0 {
				return errLPosCountNeg
			}
			o.Count = n
		case "maxlen":
			if !ok || n < 0 {
				return errLPosMaxLenNeg
			}
			o.MaxLen = n
		default:
			return ErrSyntax
		}
	}
	idx, exists, err := datatypes.ListPos(c.Tx, c.DB, args[1], args[2], o)
	if err != nil {
		return err
	}
	c.Count(exists)
	if o.Count >= 0 {
		c.W.Array(len(idx))
		for _, i := range idx {
			c.W.Int(i)
		}
		return nil
	}
	if len(idx) == 0 {
		c.W.Null()
		return nil
	}
	c.W.Int(idx[0])
	return nil
}

// moveArgs returns the ends of LMOVE/BLMOVE (args 3 and 4) or of
// RPOPLPUSH/BRPOPLPUSH (right to left).
func moveArgs(args [][]byte) (from, to int, err error) {
	if !strings.HasSuffix(strings.ToLower(string(args[0])), "move") {
		return datatypes.Right, datatypes.Left, nil
	}
	if from, err = parseEnd(args[3]); err != nil {
		return
	}
	to, err = parseEnd(args[4])
	return
}

// tryMove moves one element src→dst, replying with it when done.
func tryMove(c *Ctx, src, dst []byte, from, to int) (bool, error) {
	isNew := c.creating(dst)
	v, ok, err := datatypes.ListMove(c.Tx, c.DB, src, dst, from, to)
	if err != nil || !ok {
		return false, err
	}
	c.created(isNew, dst)
	c.event(NotifyList, endEvent(to, "push"), dst)
	c.removed(NotifyList, endEvent(from, "pop"), src)
	if n, err := datatypes.ListLen(c.Tx, c.DB, dst); err == nil {
		c.S.signalKeyReady(c.DB, dst, n)
	}
	c.W.Bulk(v)
	return true, nil
}

// cmdLMove implements LMOVE and RPOPLPUSH: the moved element, or null when
// the source is missing.
func cmdLMove(c *Ctx, args [][]byte) error {
	from, to, err := moveArgs(args)
	if err != nil {
		return err
	}
	ok, err := tryMove(c, args[1], args[2], from, to)
	if err == nil && !ok {
		c.W.Null()
	}
	return err
}

// mpopArgs parses "numkeys key… LEFT|RIGHT [COUNT n]" starting at args[at].
func mpopArgs(args [][]byte, at int) (keys [][]byte, end int, count int64, err error) {
	nk, ok := datatypes.ParseInt(args[at])
	if !ok || nk < 1 {
		return nil, 0, 0, errNumKeys
	}
	whereIdx := int64(at) + nk + 1
	if whereIdx >= int64(len(args)) {
		return nil, 0, 0, ErrSyntax
	}
	keys = args[at+1 : whereIdx]
	if end, err = parseEnd(args[whereIdx]); err != nil {
		return
	}
	count = -1
	for j := int(whereIdx) + 1; j < len(args); j++ {
		if count != -1 || !strings.EqualFold(string(args[j]), "count") || j+1 >= len(args) {
			return nil, 0, 0, ErrSyntax
		}
		j++
		n, ok := datatypes.ParseInt(args[j])
		if !ok || n < 1 {
			return nil, 0, 0, errCountPositive
		}
		count = n
	}
	if count == -1 {
		count = 1
	}
	return keys, end, count, nil
}

// tryMPop pops from the first non-empty list, replying [key, [elements]].
func tryMPop(c *Ctx, keys [][]byte, end int, count int64) (bool, error) {
	key, vals, err := datatypes.ListMPop(c.Tx, c.DB, keys, end, count)
	if err != nil || key == nil {
		return false, err
	}
	c.removed(NotifyList, endEvent(end, "pop"), key)
	c.W.Array(2)
	c.W.Bulk(key)
	writeElems(c.W, vals)
	return true, nil
}

// cmdLMPop implements LMPOP numkeys key… LEFT|RIGHT [COUNT n].
func cmdLMPop(c *Ctx, args [][]byte) error {
	keys, end, count, err := mpopArgs(args, 1)
	if err != nil {
		return err
	}
	ok, err := tryMPop(c, keys, end, count)
	if err == nil && !ok {
		c.W.NullArray()
	}
	return err
}

// cmdBPop implements BLPOP/BRPOP key… timeout: [key, element] or, on
// timeout, a null array.
func cmdBPop(c *Ctx, args [][]byte) error {
	timeout, err := parseTimeout(args[len(args)-1])
	if err != nil {
		return err
	}
	keys := args[1 : len(args)-1]
	end := cmdEnd(args[0][1:])
	return block(c, keys, timeout, func(c *Ctx, retry bool) (bool, error) {
		key, vals, err := datatypes.ListMPop(c.Tx, c.DB, keysOfType(c, keys, engine.TypeList, retry), end, 1)
		if err != nil || key == nil {
			return false, err
		}
		c.removed(NotifyList, endEvent(end, "pop"), key)
		c.W.Array(2)
		c.W.Bulk(key)
		c.W.Bulk(vals[0])
		return true, nil
	}, (*Writer).NullArray)
}

// cmdBLMove implements BLMOVE src dst LEFT|RIGHT LEFT|RIGHT timeout and
// BRPOPLPUSH src dst timeout: the element, or null on timeout.
func cmdBLMove(c *Ctx, args [][]byte) error {
	from, to, err := moveArgs(args)
	if err != nil {
		return err
	}
	timeout, err := parseTimeout(args[len(args)-1])
	if err != nil {
		return err
	}
	src, dst := args[1], args[2]
	return block(c, [][]byte{src}, timeout, func(c *Ctx, retry bool) (bool, error) {
		if len(keysOfType(c, [][]byte{src}, engine.TypeList, retry)) == 0 {
			return false, nil
		}
		return tryMove(c, src, dst, from, to)
	}, (*Writer).Null) // null bulk inside MULTI, null array on timeout
}

// cmdBLMPop implements BLMPOP timeout numkeys key… LEFT|RIGHT [COUNT n].
func cmdBLMPop(c *Ctx, args [][]byte) error {
	keys, end, count, err := mpopArgs(args, 2)
	if err != nil {
		return err
	}
	timeout, err := parseTimeout(args[1])
	if err != nil {
		return err
	}
	return block(c, keys, timeout, func(c *Ctx, retry bool) (bool, error) {
		return tryMPop(c, keysOfType(c, keys, engine.TypeList, retry), end, count)
	}, (*Writer).NullArray)
}
