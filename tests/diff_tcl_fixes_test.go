package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Differential cases for behaviours found by Redis's own TCL suite
// (tests/redis-tcl/run.sh). Most need several connections (a blocked
// client, a script running on another connection), so they run as
// scenarios: the same steps against redis-server and diskcached, each
// producing a transcript of replies, and the transcripts must be equal.

// scen is one run of a scenario against one server.
type scen struct {
	t     *testing.T
	addr  string
	conns []*respConn
	out   []string
}

// conn returns connection i, dialing connections up to i on first use.
func (s *scen) conn(i int) *respConn {
	for len(s.conns) <= i {
		rc := mustDial(s.t, s.addr)
		s.conns = append(s.conns, rc)
	}
	return s.conns[i]
}

// send writes a command on connection i without reading its reply.
func (s *scen) send(i int, args ...string) {
	s.t.Helper()
	if err := s.conn(i).WriteRaw(encodeCommand(args...)); err != nil {
		s.t.Fatalf("send %s: %v", fmtCmd(args), err)
	}
}

// read records the next reply of connection i.
func (s *scen) read(i int) {
	s.t.Helper()
	b, err := s.conn(i).ReadReply()
	if err != nil {
		b = []byte("I/O error: " + err.Error())
	}
	s.out = append(s.out, fmt.Sprintf("conn%d: %q", i, b))
}

// readCode records only the error code (first word) of the next reply.
func (s *scen) readCode(i int) {
	s.t.Helper()
	b, err := s.conn(i).ReadReply()
	code := string(b)
	if err != nil {
		code = "I/O error"
	} else if j := strings.IndexAny(code, " \r"); j > 0 {
		code = code[:j]
	}
	s.out = append(s.out, fmt.Sprintf("conn%d code: %s", i, code))
}

// do sends a command on connection i and records its reply.
func (s *scen) do(i int, args ...string) {
	s.t.Helper()
	s.send(i, args...)
	s.read(i)
}

func (s *scen) sleep(ms int) { time.Sleep(time.Duration(ms) * time.Millisecond) }

// runScenario runs steps on a flushed redis-server and diskcached and
// compares the transcripts line by line.
func runScenario(t *testing.T, steps func(s *scen)) {
	t.Helper()
	redis, dc := needRedis(t), needShared(t)
	var got [2][]string
	for i, addr := range []string{redis.addr, dc.addr} {
		s := &scen{t: t, addr: addr}
		s.conn(0).expect(t, "+OK\r\n", "FLUSHALL")
		steps(s)
		for _, rc := range s.conns {
			rc.Close()
		}
		got[i] = s.out
	}
	if strings.Join(got[0], "\n") != strings.Join(got[1], "\n") {
		t.Errorf("transcripts differ\nredis-server:\n  %s\ndiskcached:\n  %s",
			strings.Join(got[0], "\n  "), strings.Join(got[1], "\n  "))
	}
}

// A blocked pop must not be served, nor fail, when a transaction pushes to
// its key and then replaces the key with a string: it keeps waiting and is
// served by the next real push (list.tcl/zset.tcl "LPUSH + DEL + SET should
// not awake blocked client").
func TestDiffTCL_BlockedPop_KeyBecomesString_KeepsWaiting(t *testing.T) {
	lpush := func(v string) []string { return []string{"LPUSH", "bk", v} }
	zadd := func(v string) []string { return []string{"ZADD", "bk", "1", v} }
	for _, c := range []struct {
		block []string
		push  func(v string) []string
	}{
		{[]string{"BLPOP", "bk", "0"}, lpush},
		{[]string{"BLMPOP", "0", "1", "bk", "LEFT", "COUNT", "1"}, lpush},
		{[]string{"BLMOVE", "bk", "bdst", "LEFT", "RIGHT", "0"}, lpush},
		{[]string{"BZPOPMIN", "bk", "0"}, zadd},
		{[]string{"BZMPOP", "0", "1", "bk", "MIN"}, zadd},
	} {
		t.Run(c.block[0], func(t *testing.T) {
			runScenario(t, func(s *scen) {
				s.send(1, c.block...)
				s.sleep(150)
				s.do(0, "MULTI")
				s.do(0, c.push("a")...)
				s.do(0, "DEL", "bk")
				s.do(0, "SET", "bk", "foo")
				s.do(0, "EXEC")
				s.do(0, "DEL", "bk")
				s.do(0, c.push("b")...)
				s.read(1)
			})
		})
	}
}

