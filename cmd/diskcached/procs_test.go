package main

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeLoad counts commands at a rate that depends on GOMAXPROCS, as a
// closed-loop client would see it.
type fakeLoad struct {
	mu    sync.Mutex
	n     float64
	last  time.Time
	rates map[bool]float64 // keyed by "one processor"
}

func (f *fakeLoad) count() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	if !f.last.IsZero() {
		f.n += now.Sub(f.last).Seconds() * f.rates[runtime.GOMAXPROCS(0) == 1]
	}
	f.last = now
	return int64(f.n)
}

// sampleOneProcessor looks at GOMAXPROCS n times, 3 ms apart, and counts
// the samples at one processor.
func sampleOneProcessor(n int) int {
	ones := 0
	for i := 0; i < n; i++ {
		if runtime.GOMAXPROCS(0) == 1 {
			ones++
		}
		time.Sleep(3 * time.Millisecond)
	}
	return ones
}

func TestProcTuner_SettlesOnTheFasterSetting(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tc := range []struct {
		name           string
		oneFaster      bool
		wantProcsIsOne bool
	}{{"one processor faster", true, true}, {"more processors faster", false, false}} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeLoad{rates: map[bool]float64{true: 50_000, false: 100_000}}
			if tc.oneFaster {
				f.rates = map[bool]float64{true: 100_000, false: 50_000}
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			tu := &procTuner{max: 2, count: f.count, log: zerolog.Nop(), window: 10 * time.Millisecond, hold: 3}
			go func() { tu.run(ctx); close(done) }()
			time.Sleep(300 * time.Millisecond)
			// Sample between trials: the setting held most of the time.
			ones := sampleOneProcessor(50)
			cancel()
			<-done
			if got := ones > 25; got != tc.wantProcsIsOne {
				t.Fatalf("one processor in %d of 50 samples; want mostly one = %v", ones, tc.wantProcsIsOne)
			}
		})
	}
}

func TestProcTuner_IdleKeepsSetting(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(2)
	f := &fakeLoad{rates: map[bool]float64{true: 100, false: 10}} // below the active threshold
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	(&procTuner{max: 2, count: f.count, log: zerolog.Nop(), window: 10 * time.Millisecond, hold: 3}).run(ctx)
	if n := runtime.GOMAXPROCS(0); n != 2 {
		t.Fatalf("an idle server changed to %d processors", n)
	}
}

// TestProcTuner_TrialsBackOffUnderASteadyLoad: while trials keep
// confirming the setting, they come ever less often (each one runs a
// window at the worse setting); with trials every hold windows a 60-window
// run would make 15.
func TestProcTuner_TrialsBackOffUnderASteadyLoad(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	f := &fakeLoad{rates: map[bool]float64{true: 50_000, false: 100_000}}
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	tu := &procTuner{max: 2, count: f.count, log: zerolog.Nop(), window: 10 * time.Millisecond, hold: 3, maxHold: 48}
	tu.run(ctx)
	if tu.trials < 2 || tu.trials > 7 {
		t.Fatalf("%d trials in ~60 windows; want 2–7 (backing off from every 3 windows to every 48)", tu.trials)
	}
}

// TestProcTuner_NewLoadIsTriedSoon: after trials have backed off, a load
// whose rate differs by more than loadChange (and for which the other
// setting is faster) is re-tried within a few windows, not after maxHold.
func TestProcTuner_NewLoadIsTriedSoon(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	f := &fakeLoad{rates: map[bool]float64{true: 50_000, false: 100_000}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	tu := &procTuner{max: 2, count: f.count, log: zerolog.Nop(), window: 10 * time.Millisecond, hold: 3, maxHold: 1000}
	go func() { tu.run(ctx); close(done) }()
	time.Sleep(1200 * time.Millisecond) // backed off: the next trial is ~1 s away
	f.mu.Lock()
	f.rates = map[bool]float64{true: 40_000, false: 20_000} // a new load, faster on one processor
	f.mu.Unlock()
	time.Sleep(200 * time.Millisecond)
	ones := sampleOneProcessor(30)
	cancel()
	<-done
	if ones < 20 {
		t.Fatalf("one processor in %d of 30 samples after the load changed; want mostly one", ones)
	}
}

// TestProcTuner_DeepPipelinesStayOnAllProcessors: with 16 commands per
// batch read, one processor is never tried, even when a trial window
// would have measured it faster (as one does under writes, starving the
// flusher); with one command per batch the same rates make it switch.
func TestProcTuner_DeepPipelinesStayOnAllProcessors(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, depth := range []int64{16, 1} {
		f := &fakeLoad{rates: map[bool]float64{true: 100_000, false: 50_000}}
		rounds := func() int64 { return f.count() / depth }
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		tu := &procTuner{max: 2, count: f.count, rounds: rounds, log: zerolog.Nop(), window: 10 * time.Millisecond, hold: 3}
		tu.run(ctx)
		cancel()
		one := runtime.GOMAXPROCS(0) == 1
		if depth == 16 && (tu.trials != 0 || one) {
			t.Fatalf("depth 16: %d trials, ended on one processor %v; want no trial", tu.trials, one)
		}
		if depth == 1 && !one {
			t.Fatalf("depth 1: ended on %d processors after %d trials; want one", runtime.GOMAXPROCS(0), tu.trials)
		}
		runtime.GOMAXPROCS(2)
	}
}
