// Package engine stores diskcached's keyspace: bbolt on disk, under a
// write-ahead log and an in-memory overlay of recent writes.
//
// Writes go through one committer goroutine: requests queued by every
// connection run in arrival order inside one transaction over the overlay;
// the batch is appended to the write-ahead log as one record (fdatasynced
// under appendfsync always), published to readers, and only then
// acknowledged (group commit). A flusher moves full memtables into bbolt in
// one large sorted transaction (always fsynced), then drops their log
// segments. Reads see the latest published batch and never write.
//
// A request's own error (a wrong type, a bad number) is its result, not the
// batch's: writes it made before failing stay, as in Redis, which never rolls
// back. Only an I/O error fails a whole batch.
package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"
)

// Fsync says when committed batches reach stable storage.
type Fsync int32

// Durability modes, named after Redis's appendfsync.
const (
	FsyncAlways   Fsync = iota // every batch is fsynced before its writes are acknowledged
	FsyncEverySec              // a ticker syncs once a second; a crash of the machine loses ≤ 1 s
	FsyncNo                    // sync only at shutdown (and SAVE)
)

// String returns the appendfsync spelling.
func (f Fsync) String() string {
	switch f {
	case FsyncAlways:
		return "always"
	case FsyncNo:
		return "no"
	}
	return "everysec"
}

// ParseFsync parses an appendfsync value.
func ParseFsync(s string) (Fsync, bool) {
	switch s {
	case "always":
		return FsyncAlways, true
	case "everysec":
		return FsyncEverySec, true
	case "no":
		return FsyncNo, true
	}
	return 0, false
}

// Options configure Open.
type Options struct {
	Dir            string        // data directory (created if missing)
	Fsync          Fsync         // durability mode
	Databases      int           // number of logical databases (default 16)
	ExpireInterval time.Duration // active expiry period (default 100 ms)
	GCInterval     time.Duration // reclaim period for dropped collections (default 100 ms)
	MaxBatch       int           // most requests in one commit (default 4096)
	OverlaySize    int64         // memtable size that triggers a flush to bbolt (default 32 MiB)
	// PageSize is the bbolt page size of a data file this store creates
	// (default DefaultPageSize); a file keeps the size it was created
	// with until a compaction rewrites it.
	PageSize int
	Logger   zerolog.Logger
}

// FileName is the bbolt file inside the data directory.
const FileName = "diskcached.db"

// ErrLocked is returned by Open when another process holds the data file.
var ErrLocked = errors.New("data directory is in use by another diskcached process")

// ErrClosed is returned for requests made after Close.
var ErrClosed = errors.New("engine: closed")

// DB is an open store.
type DB struct {
	bolt  *bolt.DB
	opts  Options
	log   zerolog.Logger
	fsync atomic.Int32

	reqs    chan *request
	closing chan struct{}
	closed  atomic.Bool
	wg      sync.WaitGroup
	cancel  context.CancelFunc
	closeMu sync.RWMutex // held shared by Update callers, exclusively by Close

	nextVersion uint64 // owned by the committer
	nextNS      uint32 // owned by the committer

	stats Stats
	hooks Hooks

	afterMu        sync.Mutex
	inBatch        bool     // the committer is running a batch
	after          []func() // work to run once that batch is durable and visible
	noActiveExpire atomic.Bool

	// The overlay (overlay.go).
	wal          *wal
	active       *memtable   // the committer's; readers see it only through view
	batchSeq     uint64      // the committer's batch counter (memItem.seq)
	flushMerge   atomic.Bool // the last flush pass was page-bound: merge the next (flush.go)
	activeBytes  atomic.Int64
	pubMu        sync.Mutex             // serialises publishers of view
	treeMu       sync.Mutex             // held while the active tree differs from view (overlay.go)
	readDemand   atomic.Int64           // when a reader last had to wait for a snapshot (unix ns)
	view         atomic.Pointer[layers] // what readers see
	flushCh      chan struct{}
	flushed      *sync.Cond // broadcast when a frozen memtable reached bbolt
	overlayLimit int64

	// swap.go: flushMu is held by the flusher around each flush and by a
	// compaction for its whole copy; boltMu is held shared by every bbolt
	// reader and exclusively by the file swap.
	flushMu sync.Mutex
	boltMu  sync.RWMutex
	lastErr atomic.Value // string: last background/commit error

	ev      evictState   // size accounting, eviction index, touch buffer (evict.go)
	dbl     dbLimits     // per-database limits, usage and order (dblimit.go)
	compact compactState // online compaction status (compact.go)

	// Online compaction seams (compact.go), to be set by the storage layer:
	// holdFlush stops bbolt from changing (the flusher waits; writes stay in
	// the overlay) until release; swapFile excludes bbolt readers, replaces
	// the open file with the compacted copy at path and reopens it.
	holdFlush func() (release func())
	swapFile  func(path string) error
}

