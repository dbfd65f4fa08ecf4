// Package eviction runs the goroutine that keeps diskcached's disk usage
// under maxmemory: it flushes the touch buffer, rebuilds the order index
// after a policy switch, and — when usage passes the high watermark —
// removes expired keys, lets the reclaimer free dropped collections, and
// evicts keys from the front of the active policy's exact order until usage
// is back under the low watermark. Every step is a bounded write
// transaction, so writers are never stalled behind one huge batch.
//
// The policy, limit and LFU parameters live in the engine (DB.SetMaxMemory,
// DB.SetEvictPolicy, DB.SetLFUParams) so CONFIG SET can change them without
// knowing about this package.
package eviction

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/diskcached/diskcached/engine"
)

// Options tune the evictor. Zero values take the defaults.
type Options struct {
	Interval        time.Duration // idle round period (default 10 ms)
	TouchInterval   time.Duration // touch-buffer flush period (default 1 min; see flushDue)
	MeasureInterval time.Duration // bbolt page measurement period (default 1 s)
	HighWater       float64       // start evicting above this share of maxmemory (default 0.99)
	LowWater        float64       // evict down to this share (default HighWater − 0.01)
	Batch           int           // keys per eviction transaction (default 256)
	// CompactFreeRatio starts an online compaction when free pages reach
	// this percentage of the file (0 = never; default 0).
	CompactFreeRatio int
	// CompactMinFile is the smallest file worth compacting (default 64 MiB).
	CompactMinFile int64
}

func (o *Options) defaults() {
	if o.Interval <= 0 {
		o.Interval = 10 * time.Millisecond
	}
	if o.TouchInterval <= 0 {
		o.TouchInterval = time.Minute
	}
	if o.MeasureInterval <= 0 {
		o.MeasureInterval = time.Second
	}
	if o.HighWater <= 0 || o.HighWater > 1 {
		o.HighWater = 0.99
	}
	if o.LowWater <= 0 || o.LowWater >= o.HighWater {
		o.LowWater = o.HighWater - 0.01
	}
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.CompactMinFile <= 0 {
		o.CompactMinFile = 64 << 20
	}
}

// Evictor is the running eviction goroutine.
type Evictor struct {
	db   *engine.DB
	opts Options
	log  zerolog.Logger
	wg   sync.WaitGroup

	mu             sync.Mutex
	compactRatio   int
	lastTouchFlush time.Time
	touchPacing    bool      // a periodic flush is under way (paced)
	lastTouchBatch time.Time // its last batch
	lastMeasure    time.Time
	lastCompact    time.Time
	flushReq       chan chan error
}

// Start launches the evictor for db; it stops when ctx is cancelled (call
// Wait before closing db). Call it once after engine.Open; the lead's
// wiring in cmd/diskcached is:
//
//	ev := eviction.Start(ctx, db, eviction.Options{CompactFreeRatio: n}, log)
//	… cancel(); ev.Wait(); db.Close()
func Start(ctx context.Context, db *engine.DB, opts Options, log zerolog.Logger) *Evictor {
	opts.defaults()
	e := &Evictor{db: db, opts: opts, log: log, compactRatio: opts.CompactFreeRatio,
		flushReq: make(chan chan error), lastTouchFlush: time.Now()}
	e.wg.Add(1)
	go e.loop(ctx)
	return e
}

// Wait blocks until the goroutine has stopped.
func (e *Evictor) Wait() { e.wg.Wait() }

// SetCompactFreeRatio changes the automatic compaction threshold (percent;
// 0 = off).
func (e *Evictor) SetCompactFreeRatio(pct int) {
	e.mu.Lock()
	e.compactRatio = pct
	e.mu.Unlock()
}

