package datatypes

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/diskcached/diskcached/engine"
)

// listContents reads the whole list and checks the no-holes invariant:
// exactly Count entries at Head..Tail-1.
func listContents(t *testing.T, tx *engine.Tx, key []byte) []string {
	t.Helper()
	m, ok, err := lookupList(tx, 0, key)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return nil
	}
	if m.Tail-m.Head != m.Count || m.Count <= 0 {
		t.Fatalf("bad meta head=%d tail=%d count=%d", m.Head, m.Tail, m.Count)
	}
	var out []string
	it := tx.Elems(m.Version)
	seq := m.Head
	for ok := it.First(); ok; ok = it.Next() {
		if !bytes.Equal(it.Sub(), seqKey(seq)) {
			t.Fatalf("entry %x where seq %d expected", it.Sub(), seq)
		}
		out = append(out, string(it.Value()))
		seq++
	}
	if seq != m.Tail {
		t.Fatalf("found %d entries, meta says %d", seq-m.Head, m.Count)
	}
	return out
}

func TestList_SeqKey_OrderMatchesNumbers(t *testing.T) {
	seqs := []int64{-1 << 63, -5, -1, 0, 1, 7, 1<<63 - 1}
	for i := 1; i < len(seqs); i++ {
		if bytes.Compare(seqKey(seqs[i-1]), seqKey(seqs[i])) >= 0 {
			t.Fatalf("seqKey(%d) !< seqKey(%d)", seqs[i-1], seqs[i])
		}
	}
}

func TestList_PushPopRange_BothEnds(t *testing.T) {
	db := openTestDB(t)
	k := []byte("l")
	mustUpdate(t, db, func(tx *engine.Tx) error {
		n, err := ListPush(tx, 0, k, Left, false, []byte("b"), []byte("a"))
		if err != nil || n != 2 {
			t.Fatalf("lpush: %d %v", n, err)
		}
		ListPush(tx, 0, k, Right, false, []byte("c"))
		if got := fmt.Sprint(listContents(t, tx, k)); got != "[a b c]" {
			t.Fatalf("got %s", got)
		}
		v, ok, _ := ListIndex(tx, 0, k, -1)
		if !ok || string(v) != "c" {
			t.Fatalf("lindex -1 = %q", v)
		}
		vals, _, _ := ListPop(tx, 0, k, Right, 5)
		if len(vals) != 3 || string(vals[0]) != "c" || string(vals[2]) != "a" {
			t.Fatalf("rpop 5 = %q", vals)
		}
		if ok, _ := ListType(tx, 0, k); ok {
			t.Fatal("emptied list still exists")
		}
		n, _ = ListPush(tx, 0, k, Left, true, []byte("x"))
		if n != 0 {
			t.Fatal("lpushx created a key")
		}
		return nil
	})
}

func TestList_WrongType_Refused(t *testing.T) {
	db := openTestDB(t)
	mustUpdate(t, db, func(tx *engine.Tx) error {
		Set(tx, 0, []byte("s"), []byte("v"), SetOptions{})
		if _, err := ListPush(tx, 0, []byte("s"), Left, false, []byte("x")); err != engine.ErrWrongType {
			t.Fatalf("push on string: %v", err)
		}
		ListPush(tx, 0, []byte("l"), Left, false, []byte("x"))
		if _, _, err := ListMove(tx, 0, []byte("l"), []byte("s"), Left, Left); err != engine.ErrWrongType {
			t.Fatalf("move to string: %v", err)
		}
		if got := listContents(t, tx, []byte("l")); len(got) != 1 {
			t.Fatalf("source changed by failed move: %q", got)
		}
		return nil
	})
}

