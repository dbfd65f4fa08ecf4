package datatypes

import (
	"testing"

	"github.com/diskcached/diskcached/engine"
)

// TestThrottle_GCRA_MatchesRedisCellTable replays redis-cell's own
// it_rate_limits table (limit 5, 1 token per second) at fixed clock times.
func TestThrottle_GCRA_MatchesRedisCellTable(t *testing.T) {
	db := openTestDB(t)
	const s, ms = int64(1e9), int64(1e6)
	start := int64(1_700_000_000_000) * ms // a whole millisecond, like tx.Now
	cases := []struct {
		at, volume, remaining, resetAfter, retryAfter int64
		limited                                       bool
	}{
		{0, 6, 5, 0, -1 * s, true}, // never more than the maximum
		{0, 1, 4, 1 * s, -1 * s, false},
		{0, 1, 3, 2 * s, -1 * s, false},
		{0, 1, 2, 3 * s, -1 * s, false},
		{0, 1, 1, 4 * s, -1 * s, false},
		{0, 1, 0, 5 * s, -1 * s, false},
		{0, 1, 0, 5 * s, 1 * s, true},
		{3000 * ms, 1, 2, 3000 * ms, -1 * s, false},
		{3100 * ms, 1, 1, 3900 * ms, -1 * s, false},
		{4000 * ms, 1, 1, 4000 * ms, -1 * s, false},
		{8000 * ms, 1, 4, 1000 * ms, -1 * s, false},
		{9500 * ms, 1, 4, 1000 * ms, -1 * s, false},
		{9500 * ms, 0, 4, 1 * s, -1 * s, false}, // zero volume peeks
		{9500 * ms, 2, 2, 3 * s, -1 * s, false},
		{9500 * ms, 5, 2, 3 * s, 3 * s, true},
	}
	for i, c := range cases {
		now := start + c.at
		var res ThrottleResult
		err := db.Update(func(tx *engine.Tx) error {
			tx.Now = now / ms
			var err error
			res, err = Throttle(tx, 0, []byte("foo"), 4, 1, 1, c.volume, now)
			return err
		})
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if res.Limited != c.limited || res.Limit != 5 || res.Remaining != c.remaining ||
			res.ResetAfter != c.resetAfter || res.RetryAfter != c.retryAfter {
			t.Fatalf("case %d: got %+v, want limited=%v remaining=%d reset=%d retry=%d",
				i, res, c.limited, c.remaining, c.resetAfter, c.retryAfter)
		}
	}
}

func TestThrottle_Errors_ZeroRateWrongTypeAndSeconds(t *testing.T) {
	db := openTestDB(t)
	db.Update(func(tx *engine.Tx) error {
		if _, err := Throttle(tx, 0, []byte("k"), 1, 0, 10, 1, tx.Now*1e6); err != ErrZeroRate {
			t.Errorf("count 0: %v", err)
		}
		if _, err := Throttle(tx, 0, []byte("k"), 1, 1, 0, 1, tx.Now*1e6); err != ErrZeroRate {
			t.Errorf("period 0: %v", err)
		}
		tx.Put(0, []byte("h"), &engine.Meta{Type: engine.TypeHash, Count: 1})
		if _, err := Throttle(tx, 0, []byte("h"), 1, 1, 1, 1, tx.Now*1e6); err != engine.ErrWrongType {
			t.Errorf("hash: %v", err)
		}
		tx.Put(0, []byte("s"), &engine.Meta{Type: engine.TypeString, Value: []byte("abc")})
		if _, err := Throttle(tx, 0, []byte("s"), 1, 1, 1, 1, tx.Now*1e6); err != ErrNotInteger {
			t.Errorf("non-integer: %v", err)
		}
		return nil
	})
	for ns, want := range map[int64]int64{-1e9: -1, 0: 0, 2e9: 2, 2e9 + 999_999: 2, 2e9 + 1e6: 3, 500e6: 1} {
		if got := ThrottleSeconds(ns); got != want {
			t.Errorf("ThrottleSeconds(%d) = %d, want %d", ns, got, want)
		}
	}
}
