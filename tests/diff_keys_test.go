package tests

import (
	"fmt"
	"testing"
)

var keyCases = []diffCase{
	// --- DEL UNLINK EXISTS TOUCH
	{name: "del_multi", cmds: cs(`MSET a 1 b 2 c 3`, `DEL a b missing`, `DEL a`, `EXISTS a b c`, `DEL`)},
	{name: "del_duplicates", cmds: cs(`SET a 1`, `DEL a a a`, `SET a 1`, `UNLINK a a missing`, `EXISTS a`)},
	{name: "exists_duplicates", cmds: cs(`MSET a 1 b 2`, `EXISTS a a b missing a`, `EXISTS missing`, `EXISTS`)},
	{name: "touch", cmds: cs(`MSET a 1 b 2`, `TOUCH a b c a`, `TOUCH`)},
	{name: "unlink", cmds: cs(`MSET a 1 b 2`, `UNLINK a b c`, `DBSIZE`)},

	// --- TYPE
	{name: "type_string_none", cmds: cs(`SET a 1`, `TYPE a`, `TYPE missing`, `TYPE`)},
	{name: "type_list", pending: "lists", cmds: cs(`LPUSH l a`, `TYPE l`)},

	// --- EXPIRE family
	{name: "expire_basic", cmds: cs(`SET k v`, `EXPIRE k 100`, `TTL k`, `EXPIRE missing 100`, `PEXPIRE k 200000`, `TTL k`)},
	{name: "expire_zero_neg", cmds: cs(`SET k v`, `EXPIRE k 0`, `EXISTS k`, `SET k v`, `EXPIRE k -5`, `GET k`, `SET k v`, `PEXPIRE k -1`, `EXISTS k`)},
	{name: "expire_errors", cmds: cs(`SET k v`, `EXPIRE k abc`, `EXPIRE k 1.5`, `EXPIRE k`, `EXPIRE k 100 FOO`, `EXPIRE k 100 NX XX`, `EXPIRE k 100 GT LT`, `EXPIRE k 100 NX GT`, `TTL k`)},
	{name: "expire_overflow", cmds: cs(`SET k v`, `EXPIRE k 9223372036854775807`, `PEXPIRE k 9223372036854775807`, `EXPIRE k 9223372036854775`, `EXPIREAT k 9223372036854775807`, `TTL k`)},
	{name: "expire_nx_xx", cmds: cs(`SET k v`, `EXPIRE k 100 XX`, `TTL k`, `EXPIRE k 100 NX`, `TTL k`, `EXPIRE k 200 NX`, `TTL k`, `EXPIRE k 300 XX`, `TTL k`)},
	{name: "expire_gt_lt", cmds: cs(`SET k v`, `EXPIRE k 100 GT`, `TTL k`, `EXPIRE k 100 LT`, `TTL k`, `EXPIRE k 50 GT`, `EXPIRE k 200 GT`, `TTL k`, `EXPIRE k 300 LT`, `EXPIRE k 10 LT`, `TTL k`, `EXPIRE k 10 lt`)},
	{name: "expire_lowercase_opt", cmds: cs(`SET k v`, `expire k 100 nx`, `ttl k`)},
	{name: "expireat", cmds: cs(`SET k v`, `EXPIREAT k 4102444800`, `EXPIRETIME k`, `PEXPIRETIME k`, `PEXPIREAT k 4102444800500`, `PEXPIRETIME k`, `EXPIRETIME k`, `EXPIREAT k 1`, `EXISTS k`)},
	{name: "expireat_opts", cmds: cs(`SET k v`, `EXPIREAT k 4102444800 NX`, `EXPIREAT k 4102444900 NX`, `EXPIREAT k 4102444900 GT`, `EXPIRETIME k`, `PEXPIREAT k 4102444000000 LT`, `EXPIRETIME k`)},
	{name: "ttl_missing_persistent", cmds: cs(`TTL missing`, `PTTL missing`, `EXPIRETIME missing`, `PEXPIRETIME missing`, `SET k v`, `TTL k`, `PTTL k`, `EXPIRETIME k`, `PEXPIRETIME k`)},
	{name: "persist", cmds: cs(`SET k v EX 100`, `PERSIST k`, `TTL k`, `PERSIST k`, `PERSIST missing`, `PERSIST`)},
	{name: "expired_px1_variants", cmds: cs(`SET a v PX 1`, `SET b v PX 1`, `SET c v PX 1`, mSleep+` 5`, mShape+` DBSIZE`, `KEYS *`, `EXISTS a b c`, `TTL a`, `PERSIST b`, `DEL c`, `RANDOMKEY`)},
	{name: "expire_then_set_clears", cmds: cs(`SET k v EX 100`, `SET k w`, `TTL k`, `SET k x EX 100`, `DEL k`, `SET k y`, `TTL k`)},

	// --- RENAME / RENAMENX
	{name: "rename", cmds: cs(`SET a 1`, `RENAME a b`, `GET a`, `GET b`, `RENAME missing x`, `RENAME b b`, `GET b`, `RENAME missing missing`)},
	{name: "rename_overwrite_ttl", cmds: cs(`SET a 1 EX 100`, `SET b 2`, `RENAME a b`, `TTL b`, `GET b`, `SET c 3`, `RENAME b c`, `TTL c`)},
	{name: "renamenx", cmds: cs(`SET a 1`, `SET b 2`, `RENAMENX a b`, `RENAMENX a c`, `MGET a b c`, `RENAMENX missing d`, `RENAMENX c c`, `RENAMENX x`)},

	// --- COPY MOVE
	{name: "copy", cmds: cs(`SET a 1 EX 100`, `COPY a b`, `GET b`, `TTL b`, `COPY a b`, `COPY a b REPLACE`, `COPY missing c`, `COPY a a`, `COPY a a REPLACE`)},
	{name: "copy_db", cmds: cs(`SET a 1`, `COPY a a DB 1`, `SELECT 1`, `GET a`, `SET a 2`, `SELECT 0`, `COPY a a DB 1`, `COPY a a DB 1 REPLACE`, `SELECT 1`, `GET a`)},
	{name: "copy_errors", cmds: cs(`SET a 1`, `COPY a b DB 16`, `COPY a b DB -1`, `COPY a b DB x`, `COPY a b FOO`, `COPY a`)},
	{name: "move", cmds: cs(`SET a 1`, `MOVE a 1`, `EXISTS a`, `SELECT 1`, `GET a`, `SET b 2`, `SELECT 0`, `SET b 3`, `MOVE b 1`, `MOVE missing 1`, `MOVE b 0`, `MOVE b 16`, `MOVE b x`)},
	{name: "move_keeps_ttl", cmds: cs(`SET a 1 EX 100`, `MOVE a 2`, `SELECT 2`, `TTL a`)},

	// --- KEYS
	{name: "keys_globs", cmds: cs(`MSET a 1 b 2 c 3 ab 4 abc 5 "a*" 6 "x?y" 7 d 8 xzy 9`,
		mSorted+` KEYS *`, mSorted+` KEYS a*`, mSorted+` KEYS ?`, mSorted+` KEYS [a-c]`, mSorted+` KEYS [^a]`,
		mSorted+` KEYS [!a-b]`, mSorted+` KEYS a\*`, mSorted+` KEYS x\?y`, mSorted+` KEYS *c`, mSorted+` KEYS a?c`,
		mSorted+` KEYS nothing*`, mSorted+` KEYS [abc]b*`, `KEYS`)},
	{name: "keys_special", cmds: cs(`MSET "[" 1 "]" 2 "\\" 3 "a[b" 4 "h\x00llo" 5`, mSorted+` KEYS *`, mSorted+` KEYS \[`, mSorted+` KEYS "\\\\"`, mSorted+` KEYS a[[]b`, mSorted+` KEYS h?llo`, mSorted+` KEYS [`, mSorted+` KEYS [z-a]`)},
	{name: "keys_across_dbs", cmds: cs(`SET a 1`, `SELECT 3`, `SET b 1`, mSorted+` KEYS *`, `SELECT 0`, mSorted+` KEYS *`)},

	// --- SCAN
	{name: "scan_full", cmds: append(cs(`MSET a 1 b 2 c 3 ab 4 abc 5 user:1 x user:2 y user:30 z`),
		cs(mScan+` SCAN`, mScan+` SCAN COUNT 1`, mScan+` SCAN MATCH a*`, mScan+` SCAN MATCH user:? COUNT 2`,
			mScan+` SCAN TYPE string`, mScan+` SCAN TYPE list`, mScan+` SCAN MATCH *b* TYPE string COUNT 1000`)...)},
	{name: "scan_many", cmds: append(manySets(300), cs(mScan+` SCAN COUNT 7`, mScan+` SCAN MATCH key:1*`, `DBSIZE`)...)},
	{name: "scan_errors", cmds: cs(`SCAN abc`, `SCAN 0 COUNT 0`, `SCAN 0 COUNT -1`, `SCAN 0 COUNT x`, `SCAN 0 MATCH`, `SCAN 0 FOO bar`, `SCAN`, `SCAN -1`)},
	{name: "scan_empty_db", cmds: cs(`SCAN 0`, mScan+` SCAN MATCH *`)},
	{name: "scan_type_list", pending: "lists", cmds: cs(`LPUSH l a`, `SET s x`, mScan+` SCAN TYPE list`, mScan+` SCAN TYPE string`)},

	// --- DBSIZE FLUSHDB SELECT SWAPDB
	{name: "dbsize_flushdb", cmds: cs(`MSET a 1 b 2`, `DBSIZE`, `SELECT 1`, `SET c 3`, `DBSIZE`, `FLUSHDB`, `DBSIZE`, `SELECT 0`, `DBSIZE`, `FLUSHDB ASYNC`, `DBSIZE`, `FLUSHDB SYNC`, `FLUSHDB FOO`)},
	{name: "flushall_opts", cmds: cs(`SET a 1`, `FLUSHALL SYNC`, `DBSIZE`, `SET a 1`, `FLUSHALL ASYNC`, `DBSIZE`, `FLUSHALL FOO`)},
	{name: "select", cmds: cs(`SELECT 0`, `SELECT 15`, `SELECT 16`, `SELECT -1`, `SELECT abc`, `SELECT`, `SELECT 1.5`)},
	{name: "select_isolation", cmds: cs(`SET k db0`, `SELECT 5`, `GET k`, `SET k db5`, `SELECT 0`, `GET k`, `SELECT 5`, `GET k`)},
	{name: "swapdb", cmds: cs(`SET a 0`, `SELECT 1`, `SET b 1`, `SWAPDB 0 1`, `GET a`, `GET b`, `SELECT 0`, `GET b`, `SWAPDB 0 0`, `SWAPDB 0 16`, `SWAPDB x 1`, `SWAPDB 0`)},
	{name: "randomkey", cmds: cs(`RANDOMKEY`, `SET only v`, `RANDOMKEY`, `SET other v`, mShape+` RANDOMKEY`)},

	// --- OBJECT
	{name: "object_misc", cmds: cs(`SET k v`, mShape+` OBJECT IDLETIME k`, `OBJECT IDLETIME missing`, `OBJECT FOO k`, `OBJECT REFCOUNT missing`, mErrCode+` OBJECT FREQ k`)},
}

// manySets returns MSET commands creating n keys key:0..key:n-1.
func manySets(n int) [][]string {
	var out [][]string
	cmd := []string{"MSET"}
	for i := 0; i < n; i++ {
		cmd = append(cmd, fmt.Sprintf("key:%d", i), fmt.Sprint(i))
		if len(cmd) > 100 {
			out = append(out, cmd)
			cmd = []string{"MSET"}
		}
	}
	if len(cmd) > 1 {
		out = append(out, cmd)
	}
	return out
}

func TestDiff_Keys(t *testing.T) {
	runDiffCases(t, keyCases)
}
