package resp

import (
	"strings"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// Sorted-set pops (ZPOPMIN/ZPOPMAX, ZMPOP and their blocking forms) and
// set algebra (ZUNION/ZINTER/ZDIFF, STORE forms, ZINTERCARD).

// zpopFirst pops up to count members from the first of keys holding a
// zset. The first existing key must be a zset (WRONGTYPE otherwise); keys
// that are missing are skipped. found is false when every key is missing.
func zpopFirst(tx *engine.Tx, db int, keys [][]byte, max bool, count int64) (key []byte, items []datatypes.ScoredMember, found bool, err error) {
	for _, k := range keys {
		n, err := datatypes.ZCard(tx, db, k)
		if err != nil {
			return nil, nil, false, err
		}
		if n == 0 {
			if tx.Exists(db, k) {
				return nil, nil, false, engine.ErrWrongType
			}
			continue
		}
		items, err = datatypes.ZPop(tx, db, k, max, count)
		return k, items, true, err
	}
	return nil, nil, false, nil
}

func isMax(name []byte) bool { return strings.HasSuffix(lowerName(name), "max") }

// cmdZPop implements ZPOPMIN/ZPOPMAX key [count]: an empty array for a
// missing key; without count a flat [member, score]; with count RESP2 a
// flat array, RESP3 [member, score] pairs.
func cmdZPop(c *Ctx, args [][]byte) error {
	if len(args) > 3 {
		return ErrSyntax
	}
	count := int64(-1)
	if len(args) == 3 {
		n, ok := datatypes.ParseInt(args[2])
		if !ok || n < 0 {
			return ErrOutOfRangePositive
		}
		count = n
	}
	m, err := datatypes.ZCard(c.Tx, c.DB, args[1])
	if err != nil {
		return err
	}
	if m == 0 || count == 0 {
		c.W.Array(0)
		return nil
	}
	n := count
	if n < 0 {
		n = 1
	}
	items, err := datatypes.ZPop(c.Tx, c.DB, args[1], isMax(args[0]), n)
	if err != nil {
		return err
	}
	c.notifyZPop(args[1], isMax(args[0]), len(items))
	if count >= 0 && c.W.Proto() == 3 {
		writeScored(c.W, items, true)
		return nil
	}
	writeScoredFlat(c.W, items)
	return nil
}

// parseMPop parses "numkeys key… MIN|MAX [COUNT n]" from args[at].
func parseMPop(args [][]byte, at int) (keys [][]byte, max bool, count int64, err error) {
	numkeys, ok := datatypes.ParseInt(args[at])
	if !ok || numkeys < 1 {
		return nil, false, 0, ErrNumkeysPositive
	}
	where := int64(at) + numkeys + 1
	if where >= int64(len(args)) {
		return nil, false, 0, ErrSyntax
	}
	switch strings.ToLower(string(args[where])) {
	case "min":
	case "max":
		max = true
	default:
		return nil, false, 0, ErrSyntax
	}
	count = -1
	for j := int(where) + 1; j < len(args); j++ {
		if count == -1 && strings.EqualFold(string(args[j]), "count") && j+1 < len(args) {
			j++
			n, ok := datatypes.ParseInt(args[j])
			if !ok || n < 1 {
				return nil, false, 0, ErrCountPositive
			}
			count = n
			continue
		}
		return nil, false, 0, ErrSyntax
	}
	if count == -1 {
		count = 1
	}
	return args[at+1 : where], max, count, nil
}

// writeKeyScored replies ZMPOP's [key, [[member, score]…]].
func writeKeyScored(w *Writer, key []byte, items []datatypes.ScoredMember) {
	w.Array(2)
	w.Bulk(key)
	w.Array(len(items))
	for _, it := range items {
		w.Array(2)
		w.Bulk(it.Member)
		w.Double(it.Score)
	}
}

// cmdZMPop implements ZMPOP numkeys key… MIN|MAX [COUNT n]: null when
// every key is missing.
func cmdZMPop(c *Ctx, args [][]byte) error {
	keys, max, count, err := parseMPop(args, 1)
	if err != nil {
		return err
	}
	key, items, found, err := zpopFirst(c.Tx, c.DB, keys, max, count)
	if err != nil {
		return err
	}
	if !found {
		c.W.NullArray()
		return nil
	}
	c.notifyZPop(key, max, len(items))
	writeKeyScored(c.W, key, items)
	return nil
}

// cmdBZPop implements BZPOPMIN/BZPOPMAX key… timeout: [key, member, score]
// or, after the timeout, null.
func cmdBZPop(c *Ctx, args [][]byte) error {
	timeout, err := parseTimeout(args[len(args)-1])
	if err != nil {
		return err
	}
	keys := args[1 : len(args)-1]
	max := isMax(args[0])
	return block(c, keys, timeout, func(c *Ctx, retry bool) (bool, error) {
		key, items, found, err := zpopFirst(c.Tx, c.DB, keysOfType(c, keys, engine.TypeZSet, retry), max, 1)
		if err != nil || !found {
			return false, err
		}
		c.notifyZPop(key, max, len(items))
		c.W.Array(3)
		c.W.Bulk(key)
		c.W.Bulk(items[0].Member)
		c.W.Double(items[0].Score)
		return true, nil
	}, func(w *Writer) { w.NullArray() })
}

// cmdBZMPop implements BZMPOP timeout numkeys key… MIN|MAX [COUNT n].
func cmdBZMPop(c *Ctx, args [][]byte) error {
	timeout, err := parseTimeout(args[1])
	if err != nil {
		return err
	}
	keys, max, count, err := parseMPop(args, 2)
	if err != nil {
		return err
	}
	return block(c, keys, timeout, func(c *Ctx, retry bool) (bool, error) {
		key, items, found, err := zpopFirst(c.Tx, c.DB, keysOfType(c, keys, engine.TypeZSet, retry), max, count)
		if err != nil || !found {
			return false, err
		}
		c.notifyZPop(key, max, len(items))
		writeKeyScored(c.W, key, items)
		return true, nil
	}, func(w *Writer) { w.NullArray() })
}

// signalZSet wakes clients blocked on key if it now holds a zset.
func signalZSet(c *Ctx, key []byte) {
	if n, err := datatypes.ZCard(c.Tx, c.DB, key); err == nil && n > 0 {
		c.S.signalKeyReady(c.DB, key, n)
	}
}

// cmdZCombine serves ZUNION ZINTER ZDIFF and their STORE forms.
func cmdZCombine(c *Ctx, args [][]byte) error {
	name := lowerName(args[0])
	store := strings.HasSuffix(name, "store")
	op := combineOp(name)
	at := 1
	if store {
		at = 2
	}
	keys, err := parseNumKeys(args, at, name)
	if err != nil {
		return err
	}
	if err := datatypes.ZCheckInputs(c.Tx, c.DB, keys); err != nil {
		return err
	}
	var o datatypes.ZCombineOptions
	withScores := false
	for j := at + 1 + len(keys); j < len(args); j++ {
		left := len(args) - j
		opt := strings.ToLower(string(args[j]))
		switch {
		case op != datatypes.SetDiff && opt == "weights" && left >= len(keys)+1:
			o.Weights = make([]float64, len(keys))
			for i := range keys {
				j++
				f, ok := parseScore(args[j])
				if !ok {
					return ErrWeightFloat
				}
				o.Weights[i] = f
			}
		case op != datatypes.SetDiff && opt == "aggregate" && left >= 2:
			j++
			switch strings.ToLower(string(args[j])) {
			case "sum":
				o.Aggregate = datatypes.AggSum
			case "min":
				o.Aggregate = datatypes.AggMin
			case "max":
				o.Aggregate = datatypes.AggMax
			default:
				return ErrSyntax
			}
		case !store && opt == "withscores":
			withScores = true
		default:
			return ErrSyntax
		}
	}
	items, _, err := datatypes.ZCombine(c.Tx, c.DB, op, keys, o)
	if err != nil {
		return err
	}
	if store {
		p := c.probeStore(args[1])
		c.W.Int(datatypes.ZStore(c.Tx, c.DB, args[1], items))
		c.stored(p, NotifyZset, name, args[1])
		signalZSet(c, args[1])
		return nil
	}
	writeScored(c.W, items, withScores)
	return nil
}

// parseNumKeys reads "numkeys key…" at args[at] for ZUNION-like commands.
func parseNumKeys(args [][]byte, at int, name string) ([][]byte, error) {
	n, ok := datatypes.ParseInt(args[at])
	if !ok {
		return nil, ErrNotInteger
	}
	if n < 1 {
		return nil, errAtLeastOneKey(name)
	}
	if n > int64(len(args)-at-1) {
		return nil, ErrSyntax
	}
	return args[at+1 : at+1+int(n)], nil
}

// cmdZInterCard implements ZINTERCARD numkeys key… [LIMIT n].
func cmdZInterCard(c *Ctx, args [][]byte) error {
	keys, err := parseNumKeys(args, 1, "zintercard")
	if err != nil {
		return err
	}
	if err := datatypes.ZCheckInputs(c.Tx, c.DB, keys); err != nil {
		return err
	}
	var limit int64
	for j := 2 + len(keys); j < len(args); j++ {
		if !strings.EqualFold(string(args[j]), "limit") || j+1 >= len(args) {
			return ErrSyntax
		}
		j++
		n, ok := datatypes.ParseInt(args[j])
		if !ok || n < 0 {
			return ErrLimitNegative
		}
		limit = n
	}
	_, card, err := datatypes.ZCombine(c.Tx, c.DB, datatypes.SetInter, keys, datatypes.ZCombineOptions{CardOnly: true, Limit: limit})
	if err != nil {
		return err
	}
	c.W.Int(card)
	return nil
}