// Two clients blocked in BRPOPLPUSH on one list: the first one's target is
// a string, so it gets WRONGTYPE and the element goes to the second one
// (list.tcl "BRPOPLPUSH with multiple blocked clients").
func TestDiffTCL_BRPOPLPUSH_FirstTargetWrongType_SecondServed(t *testing.T) {
	runScenario(t, func(s *scen) {
		s.do(0, "SET", "t1", "nolist")
		s.send(1, "BRPOPLPUSH", "bl", "t1", "0")
		s.sleep(100)
		s.send(2, "BRPOPLPUSH", "bl", "t2", "0")
		s.sleep(100)
		s.do(0, "LPUSH", "bl", "foo")
		s.read(1)
		s.read(2)
		s.do(0, "LRANGE", "t2", "0", "-1")
		s.do(0, "EXISTS", "bl")
	})
}

// EXEC while another client's script is past busy-reply-threshold answers
// "EXECABORT Transaction discarded because of: BUSY …" and ends the
// transaction (multi.tcl "EXEC and script timeout", "just EXEC and script
// timeout").
func TestDiffTCL_EXEC_DuringBusyScript_ExecAbortBusy(t *testing.T) {
	for _, queueDuringBusy := range []bool{false, true} {
		t.Run(fmt.Sprintf("queueDuringBusy=%v", queueDuringBusy), func(t *testing.T) {
			runScenario(t, func(s *scen) {
				s.do(0, "CONFIG", "SET", "busy-reply-threshold", "10")
				defer s.conn(0).Do("CONFIG", "SET", "busy-reply-threshold", "5000")
				s.do(0, "SET", "xx", "1")
				s.do(2, "MULTI")
				s.do(2, "INCR", "xx")
				s.send(1, "EVAL", "while true do end", "0")
				s.sleep(200)
				if queueDuringBusy {
					s.do(2, "INCR", "xx")
				}
				s.do(2, "EXEC")
				s.do(0, "SCRIPT", "KILL")
				s.readCode(1)
				s.sleep(100)
				s.do(0, "GET", "xx")
				s.do(2, "PING", "asdf")
				s.do(2, "EXEC")
			})
		})
	}
}

