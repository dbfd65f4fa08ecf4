package datatypes

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/diskcached/diskcached/engine"
)

func TestZSet_ScoreKey_OrderMatchesNumericOrder(t *testing.T) {
	vals := []float64{math.Inf(-1), -math.MaxFloat64, -1e300, -2.5, -1, -math.SmallestNonzeroFloat64,
		0, math.SmallestNonzeroFloat64, 1e-300, 1, 2.5, 1e300, math.MaxFloat64, math.Inf(1)}
	for i := 1; i < len(vals); i++ {
		a, b := scoreKey(vals[i-1]), scoreKey(vals[i])
		if a >= b {
			t.Fatalf("scoreKey(%g)=%x not below scoreKey(%g)=%x", vals[i-1], a, vals[i], b)
		}
		if got := scoreFromKey(b); got != vals[i] {
			t.Fatalf("round trip of %g gave %g", vals[i], got)
		}
	}
	if scoreKey(math.Copysign(0, -1)) != scoreKey(0) {
		t.Fatal("-0 and +0 must share one index position")
	}
}

func TestZSet_Index_EqualScoresOrderedByMember(t *testing.T) {
	db := openTestDB(t)
	err := db.Update(func(tx *engine.Tx) error {
		_, err := ZAdd(tx, 0, []byte("z"), ZAddOptions{}, []float64{1, 1, 1, math.Inf(-1), math.Inf(1), math.Copysign(0, -1)},
			[][]byte{[]byte("c"), []byte("a"), []byte("b"), []byte("lo"), []byte("hi"), []byte("zero")})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *engine.Tx) error {
		items, err := ZRangeByRank(tx, 0, []byte("z"), 0, -1, false)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range items {
			got = append(got, fmt.Sprintf("%s=%g", it.Member, it.Score))
		}
		want := "[lo=-Inf zero=0 a=1 b=1 c=1 hi=+Inf]"
		if fmt.Sprint(got) != want {
			t.Fatalf("got %v want %s", got, want)
		}
		if n, _ := ZCard(tx, 0, []byte("z")); n != 6 {
			t.Fatalf("ZCard %d", n)
		}
		for i, m := range []string{"lo", "zero", "a", "b", "c", "hi"} {
			r, _, ok, _ := ZRank(tx, 0, []byte("z"), []byte(m), false)
			rr, _, _, _ := ZRank(tx, 0, []byte("z"), []byte(m), true)
			if !ok || r != int64(i) || rr != int64(5-i) {
				t.Fatalf("rank of %s = %d/%d, want %d/%d", m, r, rr, i, 5-i)
			}
		}
		return nil
	})
}

