package main

import (
	"runtime/debug"
	"testing"
)

// restoreGC puts the collector's settings back after a test changed them.
func restoreGC(t *testing.T) {
	pct := debug.SetGCPercent(100)
	debug.SetGCPercent(pct)
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(limit)
	})
}

func TestGCPolicyDefaults(t *testing.T) {
	restoreGC(t)
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	debug.SetGCPercent(100)
	applyGCPolicy(32 << 20)
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Fatalf("GC percent %d, want %d", got, gcPercent)
	}
	if got, want := debug.SetMemoryLimit(-1), int64(64<<20+4*32<<20); got != want {
		t.Fatalf("memory limit %d, want %d (192 MiB for a 32 MiB overlay)", got, want)
	}
}

func TestGCPolicyLeavesEnvironmentChoices(t *testing.T) {
	restoreGC(t)
	t.Setenv("GOGC", "77")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(77)
	debug.SetMemoryLimit(1 << 30)
	applyGCPolicy(32 << 20)
	if got := debug.SetGCPercent(77); got != 77 {
		t.Fatalf("GC percent %d, want the environment's 77", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Fatalf("memory limit %d, want the environment's 1 GiB", got)
	}
}
