package tests

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// blockingClient returns a go-redis client on the shared server whose read
// timeout outlasts the blocking calls of these tests.
func blockingClient(t *testing.T) *redis.Client {
	t.Helper()
	srv := needShared(t)
	c := redis.NewClient(&redis.Options{Addr: srv.addr, DialTimeout: 2 * time.Second,
		ReadTimeout: 10 * time.Second, MaxRetries: -1, PoolSize: 4})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func bctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitBlocked waits until n clients are blocked, judged by the pushes they
// receive: it simply sleeps long enough for the BLPOP to have registered.
func waitBlocked() { time.Sleep(150 * time.Millisecond) }

func TestBlocking_BLPOP_WakesOnPushFromOtherConnection(t *testing.T) {
	ctx := bctx(t)
	a, b := blockingClient(t), blockingClient(t)
	a.Del(ctx, "bq1")
	got := make(chan []string, 1)
	go func() {
		v, err := a.BLPop(ctx, 5*time.Second, "bq-none", "bq1").Result()
		if err != nil {
			v = []string{"error", err.Error()}
		}
		got <- v
	}()
	waitBlocked()
	start := time.Now()
	if err := b.RPush(ctx, "bq1", "hello").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-got:
		if len(v) != 2 || v[0] != "bq1" || v[1] != "hello" {
			t.Fatalf("BLPOP returned %q", v)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("wake-up took %v", d)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("BLPOP not woken by RPUSH")
	}
	if n := b.Exists(ctx, "bq1").Val(); n != 0 {
		t.Fatalf("list should be gone after the pop, EXISTS = %d", n)
	}
}

func TestBlocking_TwoWaiters_FirstBlockedFirstServed(t *testing.T) {
	ctx := bctx(t)
	a, b, p := blockingClient(t), blockingClient(t), blockingClient(t)
	p.Del(ctx, "bq2")
	type res struct {
		who string
		val []string
	}
	out := make(chan res, 2)
	go func() { v, _ := a.BRPop(ctx, 5*time.Second, "bq2").Result(); out <- res{"a", v} }()
	waitBlocked()
	go func() { v, _ := b.BRPop(ctx, 5*time.Second, "bq2").Result(); out <- res{"b", v} }()
	waitBlocked()
	if err := p.LPush(ctx, "bq2", "first").Err(); err != nil {
		t.Fatal(err)
	}
	r1 := <-out
	if r1.who != "a" || len(r1.val) != 2 || r1.val[1] != "first" {
		t.Fatalf("first element went to %s (%q); want the first waiter", r1.who, r1.val)
	}
	p.LPush(ctx, "bq2", "second")
	r2 := <-out
	if r2.who != "b" || len(r2.val) != 2 || r2.val[1] != "second" {
		t.Fatalf("second element: %s %q", r2.who, r2.val)
	}
}

func TestBlocking_Timeout_ReturnsNil(t *testing.T) {
	ctx := bctx(t)
	a := blockingClient(t)
	a.Del(ctx, "bq3")
	start := time.Now()
	_, err := a.BLPop(ctx, 300*time.Millisecond, "bq3").Result()
	if !errors.Is(err, redis.Nil) {
		t.Fatalf("BLPOP timeout: err = %v, want redis.Nil", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
		t.Fatalf("timeout after %v, want ≈300ms", d)
	}
	// Decimal timeouts and BLMOVE time out the same way.
	_, err = a.BLMove(ctx, "bq3", "bq3d", "LEFT", "RIGHT", 150*time.Millisecond).Result()
	if !errors.Is(err, redis.Nil) {
		t.Fatalf("BLMOVE timeout: err = %v", err)
	}
}

func TestBlocking_DisconnectedWaiter_DoesNotEatElement(t *testing.T) {
	ctx := bctx(t)
	srv := needShared(t)
	p := blockingClient(t)
	p.Del(ctx, "bq4")
	// A raw connection blocks, then goes away without reading a reply.
	rc := mustDial(t, srv.addr)
	if err := rc.WriteRaw(encodeCommand("BLPOP", "bq4", "0")); err != nil {
		t.Fatal(err)
	}
	waitBlocked()
	rc.Close()
	// Push at once: the waiter may not have noticed the disconnection yet.
	if err := p.RPush(ctx, "bq4", "keep").Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := p.LLen(ctx, "bq4").Val(); n != 1 {
		t.Fatalf("LLEN after push = %d: a disconnected waiter consumed the element", n)
	}
	// A live waiter still gets served afterwards.
	v, err := p.BLPop(ctx, time.Second, "bq4").Result()
	if err != nil || v[1] != "keep" {
		t.Fatalf("BLPOP = %q, %v", v, err)
	}
}

func TestBlocking_BLMOVE_WakesAndPushesDestination(t *testing.T) {
	ctx := bctx(t)
	a, p := blockingClient(t), blockingClient(t)
	p.Del(ctx, "bq5", "bq5d")
	p.RPush(ctx, "bq5d", "old")
	got := make(chan string, 1)
	go func() {
		v, err := a.BLMove(ctx, "bq5", "bq5d", "RIGHT", "LEFT", 5*time.Second).Result()
		if err != nil {
			v = "error: " + err.Error()
		}
		got <- v
	}()
	waitBlocked()
	p.RPush(ctx, "bq5", "x", "y")
	select {
	case v := <-got:
		if v != "y" {
			t.Fatalf("BLMOVE returned %q, want y", v)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("BLMOVE not woken")
	}
	if d := p.LRange(ctx, "bq5d", 0, -1).Val(); len(d) != 2 || d[0] != "y" || d[1] != "old" {
		t.Fatalf("destination = %q", d)
	}
	if s := p.LRange(ctx, "bq5", 0, -1).Val(); len(s) != 1 || s[0] != "x" {
		t.Fatalf("source = %q", s)
	}
}

// A BLMOVE destination that somebody else blocks on is a push too.
func TestBlocking_ChainedWaiters_WokenByLMove(t *testing.T) {
	ctx := bctx(t)
	a, b, p := blockingClient(t), blockingClient(t), blockingClient(t)
	p.Del(ctx, "bq6a", "bq6b")
	got := make(chan []string, 1)
	go func() { v, _ := b.BLPop(ctx, 5*time.Second, "bq6b").Result(); got <- v }()
	waitBlocked()
	go func() { a.BLMove(ctx, "bq6a", "bq6b", "LEFT", "LEFT", 5*time.Second) }()
	waitBlocked()
	p.RPush(ctx, "bq6a", "hop")
	select {
	case v := <-got:
		if len(v) != 2 || v[1] != "hop" {
			t.Fatalf("BLPOP got %q", v)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("waiter on the BLMOVE destination not woken")
	}
}

func TestBlocking_BLMPOP_CountAndWake(t *testing.T) {
	ctx := bctx(t)
	a, p := blockingClient(t), blockingClient(t)
	p.Del(ctx, "bq7")
	type res struct {
		key  string
		vals []string
		err  error
	}
	got := make(chan res, 1)
	go func() {
		k, v, err := a.BLMPop(ctx, 5*time.Second, "left", 2, "bq7-none", "bq7").Result()
		got <- res{k, v, err}
	}()
	waitBlocked()
	p.RPush(ctx, "bq7", "1", "2", "3")
	r := <-got
	if r.err != nil || r.key != "bq7" || len(r.vals) != 2 || r.vals[0] != "1" {
		t.Fatalf("BLMPOP = %q %q %v", r.key, r.vals, r.err)
	}
}

// Shutdown must not wait for clients blocked forever.
func TestBlocking_Shutdown_ReleasesBlockedClients(t *testing.T) {
	p := startDiskcached(t, "")
	rc := mustDial(t, p.addr)
	if err := rc.WriteRaw(encodeCommand("BLPOP", "never", "0")); err != nil {
		t.Fatal(err)
	}
	waitBlocked()
	start := time.Now()
	if err := p.stop(); err != nil {
		t.Fatalf("stop with a blocked client: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
}

// A push that wakes blocked clients is answered after they are served, a
// chain of them included (Redis serves blocked clients before it writes
// the pusher's reply): right after RPUSH list1 foo, with one client
// blocked in BRPOPLPUSH list1 list2 and another in BRPOPLPUSH list2 list1,
// foo is back in list1 (Redis's TCL "Circular BRPOPLPUSH").
func TestBlocking_PushAnsweredAfterWokenClientsServed(t *testing.T) {
	ctx := bctx(t)
	a, b, c := blockingClient(t), blockingClient(t), blockingClient(t)
	for round := range 20 {
		c.Del(ctx, "circ1{t}", "circ2{t}")
		moved := make(chan error, 2)
		go func() { moved <- a.BRPopLPush(ctx, "circ1{t}", "circ2{t}", 5*time.Second).Err() }()
		go func() { moved <- b.BRPopLPush(ctx, "circ2{t}", "circ1{t}", 5*time.Second).Err() }()
		deadline := time.Now().Add(3 * time.Second)
		for {
			info, _ := c.Info(ctx, "clients").Result()
			if strings.Contains(info, "blocked_clients:2") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the two clients never blocked")
			}
			time.Sleep(2 * time.Millisecond)
		}
		if err := c.RPush(ctx, "circ1{t}", "foo").Err(); err != nil {
			t.Fatal(err)
		}
		l1, _ := c.LRange(ctx, "circ1{t}", 0, -1).Result()
		l2, _ := c.LRange(ctx, "circ2{t}", 0, -1).Result()
		if len(l1) != 1 || l1[0] != "foo" || len(l2) != 0 {
			t.Fatalf("round %d: right after RPUSH list1 is %q and list2 %q, want [foo] and []", round, l1, l2)
		}
		for range 2 {
			if err := <-moved; err != nil {
				t.Fatal(err)
			}
		}
	}
}
