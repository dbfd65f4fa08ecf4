package datatypes

import (
	"errors"
	"math"
	"testing"

	"github.com/diskcached/diskcached/engine"
)

func TestStrings_IncrByFloat_LongDoubleRules(t *testing.T) {
	db := openTestDB(t)
	mustUpdate(t, db, func(tx *engine.Tx) error {
		Set(tx, 0, []byte("k"), []byte("0.1"), SetOptions{})
		if s, err := IncrByFloat(tx, 0, []byte("k"), []byte("0.2")); err != nil || s != "0.3" {
			t.Fatalf("0.1+0.2 = %q, %v", s, err)
		}
		if _, err := IncrByFloat(tx, 0, []byte("k"), []byte("inf")); !errors.Is(err, ErrNaNInf) {
			t.Fatalf("inf: %v", err)
		}
		Set(tx, 0, []byte("bad"), []byte("abc"), SetOptions{})
		if _, err := IncrByFloat(tx, 0, []byte("bad"), []byte("1")); !errors.Is(err, ErrNotFloat) {
			t.Fatalf("stored non-number: %v", err)
		}
		tx.Put(0, []byte("l"), &engine.Meta{Type: engine.TypeList})
		if _, err := IncrByFloat(tx, 0, []byte("l"), []byte("x")); !errors.Is(err, engine.ErrWrongType) {
			t.Fatalf("wrong type must win over a bad increment: %v", err)
		}
		return nil
	})
}

func TestStrings_SetRange_HugeOffsetRefused(t *testing.T) {
	db := openTestDB(t)
	mustUpdate(t, db, func(tx *engine.Tx) error {
		for _, off := range []int64{math.MaxInt64, MaxStringLen} {
			if _, err := SetRange(tx, 0, []byte("k"), off, []byte("A")); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("offset %d: %v", off, err)
			}
		}
		if tx.Exists(0, []byte("k")) {
			t.Fatal("refused SETRANGE created the key")
		}
		return nil
	})
}

func TestStrings_LCS_RangesAndLimits(t *testing.T) {
	seq, n, ranges, err := LCS([]byte("ohmytext"), []byte("mynewtext"), true, 0)
	if err != nil || string(seq) != "mytext" || n != 6 {
		t.Fatalf("LCS = %q %d %v", seq, n, err)
	}
	want := []LCSMatch{{4, 7, 5, 8}, {2, 3, 0, 1}}
	if len(ranges) != len(want) || ranges[0] != want[0] || ranges[1] != want[1] {
		t.Fatalf("ranges = %+v", ranges)
	}
	if _, _, r, _ := LCS([]byte("ohmytext"), []byte("mynewtext"), true, 4); len(r) != 1 {
		t.Fatalf("MINMATCHLEN 4 ranges = %+v", r)
	}
	old := MaxStringLen
	MaxStringLen = 100
	defer func() { MaxStringLen = old }()
	if _, _, _, err := LCS(make([]byte, 10), make([]byte, 10), false, 0); !errors.Is(err, ErrLCSTooBig) {
		t.Fatalf("table limit: %v", err)
	}
}