// TestList_RandomOps_MatchModel runs random edits against a slice model
// and checks contents and the no-holes invariant after each.
func TestList_RandomOps_MatchModel(t *testing.T) {
	db := openTestDB(t)
	k := []byte("l")
	r := rand.New(rand.NewPCG(1, 2))
	var model []string
	val := func() string { return fmt.Sprint(r.IntN(6)) }
	base := db.LogicalBytes()
	for step := 0; step < 3000; step++ {
		op := r.IntN(8)
		mustUpdate(t, db, func(tx *engine.Tx) error {
			switch op {
			case 0:
				v := val()
				ListPush(tx, 0, k, Left, false, []byte(v))
				model = append([]string{v}, model...)
			case 1:
				v := val()
				ListPush(tx, 0, k, Right, false, []byte(v))
				model = append(model, v)
			case 2:
				n := int64(r.IntN(3) + 1)
				vals, _, _ := ListPop(tx, 0, k, Left, n)
				for range vals {
					model = model[1:]
				}
			case 3:
				pivot, v := val(), "n"+val()
				after := r.IntN(2) == 0
				n, _ := ListInsert(tx, 0, k, after, []byte(pivot), []byte(v))
				at := -1
				for i, e := range model {
					if e == pivot {
						at = i
						break
					}
				}
				if at >= 0 {
					if after {
						at++
					}
					model = append(model[:at], append([]string{v}, model[at:]...)...)
					if n != int64(len(model)) {
						t.Fatalf("linsert returned %d, want %d", n, len(model))
					}
				} else if len(model) > 0 && n != -1 {
					t.Fatalf("linsert missing pivot returned %d", n)
				}
			case 4:
				count := int64(r.IntN(5) - 2)
				v := val()
				n, _ := ListRem(tx, 0, k, count, []byte(v))
				var removed int64
				limit := count
				if limit < 0 {
					limit = -limit
				}
				keep := make([]bool, len(model))
				for i := range keep {
					keep[i] = true
				}
				for j := 0; j < len(model); j++ {
					i := j
					if count < 0 {
						i = len(model) - 1 - j
					}
					if model[i] == v && (limit == 0 || removed < limit) {
						keep[i] = false
						removed++
					}
				}
				var nm []string
				for i, e := range model {
					if keep[i] {
						nm = append(nm, e)
					}
				}
				model = nm
				if n != removed {
					t.Fatalf("lrem returned %d, want %d", n, removed)
				}
			case 5:
				if r.IntN(10) == 0 {
					start, stop := int64(r.IntN(7)-3), int64(r.IntN(7)-3)
					ListTrim(tx, 0, k, start, stop)
					from, to := NormRange(start, stop, int64(len(model)))
					model = append([]string(nil), model[from:to]...)
				}
			case 6:
				if len(model) > 0 {
					i := r.IntN(len(model))
					v := "s" + val()
					if err := ListSet(tx, 0, k, int64(i), []byte(v)); err != nil {
						t.Fatal(err)
					}
					model[i] = v
				}
			case 7:
				vals, _, _ := ListPop(tx, 0, k, Right, 1)
				if len(vals) > 0 {
					model = model[:len(model)-1]
				}
			}
			got := listContents(t, tx, k)
			if fmt.Sprint(got) != fmt.Sprint(model) {
				t.Fatalf("step %d op %d: got %q want %q", step, op, got, model)
			}
			return nil
		})
	}
	// Pushes skip the lookup of an old value (nothing lies outside
	// Head..Tail-1); popping everything must bring the logical size back
	// to where it started.
	mustUpdate(t, db, func(tx *engine.Tx) error {
		_, _, err := ListPop(tx, 0, k, Left, int64(len(model))+1)
		return err
	})
	for { // lists emptied by LTRIM left their elements to the collector
		if n, err := db.ReclaimNow(1 << 20); err != nil || n == 0 {
			break
		}
	}
	if got := db.LogicalBytes(); got != base {
		t.Fatalf("logical size %d after popping everything, want %d", got, base)
	}
}

func TestList_Pos_Options(t *testing.T) {
	db := openTestDB(t)
	k := []byte("l")
	mustUpdate(t, db, func(tx *engine.Tx) error {
		for _, v := range []string{"a", "b", "c", "1", "2", "3", "c", "c"} {
			ListPush(tx, 0, k, Right, false, []byte(v))
		}
		for _, tc := range []struct {
			o    PosOptions
			want string
		}{
			{PosOptions{Rank: 1, Count: -1}, "[2]"},
			{PosOptions{Rank: -1, Count: -1}, "[7]"},
			{PosOptions{Rank: 2, Count: 0}, "[6 7]"},
			{PosOptions{Rank: -2, Count: 2}, "[6 2]"},
			{PosOptions{Rank: 1, Count: 0, MaxLen: 3}, "[2]"},
			{PosOptions{Rank: 1, Count: 0, MaxLen: 2}, "[]"},
		} {
			idx, _, _ := ListPos(tx, 0, k, []byte("c"), tc.o)
			if got := fmt.Sprint(idx); got != tc.want {
				t.Errorf("%+v: got %s want %s", tc.o, got, tc.want)
			}
		}
		return nil
	})
}
