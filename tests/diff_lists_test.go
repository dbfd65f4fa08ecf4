package tests

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

var listCases = []diffCase{
	// --- pushes
	{name: "push_basic", cmds: cs(`LPUSH l a b c`, `RPUSH l d e`, `LRANGE l 0 -1`, `LLEN l`, `TYPE l`, `OBJECT ENCODING l`)},
	{name: "push_binary", cmds: cs(`RPUSH l "a\x00b" "" "\r\n"`, `LRANGE l 0 -1`, `LINDEX l 1`, `LLEN l`)},
	{name: "pushx", cmds: cs(`LPUSHX l a`, `RPUSHX l a`, `EXISTS l`, `RPUSH l x`, `LPUSHX l a b`, `RPUSHX l y z`, `LRANGE l 0 -1`)},
	{name: "push_wrongtype", cmds: cs(`SET s v`, `LPUSH s a`, `RPUSH s a`, `LPUSHX s a`, `RPUSHX s a`, `GET s`)},
	{name: "push_arity", cmds: cs(`LPUSH l`, `RPUSH`, `LPUSHX l`)},

	// --- pops
	{name: "pop_basic", cmds: cs(`RPUSH l a b c d`, `LPOP l`, `RPOP l`, `LRANGE l 0 -1`, `LPOP l`, `LPOP l`, `LPOP l`, `EXISTS l`)},
	{name: "pop_count", cmds: cs(`RPUSH l a b c d e`, `LPOP l 2`, `RPOP l 2`, `LPOP l 0`, `RPOP l 10`, `EXISTS l`, `LPOP l 2`, `RPOP l 0`, `LPOP l`)},
	{name: "pop_count_errors", cmds: cs(`RPUSH l a`, `LPOP l -1`, `RPOP l abc`, `LPOP l 1 2`, `LPOP l ""`, `LPOP missing -1`, `LLEN l`)},
	{name: "pop_wrongtype", cmds: cs(`SET s v`, `LPOP s`, `RPOP s 2`, `LPOP s 0`)},

	// --- LLEN LRANGE LINDEX LSET
	{name: "llen", cmds: cs(`LLEN missing`, `RPUSH l a b`, `LLEN l`, `SET s v`, `LLEN s`)},
	{name: "lrange_ranges", cmds: cs(`RPUSH l a b c d e`, `LRANGE l 0 0`, `LRANGE l -2 -1`, `LRANGE l -100 100`, `LRANGE l 3 1`, `LRANGE l 5 10`, `LRANGE l -1 -5`, `LRANGE l 2 -2`, `LRANGE l -6 0`, `LRANGE missing 0 -1`)},
	{name: "lrange_errors", cmds: cs(`RPUSH l a`, `LRANGE l a 1`, `LRANGE l 0 1.5`, `LRANGE l 0`, `SET s v`, `LRANGE s 0 -1`, `LRANGE s x y`)},
	{name: "lindex", cmds: cs(`RPUSH l a b c`, `LINDEX l 0`, `LINDEX l -1`, `LINDEX l -3`, `LINDEX l 3`, `LINDEX l -4`, `LINDEX l abc`, `LINDEX missing abc`, `LINDEX missing 0`, `SET s v`, `LINDEX s 0`)},
	{name: "lset", cmds: cs(`RPUSH l a b c`, `LSET l 0 x`, `LSET l -1 z`, `LSET l 1 ""`, `LRANGE l 0 -1`, `LSET l 3 q`, `LSET l -4 q`, `LSET l abc q`, `LSET missing 0 x`, `LSET missing abc x`, `SET s v`, `LSET s 0 x`)},

	// --- LINSERT LREM LTRIM
	{name: "linsert", cmds: cs(`RPUSH l a b c`, `LINSERT l BEFORE b x`, `LINSERT l after c y`, `LINSERT l BEFORE a first`, `LINSERT l AFTER y last`, `LRANGE l 0 -1`, `LINSERT l BEFORE missing q`, `LINSERT missing BEFORE a q`, `EXISTS missing`)},
	{name: "linsert_dup_pivot", cmds: cs(`RPUSH l a b a b`, `LINSERT l AFTER b x`, `LINSERT l BEFORE a y`, `LRANGE l 0 -1`)},
	{name: "linsert_errors", cmds: cs(`RPUSH l a`, `LINSERT l MIDDLE a x`, `LINSERT missing MIDDLE a x`, `SET s v`, `LINSERT s BEFORE a x`, `LINSERT l BEFORE a`)},
	{name: "lrem", cmds: cs(`RPUSH l a b a c a b a`, `LREM l 2 a`, `LRANGE l 0 -1`, `LREM l -1 b`, `LRANGE l 0 -1`, `LREM l 0 a`, `LRANGE l 0 -1`, `LREM l 0 zz`, `LREM l 0 c`, `LREM l 0 b`, `EXISTS l`, `LREM missing 0 a`)},
	{name: "lrem_errors", cmds: cs(`RPUSH l a`, `LREM l x a`, `SET s v`, `LREM s 0 a`, `LREM missing x a`)},
	{name: "ltrim", cmds: cs(`RPUSH l a b c d e f`, `LTRIM l 1 -2`, `LRANGE l 0 -1`, `LTRIM l -100 100`, `LRANGE l 0 -1`, `LTRIM l 1 1`, `LRANGE l 0 -1`, `LTRIM l 5 10`, `EXISTS l`, `LTRIM missing 0 1`)},
	{name: "ltrim_empty_ranges", cmds: cs(`RPUSH l a b c`, `LTRIM l 2 1`, `EXISTS l`, `RPUSH l a b c`, `LTRIM l -1 -2`, `EXISTS l`, `RPUSH l a`, `LTRIM l a 1`, `SET s v`, `LTRIM s 0 1`)},

	// --- LPOS
	{name: "lpos_basic", cmds: cs(`RPUSH l a b c 1 2 3 c c`, `LPOS l c`, `LPOS l zz`, `LPOS missing c`, `LPOS l c RANK 2`, `LPOS l c RANK -1`, `LPOS l c RANK -3`, `LPOS l c RANK 4`)},
	{name: "lpos_count", cmds: cs(`RPUSH l a b c 1 2 3 c c`, `LPOS l c COUNT 2`, `LPOS l c COUNT 0`, `LPOS l c COUNT 0 RANK 2`, `LPOS l c COUNT 2 RANK -1`, `LPOS l zz COUNT 0`, `LPOS missing c COUNT 1`)},
	{name: "lpos_maxlen", cmds: cs(`RPUSH l a b c 1 2 3 c c`, `LPOS l c MAXLEN 2`, `LPOS l c MAXLEN 3`, `LPOS l c COUNT 0 MAXLEN 7`, `LPOS l c RANK -1 MAXLEN 1`, `LPOS l c COUNT 0 MAXLEN 0`)},
	{name: "lpos_errors", cmds: cs(`RPUSH l a`, `LPOS l a RANK 0`, `LPOS l a RANK x`, `LPOS l a COUNT -1`, `LPOS l a COUNT x`, `LPOS l a MAXLEN -1`, `LPOS l a MAXLEN x`, `LPOS l a FOO 1`, `LPOS l a RANK`, `LPOS missing a RANK 0`, `SET s v`, `LPOS s a`)},

	// --- LMOVE RPOPLPUSH LMPOP
	{name: "lmove", cmds: cs(`RPUSH a 1 2 3`, `LMOVE a b LEFT RIGHT`, `LMOVE a b RIGHT LEFT`, `LMOVE a b left left`, `LRANGE b 0 -1`, `EXISTS a`, `LMOVE a b LEFT LEFT`)},
	{name: "lmove_same", cmds: cs(`RPUSH a 1 2 3`, `LMOVE a a LEFT RIGHT`, `LRANGE a 0 -1`, `RPOPLPUSH a a`, `LRANGE a 0 -1`, `RPUSH one x`, `LMOVE one one RIGHT LEFT`, `LRANGE one 0 -1`)},
	{name: "lmove_errors", cmds: cs(`RPUSH a 1`, `SET s v`, `LMOVE a s LEFT LEFT`, `LMOVE s a LEFT LEFT`, `LMOVE missing s LEFT LEFT`, `LMOVE a b UP LEFT`, `LMOVE a b LEFT DOWN`, `LRANGE a 0 -1`, `RPOPLPUSH a s`, `RPOPLPUSH missing s`)},
	{name: "rpoplpush", cmds: cs(`RPUSH a 1 2`, `RPOPLPUSH a b`, `RPOPLPUSH a b`, `RPOPLPUSH a b`, `LRANGE b 0 -1`)},
	{name: "lmpop", cmds: cs(`RPUSH b 1 2 3`, `LMPOP 2 a b LEFT`, `LMPOP 2 a b RIGHT COUNT 5`, `LMPOP 1 a LEFT`, `EXISTS b`)},
	{name: "lmpop_errors", cmds: cs(`RPUSH a 1`, `LMPOP 0 a LEFT`, `LMPOP -1 a LEFT`, `LMPOP x a LEFT`, `LMPOP 2 a LEFT`, `LMPOP 1 a MIDDLE`, `LMPOP 1 a LEFT COUNT 0`, `LMPOP 1 a LEFT COUNT x`, `LMPOP 1 a LEFT COUNT 1 COUNT 1`, `LMPOP 1 a LEFT FOO`, `SET s v`, `LMPOP 2 s a LEFT`, `LMPOP 2 a s LEFT`, `LMPOP 1`)},

	// --- blocking forms answered at once (data present, errors, MULTI)
	{name: "blpop_ready", cmds: cs(`RPUSH l a b`, `BLPOP l 1`, `BRPOP l 0`, `EXISTS l`, `RPUSH l2 x`, `BLPOP missing l2 0.5`)},
	{name: "blpop_errors", cmds: cs(`BLPOP l abc`, `BLPOP l -1`, `SET s v`, `BLPOP s 0`, `BRPOP missing s 0`)},
	{name: "blpop_timeout", cmds: cs(`BLPOP l 0.01`, `BRPOP l l2 0.02`, `BLMOVE l d LEFT LEFT 0.01`, `BRPOPLPUSH l d 0.01`, `BLMPOP 0.01 1 l LEFT`)},
	{name: "blmove_ready", cmds: cs(`RPUSH a 1 2`, `BLMOVE a b RIGHT LEFT 0`, `BRPOPLPUSH a b 0`, `LRANGE b 0 -1`, `BLMOVE a b UP LEFT 0`, `BLMOVE a b LEFT LEFT x`)},
	{name: "blmpop_ready", cmds: cs(`RPUSH b 1 2 3`, `BLMPOP 0 2 a b LEFT COUNT 2`, `BLMPOP 1 1 b RIGHT`, `BLMPOP x 1 b LEFT`, `BLMPOP 0 0 b LEFT`, `BLMPOP -1 1 b LEFT`)},
	{name: "blocking_in_multi", pending: "transactions", cmds: cs(`MULTI`, `BLPOP l 0`, `BLMOVE l d LEFT LEFT 0`, `BLMPOP 0 1 l LEFT`, `RPUSH l x`, `BRPOP l 0`, `EXEC`)},

	// --- generic commands on lists
	{name: "list_copy_rename", cmds: cs(`RPUSH l a b c`, `COPY l l2`, `RPUSH l2 d`, `LRANGE l 0 -1`, `LRANGE l2 0 -1`, `RENAME l l3`, `LRANGE l3 0 -1`, `EXISTS l`)},
	{name: "list_expire", cmds: cs(`RPUSH l a`, `PEXPIRE l 20`, mSleep+` 40`, `LLEN l`, `RPUSH l b`, `LRANGE l 0 -1`, `TTL l`)},
	{name: "list_scan_type", cmds: cs(`RPUSH l a`, `SET s v`, mScan+` SCAN TYPE list`)},
}

