package tests

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Field order: Redis lists a small hash in insertion order; diskcached in
// byte order. Cases insert fields in byte order or compare with mSorted.
var hashCases = []diffCase{
	// --- HSET HMSET HSETNX HGET HMGET
	{name: "hset_basic", cmds: cs(`HSET h a 1 b 2`, `HSET h a 3 c 4`, `HGET h a`, `HGET h zz`, `HGET missing a`, `HLEN h`, `TYPE h`, `OBJECT ENCODING h`)},
	{name: "hset_dup_fields", cmds: cs(`HSET h a 1 a 2`, `HGET h a`, `HLEN h`)},
	{name: "hset_binary", cmds: cs(`HSET h "" empty "a\x00b" "v\r\n"`, `HGET h ""`, `HGET h "a\x00b"`, `HSTRLEN h "a\x00b"`, `HLEN h`)},
	{name: "hset_arity", cmds: cs(`HSET h a`, `HSET h a 1 b`, `HMSET h a`, `HMSET h a 1 b`, `HSET h`, `EXISTS h`)},
	{name: "hmset", cmds: cs(`HMSET h a 1 b 2`, `HMGET h a b zz`, `HMGET missing a b`)},
	{name: "hsetnx", cmds: cs(`HSETNX h a 1`, `HSETNX h a 2`, `HGET h a`, `HSETNX h b 3`, `HLEN h`)},
	{name: "hash_wrongtype", cmds: cs(`SET s v`, `HSET s a 1`, `HGET s a`, `HMGET s a`, `HSETNX s a 1`, `HDEL s a`, `HLEN s`, `HEXISTS s a`, `HGETALL s`, `HKEYS s`, `HVALS s`, `HINCRBY s a 1`, `HINCRBYFLOAT s a 1`, `HSTRLEN s a`, `HRANDFIELD s`, `HRANDFIELD s 2`, `HSCAN s 0`, `RPUSH l x`, `HSET l a 1`, `LPUSH h2 x`)},
	{name: "list_ops_on_hash", cmds: cs(`HSET h a 1`, `LPUSH h x`, `LRANGE h 0 -1`, `LLEN h`, `LPOP h`, `BLPOP h 0`)},

	// --- HDEL HLEN HEXISTS HSTRLEN
	{name: "hdel", cmds: cs(`HSET h a 1 b 2 c 3`, `HDEL h a zz`, `HDEL h b c c`, `EXISTS h`, `HDEL h a`, `HDEL missing a`)},
	{name: "hexists_hstrlen", cmds: cs(`HSET h a hello b ""`, `HEXISTS h a`, `HEXISTS h zz`, `HEXISTS missing a`, `HSTRLEN h a`, `HSTRLEN h b`, `HSTRLEN h zz`, `HSTRLEN missing a`, `HLEN missing`)},
	{name: "hstrlen_int", cmds: cs(`HSET h n 12345 neg -7`, `HSTRLEN h n`, `HSTRLEN h neg`)},

	// --- HGETALL HKEYS HVALS
	{name: "hgetall", cmds: cs(`HSET h a 1 b 2 c 3`, `HGETALL h`, `HKEYS h`, `HVALS h`, `HGETALL missing`, `HKEYS missing`, `HVALS missing`)},
	{name: "hgetall_unordered", cmds: cs(`HSET h z 1 y 2 x 3`, mSorted+` HGETALL h`, mSorted+` HKEYS h`, mSorted+` HVALS h`)},

	// --- HINCRBY HINCRBYFLOAT
	{name: "hincrby", cmds: cs(`HINCRBY h a 5`, `HINCRBY h a -10`, `HGET h a`, `HINCRBY h b 0`, `HGET h b`, `HSET h s x f 1.5 sp " 1"`, `HINCRBY h s 1`, `HINCRBY h f 1`, `HINCRBY h sp 1`, `HINCRBY h a x`, `HINCRBY h a 1.5`, `HINCRBY h a ""`)},
	{name: "hincrby_overflow", cmds: cs(`HSET h max 9223372036854775807 min -9223372036854775808`, `HINCRBY h max 1`, `HINCRBY h min -1`, `HINCRBY h max -1`, `HINCRBY h x 9223372036854775808`, `HGET h max`)},
	{name: "hincrbyfloat_format", cmds: cs(`HINCRBYFLOAT h f 10.5`, `HINCRBYFLOAT h f 0.1`, `HINCRBYFLOAT h g 0.1`, `HINCRBYFLOAT h g 0.2`, `HINCRBYFLOAT h e 5.0e3`, `HINCRBYFLOAT h e 2.0e2`, `HINCRBYFLOAT h z 1e-17`, `HINCRBYFLOAT h n -1.5`, `HINCRBYFLOAT h n 1.5`, `HGET h n`, `HINCRBYFLOAT h i 3`, `HINCRBYFLOAT h big 1.7e308`, `HINCRBYFLOAT h big 1e300`)},
	{name: "hincrbyfloat_existing", cmds: cs(`HSET h a 3.14159265358979323846 b 10 c abc d inf e "1 " f 0x10`, `HINCRBYFLOAT h a 0`, `HINCRBYFLOAT h b 0.5`, `HINCRBYFLOAT h c 1`, `HINCRBYFLOAT h d 1`, `HINCRBYFLOAT h e 1`, `HINCRBYFLOAT h f 1`)},
	{name: "hincrbyfloat_errors", cmds: cs(`HINCRBYFLOAT h a abc`, `HINCRBYFLOAT h a inf`, `HINCRBYFLOAT h a -inf`, `HINCRBYFLOAT h a nan`, `HINCRBYFLOAT h a ""`, `HINCRBYFLOAT h a " 1"`, `EXISTS h`)},

	// --- HRANDFIELD (random: compare shape only)
	{name: "hrandfield_shapes", cmds: cs(`HSET h a 1 b 2 c 3 d 4 e 5`, mShape+` HRANDFIELD h`, mShape+` HRANDFIELD h 3`, mShape+` HRANDFIELD h 10`, mShape+` HRANDFIELD h -8`, mShape+` HRANDFIELD h 1`, mShape+` HRANDFIELD h -1`, mShape+` HRANDFIELD h 3 WITHVALUES`, mShape+` HRANDFIELD h -7 WITHVALUES`, mShape+` HRANDFIELD h 10 withvalues`, `HRANDFIELD h 0`, `HRANDFIELD h 0 WITHVALUES`)},
	{name: "hrandfield_all", cmds: cs(`HSET h a 1 b 2`, mSorted+` HRANDFIELD h 5`, mSorted+` HRANDFIELD h 2`)},
	{name: "hrandfield_single", cmds: cs(`HSET h a 1`, `HRANDFIELD h`, `HRANDFIELD h -3`, `HRANDFIELD h -2 WITHVALUES`, `HRANDFIELD h 1 WITHVALUES`)},
	{name: "hrandfield_missing", cmds: cs(`HRANDFIELD missing`, `HRANDFIELD missing 5`, `HRANDFIELD missing -5 WITHVALUES`, `HRANDFIELD missing 0`)},
	{name: "hrandfield_errors", cmds: cs(`HSET h a 1`, `HRANDFIELD h x`, `HRANDFIELD h 1 FOO`, `HRANDFIELD h 1 WITHVALUES x`, `HRANDFIELD h -9223372036854775808`, `HRANDFIELD h 9223372036854775807 WITHVALUES`, `HRANDFIELD h -4611686018427387904 WITHVALUES`, `HRANDFIELD missing x`)},

	// --- HSCAN
	{name: "hscan_small", cmds: cs(`HSET h a 1 b 2 c 3`, `HSCAN h 0`, `HSCAN h 0 COUNT 1`, `HSCAN h 0 MATCH a*`, `HSCAN missing 0`, `HSCAN missing 0 COUNT 0`)},
	{name: "hscan_errors", cmds: cs(`HSET h a 1`, `HSCAN h x`, `HSCAN h -1`, `HSCAN h 0 COUNT 0`, `HSCAN h 0 COUNT x`, `HSCAN h 0 FOO bar`, `HSCAN h 0 COUNT`, `HSCAN h 0 TYPE string`)},
	{name: "hscan_large", cmds: append(cs(bigHSet("big", 0, 700)), cs(
		mScan+` HSCAN big`, mScan+` HSCAN big COUNT 7`, mScan+` HSCAN big MATCH f1* COUNT 50`, `HLEN big`, `OBJECT ENCODING big`)...)},

	// --- generic commands on hashes
	{name: "hash_copy_rename", cmds: cs(`HSET h a 1 b 2`, `COPY h h2`, `HSET h2 c 3`, `HGETALL h`, `HGETALL h2`, `RENAME h h3`, `HGETALL h3`, `EXISTS h`)},
	{name: "hash_expire", cmds: cs(`HSET h a 1`, `PEXPIRE h 20`, mSleep+` 40`, `HGET h a`, `HLEN h`, `HSET h b 2`, `HGETALL h`, `TTL h`)},
	{name: "hash_encoding", cmds: cs(bigHSet("e", 0, 100), `OBJECT ENCODING e`, bigHSet("e", 100, 600), `OBJECT ENCODING e`)},
}

