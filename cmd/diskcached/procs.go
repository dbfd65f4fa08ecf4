package main

import (
	"context"
	"runtime"
	"strconv"
	"time"

	"github.com/rs/zerolog"
)

// procTuner chooses how many processors (GOMAXPROCS) the server runs on,
// between 1 and max, by measured command throughput.
//
// Why: one processor serves connections like Redis's event loop — the
// goroutine that answers a client and the poller that wakes it share a
// thread, with no cross-thread wake-ups. When the server's work fits in
// one core that is clearly faster (measured on 2 cores with the client on
// the same machine: GET with one request per round trip 61 k → 80 k/s);
// when it does not (deep pipelines, writes feeding the flusher) more
// processors win (GET with 16-command pipelines 348 k → 484 k/s). Which
// case holds depends on the load, so the tuner measures instead of
// guessing: while clients are active it holds the better setting for a
// moment, then tries the other one for one short window and keeps
// whichever served more commands per second.
//
// Trials cost: for a window the server runs at the setting that is
// usually worse, each switch stops the world, and under writes a window on
// one processor misjudges — it starves the flusher, so it runs fast for a
// window and slowly after (HSET and ZADD at 16-command pipelines: trial
// windows up to 1.47 × the two-processor average, then 0.4–0.6 × it for
// the second that followed, at a trial every 1.2 s). So: with deep
// pipelines (deepPipeline commands per batch read) one processor is not
// tried at all; a trial that keeps the setting doubles the wait before the
// next (up to maxHold windows); a new load (the pipeline depth class
// changing, or the rate moving by loadChange) or a switch brings the wait
// back to hold; one window alone without commands is a stall, not idleness.
// An idle server keeps its setting. A fixed `procs` directive turns the
// tuner off.
type procTuner struct {
	max    int
	count  func() int64 // commands processed so far (may be reset: negative deltas are skipped)
	rounds func() int64 // command batches read from clients so far (nil: unknown)
	log    zerolog.Logger

	window  time.Duration // one measurement
	hold    int           // windows between trials after a switch or a change of load
	maxHold int           // the longest wait between trials (0: 8 × hold)
	trials  int           // trials run (tests)

	lastCount, lastRounds int64 // counters at the last deep() call
}

// loadChange is the relative change of the command rate since the last
// trial, averaged over the last loadWindows windows (one window alone
// moves that much with a flush or a GC cycle), that counts as a new load:
// the next trial comes soon.
const (
	loadChange  = 0.5
	loadWindows = 5
)

// How much faster than the current setting's average since the last
// trial one trial window must be to switch: a single window moves 10–50 %
// on its own with a flush or a GC cycle. Switching to one processor asks
// more: under writes a trial there starves the flusher, which pays off for
// a window and costs later (HSET P16 measured a one-processor window up to
// 1.18 × the two-processor average, then averaged 0.6 × it), while where
// one processor does win (one-command round trips) it wins by ~1.3 ×.
const (
	trialMarginToOne  = 1.2
	trialMarginToMore = 1.1
)

// deepPipeline is the average number of commands per batch read from a
// client at which one processor is not even tried: it only ever won for
// one-command round trips (GET 61 k → 80 k/s), and with 16-command
// pipelines all processors measured faster in every test (GET 348 k →
// 484 k/s), while a one-window trial under writes misjudges (see
// trialMarginToOne).
const deepPipeline = 4

// startProcs applies the procs directive: a fixed processor count, or
// "auto" — the tuner between 1 and what the Go runtime chose (the CPUs the
// process may use), stopped with ctx.
func startProcs(ctx context.Context, setting string, count, rounds func() int64, log zerolog.Logger) {
	if n, err := strconv.Atoi(setting); err == nil {
		runtime.GOMAXPROCS(n)
		return
	}
	if n := runtime.GOMAXPROCS(0); n > 1 {
		t := &procTuner{max: n, count: count, rounds: rounds, log: log, window: 100 * time.Millisecond, hold: 10, maxHold: 160}
		go t.run(ctx)
	}
}

// deep reports whether the commands since the last call (one window)
// came in batches of deepPipeline or more on average.
func (p *procTuner) deep() bool {
	if p.rounds == nil {
		return false
	}
	c, r := p.count(), p.rounds()
	dc, dr := c-p.lastCount, r-p.lastRounds
	p.lastCount, p.lastRounds = c, r
	return dr > 0 && dc >= deepPipeline*dr
}

