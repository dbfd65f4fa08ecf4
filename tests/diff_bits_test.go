package tests

import "testing"

// Bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO)
// compared byte for byte with redis-server, RESP2 and RESP3. The basic
// SETBIT/BITCOUNT/BITPOS/BITOP cases live in diff_strings_test.go; these
// cover the argument-order quirks, the BIT/BYTE unit, and BITFIELD.
var bitCases = []diffCase{
	// --- SETBIT / GETBIT
	{name: "setbit_returns_old_and_grows", cmds: cs(`SETBIT k 0 1`, `SETBIT k 0 1`, `SETBIT k 0 0`, `GET k`, `SETBIT k 23 1`, `GET k`, `STRLEN k`, `GETBIT k 23`, `GETBIT k 24`, `GETBIT k 4294967295`)},
	{name: "setbit_offset_limits", cmds: cs(`SETBIT k 4294967296 1`, `SETBIT k 9223372036854775807 1`, `SETBIT k 99999999999999999999 1`, `GETBIT k 4294967296`, `SETBIT k "" 1`, `SETBIT k " 1" 1`, `SETBIT k +1 1`, `EXISTS k`)},
	{name: "setbit_value_errors_first_offset", cmds: cs(`SETBIT k -1 5`, `SETBIT k 1 -1`, `SETBIT k 1 01`, `SETBIT k 1 " 1"`, `SETBIT k 1 1.0`, `EXISTS k`)},
	{name: "setbit_keeps_ttl_and_int_value", cmds: cs(`SET k 1 EX 100`, `SETBIT k 6 1`, `GET k`, `TTL k`, `GETBIT k 2`, `GETBIT k 7`)},
	{name: "setbit_clear_on_missing_creates", cmds: cs(`SETBIT k 10 0`, `GET k`, `EXISTS k`)},
	{name: "bits_wrongtype", pending: "lists", cmds: cs(`LPUSH l a`, `SETBIT l 0 1`, `SETBIT l -1 1`, `GETBIT l 0`, `GETBIT l x`, `BITCOUNT l`, `BITCOUNT l 0`, `BITPOS l 1`, `BITPOS l 2`, `BITFIELD l GET u8 0`, `BITFIELD l FOO`, `BITFIELD_RO l GET u8 0`, `BITOP OR d l`, `BITOP NOT d l x`)},

	// --- BITCOUNT argument order and units
	{name: "bitcount_missing_ignores_args", cmds: cs(`BITCOUNT missing 0`, `BITCOUNT missing a b`, `BITCOUNT missing 0 1 FOO`, `BITCOUNT missing 0 1 BIT 1`)},
	{name: "bitcount_negative_shortcut", cmds: cs(`SET k foobar`, `BITCOUNT k -1 -5 FOO`, `BITCOUNT k -1 -5 BIT`, `BITCOUNT k 5 1 FOO`, `BITCOUNT k 0 1 BIT extra`)},
	{name: "bitcount_empty_and_int", cmds: cs(`SET e ""`, `BITCOUNT e`, `BITCOUNT e 0 -1`, `BITCOUNT e 0 -1 BIT`, `SET n 12345`, `BITCOUNT n`, `BITCOUNT n 1 2`, `BITCOUNT n 3 17 BIT`)},
	{name: "bitcount_bit_edges", cmds: cs(`SET k "\xff\xff\xff"`, `BITCOUNT k 1 6 BIT`, `BITCOUNT k 7 8 BIT`, `BITCOUNT k 3 3 BIT`, `BITCOUNT k -9 -2 BIT`, `BITCOUNT k 0 100 BIT`, `BITCOUNT k -100 -30 BIT`, `BITCOUNT k 20 10 BIT`)},
	{name: "bitcount_big_value", cmds: cs(`SETBIT k 100000 1`, `SETBIT k 7 1`, `SETBIT k 99999 1`, `BITCOUNT k`, `BITCOUNT k 1 -1`, `BITCOUNT k 8 99999 BIT`, `BITCOUNT k 12500 12500`)},

	// --- BITPOS argument order, units and the explicit-end rule
	{name: "bitpos_missing_and_bit_errors", cmds: cs(`BITPOS missing 0 5 6 FOO`, `BITPOS missing 1 x`, `BITPOS missing 2`, `BITPOS missing -1`, `BITPOS missing x`, `BITPOS missing 1 0 1 BIT 5 6`)},
	{name: "bitpos_empty_value", cmds: cs(`SET e ""`, `BITPOS e 0`, `BITPOS e 1`, `BITPOS e 0 0`, `BITPOS e 0 0 -1`, `BITPOS e 0 0 -1 BIT`)},
	{name: "bitpos_unit_parsed_before_end", cmds: cs(`SET k "\x00"`, `BITPOS k 1 0 x FOO`, `BITPOS k 1 0 x BIT`, `BITPOS k 1 x 0 BIT`, `BITPOS k 1 0 1 BIT extra`)},
	{name: "bitpos_zero_padding", cmds: cs(`SET k "\xff\xff\xff"`, `BITPOS k 0`, `BITPOS k 0 1`, `BITPOS k 0 1 -1`, `BITPOS k 0 2 2`, `BITPOS k 0 3`, `BITPOS k 0 8 23 BIT`, `BITPOS k 0 -3`)},
	{name: "bitpos_bit_ranges", cmds: cs(`SET k "\x80\x01\x00\x10"`, `BITPOS k 1 1 BIT`, `BITPOS k 1 1 14 BIT`, `BITPOS k 1 1 15 BIT`, `BITPOS k 1 16 -1 BIT`, `BITPOS k 0 0 0 BIT`, `BITPOS k 0 7 7 BIT`, `BITPOS k 1 -5 -1 BIT`, `BITPOS k 1 30 20 BIT`)},
	{name: "bitpos_long_runs", cmds: cs(`SETBIT k 1000 1`, `BITPOS k 1`, `BITPOS k 1 2`, `BITPOS k 1 126 -1`, `BITPOS k 0`, `SETBIT f 2047 1`, `BITOP NOT g k`, `BITPOS g 0`, `BITPOS g 1 100`)},

	// --- BITOP
	{name: "bitop_dest_ttl_and_lengths", cmds: cs(`SET d x EX 100`, `SET a abc`, `SET b "\x01"`, `BITOP XOR d a b`, `TTL d`, `GET d`, `BITOP OR d b a`, `GET d`, `BITOP AND d a b missing`, `GET d`, `STRLEN d`)},
	{name: "bitop_same_key_and_int", cmds: cs(`SET a 12`, `BITOP NOT a a`, `GET a`, `BITOP NOT a a`, `GET a`, `BITOP OR a a a a`, `GET a`)},
	{name: "bitop_empty_strings", cmds: cs(`SET a ""`, `SET d x`, `BITOP OR d a`, `EXISTS d`, `SET a1 "\xff"`, `BITOP AND d a1 a`, `GET d`, `BITOP NOT`, `BITOP NOT d`)},

	// --- BITFIELD
	{name: "bitfield_set_get_signed_unsigned", cmds: cs(`BITFIELD k SET i8 0 -100 GET i8 0 GET u8 0`, `GET k`, `BITFIELD k SET u8 #1 255 GET u8 #1 GET i8 #1 GET i16 0 GET u4 4`, `GET k`)},
	{name: "bitfield_incrby_overflow", cmds: cs(`BITFIELD k INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1`, `BITFIELD k INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1`, `BITFIELD k INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1`, `BITFIELD k INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1`, `BITFIELD k OVERFLOW FAIL INCRBY u2 102 1`, `GET k`)},
	{name: "bitfield_signed_wrap_sat_fail", cmds: cs(`BITFIELD k SET i8 0 127 INCRBY i8 0 1`, `BITFIELD k OVERFLOW SAT SET i8 0 200 INCRBY i8 0 -300 GET i8 0`, `BITFIELD k OVERFLOW FAIL SET i8 0 200 INCRBY i8 0 -1 INCRBY i8 0 -1000`, `BITFIELD k OVERFLOW wrap SET i8 0 200 GET i8 0`)},
	{name: "bitfield_64bit", cmds: cs(`BITFIELD k SET i64 0 9223372036854775807 INCRBY i64 0 1 GET i64 0`, `BITFIELD k OVERFLOW SAT INCRBY i64 0 -1 INCRBY i64 0 -9223372036854775808`, `BITFIELD k SET u63 64 9223372036854775807 INCRBY u63 64 1 GET u63 64`, `BITFIELD k OVERFLOW SAT SET u63 0 -1 INCRBY u63 0 1`, `GET k`)},
	{name: "bitfield_unsigned_set_negative", cmds: cs(`BITFIELD k SET u8 0 -1`, `BITFIELD k GET u8 0`, `BITFIELD k OVERFLOW SAT SET u8 0 -1 GET u8 0`, `BITFIELD k OVERFLOW FAIL SET u8 0 256 SET u8 0 -1 GET u8 0`)},
	{name: "bitfield_unaligned_offsets", cmds: cs(`BITFIELD k SET u5 3 21 SET i13 11 -1234 GET u5 3 GET i13 11 GET u16 2 GET i3 #7`, `GET k`, `BITFIELD k GET u8 100 GET i64 1000`)},
	{name: "bitfield_fail_still_creates", cmds: cs(`BITFIELD k OVERFLOW FAIL SET u2 16 100`, `EXISTS k`, `GET k`, `BITFIELD j OVERFLOW FAIL INCRBY i4 0 100`, `GET j`)},
	{name: "bitfield_no_ops_and_get_missing", cmds: cs(`BITFIELD k`, `EXISTS k`, `BITFIELD k GET u8 0 GET i32 #3`, `EXISTS k`, `SET s "\x01\x02"`, `BITFIELD s`)},
	{name: "bitfield_keeps_ttl", cmds: cs(`SET k ab EX 100`, `BITFIELD k SET u8 0 120`, `TTL k`, `GET k`, `BITFIELD k INCRBY u8 8 0`, `TTL k`)},
	{name: "bitfield_errors", cmds: cs(`BITFIELD k GET u64 0`, `BITFIELD k GET i65 0`, `BITFIELD k GET i0 0`, `BITFIELD k GET x8 0`, `BITFIELD k GET i 0`, `BITFIELD k GET "" 0`, `BITFIELD k GET u8 -1`, `BITFIELD k GET u8 #-1`, `BITFIELD k GET u8 4294967296`, `BITFIELD k GET u8 #536870912`, `BITFIELD k SET u8 0 x`, `BITFIELD k INCRBY u8 0 1.5`, `BITFIELD k OVERFLOW FOO`, `BITFIELD k OVERFLOW`, `BITFIELD k GET u8`, `BITFIELD k SET u8 0`, `BITFIELD k FOO u8 0`, `BITFIELD k GET u8 0 SET i8 0 1 GET u99 0`, `EXISTS k`)},
	{name: "bitfield_ro", cmds: cs(`BITFIELD_RO k GET u8 0`, `SET k "\xf0"`, `BITFIELD_RO k GET u4 0 GET i4 0 GET u8 #0`, `BITFIELD_RO k SET u8 0 1`, `BITFIELD_RO k GET u8 0 INCRBY u8 0 1`, `BITFIELD_RO k OVERFLOW SAT GET u8 0`, `BITFIELD_RO k GET u64 0`, `BITFIELD_RO k`, `BITFIELD_RO`, `GET k`)},
	{name: "bitfield_lowercase", cmds: cs(`bitfield k set u8 0 65 overflow sat incrby u8 0 300 get u8 0`, `get k`)},
}

func TestDiff_Bits(t *testing.T) { runDiffCases(t, bitCases) }
