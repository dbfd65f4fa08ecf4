package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startWithConfigFile starts diskcached with conf as its config file (the
// first argument) and data dir dir.
func startWithConfigFile(t *testing.T, dir, conf string) *serverProc {
	t.Helper()
	needBinary(t)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{conf}, diskcachedArgs(port, dir, nil)...)
	p, err := launch("diskcached", binPath, args, port, dir)
	if err != nil {
		t.Fatalf("start diskcached with %s: %v", conf, err)
	}
	t.Cleanup(func() {
		if p.alive() {
			p.kill()
		}
	})
	return p
}

func TestCacheConfig_GetSetReset_RepliesAndErrors(t *testing.T) {
	srv := startDiskcached(t, "")
	c := newGoRedis(t, srv.addr, 2)
	cwant(t, c, "[maxmemory 0 maxmemory-policy ]", "CACHE.CONFIG", "0", "GET", "*")
	cwant(t, c, "OK", "CACHE.CONFIG", "1", "SET", "maxmemory", "1mb")
	cwant(t, c, "[maxmemory 1048576]", "CACHE.CONFIG", "1", "GET", "maxmemory")
	cwant(t, c, "OK", "CACHE.CONFIG", "1", "SET", "MAXMEMORY-POLICY", "allkeys-lru", "maxmemory", "100kb")
	cwant(t, c, "[maxmemory 102400 maxmemory-policy allkeys-lru]", "CACHE.CONFIG", "1", "GET", "max*")
	cwant(t, c, "[maxmemory-policy allkeys-lru]", "CACHE.CONFIG", "1", "GET", "*policy", "nothing")
	cwant(t, c, "[]", "CACHE.CONFIG", "1", "GET", "nothing")
	cwant(t, c, "[maxmemory 0 maxmemory-policy ]", "CACHE.CONFIG", "0", "GET", "*")

	// Errors: CONFIG SET's texts; nothing changes when one pair fails.
	cerr(t, c, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
		"CACHE.CONFIG", "1", "SET", "maxmemory", "abc")
	cerr(t, c, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
		"CACHE.CONFIG", "1", "SET", "maxmemory", "-1")
	cerr(t, c, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: noeviction, allkeys-lru, allkeys-lfu, allkeys-lrs, allkeys-random, volatile-lru, volatile-lfu, volatile-lrs, volatile-random, volatile-ttl",
		"CACHE.CONFIG", "1", "SET", "maxmemory", "5mb", "maxmemory-policy", "foo")
	cerr(t, c, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter",
		"CACHE.CONFIG", "1", "SET", "maxmemory", "1", "maxmemory", "2")
	cerr(t, c, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'", "CACHE.CONFIG", "1", "SET", "foo", "1")
	cerr(t, c, "ERR wrong number of arguments for 'cache.config|set' command", "CACHE.CONFIG", "1", "SET", "maxmemory")
	cerr(t, c, "ERR wrong number of arguments for 'cache.config|get' command", "CACHE.CONFIG", "1", "GET")
	cerr(t, c, "ERR wrong number of arguments for 'cache.config' command", "CACHE.CONFIG", "1")
	cerr(t, c, "ERR DB index is out of range", "CACHE.CONFIG", "16", "GET", "*")
	cerr(t, c, "ERR DB index is out of range", "CACHE.CONFIG", "-1", "RESET")
	cerr(t, c, "ERR value is not an integer or out of range", "CACHE.CONFIG", "x", "RESET")
	cerr(t, c, "ERR syntax error", "CACHE.CONFIG", "1", "FROB")
	cwant(t, c, "[maxmemory 102400 maxmemory-policy allkeys-lru]", "CACHE.CONFIG", "1", "GET", "*")

	info := cdo(t, c, "INFO", "diskcache").(string)
	if !strings.Contains(info, "db1_maxmemory:102400\r\n") || !strings.Contains(info, "db1_maxmemory_policy:allkeys-lru\r\n") ||
		!strings.Contains(info, "db1_used_memory:0\r\n") || strings.Contains(info, "db0_") {
		t.Fatalf("INFO diskcache per-db lines:\n%s", info)
	}
	cwant(t, c, "OK", "CACHE.CONFIG", "1", "RESET")
	cwant(t, c, "[maxmemory 0 maxmemory-policy ]", "CACHE.CONFIG", "1", "GET", "*")
	if info := cdo(t, c, "INFO", "diskcache").(string); strings.Contains(info, "db1_") {
		t.Fatalf("reset db still listed:\n%s", info)
	}
}

// TestCacheConfig_NoEviction_OOMOnlyInThatDB: a db with its own limit
// under noeviction refuses denyoom writes once over it; reads, DEL and
// other dbs go on; the server-wide budget is unaffected.
func TestCacheConfig_NoEviction_OOMOnlyInThatDB(t *testing.T) {
	srv := startDiskcached(t, "", "--maxmemory-policy", "allkeys-lru")
	c := newGoRedis(t, srv.addr, 2)
	ctx := context.Background()
	cwant(t, c, "OK", "CACHE.CONFIG", "1", "SET", "maxmemory", "20kb", "maxmemory-policy", "noeviction")
	cdo(t, c, "SELECT", "1")
	var oom error
	for i := 0; i < 200 && oom == nil; i++ {
		oom = c.Do(ctx, "SET", fmt.Sprint("k", i), strings.Repeat("v", 500)).Err()
	}
	if oom == nil || oom.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
		t.Fatalf("writes to the limited db: %v", oom)
	}
	cwant(t, c, strings.Repeat("v", 500), "GET", "k0")
	cwant(t, c, "1", "DEL", "k0")
	cdo(t, c, "SELECT", "2")
	cwant(t, c, "OK", "SET", "other", strings.Repeat("v", 5000))
	// Unset policy: the server-wide allkeys-lru now applies to db 1's limit.
	cwant(t, c, "OK", "CACHE.CONFIG", "1", "SET", "maxmemory-policy", "")
	deadline := time.Now().Add(5 * time.Second)
	for cdo(t, c, "CACHE.STATS", "1").([]any)[7].(int64) > 20*1024 {
		if time.Now().After(deadline) {
			t.Fatal("db 1 not evicted under the server-wide policy")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cwant(t, c, "[]", "CACHE.CHECK")
}

func TestCacheConfig_ConfigFile_RewriteAndRestart(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(t.TempDir(), "diskcached.conf")
	os.WriteFile(conf, []byte("db-maxmemory 2 1mb\ndb-maxmemory-policy 2 allkeys-lfu\n"), 0o644)
	srv := startWithConfigFile(t, dir, conf)
	c := newGoRedis(t, srv.addr, 2)
	cwant(t, c, "[maxmemory 1048576 maxmemory-policy allkeys-lfu]", "CACHE.CONFIG", "2", "GET", "*")
	cwant(t, c, "OK", "CACHE.CONFIG", "3", "SET", "maxmemory", "2mb", "maxmemory-policy", "volatile-ttl")
	cwant(t, c, "OK", "CONFIG", "REWRITE")
	b, _ := os.ReadFile(conf)
	for _, line := range []string{"db-maxmemory 2 1048576\n", "db-maxmemory-policy 2 allkeys-lfu\n",
		"db-maxmemory 3 2097152\n", "db-maxmemory-policy 3 volatile-ttl\n"} {
		if !strings.Contains(string(b), line) {
			t.Fatalf("CONFIG REWRITE lost %q:\n%s", line, b)
		}
	}
	c.Close()
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}

	// Without the file: the settings were persisted in the store.
	srv = startDiskcached(t, dir)
	c = newGoRedis(t, srv.addr, 2)
	cwant(t, c, "[maxmemory 1048576 maxmemory-policy allkeys-lfu]", "CACHE.CONFIG", "2", "GET", "*")
	cwant(t, c, "[maxmemory 2097152 maxmemory-policy volatile-ttl]", "CACHE.CONFIG", "3", "GET", "*")
	cwant(t, c, "OK", "CACHE.CONFIG", "2", "RESET")
	c.Close()
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}

	// A file naming a setting wins over the stored one; others are kept.
	os.WriteFile(conf, []byte("db-maxmemory 3 5mb\n"), 0o644)
	srv = startWithConfigFile(t, dir, conf)
	c = newGoRedis(t, srv.addr, 2)
	cwant(t, c, "[maxmemory 5242880 maxmemory-policy volatile-ttl]", "CACHE.CONFIG", "3", "GET", "*")
	cwant(t, c, "[maxmemory 0 maxmemory-policy ]", "CACHE.CONFIG", "2", "GET", "*")

	// A bad directive stops startup with the line named.
	os.WriteFile(conf, []byte("db-maxmemory 3 lots\n"), 0o644)
	code, out := runDiskcachedExpectExit(t, 10*time.Second, t.TempDir(), conf)
	if code == 0 || !strings.Contains(out, "db-maxmemory") {
		t.Fatalf("bad directive: exit %d, output %s", code, out)
	}
}

