package tests

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// cdo runs one command and returns its result (nil error for redis.Nil).
func cdo(t testing.TB, c *redis.Client, args ...any) any {
	t.Helper()
	v, err := c.Do(context.Background(), args...).Result()
	if err != nil && err != redis.Nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

// cwant fails unless the command's result prints as want.
func cwant(t testing.TB, c *redis.Client, want string, args ...any) {
	t.Helper()
	if got := fmt.Sprint(cdo(t, c, args...)); got != want {
		t.Fatalf("%v = %s, want %s", args, got, want)
	}
}

// cerr fails unless the command fails with exactly msg.
func cerr(t testing.TB, c *redis.Client, msg string, args ...any) {
	t.Helper()
	_, err := c.Do(context.Background(), args...).Result()
	if err == nil || err.Error() != msg {
		t.Fatalf("%v: error %v, want %q", args, err, msg)
	}
}

func TestCache_Tags_SetTagUntagGetTag(t *testing.T) {
	srv := startDiskcached(t, "")
	c := newGoRedis(t, srv.addr, 2)
	cwant(t, c, "OK", "CACHE.SET", "a", "1", "TAG", "red", "EX", "100")
	cwant(t, c, "red", "CACHE.GETTAG", "a")
	cwant(t, c, "1", "GET", "a")
	if ttl := cdo(t, c, "TTL", "a").(int64); ttl < 99 || ttl > 100 {
		t.Fatalf("TTL = %d", ttl)
	}
	cwant(t, c, "<nil>", "CACHE.SET", "a", "2", "NX", "TAG", "blue")
	cwant(t, c, "<nil>", "CACHE.SET", "missing", "2", "XX")
	cwant(t, c, "OK", "CACHE.SET", "a", "3", "XX")
	cwant(t, c, "<nil>", "CACHE.GETTAG", "a") // CACHE.SET without TAG untags
	cwant(t, c, "-1", "TTL", "a")
	cwant(t, c, "1", "RPUSH", "list", "x")
	cwant(t, c, "1", "CACHE.TAG", "list", "red")
	cwant(t, c, "0", "CACHE.TAG", "nokey", "red")
	cwant(t, c, "red", "CACHE.GETTAG", "list")
	cwant(t, c, "2", "RPUSH", "list", "y") // element writes keep the tag
	cwant(t, c, "red", "CACHE.GETTAG", "list")
	cwant(t, c, "OK", "SET", "list", "now a string") // SET keeps a key's tag
	cwant(t, c, "red", "CACHE.GETTAG", "list")
	cwant(t, c, "1", "CACHE.UNTAG", "list")
	cwant(t, c, "0", "CACHE.UNTAG", "list")
	cwant(t, c, "0", "CACHE.UNTAG", "nokey")
	cwant(t, c, "<nil>", "CACHE.GETTAG", "nokey")
	cwant(t, c, "OK", "CACHE.SET", "past", "v", "PXAT", "1", "TAG", "red")
	cwant(t, c, "0", "EXISTS", "past")
	cerr(t, c, "ERR syntax error", "CACHE.SET", "k", "v", "TAG")
	cerr(t, c, "ERR syntax error", "CACHE.SET", "k", "v", "NX", "XX")
	cerr(t, c, "ERR syntax error", "CACHE.SET", "k", "v", "EX", "1", "PX", "1")
	cerr(t, c, "ERR invalid expire time in 'cache.set' command", "CACHE.SET", "k", "v", "EX", "0")
	cerr(t, c, "ERR value is not an integer or out of range", "CACHE.SET", "k", "v", "PX", "x")
	cerr(t, c, "ERR wrong number of arguments for 'cache.tag' command", "CACHE.TAG", "k")
	cerr(t, c, "ERR syntax error", "CACHE.TAGS", "MATCH")
}

func TestCache_Tags_EvictTagsAndKeyMoves(t *testing.T) {
	dir := t.TempDir()
	srv := startDiskcached(t, dir)
	c := newGoRedis(t, srv.addr, 3)
	for i := 0; i < 5; i++ {
		cdo(t, c, "CACHE.SET", fmt.Sprint("r", i), "v", "TAG", "red")
	}
	cdo(t, c, "CACHE.SET", "b0", "v", "TAG", "blue")
	cdo(t, c, "HSET", "h", "f", "v")
	cdo(t, c, "CACHE.TAG", "h", "blue")
	cwant(t, c, "map[blue:2 red:5]", "CACHE.TAGS")
	cwant(t, c, "map[red:5]", "CACHE.TAGS", "MATCH", "r*")
	// tags follow RENAME, COPY and MOVE, vanish with DEL
	cdo(t, c, "RENAME", "r0", "moved")
	cdo(t, c, "COPY", "h", "h2")
	cwant(t, c, "blue", "CACHE.GETTAG", "h2")
	cwant(t, c, "1", "MOVE", "r1", "5")
	cdo(t, c, "DEL", "r2")
	cwant(t, c, "map[blue:3 red:3]", "CACHE.TAGS")
	// tags survive a restart
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	srv = startDiskcached(t, dir)
	c = newGoRedis(t, srv.addr, 3)
	cwant(t, c, "map[blue:3 red:3]", "CACHE.TAGS")
	cwant(t, c, "3", "CACHE.EVICT", "red")
	cwant(t, c, "0", "EXISTS", "moved", "r3", "r4")
	cwant(t, c, "0", "CACHE.EVICT", "red")
	cwant(t, c, "0", "CACHE.EVICT", "nosuchtag")
	cwant(t, c, "3", "CACHE.EVICT", "blue")
	cwant(t, c, "map[]", "CACHE.TAGS")
	// db 5 kept its own tagged key; FLUSHDB drops it from the index
	c5 := redis.NewClient(&redis.Options{Addr: srv.addr, DB: 5, Protocol: 3})
	defer c5.Close()
	cwant(t, c5, "map[red:1]", "CACHE.TAGS")
	cwant(t, c5, "red", "CACHE.GETTAG", "r1")
	cwant(t, c5, "OK", "FLUSHDB")
	cwant(t, c5, "map[]", "CACHE.TAGS")
	// expiry removes the key from its tag
	cdo(t, c5, "CACHE.SET", "e", "v", "PX", "50", "TAG", "t")
	time.Sleep(150 * time.Millisecond)
	cwant(t, c5, "0", "CACHE.EVICT", "t")
	// RESP2 shape: a flat array
	c2 := redis.NewClient(&redis.Options{Addr: srv.addr, Protocol: 2})
	defer c2.Close()
	cdo(t, c2, "CACHE.SET", "x", "v", "TAG", "t2")
	cwant(t, c2, "[t2 1]", "CACHE.TAGS")
}

// TestCache_Evict_LargeTagWhileOthersWrite evicts a 100,000-key tag while
// other clients write untagged and differently tagged keys: the reply
// counts every key of the tag, none survives, and nothing else is lost.
func TestCache_Evict_LargeTagWhileOthersWrite(t *testing.T) {
	srv := startDiskcached(t, "")
	c := newGoRedis(t, srv.addr, 3)
	ctx := context.Background()
	const n = 100_000
	for i := 0; i < n; i += 1000 {
		pipe := c.Pipeline()
		for j := i; j < i+1000; j++ {
			pipe.Do(ctx, "CACHE.SET", fmt.Sprint("big:", j), "v", "TAG", "big")
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var written [4]int
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			wc := newGoRedis(t, srv.addr, 3)
			for i := 0; !stop.Load(); i++ {
				if err := wc.Do(ctx, "CACHE.SET", fmt.Sprintf("w%d:%d", w, i), "v", "TAG", "other").Err(); err != nil {
					t.Error(err)
					return
				}
				written[w] = i + 1
			}
		}(w)
	}
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	got := cdo(t, c, "CACHE.EVICT", "big")
	took := time.Since(start)
	stop.Store(true)
	wg.Wait()
	if got != int64(n) {
		t.Fatalf("CACHE.EVICT big = %v, want %d", got, n)
	}
	total := 0
	for _, x := range written {
		total += x
	}
	cwant(t, c, fmt.Sprintf("map[other:%d]", total), "CACHE.TAGS")
	cwant(t, c, fmt.Sprint(total), "DBSIZE")
	t.Logf("evicted %d keys in %v while %d keys were written", n, took, total)
}
