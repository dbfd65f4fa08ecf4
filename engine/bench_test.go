package engine

// Engine benchmarks: put, get and delete through the same transactions the
// server uses. Compare runs with benchstat, e.g.
//
//	go test ./engine -run '^$' -bench . -count 6 > new.txt
//	benchstat old.txt new.txt

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"
)

const benchKeys = 100_000

func benchKey(buf []byte, i uint64) []byte {
	buf = append(buf[:0], "key:"...)
	return binary.BigEndian.AppendUint64(buf, i)
}

func preload(b *testing.B, db *DB, n int) {
	b.Helper()
	val := make([]byte, 100)
	for start := 0; start < n; start += 1000 {
		db.Update(func(tx *Tx) error {
			var kb []byte
			for i := start; i < start+1000 && i < n; i++ {
				kb = benchKey(kb, uint64(i))
				tx.Put(0, kb, &Meta{Type: TypeString, Value: val})
			}
			return nil
		})
	}
}

// BenchmarkPut measures random overwrites from many goroutines, each
// Update a single put, so batching comes only from concurrency (as with
// many clients at pipeline depth 1).
func BenchmarkPut(b *testing.B) {
	for _, mode := range []Fsync{FsyncNo, FsyncEverySec, FsyncAlways} {
		b.Run(mode.String(), func(b *testing.B) {
			db := openTest(b, "", mode)
			defer db.Close()
			preload(b, db, benchKeys)
			val := make([]byte, 100)
			b.SetParallelism(25) // 50 writers on 2 cores, like redis-benchmark -c 50
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
				var kb []byte
				for pb.Next() {
					kb = benchKey(kb, rng.Uint64N(benchKeys))
					db.Update(func(tx *Tx) error {
						tx.Put(0, kb, &Meta{Type: TypeString, Value: val})
						return nil
					})
				}
			})
		})
	}
}

// BenchmarkPutPipelined measures 16 puts per Update (a pipeline of 16) over
// a 1M-key space, per overlay size (the memory/throughput trade-off: a
// larger memtable puts more entries on each bbolt page it flushes).
func BenchmarkPutPipelined(b *testing.B) {
	for _, mb := range []int64{8, 32} {
		b.Run(fmt.Sprintf("overlay=%dMiB", mb), func(b *testing.B) { benchPutPipelined(b, mb<<20) })
	}
}

func benchPutPipelined(b *testing.B, overlay int64) {
	db := openBenchDB(b, overlay)
	preload(b, db, benchKeys)
	runPipelinedPuts(b, []*DB{db})
}

// openBenchDB opens an everysec engine with the given overlay size, closed
// when the benchmark ends.
func openBenchDB(b *testing.B, overlay int64) *DB {
	db, err := Open(Options{Dir: b.TempDir(), Fsync: FsyncEverySec, OverlaySize: overlay, Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// runPipelinedPuts times pipelines of 16 random puts over 1 M keys from 50
// writers, each pipeline sent to one engine of dbs chosen at random, and
// reports puts/s.
func runPipelinedPuts(b *testing.B, dbs []*DB) {
	val := make([]byte, 100)
	b.SetParallelism(25)
	b.ResetTimer()
	var ops atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(rand.Uint64(), 2))
		var kb []byte
		for pb.Next() {
			dbs[rng.IntN(len(dbs))].Update(func(tx *Tx) error {
				for i := 0; i < 16; i++ {
					kb = benchKey(kb, rng.Uint64N(1_000_000))
					tx.Put(0, kb, &Meta{Type: TypeString, Value: val})
				}
				return nil
			})
			ops.Add(16)
		}
	})
	b.ReportMetric(float64(ops.Load())/b.Elapsed().Seconds(), "puts/s")
}

// BenchmarkGet measures random point reads, one View each.
func BenchmarkGet(b *testing.B) {
	db := openTest(b, "", FsyncNo)
	defer db.Close()
	preload(b, db, benchKeys)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(rand.Uint64(), 3))
		var kb []byte
		for pb.Next() {
			kb = benchKey(kb, rng.Uint64N(benchKeys))
			db.View(func(tx *Tx) error {
				if _, ok, _ := tx.Lookup(0, kb); !ok {
					b.Error("missing key")
				}
				return nil
			})
		}
	})
}

// BenchmarkDelete measures deletes, walking the preloaded keys in order
// (once they are all gone, later deletes are misses: use -benchtime below
// the key count for hit-only figures).
func BenchmarkDelete(b *testing.B) {
	db := openTest(b, "", FsyncNo)
	defer db.Close()
	preload(b, db, benchKeys)
	b.ResetTimer()
	var next atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		var kb []byte
		for pb.Next() {
			i := next.Add(1) % benchKeys
			kb = benchKey(kb, i)
			db.Update(func(tx *Tx) error {
				tx.Delete(0, kb)
				return nil
			})
		}
	})
}

// BenchmarkShardedPut measures what spreading the keyspace over several
// bbolt files (DiskCache's FanoutCache) would buy: N independent engines,
// each with its own committer, log and flusher, with writers routed by key
// hash, in steady state (enough writes that memtables flush). The total
// overlay memory is the same (32 MiB) whatever the shard count, so the
// comparison is at equal resident memory.
func BenchmarkShardedPut(b *testing.B) {
	for _, shards := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			dbs := make([]*DB, shards)
			for i := range dbs {
				dbs[i] = openBenchDB(b, 32<<20/int64(shards))
			}
			runPipelinedPuts(b, dbs)
		})
	}
}