func TestDiff_Lists(t *testing.T) { runDiffCases(t, listCases) }

// TestDiff_ListsRandomized runs one random sequence of list commands over a
// few keys on both servers and compares every reply.
func TestDiff_ListsRandomized(t *testing.T) {
	redis := needRedis(t)
	dc := needShared(t)
	r := rand.New(rand.NewPCG(42, 7))
	keys := []string{"ra", "rb", "rc", "rs"}
	elem := func() string { return strconv.Itoa(r.IntN(8)) }
	idx := func() string { return strconv.Itoa(r.IntN(14) - 7) }
	end := func() string { return []string{"LEFT", "RIGHT"}[r.IntN(2)] }
	gen := func() []string {
		k := keys[r.IntN(len(keys))]
		switch r.IntN(18) {
		case 0:
			return []string{"LPUSH", k, elem(), elem()}
		case 1:
			return []string{"RPUSH", k, elem()}
		case 2:
			return []string{"LPOP", k}
		case 3:
			return []string{"RPOP", k, strconv.Itoa(r.IntN(4))}
		case 4:
			return []string{"LRANGE", k, idx(), idx()}
		case 5:
			return []string{"LINDEX", k, idx()}
		case 6:
			return []string{"LSET", k, idx(), elem()}
		case 7:
			return []string{"LINSERT", k, []string{"BEFORE", "AFTER"}[r.IntN(2)], elem(), elem()}
		case 8:
			return []string{"LREM", k, strconv.Itoa(r.IntN(5) - 2), elem()}
		case 9:
			return []string{"LTRIM", k, idx(), idx()}
		case 10:
			return []string{"LPOS", k, elem(), "RANK", []string{"1", "-1", "2", "-2"}[r.IntN(4)], "COUNT", strconv.Itoa(r.IntN(3))}
		case 11:
			return []string{"LMOVE", k, keys[r.IntN(len(keys))], end(), end()}
		case 12:
			return []string{"LMPOP", "2", k, keys[r.IntN(len(keys))], end(), "COUNT", strconv.Itoa(r.IntN(3) + 1)}
		case 13:
			return []string{"LLEN", k}
		case 14:
			if r.IntN(10) == 0 {
				return []string{"SET", k, "str"}
			}
			return []string{"RPUSHX", k, elem()}
		case 15:
			if r.IntN(8) == 0 {
				return []string{"DEL", k}
			}
			return []string{"LPUSHX", k, elem()}
		case 16:
			return []string{"RPOPLPUSH", k, keys[r.IntN(len(keys))]}
		default:
			return []string{"LRANGE", k, "0", "-1"}
		}
	}
	rc, dcc := mustDial(t, redis.addr), mustDial(t, dc.addr)
	for _, c := range []*respConn{rc, dcc} {
		c.mustDo(t, "SELECT", "9")
		c.mustDo(t, "FLUSHDB")
	}
	for i := 0; i < 3000; i++ {
		args := gen()
		rb, err := rc.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		db, err := dcc.Do(args...)
		if err != nil {
			t.Fatalf("op %d %s: diskcached I/O error %v", i, fmtCmd(args), err)
		}
		if string(rb) != string(db) {
			t.Fatalf("op %d %s:\n redis:      %q\n diskcached: %q", i, fmtCmd(args), rb, db)
		}
	}
	for _, k := range keys {
		a := rc.mustDo(t, "LRANGE", k, "0", "-1")
		b := dcc.mustDo(t, "LRANGE", k, "0", "-1")
		if fmt.Sprintf("%q", a) != fmt.Sprintf("%q", b) {
			t.Fatalf("final %s differs: %q vs %q", k, a, b)
		}
	}
}