// bigHSet returns an HSET line with fields fNNNN for i in [from, to).
func bigHSet(key string, from, to int) string {
	var b strings.Builder
	b.WriteString("HSET " + key)
	for i := from; i < to; i++ {
		b.WriteString(" f" + strconv.Itoa(1000+i) + " v" + strconv.Itoa(i))
	}
	return b.String()
}

func TestDiff_Hashes(t *testing.T) { runDiffCases(t, hashCases) }

// TestDiff_HashesRandomized runs one random sequence of hash commands on
// both servers and compares every reply (order-free replies sorted).
func TestDiff_HashesRandomized(t *testing.T) {
	redis := needRedis(t)
	dc := needShared(t)
	r := rand.New(rand.NewPCG(9, 11))
	keys := []string{"ha", "hb", "hc"}
	field := func() string { return "f" + strconv.Itoa(r.IntN(10)) }
	num := func() string { return strconv.Itoa(r.IntN(200) - 100) }
	rc, dcc := mustDial(t, redis.addr), mustDial(t, dc.addr)
	for _, c := range []*respConn{rc, dcc} {
		c.mustDo(t, "SELECT", "8")
		c.mustDo(t, "FLUSHDB")
	}
	for i := 0; i < 3000; i++ {
		k := keys[r.IntN(len(keys))]
		var args []string
		sorted := false
		switch r.IntN(12) {
		case 0, 1:
			args = []string{"HSET", k, field(), num(), field(), "x" + num()}
		case 2:
			args = []string{"HSETNX", k, field(), num()}
		case 3:
			args = []string{"HGET", k, field()}
		case 4:
			args = []string{"HMGET", k, field(), field(), field()}
		case 5:
			args = []string{"HDEL", k, field(), field()}
		case 6:
			args = []string{"HLEN", k}
		case 7:
			args = []string{"HINCRBY", k, field(), num()}
		case 8:
			args = []string{"HINCRBYFLOAT", k, field(), num() + ".25"}
		case 9:
			args, sorted = []string{"HGETALL", k}, true
		case 10:
			args = []string{"HEXISTS", k, field()}
		default:
			args = []string{"HSTRLEN", k, field()}
		}
		rb, err := rc.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		db, err := dcc.Do(args...)
		if err != nil {
			t.Fatalf("op %d %s: diskcached I/O error %v", i, fmtCmd(args), err)
		}
		same := string(rb) == string(db)
		if sorted && !same {
			rv, _ := parseReply(rb)
			dv, err := parseReply(db)
			same = err == nil && sortedRaw(rv) == sortedRaw(dv)
		}
		if !same {
			t.Fatalf("op %d %s:\n redis:      %q\n diskcached: %q", i, fmtCmd(args), rb, db)
		}
	}
}

