package datatypes

import (
	"errors"
	"math"
	"math/rand"
	"testing"

	"github.com/diskcached/diskcached/engine"
)

func TestBits_ParseBitOffset_Limits(t *testing.T) {
	cases := []struct {
		in    string
		width int
		want  uint64
		ok    bool
	}{
		{"0", 0, 0, true},
		{"7", 0, 7, true},
		{"-1", 0, 0, false},
		{"abc", 0, 0, false},
		{"4294967295", 0, 4294967295, true}, // last bit of a 512 MB string
		{"4294967296", 0, 0, false},
		{"#3", 8, 24, true},
		{"#3", 0, 0, false}, // '#' only with a field width
		{"#-1", 8, 0, false},
		{"#9223372036854775807", 8, 0, false},
	}
	for _, c := range cases {
		got, ok := ParseBitOffset([]byte(c.in), c.width)
		if ok != c.ok || got != c.want {
			t.Errorf("ParseBitOffset(%q,%d) = %d,%v want %d,%v", c.in, c.width, got, ok, c.want, c.ok)
		}
	}
}

func TestBits_SetBit_GrowsKeepsTTLAndReturnsOld(t *testing.T) {
	db := openTestDB(t)
	key := []byte("k")
	mustUpdate(t, db, func(tx *engine.Tx) error {
		old, err := SetBit(tx, 0, key, 9, 1)
		if err != nil || old != 0 {
			t.Fatalf("first SetBit = %d,%v", old, err)
		}
		v, _, _ := GetString(tx, 0, key)
		if string(v) != "\x00\x40" {
			t.Fatalf("value %q", v)
		}
		tx.SetExpire(0, key, tx.Now+100000)
		if old, _ = SetBit(tx, 0, key, 9, 0); old != 1 {
			t.Fatalf("second SetBit old = %d", old)
		}
		m, _, _ := tx.Lookup(0, key)
		if m.ExpireAt == 0 || string(m.Value) != "\x00\x00" {
			t.Fatalf("after clear: %q expire %d", m.Value, m.ExpireAt)
		}
		tx.Put(0, []byte("l"), &engine.Meta{Type: engine.TypeList})
		if _, err := SetBit(tx, 0, []byte("l"), 0, 1); !errors.Is(err, engine.ErrWrongType) {
			t.Fatalf("wrong type: %v", err)
		}
		return nil
	})
}

// naive reference implementations for the fuzz tests.
func naiveCount(v []byte, first, last uint64) int64 {
	var n int64
	for p := first; p <= last; p++ {
		n += int64(GetBit(v, p))
	}
	return n
}

func naivePos(v []byte, bit int, first, last uint64) int64 {
	for p := first; p <= last; p++ {
		if GetBit(v, p) == bit {
			return int64(p)
		}
	}
	return -1
}

func TestBits_CountAndPos_MatchNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		v := make([]byte, 1+rng.Intn(40))
		for j := range v {
			switch rng.Intn(3) {
			case 0:
				v[j] = 0
			case 1:
				v[j] = 0xff
			default:
				v[j] = byte(rng.Intn(256))
			}
		}
		n := uint64(len(v)) * 8
		a, b := uint64(rng.Int63n(int64(n))), uint64(rng.Int63n(int64(n)))
		if a > b {
			a, b = b, a
		}
		if got, want := BitCount(v, a, b), naiveCount(v, a, b); got != want {
			t.Fatalf("BitCount(%x,%d,%d)=%d want %d", v, a, b, got, want)
		}
		for bit := 0; bit < 2; bit++ {
			if got, want := BitPos(v, bit, a, b), naivePos(v, bit, a, b); got != want {
				t.Fatalf("BitPos(%x,%d,%d,%d)=%d want %d", v, bit, a, b, got, want)
			}
		}
	}
}

func TestBits_ClampRange_Edges(t *testing.T) {
	cases := []struct{ s, e, n, ws, we int64 }{
		{0, -1, 10, 0, 9},
		{-100, 100, 10, 0, 9},
		{5, 2, 10, 5, 2},
		{0, 0, 0, 0, -1},
	}
	for _, c := range cases {
		s, e, empty := ClampRange(c.s, c.e, c.n)
		if s != c.ws || e != c.we || empty != (c.ws > c.we) {
			t.Errorf("ClampRange(%d,%d,%d)=%d,%d,%v", c.s, c.e, c.n, s, e, empty)
		}
	}
}

