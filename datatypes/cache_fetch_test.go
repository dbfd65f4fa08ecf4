package datatypes

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/diskcached/diskcached/engine"
)

// TestXFetch_Probability_MatchesTheory draws with a fixed seed: the share
// of early recomputations must be P(−δβ·ln u ≥ ttl) = exp(−ttl/(δβ)).
func TestXFetch_Probability_MatchesTheory(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 200_000
	for _, c := range []struct {
		delta, ttl int64
		beta       float64
	}{{100, 100, 1}, {100, 200, 1}, {50, 300, 2}, {100, 1000, 1}} {
		hits := 0
		for i := 0; i < n; i++ {
			if XFetchEarly(c.delta, c.beta, c.ttl, 1-r.Float64()) {
				hits++
			}
		}
		want := math.Exp(-float64(c.ttl) / (float64(c.delta) * c.beta))
		got := float64(hits) / n
		if math.Abs(got-want) > 0.005 {
			t.Errorf("delta %d beta %v ttl %d: early %.4f, want %.4f", c.delta, c.beta, c.ttl, got, want)
		}
	}
	if XFetchEarly(100, 0, 1, 0.001) || XFetchEarly(0, 1, 1, 0.001) {
		t.Error("beta 0 or unknown delta must never recompute early")
	}
}

func TestXFetch_Delta_StoredBesideTheValue(t *testing.T) {
	db := openTestDB(t)
	db.Update(func(tx *engine.Tx) error {
		CacheSet(tx, 3, []byte("k"), []byte("v"), CacheSetOptions{ExpireAt: tx.Now + 10_000})
		SaveDelta(tx, 3, []byte("k"), 250, tx.Now+10_000)
		fv, ok, err := ReadFetch(tx, 3, []byte("k"))
		if err != nil || !ok || string(fv.Value) != "v" || fv.DeltaMs != 250 || fv.ExpireAt != tx.Now+10_000 {
			t.Errorf("ReadFetch = %+v %v %v", fv, ok, err)
		}
		if _, ok, _ := ReadFetch(tx, 0, []byte("k")); ok {
			t.Error("db 0 sees db 3's key")
		}
		if n, _ := tx.KeyCounts(3); n != 1 {
			t.Errorf("db 3 holds %d keys, want only the value", n)
		}
		SaveDelta(tx, 3, []byte("k"), 250, 0) // no expiry: forgotten
		if _, ok := LoadDelta(tx, 3, []byte("k")); ok {
			t.Error("delta kept for a value without expiry")
		}
		return nil
	})
}
