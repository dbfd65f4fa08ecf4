package tests

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// infoField reads one numeric INFO field.
func infoField(t *testing.T, c *redis.Client, name string) int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "everything").Result()
	if err != nil {
		t.Fatalf("INFO: %v", err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s = %q", name, v)
			}
			return n
		}
	}
	t.Fatalf("INFO has no %s field", name)
	return 0
}

// TestEviction_AllkeysLRU_StaysUnderBudget writes several times the disk
// budget through the server: used_memory must end within the budget (+5 %),
// keys must have been evicted, recently read keys must survive and early
// never-read keys must be gone.
func TestEviction_AllkeysLRU_StaysUnderBudget(t *testing.T) {
	srv := startDiskcached(t, "", "--maxmemory", "8mb", "--maxmemory-policy", "allkeys-lru", "--overlay-size", "1mb")
	c := newGoRedis(t, srv.addr, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	val := strings.Repeat("v", 1000)
	const hot = 50
	for i := 0; i < 40_000; i++ { // ~40 MB of values into an 8 MB budget
		if err := c.Set(ctx, fmt.Sprint("k", i), val, 0).Err(); err != nil {
			t.Fatalf("SET k%d: %v", i, err)
		}
		if i%500 == 0 { // keep a hot set of keys recently used
			for h := 0; h < hot; h++ {
				c.Get(ctx, fmt.Sprint("hot", h))
				if i == 0 {
					c.Set(ctx, fmt.Sprint("hot", h), val, 0)
				}
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	limit := int64(8 << 20)
	for infoField(t, c, "used_memory") > limit*105/100 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if used := infoField(t, c, "used_memory"); used > limit*105/100 {
		t.Fatalf("used_memory %d exceeds the %d budget by more than 5%%", used, limit)
	}
	if ev := infoField(t, c, "evicted_keys"); ev == 0 {
		t.Fatal("no key evicted")
	}
	if n, _ := c.Exists(ctx, "k0", "k1", "k2").Result(); n != 0 {
		t.Fatalf("%d of the oldest never-read keys survived", n)
	}
	for h := 0; h < hot; h++ {
		if n, _ := c.Exists(ctx, fmt.Sprint("hot", h)).Result(); n != 1 {
			t.Fatalf("hot%d (read every 500 writes) was evicted", h)
		}
	}
}

// TestEviction_Noeviction_OOMAndDeletesPass checks the OOM reply over the
// budget under noeviction, and that deletes and reads still work.
func TestEviction_Noeviction_OOMAndDeletesPass(t *testing.T) {
	srv := startDiskcached(t, "", "--maxmemory", "2mb", "--maxmemory-policy", "noeviction", "--overlay-size", "1mb")
	c := newGoRedis(t, srv.addr, 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	val := strings.Repeat("x", 1000)
	var oomAt int
	for i := 0; i < 20_000; i++ {
		err := c.Set(ctx, fmt.Sprint("k", i), val, 0).Err()
		if err != nil {
			if err.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
				t.Fatalf("SET k%d: unexpected error %q", i, err)
			}
			oomAt = i
			break
		}
	}
	if oomAt == 0 {
		t.Fatal("20 MB written into a 2 MB noeviction budget without an OOM error")
	}
	if err := c.Get(ctx, "k1").Err(); err != nil {
		t.Fatalf("GET over the limit: %v", err)
	}
	if n, err := c.Del(ctx, "k1", "k2").Result(); err != nil || n != 2 {
		t.Fatalf("DEL over the limit = %d, %v", n, err)
	}
	if ev := infoField(t, c, "evicted_keys"); ev != 0 {
		t.Fatalf("noeviction evicted %d keys", ev)
	}
}

// TestEviction_PolicySwitchAtRuntime_Applies switches maxmemory and the
// policy with CONFIG SET and checks eviction starts.
func TestEviction_PolicySwitchAtRuntime_Applies(t *testing.T) {
	srv := startDiskcached(t, "", "--overlay-size", "1mb")
	c := newGoRedis(t, srv.addr, 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	val := strings.Repeat("y", 1000)
	for i := 0; i < 8000; i++ {
		c.Set(ctx, fmt.Sprint("k", i), val, 0)
	}
	if err := c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lrs").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "maxmemory", "4mb").Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for infoField(t, c, "evicted_keys") == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if infoField(t, c, "evicted_keys") == 0 {
		t.Fatal("lowering maxmemory at runtime evicted nothing")
	}
	if got, _ := c.ConfigGet(ctx, "maxmemory-policy").Result(); got["maxmemory-policy"] != "allkeys-lrs" {
		t.Fatalf("CONFIG GET maxmemory-policy = %v", got)
	}
}
