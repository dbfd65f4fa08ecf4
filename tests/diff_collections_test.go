package tests

import "testing"

// Collection commands: each case is marked pending so it is skipped (and
// listed at the end of the run) while diskcached lacks the command.
var collectionCases = []diffCase{
	// --- lists
	{name: "list_push_range", pending: "lists", cmds: cs(`RPUSH l a b c`, `LPUSH l x y`, `LRANGE l 0 -1`, `LRANGE l 1 2`, `LRANGE l -2 -1`, `LRANGE l 5 1`, `LRANGE l -100 100`, `LLEN l`, `LLEN missing`, `LRANGE missing 0 -1`)},
	{name: "list_pop", pending: "lists", cmds: cs(`RPUSH l a b c d e`, `LPOP l`, `RPOP l`, `LPOP l 2`, `RPOP l 0`, `LPOP l 10`, `EXISTS l`, `LPOP l`, `LPOP l 2`, `LPOP l -1`)},
	{name: "list_pushx_index_set", pending: "lists", cmds: cs(`LPUSHX l a`, `RPUSHX l a`, `RPUSH l a b c`, `LPUSHX l z`, `LINDEX l 0`, `LINDEX l -1`, `LINDEX l 10`, `LSET l 1 B`, `LSET l 10 x`, `LSET missing 0 x`, `LRANGE l 0 -1`)},
	{name: "list_rem_trim_insert", pending: "lists", cmds: cs(`RPUSH l a b a c a`, `LREM l 2 a`, `LRANGE l 0 -1`, `LREM l -1 a`, `LREM l 0 zz`, `LINSERT l BEFORE b x`, `LINSERT l AFTER c y`, `LINSERT l AFTER nope y`, `LINSERT l MIDDLE b y`, `LTRIM l 1 2`, `LRANGE l 0 -1`, `LTRIM l 5 1`, `EXISTS l`)},
	{name: "list_pos_move", pending: "lists", cmds: cs(`RPUSH l a b c a b`, `LPOS l b`, `LPOS l b RANK 2`, `LPOS l b COUNT 0`, `LPOS l b RANK -1`, `LPOS l z`, `LPOS l b RANK 0`, `LMOVE l m LEFT RIGHT`, `RPOPLPUSH l m`, `LRANGE m 0 -1`, `LMOVE l l RIGHT LEFT`, `LRANGE l 0 -1`)},
	{name: "list_errors", pending: "lists", cmds: cs(`RPUSH l`, `LRANGE l a 1`, `LINDEX l x`, `LPOP l x`, `SET s v`, `LPUSH s a`, `LRANGE s 0 -1`, `LLEN s`)},
	{name: "list_blocking_timeout", pending: "lists", cmds: cs(`BLPOP nolist 0.01`, `RPUSH l a`, `BLPOP l 0.01`, `BRPOP l x`, `BLPOP l -1`)},

	// --- hashes
	{name: "hash_basic", pending: "hashes", cmds: cs(`HSET h a 1 b 2`, `HSET h a 3 c 4`, `HGET h a`, `HGET h zz`, `HLEN h`, `HEXISTS h a`, `HEXISTS h zz`, `HDEL h a zz`, mSorted+` HGETALL h`, mSorted+` HKEYS h`, mSorted+` HVALS h`, `HMGET h b zz c`, `HSTRLEN h b`)},
	{name: "hash_incr", pending: "hashes", cmds: cs(`HINCRBY h n 5`, `HINCRBY h n -7`, `HINCRBYFLOAT h f 1.5`, `HINCRBYFLOAT h f 0.25`, `HSET h s abc`, `HINCRBY h s 1`, `HINCRBYFLOAT h s 1`, `HINCRBY h n x`, `HSET h big 9223372036854775807`, `HINCRBY h big 1`)},
	{name: "hash_setnx_mset", pending: "hashes", cmds: cs(`HSETNX h a 1`, `HSETNX h a 2`, `HMSET h b 2 c 3`, `HGET h a`, `HSET h a`, `HMSET h a`, mSorted+` HGETALL missing`, `HDEL h a b c`, `EXISTS h`)},
	{name: "hash_scan_random", pending: "hashes", cmds: cs(`HSET h a 1 b 2 c 3`, mScan+` HSCAN h`, mScan+` HSCAN h MATCH a*`, mShape+` HRANDFIELD h`, mShape+` HRANDFIELD h 2`, `HRANDFIELD missing`)},

	// --- sets
	{name: "set_basic", pending: "sets", cmds: cs(`SADD s a b c a`, `SADD s d`, `SCARD s`, `SISMEMBER s a`, `SISMEMBER s z`, `SMISMEMBER s a z b`, `SREM s a z`, mSorted+` SMEMBERS s`, `SCARD missing`, mSorted+` SMEMBERS missing`)},
	{name: "set_algebra", pending: "sets", cmds: cs(`SADD a 1 2 3 4`, `SADD b 3 4 5`, mSorted+` SINTER a b`, mSorted+` SUNION a b`, mSorted+` SDIFF a b`, `SINTERSTORE d a b`, mSorted+` SMEMBERS d`, `SUNIONSTORE d a b`, `SDIFFSTORE d a b`, `SINTERCARD 2 a b`, `SINTERCARD 2 a b LIMIT 1`, mSorted+` SINTER a missing`, `SINTERSTORE d a missing`, `EXISTS d`)},
	{name: "set_pop_move", pending: "sets", cmds: cs(`SADD s a`, `SPOP s`, `SPOP s`, `SADD s a b c`, mShape+` SPOP s 2`, `SCARD s`, `SADD t x`, `SMOVE t s x`, `SMOVE t s x`, `SCARD s`, mShape+` SRANDMEMBER s`, `SRANDMEMBER missing`, `SPOP s -1`)},
	{name: "set_intset_int", pending: "sets", cmds: cs(`SADD s 1 2 3`, `SISMEMBER s 2`, mScan+` SSCAN s`, mScan+` SSCAN s MATCH 1*`)},

	// --- sorted sets
	{name: "zset_basic", pending: "zsets", cmds: cs(`ZADD z 1 a 2 b 3 c`, `ZADD z 1.5 a`, `ZSCORE z a`, `ZSCORE z zz`, `ZCARD z`, `ZRANK z c`, `ZREVRANK z c`, `ZRANGE z 0 -1 WITHSCORES`, `ZREVRANGE z 0 1`, `ZINCRBY z 2 b`, `ZRANGE z 0 -1 WITHSCORES`, `ZREM z a zz`, `ZCOUNT z -inf +inf`)},
	{name: "zset_options", pending: "zsets", cmds: cs(`ZADD z NX 1 a`, `ZADD z NX 2 a`, `ZADD z XX 3 a`, `ZADD z GT 2 a`, `ZADD z LT 2 a`, `ZADD z CH 5 a 1 b`, `ZADD z INCR 1 a`, `ZADD z NX XX 1 a`, `ZADD z GT LT 1 a`, `ZADD z 1`, `ZADD z x a`, `ZADD z nan a`, `ZRANGE z 0 -1 WITHSCORES`)},
	{name: "zset_ranges", pending: "zsets", cmds: cs(`ZADD z 1 a 2 b 3 c 4 d`, `ZRANGEBYSCORE z (1 3`, `ZRANGEBYSCORE z -inf +inf LIMIT 1 2`, `ZREVRANGEBYSCORE z 3 1 WITHSCORES`, `ZRANGE z 2 3 BYSCORE`, `ZRANGE z (a [c BYLEX`, `ZRANGEBYLEX z - +`, `ZLEXCOUNT z [b +`, `ZRANGE z 0 -1 REV`, `ZREMRANGEBYSCORE z 4 4`, `ZREMRANGEBYRANK z 0 0`, `ZRANGE z 0 -1`, `ZRANGEBYSCORE z x 1`)},
	{name: "zset_pop_scores", pending: "zsets", cmds: cs(`ZADD z 1.5 a 2e3 b -0.25 c 1e-5 d inf e`, `ZSCORE z b`, `ZMSCORE z a zz e`, `ZPOPMIN z`, `ZPOPMAX z 2`, `ZRANGE z 0 -1 WITHSCORES`, `ZINCRBY z 1e300 a`, `ZINCRBY z inf e`)},
	{name: "zset_store", pending: "zsets", cmds: cs(`ZADD a 1 x 2 y`, `ZADD b 3 y 4 z`, `ZUNIONSTORE d 2 a b`, `ZRANGE d 0 -1 WITHSCORES`, `ZINTERSTORE d 2 a b WEIGHTS 2 3 AGGREGATE MAX`, `ZRANGE d 0 -1 WITHSCORES`, `ZUNION 2 a b WITHSCORES`, `ZDIFF 2 a b`, `ZUNIONSTORE d 0 a`)},

	// --- WRONGTYPE across types
	{name: "wrongtype_collections", pending: "hashes/sets/zsets", cmds: cs(`SET s v`, `HSET s a 1`, `SADD s a`, `ZADD s 1 a`, `RPUSH s a`, `HSET h a 1`, `SADD h a`, `LLEN h`, `ZCARD h`, `GET h`, `TYPE h`, `SADD st a`, `TYPE st`, `ZADD zs 1 a`, `TYPE zs`, mScan+` SCAN TYPE hash`, mScan+` SCAN TYPE zset`)},
	{name: "collections_del_expire_rename", pending: "hashes/sets/lists", cmds: cs(`HSET h a 1`, `RPUSH l a b`, `SADD s x`, `EXPIRE h 100`, `TTL h`, `RENAME l l2`, `LRANGE l2 0 -1`, `COPY s s2`, mSorted+` SMEMBERS s2`, `DEL h l2 s s2`, `DBSIZE`, `RPUSH l a`, `SET l x`, `TYPE l`)},
}

func TestDiff_Collections(t *testing.T) {
	runDiffCases(t, collectionCases)
}
