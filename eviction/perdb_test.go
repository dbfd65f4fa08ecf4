package eviction

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/diskcached/diskcached/engine"
)

func (h *harness) setIn(d int, key string, n int) {
	h.t.Helper()
	now := h.tick()
	err := h.db.Update(func(tx *engine.Tx) error {
		tx.Now = now
		tx.Put(d, []byte(key), &engine.Meta{Type: engine.TypeString, Value: make([]byte, n)})
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) getIn(d int, key string) bool {
	now := h.tick()
	var ok bool
	h.db.View(func(tx *engine.Tx) error {
		tx.Now = now
		_, ok, _ = tx.Lookup(d, []byte(key))
		return nil
	})
	return ok
}

func (h *harness) existsIn(d int, key string) bool {
	var ok bool
	h.db.View(func(tx *engine.Tx) error { ok = tx.Exists(d, []byte(key)); return nil })
	return ok
}

// waitDBUnder waits until db d's used bytes are at most limit.
func (h *harness) waitDBUnder(d int, limit int64) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.db.DBUsedBytes(d) > limit {
		if time.Now().After(deadline) {
			h.t.Fatalf("db %d at %d bytes, still over %d", d, h.db.DBUsedBytes(d), limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// exactOrder checks that every key the model scores lower than some
// survivor is gone and vice versa: max(score of evicted) < min(score of
// survivors). It returns the number of survivors.
func exactOrder(t *testing.T, h *harness, d int, m map[string]int64) int {
	t.Helper()
	var maxGone, minAlive int64 = -1, 1 << 62
	alive := 0
	for k, s := range m {
		if h.existsIn(d, k) {
			alive++
			minAlive = min(minAlive, s)
		} else {
			maxGone = max(maxGone, s)
		}
	}
	if alive == 0 || alive == len(m) {
		t.Fatalf("%d of %d keys survive: nothing (or everything) evicted", alive, len(m))
	}
	if maxGone >= minAlive {
		t.Fatalf("not in exact order: an evicted key scored %d, a survivor %d", maxGone, minAlive)
	}
	return alive
}

// TestPerDB_LRU_TinyLimitExactOrder: db 1 has a 200 kB limit under
// allkeys-lru and no server-wide limit; its keys go in exact LRU order
// (reads buffered in the touch buffer included), it ends within 5 % of
// its limit, and db 2 (no limit) keeps every key.
func TestPerDB_LRU_TinyLimitExactOrder(t *testing.T) {
	h := newHarness(t, Options{})
	const limit = 200_000
	if err := h.db.SetDBSettings(1, engine.DBSettings{MaxMemory: limit, Policy: engine.PolicyAllKeysLRU, HasPolicy: true}); err != nil {
		t.Fatal(err)
	}
	access := map[string]int64{}
	r := rand.New(rand.NewPCG(3, 4))
	const n = 600
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("k%04d", i)
		h.setIn(1, k, 1000)
		access[k] = h.now
		h.setIn(2, k, 100)
		for j := 0; j < 2; j++ { // reads of recent keys keep them alive
			rk := fmt.Sprintf("k%04d", max(0, i-int(r.ExpFloat64()*40)))
			if h.getIn(1, rk) {
				access[rk] = h.now
			}
		}
	}
	h.waitDBUnder(1, limit)
	time.Sleep(50 * time.Millisecond) // a last round
	if h.db.PendingTouches() == 0 {
		t.Log("touch buffer empty (flushed)")
	}
	alive := exactOrder(t, h, 1, access)
	if used := h.db.DBUsedBytes(1); used > limit*105/100 || used < limit*95/100 {
		t.Fatalf("db 1 uses %d bytes, limit %d (%d keys alive)", used, limit, alive)
	}
	for i := 0; i < n; i++ {
		if !h.existsIn(2, fmt.Sprintf("k%04d", i)) {
			t.Fatalf("db 2 (no limit) lost k%04d", i)
		}
	}
	if got := h.db.Stats().EvictedKeys.Load(); got != int64(n-alive) {
		t.Fatalf("evicted_keys %d, want %d", got, n-alive)
	}

	// Runtime policy change: least recently stored. The order is rebuilt,
	// then a lower limit evicts by store time (reads no longer matter).
	stored := map[string]int64{}
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("k%04d", i)
		if h.existsIn(1, k) {
			h.setIn(1, k, 1000)
			stored[k] = h.now
		}
	}
	for i := n - 1; i >= 0; i-- { // reads in reverse: LRU would pick others
		h.getIn(1, fmt.Sprintf("k%04d", i))
	}
	if err := h.db.SetDBSettings(1, engine.DBSettings{MaxMemory: limit / 2, Policy: engine.PolicyAllKeysLRS, HasPolicy: true}); err != nil {
		t.Fatal(err)
	}
	h.waitDBUnder(1, limit/2)
	time.Sleep(50 * time.Millisecond)
	exactOrder(t, h, 1, stored)
}

// TestPerDB_NoEviction_Stuck: a db under noeviction past its limit is
// refused (DBOverLimit) and keeps its keys; other dbs are unaffected.
func TestPerDB_NoEviction_Stuck(t *testing.T) {
	h := newHarness(t, Options{})
	h.db.SetEvictPolicy(engine.PolicyAllKeysLRU) // server-wide: must not apply to db 3
	if err := h.db.SetDBSettings(3, engine.DBSettings{MaxMemory: 20_000, Policy: engine.PolicyNoEviction, HasPolicy: true}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		h.setIn(3, fmt.Sprintf("k%d", i), 1000)
	}
	time.Sleep(50 * time.Millisecond)
	if !h.db.DBOverLimit(3) {
		t.Fatalf("db 3 at %d bytes not refused", h.db.DBUsedBytes(3))
	}
	for i := 0; i < 40; i++ {
		if !h.existsIn(3, fmt.Sprintf("k%d", i)) {
			t.Fatalf("noeviction db lost k%d", i)
		}
	}
	if h.db.DBOverLimit(4) || h.db.OverLimit() {
		t.Fatal("another db (or the server) refused")
	}
	// Unset policy: the server-wide allkeys-lru applies to the db's limit.
	if err := h.db.SetDBSettings(3, engine.DBSettings{MaxMemory: 20_000}); err != nil {
		t.Fatal(err)
	}
	h.waitDBUnder(3, 20_000)
	if h.db.DBOverLimit(3) {
		t.Fatal("still refused after eviction")
	}
}
