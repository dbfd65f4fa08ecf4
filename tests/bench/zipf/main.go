// Command zipf replays one Zipf(0.99) trace (GET; on a miss SET) through
// diskcached's engine with its evictor, through redis-server, and through
// an exact-LRU simulator, with the same budget (a share of the full data
// set), and prints hit ratios side by side.
//
//	go run ./tests/bench/zipf -requests 1000000 -keys 100000
//
// The budget is -share (default 10 %) of what the whole key set occupies in
// each store: diskcached's used_memory figure after loading every key, and
// Redis's used_memory above its empty baseline. The LRU simulator holds
// share × keys entries.
package main

import (
	"container/list"
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/diskcached/diskcached/engine"
	"github.com/diskcached/diskcached/eviction"
)

func main() {
	requests := flag.Int("requests", 10_000_000, "requests in the trace")
	keys := flag.Int("keys", 1_000_000, "distinct keys")
	share := flag.Float64("share", 0.10, "budget as a share of the full data")
	skew := flag.Float64("s", 0.99, "Zipf exponent")
	vsize := flag.Int("value", 100, "value size in bytes")
	redisBin := flag.String("redis", "/usr/bin/redis-server", "redis-server binary (\"\" to skip)")
	redisPort := flag.Int("redis-port", 7199, "port for the redis-server it starts")
	policies := flag.String("policies", "allkeys-lru,allkeys-lfu,allkeys-random,allkeys-lrs", "diskcached policies")
	flag.Parse()

	trace := zipfTrace(*requests, *keys, *skew)
	fmt.Printf("Zipf(%.2f) trace: %d requests over %d keys, %d-byte values, budget %.0f%% of the data\n\n",
		*skew, *requests, *keys, *vsize, *share*100)
	lru := simulateLRU(trace, int(float64(*keys)**share))
	fmt.Printf("%-16s %12s %12s %12s %22s\n", "policy", "diskcached", "redis", "exact-LRU", "exact-LRU @ dc's keys")
	for _, p := range strings.Split(*policies, ",") {
		dc, held, err := runDiskcached(trace, *keys, *vsize, *share, p)
		dcs := fmt.Sprintf("%.4f", dc)
		if err != nil {
			dcs = "error: " + err.Error()
		}
		rs := "-"
		if *redisBin != "" && p != "allkeys-lrs" {
			if r, err := runRedis(*redisBin, *redisPort, trace, *keys, *vsize, *share, p); err != nil {
				rs = "error: " + err.Error()
			} else {
				rs = fmt.Sprintf("%.4f", r)
			}
		}
		sim, same := "-", "-"
		if p == "allkeys-lru" {
			sim = fmt.Sprintf("%.4f", lru)
			same = fmt.Sprintf("%.4f (%d keys)", simulateLRU(trace, int(held)), held)
		}
		fmt.Printf("%-16s %12s %12s %12s %22s\n", p, dcs, rs, sim, same)
	}
}

// zipfTrace draws n ranks in [0, keys) with P(rank r) ∝ 1/(r+1)^s.
func zipfTrace(n, keys int, s float64) []int32 {
	cdf := make([]float64, keys)
	sum := 0.0
	for i := range cdf {
		sum += 1 / math.Pow(float64(i+1), s)
		cdf[i] = sum
	}
	r := rand.New(rand.NewPCG(42, 99))
	perm := r.Perm(keys) // ranks land on scattered key names
	out := make([]int32, n)
	for i := range out {
		x := r.Float64() * sum
		out[i] = int32(perm[sort.SearchFloat64s(cdf, x)])
	}
	return out
}

func simulateLRU(trace []int32, capacity int) float64 {
	l := list.New()
	pos := make(map[int32]*list.Element, capacity)
	hits := 0
	for _, k := range trace {
		if e, ok := pos[k]; ok {
			hits++
			l.MoveToFront(e)
			continue
		}
		pos[k] = l.PushFront(k)
		if l.Len() > capacity {
			old := l.Back()
			l.Remove(old)
			delete(pos, old.Value.(int32))
		}
	}
	return float64(hits) / float64(len(trace))
}

