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
// few seconds, then tries the other one for one short window and keeps
// whichever served more commands per second. An idle server keeps its
// setting. A fixed `procs` directive turns the tuner off.
type procTuner struct {
	max   int
	count func() int64 // commands processed so far (may be reset: negative deltas are skipped)
	log   zerolog.Logger

	window time.Duration // one measurement
	hold   int           // windows between trials
}

// startProcs applies the procs directive: a fixed processor count, or
// "auto" — the tuner between 1 and what the Go runtime chose (the CPUs the
// process may use), stopped with ctx.
func startProcs(ctx context.Context, setting string, count func() int64, log zerolog.Logger) {
	if n, err := strconv.Atoi(setting); err == nil {
		runtime.GOMAXPROCS(n)
		return
	}
	if n := runtime.GOMAXPROCS(0); n > 1 {
		t := &procTuner{max: n, count: count, log: log, window: 100 * time.Millisecond, hold: 10}
		go t.run(ctx)
	}
}

// minActiveRate is the command rate under which the server counts as
// idle: too little load to tell two settings apart.
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
	held, active := 0, 0
	for wait() {
		r, ok := rate()
		if !ok || r < minActiveRate {
			held, active = p.hold, 0 // when load comes back, try at once
			continue
		}
		active++
		if held < p.hold || active < 2 {
			held++ // the first active window is often a partial one
			continue
		}
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
		if ok && ro > r*1.05 {
			p.log.Debug().Int("procs", other).Float64("rate", ro).Float64("was", r).Msg("processors changed")
			cur = other
		} else {
			runtime.GOMAXPROCS(cur)
			rate()
		}
		held = 0
	}
}