// minActiveRate is the command rate under which a window counts as idle:
// too little load to tell two settings apart. The server counts as idle
// after idleWindows such windows in a row.
const idleWindows = 5

// minActiveRate: see idleWindows.
const minActiveRate = 2000

func (p *procTuner) run(ctx context.Context) {
	cur := p.max
	runtime.GOMAXPROCS(cur)
	tick := time.NewTicker(p.window)
	defer tick.Stop()
	last, lastAt := p.count(), time.Now()
	// rate measures one window: the commands per second since the last
	// call.
	rate := func() (float64, bool) {
		n, at := p.count(), time.Now()
		d, secs := n-last, at.Sub(lastAt).Seconds()
		last, lastAt = n, at
		if d < 0 || secs <= 0 {
			return 0, false
		}
		return float64(d) / secs, true
	}
	wait := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
			return true
		}
	}
	maxHold := p.maxHold
	if maxHold <= 0 {
		maxHold = 8 * p.hold
	}
	held, active, hold, before := 0, 0, p.hold, 0.0
	var recent [loadWindows]float64     // the last windows' rates
	switched, heldBefore := false, 0    // the last trial switched, from a setting held that many windows
	idle := 0                           // windows in a row below minActiveRate
	deepAtTrial, depthMoved := false, 0 // depth class at the last trial; windows in a row of the other class
	sum, n := 0.0, 0                    // rates of the active windows since the last trial
	for wait() {
		r, ok := rate()
		if !ok || r < minActiveRate {
			// A window or two without commands is a stall (the committer
			// waiting for the flusher), not the end of the load.
			if idle++; idle >= idleWindows {
				held, active, hold = p.hold, 0, p.hold // when load comes back, try at once
				sum, n = 0, 0
			}
			continue
		}
		idle = 0
		active++
		if active > 1 {
			sum, n = sum+r, n+1
		}
		// A change of pipeline depth class is a new load too (GET at one
		// command per round trip after writes in pipelines of 16).
		dp := p.deep()
		if dp != deepAtTrial {
			depthMoved++
		} else {
			depthMoved = 0
		}
		recent[active%loadWindows] = r
		avg := 0.0
		for _, x := range recent {
			avg += x / loadWindows
		}
		// (Only once the windows after the last trial have settled: a trial
		// disturbs the load it measures, a flusher it starved catches up.)
		rateMoved := held > 2*loadWindows && before > 0 && (avg > before*(1+loadChange) || avg < before*(1-loadChange))
		if (rateMoved || depthMoved >= 2) && hold > p.hold {
			hold = p.hold // a new load: ask again soon
			held = min(held, hold)
		}
		if held < hold || active < 2 {
			held++ // the first active window is often a partial one
			continue
		}
		deepAtTrial, depthMoved = dp, 0
		if cur != 1 && dp {
			// Deep pipelines: keep all processors, as if a trial confirmed it.
			hold, held, switched = min(2*hold, maxHold), 0, false
			continue
		}
		p.trials++
		if n > 0 {
			r = sum / float64(n) // the setting's rate since the last trial: one window alone is noisy
		}
		sum, n, before = 0, 0, r
		// Trial: one window at the other setting against this one.
		other := 1
		if cur == 1 {
			other = p.max
		}
		runtime.GOMAXPROCS(other)
		rate() // the switch itself is not measured
		if !wait() {
			return
		}
		ro, ok := rate()
		p.log.Debug().Int("procs", cur).Float64("rate", r).Int("trial_procs", other).Float64("trial_rate", ro).Msg("processors trial")
		margin := trialMarginToMore
		if other == 1 {
			margin = trialMarginToOne
		}
		if ok && ro > r*margin {
			p.log.Debug().Int("procs", other).Float64("rate", ro).Float64("was", r).Msg("processors changed")
			next := p.hold // check the new setting soon
			if switched {
				// Back to the setting the last switch left, which the
				// trial window misjudged: hold it as if confirmed.
				next = min(2*heldBefore, maxHold)
			}
			heldBefore, switched = hold, true
			cur, hold, before = other, next, ro
		} else {
			runtime.GOMAXPROCS(cur)
			rate()
			hold, switched = min(2*hold, maxHold), false
		}
		held = 0
	}
}
