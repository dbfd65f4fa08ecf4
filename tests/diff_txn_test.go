package tests

import "testing"

// MULTI/EXEC/DISCARD/WATCH edge cases, compared byte for byte with
// redis-server. A single connection modifying its own watched key is
// enough to break a WATCH (Redis flags every watcher, the toucher included).
var txnCases = []diffCase{
	{name: "multi_exec_basic", cmds: cs(`MULTI`, `SET a 1`, `INCR a`, `GET a`, `EXEC`, `GET a`)},
	{name: "multi_empty_exec", cmds: cs(`MULTI`, `EXEC`)},
	{name: "multi_nested", cmds: cs(`MULTI`, `MULTI`, `SET a 1`, `EXEC`, `GET a`)},
	{name: "exec_without_multi", cmds: cs(`EXEC`, `DISCARD`)},
	{name: "discard", cmds: cs(`MULTI`, `SET a 1`, `DISCARD`, `GET a`, `EXEC`)},
	{name: "execabort_unknown", cmds: cs(`MULTI`, `SET a 1`, `NOSUCHCMD x`, `SET b 2`, `EXEC`, `GET a`, `GET b`)},
	{name: "execabort_arity", cmds: cs(`MULTI`, `SET a`, `SET b 2`, `EXEC`, `GET b`)},
	{name: "runtime_error_no_rollback", cmds: cs(`SET s str`, `MULTI`, `SET a 1`, `INCR s`, `LPUSH s x`, `SET b 2`, `EXEC`, `MGET a b s`)},
	{name: "watch_inside_multi", cmds: cs(`MULTI`, `WATCH a`, `SET a 1`, `EXEC`, `GET a`)},
	{name: "watch_untouched", cmds: cs(`SET a 1`, `WATCH a`, `MULTI`, `INCR a`, `EXEC`, `GET a`)},
	{name: "watch_touched_self", cmds: cs(`SET a 1`, `WATCH a`, `SET a 2`, `MULTI`, `INCR a`, `EXEC`, `GET a`)},
	{name: "watch_missing_then_created", cmds: cs(`WATCH a`, `SET a 1`, `MULTI`, `INCR a`, `EXEC`, `GET a`)},
	{name: "watch_del", cmds: cs(`SET a 1`, `WATCH a`, `DEL a`, `MULTI`, `SET a 5`, `EXEC`, `GET a`)},
	{name: "watch_unwatch", cmds: cs(`SET a 1`, `WATCH a`, `SET a 2`, `UNWATCH`, `MULTI`, `INCR a`, `EXEC`)},
	{name: "watch_cleared_by_exec", cmds: cs(`SET a 1`, `WATCH a`, `MULTI`, `INCR a`, `EXEC`, `SET a 9`, `MULTI`, `INCR a`, `EXEC`)},
	{name: "watch_cleared_by_discard", cmds: cs(`SET a 1`, `WATCH a`, `MULTI`, `DISCARD`, `SET a 9`, `MULTI`, `INCR a`, `EXEC`)},
	{name: "watch_flushdb_existing", cmds: cs(`SET a 1`, `WATCH a`, `FLUSHDB`, `MULTI`, `SET b 1`, `EXEC`)},
	{name: "watch_flushdb_missing", cmds: cs(`WATCH a`, `FLUSHDB`, `MULTI`, `SET b 1`, `EXEC`)},
	{name: "watch_flushall_existing", cmds: cs(`SET a 1`, `WATCH a`, `FLUSHALL`, `MULTI`, `SET b 1`, `EXEC`)},
	{name: "watch_swapdb", cmds: cs(`SELECT 1`, `SET a 1`, `SELECT 0`, `WATCH a`, `SWAPDB 0 1`, `MULTI`, `GET a`, `EXEC`, `SWAPDB 0 1`)},
	{name: "watch_rename_dst", cmds: cs(`SET a 1`, `SET b 2`, `WATCH b`, `RENAME a b`, `MULTI`, `GET b`, `EXEC`)},
	{name: "watch_expire_cmd", cmds: cs(`SET a 1`, `WATCH a`, `EXPIRE a 100`, `MULTI`, `GET a`, `EXEC`)},
	{name: "watch_expired_since", cmds: cs(`SET a 1 PX 30`, `WATCH a`, mSleep+` 60`, `MULTI`, `SET b 1`, `EXEC`)},
	{name: "watch_stale_key", cmds: cs(mSkip+` DEBUG SET-ACTIVE-EXPIRE 0`, `SET a 1 PX 1`, mSleep+` 10`, `WATCH a`, `GET a`, `MULTI`, `SET b 1`, `EXEC`, mSkip+` DEBUG SET-ACTIVE-EXPIRE 1`)},
	{name: "watch_other_db", cmds: cs(`SET a 1`, `WATCH a`, `SELECT 1`, `SET a 2`, `SELECT 0`, `MULTI`, `GET a`, `EXEC`)},
	{name: "watch_many_keys", cmds: cs(`WATCH a b c`, `SET c 1`, `MULTI`, `SET a 1`, `EXEC`, `EXISTS a`)},
	{name: "watch_arity", cmds: cs(`WATCH`, `UNWATCH x`)},
	{name: "multi_select_inside", cmds: cs(`MULTI`, `SELECT 1`, `SET a 1`, `SELECT 0`, `EXEC`, `GET a`, `SELECT 1`, `GET a`)},
	{name: "multi_wrongtype_reply", cmds: cs(`SET s x`, `MULTI`, `GET s`, `HGET s f`, `EXEC`)},
	{name: "multi_ping_echo", cmds: cs(`MULTI`, `PING`, `ECHO hi`, `EXEC`)},
	{name: "multi_exec_after_abort_clean", cmds: cs(`MULTI`, `FOO`, `EXEC`, `MULTI`, `SET a 1`, `EXEC`)},
	{name: "multi_queued_errors_flag", cmds: cs(`MULTI`, `GET`, `DISCARD`, `MULTI`, `SET k v`, `EXEC`)},
}

func TestDiffTxn_Cases_MatchRedis(t *testing.T) { runDiffCases(t, txnCases) }
