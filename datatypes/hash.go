package datatypes

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"sort"
	"strconv"

	"github.com/diskcached/diskcached/engine"
)

// Hashes (DiskCache's Index) keep one data entry per field: the sub-key is
// the field's bytes, the value the field's value. Fields are therefore
// visited in byte order; Meta.Count is the number of fields.

// Hash errors (Redis's texts after "ERR ").
var (
	ErrHashNotInteger = errors.New("hash value is not an integer")
	ErrHashNotFloat   = errors.New("hash value is not a float")
)

// LookupHash returns key's hash Meta. Missing or expired: ok false; another
// type: engine.ErrWrongType.
func LookupHash(tx *engine.Tx, db int, key []byte) (engine.Meta, bool, error) {
	m, ok, err := tx.LookupType(db, key, engine.TypeHash)
	if err == nil && ok {
		m.Tag = bytes.Clone(m.Tag)
	}
	return m, ok, err
}

// HashField returns a field's value (aliasing the transaction) or nil.
func HashField(tx *engine.Tx, m *engine.Meta, field []byte) []byte {
	return tx.ElemGet(m.Version, field)
}

// openHashForWrite returns key's hash, creating an empty one (not yet
// saved with a count) when missing.
func openHashForWrite(tx *engine.Tx, db int, key []byte) (engine.Meta, error) {
	m, ok, err := LookupHash(tx, db, key)
	if err != nil {
		return m, err
	}
	if !ok {
		m = engine.Meta{Type: engine.TypeHash}
		tx.Put(db, key, &m) // assigns the version
	}
	return m, nil
}

func saveHash(tx *engine.Tx, db int, key []byte, m *engine.Meta) {
	if m.Count <= 0 {
		tx.Delete(db, key)
		return
	}
	m.StoredAt, m.AccessAt = 0, 0
	tx.Put(db, key, m)
}

// HashSet sets field/value pairs (pairs alternates them) and returns how
// many fields were created. With nx (HSETNX, one pair) an existing field is
// left alone.
func HashSet(tx *engine.Tx, db int, key []byte, nx bool, pairs ...[]byte) (int64, error) {
	m, err := openHashForWrite(tx, db, key)
	if err != nil {
		return 0, err
	}
	var created int64
	for i := 0; i+1 < len(pairs); i += 2 {
		exists := tx.ElemGet(m.Version, pairs[i]) != nil
		if exists && nx {
			continue
		}
		if !exists {
			created++
			m.Count++
		}
		tx.ElemPut(m.Version, pairs[i], pairs[i+1])
	}
	if created > 0 || !nx {
		saveHash(tx, db, key, &m)
	} else if m.Count == 0 {
		tx.Delete(db, key)
	}
	return created, nil
}

// HashDel removes fields and returns how many existed; an emptied hash is
// deleted. A missing key returns 0.
func HashDel(tx *engine.Tx, db int, key []byte, fields ...[]byte) (int64, error) {
	m, ok, err := LookupHash(tx, db, key)
	if err != nil || !ok {
		return 0, err
	}
	var n int64
	for _, f := range fields {
		if tx.ElemGet(m.Version, f) != nil {
			n++
			m.Count--
			tx.ElemDelete(m.Version, f)
		}
	}
	if n > 0 {
		saveHash(tx, db, key, &m)
	}
	return n, nil
}

// HashWalk visits every field in byte order; fn returning false stops.
// Slices alias the transaction.
func HashWalk(tx *engine.Tx, m *engine.Meta, fn func(field, val []byte) bool) {
	it := tx.Elems(m.Version)
	for ok := it.First(); ok; ok = it.Next() {
		if !fn(it.Sub(), it.Value()) {
			return
		}
	}
}

// HashScan visits up to count fields starting at the first field ≥ start
// and returns the field to resume from (copied), or nil when the walk
// reached the end.
func HashScan(tx *engine.Tx, m *engine.Meta, start []byte, count int, fn func(field, val []byte)) []byte {
	it := tx.Elems(m.Version)
	n := 0
	for ok := it.Seek(start); ok; ok = it.Next() {
		if n >= count {
			return bytes.Clone(it.Sub())
		}
		fn(it.Sub(), it.Value())
		n++
	}
	return nil
}