// FlushTouches writes every buffered access into the store now (tests and
// DEBUG use it to make eviction order deterministic).
func (e *Evictor) FlushTouches(ctx context.Context) error {
	ch := make(chan error, 1)
	select {
	case e.flushReq <- ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Evictor) loop(ctx context.Context) {
	defer e.wg.Done()
	t := time.NewTicker(e.opts.Interval)
	defer t.Stop()
	for {
		var reply chan error
		select {
		case <-ctx.Done():
			// Keep the recency of this run (best effort: the store
			// closes after Wait).
			if err := e.flushAllTouches(); err != nil && !errors.Is(err, engine.ErrClosed) {
				e.log.Warn().Err(err).Msg("touch buffer not flushed at shutdown")
			}
			e.db.EvictorRoundDone()
			return
		case <-t.C:
		case <-e.db.EvictorWake():
		case reply = <-e.flushReq:
		}
		if reply != nil {
			reply <- e.flushAllTouches()
		}
		if err := e.round(ctx); err != nil && !errors.Is(err, engine.ErrClosed) {
			e.log.Error().Err(err).Msg("eviction round failed")
		}
		e.db.EvictorRoundDone()
	}
}

// flushAllTouches empties the touch buffer in bounded transactions.
func (e *Evictor) flushAllTouches() error {
	e.lastTouchFlush = time.Now()
	for i := 0; i < 1000; i++ {
		n, err := e.db.FlushTouches(10000)
		if err != nil || n == 0 {
			return err
		}
	}
	return nil
}

// round is one pass: maintenance, then eviction if over the high watermark.
func (e *Evictor) round(ctx context.Context) error {
	db := e.db
	now := time.Now()
	if now.Sub(e.lastMeasure) >= e.opts.MeasureInterval {
		e.lastMeasure = now
		u := db.MeasureUsage()
		e.maybeCompact(u)
	}
	for i := 0; i < 8; i++ {
		done, err := db.IndexStep(5000)
		if err != nil {
			return err
		}
		if done {
			break
		}
	}
	if err := e.perDB(ctx); err != nil { // per-database limits (perdb.go)
		return err
	}
	limit := db.MaxMemory()
	high := int64(float64(limit) * e.opts.HighWater)
	over := limit > 0 && db.UsedBytes() > high
	if err := e.flushTouchesDue(now); err != nil {
		return err
	}
	if !over {
		db.SetStuck(false)
		return nil
	}
	return e.evict(ctx, limit)
}

// Paced touch flushing: one batch of touchBatch keys every touchPace, so
// a periodic flush of a large buffer (200 k keys read in the last minute)
// costs a steady ~20 k record rewrites a second instead of a burst that
// stalls reads for seconds.
const (
	touchBatch = 5000
	touchPace  = 250 * time.Millisecond
)

// flushTouchesDue writes the touch buffer into the store when due: every
// TouchInterval, paced; and at once, whole, when it is half full (it drops
// accesses to new keys once full). Eviction does not need it: EvictKeys
// consults the buffer for every candidate (engine.Tx.rescue), so its order
// is exact whatever is buffered. Flushing rarely is what keeps reads cheap
// under LRU/LFU: a flush rewrites the record of every key read since the
// last one, so at a 1 s period a uniform read load turned into an equal
// write load; at 1 min each key read is rewritten at most once a minute.
// What a crash can lose is the recency/frequency recorded since the last
// flush (never data); a clean shutdown flushes.
func (e *Evictor) flushTouchesDue(now time.Time) error {
	n := e.db.PendingTouches()
	switch {
	case n > engine.TouchBufferMax/2:
		e.touchPacing = false
		return e.flushAllTouches()
	case n > 0 && !e.touchPacing && now.Sub(e.lastTouchFlush) >= e.opts.TouchInterval:
		e.touchPacing, e.lastTouchFlush = true, now
	}
	if !e.touchPacing || now.Sub(e.lastTouchBatch) < touchPace {
		return nil
	}
	e.lastTouchBatch = now
	done, err := e.db.FlushTouches(touchBatch)
	if err != nil || done < touchBatch {
		e.touchPacing = false
	}
	return err
}

// evict brings usage under the low watermark, or finds that nothing is
// left to evict (then denyoom writes fail until something changes).
func (e *Evictor) evict(ctx context.Context, limit int64) error {
	db := e.db
	low := int64(float64(limit) * e.opts.LowWater)
	stuck := false
	evicted := 0
	start := time.Now()
	for iter := 0; iter < 64 && ctx.Err() == nil && db.UsedBytes() > low; iter++ {
		// Expired keys go first.
		n, err := db.ExpireNow(500)
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		// Dropped collections free space without losing a key.
		if pending, err := pendingReclaim(db); err != nil {
			return err
		} else if pending {
			if _, err := db.ReclaimNow(2000); err != nil {
				return err
			}
			continue
		}
		if db.EvictPolicy() == engine.PolicyNoEviction {
			stuck = true
			break
		}
		res, err := db.EvictKeys(e.opts.Batch, low)
		if err != nil {
			return err
		}
		evicted += res.Evicted
		if res.Evicted == 0 && res.Empty {
			if !db.IndexReady() {
				if _, err := db.IndexStep(5000); err != nil {
					return err
				}
				continue
			}
			stuck = true
			e.log.Warn().Int64("used", db.UsedBytes()).Int64("limit", limit).Bool("ready", db.IndexReady()).Msg("nothing left to evict")
			break
		}
	}
	db.SetStuck(stuck && db.UsedBytes() > limit)
	if evicted > 0 || stuck {
		e.log.Debug().Int("evicted", evicted).Bool("stuck", stuck).Int64("used", db.UsedBytes()).
			Int64("limit", limit).Dur("took", time.Since(start)).Msg("eviction round")
	}
	return nil
}

func pendingReclaim(db *engine.DB) (bool, error) {
	var pending bool
	err := db.View(func(tx *engine.Tx) error {
		pending = tx.PendingReclaim()
		return nil
	})
	return pending, err
}

// maybeCompact starts an online compaction when free pages pass the
// configured share of the file (at most once a minute).
func (e *Evictor) maybeCompact(u engine.Usage) {
	e.mu.Lock()
	pct := e.compactRatio
	e.mu.Unlock()
	if pct <= 0 || u.FileBytes < e.opts.CompactMinFile || u.FreeBytes*100 < int64(pct)*u.FileBytes {
		return
	}
	if time.Since(e.lastCompact) < time.Minute {
		return
	}
	e.lastCompact = time.Now()
	if err := e.db.StartCompaction(); err != nil {
		e.log.Warn().Err(err).Int64("file", u.FileBytes).Int64("free", u.FreeBytes).Msg("automatic compaction not started")
		return
	}
	e.log.Info().Int64("file", u.FileBytes).Int64("free", u.FreeBytes).Msg("automatic compaction started")
}