func TestBits_BitOp_PadsDeletesAndReplaces(t *testing.T) {
	db := openTestDB(t)
	mustUpdate(t, db, func(tx *engine.Tx) error {
		Set(tx, 0, []byte("a"), []byte("\xff\x0f"), SetOptions{})
		Set(tx, 0, []byte("b"), []byte("\x0f"), SetOptions{})
		Set(tx, 0, []byte("d"), []byte("old"), SetOptions{ExpireAt: tx.Now + 100000})
		for _, c := range []struct {
			op   int
			srcs []string
			want string
		}{
			{BitAnd, []string{"a", "b"}, "\x0f\x00"},
			{BitOr, []string{"a", "b", "missing"}, "\xff\x0f"},
			{BitXor, []string{"a", "b"}, "\xf0\x0f"},
			{BitNot, []string{"a"}, "\x00\xf0"},
		} {
			srcs := make([][]byte, len(c.srcs))
			for i, s := range c.srcs {
				srcs[i] = []byte(s)
			}
			n, err := BitOp(tx, 0, c.op, []byte("d"), srcs)
			m, _, _ := tx.Lookup(0, []byte("d"))
			if err != nil || n != int64(len(c.want)) || string(m.Value) != c.want || m.ExpireAt != 0 {
				t.Fatalf("op %d: n=%d err=%v value=%q expire=%d", c.op, n, err, m.Value, m.ExpireAt)
			}
		}
		if n, _ := BitOp(tx, 0, BitOr, []byte("d"), [][]byte{[]byte("x"), []byte("y")}); n != 0 || tx.Exists(0, []byte("d")) {
			t.Fatalf("empty sources: n=%d, dest still exists=%v", n, tx.Exists(0, []byte("d")))
		}
		return nil
	})
}

func TestBits_FieldAdd_OverflowPolicies(t *testing.T) {
	cases := []struct {
		signed      bool
		width       uint
		value, incr int64
		policy      int
		want        int64
		over        bool
	}{
		{false, 8, 250, 10, OverflowWrap, 4, true},
		{false, 8, 250, 10, OverflowSat, 255, true},
		{false, 8, 5, -10, OverflowSat, 0, true},
		{false, 8, 5, -10, OverflowWrap, 251, true},
		{false, 8, -1, 0, OverflowWrap, 255, true}, // SET u8 -1
		{false, 63, 0, math.MaxInt64, OverflowWrap, math.MaxInt64, false},
		{true, 8, 120, 10, OverflowWrap, -126, true},
		{true, 8, 120, 10, OverflowSat, 127, true},
		{true, 8, -120, -10, OverflowSat, -128, true},
		{true, 8, 100, 0, OverflowFail, 100, false},
		{true, 64, math.MaxInt64, 1, OverflowWrap, math.MinInt64, true},
		{true, 64, math.MinInt64, -1, OverflowSat, math.MinInt64, true},
		{true, 64, -5, math.MaxInt64, OverflowFail, math.MaxInt64 - 5, false},
	}
	for _, c := range cases {
		got, over := fieldAdd(c.value, c.incr, FieldOp{Signed: c.signed, Width: c.width, Overflow: c.policy})
		if got != c.want || over != c.over {
			t.Errorf("fieldAdd(%+v) = %d,%v want %d,%v", c, got, over, c.want, c.over)
		}
	}
}

func TestBits_Bitfield_SetGetIncrAndFail(t *testing.T) {
	db := openTestDB(t)
	key := []byte("bf")
	mustUpdate(t, db, func(tx *engine.Tx) error {
		res, err := Bitfield(tx, 0, key, []FieldOp{
			{Kind: FieldSet, Signed: true, Width: 8, Offset: 0, Value: -100},
			{Kind: FieldGet, Signed: true, Width: 8, Offset: 0},
			{Kind: FieldGet, Width: 8, Offset: 0},
			{Kind: FieldIncrBy, Width: 4, Offset: 8, Value: 20, Overflow: OverflowFail},
			{Kind: FieldIncrBy, Width: 4, Offset: 8, Value: 20, Overflow: OverflowWrap},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []FieldResult{{0, false}, {-100, false}, {156, false}, {0, true}, {4, false}}
		for i := range want {
			if res[i] != want[i] {
				t.Fatalf("result %d = %+v want %+v (all %+v)", i, res[i], want[i], res)
			}
		}
		v, _, _ := GetString(tx, 0, key)
		if string(v) != "\x9c\x40" {
			t.Fatalf("value %q", v)
		}
		// A failing write still creates the zero-filled string, as Redis does.
		res, _ = Bitfield(tx, 0, []byte("new"), []FieldOp{{Kind: FieldSet, Width: 8, Offset: 16, Value: 300, Overflow: OverflowFail}})
		v, ok, _ := GetString(tx, 0, []byte("new"))
		if !res[0].Nil || !ok || string(v) != "\x00\x00\x00" {
			t.Fatalf("fail on new key: %+v %q %v", res, v, ok)
		}
		// GET-only on a missing key reads zeros and creates nothing.
		res, _ = Bitfield(tx, 0, []byte("none"), []FieldOp{{Kind: FieldGet, Signed: true, Width: 64, Offset: 5}})
		if res[0].Value != 0 || tx.Exists(0, []byte("none")) {
			t.Fatalf("get on missing key: %+v", res)
		}
		return nil
	})
}
