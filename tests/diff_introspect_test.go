package tests

import (
	"strings"
	"testing"
)

// Differential cases for introspection: CLIENT, COMMAND, SLOWLOG, INFO,
// MEMORY, LATENCY and CONFIG GET patterns. Nondeterministic replies (ids,
// addresses, timestamps, durations) are compared by shape.
var introspectCases = []diffCase{
	// --- CLIENT SETNAME / GETNAME
	{name: "client_setname_getname", cmds: cs(`CLIENT GETNAME`, `CLIENT SETNAME foo`, `CLIENT GETNAME`,
		`CLIENT SETNAME "a b"`, `CLIENT SETNAME "a\nb"`, `CLIENT SETNAME "caf\xc3\xa9"`, `CLIENT GETNAME`,
		`CLIENT SETNAME ""`, `CLIENT GETNAME`, `CLIENT SETNAME`, `CLIENT SETNAME a b`, `CLIENT GETNAME x`,
		`client setname Lower`, `CLIENT getname`)},
	{name: "client_container_errors", cmds: cs(`CLIENT`, `CLIENT NOSUCH`, `CLIENT nosuch x y`, `CLIENT ID x`,
		`CLIENT INFO x`, `CLIENT HELP x`, mShape+` CLIENT ID`)},
	{name: "client_list_errors", cmds: cs(`CLIENT LIST TYPE foo`, `CLIENT LIST ID x`, `CLIENT LIST ID 99999999`,
		`CLIENT LIST foo`, `CLIENT LIST TYPE`, `CLIENT LIST TYPE master`)},
	{name: "client_kill_errors", cmds: cs(`CLIENT KILL`, `CLIENT KILL 1.2.3.4:5`, `CLIENT KILL ID 0`, `CLIENT KILL ID x`,
		`CLIENT KILL ID 99999999`, `CLIENT KILL foo bar`, `CLIENT KILL USER nosuch`, `CLIENT KILL SKIPME maybe`,
		`CLIENT KILL TYPE foo`, `CLIENT KILL TYPE master`, `CLIENT KILL ADDR 1.2.3.4:5 ID 3`, `CLIENT KILL ID`,
		`CLIENT KILL ID 3 ADDR`, `CLIENT KILL USER default ADDR 1.2.3.4:5`, `CLIENT KILL LADDR 1.2.3.4:5 SKIPME no`)},
	{name: "client_misc_subcommands", cmds: cs(`CLIENT REPLY foo`, `CLIENT REPLY ON`, `CLIENT NO-EVICT foo`,
		`CLIENT NO-EVICT on`, `CLIENT NO-EVICT OFF`, `CLIENT PAUSE x`, `CLIENT PAUSE 10 foo`, `CLIENT PAUSE -1`,
		`CLIENT PAUSE 10 ALL x`, `CLIENT PAUSE 1 WRITE`, `CLIENT UNPAUSE`, `CLIENT UNBLOCK x`, `CLIENT UNBLOCK 1 foo`,
		`CLIENT UNBLOCK 99999999`, `CLIENT UNBLOCK 99999999 ERROR`, `CLIENT UNBLOCK 1 2 3`, `CLIENT TRACKING foo`,
		`CLIENT TRACKING off`)},
	{name: "client_info_list_shape", cmds: cs(mShape+` CLIENT INFO`, mShape+` CLIENT LIST ID 99999999`,
		mShape+` CLIENT LIST TYPE normal`, `CLIENT HELP`)},

	// --- COMMAND
	{name: "command_count_info", cmds: cs(mShape+` COMMAND COUNT`, `COMMAND COUNT x`, `COMMAND FOO`,
		mShape+` COMMAND INFO get`, mShape+` COMMAND INFO set`, mShape+` COMMAND INFO GET nosuch`,
		`COMMAND INFO nosuch`, mShape+` COMMAND INFO config|get`, mShape+` COMMAND INFO incr`,
		`COMMAND DOCS nosuch`, `COMMAND DOCS nosuch other`, `COMMAND HELP`)},
	{name: "command_list", cmds: cs(`COMMAND LIST FILTERBY foo x`, `COMMAND LIST x`, `COMMAND LIST FILTERBY pattern`,
		`COMMAND LIST FILTERBY module foo`, `COMMAND LIST FILTERBY aclcat nosuch`,
		mSorted+` COMMAND LIST FILTERBY pattern getd*`, mSorted+` COMMAND LIST FILTERBY pattern config|*`,
		mSorted+` COMMAND LIST FILTERBY pattern incr*`)},
	{name: "command_getkeys", cmds: cs(`COMMAND GETKEYS get a`, `COMMAND GETKEYS ping`, `COMMAND GETKEYS foo x`,
		`COMMAND GETKEYS set a`, `COMMAND GETKEYS ping x`, `COMMAND GETKEYS mset a b c d`, `COMMAND GETKEYS config get x`,
		`COMMAND GETKEYS client x`, `COMMAND GETKEYS`, `COMMAND GETKEYS get`, `COMMAND GETKEYS del a b c`,
		`COMMAND GETKEYS mget a b`, `COMMAND GETKEYS set k v EX 10`, `COMMAND GETKEYS GET Upper`,
		`COMMAND GETKEYS memory usage k`, `COMMAND GETKEYS mset a b c`, `COMMAND GETKEYS incrby k 1`)},

	// --- SLOWLOG
	{name: "slowlog_errors", cmds: cs(`SLOWLOG`, `SLOWLOG FOO`, `SLOWLOG GET 1 2`, `SLOWLOG LEN x`, `SLOWLOG GET x`,
		`SLOWLOG GET -2`, `SLOWLOG RESET x`, `SLOWLOG HELP`)},
	{name: "slowlog_records", cmds: cs(`SLOWLOG RESET`, `SLOWLOG LEN`, `CONFIG SET slowlog-log-slower-than 0`,
		`SET a 1`, `GET a`, mShape+` SLOWLOG GET 2`, `SLOWLOG LEN`, mShape+` SLOWLOG GET`, mShape+` SLOWLOG GET -1`,
		mShape+` SLOWLOG GET 0`, `CONFIG SET slowlog-log-slower-than -1`, `SLOWLOG RESET`, `SET b 2`, `SLOWLOG LEN`,
		`CONFIG SET slowlog-log-slower-than 10000`)},
	{name: "slowlog_max_len", cmds: cs(`CONFIG SET slowlog-max-len 2`, `CONFIG SET slowlog-log-slower-than 0`,
		`SLOWLOG RESET`, `PING`, `PING`, `PING`, `SLOWLOG LEN`, `CONFIG SET slowlog-max-len 0`, `PING`, `SLOWLOG LEN`,
		`CONFIG SET slowlog-log-slower-than 10000`, `CONFIG SET slowlog-max-len 128`, `SLOWLOG RESET`)},
	{name: "slowlog_long_args", cmds: cs(`CONFIG SET slowlog-log-slower-than 0`, `SLOWLOG RESET`,
		`ECHO `+strings.Repeat("a", 200), mShape+` SLOWLOG GET 1`, `CONFIG SET slowlog-log-slower-than 10000`)},

	// --- INFO
	{name: "info_sections", cmds: cs(mShape+` INFO`, mShape+` INFO ALL`, mShape+` INFO everything`,
		mShape+` INFO server clients`, `INFO nosuchsection`, `INFO a b c`, mShape+` INFO keyspace`,
		mShape+` INFO default`, mShape+` INFO commandstats`)},
	{name: "info_keyspace_exact", cmds: cs(`INFO keyspace`, `SET a 1`, `SET b 2 EX 100`, mNoAvgTTL+` INFO keyspace`,
		`SELECT 3`, `SET c 1`, mNoAvgTTL+` INFO KEYSPACE`, `FLUSHDB`, `SELECT 0`, mNoAvgTTL+` INFO keyspace`)},

	// --- MEMORY / LATENCY / MONITOR arity
	{name: "memory_usage", cmds: cs(`MEMORY USAGE nosuch`, `MEMORY USAGE`, `MEMORY`, `SET s hello`,
		`MEMORY USAGE s SAMPLES`, `MEMORY USAGE s SAMPLES -1`, `MEMORY USAGE s SAMPLES x`, `MEMORY USAGE s foo`,
		mShape+` MEMORY USAGE s`, mShape+` MEMORY USAGE s SAMPLES 0`, `MEMORY HELP`, `MEMORY NOSUCH`)},
	{name: "latency_misc", cmds: cs(`LATENCY LATEST`, `LATENCY HISTORY command`, `LATENCY RESET`,
		`LATENCY GRAPH command`, `LATENCY DOCTOR`, `LATENCY NOSUCH`, `LATENCY`, `LATENCY HELP`,
		`MONITOR x`)},

	// --- CONFIG GET patterns
	{name: "config_get_patterns", cmds: cs(mSorted+` CONFIG GET slowlog-*`, mSorted+` CONFIG GET lfu-* slowlog-*`,
		mSorted+` CONFIG GET databases maxclients timeout`, `CONFIG GET notify-keyspace-events`, `CONFIG GET hz`,
		`CONFIG GET maxmemory-policy`, mSorted+` CONFIG GET timeout TIMEOUT`, `CONFIG GET nosuch*`,
		mSorted+` CONFIG GET tcp-keepalive save`)},
}

func TestDiff_Introspect(t *testing.T) {
	runDiffCases(t, introspectCases)
}
