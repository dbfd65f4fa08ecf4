package eviction

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/diskcached/diskcached/engine"
)

// harness is an engine with a running evictor and a fake clock: every
// operation happens 1 ms after the previous one, so orders have no ties.
type harness struct {
	t      *testing.T
	db     *engine.DB
	ev     *Evictor
	cancel context.CancelFunc
	now    int64

	// buffered leaves reads in the touch buffer when shrinking: eviction
	// must then follow the exact order by consulting the buffer itself.
	buffered bool
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	db, err := engine.Open(engine.Options{Dir: t.TempDir(), Fsync: engine.FsyncNo, Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, db: db, cancel: cancel, now: time.Now().UnixMilli() - 10_000_000}
	if opts.MeasureInterval == 0 {
		// These tests check orders: keep the page ratio fixed (a mass
		// eviction leaves half-empty pages, which raises the measured ratio
		// until new writes refill them — see docs/eviction.md).
		opts.MeasureInterval = time.Hour
	}
	h.ev = Start(ctx, db, opts, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	t.Cleanup(func() {
		cancel()
		h.ev.Wait()
		db.Close()
	})
	return h
}

func (h *harness) tick() int64 { h.now++; return h.now }

// set stores a string of n bytes; ttl > 0 gives it an expiry far ahead.
func (h *harness) set(key string, n int, volatile bool) {
	h.t.Helper()
	now := h.tick()
	err := h.db.Update(func(tx *engine.Tx) error {
		tx.Now = now
		m := &engine.Meta{Type: engine.TypeString, Value: make([]byte, n)}
		if volatile {
			m.ExpireAt = time.Now().UnixMilli() + 3_600_000 + now%1000
		}
		tx.Put(0, []byte(key), m)
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// get reads a key in a read transaction (an access) and reports a hit.
func (h *harness) get(key string) bool {
	now := h.tick()
	var ok bool
	h.db.View(func(tx *engine.Tx) error {
		tx.Now = now
		_, ok, _ = tx.Lookup(0, []byte(key))
		return nil
	})
	return ok
}

func (h *harness) exists(key string) bool {
	var ok bool
	h.db.View(func(tx *engine.Tx) error {
		ok = tx.Exists(0, []byte(key))
		return nil
	})
	return ok
}

// waitIndex waits until the order index serves the selected policy.
func (h *harness) waitIndex() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !h.db.IndexReady() {
		if time.Now().After(deadline) {
			h.t.Fatal("index not rebuilt in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// shrink sets the limit to frac of current usage and waits for the
// evictor to bring usage under it.
func (h *harness) shrink(frac float64) {
	h.t.Helper()
	if h.buffered {
		if h.db.PendingTouches() == 0 {
			h.t.Fatal("buffered: no reads left in the touch buffer (flushed early?)")
		}
	} else if err := h.ev.FlushTouches(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	limit := int64(float64(h.db.UsedBytes()) * frac)
	h.db.SetMaxMemory(limit)
	deadline := time.Now().Add(10 * time.Second)
	for h.db.UsedBytes() > limit {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			os.WriteFile("/tmp/evict-stacks.txt", buf[:runtime.Stack(buf, true)], 0o644)
			h.t.Fatalf("usage %d still over limit %d (logical %d, ratio %.2f, touches %d, evicted %d, index ready %v)",
				h.db.UsedBytes(), limit, h.db.LogicalBytes(), h.db.Ratio(), h.db.PendingTouches(),
				h.db.Stats().EvictedKeys.Load(), h.db.IndexReady())
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.db.SetMaxMemory(0) // freeze the result
	// A round ends only after its transactions committed: wait for one.
	if err := h.ev.FlushTouches(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

// model is an exact reference: a score per key, the smallest evicted first.
type model map[string][2]int64

// survivorsMatch checks that the surviving keys are exactly the keys with
// the highest scores (as many as survived), and that some were evicted.
func survivorsMatch(t *testing.T, h *harness, m model) {
	t.Helper()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := m[keys[i]], m[keys[j]]
		if a[0] != b[0] {
			return a[0] > b[0]
		}
		return a[1] > b[1]
	})
	alive := 0
	for _, k := range keys {
		if h.exists(k) {
			alive++
		}
	}
	if alive == 0 || alive == len(keys) {
		t.Fatalf("survivors = %d of %d: nothing (or everything) was evicted", alive, len(keys))
	}
	for i, k := range keys {
		if want := i < alive; h.exists(k) != want {
			t.Fatalf("key %s (rank %d, score %v): exists=%v, model says %v (%d survivors)", k, i, m[k], !want, want, alive)
		}
	}
	if got := h.db.Stats().EvictedKeys.Load(); got != int64(len(keys)-alive) {
		t.Fatalf("evicted_keys = %d, want %d", got, len(keys)-alive)
	}
}

// workload writes n keys, then mixes reads (skewed) and rewrites, keeping
// the reference scores with score(key, op) for each access kind.
func workload(h *harness, n int, volatile func(i int) bool, onWrite, onRead func(k string, now int64)) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("k%04d", i)
		h.set(k, 200, volatile(i))
		onWrite(k, h.now)
	}
	for j := 0; j < 4*n; j++ {
		i := int(r.ExpFloat64()*float64(n)/6) % n
		k := fmt.Sprintf("k%04d", i)
		if j%10 == 0 {
			h.set(k, 200, volatile(i))
			onWrite(k, h.now)
		} else if h.get(k) {
			onRead(k, h.now)
		}
	}
}

func all(int) bool { return false }

// bothWays runs a policy test with the touch buffer flushed before
// eviction, and with every read still buffered (a flush period longer
// than the test).
func bothWays(t *testing.T, run func(t *testing.T, h *harness)) {
	t.Run("flushed", func(t *testing.T) { run(t, newHarness(t, Options{})) })
	t.Run("buffered", func(t *testing.T) {
		h := newHarness(t, Options{TouchInterval: time.Hour})
		h.buffered = true
		run(t, h)
	})
}

func TestEvictor_AllKeysLRU_SurvivorsMatchExactModel(t *testing.T) {
	bothWays(t, func(t *testing.T, h *harness) {
		h.db.SetEvictPolicy(engine.PolicyAllKeysLRU)
		h.waitIndex()
		m := model{}
		touch := func(k string, now int64) { m[k] = [2]int64{now, 0} }
		workload(h, 1000, all, touch, touch)
		h.shrink(0.5)
		survivorsMatch(t, h, m)
	})
}

func TestEvictor_AllKeysLRS_ReadsDoNotCount(t *testing.T) {
	h := newHarness(t, Options{})
	h.db.SetEvictPolicy(engine.PolicyAllKeysLRS)
	h.waitIndex()
	m := model{}
	workload(h, 1000, all, func(k string, now int64) { m[k] = [2]int64{now, 0} }, func(string, int64) {})
	h.shrink(0.5)
	survivorsMatch(t, h, m)
}

func TestEvictor_AllKeysLFU_CountsAccessesTiesByRecency(t *testing.T) {
	bothWays(t, func(t *testing.T, h *harness) {
		h.db.SetLFUParams(0, 0) // log factor 0: every access counts; no decay
		h.db.SetEvictPolicy(engine.PolicyAllKeysLFU)
		h.waitIndex()
		m := model{}
		workload(h, 1000, all,
			func(k string, now int64) {
				if s, ok := m[k]; ok { // overwrite: the counter continues, +1 access
					m[k] = [2]int64{min(s[0]+1, 255), now}
				} else {
					m[k] = [2]int64{engine.LFUInitVal, now}
				}
			},
			func(k string, now int64) { m[k] = [2]int64{min(m[k][0]+1, 255), now} })
		h.shrink(0.5)
		survivorsMatch(t, h, m)
	})
}

func TestEvictor_VolatileTTL_SoonestExpiryFirstOnlyVolatile(t *testing.T) {
	h := newHarness(t, Options{})
	h.db.SetEvictPolicy(engine.PolicyVolatileTTL)
	h.waitIndex()
	for i := 0; i < 200; i++ {
		h.set(fmt.Sprintf("p%03d", i), 200, false)
	}
	m := model{}
	for i := 0; i < 600; i++ {
		k := fmt.Sprintf("v%03d", i)
		h.set(k, 200, true)
		h.db.View(func(tx *engine.Tx) error {
			mm, _, _ := tx.Lookup(0, []byte(k))
			m[k] = [2]int64{mm.ExpireAt, mm.AccessAt} // later expiry survives; ties by recency
			return nil
		})
	}
	h.shrink(0.6)
	for i := 0; i < 200; i++ {
		if !h.exists(fmt.Sprintf("p%03d", i)) {
			t.Fatalf("persistent key p%03d evicted under volatile-ttl", i)
		}
	}
	survivorsMatch(t, h, m)
}

func TestEvictor_NoEviction_OverLimitRefusesWrites(t *testing.T) {
	h := newHarness(t, Options{})
	for i := 0; i < 500; i++ {
		h.set(fmt.Sprintf("k%d", i), 500, false)
	}
	if h.db.OverLimit() {
		t.Fatal("over limit without a limit")
	}
	h.db.SetMaxMemory(h.db.UsedBytes() / 2)
	if !h.db.OverLimit() {
		t.Fatal("noeviction over the limit must refuse denyoom writes")
	}
	time.Sleep(50 * time.Millisecond)
	for i := 0; i < 500; i++ {
		if !h.exists(fmt.Sprintf("k%d", i)) {
			t.Fatal("noeviction evicted a key")
		}
	}
	h.db.SetMaxMemory(0)
	if h.db.OverLimit() {
		t.Fatal("still refusing after the limit was removed")
	}
}

func TestEvictor_VolatileLRU_NoVolatileKeys_OOM(t *testing.T) {
	h := newHarness(t, Options{})
	h.db.SetEvictPolicy(engine.PolicyVolatileLRU)
	h.waitIndex()
	for i := 0; i < 500; i++ {
		h.set(fmt.Sprintf("k%d", i), 500, false)
	}
	h.db.SetMaxMemory(h.db.UsedBytes() / 2)
	if !h.db.OverLimit() {
		t.Fatal("volatile-lru with no volatile keys must refuse writes over the limit")
	}
	if n := h.db.Stats().EvictedKeys.Load(); n != 0 {
		t.Fatalf("evicted %d persistent keys under volatile-lru", n)
	}
}

func TestEvictor_PolicySwitchAtRuntime_RebuildsIndex(t *testing.T) {
	h := newHarness(t, Options{})
	h.db.SetEvictPolicy(engine.PolicyAllKeysLRS)
	h.waitIndex()
	m := model{}
	touch := func(k string, now int64) { m[k] = [2]int64{now, 0} }
	// Under LRS reads are not recorded (the policy does not order by them),
	// so after the switch the LRU order is the order of last writes.
	workload(h, 20000, all, touch, func(string, int64) {}) // more keys than one rebuild batch
	h.db.SetEvictPolicy(engine.PolicyAllKeysLRU)
	h.waitIndex()
	h.shrink(0.5)
	survivorsMatch(t, h, m)
}

// The periodic flush writes buffered reads into the store (paced), so a
// crash loses at most about one period of recency.
func TestEvictor_PeriodicTouchFlush_EmptiesBuffer(t *testing.T) {
	h := newHarness(t, Options{TouchInterval: 50 * time.Millisecond})
	h.db.SetEvictPolicy(engine.PolicyAllKeysLRU)
	h.waitIndex()
	for i := 0; i < 7000; i++ { // more than one paced batch
		h.set(fmt.Sprintf("k%d", i), 10, false)
	}
	for i := 0; i < 7000; i++ {
		h.get(fmt.Sprintf("k%d", i))
	}
	if h.db.PendingTouches() == 0 {
		t.Fatal("reads were not buffered")
	}
	deadline := time.Now().Add(5 * time.Second)
	for h.db.PendingTouches() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d reads still buffered after 5 s", h.db.PendingTouches())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
