package eviction

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/diskcached/diskcached/engine"
)

// writeLoad runs writers that gate each write on OverLimit (as the server
// does for denyoom commands) until stop; it returns the acknowledged keys.
func writeLoad(db *engine.DB, writers int, stop <-chan struct{}, maxSize int) (*sync.Map, *atomic.Int64) {
	acked := &sync.Map{}
	var n atomic.Int64
	for w := 0; w < writers; w++ {
		go func(w int) {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if db.OverLimit() {
					time.Sleep(time.Millisecond)
					continue
				}
				k := fmt.Sprintf("w%d:%d", w, i)
				v := make([]byte, 100+r.IntN(maxSize))
				if db.Update(func(tx *engine.Tx) error {
					tx.Put(0, []byte(k), &engine.Meta{Type: engine.TypeString, Value: v})
					return nil
				}) == nil {
					acked.Store(k, len(v))
					n.Add(1)
				}
			}
		}(w)
	}
	return acked, &n
}

func TestEvictor_Budget64MB_HoldsAndFileStopsGrowing(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s load test")
	}
	const budget = 64 << 20
	dir := t.TempDir()
	db, err := engine.Open(engine.Options{Dir: dir, Fsync: engine.FsyncNo, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ev := Start(ctx, db, Options{MeasureInterval: 200 * time.Millisecond}, zerolog.Nop())
	defer func() { cancel(); ev.Wait() }()
	db.SetEvictPolicy(engine.PolicyAllKeysLRU)
	db.SetMaxMemory(budget)

	stop := make(chan struct{})
	_, writes := writeLoad(db, 8, stop, 8<<10)
	dur := 30 * time.Second
	if s := os.Getenv("EVICTION_BUDGET_SECONDS"); s != "" {
		fmt.Sscan(s, &dur)
		dur *= time.Second
	}
	var maxUsed, maxInUse int64
	var fileAt [3]int64
	start := time.Now()
	for tick := time.NewTicker(100 * time.Millisecond); time.Since(start) < dur; <-tick.C {
		u := db.Usage()
		maxUsed = max(maxUsed, u.UsedBytes)
		maxInUse = max(maxInUse, u.InUseBytes)
		if u.UsedBytes > budget*105/100 {
			close(stop)
			t.Fatalf("at %v used %d > budget %d + 5%% (in use %d, ratio %.2f)", time.Since(start), u.UsedBytes, budget, u.InUseBytes, u.Ratio)
		}
		third := int(3 * time.Since(start) / dur)
		if third < 3 {
			fileAt[third] = u.FileBytes
		}
	}
	close(stop)
	u := db.Usage()
	t.Logf("writes %d, evicted %d, max used %d (%.1f%% of budget), max in-use %d, ratio %.2f, file %v",
		writes.Load(), db.Stats().EvictedKeys.Load(), maxUsed, 100*float64(maxUsed)/budget, maxInUse, u.Ratio, fileAt)
	if db.Stats().EvictedKeys.Load() == 0 {
		t.Fatal("nothing was evicted: the load did not reach the budget")
	}
	// The file may grow while the ratio settles, then must stop: allow one
	// bbolt grow over the last two thirds (it extends the file to the size
	// needed plus its 16 MiB allocation step, so one grow adds < 32 MiB).
	if fileAt[2] > fileAt[1]+32<<20 {
		t.Fatalf("file still growing: %v", fileAt)
	}
}

func TestCompaction_UnderConcurrentWrites_ShrinksAndLosesNothing(t *testing.T) {
	dir := t.TempDir()
	db, err := engine.Open(engine.Options{Dir: dir, Fsync: engine.FsyncNo, OverlaySize: 1 << 20, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	// Fill, then delete most of it: free pages the file keeps.
	for b := 0; b < 40; b++ {
		db.Update(func(tx *engine.Tx) error {
			for i := 0; i < 500; i++ {
				tx.Put(0, []byte(fmt.Sprintf("old%d:%d", b, i)), &engine.Meta{Type: engine.TypeString, Value: make([]byte, 2000)})
			}
			return nil
		})
	}
	for b := 0; b < 40; b++ {
		db.Update(func(tx *engine.Tx) error {
			for i := 0; i < 500; i++ {
				if i%10 != 0 {
					tx.Delete(0, []byte(fmt.Sprintf("old%d:%d", b, i)))
				}
			}
			return nil
		})
	}
	// Let the overlay reach bbolt.
	time.Sleep(500 * time.Millisecond)
	before := db.Usage()

	stop := make(chan struct{})
	acked, _ := writeLoad(db, 4, stop, 1000)
	if err := db.StartCompaction(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for db.Compaction().Running || db.Compaction().Last.At.IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("compaction did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	time.Sleep(50 * time.Millisecond)
	res := db.Compaction().Last
	if res.Err != "" {
		t.Fatal(res.Err)
	}
	t.Logf("compaction: %d → %d bytes in %v (before: file %d, free %d)", res.BeforeBytes, res.AfterBytes, res.Took, before.FileBytes, before.FreeBytes)
	if res.AfterBytes >= res.BeforeBytes {
		t.Fatalf("file did not shrink: %d → %d", res.BeforeBytes, res.AfterBytes)
	}
	check := func(db *engine.DB) {
		t.Helper()
		missing := 0
		acked.Range(func(k, v any) bool {
			var ok bool
			db.View(func(tx *engine.Tx) error {
				m, found, _ := tx.Lookup(0, []byte(k.(string)))
				ok = found && len(m.Value) == v.(int)
				return nil
			})
			if !ok {
				missing++
			}
			return true
		})
		for b := 0; b < 40; b++ {
			if !existsKey(db, fmt.Sprintf("old%d:%d", b, 0)) || existsKey(db, fmt.Sprintf("old%d:%d", b, 1)) {
				t.Fatalf("pre-compaction data wrong in batch %d", b)
			}
		}
		if missing > 0 {
			t.Fatalf("%d acknowledged writes lost", missing)
		}
	}
	check(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = engine.Open(engine.Options{Dir: dir, Fsync: engine.FsyncNo, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check(db)
}

func existsKey(db *engine.DB, k string) bool {
	var ok bool
	db.View(func(tx *engine.Tx) error { ok = tx.Exists(0, []byte(k)); return nil })
	return ok
}

func TestCompactFile_ClosedStore_ShrinksKeepsData(t *testing.T) {
	dir := t.TempDir()
	db, err := engine.Open(engine.Options{Dir: dir, Fsync: engine.FsyncNo, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	for b := 0; b < 20; b++ {
		db.Update(func(tx *engine.Tx) error {
			for i := 0; i < 500; i++ {
				k := []byte(fmt.Sprintf("k%d:%d", b, i))
				tx.Put(0, k, &engine.Meta{Type: engine.TypeString, Value: make([]byte, 2000)})
			}
			return nil
		})
	}
	db.Update(func(tx *engine.Tx) error {
		for b := 0; b < 20; b++ {
			for i := 1; i < 500; i++ {
				tx.Delete(0, []byte(fmt.Sprintf("k%d:%d", b, i)))
			}
		}
		return nil
	})
	logical := db.LogicalBytes()
	db.Close()
	path := dir + "/" + engine.FileName
	before, after, err := engine.CompactFile(path, path+engine.CompactSuffix, true)
	if err != nil {
		t.Fatal(err)
	}
	if after >= before/2 {
		t.Fatalf("compaction %d → %d: expected at least half back", before, after)
	}
	db, err = engine.Open(engine.Options{Dir: dir, Fsync: engine.FsyncNo, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.LogicalBytes() != logical {
		t.Fatalf("logical size %d after compaction, want %d", db.LogicalBytes(), logical)
	}
	for b := 0; b < 20; b++ {
		if !existsKey(db, fmt.Sprintf("k%d:0", b)) || existsKey(db, fmt.Sprintf("k%d:1", b)) {
			t.Fatalf("data wrong after compaction (batch %d)", b)
		}
	}
}
