package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCache_Stats_FieldsDbAndReset(t *testing.T) {
	srv := startDiskcached(t, "")
	c := newGoRedis(t, srv.addr, 3)
	cdo(t, c, "CONFIG", "RESETSTAT")
	cdo(t, c, "MSET", "a", "1", "b", "2")
	cdo(t, c, "GET", "a")
	cdo(t, c, "GET", "nope")
	st := cdo(t, c, "CACHE.STATS").(map[any]any)
	if st["hits"] != int64(1) || st["misses"] != int64(1) || st["count"] != int64(2) ||
		st["volume"].(int64) <= 0 || st["evictions"] != int64(0) || st["expirations"] != int64(0) || len(st) != 6 {
		t.Fatalf("CACHE.STATS = %v", st)
	}
	cdo(t, c, "CACHE.STATS", "1", "RESET")
	st = cdo(t, c, "CACHE.STATS", "1").(map[any]any)
	if st["count"] != int64(0) || st["hits"] != int64(0) || st["misses"] != int64(0) {
		t.Fatalf("after RESET, db 1: %v", st)
	}
	c2 := newGoRedis(t, srv.addr, 2)
	if got := fmt.Sprint(cdo(t, c2, "CACHE.STATS")); !strings.HasPrefix(got, "[hits 0 misses 0 count 2 volume ") {
		t.Fatalf("RESP2 shape: %s", got)
	}
	cerr(t, c, "ERR DB index is out of range", "CACHE.STATS", "16")
	cerr(t, c, "ERR syntax error", "CACHE.STATS", "RESET", "0")
}

func TestCache_ExpireCullCheck_AfterWorkload(t *testing.T) {
	srv := startDiskcached(t, "", "--maxmemory-policy", "allkeys-lru")
	c := newGoRedis(t, srv.addr, 2)
	ctx := context.Background()
	cwant(t, c, "OK", "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	for i := 0; i < 50; i++ {
		cdo(t, c, "CACHE.SET", fmt.Sprint("short", i), "v", "PX", "1", "TAG", "s")
	}
	time.Sleep(20 * time.Millisecond)
	cwant(t, c, "50", "CACHE.EXPIRE")
	cwant(t, c, "0", "CACHE.EXPIRE")
	cwant(t, c, "[]", "CACHE.TAGS")
	// a mixed workload: tags, collections, renames, deletes, flushes
	for i := 0; i < 300; i++ {
		k := fmt.Sprint("k", i)
		cdo(t, c, "CACHE.SET", k, strings.Repeat("x", 200), "TAG", fmt.Sprint("t", i%7))
		cdo(t, c, "HSET", "h"+k, "f", "v", "g", "w")
		cdo(t, c, "RPUSH", "l"+k, "a", "b", "c")
		cdo(t, c, "CACHE.TAG", "l"+k, "lists")
		if i%3 == 0 {
			cdo(t, c, "RENAME", k, "renamed"+k)
			cdo(t, c, "HDEL", "h"+k, "f")
			cdo(t, c, "LPOP", "l"+k)
		}
		if i%5 == 0 {
			cdo(t, c, "DEL", "h"+k)
			cdo(t, c, "EXPIRE", "l"+k, "1000")
		}
	}
	cdo(t, c, "CACHE.EVICT", "t3")
	cdo(t, c, "SELECT", "0")
	if err := c.Do(ctx, "SWAPDB", "0", "2").Err(); err != nil {
		t.Fatal(err)
	}
	cdo(t, c, "SWAPDB", "0", "2")
	cwant(t, c, "[]", "CACHE.CHECK")
	// CULL: shrink the budget; CULL evicts until under it
	used := cdo(t, c, "CACHE.STATS").([]any)[7].(int64)
	cdo(t, c, "CONFIG", "SET", "maxmemory", fmt.Sprint(used/2))
	n := cdo(t, c, "CACHE.CULL").(int64)
	after := cdo(t, c, "CACHE.STATS").([]any)
	if after[7].(int64) > used/2 || after[9].(int64) == 0 {
		t.Fatalf("after CACHE.CULL (%d removed): used %v of %d, evictions %v", n, after[7], used/2, after[9])
	}
	cdo(t, c, "CONFIG", "SET", "maxmemory", "0")
	cdo(t, c, "FLUSHDB")
	cwant(t, c, "[]", "CACHE.CHECK")
	cwant(t, c, "[]", "CACHE.CHECK", "FIX")
	cerr(t, c, "ERR syntax error", "CACHE.CHECK", "NOW")
}
