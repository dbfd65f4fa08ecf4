package tests

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// newGoRedis returns a go-redis client for addr (protocol 0 = default,
// RESP3) that is closed when the test ends.
func newGoRedis(t testing.TB, addr string, protocol int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:         addr,
		Protocol:     protocol,
		DialTimeout:  2 * time.Second,
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
		MaxRetries:   -1, // surface errors instead of retrying them away
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func goRedisProtocols(t *testing.T, f func(t *testing.T, c *redis.Client)) {
	for _, proto := range []int{3, 2} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			srv := needShared(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c := newGoRedis(t, srv.addr, proto)
			if err := c.FlushAll(ctx).Err(); err != nil {
				t.Fatalf("FLUSHALL: %v", err)
			}
			f(t, c)
		})
	}
}

func TestGoRedis_Handshake_BothProtocols(t *testing.T) {
	goRedisProtocols(t, func(t *testing.T, c *redis.Client) {
		ctx := context.Background()
		if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
			t.Fatalf("PING: %q %v", got, err)
		}
		// The connection must have negotiated the protocol we asked for.
		want := int64(c.Options().Protocol)
		res, err := c.Do(ctx, "HELLO", fmt.Sprint(want)).Result()
		if err != nil {
			t.Fatalf("HELLO: %v", err)
		}
		var proto any
		switch v := res.(type) {
		case map[any]any:
			proto = v["proto"]
		case map[string]any:
			proto = v["proto"]
		case []any:
			for i := 0; i+1 < len(v); i += 2 {
				if v[i] == "proto" {
					proto = v[i+1]
				}
			}
		}
		if proto != want {
			t.Fatalf("HELLO %d: proto %v (%T) in %#v", want, proto, proto, res)
		}
	})
}

func TestGoRedis_SetGetIncrExpire_Works(t *testing.T) {
	goRedisProtocols(t, func(t *testing.T, c *redis.Client) {
		ctx := context.Background()
		if err := c.Set(ctx, "k", "v\x00binary", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v\x00binary" {
			t.Fatalf("GET: %q %v", got, err)
		}
		if _, err := c.Get(ctx, "missing").Result(); !errors.Is(err, redis.Nil) {
			t.Fatalf("GET missing: want redis.Nil, got %v", err)
		}
		for i := int64(1); i <= 3; i++ {
			if got, err := c.Incr(ctx, "n").Result(); err != nil || got != i {
				t.Fatalf("INCR: %d %v, want %d", got, err, i)
			}
		}
		if got, err := c.IncrByFloat(ctx, "f", 2.5).Result(); err != nil || got != 2.5 {
			t.Fatalf("INCRBYFLOAT: %v %v", got, err)
		}
		if ok, err := c.Expire(ctx, "k", 100*time.Second).Result(); err != nil || !ok {
			t.Fatalf("EXPIRE: %v %v", ok, err)
		}
		if ttl, err := c.TTL(ctx, "k").Result(); err != nil || ttl <= 90*time.Second || ttl > 100*time.Second {
			t.Fatalf("TTL: %v %v", ttl, err)
		}
		if ttl, err := c.TTL(ctx, "n").Result(); err != nil || ttl != -1 {
			t.Fatalf("TTL persistent: %v %v", ttl, err)
		}
		if ttl, err := c.TTL(ctx, "missing").Result(); err != nil || ttl != -2 {
			t.Fatalf("TTL missing: %v %v", ttl, err)
		}
		if ok, err := c.SetNX(ctx, "k", "other", 0).Result(); err != nil || ok {
			t.Fatalf("SETNX existing: %v %v", ok, err)
		}
		if err := c.Set(ctx, "px", "v", 50*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(80 * time.Millisecond)
		if n, err := c.Exists(ctx, "px").Result(); err != nil || n != 0 {
			t.Fatalf("expired key still exists: %d %v", n, err)
		}
		if _, err := c.Do(ctx, "INCR", "k").Result(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
			t.Fatalf("INCR on non-integer: %v", err)
		}
	})
}

func TestGoRedis_PipelineMGetDel_Works(t *testing.T) {
	goRedisProtocols(t, func(t *testing.T, c *redis.Client) {
		ctx := context.Background()
		const n = 500
		pipe := c.Pipeline()
		for i := 0; i < n; i++ {
			pipe.Set(ctx, fmt.Sprintf("p:%d", i), i, 0)
		}
		incr := pipe.Incr(ctx, "p:0")
		get := pipe.Get(ctx, "p:499")
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("pipeline: %v", err)
		}
		if incr.Val() != 1 || get.Val() != "499" {
			t.Fatalf("pipeline results: incr %d get %q", incr.Val(), get.Val())
		}
		keys := []string{"p:1", "missing", "p:2"}
		vals, err := c.MGet(ctx, keys...).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(vals) != 3 || vals[0] != "1" || vals[1] != nil || vals[2] != "2" {
			t.Fatalf("MGET: %#v", vals)
		}
		if size, err := c.DBSize(ctx).Result(); err != nil || size != n {
			t.Fatalf("DBSIZE: %d %v", size, err)
		}
		if del, err := c.Del(ctx, "p:1", "p:2", "missing").Result(); err != nil || del != 2 {
			t.Fatalf("DEL: %d %v", del, err)
		}
		// A transaction pipeline (MULTI/EXEC).
		tx := c.TxPipeline()
		tx.Set(ctx, "t", "1", 0)
		tincr := tx.Incr(ctx, "t")
		if _, err := tx.Exec(ctx); err != nil {
			t.Fatalf("TxPipeline: %v", err)
		}
		if tincr.Val() != 2 {
			t.Fatalf("tx INCR: %d", tincr.Val())
		}
	})
}

func TestGoRedis_ScanIterator_SeesAllKeys(t *testing.T) {
	goRedisProtocols(t, func(t *testing.T, c *redis.Client) {
		ctx := context.Background()
		want := map[string]bool{}
		pipe := c.Pipeline()
		for i := 0; i < 1000; i++ {
			k := fmt.Sprintf("s:%04d", i)
			pipe.Set(ctx, k, "x", 0)
			if i%10 == 3 {
				want[k] = true
			}
		}
		pipe.Set(ctx, "other", "x", 0)
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		it := c.Scan(ctx, 0, "s:*3", 50).Iterator()
		for it.Next(ctx) {
			got[it.Val()] = true
		}
		if err := it.Err(); err != nil {
			t.Fatalf("scan: %v", err)
		}
		if len(got) != len(want) {
			t.Fatalf("scan MATCH s:*3 found %d keys, want %d", len(got), len(want))
		}
		for k := range want {
			if !got[k] {
				t.Fatalf("scan missed %q", k)
			}
		}
		all, err := c.Keys(ctx, "s:000*").Result()
		sort.Strings(all)
		if err != nil || len(all) != 10 || all[0] != "s:0000" || all[9] != "s:0009" {
			t.Fatalf("KEYS s:000*: %v %v", all, err)
		}
	})
}

func TestGoRedis_ClientSetInfo_Accepted(t *testing.T) {
	srv := needShared(t)
	c := newGoRedis(t, srv.addr, 3)
	ctx := context.Background()
	if err := c.Do(ctx, "CLIENT", "SETINFO", "lib-name", "go-redis").Err(); err != nil {
		t.Fatalf("CLIENT SETINFO lib-name: %v", err)
	}
	if err := c.Do(ctx, "CLIENT", "SETNAME", "e2e").Err(); err != nil {
		t.Fatalf("CLIENT SETNAME: %v", err)
	}
}
