package tests

import (
	"strings"
	"testing"
)

// nestedStars is the pathological KEYS pattern of Redis's keyspace unit.
var nestedStars = strings.Repeat("a*", 20) + "b"

// String and key edge cases fixed while running Redis's own TCL units:
// option repetition rules, check order, long-double INCRBYFLOAT, LCS,
// EXPIRETIME rounding, SCAN cursor parsing, glob quirks, COPY/MOVE db
// range errors. Compared byte for byte with redis-server, RESP2 and RESP3.
var strings2Cases = []diffCase{
	// --- SET / GETEX option rules: repeats allowed, conflicts are errors
	{name: "set_option_repeats", cmds: cs(`SET k v EX 10 EX 20`, `TTL k`, `SET k v PX 100 PX 200000`, `TTL k`, `SET k v EXAT 4102444800 EXAT 4102444900`, `EXPIRETIME k`, `SET k v NX NX`, `SET k w XX XX`, `GET k`, `SET k v KEEPTTL KEEPTTL`, `TTL k`, `SET k z GET GET`)},
	{name: "set_option_conflicts", cmds: cs(`SET k v EX 10 PX 10`, `SET k v PXAT 10 EXAT 10`, `SET k v KEEPTTL EX 10`, `SET k v NX XX`, `SET k v PERSIST`, `SET k v EX`, `SET k v GET EX`, `EXISTS k`)},
	{name: "set_expire_checked_before_get", cmds: cs(`SET k v`, `SET k w GET EX 0`, `SET k w GET EX abc`, `GET k`, `SET k w NX GET EX 100`, `TTL k`)},
	{name: "getex_check_order", cmds: cs(`GETEX missing EX 0`, `GETEX missing EX abc`, `GETEX missing FOO`, `GETEX missing EX`, `SET k v`, `GETEX k EX 0`, `GETEX k PX -5`, `GETEX k EX 9223372036854775807`, `TTL k`)},
	{name: "getex_option_repeats", cmds: cs(`SET k v EX 100`, `GETEX k PERSIST PERSIST`, `TTL k`, `GETEX k EX 10 EX 200`, `TTL k`, `GETEX k PERSIST EX 10`, `GETEX k EX 10 PERSIST`, `GETEX k KEEPTTL`, `GETEX k NX`, `GETEX k GET`, `TTL k`)},
	{name: "getex_wrongtype_before_expire", pending: "lists", cmds: cs(`LPUSH l a`, `GETEX l EX 0`, `GETEX l EX abc`, `GETEX l FOO`)},

	// --- INCRBYFLOAT in x87 long double
	{name: "incrbyfloat_longdouble_digits", cmds: cs(`SET k 0.1`, `INCRBYFLOAT k 0.2`, `INCRBYFLOAT q 1.23456789012345678901`, `INCRBYFLOAT m 17179869184.1`, `INCRBYFLOAT m 0.3333333333333`, `INCRBYFLOAT v 1.1`, `INCRBYFLOAT v 2.2`, `INCRBYFLOAT w 10.50`, `INCRBYFLOAT w -10.5`, `GET w`)},
	{name: "incrbyfloat_longdouble_range", cmds: cs(`INCRBYFLOAT u 1e400`, `INCRBYFLOAT r 5.0e300`, `SET big 1e308`, `INCRBYFLOAT big 1e308`, `INCRBYFLOAT x 1e-5000`, `INCRBYFLOAT x 1e99999`, `SET h 1e4932`, `INCRBYFLOAT h 1e4932`, `GET h`)},
	{name: "incrbyfloat_syntax_forms", cmds: cs(`INCRBYFLOAT s 0x10`, `INCRBYFLOAT s 0X1p-2`, `INCRBYFLOAT s +1.5`, `INCRBYFLOAT s .5`, `INCRBYFLOAT s 5.`, `INCRBYFLOAT s 1_0`, `INCRBYFLOAT s 0b11`, `INCRBYFLOAT s " 1"`, `INCRBYFLOAT s "1 "`, `INCRBYFLOAT s infinity`, `INCRBYFLOAT s -INF`, `INCRBYFLOAT s ++1`, `GET s`)},
	{name: "incrbyfloat_stored_value_checked_first", cmds: cs(`SET k abc`, `INCRBYFLOAT k xyz`, `SET k " 1"`, `INCRBYFLOAT k 1`, `SET k 1e5`, `INCRBYFLOAT k 1`, `SET k 12`, `INCRBYFLOAT k 0`)},
	{name: "incrbyfloat_wrongtype_first", pending: "lists", cmds: cs(`LPUSH l a`, `INCRBYFLOAT l abc`, `INCRBYFLOAT l 1`)},
	{name: "incrbyfloat_keeps_ttl", cmds: cs(`SET k 1 EX 100`, `INCRBYFLOAT k 1.5`, `TTL k`, `GET k`)},

	// --- SETRANGE / GETRANGE limits
	{name: "setrange_huge_offsets", cmds: cs(`SETRANGE k 9223372036854775807 A`, `SETRANGE k 2147483647 A`, `SETRANGE k 536870912 A`, `SETRANGE k 536870911 AB`, `SETRANGE k 536870912 ""`, `SETRANGE k -1 A`, `SETRANGE k x A`, `EXISTS k`)},
	{name: "getrange_huge", cmds: cs(`SET k hello`, `GETRANGE k 0 9223372036854775807`, `GETRANGE k -9223372036854775808 -1`, `GETRANGE k 9223372036854775807 9223372036854775807`, `GETRANGE k -1 -9223372036854775808`, `GETRANGE missing 0 -1`)},

	// --- LCS
	{name: "lcs_basic_len", cmds: cs(`MSET a ohmytext b mynewtext`, `LCS a b`, `LCS a b LEN`, `LCS a missing`, `LCS missing missing LEN`, `LCS a a`)},
	{name: "lcs_idx", cmds: cs(`MSET a ohmytext b mynewtext`, `LCS a b IDX`, `LCS a b IDX MINMATCHLEN 4`, `LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN`, `LCS a b IDX WITHMATCHLEN MINMATCHLEN -5`, `LCS b a idx withmatchlen`)},
	{name: "lcs_idx_edges", cmds: cs(`MSET a "" b abc c xaybzc`, `LCS a b IDX`, `LCS b c IDX WITHMATCHLEN`, `LCS c b IDX`, `LCS b c`, `LCS b b IDX WITHMATCHLEN`)},
	{name: "lcs_errors", cmds: cs(`MSET a x b y`, `LCS a b LEN IDX`, `LCS a b FOO`, `LCS a b MINMATCHLEN`, `LCS a b MINMATCHLEN x`, `LCS a`, `LCS a b LEN MINMATCHLEN 1`)},
	{name: "lcs_wrongtype", pending: "lists", cmds: cs(`LPUSH l a`, `SET s x`, `LCS s l`, `LCS l s LEN IDX`, `LCS missing l FOO`)},

	// --- expiry reporting and MOVE/COPY database ranges
	{name: "expiretime_rounds", cmds: cs(`SET k v`, `PEXPIREAT k 4102444800500`, `EXPIRETIME k`, `PEXPIREAT k 4102444800499`, `EXPIRETIME k`, `PEXPIRETIME k`)},
	{name: "expire_option_order", cmds: cs(`SET k v`, `EXPIRE k abc FOO`, `EXPIRE k 10 NX XX`, `EXPIRE k abc NX XX`, `EXPIRE missing abc`, `EXPIRE missing 9223372036854775807`, `EXPIRE k 10 nx gt`, `EXPIRE k 10 GT LT`, `EXPIRE k -9223372036854775808`, `EXISTS k`)},
	{name: "move_copy_db_ranges", cmds: cs(`SET k v`, `MOVE k 9999999999`, `MOVE k -1`, `MOVE k 16`, `MOVE k x`, `COPY k b DB 9999999999`, `COPY k b DB -1`, `COPY k b DB x`, `COPY k b DB`, `COPY k k`, `COPY k k DB 0`, `COPY k k DB 1`, `COPY missing x DB 99`)},

	// --- SCAN cursor parsing (strtoul rules) and glob quirks
	{name: "scan_cursor_forms", cmds: cs(`SET k v`, `SCAN ""`, `SCAN +0`, `SCAN -0`, `SCAN -`, `SCAN " 0"`, `SCAN 0x`, `SCAN 18446744073709551616`, `SCAN 0 COUNT 0`, `SCAN 0 COUNT x`, `SCAN 0 MATCH`, `SCAN 0 FOO bar`)},
	{name: "glob_empty_key", cmds: cs(`SET "" e`, `SET a 1`, mSorted+` KEYS *`, `KEYS ?*`, `KEYS ""`, mScan+` SCAN MATCH *`, `SCAN 0 MATCH ?`)},
	{name: "glob_classes", cmds: cs(`MSET hello 1 hallo 2 hxllo 3 "h]llo" 4 "h-llo" 5 "h\\llo" 6 "h*llo" 7`, mSorted+` KEYS h[ae]llo`, mSorted+` KEYS h[^e]llo`, mSorted+` KEYS h[a-e]llo`, mSorted+` KEYS h[e-a]llo`, mSorted+` KEYS "h[\\]]llo"`, mSorted+` KEYS "h\\*llo"`, mSorted+` KEYS "h[a-]llo"`, mSorted+` KEYS "h[]llo"`, mSorted+` KEYS "h[abc"`, mSorted+` KEYS "h\\\\llo"`)},
	{name: "glob_nested_stars_fast", cmds: cs(`SET aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1`, `KEYS `+nestedStars, `SCAN 0 MATCH `+nestedStars)},
	{name: "glob_high_bytes", cmds: cs(`SET "\x80" 1`, `KEYS "[\x01-\xff]"`, `KEYS "[\x80-\xff]"`, `KEYS "[\xff-\x80]"`)},
}

func TestDiff_Strings2(t *testing.T) { runDiffCases(t, strings2Cases) }
