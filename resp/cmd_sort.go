package resp

import (
	"errors"
	"strings"

	"github.com/diskcached/diskcached/datatypes"
)

// sortCommands is SORT and SORT_RO (redis.io's "generic" group).
func sortCommands() []*Command {
	const g = "generic"
	return []*Command{
		{Name: "sort", Arity: -2, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.", Run: cmdSort},
		{Name: "sort_ro", Arity: -2, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns the sorted elements of a list, a set, or a sorted set.", Run: cmdSort},
	}
}

// cmdSort implements SORT key [BY pattern] [LIMIT offset count]
// [GET pattern …] [ASC|DESC] [ALPHA] [STORE dst] and SORT_RO (no STORE).
// Options are checked before the key; a missing key sorts as empty.
func cmdSort(c *Ctx, args [][]byte) error {
	readonly := lowerName(args[0]) == "sort_ro"
	o := datatypes.SortOptions{Count: -1}
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "asc":
			o.Desc = false
		case opt == "desc":
			o.Desc = true
		case opt == "alpha":
			o.Alpha = true
		case opt == "limit" && left >= 2:
			off, ok1 := datatypes.ParseInt(args[j+1])
			cnt, ok2 := datatypes.ParseInt(args[j+2])
			if !ok1 || !ok2 {
				return ErrNotInteger
			}
			o.Offset, o.Count = off, cnt
			j += 2
		case !readonly && opt == "store" && left >= 1:
			o.Store = args[j+1]
			j++
		case opt == "by" && left >= 1:
			o.By = args[j+1]
			j++
		case opt == "get" && left >= 1:
			o.Gets = append(o.Gets, args[j+1])
			j++
		default:
			return ErrSyntax
		}
	}
	var p storeProbe
	if o.Store != nil {
		p = c.probeStore(o.Store)
	}
	out, n, err := datatypes.Sort(c.Tx, c.DB, args[1], o)
	if errors.Is(err, datatypes.ErrSortScore) {
		return ErrSortNotFloat
	}
	if err != nil {
		return err
	}
	if o.Store != nil {
		c.stored(p, NotifyList, "sortstore", o.Store)
		if n > 0 {
			c.S.signalKeyReady(c.DB, o.Store, n)
		}
		c.W.Int(n)
		return nil
	}
	c.W.Array(len(out))
	for _, v := range out {
		if v == nil {
			c.W.Null()
		} else {
			c.W.Bulk(v)
		}
	}
	return nil
}
