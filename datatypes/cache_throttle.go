package datatypes

import (
	"errors"
	"math"
	"strconv"

	"github.com/diskcached/diskcached/engine"
)

// CL.THROTTLE: redis-cell's rate limiter, the generic cell rate algorithm
// (GCRA). The state of a key is its theoretical arrival time (TAT) in unix
// nanoseconds, stored as a decimal string (as redis-cell stores it) with a
// TTL equal to the time until the limit is full again, so an idle limiter
// costs nothing.
//
//	emission interval T = period / count   (time one token takes to come back)
//	tolerance τ         = T × (max_burst + 1)
//	increment           = T × quantity
//	new TAT = max(TAT, now) + increment; allowed when new TAT − τ ≤ now.

// ErrZeroRate is redis-cell's refusal of a zero count or period.
var ErrZeroRate = errors.New("Zero rates are not supported")

// ThrottleResult is CL.THROTTLE's answer; durations are in nanoseconds.
type ThrottleResult struct {
	Limited    bool
	Limit      int64 // max_burst + 1
	Remaining  int64
	RetryAfter int64 // -1 s when allowed (or when the request can never pass)
	ResetAfter int64
}

// emissionInterval is period/count in nanoseconds, computed in floating
// point and truncated as redis-cell does; 0 means a zero rate.
func emissionInterval(count, periodSec int64) int64 {
	ns := float64(periodSec) * 1e9
	if count == 0 || periodSec == 0 {
		return 0
	}
	f := ns / float64(count)
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// Throttle applies quantity tokens to the limiter at key (now in unix ns).
// A missing or expired key is a full limiter. Errors: engine.ErrWrongType
// for a non-string key, ErrNotInteger for a string that is not a TAT,
// ErrZeroRate. Only an allowed request writes (limited ones leave the
// state as it is).
func Throttle(tx *engine.Tx, db int, key []byte, maxBurst, count, period, quantity, now int64) (ThrottleResult, error) {
	res := ThrottleResult{Limit: maxBurst + 1, RetryAfter: -1e9, ResetAfter: -1e9}
	T := emissionInterval(count, period)
	if T == 0 {
		return res, ErrZeroRate
	}
	tau := T * (maxBurst + 1)
	increment := T * quantity
	m, ok, err := tx.LookupType(db, key, engine.TypeString)
	if err != nil {
		return res, err
	}
	tat := now
	if ok {
		v, perr := strconv.ParseUint(string(m.Value), 10, 64)
		if perr != nil {
			return res, ErrNotInteger
		}
		tat = int64(v)
	}
	newTAT := tat + increment
	if now > tat {
		newTAT = now + increment
	}
	var ttl int64
	if diff := now - (newTAT - tau); diff < 0 {
		if increment <= tau {
			res.RetryAfter = -diff
		}
		res.Limited = true
		ttl = tat - now
	} else {
		ttl = newTAT - now
		storeTAT(tx, db, key, newTAT, ttl)
	}
	if next := tau - ttl; next > -T {
		res.Remaining = remainingTokens(next, T)
	}
	res.ResetAfter = ttl
	return res, nil
}

// storeTAT writes the state with its TTL (rounded down to milliseconds,
// as redis-cell's expire is; a TTL under 1 ms leaves no key, which reads
// the same as a full limiter).
func storeTAT(tx *engine.Tx, db int, key []byte, tat, ttl int64) {
	ms := ttl / 1e6
	if ms <= 0 {
		tx.Delete(db, key)
		return
	}
	tx.Put(db, key, &engine.Meta{Type: engine.TypeString, Value: strconv.AppendUint(nil, uint64(tat), 10), ExpireAt: tx.Now + ms})
}

// ThrottleSeconds turns a duration in ns into CL.THROTTLE's whole seconds:
// truncated, plus one when at least a millisecond is left over.
func ThrottleSeconds(ns int64) int64 {
	s := ns / 1e9
	if (ns%1e9)/1e6 > 0 {
		s++
	}
	return s
}

// remainingTokens is next/T counted in whole microseconds and truncated
// (redis-cell's float division; a sub-microsecond T saturates).
func remainingTokens(next, T int64) int64 {
	nu, tu := next/1000, T/1000
	if tu == 0 {
		if nu > 0 {
			return math.MaxInt64
		}
		return 0
	}
	return int64(float64(nu) / float64(tu))
}
