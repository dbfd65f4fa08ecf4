package tests

import (
	"os"
	"strings"
	"testing"
)

var serverCases = []diffCase{
	// --- PING ECHO
	{name: "ping", cmds: cs(`PING`, `PING hello`, `PING ""`, `ping "a b"`, `PING a b`)},
	{name: "echo", cmds: cs(`ECHO hi`, `ECHO ""`, `ECHO "\x00\r\n"`, `ECHO`, `ECHO a b`)},

	// --- arity and unknown commands
	{name: "arity_errors", cmds: cs(`GET`, `GET a b`, `SET a`, `get`, `Set`, `MGET`, `DEL`, `EXISTS`, `INCR`, `INCR a b`, `INCRBY a`, `APPEND a`, `STRLEN`, `EXPIRE a`, `TTL`, `RENAME a`, `GETRANGE a 0`, `SETEX a 1`, `DBSIZE x`, `PING a b c`, `ECHO`, `SELECT`, `FLUSHALL a b`, `KEYS`)},
	{name: "unknown_command", cmds: cs(`FOO a b`, `FOO`, `foo "a b" c`, `NOSUCHCMD "" x`, `FOO 1 2 3 4 5 6 7 8 9`, `"" x`)},
	{name: "unknown_command_long_arg", cmds: [][]string{{"FOO", strings.Repeat("a", 200), "b"}, {strings.Repeat("C", 200)}}},
	{name: "unknown_command_crlf_arg", cmds: cs(`FOO "a\r\nb"`, `"X\r\nY" z`, `PING`)},
	{name: "unknown_command_nul_arg", cmds: [][]string{{"FOO", "a\x00b"}}},

	// --- HELLO
	{name: "hello_errors", cmds: cs(`HELLO 4`, `HELLO 1`, `HELLO 0`, `HELLO abc`, `HELLO 3 FOO`, `HELLO 3 AUTH default`, `HELLO 3 SETNAME`)},
	{name: "hello_2", resp2Only: true, cmds: cs(mShape+` HELLO 2`, `PING`)},
	{name: "hello_3_shape", resp2Only: true, cmds: cs(mShape+` HELLO 3`, `PING`, mShape+` HELLO`, mShape+` HELLO 2`)},
	{name: "hello_auth_nopass", resp2Only: true, cmds: cs(mShape+` HELLO 3 AUTH default anything`, mShape+` HELLO 2 AUTH default anything SETNAME myname`, `CLIENT GETNAME`)},

	// --- AUTH without a password configured
	{name: "auth_nopass", cmds: cs(`AUTH pw`, `AUTH default pw`, `AUTH`, `AUTH a b c`)},

	// --- CONFIG
	{name: "config_get", cmds: cs(`CONFIG GET maxmemory-policy`, `CONFIG GET databases`, `CONFIG GET nosuchoption`, `CONFIG GET`, mSorted+` CONFIG GET databases maxclients`)},
	{name: "config_set_errors", cmds: cs(`CONFIG SET nosuchoption 1`, `CONFIG SET databases 20`, mErrCode+` CONFIG SET maxmemory-policy bogus`, `CONFIG SET`, `CONFIG SET maxmemory`, `CONFIG FOO`, `CONFIG`)},
	// Aliases match globs as in 7.0; Redis's immutable daemonize/replicaof; maxmemory-clients' percent rule.
	{name: "config_aliases_immutable", cmds: cs(mSorted+` CONFIG GET *of`, mSorted+` CONFIG GET hash-max-*`, `CONFIG SET daemonize yes`, `CONFIG GET daemonize`,
		`CONFIG SET replicaof 127.0.0.1 1`, `CONFIG SET maxmemory-clients 200%`, `CONFIG SET maxmemory-clients 10%`, `CONFIG GET maxmemory-clients`,
		`CONFIG SET maxmemory-clients 1mb`, `CONFIG GET maxmemory-clients`, `CONFIG SET maxmemory-clients 0`)},
	{name: "config_set_roundtrip", cmds: cs(`CONFIG SET maxmemory-policy allkeys-lru`, `CONFIG GET maxmemory-policy`, `CONFIG SET maxmemory-policy noeviction`, `CONFIG GET maxmemory-policy`, `CONFIG RESETSTAT`)},

	// --- COMMAND TIME INFO DBSIZE CLIENT
	{name: "command_count_shape", cmds: cs(mShape+` COMMAND COUNT`, `COMMAND FOO`)},
	{name: "command_info", cmds: cs(mShape+` COMMAND INFO get`, `COMMAND INFO nosuchcommand`, mShape+` COMMAND INFO set`)},
	{name: "time_shape", cmds: cs(mShape+` TIME`, `TIME x`)},
	{name: "info_shape", cmds: cs(mShape+` INFO`, mShape+` INFO server`, mShape+` INFO keyspace`)},
	{name: "dbsize", cmds: cs(`DBSIZE`, `SET a 1`, `DBSIZE`, `DEL a`, `DBSIZE`)},
	{name: "client_misc", cmds: cs(mShape+` CLIENT ID`, `CLIENT GETNAME`, `CLIENT SETNAME foo`, `CLIENT GETNAME`, `CLIENT SETNAME "a b"`, `CLIENT SETNAME ""`, `CLIENT GETNAME`, `CLIENT FOO`)},
	{name: "multi_exec_basic", cmds: cs(`MULTI`, `SET a 1`, `INCR a`, `GET a`, `EXEC`, `EXEC`, `DISCARD`, `MULTI`, `MULTI`, `DISCARD`)},
	{name: "multi_execabort", cmds: cs(`MULTI`, `SET a`, `NOSUCH`, `SET a 1`, `EXEC`, `EXISTS a`)},
	{name: "multi_runtime_error", cmds: cs(`SET s abc`, `MULTI`, `INCR s`, `SET b 2`, `EXEC`, `GET b`)},
}

func TestDiff_Server(t *testing.T) {
	runDiffCases(t, serverCases)
}

// TestDiff_Auth_Requirepass compares both servers started with
// --requirepass (each a private instance).
func TestDiff_Auth_Requirepass(t *testing.T) {
	needRedis(t)
	var r *serverProc
	if os.Getenv("DIFF_SELFTEST") != "" {
		r2, err := startRedisServerArgs("--requirepass", "s3cret")
		if err != nil {
			t.Fatal(err)
		}
		r = r2
	} else {
		r = startDiskcached(t, "", "--requirepass", "s3cret")
	}
	redis, err := startRedisServerArgs("--requirepass", "s3cret")
	if err != nil {
		t.Fatalf("redis-server --requirepass: %v", err)
	}
	t.Cleanup(redis.kill)
	if os.Getenv("DIFF_SELFTEST") != "" {
		t.Cleanup(r.kill)
	}
	cases := []diffCase{
		{name: "noauth_commands", noFlush: true, resp2Only: true, cmds: cs(`GET k`, `SET k v`, `PING`, `SELECT 1`, `FOO bar`, `AUTH wrong`, `AUTH default wrong`, `AUTH s3cret`, `SET k v`, `GET k`, `AUTH s3cret`, `AUTH default s3cret`, `AUTH nouser s3cret`)},
		{name: "hello_noauth", noFlush: true, resp2Only: true, cmds: cs(`HELLO 3`, `HELLO 3 AUTH default wrong`, mShape+` HELLO 3 AUTH default s3cret`, `GET k`)},
		{name: "hello2_auth", noFlush: true, resp2Only: true, cmds: cs(mShape+` HELLO 2 AUTH default s3cret`, `FLUSHALL`, `GET k`)},
	}
	runDiffCasesOn(t, redis, r, cases)
}