func TestCacheConfig_CullExpireStats_WithDB(t *testing.T) {
	srv := startDiskcached(t, "")
	c := newGoRedis(t, srv.addr, 2)
	cwant(t, c, "OK", "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	for i := 0; i < 10; i++ {
		cdo(t, c, "SET", fmt.Sprint("a", i), "v", "PX", "1")
	}
	cdo(t, c, "SELECT", "1")
	for i := 0; i < 7; i++ {
		cdo(t, c, "SET", fmt.Sprint("b", i), "v", "PX", "1")
	}
	time.Sleep(10 * time.Millisecond)
	cwant(t, c, "7", "CACHE.EXPIRE", "1")
	cwant(t, c, "0", "CACHE.EXPIRE", "1")
	cwant(t, c, "0", "CACHE.CULL", "1")
	cwant(t, c, "10", "CACHE.CULL")
	cerr(t, c, "ERR DB index is out of range", "CACHE.EXPIRE", "16")
	cerr(t, c, "ERR DB index is out of range", "CACHE.CULL", "99")
	cerr(t, c, "ERR syntax error", "CACHE.CULL", "1", "2")

	// STATS with a db: count and volume are the db's.
	cdo(t, c, "SELECT", "4")
	for i := 0; i < 300; i++ {
		cdo(t, c, "SET", fmt.Sprint("k", i), strings.Repeat("x", 300))
		cdo(t, c, "HSET", fmt.Sprint("h", i), "f", strings.Repeat("y", 100))
	}
	cdo(t, c, "SELECT", "5")
	for i := 0; i < 100; i++ {
		cdo(t, c, "SET", fmt.Sprint("k", i), strings.Repeat("x", 300))
	}
	all := cdo(t, c, "CACHE.STATS").([]any)
	s4 := cdo(t, c, "CACHE.STATS", "4").([]any)
	s5 := cdo(t, c, "CACHE.STATS", "5").([]any)
	if s4[5] != int64(600) || s5[5] != int64(100) || s4[7].(int64) <= 3*s5[7].(int64) || all[7].(int64) < s4[7].(int64)+s5[7].(int64) {
		t.Fatalf("stats: all %v, db4 %v, db5 %v", all, s4, s5)
	}
	if s := cdo(t, c, "CACHE.STATS", "6").([]any); s[7] != int64(0) {
		t.Fatalf("empty db volume %v", s[7])
	}

	// CULL with a db: that db down to its own limit, in its own order.
	half := s4[7].(int64) / 2
	cwant(t, c, "OK", "CACHE.CONFIG", "4", "SET", "maxmemory", fmt.Sprint(half), "maxmemory-policy", "allkeys-lrs")
	n := cdo(t, c, "CACHE.CULL", "4").(int64)
	after := cdo(t, c, "CACHE.STATS", "4").([]any)
	if after[7].(int64) > half || after[9].(int64) == 0 || n < 0 {
		t.Fatalf("CULL 4 removed %d: db 4 %v, limit %d", n, after, half)
	}
	cwant(t, c, "100", "DBSIZE")
	cdo(t, c, "SELECT", "4")
	// least recently stored first: the first keys written went, the last stay
	cwant(t, c, "0", "EXISTS", "k0")
	cwant(t, c, "1", "EXISTS", "h299")
	cwant(t, c, "[]", "CACHE.CHECK")
}
