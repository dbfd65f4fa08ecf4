package resp

import (
	"fmt"
	"testing"
)

// TestBlocking_Servable_WaitsForWokenWaiterAhead: while a waiter woken by a
// push is being served, another blocked client (one whose first attempt
// came late) may not take from that key; it may once the woken waiter has
// left, and keys nobody is served from stay available throughout.
func TestBlocking_Servable_WaitsForWokenWaiterAhead(t *testing.T) {
	b := newBlockState()
	newWaiter := waiterMaker(b)
	keys := [][]byte{[]byte("blist"), []byte("other")}
	w1 := newWaiter(1, 1e9, "blist")
	w2 := newWaiter(2, 2e9, "blist", "other")
	b.mu.Lock()
	b.wakeLocked(w1) // the push wakes the first waiter
	b.mu.Unlock()
	if got := fmt.Sprintf("%q", b.servable(2, 0, keys)); got != `["other"]` {
		t.Fatalf("second waiter may take %s while the first is served, want only other", got)
	}
	if got := fmt.Sprintf("%q", b.servable(1, 0, keys)); got != `["blist" "other"]` {
		t.Fatalf("the woken waiter may take %s", got)
	}
	if got := fmt.Sprintf("%q", b.servable(3, 0, keys)); got != `["blist" "other"]` {
		t.Fatalf("a client that is not blocked (MULTI) may take %s", got)
	}
	b.unregister(w1) // fails or is served: the wake-up passes to w2
	if !w2.woken {
		t.Fatal("the wake-up was not handed on")
	}
	if got := fmt.Sprintf("%q", b.servable(2, 0, keys)); got != `["blist" "other"]` {
		t.Fatalf("after the first left the second may take %s", got)
	}
}

func waiterMaker(b *blockState) func(id int64, at int64, keys ...string) *waiter {
	return func(id int64, at int64, keys ...string) *waiter {
		c := &Client{ID: id}
		c.lastActive.Store(at)
		w := &waiter{c: c, db: 0, keys: keys, wake: make(chan struct{}, 1), unblock: make(chan bool, 1)}
		b.register(w)
		return w
	}
}

// TestBlocking_Servable_WaitsForFirstAttemptAhead: a blocking command read
// after another (queued behind it) may not take from their common key
// before the first one's first attempt has run — a push that came in just
// after both must go to the first, as in Redis — and is woken to look
// again once it has.
func TestBlocking_Servable_WaitsForFirstAttemptAhead(t *testing.T) {
	b := newBlockState()
	newWaiter := waiterMaker(b)
	keys := [][]byte{[]byte("blist")}
	w1 := newWaiter(1, 1e9, "blist")
	w2 := newWaiter(2, 2e9, "blist")
	if got := fmt.Sprintf("%q", b.servable(2, 0, keys)); got != `[]` {
		t.Fatalf("the second waiter may take %s before the first tried", got)
	}
	if got := fmt.Sprintf("%q", b.servable(1, 0, keys)); got != `["blist"]` {
		t.Fatalf("the first waiter may take %s (a waiter behind must not hold it up)", got)
	}
	if w2.woken {
		t.Fatal("woken before the first attempt ahead ran")
	}
	b.firstDone(w1) // e.g. WRONGTYPE, or nothing to take
	if !w2.woken || len(w2.wake) != 1 {
		t.Fatal("the deferred waiter was not woken after the first attempt ahead")
	}
	b.mu.Lock()
	w2.woken = false // it looked again
	b.mu.Unlock()
	if got := fmt.Sprintf("%q", b.servable(2, 0, keys)); got != `["blist"]` {
		t.Fatalf("after the first attempt ahead the second may take %s", got)
	}
}