// HashIncrBy adds delta to a field's integer value (missing = 0) and
// returns the result; ErrHashNotInteger / ErrOverflow leave it unchanged.
func HashIncrBy(tx *engine.Tx, db int, key, field []byte, delta int64) (int64, error) {
	m, err := openHashForWrite(tx, db, key)
	if err != nil {
		return 0, err
	}
	var cur int64
	old := tx.ElemGet(m.Version, field)
	if old != nil {
		var ok bool
		if cur, ok = ParseInt(old); !ok {
			return 0, ErrHashNotInteger
		}
	}
	if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) || (delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
		if m.Count == 0 {
			tx.Delete(db, key)
		}
		return 0, ErrOverflow
	}
	cur += delta
	putField(tx, db, key, &m, field, old != nil, []byte(strconv.FormatInt(cur, 10)))
	return cur, nil
}

// putField stores one field's new value and saves the Meta.
func putField(tx *engine.Tx, db int, key []byte, m *engine.Meta, field []byte, existed bool, val []byte) {
	if !existed {
		m.Count++
	}
	tx.ElemPut(m.Version, field, val)
	saveHash(tx, db, key, m)
}

// HashIncrByFloat adds incr (already validated with ParseLongDouble) to a
// field's value with x87 long-double arithmetic, as Redis does, and returns
// the stored text (Redis's "human" %.17Lf form).
func HashIncrByFloat(tx *engine.Tx, db int, key, field []byte, incr *big.Float) (string, error) {
	m, err := openHashForWrite(tx, db, key)
	if err != nil {
		return "", err
	}
	cur := new(big.Float).SetPrec(64)
	old := tx.ElemGet(m.Version, field)
	if old != nil {
		v, ok := ParseLongDouble(old)
		if !ok {
			return "", ErrHashNotFloat
		}
		cur = v
	}
	if cur.IsInf() {
		return "", ErrNaNInf
	}
	cur.Add(cur, incr)
	if ldOverflows(cur) {
		if m.Count == 0 {
			tx.Delete(db, key)
		}
		return "", ErrNaNInf
	}
	s := FormatLongDouble(cur)
	putField(tx, db, key, &m, field, old != nil, []byte(s))
	return s, nil
}

// HashRandom picks fields at random (HRANDFIELD). count > 0: that many
// distinct fields (all of them when count ≥ size); count < 0: -count picks
// with repetition. fn gets each pick (slices alias the transaction).
//
// Uniform picks need positions: for hashes up to randomScanLimit fields, or
// when many picks are asked, one ordered walk serves all picks (O(n)). For
// few picks from bigger hashes each pick seeks a random 8-byte field prefix
// (O(log n) each, biased toward fields after sparse regions of the key
// space).
func HashRandom(tx *engine.Tx, m *engine.Meta, count int64, fn func(field, val []byte)) {
	size := m.Count
	if size == 0 || count == 0 {
		return
	}
	if count >= size {
		HashWalk(tx, m, func(f, v []byte) bool { fn(f, v); return true })
		return
	}
	unique := count > 0
	n := count
	if !unique {
		n = -count
	}
	if size > randomScanLimit && n <= 16 && (!unique || n == 1) {
		it := tx.Elems(m.Version)
		for i := int64(0); i < n; i++ {
			var p [8]byte
			for j := range p {
				p[j] = byte(rand.Uint32())
			}
			if !it.Seek(p[:]) {
				it.First()
			}
			fn(it.Sub(), it.Value())
		}
		return
	}
	// Choose positions, then collect them in one walk.
	picks := make([]int64, 0, n)
	if unique {
		chosen := make(map[int64]bool, n)
		for int64(len(picks)) < n {
			p := rand.Int64N(size)
			if !chosen[p] {
				chosen[p] = true
				picks = append(picks, p)
			}
		}
	} else {
		for i := int64(0); i < n; i++ {
			picks = append(picks, rand.Int64N(size))
		}
	}
	order := make([]int, len(picks)) // picks sorted by position
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return picks[order[a]] < picks[order[b]] })
	type kv struct{ f, v []byte }
	got := make([]kv, len(picks))
	pos, k := int64(0), 0
	HashWalk(tx, m, func(f, v []byte) bool {
		for k < len(order) && picks[order[k]] == pos {
			got[order[k]] = kv{f, v}
			k++
		}
		pos++
		return k < len(order)
	})
	for _, e := range got {
		fn(e.f, e.v)
	}
}

// randomScanLimit is the hash size up to which random picks walk the hash.
const randomScanLimit = 4096