// Hooks let upper layers observe engine events. Set them before serving;
// they run on the goroutine that caused the event, inside its transaction.
type Hooks struct {
	// Expired is called for each key removed because its time passed.
	Expired func(tx *Tx, db int, key []byte)
	// Modified is called for every write to a key (Put, Delete, expiry,
	// Modified), and with key == nil when a whole db changes (FLUSHDB,
	// SWAPDB). WATCH is built on it.
	Modified func(db int, key []byte)
	// Evicted is called for each key the evictor removes (maxmemory).
	Evicted func(tx *Tx, db int, key []byte)
}

// Stats are process-lifetime counters (reset by ResetStats).
type Stats struct {
	ExpiredKeys   atomic.Int64
	Commits       atomic.Int64
	CommitNanos   atomic.Int64
	BatchedWrites atomic.Int64
	Syncs         atomic.Int64
	GCReclaimed   atomic.Int64
	EvictedKeys   atomic.Int64 // keys removed by the evictor (maxmemory)
	Changes       atomic.Int64 // key writes and removals (INFO rdb_changes_since_last_save)
	Flushes       atomic.Int64 // memtables moved into bbolt
	FlushedBytes  atomic.Int64
}

type request struct {
	fn   func(*Tx) error
	err  error
	done chan struct{}
}

var requestPool = sync.Pool{New: func() any { return &request{done: make(chan struct{}, 1)} }}

