package tests

import (
	"strings"
	"testing"
)

var big45 = strings.Repeat("x", 45)
var big44 = strings.Repeat("x", 44)

var stringCases = []diffCase{
	// --- SET / GET and options
	{name: "set_get_basic", cmds: cs(`SET k v`, `GET k`, `GET missing`, `SET k ""`, `GET k`, `STRLEN k`)},
	{name: "set_binary_value", cmds: cs(`SET k "a\x00b\r\nc"`, `GET k`, `STRLEN k`, `SET "\x00\xff" v`, `GET "\x00\xff"`)},
	{name: "set_ex_ttl", cmds: cs(`SET k v EX 100`, `TTL k`, `GET k`, `SET k v`, `TTL k`)},
	{name: "set_px_ttl", cmds: cs(`SET k v PX 100000`, `TTL k`, mShape+` PTTL k`)},
	{name: "set_exat_pxat", cmds: cs(`SET k v EXAT 4102444800`, `EXPIRETIME k`, `SET k2 v PXAT 4102444800000`, `PEXPIRETIME k2`, `EXPIRETIME k2`)},
	{name: "set_exat_past", cmds: cs(`SET k v EXAT 1`, `GET k`, `EXISTS k`, `SET k v PXAT 1`, `GET k`)},
	{name: "set_nx", cmds: cs(`SET k v NX`, `SET k w NX`, `GET k`)},
	{name: "set_xx", cmds: cs(`SET k v XX`, `GET k`, `SET k v`, `SET k w XX`, `GET k`)},
	{name: "set_keepttl", cmds: cs(`SET k v EX 100`, `SET k w KEEPTTL`, `TTL k`, `GET k`, `SET k x`, `TTL k`)},
	{name: "set_get_option", cmds: cs(`SET k v GET`, `SET k w GET`, `GET k`, `SET k x NX GET`, `SET k2 x NX GET`, `SET k y XX GET`, `SET k3 y XX GET`, `GET k3`)},
	{name: "set_get_option_ex", cmds: cs(`SET k v`, `SET k w GET EX 100`, `TTL k`)},
	{name: "set_lowercase_opts", cmds: cs(`set k v ex 100 nx`, `ttl k`, `sEt k v2 xx px 5000 get`, `get k`)},
	{name: "set_err_ex0", cmds: cs(`SET k v EX 0`, `SET k v PX 0`, `SET k v EXAT 0`, `SET k v PXAT 0`, `GET k`)},
	{name: "set_err_exneg", cmds: cs(`SET k v EX -1`, `SET k v PX -100`, `SET k v EXAT -5`)},
	{name: "set_err_nx_xx", cmds: cs(`SET k v NX XX`, `SET k v XX NX`, `GET k`)},
	{name: "set_err_ex_px", cmds: cs(`SET k v EX 10 PX 10`, `SET k v EX 10 EX 10`, `SET k v EX 10 KEEPTTL`, `SET k v KEEPTTL PX 5`, `SET k v EXAT 10 PXAT 10`)},
	{name: "set_err_ex_notint", cmds: cs(`SET k v EX abc`, `SET k v PX 1.5`, `SET k v EX`, `SET k v EX ""`, `SET k v EX 99999999999999999999`)},
	{name: "set_err_ex_overflow", cmds: cs(`SET k v EX 9223372036854775807`, `SET k v PX 9223372036854775807`, `GET k`)},
	{name: "set_err_syntax", cmds: cs(`SET k v FOO`, `SET k v NX NX`, `SET k v GET GET`, `SET k`, `SET`)},
	{name: "set_expired_px1", cmds: cs(`SET k v PX 1`, mSleep+` 5`, `GET k`, `EXISTS k`, `TTL k`, `SET k w NX`, `GET k`)},
	{name: "set_overwrite_type", cmds: cs(`SET k 1`, `OBJECT ENCODING k`, `SET k abc`, `OBJECT ENCODING k`)},

	// --- SETNX SETEX PSETEX GETSET GETDEL
	{name: "setnx", cmds: cs(`SETNX k v`, `SETNX k w`, `GET k`, `SETNX k`)},
	{name: "setex", cmds: cs(`SETEX k 100 v`, `TTL k`, `GET k`, `SETEX k 0 v`, `SETEX k -1 v`, `SETEX k abc v`, `SETEX k 10`)},
	{name: "psetex", cmds: cs(`PSETEX k 100000 v`, `TTL k`, `GET k`, `PSETEX k 0 v`, `PSETEX k -5 v`, `PSETEX k x v`)},
	{name: "getset", cmds: cs(`GETSET k v`, `GETSET k w`, `GET k`, `SET k2 v EX 100`, `GETSET k2 z`, `TTL k2`)},
	{name: "getdel", cmds: cs(`SET k v`, `GETDEL k`, `GETDEL k`, `EXISTS k`, `GETDEL`)},

	// --- GETEX
	{name: "getex_plain", cmds: cs(`SET k v`, `GETEX k`, `GETEX missing`, `TTL k`)},
	{name: "getex_ex_px", cmds: cs(`SET k v`, `GETEX k EX 100`, `TTL k`, `GETEX k PX 200000`, `TTL k`)},
	{name: "getex_exat_pxat", cmds: cs(`SET k v`, `GETEX k EXAT 4102444800`, `EXPIRETIME k`, `GETEX k PXAT 4102444801000`, `EXPIRETIME k`)},
	{name: "getex_persist", cmds: cs(`SET k v EX 100`, `GETEX k PERSIST`, `TTL k`)},
	{name: "getex_errors", cmds: cs(`SET k v`, `GETEX k EX 0`, `GETEX k EX -1`, `GETEX k EX abc`, `GETEX k EX 10 PX 10`, `GETEX k PERSIST EX 10`, `GETEX k FOO`, `GETEX k EX`, `TTL k`)},
	{name: "getex_past", cmds: cs(`SET k v`, `GETEX k EXAT 1`, `EXISTS k`)},

	// --- MGET MSET MSETNX
	{name: "mset_mget", cmds: cs(`MSET a 1 b 2 c 3`, `MGET a b c missing`, `MSET a 9 a 10`, `GET a`)},
	{name: "mset_errors", cmds: cs(`MSET a`, `MSET a 1 b`, `MSET`, `MGET`)},
	{name: "msetnx", cmds: cs(`MSETNX a 1 b 2`, `MSETNX b 3 c 4`, `MGET a b c`, `MSETNX x 1 x 2`, `GET x`, `MSETNX a`)},
	{name: "mset_clears_ttl", cmds: cs(`SET a 1 EX 100`, `MSET a 2`, `TTL a`)},

	// --- APPEND STRLEN
	{name: "append", cmds: cs(`APPEND k abc`, `APPEND k def`, `GET k`, `STRLEN k`, `STRLEN missing`, `APPEND k ""`, `GET k`)},
	{name: "append_int", cmds: cs(`SET k 10`, `APPEND k 5`, `GET k`, `INCR k`, `OBJECT ENCODING k`)},
	{name: "append_keeps_ttl", cmds: cs(`SET k v EX 100`, `APPEND k w`, `TTL k`)},

	// --- GETRANGE / SUBSTR
	{name: "getrange", cmds: cs(`SET k "Hello World"`, `GETRANGE k 0 4`, `GETRANGE k -5 -1`, `GETRANGE k 0 -1`, `GETRANGE k 0 100`, `GETRANGE k 5 3`, `GETRANGE k -100 -50`, `GETRANGE k -100 2`, `GETRANGE k 20 30`, `GETRANGE k 10 10`, `GETRANGE k -1 -1`, `GETRANGE missing 0 -1`)},
	{name: "getrange_errors", cmds: cs(`SET k abc`, `GETRANGE k a 1`, `GETRANGE k 0 b`, `GETRANGE k 0`, `SET e ""`, `GETRANGE e 0 -1`, `GETRANGE e 0 0`)},
	{name: "substr", cmds: cs(`SET k "Hello World"`, `SUBSTR k 0 4`, `SUBSTR k -3 -1`, `SUBSTR k 6 1000`)},

	// --- SETRANGE
	{name: "setrange", cmds: cs(`SET k "Hello World"`, `SETRANGE k 6 Redis`, `GET k`, `SETRANGE k 20 x`, `GET k`, `STRLEN k`)},
	{name: "setrange_missing", cmds: cs(`SETRANGE k 5 abc`, `GET k`, `SETRANGE m 0 ""`, `EXISTS m`, `SETRANGE m 10 ""`, `EXISTS m`)},
	{name: "setrange_errors", cmds: cs(`SETRANGE k -1 x`, `SETRANGE k 536870912 x`, `SETRANGE k 536870911 ""`, `SETRANGE k abc x`, `SETRANGE k 1`, `EXISTS k`)},
	{name: "setrange_empty_existing", cmds: cs(`SET k abc`, `SETRANGE k 1 ""`, `SETRANGE k 100 ""`, `GET k`)},

	// --- INCR family
	{name: "incr_basic", cmds: cs(`INCR k`, `INCR k`, `INCRBY k 10`, `DECR k`, `DECRBY k 5`, `GET k`, `INCRBY k -20`, `DECRBY k -3`, `GET k`, `OBJECT ENCODING k`)},
	{name: "incr_not_integer", cmds: cs(`SET k abc`, `INCR k`, `SET k 1.5`, `INCR k`, `SET k " 1"`, `INCR k`, `SET k "1 "`, `INCR k`, `SET k 01`, `INCR k`, `SET k +1`, `INCR k`, `SET k ""`, `INCR k`, `SET k -0`, `INCR k`)},
	{name: "incr_overflow", cmds: cs(`SET k 9223372036854775807`, `INCR k`, `INCRBY k 1`, `GET k`, `SET k -9223372036854775808`, `DECR k`, `DECRBY k 1`, `SET k 9223372036854775806`, `INCR k`, `GET k`)},
	{name: "incr_value_too_big", cmds: cs(`SET k 9223372036854775808`, `INCR k`, `SET k 99999999999999999999`, `DECR k`)},
	{name: "incrby_bad_arg", cmds: cs(`INCRBY k abc`, `INCRBY k 1.5`, `DECRBY k ""`, `INCRBY k 9223372036854775808`, `DECRBY k -9223372036854775808`, `EXISTS k`, `INCRBY k`)},
	{name: "decrby_min", cmds: cs(`SET k 0`, `DECRBY k 9223372036854775807`, `DECR k`, `DECR k`, `GET k`)},
	{name: "incr_keeps_ttl", cmds: cs(`SET k 5 EX 100`, `INCR k`, `TTL k`)},

	// --- INCRBYFLOAT
	{name: "incrbyfloat_basic", cmds: cs(`INCRBYFLOAT k 10.5`, `INCRBYFLOAT k 0.1`, `INCRBYFLOAT k -5`, `GET k`)},
	{name: "incrbyfloat_exp", cmds: cs(`SET k 5.0e3`, `INCRBYFLOAT k 2.0e2`, `SET k2 10`, `INCRBYFLOAT k2 3.0e3`, `INCRBYFLOAT k3 5.0e-1`, `INCRBYFLOAT k4 1e-17`, `INCRBYFLOAT k5 123456789012`)},
	{name: "incrbyfloat_int_result", cmds: cs(`SET k 1.5`, `INCRBYFLOAT k 1.5`, `GET k`, `INCRBYFLOAT k 0`, `INCRBYFLOAT k -3`, `INCRBYFLOAT k -0.0`)},
	{name: "incrbyfloat_inf", cmds: cs(`INCRBYFLOAT k inf`, `INCRBYFLOAT k -inf`, `INCRBYFLOAT k nan`, `SET k 1`, `INCRBYFLOAT k +inf`, `SET k inf`, `INCRBYFLOAT k 1`, `GET k`)},
	{name: "incrbyfloat_errors", cmds: cs(`SET k abc`, `INCRBYFLOAT k 1`, `INCRBYFLOAT j abc`, `INCRBYFLOAT j ""`, `INCRBYFLOAT j "1 "`, `INCRBYFLOAT j`, `EXISTS j`)},
	{name: "incrbyfloat_precision", cmds: cs(`SET k 0.1`, `INCRBYFLOAT k 0.2`, `INCRBYFLOAT k 0.7`, `SET k1 1.1`, `INCRBYFLOAT k1 2.2`)},
	// Redis computes in C long double (x87 80-bit) and prints with %.17Lg.
	{name: "incrbyfloat_longdouble", cmds: cs(`INCRBYFLOAT k5 12345678901234567890`, `SET k2 3.14159265358979323846`, `INCRBYFLOAT k2 0`, `SET k3 1.7e308`, `INCRBYFLOAT k3 1.7e308`, `GET k3`)},
	{name: "incr_after_float", cmds: cs(`INCRBYFLOAT k 2.0`, `GET k`, `INCR k`, `INCRBYFLOAT k 0.5`, `INCR k`)},

	// --- bits
	{name: "setbit_getbit", cmds: cs(`SETBIT k 7 1`, `GET k`, `GETBIT k 7`, `GETBIT k 6`, `GETBIT k 100`, `GETBIT missing 0`, `SETBIT k 7 0`, `GET k`, `SETBIT k 100 1`, `STRLEN k`)},
	{name: "setbit_errors", cmds: cs(`SETBIT k 0 2`, `SETBIT k -1 1`, `SETBIT k 4294967296 1`, `SETBIT k abc 1`, `SETBIT k 0 x`, `GETBIT k -1`, `GETBIT k abc`, `EXISTS k`)},
	{name: "bitcount", cmds: cs(`SET k foobar`, `BITCOUNT k`, `BITCOUNT k 0 0`, `BITCOUNT k 1 1`, `BITCOUNT k 1 -2`, `BITCOUNT k -2 -1`, `BITCOUNT k 5 100`, `BITCOUNT k 3 1`, `BITCOUNT missing`, `BITCOUNT missing 0 -1`)},
	{name: "bitcount_bit_byte", cmds: cs(`SET k foobar`, `BITCOUNT k 1 1 BYTE`, `BITCOUNT k 5 30 BIT`, `BITCOUNT k 0 -1 BIT`, `BITCOUNT k -5 -1 BIT`, `BITCOUNT k 0 0 bit`)},
	{name: "bitcount_errors", cmds: cs(`SET k foobar`, `BITCOUNT k 0`, `BITCOUNT k a b`, `BITCOUNT k 0 1 FOO`, `BITCOUNT k 0 1 BIT x`)},
	{name: "bitpos", cmds: cs(`SET k "\xff\xf0\x00"`, `BITPOS k 0`, `BITPOS k 1`, `BITPOS k 1 2`, `BITPOS k 0 0 0`, `BITPOS k 1 -1`, `SET z "\x00\x00\x00"`, `BITPOS z 1`, `BITPOS z 0`, `SET f "\xff\xff"`, `BITPOS f 0`, `BITPOS f 0 0 -1`, `BITPOS missing 0`, `BITPOS missing 1`)},
	{name: "bitpos_bit_byte", cmds: cs(`SET k "\x00\xff\xf0"`, `BITPOS k 1 7 15 BIT`, `BITPOS k 0 8 12 BIT`, `BITPOS k 1 2 -1 BYTE`, `BITPOS k 1 100 200 BIT`)},
	{name: "bitpos_errors", cmds: cs(`SET k a`, `BITPOS k 2`, `BITPOS k x`, `BITPOS k 1 a`, `BITPOS k 1 0 1 FOO`)},
	{name: "bitop", cmds: cs(`SET a "\xff\x0f"`, `SET b "\xf0"`, `BITOP AND d a b`, `GET d`, `BITOP OR d a b`, `GET d`, `BITOP XOR d a b`, `GET d`, `BITOP NOT d a`, `GET d`, `BITOP and d a missing`, `GET d`)},
	{name: "bitop_missing", cmds: cs(`SET d x`, `BITOP AND d m1 m2`, `EXISTS d`, `BITOP NOT d m1`, `EXISTS d`)},
	{name: "bitop_errors", cmds: cs(`SET a x`, `BITOP NOT d a a`, `BITOP FOO d a`, `BITOP AND d`, `BITOP AND`)},

	// --- OBJECT ENCODING for strings
	{name: "object_encoding_strings", cmds: cs(`SET i 12345`, `OBJECT ENCODING i`, `SET n -5`, `OBJECT ENCODING n`, `SET e `+big44, `OBJECT ENCODING e`, `SET r `+big45, `OBJECT ENCODING r`, `SET s abc`, `OBJECT ENCODING s`, `SET b 99999999999999999999`, `OBJECT ENCODING b`, `SET z 012`, `OBJECT ENCODING z`, `OBJECT ENCODING missing`)},

	// --- WRONGTYPE (needs lists)
	{name: "wrongtype_strings", pending: "lists", cmds: cs(`LPUSH l a`, `GET l`, `SET l2 x`, `APPEND l x`, `INCR l`, `STRLEN l`, `GETRANGE l 0 1`, `SETRANGE l 0 x`, `GETSET l x`, `GETDEL l`, `GETEX l`, `SETBIT l 0 1`, `GETBIT l 0`, `BITCOUNT l`, `MGET l l2`, `INCRBYFLOAT l 1`, `SET l x`, `GET l`)},
	{name: "wrongtype_set_get_opt", pending: "lists", cmds: cs(`LPUSH l a`, `SET l x GET`, `TYPE l`, `BITOP AND d l`, `SET l x`, `TYPE l`)},
}

func TestDiff_Strings(t *testing.T) {
	runDiffCases(t, stringCases)
}