// fillHash writes n fields into key with pipelined HSETs of 1000 fields.
func fillHash(t *testing.T, ctx context.Context, c *redis.Client, key string, n int) {
	t.Helper()
	val := strings.Repeat("v", 32)
	for base := 0; base < n; base += 1000 * 10 {
		pipe := c.Pipeline()
		for b := base; b < base+1000*10 && b < n; b += 1000 {
			args := make([]any, 0, 2002)
			args = append(args, "HSET", key)
			for i := b; i < b+1000 && i < n; i++ {
				args = append(args, "field:"+strconv.Itoa(i), val)
			}
			pipe.Do(ctx, args...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("fill %s at %d: %v", key, base, err)
		}
	}
}

// TestHashes_DelMillionFields_FastAndSpaceReused: DEL of a 1M-field hash
// is O(1) (the reclaimer frees the elements later) and refilling after the
// reclaim reuses the freed pages instead of growing the file.
func TestHashes_DelMillionFields_FastAndSpaceReused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1M-field hash")
	}
	p := startDiskcached(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: p.addr, ReadTimeout: time.Minute, MaxRetries: -1})
	defer c.Close()
	const n = 1_000_000
	file := filepath.Join(p.dir, "diskcached.db")
	size := func() int64 {
		st, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	fillHash(t, ctx, c, "big1", n)
	if got := c.HLen(ctx, "big1").Val(); got != n {
		t.Fatalf("HLEN = %d", got)
	}
	start := time.Now()
	if got := c.Del(ctx, "big1").Val(); got != 1 {
		t.Fatalf("DEL = %d", got)
	}
	took := time.Since(start)
	t.Logf("DEL of a %d-field hash took %v", n, took)
	if took > 100*time.Millisecond {
		t.Fatalf("DEL took %v, want < 100ms", took)
	}
	if c.Exists(ctx, "big1").Val() != 0 || c.HLen(ctx, "big1").Val() != 0 {
		t.Fatal("hash still visible after DEL")
	}
	// Let the reclaimer run, then refill: the file must not grow much.
	waitStable := func() int64 {
		last, stable := size(), 0
		for i := 0; i < 600 && stable < 15; i++ {
			time.Sleep(200 * time.Millisecond)
			c.Set(ctx, "tick", i, 0) // keeps commits (and page reuse) going
			if s := size(); s == last {
				stable++
			} else {
				last, stable = s, 0
			}
		}
		return last
	}
	s1 := waitStable()
	fillHash(t, ctx, c, "big2", n)
	s2 := waitStable()
	t.Logf("file size after first fill+reclaim %d MiB, after refill %d MiB", s1>>20, s2>>20)
	if s2 > s1+s1/4 {
		t.Fatalf("file grew from %d to %d bytes on refill: freed space not reused", s1, s2)
	}
}
