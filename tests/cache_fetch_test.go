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

// fetch runs CACHE.FETCH and splits its [value, state, token] reply.
func fetch(t testing.TB, c *redis.Client, args ...any) (value any, state string, token string) {
	t.Helper()
	res, err := c.Do(context.Background(), append([]any{"CACHE.FETCH"}, args...)...).Slice()
	if err != nil || len(res) != 3 {
		t.Errorf("CACHE.FETCH %v: %v %v", args, res, err)
		return nil, "", ""
	}
	state, _ = res[1].(string)
	token, _ = res[2].(string)
	return res[0], state, token
}

// TestCache_Fetch_FiftyCallersOneLoader: 50 concurrent callers on a missing
// key; exactly one gets the lease, computes and fills; all receive the value.
func TestCache_Fetch_FiftyCallersOneLoader(t *testing.T) {
	srv := startDiskcached(t, "")
	var loads atomic.Int32
	var wg sync.WaitGroup
	states := make(chan string, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: srv.addr, ReadTimeout: 20 * time.Second, MaxRetries: -1})
			defer c.Close()
			v, state, token := fetch(t, c, "page", "5000", "TIMEOUT", "10000")
			if token != "" {
				loads.Add(1)
				time.Sleep(300 * time.Millisecond) // the slow loader
				if err := c.Do(context.Background(), "CACHE.FILL", "page", token, "rendered", "EX", "60").Err(); err != nil {
					t.Errorf("FILL: %v", err)
				}
				v = "rendered"
			}
			if v != "rendered" {
				t.Errorf("state %s got value %v", state, v)
			}
			states <- state
		}()
	}
	wg.Wait()
	close(states)
	count := map[string]int{}
	for s := range states {
		count[s]++
	}
	if loads.Load() != 1 || count["compute"] != 1 || count["compute"]+count["wait"]+count["hit"] != 50 {
		t.Fatalf("loads %d, states %v", loads.Load(), count)
	}
	c := newGoRedis(t, srv.addr, 2)
	cwant(t, c, "[rendered hit <nil>]", "CACHE.FETCH", "page", "1000")
}

// TestCache_Fetch_LeaseExpiryHandsOver: a holder that never fills loses the
// lease to the first waiter when it expires; its late FILL is refused; the
// new holder's FILL wakes the other waiter.
func TestCache_Fetch_LeaseExpiryHandsOver(t *testing.T) {
	srv := startDiskcached(t, "")
	a := newGoRedis(t, srv.addr, 3)
	_, state, tokA := fetch(t, a, "k", "300")
	if state != "compute" || tokA == "" {
		t.Fatalf("first caller: %s %q", state, tokA)
	}
	type res struct {
		v            any
		state, token string
		after        time.Duration
	}
	start := time.Now()
	bRes, cRes := make(chan res, 1), make(chan res, 1)
	go func() {
		b := newGoRedis(t, srv.addr, 3)
		v, s, tk := fetch(t, b, "k", "5000", "TIMEOUT", "5000")
		bRes <- res{v, s, tk, time.Since(start)}
	}()
	time.Sleep(50 * time.Millisecond) // B queues first
	go func() {
		c := newGoRedis(t, srv.addr, 3)
		v, s, tk := fetch(t, c, "k", "5000", "TIMEOUT", "5000")
		cRes <- res{v, s, tk, time.Since(start)}
	}()
	b := <-bRes
	if b.state != "compute" || b.token == "" || b.token == tokA || b.after < 250*time.Millisecond {
		t.Fatalf("second caller: %+v (want the lease after ~300 ms)", b)
	}
	cerr(t, a, "ERR lease token does not match (the lease expired and passed on, or the key was filled)", "CACHE.FILL", "k", tokA, "late")
	time.Sleep(100 * time.Millisecond)
	cwant(t, a, "OK", "CACHE.FILL", "k", b.token, "fresh", "PX", "60000", "TAG", "t")
	cr := <-cRes
	if cr.state != "wait" || cr.v != "fresh" || cr.token != "" {
		t.Fatalf("third caller: %+v", cr)
	}
	cwant(t, a, "t", "CACHE.GETTAG", "k")
	// no lease any more: a FILL with any token is accepted
	cwant(t, a, "OK", "CACHE.FILL", "k", "whatever", "v2")
}

func TestCache_Fetch_TimeoutXFetchAndErrors(t *testing.T) {
	srv := startDiskcached(t, "")
	c := newGoRedis(t, srv.addr, 2)
	_, _, tok := fetch(t, c, "slow", "10000")
	start := time.Now()
	cwant(t, c, "[<nil> timeout <nil>]", "CACHE.FETCH", "slow", "10000", "TIMEOUT", "150")
	if d := time.Since(start); d < 140*time.Millisecond || d > 2*time.Second {
		t.Fatalf("timeout after %v", d)
	}
	// inside MULTI a held lease answers timeout at once
	pipe := c.TxPipeline()
	pipe.Do(context.Background(), "CACHE.FETCH", "slow", "1000")
	cmds, err := pipe.Exec(context.Background())
	if err != nil || fmt.Sprint(cmds[0].(*redis.Cmd).Val()) != "[<nil> timeout <nil>]" {
		t.Fatalf("MULTI: %v %v", cmds, err)
	}
	// XFetch: a value computed in ~200 ms with 1 s left and a huge BETA is
	// recomputed early by exactly one caller; BETA 0 never recomputes early
	time.Sleep(200 * time.Millisecond)
	cwant(t, c, "OK", "CACHE.FILL", "slow", tok, "v1", "EX", "1")
	v, state, early := fetch(t, c, "slow", "1000", "BETA", "1000")
	if v != "v1" || state != "early" || early == "" {
		t.Fatalf("BETA 1000: %v %s %q", v, state, early)
	}
	cwant(t, c, "[v1 hit <nil>]", "CACHE.FETCH", "slow", "1000", "BETA", "1000")
	cwant(t, c, "[v1 hit <nil>]", "CACHE.FETCH", "slow", "1000")
	cwant(t, c, "OK", "CACHE.FILL", "slow", early, "v2", "EX", "100")
	cwant(t, c, "[v2 hit <nil>]", "CACHE.FETCH", "slow", "1000", "BETA", "1")

	cerr(t, c, "ERR lease-ms must be a positive integer", "CACHE.FETCH", "k", "0")
	cerr(t, c, "ERR BETA must be a non-negative float", "CACHE.FETCH", "k", "10", "BETA", "-1")
	cerr(t, c, "ERR syntax error", "CACHE.FETCH", "k", "10", "BETA")
	cerr(t, c, "ERR syntax error", "CACHE.FILL", "k", "tok", "v", "NX")
	cdo(t, c, "RPUSH", "list", "x")
	cerr(t, c, "WRONGTYPE Operation against a key holding the wrong kind of value", "CACHE.FETCH", "list", "10")
}
