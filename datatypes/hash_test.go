package datatypes

import (
	"fmt"
	"testing"

	"github.com/diskcached/diskcached/engine"
)

func TestHash_SetDelCount_EmptyHashDeleted(t *testing.T) {
	db := openTestDB(t)
	k := []byte("h")
	mustUpdate(t, db, func(tx *engine.Tx) error {
		n, err := HashSet(tx, 0, k, false, []byte("a"), []byte("1"), []byte("b"), []byte(""), []byte("a"), []byte("2"))
		if err != nil || n != 2 {
			t.Fatalf("hset: %d %v", n, err)
		}
		m, ok, _ := LookupHash(tx, 0, k)
		if !ok || m.Count != 2 {
			t.Fatalf("count %d", m.Count)
		}
		if v := HashField(tx, &m, []byte("a")); string(v) != "2" {
			t.Fatalf("a = %q", v)
		}
		if n, _ := HashSet(tx, 0, k, true, []byte("a"), []byte("3")); n != 0 {
			t.Fatal("hsetnx overwrote")
		}
		n, _ = HashDel(tx, 0, k, []byte("a"), []byte("zz"))
		if n != 1 {
			t.Fatalf("hdel = %d", n)
		}
		return nil
	})
	// An empty value must still exist after commit (read from the file).
	db.View(func(tx *engine.Tx) error {
		m, ok, _ := LookupHash(tx, 0, k)
		if !ok || HashField(tx, &m, []byte("b")) == nil {
			t.Fatal("field with empty value lost")
		}
		return nil
	})
	mustUpdate(t, db, func(tx *engine.Tx) error {
		HashDel(tx, 0, k, []byte("b"))
		if _, ok, _ := LookupHash(tx, 0, k); ok {
			t.Fatal("empty hash kept")
		}
		return nil
	})
}

func TestHash_IncrByFloat_LongDoubleFormatting(t *testing.T) {
	db := openTestDB(t)
	k := []byte("h")
	steps := []struct{ field, incr, want string }{
		{"f", "0.1", "0.1"},
		{"f", "0.2", "0.3"}, // long double: not 0.30000000000000004
		{"g", "10.5", "10.5"},
		{"g", "-10.5", "0"},
		{"h", "3.0e3", "3000"},
		{"z", "1e-17", "0.00000000000000001"},
		{"big", "1.7e308", "170000000000000000003136778025197596795270213889694133733043585763202456051205820994061869588900300336978523841885631712661403498918000793480728637410016696547450658600006812401305436257622907062380271462782244438270443691335452761319068709501902589182028026014367280506332405764915517562011679309777401282560"},
	}
	for _, s := range steps {
		mustUpdate(t, db, func(tx *engine.Tx) error {
			incr, ok := ParseLongDouble([]byte(s.incr))
			if !ok {
				t.Fatalf("parse %q", s.incr)
			}
			got, err := HashIncrByFloat(tx, 0, k, []byte(s.field), incr)
			if err != nil || got != s.want {
				t.Errorf("%s += %s: got %q (%v) want %q", s.field, s.incr, got, err, s.want)
			}
			return nil
		})
	}
	for _, bad := range []string{"", " 1", "1 ", "nan", "1_0", "0b1", "abc", "1e5000"} {
		if _, ok := ParseLongDouble([]byte(bad)); ok {
			t.Errorf("ParseLongDouble(%q) accepted", bad)
		}
	}
}

func TestHash_IncrBy_Errors(t *testing.T) {
	db := openTestDB(t)
	k := []byte("h")
	mustUpdate(t, db, func(tx *engine.Tx) error {
		HashSet(tx, 0, k, false, []byte("s"), []byte("x"), []byte("max"), []byte("9223372036854775807"))
		if _, err := HashIncrBy(tx, 0, k, []byte("s"), 1); err != ErrHashNotInteger {
			t.Errorf("non-integer: %v", err)
		}
		if _, err := HashIncrBy(tx, 0, k, []byte("max"), 1); err != ErrOverflow {
			t.Errorf("overflow: %v", err)
		}
		if n, err := HashIncrBy(tx, 0, []byte("new"), []byte("f"), -5); err != nil || n != -5 {
			t.Errorf("new: %d %v", n, err)
		}
		return nil
	})
}

func TestHash_ScanAndRandom_CoverFields(t *testing.T) {
	db := openTestDB(t)
	k := []byte("h")
	mustUpdate(t, db, func(tx *engine.Tx) error {
		for i := 0; i < 5000; i++ {
			HashSet(tx, 0, k, false, []byte(fmt.Sprintf("f%05d", i)), []byte("v"))
		}
		m, _, _ := LookupHash(tx, 0, k)
		seen := map[string]bool{}
		var start []byte
		for calls := 0; ; calls++ {
			start = HashScan(tx, &m, start, 97, func(f, _ []byte) { seen[string(f)] = true })
			if start == nil {
				break
			}
			if calls > 1000 {
				t.Fatal("scan does not end")
			}
		}
		if len(seen) != 5000 {
			t.Fatalf("scan saw %d fields", len(seen))
		}
		for _, count := range []int64{1, 10, 4999, 6000, -3, -20} {
			got := map[string]bool{}
			n := 0
			HashRandom(tx, &m, count, func(f, _ []byte) { got[string(f)] = true; n++ })
			want := count
			if want < 0 {
				want = -want
			}
			if want > 5000 {
				want = 5000
			}
			if int64(n) != want || (count > 0 && int64(len(got)) != want) {
				t.Errorf("count %d: %d picks, %d distinct", count, n, len(got))
			}
		}
		return nil
	})
}
