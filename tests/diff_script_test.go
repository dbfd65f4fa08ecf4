package tests

import "testing"

// Scripting: conversion rules both ways, error texts, SCRIPT subcommands.
var scriptCases = []diffCase{
	{name: "eval_types", cmds: cs(`EVAL "return 1" 0`, `EVAL "return 'x'" 0`, `EVAL "return 3.99" 0`, `EVAL "return -3.99" 0`, `EVAL "return true" 0`, `EVAL "return false" 0`, `EVAL "return nil" 0`)},
	{name: "eval_table_stops_at_nil", cmds: cs(`EVAL "return {1,2,nil,4}" 0`, `EVAL "return {1,'a',false,true,{2,3}}" 0`)},
	{name: "eval_status_error_tables", cmds: cs(`EVAL "return {ok='fine'}" 0`, `EVAL "return {err='My Error'}" 0`, `EVAL "return redis.status_reply('OK2')" 0`, `EVAL "return redis.error_reply('x')" 0`, `EVAL "return redis.error_reply('-CODE y z')" 0`)},
	{name: "eval_keys_argv", cmds: cs(`EVAL "return {KEYS[1],KEYS[2],ARGV[1],#ARGV}" 2 k1 k2 a1 a2`)},
	{name: "eval_numkeys_errors", cmds: cs(`EVAL "return 1" -1`, `EVAL "return 1" 2 a`, `EVAL "return 1" x`, `EVAL "return 1"`)},
	{name: "eval_call_types", cmds: cs(`SET k 10`, `RPUSH l a b`, `EVAL "return redis.call('get',KEYS[1])" 1 k`, `EVAL "return redis.call('get','missing')" 0`, `EVAL "return type(redis.call('get','missing'))" 0`, `EVAL "return redis.call('lrange','l',0,-1)" 0`, `EVAL "return redis.call('incr','k')" 0`, `EVAL "return redis.call('set','k','v')" 0`, `EVAL "return type(redis.call('set','k','v'))" 0`)},
	{name: "eval_call_errors", cmds: cs(`SET s x`, `EVAL "return redis.call('nosuch')" 0`, `EVAL "return redis.call('get')" 0`, `EVAL "return redis.pcall('get')" 0`, `EVAL "return redis.call('lpush','s','a')" 0`, `EVAL "return redis.pcall('lpush','s','a')" 0`, `EVAL "return redis.call()" 0`, `EVAL "return redis.call({})" 0`)},
	{name: "eval_pcall_err_field", cmds: cs(`SET s x`, `EVAL "local r = redis.pcall('incr','s'); return r['err']" 0`)},
	{name: "eval_lua_errors", cmds: cs(`EVAL "error('boom')" 0`, `EVAL "error({err='E1 hi'})" 0`, `EVAL "a=1" 0`, `EVAL "return b" 0`, `EVAL "return os" 0`, `EVAL "return loadfile" 0`, `EVAL "return print" 0`, "EVAL \"local x = 1\\nerror('line2')\" 0")},
	{name: "eval_not_allowed", cmds: cs(`EVAL "return redis.call('multi')" 0`, `EVAL "return redis.call('eval','return 1',0)" 0`, `EVAL "return redis.call('subscribe','x')" 0`)},
	{name: "eval_number_args", cmds: cs(`EVAL "redis.call('set','n',1.5); return redis.call('get','n')" 0`, `EVAL "redis.call('set','n',10); return redis.call('get','n')" 0`)},
	{name: "eval_ro", cmds: cs(`SET k v`, `EVAL_RO "return redis.call('get','k')" 0`, `EVAL_RO "return redis.call('set','k','w')" 0`, `GET k`)},
	{name: "evalsha_noscript", cmds: cs(`EVALSHA ffffffffffffffffffffffffffffffffffffffff 0`, `EVALSHA_RO ffffffffffffffffffffffffffffffffffffffff 0`)},
	{name: "script_load_exists_flush", cmds: cs(`SCRIPT LOAD "return 'hi'"`, `EVALSHA 74de4ba2b2c30dd0c7b6d4f87a7ca0ac1ffe82b0 0`, `SCRIPT EXISTS 74de4ba2b2c30dd0c7b6d4f87a7ca0ac1ffe82b0 ffffffffffffffffffffffffffffffffffffffff`, `SCRIPT FLUSH`, `SCRIPT EXISTS 74de4ba2b2c30dd0c7b6d4f87a7ca0ac1ffe82b0`, `EVALSHA 74de4ba2b2c30dd0c7b6d4f87a7ca0ac1ffe82b0 0`)},
	{name: "eval_caches_script", cmds: cs(`SCRIPT FLUSH`, `EVAL "return 'hi'" 0`, `EVALSHA 74de4ba2b2c30dd0c7b6d4f87a7ca0ac1ffe82b0 0`, `EVALSHA 74DE4BA2B2C30DD0C7B6D4F87A7CA0AC1FFE82B0 0`)},
	{name: "script_errors", cmds: cs(`SCRIPT FLUSH foo`, `SCRIPT EXISTS`, `SCRIPT FOO`, `SCRIPT KILL`, `SCRIPT LOAD`)},
	{name: "eval_sha1hex", cmds: cs(`EVAL "return redis.sha1hex('')" 0`, `EVAL "return redis.sha1hex('Pizza & Mandolino')" 0`)},
	{name: "eval_setresp3", cmds: cs(`HSET h f v`, `EVAL "redis.setresp(3); return redis.call('hgetall','h')" 0`, `EVAL "redis.setresp(3); local r = redis.call('hgetall','h'); return r['map']['f']" 0`, `EVAL "redis.setresp(3); return redis.call('get','nope')" 0`, `EVAL "redis.setresp(3); return type(redis.call('get','nope'))" 0`, `EVAL "return redis.setresp(4)" 0`)},
	{name: "eval_resp3_returns", cmds: cs(`EVAL "redis.setresp(3); return true" 0`, `EVAL "redis.setresp(3); return false" 0`, `EVAL "return {double=3.5}" 0`, `EVAL "return {map={a=1}}" 0`, `EVAL "return {set={a=true}}" 0`, `EVAL "return {big_number='123'}" 0`)},
	{name: "eval_cjson", cmds: cs(`EVAL "return cjson.encode({1,2,'x'})" 0`, `EVAL "return cjson.encode({a=1})" 0`, `EVAL "local t = cjson.decode('[1,2,{\"a\":3}]'); return t[3].a" 0`, `EVAL "return cjson.decode('{\"x\":\"y\"}').x" 0`)},
	{name: "eval_bit", cmds: cs(`EVAL "return bit.band(0xff, 0x0f)" 0`, `EVAL "return bit.bor(1,2,4)" 0`, `EVAL "return bit.tohex(255)" 0`, `EVAL "return bit.bnot(0)" 0`, `EVAL "return bit.lshift(1, 31)" 0`)},
	{name: "eval_multi_exec", cmds: cs(`MULTI`, `EVAL "return redis.call('incr','c')" 0`, `EVAL "return redis.call('incr','c')" 0`, `EXEC`)},
	{name: "eval_django_incr", cmds: cs(`SET k 5`, "EVAL \"local exists = redis.call('EXISTS', KEYS[1])\\nif (exists == 1) then\\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])\\nelse return false\\nend\" 1 k 3", "EVAL \"local exists = redis.call('EXISTS', KEYS[1])\\nif (exists == 1) then\\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])\\nelse return false\\nend\" 1 nokey 3")},
	{name: "eval_select_isolated", cmds: cs(`EVAL "redis.call('select',1); redis.call('set','x','1'); return 1" 0`, `GET x`, `SELECT 1`, `GET x`)},
	{name: "eval_compile_error", cmds: cs(mErrCode + ` EVAL "return 1+" 0`)},
}

func TestDiffScript_Cases_MatchRedis(t *testing.T) { runDiffCases(t, scriptCases) }
