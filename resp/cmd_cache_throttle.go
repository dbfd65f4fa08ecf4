package resp

import (
	"errors"
	"strconv"

	"github.com/diskcached/diskcached/datatypes"
)

func cacheThrottleCommands() []*Command {
	// Arity -1 as redis-cell registers it: the argument count is checked by
	// the command, with redis-cell's usage error.
	return []*Command{
		{Name: "cl.throttle", Arity: -1, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Group: cacheGroup, Summary: "Rate limiting (GCRA), compatible with redis-cell.", Run: cmdClThrottle},
	}
}

// cellInt parses an argument as redis-cell does (Rust's i64 parser: an
// optional sign, decimal digits).
func cellInt(b []byte) (int64, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, errCellParse(b)
	}
	return n, nil
}

// cmdClThrottle: CL.THROTTLE key max_burst count period [quantity] →
// [limited 0|1, limit, remaining, retry_after s (-1 when allowed),
// reset_after s]. State: a string key holding the TAT in unix ns, with a
// TTL of reset_after. A key of another type → WRONGTYPE; a string that is
// not a TAT → ERR value is not an integer or out of range.
func cmdClThrottle(c *Ctx, args [][]byte) error {
	if len(args) != 5 && len(args) != 6 {
		return ErrCellUsage
	}
	var n [4]int64
	n[3] = 1
	for i := 2; i < len(args); i++ {
		v, err := cellInt(args[i])
		if err != nil {
			return err
		}
		n[i-2] = v
	}
	res, err := datatypes.Throttle(c.Tx, c.DB, args[1], n[0], n[1], n[2], n[3], c.Tx.Now*1e6)
	if errors.Is(err, datatypes.ErrZeroRate) {
		return ErrCellZeroRate
	}
	if err != nil {
		return err
	}
	c.W.Array(5)
	c.W.Int(boolInt(res.Limited))
	c.W.Int(res.Limit)
	c.W.Int(res.Remaining)
	c.W.Int(datatypes.ThrottleSeconds(res.RetryAfter))
	c.W.Int(datatypes.ThrottleSeconds(res.ResetAfter))
	return nil
}