// Open opens (creating if needed) the store in opts.Dir.
func Open(opts Options) (*DB, error) {
	if opts.Databases <= 0 {
		opts.Databases = 16
	}
	if opts.ExpireInterval <= 0 {
		opts.ExpireInterval = 100 * time.Millisecond
	}
	if opts.GCInterval <= 0 {
		opts.GCInterval = 100 * time.Millisecond
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 4096
	}
	if opts.OverlaySize <= 0 {
		opts.OverlaySize = 32 << 20
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(opts.Dir, FileName)
	if err := checkUncleanStart(opts, path); err != nil {
		return nil, err
	}
	bdb, err := bolt.Open(path, 0o644, boltOptions(opts.PageSize))
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w", opts.Dir, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{
		bolt:         bdb,
		opts:         opts,
		log:          opts.Logger,
		reqs:         make(chan *request, 8192),
		closing:      make(chan struct{}),
		flushCh:      make(chan struct{}, 1),
		overlayLimit: opts.OverlaySize,
	}
	db.flushed = sync.NewCond(&db.pubMu)
	db.initSeams()
	db.ev.init()
	db.SetFsync(opts.Fsync)
	if err := db.createBuckets(); err != nil {
		bdb.Close()
		return nil, err
	}
	replayed, lastSeg, err := db.recoverLog() // overlay.go
	if err != nil {
		bdb.Close()
		return nil, fmt.Errorf("replay write-ahead log: %w", err)
	}
	if db.wal, err = openWAL(opts.Dir, lastSeg); err != nil {
		bdb.Close()
		return nil, err
	}
	db.active = newMemtable()
	var imm []*memtable
	if replayed != nil {
		imm = []*memtable{replayed}
	}
	db.view.Store(&layers{mem: db.active.tree.Copy(), memt: db.active, imm: imm})
	if err := db.loadCounters(); err != nil {
		db.wal.close()
		bdb.Close()
		return nil, err
	}
	if err := writeRunningMarker(opts.Dir); err != nil {
		db.wal.close()
		bdb.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	db.cancel = cancel
	db.wg.Add(5)
	go db.commitLoop()
	go db.syncLoop(ctx)
	go db.expireLoop(ctx)
	go db.gcLoop(ctx)
	go db.flushLoop(ctx)
	if replayed != nil {
		db.flushCh <- struct{}{} // write the replayed log to bbolt
	}
	if err := db.loadUsage(); err != nil { // evict.go, usage.go
		db.Close()
		return nil, err
	}
	return db, nil
}

// DefaultPageSize is the bbolt page size of new data files: 16 KiB, four
// times the OS page. A flush of random keys over a large store rewrites
// nearly every leaf page whatever it carries, and bbolt's cost is largely
// per page (a node built per page, a spill, a pwrite, the kernel's
// writeback of each), so fewer, larger pages cost less per entry: with
// 1 M hash fields a pass of 217 k entries took ~0.85 s over 53 k pages of
// 4 KiB and ~0.45 s over 6.5 k of 32 KiB (~0.6 s for 326 k entries over
// 13 k of 16 KiB); SET P16 over 10 M keys, where most entries have a
// page to themselves, still ran ~45 % faster. The price: a point read of
// a key not in memory may fault up to four OS pages of a leaf instead of
// one, and a flush transaction of random writes may hold four times the
// page bytes (flushChunk).
const DefaultPageSize = 16 << 10

// boltOptions are the options the data file is opened with; pageSize
// applies only to a file they create.
//
// NoFreelistSync: by default bbolt writes its whole free-page list at
// every commit, as one contiguous run of pages. A flush is dozens of
// commits, and once writes had freed much of the file (a benchmark's
// millions of list pushes and pops, collections replaced) that list held
// over a million page ids: ~11 MB rewritten per commit, each needing a
// fresh contiguous run, which a fragmented file only finds at its end —
// so the file grew to 10x its data and flushes slowed to a crawl. Without
// it the list lives in memory only; the flusher persists it once per pass
// and Close once more (persistFreelist), so a start after a clean stop, or
// after a crash while the flusher was idle, reads it; after a crash in the
// middle of a pass bbolt rebuilds it by walking the tree (a read of every
// page, part of crash recovery).
func boltOptions(pageSize int) *bolt.Options {
	return &bolt.Options{
		Timeout:         500 * time.Millisecond,
		FreelistType:    bolt.FreelistMapType,
		NoFreelistSync:  true,
		InitialMmapSize: 1 << 30,
		PageSize:        pageSize,
	}
}

// persistFreelist writes bbolt's free-page list with one empty commit, so
// the next open reads it instead of walking the whole file. Call only from
// bbolt's one writer: the flusher after each pass (a crash while it is idle
// then restarts without the walk — 10 M keys: ~1.4 s of page reads), Close
// after the flusher stopped.
func persistFreelist(bdb *bolt.DB) error {
	bdb.NoFreelistSync = false
	defer func() { bdb.NoFreelistSync = true }()
	return bdb.Update(func(*bolt.Tx) error { return nil })
}

// createBuckets makes sure every bucket exists.
func (db *DB) createBuckets() error {
	return db.bolt.Update(func(btx *bolt.Tx) error {
		for _, name := range bucketNames {
			if _, err := btx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
}

// loadCounters reads the allocation counters through the layers (a
// replayed log may hold newer values than bbolt).
func (db *DB) loadCounters() error {
	return db.View(func(tx *Tx) error {
		db.nextVersion = u64(tx.get(bSys, sysNextVersion))
		if db.nextVersion == 0 {
			db.nextVersion = 1
		}
		db.nextNS = uint32(u64(tx.get(bSys, sysNextNS)))
		if db.nextNS == 0 {
			// Namespaces 0..Databases-1 start as the identity mapping.
			db.nextNS = uint32(maxDatabases)
		}
		return nil
	})
}

// SetHooks installs event hooks. Call before serving traffic.
func (db *DB) SetHooks(h Hooks) { db.hooks = h }

// Databases is the number of logical databases.
func (db *DB) Databases() int { return db.opts.Databases }

// Fsync returns the current durability mode.
func (db *DB) Fsync() Fsync { return Fsync(db.fsync.Load()) }

// SetFsync changes the durability mode; it applies from the next batch.
func (db *DB) SetFsync(f Fsync) { db.fsync.Store(int32(f)) }

// Stats returns the live counters.
func (db *DB) Stats() *Stats { return &db.stats }

// Path is the bbolt file's path.
func (db *DB) Path() string { return filepath.Join(db.opts.Dir, FileName) }

// View runs fn in a read transaction on the latest committed state.
func (db *DB) View(fn func(*Tx) error) error {
	if db.closed.Load() {
		return ErrClosed
	}
	// Layers first, then the bbolt snapshot: a memtable leaves the layers
	// only after its flush committed, so this pairing never misses data.
	l := db.readView()
	btx, end, err := db.beginBolt()
	if err != nil {
		return err
	}
	defer end()
	tx := getTx(db, btx, false)
	tx.mem, tx.rmem, tx.memSeq, tx.imm = l.mem, l.memt, l.seq, l.imm
	err = fn(tx)
	putTx(tx)
	return err
}

// ViewPoint runs fn like View, for a fn that only looks keys up (a cursor
// works but costs a second run), without a snapshot of the active
// memtable's tree. Readers that need one make the committer publish a
// snapshot after every batch for a while (overlay.go, snapshotEagerly),
// and a monitor asking INFO for key counts every 0.2 s kept that going:
// a write load ran ~20 % slower (HSET P16 257-272 k/s → 192-207 k/s).
// Lookups here read the active memtable's index at the last published
// batch; a key written after it, whose value as of that batch only a
// snapshot holds, makes fn run again under View — so fn must have no
// effect outside its transaction.
func (db *DB) ViewPoint(fn func(*Tx) error) error {
	if db.closed.Load() {
		return ErrClosed
	}
	l := db.view.Load()
	if l.mem != nil { // a snapshot is there already
		return db.View(fn)
	}
	btx, end, err := db.beginBolt()
	if err != nil {
		return err
	}
	tx := getTx(db, btx, false)
	tx.rmem, tx.memSeq, tx.imm = l.memt, l.seq, l.imm
	err = fn(tx)
	stale := tx.stale
	putTx(tx)
	end()
	if stale {
		return db.View(fn)
	}
	return err
}

// Update queues fn to run in the committer's write transaction and waits
// until the batch holding it has committed (and, under FsyncAlways, reached
// the disk). fn's own error is returned without failing the batch; writes fn
// made before returning it stay. fn must not call View or Update.
func (db *DB) Update(fn func(*Tx) error) error {
	db.closeMu.RLock()
	if db.closed.Load() {
		db.closeMu.RUnlock()
		return ErrClosed
	}
	r := requestPool.Get().(*request)
	r.fn, r.err = fn, nil
	db.reqs <- r
	db.closeMu.RUnlock()
	<-r.done
	err := r.err
	r.fn, r.err = nil, nil
	requestPool.Put(r)
	return err
}

// commitLoop is the single writer: it drains queued requests into batches.
func (db *DB) commitLoop() {
	defer db.wg.Done()
	batch := make([]*request, 0, 256)
	for {
		r, ok := <-db.reqs
		if !ok {
			return
		}
		batch = append(batch[:0], r)
		// Let connection goroutines that are ready run first: under load
		// they queue their writes now and share this commit (Redis gets the
		// same effect from one AOF write per event-loop pass). When nothing
		// else is runnable this returns at once.
		runtime.Gosched()
	fill:
		for len(batch) < db.opts.MaxBatch {
			select {
			case r, ok := <-db.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		db.commit(batch)
	}
}

// commit runs one batch in one transaction over the overlay, logs it as
// one WAL record, publishes it to readers and releases its callers. An I/O
// error on the log undoes the batch in memory and fails every request in it.
func (db *DB) commit(batch []*request) {
	start := time.Now()
	l := db.view.Load()
	db.afterMu.Lock()
	db.inBatch = true
	db.afterMu.Unlock()
	err := db.runBatch(batch, l)
	db.afterMu.Lock()
	after := db.after
	db.after, db.inBatch = nil, false
	db.afterMu.Unlock()
	if err == nil {
		for _, fn := range after {
			fn()
		}
	}
	if err != nil {
		db.log.Error().Err(err).Int("batch", len(batch)).Msg("commit failed")
		db.lastErr.Store(err.Error())
		for _, r := range batch {
			r.err = err
		}
	}
	db.stats.Commits.Add(1)
	db.stats.BatchedWrites.Add(int64(len(batch)))
	db.stats.CommitNanos.Add(int64(time.Since(start)))
	for _, r := range batch {
		r.done <- struct{}{}
	}
	// Rotate when the memtable is full, or when the log segment is: writes
	// that replace keys already in the memtable grow the log but not the
	// memtable, and recovery after a crash replays the whole log. Those
	// writes grow the memtable's arena too, by more than the log.
	if err == nil && (db.active.bytes >= db.overlayLimit || db.wal.bytes() >= walRotateFactor*db.overlayLimit ||
		db.active.arena.used >= walRotateFactor*db.overlayLimit) {
		db.rotate()
	}
}

func (db *DB) runBatch(batch []*request, l *layers) error {
	btx, end, err := db.beginBolt()
	if err != nil {
		return err
	}
	defer end()
	before := db.active.bytes
	db.batchSeq++ // a failed batch burns its number: readers never see it
	db.active.stamp = db.batchSeq
	db.active.undo = db.active.undo[:0]
	tx := getTx(db, btx, true)
	defer putTx(tx)
	tx.mem, tx.memt, tx.imm = db.active.tree, db.active, l.imm
	// The active tree changes only under treeMu, from the batch's first
	// write until it is published (or taken back), so a reader holding
	// treeMu finds it equal to the published state (readView).
	db.treeMu.Lock()
	defer db.treeMu.Unlock()
	for _, r := range batch {
		r.err = tx.run(r.fn)
	}
	if err := tx.finish(); err != nil {
		return err
	}
	if len(tx.wbuf) == 0 {
		return nil
	}
	if err := db.wal.append(tx.wbuf, db.Fsync() == FsyncAlways); err != nil {
		// Undo in memory, and start a fresh segment so the torn record
		// stays the last one of its segment.
		db.active.rollback(before)
		if _, rerr := db.wal.rotate(); rerr != nil {
			db.log.Error().Err(rerr).Msg("cannot start a new log segment")
		}
		return err
	}
	var snap *memTree
	if db.readersActive() {
		db.active.settle()
		snap = db.active.tree.Copy()
	}
	db.publish(snap)
	db.activeBytes.Store(db.active.bytes)
	return nil
}

// AfterCommit runs fn once the batch being committed is durable (per the
// fsync mode) and visible to readers — or at once when no batch is running.
// If the batch fails, fn never runs. Keyspace notifications use it, so a
// subscriber never hears of a write it cannot read yet. fn runs on the
// committer goroutine: it must not block or call Update.
func (db *DB) AfterCommit(fn func()) {
	db.afterMu.Lock()
	if db.inBatch {
		db.after = append(db.after, fn)
		db.afterMu.Unlock()
		return
	}
	db.afterMu.Unlock()
	fn()
}

// PanicError is returned for a request whose function panicked. The panic is
// logged with its stack; the batch carries on.
type PanicError struct{ Value any }

func (e *PanicError) Error() string { return fmt.Sprintf("internal error: %v", e.Value) }

// run calls fn, turning a panic into an error so one bad request cannot take
// the batch (or the server) down.
func (tx *Tx) run(fn func(*Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			tx.db.log.Error().Interface("panic", p).Bytes("stack", debug.Stack()).Msg("request panicked")
			err = &PanicError{Value: p}
		}
	}()
	return fn(tx)
}

// Sync forces acknowledged writes to stable storage (fdatasync of the log).
func (db *DB) Sync() error {
	if db.closed.Load() {
		return ErrClosed
	}
	db.stats.Syncs.Add(1)
	return db.wal.sync()
}

// syncLoop fsyncs once a second under FsyncEverySec.
func (db *DB) syncLoop(ctx context.Context) {
	defer db.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if db.Fsync() == FsyncEverySec {
				if err := db.wal.sync(); err != nil {
					db.log.Error().Err(err).Msg("periodic fsync failed")
				} else {
					db.stats.Syncs.Add(1)
				}
			}
		}
	}
}

// Close stops the background loops, commits what is queued, syncs, marks the
// shutdown clean and closes the file.
func (db *DB) Close() error {
	db.closeMu.Lock()
	if db.closed.Swap(true) {
		db.closeMu.Unlock()
		return nil
	}
	db.cancel()
	close(db.reqs)
	db.closeMu.Unlock()
	db.pubMu.Lock()
	db.flushed.Broadcast() // a committer waiting for the flusher gives up
	db.pubMu.Unlock()
	db.wg.Wait()
	err := db.flushAll()
	if err == nil {
		err = persistFreelist(db.bolt)
	}
	if cerr := db.bolt.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = removeRunningMarker(db.opts.Dir)
	}
	return err
}

// LastError is the text of the last failed commit or background round, or "".
func (db *DB) LastError() string {
	s, _ := db.lastErr.Load().(string)
	return s
}

// SetActiveExpire turns the active expiry loop on or off (DEBUG
// SET-ACTIVE-EXPIRE); lazy expiry on access always applies.
func (db *DB) SetActiveExpire(on bool) { db.noActiveExpire.Store(!on) }
