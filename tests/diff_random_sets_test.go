package tests

import (
	"fmt"
	"math/rand"
	"strconv"
	"testing"
)

// randomSetZSetOp returns one random set/sorted-set command over a small key
// and member space, and whether its reply is unordered (compare sorted).
func randomSetZSetOp(r *rand.Rand) ([]string, bool) {
	key := func() string { return []string{"s1", "s2", "z1", "z2", "str", "missing"}[r.Intn(6)] }
	mem := func() string { return []string{"a", "b", "c", "d", "e", "10", "2", ""}[r.Intn(8)] }
	score := func() string {
		return []string{"0", "1", "-1", "2.5", "inf", "-inf", "1e10", "-2", strconv.Itoa(r.Intn(20) - 10)}[r.Intn(9)]
	}
	bound := func() string {
		return []string{"-inf", "+inf", "(0", "1", "(2.5", "3", "-1", "(-inf"}[r.Intn(8)]
	}
	lex := func() string { return []string{"-", "+", "[a", "(b", "[c", "(e", "[", "[10"}[r.Intn(8)] }
	idx := func() string { return strconv.Itoa(r.Intn(9) - 4) }
	switch r.Intn(34) {
	case 0, 1:
		return []string{"SADD", key(), mem(), mem()}, false
	case 2:
		return []string{"SREM", key(), mem(), mem()}, false
	case 3:
		return []string{"SISMEMBER", key(), mem()}, false
	case 4:
		return []string{"SMEMBERS", key()}, true
	case 5:
		return []string{"SCARD", key()}, false
	case 6:
		return []string{[]string{"SINTER", "SUNION", "SDIFF"}[r.Intn(3)], key(), key()}, true
	case 7:
		return []string{[]string{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}[r.Intn(3)], key(), key(), key()}, false
	case 8:
		return []string{"SMOVE", key(), key(), mem()}, false
	case 9:
		return []string{"SINTERCARD", "2", key(), key(), "LIMIT", strconv.Itoa(r.Intn(3))}, false
	case 10, 11, 12:
		args := []string{"ZADD", key()}
		for _, o := range []string{"NX", "XX", "GT", "LT", "CH", "INCR"} {
			if r.Intn(6) == 0 {
				args = append(args, o)
			}
		}
		for n := 1 + r.Intn(2); n > 0; n-- {
			args = append(args, score(), mem())
		}
		return args, false
	case 13:
		return []string{"ZINCRBY", key(), score(), mem()}, false
	case 14:
		return []string{"ZREM", key(), mem(), mem()}, false
	case 15:
		return []string{"ZSCORE", key(), mem()}, false
	case 16:
		return []string{[]string{"ZRANK", "ZREVRANK"}[r.Intn(2)], key(), mem()}, false
	case 17:
		args := []string{"ZRANGE", key(), idx(), idx()}
		if r.Intn(2) == 0 {
			args = append(args, "WITHSCORES")
		}
		if r.Intn(3) == 0 {
			args = append(args, "REV")
		}
		return args, false
	case 18:
		args := []string{"ZRANGEBYSCORE", key(), bound(), bound(), "WITHSCORES"}
		if r.Intn(2) == 0 {
			args = append(args, "LIMIT", idx(), idx())
		}
		return args, false
	case 19:
		return []string{"ZREVRANGEBYSCORE", key(), bound(), bound(), "LIMIT", idx(), idx()}, false
	case 20:
		return []string{"ZCOUNT", key(), bound(), bound()}, false
	case 21:
		return []string{"ZREMRANGEBYSCORE", key(), bound(), bound()}, false
	case 22:
		return []string{"ZREMRANGEBYRANK", key(), idx(), idx()}, false
	case 23:
		return []string{[]string{"ZPOPMIN", "ZPOPMAX"}[r.Intn(2)], key(), strconv.Itoa(r.Intn(3))}, false
	case 24:
		return []string{"ZMPOP", "2", key(), key(), []string{"MIN", "MAX"}[r.Intn(2)], "COUNT", strconv.Itoa(1 + r.Intn(3))}, false
	case 25:
		return []string{[]string{"ZUNION", "ZINTER", "ZDIFF"}[r.Intn(3)], "2", key(), key(), "WITHSCORES"}, false
	case 26:
		return []string{[]string{"ZUNIONSTORE", "ZINTERSTORE"}[r.Intn(2)], key(), "2", key(), key(), "WEIGHTS", score(), score(), "AGGREGATE", []string{"SUM", "MIN", "MAX"}[r.Intn(3)]}, false
	case 27:
		return []string{"ZINTERCARD", "2", key(), key()}, false
	case 28:
		// Lex ranges are specified only when all scores are equal: use "lx".
		if r.Intn(2) == 0 {
			return []string{"ZADD", "lx", "0", mem()}, false
		}
		return []string{[]string{"ZRANGEBYLEX", "ZREVRANGEBYLEX"}[r.Intn(2)], "lx", lex(), lex(), "LIMIT", idx(), idx()}, false
	case 29:
		return []string{[]string{"ZLEXCOUNT", "ZREMRANGEBYLEX"}[r.Intn(2)], "lx", lex(), lex()}, false
	case 30:
		return []string{"ZRANGESTORE", key(), key(), bound(), bound(), "BYSCORE"}, false
	case 31:
		return []string{"ZMSCORE", key(), mem(), mem()}, false
	case 32:
		return []string{"SORT", key(), []string{"ASC", "DESC"}[r.Intn(2)], "ALPHA", "LIMIT", idx(), idx()}, false
	default:
		if r.Intn(10) == 0 {
			return []string{"SET", "str", "x"}, false
		}
		return []string{"TYPE", key()}, false
	}
}

// TestDiff_RandomSetsZSets_SameSequence runs one seeded random sequence of
// set and sorted-set commands on both servers (scores avoid -0, whose
// survival in Redis depends on its internal encoding) and compares every reply
// (unordered set replies compared sorted), in RESP2 and RESP3.
func TestDiff_RandomSetsZSets_SameSequence(t *testing.T) {
	redis := needRedis(t)
	dc := needShared(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			seed := int64(20240605 + proto)
			r := rand.New(rand.NewSource(seed))
			rc, dcc := mustDial(t, redis.addr), mustDial(t, dc.addr)
			defer rc.Close()
			defer dcc.Close()
			if proto == 3 {
				rc.mustDo(t, "HELLO", "3")
				dcc.mustDo(t, "HELLO", "3")
			}
			rc.mustDo(t, "FLUSHALL")
			dcc.mustDo(t, "FLUSHALL")
			mismatches := 0
			for i := 0; i < 3000 && mismatches < 5; i++ {
				args, unordered := randomSetZSetOp(r)
				rb := rc.mustDo(t, args...)
				db := dcc.mustDo(t, args...)
				same := string(rb) == string(db)
				if !same && unordered {
					rv, err1 := parseReply(rb)
					dv, err2 := parseReply(db)
					same = err1 == nil && err2 == nil && sortedRaw(rv) == sortedRaw(dv)
				}
				if !same {
					mismatches++
					t.Errorf("seed %d step %d: %s\n    redis:      %q\n    diskcached: %q", seed, i, fmtCmd(args), rb, db)
				}
			}
		})
	}
}