func keyName(k int32) []byte { return []byte("key:" + strconv.Itoa(int(k))) }

// runDiskcached measures the data size, sets the budget and replays.
// It returns the hit ratio and the number of keys held at the end (the
// budget in keys, to compare with an exact LRU of the same capacity).
func runDiskcached(trace []int32, keys, vsize int, share float64, policy string) (float64, int64, error) {
	p, ok := engine.ParsePolicy(policy)
	if !ok {
		return 0, 0, fmt.Errorf("unknown policy")
	}
	dir, err := os.MkdirTemp("", "zipf-dc-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	db, err := engine.Open(engine.Options{Dir: dir, Fsync: engine.FsyncNo, Logger: zerolog.Nop()})
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ev := eviction.Start(ctx, db, eviction.Options{}, zerolog.Nop())
	defer func() { cancel(); ev.Wait() }()
	val := make([]byte, vsize)
	// Size of the full data set: load every key once, read the figure, drop it.
	for i := 0; i < keys; i += 1000 {
		db.Update(func(tx *engine.Tx) error {
			for k := i; k < min(i+1000, keys); k++ {
				tx.Put(0, keyName(int32(k)), &engine.Meta{Type: engine.TypeString, Value: val})
			}
			return nil
		})
	}
	time.Sleep(2 * time.Second) // let a measurement settle the ratio
	full := db.UsedBytes()
	db.Update(func(tx *engine.Tx) error { tx.FlushDB(0); return nil })
	for deadline := time.Now().Add(time.Minute); db.LogicalBytes() > full/100 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	db.SetEvictPolicy(p)
	for !db.IndexReady() {
		time.Sleep(5 * time.Millisecond)
	}
	db.SetMaxMemory(int64(float64(full) * share))
	hits := 0
	for _, k := range trace {
		name := keyName(k)
		var found bool
		db.View(func(tx *engine.Tx) error {
			_, found, _ = tx.Lookup(0, name)
			return nil
		})
		if found {
			hits++
			continue
		}
		for db.OverLimit() {
			time.Sleep(time.Millisecond)
		}
		db.Update(func(tx *engine.Tx) error {
			tx.Put(0, name, &engine.Meta{Type: engine.TypeString, Value: val})
			return nil
		})
	}
	var held int64
	db.View(func(tx *engine.Tx) error { held, _ = tx.KeyCounts(0); return nil })
	return float64(hits) / float64(len(trace)), held, nil
}

// runRedis starts a redis-server, sizes the budget the same way and replays
// the trace with pipelined GETs (a miss is followed by its SET before the
// next request, as the trace demands).
func runRedis(bin string, port int, trace []int32, keys, vsize int, share float64, policy string) (float64, error) {
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1")
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	defer rdb.Close()
	for i := 0; ; i++ {
		if rdb.Ping(ctx).Err() == nil {
			break
		}
		if i > 100 {
			return 0, fmt.Errorf("redis-server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	base := usedMemory(rdb)
	val := make([]byte, vsize)
	for i := 0; i < keys; i += 1000 {
		pipe := rdb.Pipeline()
		for k := i; k < min(i+1000, keys); k++ {
			pipe.Set(ctx, string(keyName(int32(k))), val, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return 0, err
		}
	}
	full := usedMemory(rdb) - base
	rdb.FlushAll(ctx)
	rdb.ConfigSet(ctx, "maxmemory-policy", policy)
	rdb.ConfigSet(ctx, "maxmemory", strconv.FormatInt(base+int64(float64(full)*share), 10))
	hits := 0
	for _, k := range trace {
		name := string(keyName(k))
		err := rdb.Get(ctx, name).Err()
		if err == nil {
			hits++
			continue
		}
		if err != redis.Nil {
			return 0, err
		}
		rdb.Set(ctx, name, val, 0)
	}
	return float64(hits) / float64(len(trace)), nil
}

func usedMemory(rdb *redis.Client) int64 {
	info, _ := rdb.Info(context.Background(), "memory").Result()
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
