// Command zipf replays one Zipf trace (GET; on a miss SET) through a
// diskcached server for each maxmemory-policy, through redis-server with the
// same policies, and through an exact-LRU simulator, and prints hit ratios
// side by side.
//
//	go run ./tests/bench/zipf -requests 2000000 -keys 200000
//
// Both servers are driven the same way over the network: -conns go-redis
// connections take the trace in order, -depth requests at a time, each
// sending its GETs as one pipeline and then the SETs of its misses as
// another (so up to conns × depth requests are in flight: the order is the
// trace's up to that window).
//
// Budgets, so that each server holds about -share of the keys:
//   - diskcached: its maxmemory counts disk (docs/eviction.md). A first
//     server (allkeys-lru, no limit) loads every key; the budget is -share ×
//     its used_memory once the page scan has measured the ratio.
//   - redis-server: its maxmemory counts RAM. A fresh server loads -share of
//     the keys; the budget is its used_memory then (baseline included).
//
// The table shows the keys each server held at the end, and the exact LRU at
// -share of the keys and at the number of keys diskcached held.
package main

import (
	"container/list"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

type config struct {
	keys, vsize, conns, depth int
	share                     float64
}

func main() {
	requests := flag.Int("requests", 2_000_000, "requests in the trace")
	keys := flag.Int("keys", 200_000, "distinct keys")
	share := flag.Float64("share", 0.10, "share of the keys each server's budget holds")
	skew := flag.Float64("s", 0.99, "Zipf exponent")
	vsize := flag.Int("value", 100, "value size in bytes")
	conns := flag.Int("conns", 8, "client connections")
	depth := flag.Int("depth", 32, "requests per pipeline")
	redisBin := flag.String("redis", "/usr/bin/redis-server", "redis-server binary (\"\" to skip)")
	dcBin := flag.String("diskcached", "", "diskcached binary (default: build ./cmd/diskcached)")
	port := flag.Int("port", 7190, "redis-server uses port, diskcached port+1")
	policies := flag.String("policies", "allkeys-lru,allkeys-lfu,allkeys-random,allkeys-lrs", "policies")
	compact := flag.Bool("compact", true, "after diskcached's allkeys-lru run, measure what BGREWRITEAOF gives back")
	flag.Parse()
	redis.SetLogger(quiet{})
	cfg := config{keys: *keys, vsize: *vsize, conns: *conns, depth: *depth, share: *share}

	if *dcBin == "" {
		tmp, err := os.MkdirTemp("", "zipf-bin-")
		check(err)
		defer os.RemoveAll(tmp)
		*dcBin = filepath.Join(tmp, "diskcached")
		out, err := exec.Command("go", "build", "-o", *dcBin, "./cmd/diskcached").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build diskcached: %v\n%s", err, out)
			os.Exit(1)
		}
	}
	trace := zipfTrace(*requests, *keys, *skew)
	fmt.Printf("Zipf(%.2f): %d requests over %d keys, %d-byte values, budget ≈ %.0f%% of the keys, %d connections × pipelines of %d\n",
		*skew, *requests, *keys, *vsize, *share*100, *conns, *depth)

	dcBudget, full, err := diskcachedBudget(*dcBin, *port+1, cfg)
	check(err)
	fmt.Printf("diskcached: all keys → used_memory %d; maxmemory %d\n", full, dcBudget)
	lru := simulateLRU(trace, int(float64(*keys)**share))

	fmt.Printf("\n%-15s | %-28s | %-28s | %-9s | %s\n", "policy", "diskcached hit (keys held)", "redis hit (keys held)", "exact-LRU", "exact-LRU @ dc's keys")
	for _, p := range strings.Split(*policies, ",") {
		dc := runDiskcached(*dcBin, *port+1, trace, cfg, p, dcBudget, *compact && p == "allkeys-lru")
		rs := result{err: errors.New("skipped")}
		if *redisBin != "" && !strings.HasSuffix(p, "-lrs") {
			rs = runRedis(*redisBin, *port, trace, cfg, p)
		}
		sim, same := "-", "-"
		if p == "allkeys-lru" {
			sim = fmt.Sprintf("%.4f", lru)
			if dc.err == nil {
				same = fmt.Sprintf("%.4f (%d keys)", simulateLRU(trace, int(dc.held)), dc.held)
			}
		}
		fmt.Printf("%-15s | %-28s | %-28s | %-9s | %s\n", p, dc, rs, sim, same)
	}
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// result is one server's run.
type result struct {
	hit      float64
	held     int64
	rate     float64 // requests/s
	evicted  int64
	used     int64
	setFails int64
	limit    int64 // redis: calibrated maxmemory
	err      error
}

func (r result) String() string {
	if r.err != nil {
		return r.err.Error()
	}
	s := fmt.Sprintf("%.4f (%d) %.0fk/s", r.hit, r.held, r.rate/1000)
	if r.setFails > 0 {
		s += fmt.Sprintf(" %d SET errors", r.setFails)
	}
	if r.limit > 0 {
		s += fmt.Sprintf(" max %.2fMB", float64(r.limit)/1e6)
	}
	return s
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

func keyName(k int) string { return "key:" + strconv.Itoa(k) }

// server is a started diskcached or redis-server.
type server struct {
	cmd *exec.Cmd
	dir string
	rdb *redis.Client
}

func start(bin string, port, conns int, args ...string) (*server, error) {
	dir, err := os.MkdirTemp("", "zipf-srv-")
	if err != nil {
		return nil, err
	}
	args = append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir}, args...)
	cmd := exec.Command(bin, args...)
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &server{cmd: cmd, dir: dir, rdb: redis.NewClient(&redis.Options{
		Addr: fmt.Sprintf("127.0.0.1:%d", port), PoolSize: conns + 2, Protocol: 2,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second})}
	for i := 0; ; i++ {
		if s.rdb.Ping(context.Background()).Err() == nil {
			return s, nil
		}
		if i > 600 {
			out, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			s.stop()
			return nil, fmt.Errorf("%s did not start: %s", filepath.Base(bin), out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) stop() {
	s.rdb.Close()
	s.cmd.Process.Kill()
	s.cmd.Wait()
	os.RemoveAll(s.dir)
}

// info reads one numeric INFO field (-1 when absent).
func (s *server) info(name string) int64 {
	txt, _ := s.rdb.Info(context.Background(), "everything").Result()
	for _, line := range strings.Split(txt, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// load SETs keys [0, n) in parallel pipelines.
func (s *server) load(n int, cfg config) error {
	val := strings.Repeat("v", cfg.vsize)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, cfg.conns)
	for c := 0; c < cfg.conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1000)) - 1000
				if i >= n {
					return
				}
				pipe := s.rdb.Pipeline()
				for k := i; k < min(i+1000, n); k++ {
					pipe.Set(context.Background(), keyName(k), val, 0)
				}
				if _, err := pipe.Exec(context.Background()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// diskcachedBudget loads every key into a diskcached without a limit and
// returns share × used_memory once used_memory has stopped moving (the page
// scan measured the ratio on the flushed data).
func diskcachedBudget(bin string, port int, cfg config) (budget, full int64, err error) {
	// An allkeys policy without a limit: every key gets its order-index
	// entry, as in the runs (the entry has the same size under every policy).
	s, err := start(bin, port, cfg.conns, "--appendfsync", "no", "--loglevel", "warning", "--maxmemory-policy", "allkeys-lru")
	if err != nil {
		return 0, 0, err
	}
	defer s.stop()
	if err := s.load(cfg.keys, cfg); err != nil {
		return 0, 0, err
	}
	last, same := int64(-1), 0
	for i := 0; i < 120 && (same < 12 || i < 20); i++ {
		time.Sleep(time.Second)
		u := s.info("used_memory")
		if u == last {
			same++
		} else {
			same = 0
		}
		last = u
	}
	return int64(float64(last) * cfg.share), last, nil
}

// runDiskcached replays the trace through a fresh diskcached with the
// budget and policy.
func runDiskcached(bin string, port int, trace []int32, cfg config, policy string, budget int64, compact bool) result {
	s, err := start(bin, port, cfg.conns, "--appendfsync", "no", "--loglevel", "warning",
		"--maxmemory", strconv.FormatInt(budget, 10), "--maxmemory-policy", policy)
	if err != nil {
		return result{err: err}
	}
	defer s.stop()
	r := replay(s, trace, cfg)
	if os.Getenv("ZIPF_DEBUG") != "" {
		fmt.Printf("%s: used_memory %d logical %d keys %d evicted %d\n", policy, s.info("used_memory"), s.info("disk_logical_bytes"), r.held, r.evicted)
	}
	if r.err == nil && compact {
		time.Sleep(2 * time.Second) // let the last writes reach bbolt
		before := s.info("disk_file_bytes")
		used := s.info("used_memory")
		if err := s.rdb.Do(context.Background(), "bgrewriteaof").Err(); err != nil {
			fmt.Printf("BGREWRITEAOF: %v\n", err)
		}
		after := before
		for i := 0; i < 300 && after == before; i++ {
			time.Sleep(100 * time.Millisecond)
			after = s.info("disk_file_bytes")
		}
		fmt.Printf("diskcached allkeys-lru after the replay: used_memory %d (maxmemory %d), file %d bytes (%.1f× the budget); after BGREWRITEAOF %d bytes (%.1f×)\n",
			used, budget, before, float64(before)/float64(budget), after, float64(after)/float64(budget))
	}
	return r
}

// runRedis replays the trace through a fresh redis-server whose maxmemory is
// the RAM share × keys take in it.
func runRedis(bin string, port int, trace []int32, cfg config, policy string) result {
	s, err := start(bin, port, cfg.conns, "--save", "", "--appendonly", "no")
	if err != nil {
		return result{err: err}
	}
	defer s.stop()
	ctx := context.Background()
	base := s.info("used_memory")
	target := int(float64(cfg.keys) * cfg.share)
	if err := s.load(target, cfg); err != nil {
		return result{err: err}
	}
	limit := s.info("used_memory")
	perKey := float64(limit-base) / float64(target)
	s.rdb.ConfigSet(ctx, "maxmemory-policy", policy)
	// Calibrate once: client buffers of the pipelining connections count in
	// Redis's used_memory too, so a warm-up replay (a quarter of the trace)
	// shows how many keys the limit really holds; correct it by the keys
	// missing × bytes per key.
	for pass := 0; pass < 2; pass++ {
		s.rdb.FlushAll(ctx)
		s.rdb.ConfigSet(ctx, "maxmemory", strconv.FormatInt(limit, 10))
		if pass == 1 {
			break
		}
		if w := replay(s, trace[:len(trace)/4], cfg); w.err != nil {
			return w
		} else {
			limit += int64(float64(int64(target)-w.held) * perKey)
		}
	}
	r := replay(s, trace, cfg)
	r.limit = limit
	return r
}

// replay runs the trace: conns workers take depth requests at a time in
// trace order; GETs are pipelined, then the misses are SET in a second
// pipeline.
func replay(s *server, trace []int32, cfg config) result {
	ctx := context.Background()
	val := strings.Repeat("v", cfg.vsize)
	var next, hits, fails atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, cfg.conns)
	t0 := time.Now()
	for c := 0; c < cfg.conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gets := make([]*redis.StringCmd, 0, cfg.depth)
			for {
				i := int(next.Add(int64(cfg.depth))) - cfg.depth
				if i >= len(trace) {
					return
				}
				batch := trace[i:min(i+cfg.depth, len(trace))]
				pipe := s.rdb.Pipeline()
				gets = gets[:0]
				for _, k := range batch {
					gets = append(gets, pipe.Get(ctx, keyName(int(k))))
				}
				if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
					errc <- err
					return
				}
				sets := s.rdb.Pipeline()
				for j, g := range gets {
					if g.Err() == nil {
						hits.Add(1)
					} else {
						sets.Set(ctx, keyName(int(batch[j])), val, 0)
					}
				}
				if sets.Len() > 0 {
					cmds, _ := sets.Exec(ctx)
					for _, c := range cmds {
						if c.Err() != nil {
							fails.Add(1)
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(t0)
	select {
	case err := <-errc:
		return result{err: err}
	default:
	}
	held, _ := s.rdb.DBSize(ctx).Result()
	return result{hit: float64(hits.Load()) / float64(len(trace)), held: held,
		rate: float64(len(trace)) / took.Seconds(), evicted: s.info("evicted_keys"),
		used: s.info("used_memory"), setFails: fails.Load()}
}
