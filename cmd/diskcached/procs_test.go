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
			ones := 0
			for i := 0; i < 50; i++ {
				if runtime.GOMAXPROCS(0) == 1 {
					ones++
				}
				time.Sleep(3 * time.Millisecond)
			}
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
