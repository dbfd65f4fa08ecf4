package main

import (
	"os"
	"runtime/debug"
)

// The collector's pacing. Most of the heap is the write overlay: the active
// memtable and the frozen ones waiting for the flusher (three per pass
// while passes are page-bound, up to five; by then compact sorted runs of
// about half their tree size), each overlay-size bytes of entries. The collector's CPU cost is proportional to the bytes
// allocated between cycles divided by the growth it allows, so a small
// GOGC spends far more CPU than it saves memory here: measured on 2 cores
// (redis-benchmark -c 50 -P 16 -r 1000000, 32 MiB overlay), GOGC 50 ran
// SET at ~100 k/s and GET at ~490 k/s with 122 MB peak RSS; GOGC 400 capped
// by a 192 MiB soft limit ran SET at ~121 k/s (+21 %), GET ~560 k/s
// (+15 %), HSET +8 %, ZADD +9 %, with 186 MB peak RSS.
//
// So the collector runs at +400 % growth, under a soft limit of
// gcLimitBase + gcLimitOverlays × overlay-size: the limit, not GOGC, paces
// a loaded server, and it leaves the overlay plus room for the garbage of
// a burst. The limit is soft: when the live heap exceeds it (a 512 MB value, a huge reply) Go collects more
// often, spending at most about half the CPU on it, and never fails an
// allocation.
//
// GOGC and GOMEMLIMIT in the environment keep their usual meaning and
// replace the corresponding half of this policy.
const (
	gcPercent       = 400
	gcLimitBase     = 64 << 20
	gcLimitOverlays = 4
)

// gcLimit is the soft memory limit for an overlay of overlay bytes.
func gcLimit(overlay int64) int64 { return gcLimitBase + gcLimitOverlays*overlay }

// applyGCPolicy sets the collector's pacing for the configured overlay
// size unless the environment chose it.
func applyGCPolicy(overlay int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcLimit(overlay))
	}
}