// Lua details and FUNCTION/FCALL found through scripting.tcl and
// functions.tcl. FLUSHALL keeps functions, so every FUNCTION case starts
// with FUNCTION FLUSH.
var tclScriptCases = []diffCase{
	{name: "lua_blocking_commands_not_allowed", cmds: cs(
		`EVAL "return redis.pcall('blpop','x',0)" 0`, `EVAL "return redis.pcall('brpop','x',0)" 0`,
		`EVAL "return redis.pcall('brpoplpush','a','b',0)" 0`, `EVAL "return redis.pcall('blmove','a','b','left','left',0)" 0`,
		`EVAL "return redis.pcall('bzpopmin','z',0)" 0`, `EVAL "return redis.pcall('bzpopmax','z',0)" 0`)},
	{name: "lua_number_args_17_digits", cmds: cs(
		`EVAL "redis.call('set','foo',9007199254740991); return redis.call('get','foo')" 0`,
		`EVAL "redis.call('set','foo',0.1); return redis.call('get','foo')" 0`,
		`EVAL "redis.call('set','foo',-1e300); return redis.call('get','foo')" 0`)},
	{name: "lua_tostring_14_digits", cmds: cs(`EVAL "return tostring(1/3)" 0`, `EVAL "return tostring(123)" 0`)},
	{name: "lua_randomseed_string", cmds: cs(
		`EVAL "math.randomseed(ARGV[1]); local a = math.random(); math.randomseed(ARGV[1]); return tostring(a == math.random())" 0 10`)},
	{name: "lua_unpack_many_args", cmds: cs(`EVAL "local a = {} for i=1,7999 do a[i] = 1 end return redis.call('lpush', KEYS[1], unpack(a))" 1 l`)},
	{name: "lua_global_metatable_readonly", cmds: cs(
		`EVAL "setmetatable(_G, {})" 0`, `EVAL "local g = getmetatable(_G); g.__index = {}" 0`, `EVAL "return type(getmetatable(_G))" 0`)},
	{name: "eval_shebang", cmds: cs(
		"EVAL \"#!not-lua\\nreturn 1\" 0", "EVAL \"#!lua\\nreturn 1\" 0", "EVAL \"#!lua badger=data\\nreturn 1\" 0",
		"EVAL \"#!lua flags=allow-oom,what?\\nreturn 1\" 0", "EVAL \"#!lua flags=no-writes\\nreturn redis.call('set','x','1')\" 0",
		"EVAL_RO \"#!lua\\nreturn 1\" 0", "EVAL_RO \"#!lua flags=no-writes\\nreturn 2\" 0", "EVAL \"#!lua\\nreturn x\" 0", `EVAL "#!lua" 0`)},
	{name: "lua_cmsgpack", cmds: cs(
		`EVAL "local s = cmsgpack.pack(0.1, -1099511627776, 1.5, -1, 200, 70000, 5000000000, 'abc', {1,2}, {a=1}, true, false) local h = '' for i = 1, #s do h = h .. string.format('%02x', string.byte(s, i)) end return h" 0`,
		`EVAL "local a = {x=nil,y=5} local b = {x=a} a['x'] = b local s = cmsgpack.pack(a) local h = '' for i = 1, #s do h = h .. string.format('%02x', string.byte(s, i)) end local re = cmsgpack.unpack(s) return {h, tostring(re.x.x.x.x.y == re.y), tostring(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x == nil)}" 0`,
		`EVAL "local s = cmsgpack.pack(string.rep('x', 30), string.rep('y', 300), 5) local o1, v1 = cmsgpack.unpack_limit(s, 1, 0) local o2, v2 = cmsgpack.unpack_limit(s, 1, o1) local o3, v3 = cmsgpack.unpack_one(s, o2) return {o1, o2, o3, v3, #v2}" 0`,
		`EVAL "local m = cmsgpack.unpack(cmsgpack.pack({c=-100000, d=0.1, e=2^40, f=-3147483648, b={1,2,3}})) return {m.c, tostring(m.d), m.e, m.f, #m.b}" 0`,
		`EVAL "cmsgpack.pack = function() return 1 end" 0`)},
	{name: "lua_cjson_settings", cmds: cs(
		`EVAL "cjson.encode_keep_buffer(false) cjson.encode_max_depth(1) local ok = pcall(cjson.encode, {a={1}}) cjson.encode_max_depth(1000) return tostring(ok)" 0`,
		`EVAL "cjson.decode_max_depth(1) local ok = pcall(cjson.decode, '[[1]]') cjson.decode_max_depth(1000) return tostring(ok)" 0`,
		`EVAL "local a = tostring(pcall(cjson.encode, {n=0/0})) cjson.encode_invalid_numbers(true) local b = tostring(pcall(cjson.encode, {n=0/0})) cjson.encode_invalid_numbers(false) return {a, b}" 0`)},
	{name: "multi_rejects_save_shutdown", cmds: cs(`MULTI`, `SET foo bar`, `SAVE`, `SHUTDOWN`, `EXEC`, `GET foo`, `PING`)},
	{name: "function_load_fcall_list", cmds: cs(
		`FUNCTION FLUSH`,
		"FUNCTION LOAD \"#!lua name=lib1\\nredis.register_function('f1', function(KEYS, ARGV) return redis.call('set', KEYS[1], ARGV[1]) end)\"",
		`FCALL f1 1 k v`, `GET k`, `FCALL F1 1 k w`, `FCALL_RO f1 1 k v`, `FUNCTION LIST`, `FUNCTION LIST WITHCODE LIBRARYNAME lib*`,
		`FUNCTION LIST LIBRARYNAME nomatch`, `FUNCTION STATS`,
		"FUNCTION LOAD \"#!lua name=lib1\\nredis.register_function('f2', function() return 1 end)\"",
		"FUNCTION LOAD REPLACE \"#!lua name=lib1\\nredis.register_function{function_name='f2', callback=function(KEYS, ARGV) return redis.call('get', KEYS[1]) end, flags={'no-writes'}, description='reads'}\"",
		`FCALL f1 0`, `FCALL_RO f2 1 k`, `FUNCTION LIST`, `FUNCTION DELETE lib1`, `FUNCTION DELETE lib1`, `FCALL f2 1 k`, `FUNCTION FLUSH`)},
	{name: "function_load_errors", cmds: cs(
		`FUNCTION FLUSH`,
		"FUNCTION LOAD \"#!lua name=t\\nredis.call('ping')\"", "FUNCTION LOAD \"#!lua name=t\\nredis.register_function('x')\"",
		"FUNCTION LOAD \"#!lua name=t\\nredis.register_function{function_name='a', callback=function() end, flags={'bad'}}\"",
		"FUNCTION LOAD \"#!lua name=t\\nerror('x')\"", "FUNCTION LOAD \"#!lua name=t\\nlocal a = 1\"",
		"FUNCTION LOAD \"#!lua name=t foo=bar\\n\"", "FUNCTION LOAD \"#!lua\\n\"", "FUNCTION LOAD \"lua\\n\"",
		"FUNCTION LOAD \"#!lua name=a-b\\n\"", "FUNCTION LOAD \"#!bad name=ab\\n\"", "FUNCTION LOAD foo bar \"#!lua name=x\\n\"",
		"FUNCTION LOAD \"#!lua name=t\\nredis.register_function('a b', function() end)\"",
		"FUNCTION LOAD \"#!lua name=t\\nredis.register_function('f', function() end)\\nredis.register_function('f', function() end)\"",
		"FUNCTION LOAD \"#!lua name=t\\nredis.register_function('f', function() end)\"",
		"FUNCTION LOAD \"#!lua name=t2\\nredis.register_function('F', function() end)\"",
		`FCALL nope 0`, `FCALL f x`, `FCALL f 5`, `FCALL f -1`, `FUNCTION KILL`, `FUNCTION BAD`, `FUNCTION FLUSH bad`,
		`FUNCTION RESTORE xx`, `FUNCTION RESTORE xx bad`, `FUNCTION FLUSH`)},
	{name: "function_runtime_error_text", cmds: cs(
		`FUNCTION FLUSH`,
		"FUNCTION LOAD \"#!lua name=t\\nredis.register_function('f', function(KEYS, ARGV)\\n return x.y \\nend)\"",
		`FCALL f 0`,
		"FUNCTION LOAD REPLACE \"#!lua name=t\\nredis.register_function('f', function(KEYS, ARGV)\\n return redis.call('incr','a','b') \\nend)\"",
		`FCALL f 0`, `FUNCTION FLUSH`)},
}