func TestZSet_Count_StaysExactAcrossUpdates(t *testing.T) {
	db := openTestDB(t)
	k := []byte("z")
	base := db.LogicalBytes()
	_ = db.Update(func(tx *engine.Tx) error {
		for i := 0; i < 50; i++ {
			m := []byte(fmt.Sprint(i % 20))
			if _, err := ZAdd(tx, 0, k, ZAddOptions{Incr: i%3 == 0}, []float64{float64(i)}, [][]byte{m}); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 2; i++ { // the second leaves the score unchanged
			if _, err := ZAdd(tx, 0, k, ZAddOptions{}, []float64{42}, [][]byte{[]byte("2")}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ZRem(tx, 0, k, [][]byte{[]byte("1"), []byte("nope")}); err != nil {
			t.Fatal(err)
		}
		return nil
	})
	_ = db.View(func(tx *engine.Tx) error {
		m, _, _ := tx.Lookup(0, k)
		var members, index int64
		it := tx.Elems(m.Version)
		for ok := it.First(); ok; ok = it.Next() {
			switch it.Sub()[0] {
			case memberTag:
				members++
			case scoreTag:
				index++
			}
		}
		if m.Count != 19 || members != 19 || index != 19 {
			t.Fatalf("count %d, member entries %d, index entries %d; want 19", m.Count, members, index)
		}
		return nil
	})
	// Removing every member deletes the key: the logical size (kept per
	// element write, some of them without a lookup) is back at the start.
	_ = db.Update(func(tx *engine.Tx) error {
		var all [][]byte
		for i := 0; i < 20; i++ {
			all = append(all, []byte(fmt.Sprint(i)))
		}
		_, err := ZRem(tx, 0, k, all)
		return err
	})
	if got := db.LogicalBytes(); got != base {
		t.Fatalf("logical size %d after removing every member, want %d", got, base)
	}
}

func TestSet_Count_AndScanCursorCoversAll(t *testing.T) {
	db := openTestDB(t)
	k := []byte("s")
	var want []string
	_ = db.Update(func(tx *engine.Tx) error {
		var mems [][]byte
		for i := 0; i < 300; i++ {
			// Members sharing long prefixes exercise the cursor's 8-byte rule.
			m := fmt.Sprintf("member:%04d", i)
			mems = append(mems, []byte(m))
			want = append(want, m)
		}
		mems = append(mems, []byte(""), []byte("\x00\x00\x00\x00\x00\x00\x00\x00x"))
		want = append(want, "", "\x00\x00\x00\x00\x00\x00\x00\x00x")
		n, err := SAdd(tx, 0, k, mems)
		if err != nil || n != 302 {
			t.Fatalf("SAdd %d %v", n, err)
		}
		return nil
	})
	_ = db.View(func(tx *engine.Tx) error {
		if n, _ := SCard(tx, 0, k); n != 302 {
			t.Fatalf("SCard %d", n)
		}
		seen := map[string]bool{}
		cursor, calls := uint64(0), 0
		for {
			next, mem, err := SScan(tx, 0, k, cursor, 7, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range mem {
				seen[string(m)] = true
			}
			calls++
			if next == 0 {
				break
			}
			if next <= cursor && cursor != 0 || calls > 1000 {
				t.Fatalf("cursor did not advance: %d → %d", cursor, next)
			}
			cursor = next
		}
		var got []string
		for m := range seen {
			got = append(got, m)
		}
		sort.Strings(got)
		sort.Strings(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("scan returned %d members, want %d", len(got), len(want))
		}
		return nil
	})
}

// TestZSet_Rank_LargeSetTiming measures ZRANK at the middle of a 1 M
// member zset (the worst case of the two-ended count). Set ZSET_BIG=1.
func TestZSet_Rank_LargeSetTiming(t *testing.T) {
	if os.Getenv("ZSET_BIG") == "" {
		t.Skip("set ZSET_BIG=1 to build a 1M-member zset and time ZRANK")
	}
	db := openTestDB(t)
	k := []byte("big")
	const n = 1_000_000
	for base := 0; base < n; base += 50_000 {
		_ = db.Update(func(tx *engine.Tx) error {
			scores := make([]float64, 0, 50_000)
			mems := make([][]byte, 0, 50_000)
			for i := base; i < base+50_000; i++ {
				scores = append(scores, float64(i))
				mems = append(mems, binary.BigEndian.AppendUint32([]byte("m"), uint32(i)))
			}
			_, err := ZAdd(tx, 0, k, ZAddOptions{}, scores, mems)
			return err
		})
	}
	for _, r := range []int{10, n / 4, n / 2, n - 10} {
		_ = db.View(func(tx *engine.Tx) error {
			start := time.Now()
			got, _, ok, _ := ZRank(tx, 0, k, binary.BigEndian.AppendUint32([]byte("m"), uint32(r)), false)
			el := time.Since(start)
			if !ok || got != int64(r) {
				t.Fatalf("rank %d got %d", r, got)
			}
			t.Logf("ZRANK at rank %d of %d: %v", r, n, el)
			return nil
		})
	}
	_ = db.View(func(tx *engine.Tx) error {
		start := time.Now()
		items, _ := ZRangeByRank(tx, 0, k, n/2, n/2+9, false)
		t.Logf("ZRANGE %d %d: %v (%d items)", n/2, n/2+9, time.Since(start), len(items))
		start = time.Now()
		items, _ = ZRangeByScore(tx, 0, k, ScoreRange{Min: n / 2, Max: n/2 + 9}, false, 0, -1)
		t.Logf("ZRANGEBYSCORE around the middle: %v (%d items)", time.Since(start), len(items))
		if !bytes.Equal(items[0].Member, binary.BigEndian.AppendUint32([]byte("m"), uint32(n/2))) {
			t.Fatal("wrong first member")
		}
		return nil
	})
}