func TestDiffTCL_ScriptAndFunction_Cases_MatchRedis(t *testing.T) { runDiffCases(t, tclScriptCases) }

// FUNCTION DUMP's payload restores with FLUSH/APPEND/REPLACE policies.
func TestDiffTCL_FunctionDumpRestore_RoundTrip(t *testing.T) {
	runScenario(t, func(s *scen) {
		s.do(0, "FUNCTION", "FLUSH")
		s.do(0, "FUNCTION", "LOAD", "#!lua name=lib1\nredis.register_function('f1', function() return 'hello' end)")
		dump, err := s.conn(0).Do("FUNCTION", "DUMP")
		if err != nil || len(dump) == 0 || dump[0] != '$' {
			s.t.Fatalf("FUNCTION DUMP: %q %v", dump, err)
		}
		payload := string(dump[strings.Index(string(dump), "\r\n")+2 : len(dump)-2])
		s.do(0, "FUNCTION", "FLUSH")
		s.do(0, "FUNCTION", "RESTORE", payload)
		s.do(0, "FCALL", "f1", "0")
		s.do(0, "FUNCTION", "RESTORE", payload)
		s.do(0, "FUNCTION", "RESTORE", payload, "REPLACE")
		s.do(0, "FUNCTION", "RESTORE", payload, "FLUSH")
		s.do(0, "FUNCTION", "RESTORE", payload[:len(payload)-1]+"x")
		s.do(0, "FCALL", "f1", "0")
		s.do(0, "FUNCTION", "FLUSH")
	})
}

// With CLIENT REPLY OFF on a RESP3 connection, (un)subscribe confirmations
// are push frames and still arrive; PING's reply does not (pubsub.tcl
// "PubSub messages with CLIENT REPLY OFF").
func TestDiffTCL_PubSub_ReplyOff_PushesStillSent(t *testing.T) {
	runScenario(t, func(s *scen) {
		s.send(1, "HELLO", "3")
		s.readCode(1) // the map holds the client id, which differs
		s.send(1, "CLIENT", "REPLY", "OFF")
		s.send(1, "SUBSCRIBE", "chan")
		s.read(1)
		s.send(1, "PSUBSCRIBE", "ch*")
		s.read(1)
		s.do(0, "PUBLISH", "chan", "hello")
		s.read(1)
		s.read(1)
		s.send(1, "PING")
		s.send(1, "UNSUBSCRIBE", "chan")
		s.read(1)
		s.send(1, "PUNSUBSCRIBE", "ch*")
		s.read(1)
		s.send(1, "CLIENT", "REPLY", "ON")
		s.read(1)
	})
}
